"""counter report import: every row checked, the rejects in one table by row number, all or nothing."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from counter.intake import report
from counter.services import reports
from db import kinds
from tests.intake.conftest import EMPLOYER, HEADER_ZH, hired_rows, person, write_csv, write_xlsx


def _journal(station) -> int:
    return station.db.conn.execute("SELECT count(*) FROM journal").fetchone()[0]


def _counter(*args, data_dir, stdin=None):
    return subprocess.run([sys.executable, "-m", "counter", *args, "--data-dir", str(data_dir)],
                          capture_output=True, text=True, input=stdin, timeout=300)


def _bad_rows(today, resident):
    """17 rows each wrong in its own way: (index in the data, how to spoil the row)."""
    future = (today + timedelta(days=2)).isoformat()

    def check_char(r):
        r[1] = r[1][:-1] + ("0" if r[1][-1] != "0" else "1")

    spoil = [
        check_char,
        lambda r: r.__setitem__(1, r[1][:17]),                       # 17 characters
        lambda r: r.__setitem__(1, "999999" + r[1][6:]),             # no such area code
        lambda r: r.__setitem__(0, ""),                              # no name
        lambda r: r.__setitem__(0, "张伟2"),                         # a digit in the name
        lambda r: r.__setitem__(0, "·张伟"),                         # · at the start
        lambda r: r.__setitem__(0, "张\u202e伟"),                    # a bidi control
        lambda r: r.__setitem__(2, "2024-13-01"),                    # no such month
        lambda r: r.__setitem__(2, "明天"),                          # not a date
        lambda r: r.__setitem__(2, future),                          # after the report
        lambda r: r.__setitem__(2, ""),                              # no date
        lambda r: r.__setitem__(3, "离职"),                          # another report type
        lambda r: r.__setitem__(3, "出差"),                          # not a report type
        lambda r: r.__setitem__(5, "电话13800"),                     # not a phone
        lambda r: r.__setitem__(1, "110101" + "20991301" + r[1][14:]),  # no such birth date
        lambda r: r.__setitem__(1, resident),                        # already resident there (database)
        None,                                                        # the same person twice: set below
    ]
    return spoil


def _five_thousand(today, resident):
    data = hired_rows(5000, today - timedelta(days=2))
    bad_index = [37 + i * 293 for i in range(17)]
    for i, spoil in zip(bad_index, _bad_rows(today, resident), strict=True):
        if spoil is None:
            data[i][1] = data[i - 1][1]
        else:
            spoil(data[i])
    return data, [i + 2 for i in bad_index]  # the header is row 1


@pytest.fixture
def resident(registers, clerk, today):
    name, id_number = person(90_000)
    reports.file_report(registers, clerk.clerk_id, reporter_kind="entity", reporter_code=EMPLOYER,
                        report_type="hired", rows=[reports.ReportRow(1, "citizen_id", id_number, name,
                                                                     today, None, None)])
    return id_number


def test_five_thousand_rows_with_17_bad_each_rejected_by_row_and_nothing_recorded(registers, resident, today,
                                                                                    tmp_path):
    data, bad = _five_thousand(today, resident)
    path = write_xlsx(tmp_path / "hired.xlsx", HEADER_ZH, data)
    before = _journal(registers)
    out = _counter("report", "import", str(path), "--entity", EMPLOYER, "--json", data_dir=registers.data_dir)
    assert out.returncode == 1, out.stderr
    result = json.loads(out.stdout)
    assert result["rows"] == 5000 and result["recorded"] is False and result["encoding"] == "xlsx"
    assert [r["row"] for r in result["rejects"]] == bad
    assert len({r["reason"] for r in result["rejects"]}) >= 15  # each says its own reason
    assert _journal(registers) == before
    text = _counter("report", "import", str(path), "--entity", EMPLOYER, data_dir=registers.data_dir)
    lines = text.stdout.splitlines()
    assert lines[0] == "编码：xlsx" and "17 行被拒绝，未记录任何内容" in lines[2]
    assert lines[3].split() == ["行号", "原因"] and [int(line.split()[0]) for line in lines[4:]] == bad
    assert resident not in text.stdout and resident[:6] + "********" + resident[-4:] in text.stdout
    assert _journal(registers) == before


def test_a_gb18030_csv_with_rare_and_minority_names_is_recorded_exactly(registers, clerk, today, tmp_path):
    data = hired_rows(4, today - timedelta(days=9))  # filed 9 days after: late (art. 14)
    data[0][0], data[1][0] = "𠮷永康", "阿依古丽·买买提"
    path = write_csv(tmp_path / "hired.csv", HEADER_ZH, data, "gb18030")
    review = report.review(registers, path, reporter_kind="entity", reporter_code=EMPLOYER)
    assert review.encoding == "GB18030" and review.ok and review.total == 4
    before = _journal(registers)
    result = report.record(registers, clerk.clerk_id, review)
    assert result.rows == 4 and result.late_rows == 4 and result.new_people == 4
    entries = registers.db.conn.execute("SELECT kind, payload FROM journal WHERE seq > ? ORDER BY seq",
                                        (before,)).fetchall()
    assert [k for k, _ in entries].count(kinds.REPORT_FILED) == 1 and len(entries) == 1 + 4 * 2
    filed = json.loads(entries[0][1])
    import hashlib

    assert filed["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert filed["file_name"] == "hired.csv" and filed["source"] == "file"
    names = {r[0] for r in registers.db.conn.execute("SELECT name FROM persons")}
    assert {"𠮷永康", "阿依古丽·买买提"} <= names
    # the same file again (under another name too) is refused before any row is read
    again = tmp_path / "again.csv"
    again.write_bytes(path.read_bytes())
    from counter.errors import CounterError

    with pytest.raises(CounterError, match="was already filed as report"):
        report.review(registers, again, reporter_kind="entity", reporter_code=EMPLOYER)


def test_dry_run_writes_nothing(registers, today, tmp_path):
    path = write_csv(tmp_path / "hired.csv", HEADER_ZH, hired_rows(20, today), "utf-8-sig")
    before = _journal(registers)
    out = _counter("report", "import", str(path), "--entity", EMPLOYER, "--dry-run", "--lang", "en",
                   data_dir=registers.data_dir)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "encoding: UTF-8 (BOM)"
    assert "all 20 rows pass; dry run: nothing was recorded" in out.stdout
    assert _journal(registers) == before


def test_an_unknown_entity_and_an_undecidable_file_are_one_line(registers, tmp_path, today):
    path = write_csv(tmp_path / "hired.csv", HEADER_ZH, hired_rows(2, today))
    out = _counter("report", "import", str(path), "--entity", "91210102MA0QC00000", "--lang", "en",
                   data_dir=registers.data_dir)
    assert out.returncode != 0 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    bad = tmp_path / "big5.csv"
    bad.write_bytes("姓名,身分證號碼\n張偉臺北市,1\n".encode("big5"))
    out = _counter("report", "import", str(bad), "--entity", EMPLOYER, data_dir=registers.data_dir)
    assert out.returncode == 2 and out.stderr.startswith("error: ") and out.stderr.count("\n") == 1


def test_killed_while_recording_leaves_nothing(registers, today, tmp_path):
    path = write_csv(tmp_path / "hired.csv", HEADER_ZH, hired_rows(5000, today - timedelta(days=1)))
    before = _journal(registers)
    leader, follower = pty.openpty()  # the progress bar draws only on a terminal: we watch it
    proc = subprocess.Popen([sys.executable, "-m", "counter", "report", "import", str(path), "--entity", EMPLOYER,
                             "--data-dir", str(registers.data_dir), "--lang", "en"],
                            stdout=subprocess.DEVNULL, stderr=follower, stdin=subprocess.DEVNULL)
    os.close(follower)
    seen, deadline = b"", time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            seen += os.read(leader, 4096)
            tail = seen.decode(errors="replace").rsplit("\r", 1)[-1]
            if tail.startswith("recording") and "/5000" in tail and int(tail.split("/5000")[0].split()[-1]) >= 1000:
                break
        else:
            pytest.fail("the recording never showed its progress")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    assert proc.returncode == -signal.SIGKILL
    assert "~" in tail and "s left" in tail  # count and estimate
    assert _journal(registers) == before
    assert registers.db.conn.execute("SELECT count(*) FROM reports").fetchone()[0] == 0
    verify = _counter("journal", "verify", data_dir=registers.data_dir)
    assert verify.returncode == 0, verify.stdout + verify.stderr
