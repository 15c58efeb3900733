"""counter house|entity|registration as a user types them: registers, window reports, the overdue list,
rosters as PDFs (checked with poppler: text with 𠮷 and ·, masked IDs, 0600) and the departure."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from datetime import timedelta

import pytest

from counter.services import engine
from tests.conftest import run_cli
from tests.houses.conftest import EMPLOYER, HOUSE, citizen_id

JI = citizen_id("110105", "19900101", 21)
AYI = citizen_id("650102", "19950505", 22)


@pytest.fixture
def data_dir(registers):
    today = engine.business_date(registers)
    registers.close()
    return registers.data_dir, today


def cli(data_dir, *args, input=None):
    return run_cli(*args, "--data-dir", str(data_dir), input=input)


def test_registers_reports_overdue_and_the_house_roster_pdf(data_dir, tmp_path):
    d, today = data_dir
    bad = cli(d, "entity", "add", EMPLOYER[:-1] + ("0" if EMPLOYER[-1] != "0" else "1"), "--type", "employer",
              "--name", "某公司", "--contact", "张", "--phone", "13800000000", "--address", "沈阳")
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "check character" in bad.stderr
    dup = cli(d, "house", "add", HOUSE.lower(), "--address", "x", "--manager", "nobody")
    assert dup.returncode == 1 and "not on file" in dup.stderr
    listed = cli(d, "house", "list", "--find", "沈阳市和平区南京", "--json")
    assert [h["house_code"] for h in json.loads(listed.stdout)] == [HOUSE]
    late_day = (today - timedelta(days=8)).isoformat()
    r = cli(d, "house", "report", HOUSE, "--type", "move_in", "--person", f"{JI}:𠮷永康:{late_day}",
            "--person", f"{AYI}:阿依古丽·买买提:{today.isoformat()}")
    assert r.returncode == 0, r.stderr
    assert "2 rows, 1 late" in r.stdout
    r = cli(d, "house", "report", HOUSE, "--type", "move_out", "--person", f"{AYI}:阿依古丽·买买提:{today.isoformat()}")
    assert r.returncode == 0, r.stderr
    again = cli(d, "house", "report", HOUSE, "--type", "move_out", "--person",
                f"{AYI}:阿依古丽·买买提:{today.isoformat()}")
    assert again.returncode == 1 and "row 1:" in again.stderr and "nothing was recorded" in again.stderr
    assert AYI not in again.stderr
    overdue = cli(d, "entity", "overdue", "--json")
    assert [(o["reporter_code"], o["late_rows"]) for o in json.loads(overdue.stdout)] == [(HOUSE, 1)]
    # art. 22's time limit is policy (15 days by default): counted from the latest late report
    assert json.loads(overdue.stdout)[0]["correct_by"] == (today + timedelta(days=15)).isoformat()
    text = cli(d, "house", "roster", HOUSE)
    assert text.returncode == 0 and "𠮷永康" in text.stdout and JI not in text.stdout and JI[:6] in text.stdout
    as_dir = cli(d, "house", "roster", HOUSE, "--out", str(tmp_path))
    assert as_dir.returncode == 2 and "is a directory" in as_dir.stderr
    out = tmp_path / "rosters" / "house.pdf"
    out.parent.mkdir(mode=0o700)
    r = cli(d, "house", "roster", HOUSE, "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "poppler-utils is needed"
    body = subprocess.run([pdftotext, "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "一户一册" in body and HOUSE in body
    assert "𠮷永康" in body and "阿依古丽·买买提" in body
    assert JI not in body and AYI not in body and f"{JI[:6]}********{JI[-4:]}" in body
    assert "房东李" in body  # the landlord
    assert late_day in body and "申报搬离" in body
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    assert "Helvetica" not in fonts and all(" yes " in line for line in fonts.splitlines()[2:])
    shown = cli(d, "house", "show", HOUSE, "--json")
    assert json.loads(shown.stdout)["occupants_now"] == 1 and json.loads(shown.stdout)["manager"] == "房东李"
    from counter.station import Station

    st = Station.open(d)
    opened = st.db.conn.execute("SELECT json_extract(payload, '$.purpose') FROM journal WHERE kind = 'record.opened'"
                                " AND json_extract(payload, '$.record_id') = ? ORDER BY seq", (HOUSE,)).fetchall()
    st.close()
    assert [r[0] for r in opened] == ["roster", "roster_pdf", "show"]


def test_entity_commands_and_a_departure_with_its_receipt(data_dir):
    d, today = data_dir
    shown = cli(d, "entity", "show", EMPLOYER.lower(), "--json")
    assert json.loads(shown.stdout)["name"] == "沈阳和平建筑有限公司"
    r = cli(d, "entity", "report", EMPLOYER, "--type", "hired", "--person", f"{JI}:𠮷永康:{today.isoformat()}")
    assert r.returncode == 0, r.stderr
    wrong = cli(d, "entity", "report", EMPLOYER, "--type", "guest_in", "--person", f"{JI}:𠮷永康:{today.isoformat()}")
    assert wrong.returncode == 1 and "hired / left" in wrong.stderr
    roster = cli(d, "entity", "roster", EMPLOYER, "--json")
    assert json.loads(roster.stdout)["current"][0][0] == "𠮷永康"
    end = cli(d, "registration", "end", JI, "--clerk", "柜员甲", "--reason", "left_district", "--pin-stdin",
              "--no-print", "--json", input="1234\n")
    assert end.returncode == 0, end.stderr
    assert json.loads(end.stdout)["service"] == "registration_end"
    roster = json.loads(cli(d, "entity", "roster", EMPLOYER, "--json").stdout)
    assert roster["current"] == [] and "离开本辖区" in roster["past"][0][3]
    bad = cli(d, "registration", "end", JI, "--clerk", "柜员甲", "--reason", "vanished", "--pin-stdin", input="1234\n")
    assert bad.returncode == 2 and "moved_away or left_district" in bad.stderr


def test_house_add_by_the_landlords_id_number_update_and_list(data_dir):
    d, _today = data_dir
    landlord_id = citizen_id("210202", "19700101", 11)
    r = cli(d, "house", "add", "hp-𠮷01", "--address", "x", "--manager", landlord_id)
    assert r.returncode == 1 and "house code" in r.stderr and r.stderr.count("\n") == 1
    r = cli(d, "house", "add", "hp-0200", "--address", "沈阳市和平区𠮷祥里2号", "--manager", landlord_id, "--type",
            "dormitory", "--capacity", "12")
    assert r.returncode == 0, r.stderr
    assert "HP-0200 registered" in r.stdout and landlord_id not in r.stdout + r.stderr
    again = cli(d, "house", "add", "HP-0200", "--address", "y", "--manager", landlord_id)
    assert again.returncode == 1 and "already registered" in again.stderr
    bad_type = cli(d, "house", "add", "HP-0201", "--address", "y", "--manager", landlord_id, "--type", "castle")
    assert bad_type.returncode == 1 and "rental, dormitory" in bad_type.stderr
    upd = cli(d, "house", "update", "HP-0200", "--capacity", "20")
    assert upd.returncode == 0, upd.stderr
    shown = json.loads(cli(d, "house", "show", "HP-0200", "--json").stdout)
    assert (shown["capacity"], shown["address"], shown["house_type"]) == (20, "沈阳市和平区𠮷祥里2号", "dormitory")
    assert shown["manager_id"] == f"{landlord_id[:6]}********{landlord_id[-4:]}"
    nothing = cli(d, "house", "update", "HP-0200")
    assert nothing.returncode == 1 and "nothing to change" in nothing.stderr
    listed = cli(d, "house", "list", "--find", "𠮷祥")
    assert "HP-0200" in listed.stdout and "0/20" in listed.stdout
    entities = cli(d, "entity", "list")
    assert EMPLOYER in entities.stdout and "4 entities" in entities.stderr


def test_house_and_entity_commands_share_their_option_declarations():
    """One declaration each for what `house` and `entity` report/roster/show take (review: no repeats)."""
    from typing import get_type_hints

    from counter.cli import houses as cli

    def hints(fn):
        return get_type_hints(fn, include_extras=True)

    for fn in (cli.house_roster, cli.entity_roster):
        assert hints(fn)["out"] is cli.RosterOut
    for fn, code, kind in ((cli.house_report, cli.HouseCode, cli.HouseReportType),
                           (cli.entity_report, cli.CreditCode, cli.EntityReportType)):
        assert hints(fn)["code"] is code and hints(fn)["report_type"] is kind and hints(fn)["persons"] is cli.PersonRows
    for fn in (cli.house_update, cli.house_show, cli.house_roster):
        assert hints(fn)["code"] is cli.HouseCode
    for fn in (cli.entity_show, cli.entity_roster):
        assert hints(fn)["code"] is cli.CreditCode
    out = run_cli("entity", "roster", "--help")
    assert out.returncode == 0 and "write the roster PDF here, 0600" in out.stdout and "the credit code" in out.stdout
