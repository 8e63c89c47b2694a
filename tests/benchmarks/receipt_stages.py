"""The receipt stage's parts in-process (QR code, page, seal, whole receipt): CPU ms per receipt
(`time.process_time`) and, with --callgrind, instructions per receipt (valgrind), this checkout against another tree.

    nice -n 19 .venv/bin/python tests/benchmarks/receipt_stages.py [--before DIR] [--rounds 6] [--runs 100]
    nice -n 19 .venv/bin/python tests/benchmarks/receipt_stages.py --before DIR --callgrind [--runs 10]

DIR is a product tree of another commit (`git archive <commit> | tar -x -C DIR`). Each round runs every variant in a
fresh process (the order alternates between rounds) with the same seal key and the same verification codes. Under
callgrind (PYTHONHASHSEED=0) each stage's loop is cut out of the run by a dump at `getppid` (called only around the
loops), so its instruction count holds no start-up, import or warm-up.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: the sibling modules by their package

from tests.benchmarks.callgrind_loops import loop_instructions, variants_announced  # noqa: E402
from tests.benchmarks.variant_table import print_variant_table  # noqa: E402

STAGES = ("QR code (encode + path)", "page (reportlab, QR included)", "seal (pyHanko PAdES)",
          "receipt (page + seal)")
WARM_UP = 5


def _child(product: Path, data: Path, runs: int) -> dict[str, float]:
    """CPU ms per call of each stage, with `product`'s code first on the path; getppid() marks each timed loop."""
    sys.path[:0] = [str(product), str(product / "services" / "registry")]
    import io
    from datetime import date, datetime, timezone
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from reportlab.pdfgen import canvas

    from registry_service import receipt
    from registry_service.seal import dev_seal
    from ventanilla.domain.invoice import Centres, DocumentRef, InvoiceKey, RegisteredInvoice

    assert Path(receipt.__file__).is_relative_to(product), "the product's code is not first"
    invoice = RegisteredInvoice(
        id=4242, key=InvoiceKey("B23103039", 2021, "SER", "TEST01002F"), customer_nif="P2807900B",
        issue_date=date(2021, 12, 8), signed_at=datetime(2021, 12, 8, 9, 30, tzinfo=timezone.utc), currency="EUR",
        total=Decimal("1210.00"), payable=Decimal("1150.00"), facturae_version="3.2.2",
        registered_at=datetime(2026, 7, 1, 10, 0, tzinfo=timezone.utc),
        centres=Centres("L01280796", "LA0007407", "LA0007408"), treasury_key="",
        facturae=DocumentRef("ab" * 32, 104000), receipt=DocumentRef("", 0), submitter_nif="B23103039")
    sede = receipt.Sede("Ventanilla (benchmark)", ZoneInfo("Europe/Madrid"),
                        lambda csv: f"https://sede.example.es/ventanilla/comprobantes/{csv}")
    seal = dev_seal(data / "seal")
    sealed_at = datetime(2026, 7, 1, 10, 0, 7, tzinfo=timezone.utc)

    class Clock:
        def now(self) -> datetime:
            return sealed_at

    issuer = receipt.ReceiptIssuer(seal, sede, Clock())
    names = ("Proveedor de la prueba SL", "Ayuntamiento de la prueba")
    draw = random.Random(15)  # the same verification codes in every process
    csvs = ["".join(draw.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", k=24)) for _ in range(WARM_UP + runs)]
    pages = [receipt.render_receipt(invoice, sede, csv, sealed_at, names) for csv in csvs]
    calls = {
        STAGES[0]: (lambda i, page: receipt._qr(page, sede.verification_url(csvs[i]), 0, 0),
                    lambda i: canvas.Canvas(io.BytesIO())),
        STAGES[1]: (lambda i, _: receipt.render_receipt(invoice, sede, csvs[i], sealed_at, names), lambda i: None),
        STAGES[2]: (lambda i, _: seal.seal(pages[i], sealed_at), lambda i: None),
        STAGES[3]: (lambda i, _: issuer(invoice, csvs[i], names), lambda i: None),
    }
    result = {}
    for name, (step, prepare) in calls.items():
        for i in range(WARM_UP):
            step(i, prepare(i))
        arguments = [prepare(WARM_UP + i) for i in range(runs)]
        os.getppid()  # callgrind dumps here: what came before is not the loop
        started = time.process_time()
        for i, argument in enumerate(arguments):
            step(WARM_UP + i, argument)
        cpu = time.process_time() - started
        os.getppid()  # callgrind dumps here: the loop
        result[name] = cpu * 1000 / runs
    return result


def _callgrind(product: Path, data: Path, runs: int, out: Path) -> dict[str, float]:
    """Instructions per call of each stage: one valgrind run, the loops' dumps divided by the runs."""
    return loop_instructions([__file__, "--child", str(product), str(data), "--runs", str(runs)], STAGES, runs, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="another commit's product tree (git archive export)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--callgrind", action="store_true", help="instructions per call under valgrind instead")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child[0].resolve(), args.child[1], args.runs)))
        return
    variants = variants_announced(ROOT, args.before, args.rounds, args.runs)
    unit = "instructions (M) per receipt, callgrind" if args.callgrind else "CPU ms per receipt"
    figures: dict[str, dict[str, list[float]]] = {v: {s: [] for s in STAGES} for v in variants}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        subprocess.run([sys.executable, "-c", f"import sys; sys.path[:0] = [{str(ROOT)!r}, "
                        f"{str(ROOT / 'services' / 'registry')!r}]; from registry_service.seal import dev_seal; "
                        f"from pathlib import Path; dev_seal(Path({tmp!r}) / 'seal')"],
                       check=True, cwd=ROOT, capture_output=True)
        for round_ in range(args.rounds):
            order = list(variants) if round_ % 2 == 0 else list(reversed(variants))
            for variant in order:
                if args.callgrind:
                    measured = {s: n / 1e6 for s, n in _callgrind(variants[variant], data, args.runs, data).items()}
                else:
                    out = subprocess.run([sys.executable, __file__, "--child", str(variants[variant]), str(data),
                                          "--runs", str(args.runs)], check=True, capture_output=True, text=True,
                                         cwd=tmp)
                    measured = json.loads(out.stdout.strip().splitlines()[-1])
                for stage, value in measured.items():
                    figures[variant][stage].append(value)
            print(f"round {round_ + 1}: load {os.getloadavg()[0]:.1f}", file=sys.stderr)
    print(f"load average at end {os.getloadavg()[0]:.1f}")
    print_variant_table(unit, STAGES, figures, digits=3)


if __name__ == "__main__":
    main()
