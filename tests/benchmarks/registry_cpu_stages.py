"""The registry's CPU-bound stages in-process (parse, schema, signature, receipt) on the benchmark's signed ~100 KB
Facturae: CPU ms per invoice (`time.process_time`), this checkout against another tree's product in alternated rounds.

    .venv/bin/python tests/benchmarks/registry_cpu_stages.py [--before DIR] [--rounds 6] [--runs 60]

DIR is a product tree of another commit (`git archive <commit> | tar -x -C DIR`). Each round runs every variant in
a fresh process (the order alternates between rounds) on the same signed invoice, trust material and seal key.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: the sibling modules by their package

from tests.benchmarks.variant_table import print_variant_table  # noqa: E402

STAGES = ("parse (hardened lxml + fields)", "schema (XSD)", "signature (XAdES + certificate path, cached)",
          "receipt PDF (reportlab + PAdES seal)", "intake.accept (parse + schema + signature + rules)")


def _prepare(directory: Path) -> None:
    """The signed invoice, the signing PKI's trust store and CRLs, and a seal, shared by every variant."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "services" / "registry"))
    from registry_service.seal import dev_seal
    from tests.benchmarks.bench_registry import big_invoice
    from tests.support.signing_pki import build_signing_pki

    pki = build_signing_pki(directory / "pki")
    (directory / "invoice.xml").write_bytes(pki.sign(big_invoice("BENCH-STAGES")))
    dev_seal(directory / "seal")


def _child(product: Path, data: Path, runs: int) -> dict[str, float]:
    """CPU ms per call of each stage, with `product`'s code first on the path."""
    sys.path[:0] = [str(product), str(product / "services" / "registry")]
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from registry_service.receipt import ReceiptIssuer, Sede, new_csv
    from registry_service.seal import dev_seal
    from ventanilla.adapters.clock import SystemClock
    from ventanilla.domain.invoice import Centres, DocumentRef, InvoiceKey, RegisteredInvoice
    from ventanilla.facturae.intake import FacturaeIntake
    from ventanilla.facturae.parser import parse_facturae_tree, read_facturae
    from ventanilla.facturae.schema import FacturaeSchemas
    from ventanilla.facturae.signature import verify_signature
    from ventanilla.facturae.trust import CertificateChecker, TrustMaterial

    assert Path(sys.modules["ventanilla"].__file__).is_relative_to(product), "the product's code is not first"
    facturae = (data / "invoice.xml").read_bytes()
    schemas = FacturaeSchemas.load(ROOT / ".." / "shared" / "reference" / "facturae" / "schemas")
    checker = CertificateChecker(TrustMaterial.load(data / "pki" / "trust", data / "pki" / "crls"))
    intake = FacturaeIntake(schemas, checker)
    root, version = parse_facturae_tree(facturae)
    document = read_facturae(root)
    now = datetime.now(timezone.utc)
    sede = Sede("Ventanilla (benchmark)", ZoneInfo("Europe/Madrid"), lambda csv: f"https://sede.example.es/c/{csv}")
    issuer = ReceiptIssuer(dev_seal(data / "seal"), sede, SystemClock())
    invoice = RegisteredInvoice(
        id=1, key=InvoiceKey(document.supplier_nif, document.issue_date.year, document.series, document.number),
        customer_nif=document.customer_nif, issue_date=document.issue_date, signed_at=document.signing_time,
        currency=document.currency, total=document.total, payable=document.payable,
        facturae_version=document.facturae_version, registered_at=now,
        centres=Centres("L01280796", "LA0007407", "LA0007408"), treasury_key="",
        facturae=DocumentRef("0" * 64, len(facturae)), receipt=DocumentRef("0" * 64, 19000),
        submitter_nif=document.supplier_nif)

    def signature(tree) -> None:
        signed_by = verify_signature(tree)
        checker.check(signed_by.certificate, signed_by.others, document.signing_time, now)

    def fresh_tree(_):
        return parse_facturae_tree(facturae)[0]

    calls = {
        STAGES[0]: (lambda _: read_facturae(parse_facturae_tree(facturae)[0]), lambda _: None),
        STAGES[1]: (lambda tree: schemas.validate(tree, version), fresh_tree),
        STAGES[2]: (signature, fresh_tree),
        STAGES[3]: (lambda _: issuer(invoice, new_csv(), ("Proveedor", "Cliente")), lambda _: None),
        STAGES[4]: (lambda _: intake.accept(facturae, now), lambda _: None),
    }
    result = {}
    for name, (step, prepare) in calls.items():
        for i in range(3):
            step(prepare(i))
        cpu = 0.0
        for i in range(runs):
            argument = prepare(i)
            started = time.process_time()
            step(argument)
            cpu += time.process_time() - started
        result[name] = cpu * 1000 / runs
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="another commit's product tree (git archive export)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child[0].resolve(), args.child[1], args.runs)))
        return
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    variants = {"after": ROOT} if args.before is None else {"before": args.before.resolve(), "after": ROOT}
    print(f"commit {commit.stdout.strip()}, {time.strftime('%H:%M:%SZ', time.gmtime())}, "
          f"load average {os.getloadavg()[0]:.1f}, {args.rounds} rounds x {args.runs} calls per stage")
    figures: dict[str, dict[str, list[float]]] = {v: {s: [] for s in STAGES} for v in variants}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
                        f"from tests.benchmarks.registry_cpu_stages import _prepare; "
                        f"from pathlib import Path; _prepare(Path({tmp!r}))"], check=True, cwd=ROOT)
        for round_ in range(args.rounds):
            order = list(variants) if round_ % 2 == 0 else list(reversed(variants))
            for variant in order:
                out = subprocess.run([sys.executable, __file__, "--child", str(variants[variant]), str(data),
                                      "--runs", str(args.runs)], check=True, capture_output=True, text=True, cwd=tmp)
                for stage, ms in json.loads(out.stdout.strip().splitlines()[-1]).items():
                    figures[variant][stage].append(ms)
            print(f"round {round_ + 1}: load {os.getloadavg()[0]:.1f}", file=sys.stderr)
    print(f"load average at end {os.getloadavg()[0]:.1f}")
    print_variant_table("CPU ms per invoice", STAGES, figures, digits=2)
    sums = {v: statistics.median([sum(figures[v][s][r] for s in STAGES[:4]) for r in range(args.rounds)])
            for v in variants}
    print("| **sum of the four stages** (median of the rounds' sums) | "
          + " | ".join(f"**{sums[v]:.2f}**" for v in variants) + " |"
          + (f" **{sums['after'] / sums['before']:.2f}** |" if len(variants) > 1 else ""))


if __name__ == "__main__":
    main()
