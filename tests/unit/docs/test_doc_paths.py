"""Every repository path the documentation names in backticks exists, so a moved or deleted file cannot be
cited for long."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
TOP = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")} - {"var", "build"}
SERVICES = {pkg.name: pkg for pkg in (ROOT / "services").glob("*/*") if (pkg / "__init__.py").is_file()}
SPAN = re.compile(r"`([^`]+)`")
PATH = re.compile(r"[\w.-]+(?:/[\w.*-]+)+/?")
GENERATED = ("ventanilla/api/v1/", "deploy/kafka/lib/")  # made by `make proto` / `make kafka-jars`, never committed
BARE = re.compile(r"[\w-]+\.(?:py|proto|yaml|lua|mjs)")  # a file named without its folder


def cited(text: str) -> list[str]:
    """The repository paths among the backticked spans of a text (a span broken over lines is joined)."""
    found = []
    for span in SPAN.findall(text):
        span = re.sub(r"/\s+", "/", span.strip())
        if PATH.fullmatch(span) and span.split("/")[0] in TOP | set(SERVICES):
            found.append(span)
    return found


def exists(path: str) -> bool:
    """A path from the repository root, or from a service's package (`status_service/startup.py`)."""
    head, _, rest = path.partition("/")
    base = SERVICES[head] / rest if head in SERVICES else ROOT / path
    if "*" in path:
        return any(base.parent.glob(base.name))
    return base.exists() or path.startswith(GENERATED)


def bare_names(text: str) -> list[str]:
    """The file names cited without a folder (`front.py`)."""
    return [span for span in SPAN.findall(text) if BARE.fullmatch(span)]


def repository_file_names() -> set[str]:
    """The names of the files in the product, its tests, tools and deployment."""
    return {p.name for top in TOP for p in (ROOT / top).rglob("*") if p.is_file() and ".venv" not in p.parts}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_path_a_document_cites_exists(doc):
    text = doc.read_text()
    missing = [path for path in cited(text) if not exists(path)]
    names = repository_file_names()
    missing += [name for name in bare_names(text) if name not in names]
    assert not missing, f"{doc.relative_to(ROOT)} cites paths that do not exist: {missing}"


def test_the_check_sees_paths_and_misses():
    text = "see `ventanilla/config.py`, `status_service/startup.py`, `tests/integration/\n test_claims.py` and `gone/x.py`"
    assert cited(text) == ["ventanilla/config.py", "status_service/startup.py", "tests/integration/test_claims.py"]
    assert exists("ventanilla/config.py") and exists("status_service/startup.py")
    assert not exists("tests/unit/no_such_test.py")
    assert bare_names("`front.py` and `ventanilla/x.py` and `front.pyc`") == ["front.py"]
