"""Bulk intake of a 5,000-row report: validate and record, against the same rows recorded one by one.

    python tests/bench/intake.py [ROWS]

Two fresh stations with the same employer on file. On the first, `counter report import`'s path
(counter.intake.report.review + record: every row checked, then one transaction) takes a 5,000-row
xlsx. On the second, the same rows go one by one through the service engine's report filing
(`reports.file_report` with one row each, as a clerk at the window would file them). Printed: wall
time and journal entries per second of each, and the ratio.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from counter.intake import report  # noqa: E402
from counter.services import clerks, engine, houses, reports  # noqa: E402
from counter.station import Station  # noqa: E402
from tests.houses.conftest import EMPLOYER  # noqa: E402
from tests.intake.conftest import HEADER_ZH, hired_rows, write_xlsx  # noqa: E402


def _station(path: Path):
    st = Station.init(path, "B-01", "210102", "基准测试服务中心")
    clerk = clerks.add_clerk(st, "柜员甲", "clerk", "1234")
    houses.add_entity(st, clerk.clerk_id, entity_code=EMPLOYER, entity_type="employer", name="沈阳和平建筑有限公司",
                      contact_name="联系人", contact_phone="024-23456789", address="沈阳市和平区中华路5号")
    return st, clerk


def _entries(st) -> int:
    return st.db.conn.execute("SELECT count(*) FROM journal").fetchone()[0]


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        bulk, clerk = _station(tmp / "bulk")
        today = engine.business_date(bulk)
        data = hired_rows(n, today - timedelta(days=2))
        data[0][0], data[1][0] = "𠮷永康", "阿依古丽·买买提"
        path = write_xlsx(tmp / "hired.xlsx", HEADER_ZH, data)
        size_kib = path.stat().st_size // 1024

        before = _entries(bulk)
        t0 = time.perf_counter()
        review = report.review(bulk, path, reporter_kind="entity", reporter_code=EMPLOYER)
        t1 = time.perf_counter()
        assert review.ok, review.rejects[:3]
        report.record(bulk, clerk.clerk_id, review)
        t2 = time.perf_counter()
        bulk_entries = _entries(bulk) - before

        single, clerk2 = _station(tmp / "single")
        before = _entries(single)
        t3 = time.perf_counter()
        for r in review.rows:
            reports.file_report(single, clerk2.clerk_id, reporter_kind="entity", reporter_code=EMPLOYER,
                                report_type="hired", rows=[r])
        t4 = time.perf_counter()
        single_entries = _entries(single) - before
        bulk.close()
        single.close()

    bulk_s, single_s = t2 - t0, t4 - t3
    print(f"rows: {n} (xlsx, {size_kib} KiB)")
    print(f"bulk import (validate + record): {bulk_s:.2f} s  (validate {t1 - t0:.2f} s, record {t2 - t1:.2f} s),"
          f" {bulk_entries} entries, {bulk_entries / bulk_s:.0f} entries/s")
    print(f"one by one (file_report per row): {single_s:.2f} s, {single_entries} entries,"
          f" {single_entries / single_s:.0f} entries/s")
    print(f"ratio: bulk is {single_s / bulk_s:.1f}x faster than one by one")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
