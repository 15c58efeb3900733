"""Printing benchmark: receipt and certificate render time, PDF size, each against a same-run baseline.

Run from the repo root:  python3 tests/bench/printing.py [--runs N]
Goals: receipt render < 150 ms, certificate render < 150 ms, certificate PDF < 150 KB.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from printing.documents import Certificate, Receipt  # noqa: E402

NAME = "\U00020BB7田阿依古丽·买买提"
PAYLOAD = "CNTR1:" + "6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEXWK G2EP4J0BGJLFX3R3VHXK.PJ:2DPF6R:5SVBHABVCNN95SWMPHQUHQN%A0SOE+QQAB-HQ/HQ7IR.SQEEOK9SO"


def sample_receipt() -> Receipt:
    return Receipt(
        service="permit_apply", service_name="居住证申领", title="居住证申领受理回执", office="和平区政务服务中心",
        station_id="DEMO-01",
        clerk_name="王小明", issued_at="2026-11-21 10:32", applicant_name=NAME, masked_id="210102********1241",
        number="A20261121-0001", next_steps="请于 2026-12-12 起凭本回执和身份证到本窗口领取居住证。",
        collection_date="2026-12-12", entitlements=["社会保险", "公共租赁住房", "机动车驾驶证", "子女入学", "法律援助", "开具证明"],
        verification=PAYLOAD,
    )


def sample_certificate() -> Certificate:
    return Certificate(
        kind="residence_certificate", title="居住证明", number="C20261121-0001", subject_name=NAME,
        subject_id_number="210102199003071241", subject_sex="女", subject_birth_date="1990-03-07",
        office="和平区政务服务中心", station_id="DEMO-01", issue_date="2026-11-21", valid_until="2027-05-21",
        verification=PAYLOAD,
    )


def baseline_receipt() -> bytes:
    """A plain ASCII receipt of the same shape through python-escpos' own path (MagicEncode)."""
    from escpos.printer import Dummy

    d = Dummy()
    d.set(align="center", double_height=True, double_width=True, bold=True)
    d.textln("RESIDENCE PERMIT RECEIPT")
    d.set_with_default()
    for line in ("Office: Heping service hall", "Service: permit apply", "Number: A20261121-0001",
                 "Applicant: JI TIAN AYGUL", "ID: 210102********1241", "Collect: 2026-12-12",
                 "Fee: 0.00 free", "Station: DEMO-01", "Clerk: WANG", "Time: 2026-11-21 10:32"):
        d.textln(line)
    for item in ("social insurance", "public rental housing", "driving licence", "schooling", "legal aid",
                 "certificates"):
        d.textln("- " + item)
    d.qr(PAYLOAD, native=True, size=6)
    d.cut()
    return d.output


def baseline_pdf() -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    c = Canvas(buf, invariant=1)
    c.drawString(72, 720, "Residence certificate C20261121-0001")
    c.save()
    return buf.getvalue()


def timed(fn, runs: int) -> tuple[float, float, object]:
    """(first call ms, median ms of the next `runs` calls, result)"""
    t0 = time.perf_counter()
    result = fn()
    first = (time.perf_counter() - t0) * 1000
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return first, statistics.median(samples), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    from printing.certificate import render_certificate
    from printing.models import load_model
    from printing.receipt import render_receipt

    receipt, cert = sample_receipt(), sample_certificate()
    rows = []
    base_first, base_ms, base_bytes = timed(baseline_receipt, args.runs)
    for model in ("generic-80", "generic-58", "big5-80"):
        profile = load_model(model)
        first, ms, data = timed(lambda p=profile: render_receipt(receipt, p), args.runs)
        rows.append((f"receipt render ({model}, 𠮷 as raster)", ms, base_ms, "ms", first, len(data)))
    cbase_first, cbase_ms, cbase_bytes = timed(baseline_pdf, args.runs)
    cfirst, cms, pdf_bytes = timed(lambda: render_certificate(cert), args.runs)
    rows.append(("certificate render (A4, 𠮷 fallback, QR)", cms, cbase_ms, "ms", cfirst, len(pdf_bytes)))
    rows.append(("certificate PDF size", len(pdf_bytes) / 1024, len(cbase_bytes) / 1024, "KB", None, None))

    print(f"runs per figure: {args.runs} (median); baseline = plain ASCII receipt via python-escpos MagicEncode"
          " / one-line reportlab Helvetica PDF")
    print(f"{'figure':<44} {'ours':>10} {'baseline':>10} {'ratio':>8}   first call   output")
    for name, ours, base, unit, first, size in rows:
        first_s = f"{first:8.1f} ms" if first is not None else " " * 11
        size_s = f"{size} B" if size is not None else ""
        print(f"{name:<44} {ours:7.2f} {unit:<2} {base:7.2f} {unit:<2} {ours / base:7.1f}x   {first_s}   {size_s}")
    print(f"baseline receipt: {len(base_bytes)} B; first call {base_first:.1f} ms. "
          f"baseline PDF first call {cbase_first:.1f} ms")
    goals = {"receipt < 150 ms": rows[0][1] < 150, "certificate < 150 ms": cms < 150,
             "PDF < 150 KB": len(pdf_bytes) < 150 * 1024}
    print("goals: " + ", ".join(f"{k}: {'met' if v else 'NOT met'}" for k, v in goals.items()))


if __name__ == "__main__":
    main()
