"""Generate ventanilla/api/v1 from proto/ventanilla/v1 and point imports at that package."""
import re
import sys
from pathlib import Path

from grpc_tools import protoc
import grpc_tools

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "proto"
OUT = ROOT / "ventanilla" / "api" / "v1"


def main() -> int:
    """Run protoc on every .proto file, then rewrite ventanilla.v1 imports."""
    staging = ROOT / "build" / "proto"
    staging.mkdir(parents=True, exist_ok=True)
    protos = sorted(str(p.relative_to(SRC)) for p in SRC.rglob("*.proto"))
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    code = protoc.main([
        "protoc", f"-I{SRC}", f"-I{well_known}",
        f"--python_out={staging}", f"--grpc_python_out={staging}", f"--pyi_out={staging}",
        *protos,
    ])
    if code != 0:
        return code
    for generated in (staging / "ventanilla" / "v1").iterdir():
        text = re.sub(r"\bfrom ventanilla\.v1 import\b", "from ventanilla.api.v1 import", generated.read_text())
        (OUT / generated.name).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
