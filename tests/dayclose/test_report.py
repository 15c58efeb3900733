"""The daily report PDF: embedded CJK fonts, extractable text (𠮷 included), charts, same bytes twice."""

from __future__ import annotations

import subprocess

from counter.services import dayclose
from printing.report import DayReport, render_day_report
from tests.dayclose.conftest import PAST_DAY
from tests.dayclose.seed import SUPERVISOR, seed_day


def sample() -> DayReport:
    return DayReport(
        station_id="HP-01", office="和平区政务服务中心", district="210102", business_day="2026-11-18",
        closed=True, closed_by="王𠮷", closed_at="2026-11-18 17:45", entries=130, transactions=42,
        by_service=[("居住登记", 20), ("居住证申领", 15), ("生存证明", 7)],
        by_hour=[0] * 8 + [3, 6, 9, 5, 2, 7, 6, 4] + [0] * 8,
        by_clerk=[("阿依古丽·买买提", 30), ("李䶮", 12)], receipts_printed=40, receipts_reprinted=2,
        print_jobs_failed=1, late_registrations=3, unsynced_entries=17, permits_expiring_30d=None,
        warnings=["17 条日志尚未同步到上级 entries not yet synced to headquarters"], footer="counter 0.1.0")


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_report_embeds_its_fonts_and_keeps_every_character(tmp_path):
    path = tmp_path / "r.pdf"
    path.write_bytes(render_day_report(sample()))
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(" yes yes yes " in r for r in rows), fonts
    assert "Helvetica" not in fonts and "STSong" not in fonts
    text = pdf_text(path)
    for needle in ("日终对账报告", "王𠮷", "阿依古丽·买买提", "李䶮", "居住证申领", "Transactions by hour",
                   "Transactions by service", "未同步", "2026-11-18", "HP-01"):
        assert needle in text, needle
    assert "₻" not in text  # the broken ToUnicode mapping of 𠮷


def test_report_is_deterministic_and_has_chart_labels(tmp_path):
    one, two = render_day_report(sample()), render_day_report(sample())
    assert one == two
    other = render_day_report(DayReport(**{**sample().__dict__, "transactions": 43}))
    assert other != one
    path = tmp_path / "r.pdf"
    path.write_bytes(one)
    text = pdf_text(path)
    # hour axis labels of the bar chart
    assert all(f"{h:02d}" in text for h in (0, 8, 12, 23))


def test_station_report_marks_an_open_day_as_draft(station, tmp_path):
    seed_day(station, PAST_DAY, 3)
    path = tmp_path / "open.pdf"
    path.write_bytes(dayclose.render_report(station, PAST_DAY))
    assert "NOT CLOSED (draft)" in pdf_text(path)
    dayclose.close_day(station, PAST_DAY, *SUPERVISOR)
    path.write_bytes(dayclose.render_report(station, PAST_DAY))
    text = pdf_text(path)
    assert "已日结 Closed" in text and SUPERVISOR[0] in text and "居住" in text
