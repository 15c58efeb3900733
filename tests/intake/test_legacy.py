"""counter import legacy: the previous system's permits; the residence period continues (art. 13)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from counter.errors import CounterError, PermissionDenied
from counter.intake import legacy
from counter.services import clerks, engine, people
from db import kinds, rebuild
from tests.intake.conftest import citizen_id

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "templates" / "intake" / "legacy-mapping.toml"
HEADER = ["XM", "GMSFHM", "JZDZ", "JZQSRQ", "JZZBH", "KH", "QFRQ", "YXQZ", "LXDH", "HJDZ"]
JI = citizen_id("110101", "19850312", 13)
AYGL = citizen_id("650102", "19900101", 24)
ZHANG = citizen_id("320583", "19800707", 35)


@pytest.fixture
def supervisor(station):
    return clerks.add_clerk(station, "主管乙", "supervisor", "4321")


def _legacy_file(tmp_path, today, name="legacy.csv", extra=()):
    soon = today + timedelta(days=20)  # inside the 30-day extension window
    later = today + timedelta(days=200)
    rows = [HEADER,
            ["𠮷永康", JI, "沈阳市和平区南京北街10号3单元201", "2016-05-20", "LN2016000123", "K2016000123",
             (soon.replace(year=soon.year - 3)).isoformat(), soon.isoformat(), "13800001111", "北京市东城区"],
            ["阿依古丽·买买提", AYGL, "沈阳市和平区中华路5号", "2018/09/01", "LN2018004567", "",
             (later.replace(year=later.year - 2)).strftime("%Y/%m/%d"), later.strftime("%Y/%m/%d"), "", ""],
            ["张伟", ZHANG, "沈阳市和平区太原街8号", "20120310", "LN2012000777", "", "", "20240310", "", ""],
            *extra]
    path = tmp_path / name
    with open(path, "w", encoding="gb18030", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _journal(station) -> int:
    return station.db.conn.execute("SELECT count(*) FROM journal").fetchone()[0]


def _counter(*args, data_dir, stdin=None):
    return subprocess.run([sys.executable, "-m", "counter", *args, "--data-dir", str(data_dir)],
                          capture_output=True, text=True, input=stdin, timeout=300)


def test_the_residence_period_continues_and_the_permit_extends_at_the_window(station, clerk, supervisor, today,
                                                                             tmp_path):
    path = _legacy_file(tmp_path, today)
    review = legacy.review(station, path, legacy.load_mapping(MAPPING))
    assert review.encoding == "GB18030" and not review.rejects and review.total == 3
    result = legacy.record(station, review, supervisor)
    assert result.people == 3 and result.expired == 1  # 张伟's permit ran out in 2024

    ji = people.by_document(station, "citizen_id", JI)
    assert ji.name == "𠮷永康" and ji.resident_since == "2016-05-20" and ji.registration_number
    assert people.by_document(station, "citizen_id", AYGL).name == "阿依古丽·买买提"
    # the certificate states the old date: the residence did not start again at the import
    cert = engine.perform(station, "residence_certificate", {"purpose": "子女入学"}, person_id=ji.person_id,
                          clerk=clerk)
    assert "自2016-05-20起居住于沈阳市和平区南京北街10号3单元201" in "".join(cert.document.body)
    # the permit is on file as collected: extended at the window like any other (art. 13)
    permit = people.current_permit(station, ji.person_id)
    assert permit.status == "issued" and permit.card_number == "K2016000123"
    engine.perform(station, "permit_extend", {"validity_years": "1"}, person_id=ji.person_id, clerk=clerk)
    soon = today + timedelta(days=20)
    assert people.current_permit(station, ji.person_id).valid_until == soon.replace(year=soon.year + 1).isoformat()
    # the extension rules see the old permit's dates: 200 days before expiry the window is not open yet
    aygl = people.by_document(station, "citizen_id", AYGL)
    from counter.errors import ValidationError

    with pytest.raises(ValidationError, match="extension opens on"):
        engine.perform(station, "permit_extend", {"validity_years": "1"}, person_id=aygl.person_id, clerk=clerk)

    # the entries keep the source row, resident_since and valid_until
    rows = station.db.conn.execute("SELECT kind, payload FROM journal WHERE kind IN (?, ?, ?) ORDER BY seq",
                                   (kinds.LEGACY_PERSON_IMPORTED, kinds.LEGACY_PERMIT_IMPORTED,
                                    kinds.RESIDENCE_STARTED)).fetchall()
    persons = [json.loads(p) for k, p in rows if k == kinds.LEGACY_PERSON_IMPORTED]
    permits = [json.loads(p) for k, p in rows if k == kinds.LEGACY_PERMIT_IMPORTED]
    assert [p["source_row"] for p in persons] == [2, 3, 4] == [p["source_row"] for p in permits]
    assert persons[2]["resident_since"] == "2012-03-10" and permits[2]["valid_until"] == "2024-03-10"
    starts = [json.loads(p) for k, p in rows if k == kinds.RESIDENCE_STARTED]
    assert {(s["started_on"], s["via"]) for s in starts} >= {("2016-05-20", "import"), ("2012-03-10", "import")}
    # projections are a pure function of the journal
    before = rebuild.checksum(station.db)
    rebuild.rebuild(station.db)
    assert rebuild.checksum(station.db) == before


def test_reimporting_the_same_file_is_refused(station, supervisor, today, tmp_path):
    path = _legacy_file(tmp_path, today)
    legacy.record(station, legacy.review(station, path, legacy.load_mapping(MAPPING)), supervisor)
    before = _journal(station)
    with pytest.raises(CounterError, match="was already imported on"):
        legacy.review(station, path, legacy.load_mapping(MAPPING))
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(path.read_bytes())  # the same bytes under another name: the same file
    with pytest.raises(CounterError, match="was already imported"):
        legacy.review(station, copy, legacy.load_mapping(MAPPING))
    assert _journal(station) == before


def test_bad_rows_are_rejected_by_row_and_people_on_file_are_not_imported_twice(station, supervisor, today,
                                                                                tmp_path):
    first = _legacy_file(tmp_path, today)
    legacy.record(station, legacy.review(station, first, legacy.load_mapping(MAPPING)), supervisor)
    other = citizen_id("440305", "19920202", 57)
    second = _legacy_file(tmp_path, today, "second.csv", extra=[
        ["李娜", other, "沈阳市和平区", "2030-01-01", "LN2020000001", "", "", "2031-01-01", "", ""],
        ["李娜", other[:-1] + ("0" if other[-1] != "0" else "1"), "沈阳市和平区", "2020-01-01", "LN2020000002", "", "",
         "2027-01-01", "", ""]])
    review = legacy.review(station, second, legacy.load_mapping(MAPPING))
    assert [n for n, _ in review.rejects] == [2, 3, 4, 5, 6]  # three on file, a future date, a wrong check digit
    with pytest.raises(CounterError, match="rows are rejected; nothing was recorded"):
        legacy.record(station, review, supervisor)


def test_the_cli_needs_a_supervisor_and_a_dry_run_writes_nothing(station, clerk, supervisor, today, tmp_path):
    path = _legacy_file(tmp_path, today)
    before = _journal(station)
    out = _counter("import", "legacy", str(path), "--mapping", str(MAPPING), "--dry-run", data_dir=station.data_dir)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "编码：GB18030" and "试运行，未记录任何内容" in out.stdout
    assert _journal(station) == before
    out = _counter("import", "legacy", str(path), "--mapping", str(MAPPING), "--lang", "en",
                   data_dir=station.data_dir)
    assert out.returncode == 2 and "needs a supervisor's approval" in out.stderr
    out = _counter("import", "legacy", str(path), "--mapping", str(MAPPING), "--supervisor", "柜员甲",
                   "--pin-stdin", data_dir=station.data_dir, stdin="1234\n")
    assert out.returncode != 0 and "not a supervisor" in out.stderr
    out = _counter("import", "legacy", str(path), "--mapping", str(MAPPING), "--supervisor", "主管乙",
                   "--pin-stdin", data_dir=station.data_dir, stdin="0000\n")
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert station.db.conn.execute("SELECT count(*) FROM legacy_imports").fetchone()[0] == 0
    out = _counter("import", "legacy", str(path), "--mapping", str(MAPPING), "--supervisor", "主管乙",
                   "--pin-stdin", "--json", data_dir=station.data_dir, stdin="4321\n")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["people"] == 3
    approvals = station.db.conn.execute("SELECT payload FROM journal WHERE kind = ?",
                                        (kinds.SUPERVISOR_APPROVED,)).fetchall()
    assert any(json.loads(p)["action"] == "legacy.import" for (p,) in approvals)
    filed = json.loads(station.db.conn.execute("SELECT payload FROM journal WHERE kind = ?",
                                               (kinds.LEGACY_FILE_IMPORTED,)).fetchone()[0])
    assert filed["approved_by"] == supervisor.clerk_id and filed["file_name"] == "legacy.csv"


def test_record_refuses_without_a_supervisor(station, clerk, today, tmp_path):
    review = legacy.review(station, _legacy_file(tmp_path, today), legacy.load_mapping(MAPPING))
    with pytest.raises(PermissionDenied):
        legacy.record(station, review, clerk)


def test_a_mapping_with_a_typo_is_refused_naming_the_key(tmp_path):
    bad = tmp_path / "map.toml"
    bad.write_text('[columns]\nname = "XM"\nid_numbr = "GMSFHM"\n', encoding="utf-8")
    with pytest.raises(CounterError, match="id_numbr is not a field"):
        legacy.load_mapping(bad)


def test_the_shipped_sample_passes_its_dry_run(station, today):
    review = legacy.review(station, ROOT / "templates" / "intake" / "legacy-sample.csv", legacy.load_mapping(MAPPING))
    assert review.encoding == "GB18030" and not review.rejects
    assert [r.name for r in review.rows][:2] == ["𠮷永康", "阿依古丽·买买提"]


def test_a_void_at_the_window_keeps_the_imported_file_and_permit(station, clerk, supervisor, today, tmp_path):
    """A void re-derives the person's file from the entries before it: the legacy entries are among them."""
    from counter.services import amendments

    legacy.record(station, legacy.review(station, _legacy_file(tmp_path, today), legacy.load_mapping(MAPPING)),
                  supervisor)
    ji = people.by_document(station, "citizen_id", JI)
    before = people.current_permit(station, ji.person_id)
    out = engine.perform(station, "permit_extend", {"validity_years": "1"}, person_id=ji.person_id, clerk=clerk)
    amendments.void(station, out.entry.seq, "录入错误", clerk=clerk, supervisor=supervisor)
    after = people.current_permit(station, ji.person_id)
    assert after is not None and (after.permit_id, after.status, after.valid_until, after.card_number) == (
        before.permit_id, "issued", before.valid_until, "K2016000123")
    ji = people.get(station, ji.person_id)
    assert ji.resident_since == "2016-05-20" and ji.current_address == "沈阳市和平区南京北街10号3单元201"
    checksum = rebuild.checksum(station.db)
    rebuild.rebuild(station.db)
    assert rebuild.checksum(station.db) == checksum


def test_an_xlsx_export_with_real_date_cells(station, supervisor, today, tmp_path):
    from datetime import datetime

    from tests.intake.conftest import write_xlsx

    until = today + timedelta(days=400)
    path = write_xlsx(tmp_path / "legacy.xlsx", HEADER, [
        ["𠮷永康", JI, "沈阳市和平区南京北街10号", datetime(2015, 4, 1), "LN2015000001", None, None,
         datetime(until.year, until.month, until.day), None, None]])
    review = legacy.review(station, path, legacy.load_mapping(MAPPING))
    assert review.encoding == "xlsx" and not review.rejects
    legacy.record(station, review, supervisor)
    ji = people.by_document(station, "citizen_id", JI)
    permit = people.current_permit(station, ji.person_id)
    assert ji.resident_since == "2015-04-01" and permit.valid_until == until.isoformat()
    assert permit.card_number == "LN2015000001"  # no card number column value: the permit number
