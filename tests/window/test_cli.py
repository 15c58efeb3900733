"""`counter service perform|list` and `counter day close --through`, run as IT runs them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from counter.services import clerks, engine
from counter.station import Station
from db import journal
from db.entry import Entry
from tests.conftest import REPO, cli_env, run_cli
from tests.window.conftest import AYIGULI, MUELLER, YONGKANG, ZHANGWEI, at


@pytest.fixture
def data_dir(tmp_path):
    st = Station.init(tmp_path / "station", "HP-01", "210102", "和平区政务服务中心", printer={"kind": "simulated"})
    clerks.add_clerk(st, "李娜", "clerk", "1234")
    clerks.add_clerk(st, "王芳", "supervisor", "4321")
    st.close()
    return tmp_path / "station"


def perform(data_dir, service, values: dict, *extra: str, pin: str = "1234\n", strict: bool = False):
    """The service's own fields of `values` as --set (all of them with strict)."""
    from counter.forms import spec as form_specs

    spec = form_specs.catalogue().specs.get(service)
    sets = [a for k, v in values.items() if strict or spec is None or k in spec.fields
            for a in ("--set", f"{k}={v}")]
    return run_cli("service", "perform", service, "--clerk", "李娜", "--pin-stdin", "--data-dir", str(data_dir),
                   *sets, *extra, input=pin)


def _journal(data_dir) -> list[Entry]:
    st = Station.open(data_dir)
    try:
        return list(journal.entries(st.db))
    finally:
        st.close()


def test_perform_records_the_service_with_the_clerk_prints_and_answers_json(data_dir):
    out = perform(data_dir, "residence_registration", {**AYIGULI, "phone": "13812345678"}, "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["service"] == "residence_registration" and result["clerk"] == "李娜"
    assert result["print"]["printed"] is True and result["masked_id"] == "650102********0021"
    assert "650102199206070021" not in out.stdout  # the full ID number is not in the output
    entries = _journal(data_dir)
    kinds = [e.kind for e in entries]
    assert "session.signed_in" in kinds and "session.signed_out" in kinds and "print.printed" in kinds
    service = next(e for e in entries if e.kind == "service.residence_registration")
    clerk_id = next(e for e in entries if e.kind == "session.signed_in").clerk_id
    assert service.clerk_id == clerk_id and service.data["number"] == result["number"]
    assert service.data["name"] == "阿依古丽·买买提"


def test_the_same_engine_refuses_a_foreigners_permit_with_the_offer(data_dir):
    out = perform(data_dir, "permit_apply", MUELLER)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.count("\n") == 1 and "art. 25" in out.stderr
    assert "offered instead: accommodation_registration" in out.stderr
    assert not [e for e in _journal(data_dir) if e.kind.startswith("service.")]


def test_a_local_resident_is_told_why(data_dir):
    out = perform(data_dir, "residence_registration", YONGKANG)
    assert out.returncode == 1 and "in this district" in out.stderr and "art. 8" in out.stderr
    assert "offered instead" not in out.stderr


def test_validation_errors_name_the_field(data_dir):
    out = perform(data_dir, "residence_registration", {**ZHANGWEI, "arrival_date": "2026-02-30", "phone": "12345"})
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert "error: field arrival_date: 2026-02-30 is not a real date" in lines
    assert any(line.startswith("error: field phone:") for line in lines)
    bad = perform(data_dir, "residence_registration", {"colour": "blue"}, strict=True)
    assert bad.returncode == 2 and "has no field 'colour'" in bad.stderr
    unknown = run_cli("service", "perform", "visa_apply", "--clerk", "李娜", "--pin-stdin", "--data-dir",
                      str(data_dir), input="1234\n")
    assert unknown.returncode == 2 and "no service 'visa_apply'" in unknown.stderr


def test_a_wrong_pin_records_nothing(data_dir):
    out = perform(data_dir, "residence_registration", ZHANGWEI, pin="9999\n")
    assert out.returncode != 0 and "PIN" in out.stderr and "Traceback" not in out.stderr
    assert not [e for e in _journal(data_dir) if e.kind.startswith("service.")]


def test_a_person_on_file_by_id_number_and_the_opening_is_journaled(data_dir):
    assert perform(data_dir, "residence_registration", AYIGULI).returncode == 0
    out = perform(data_dir, "permit_apply", {"validity_years": "2"}, "--person", AYIGULI["id_number"], "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["derived"]["valid_until"]
    entries = _journal(data_dir)
    opened = [e for e in entries if e.kind == "record.opened"]
    assert opened and opened[-1].data["purpose"] == "service:permit_apply"
    again = perform(data_dir, "permit_apply", {"validity_years": "2"}, "--person", AYIGULI["id_number"])
    assert again.returncode == 1 and "already holds permit" in again.stderr and "permit_extend" in again.stderr
    same = perform(data_dir, "change_address", {"new_address": AYIGULI["current_address"], "change_date": "0"},
                   "--person", AYIGULI["id_number"])
    assert same.returncode == 1 and "field new_address" in same.stderr
    nobody = perform(data_dir, "proof_of_life", {}, "--person", "110105194912310021")
    assert nobody.returncode == 1 and "no person on file" in nobody.stderr


def test_a_supervisor_service_needs_the_supervisors_pin(data_dir):
    assert perform(data_dir, "residence_registration", AYIGULI).returncode == 0
    missing = perform(data_dir, "name_correction", {"new_name": "阿依古丽·𠮷买提", "reason": "录入错误"},
                      "--person", AYIGULI["id_number"])
    assert missing.returncode == 2 and "--supervisor" in missing.stderr
    out = perform(data_dir, "name_correction", {"new_name": "阿依古丽·𠮷买提", "reason": "录入错误"},
                  "--person", AYIGULI["id_number"], "--supervisor", "王芳", "--json", pin="1234\n4321\n")
    assert out.returncode == 0, out.stderr
    entry = next(e for e in _journal(data_dir) if e.kind == "service.name_correction")
    assert entry.data["supervisor_id"] and entry.data["values"]["new_name"] == "阿依古丽·𠮷买提"


def test_service_list_names_every_service_and_its_fields(data_dir):
    out = run_cli("service", "list", "--fields", "--json")
    assert out.returncode == 0, out.stderr
    services = {s["id"]: s for s in json.loads(out.stdout)}
    assert {"accommodation_registration", "residence_registration", "permit_apply"} <= set(services)
    fields = {f["id"]: f for f in services["accommodation_registration"]["fields"]}
    assert fields["arrival_time"]["type"] == "time" and fields["arrival_time"]["required"] is True
    zh = run_cli("service", "list", "--lang", "zh_CN")
    assert "境外人员住宿登记" in zh.stdout


def test_the_service_commands_do_not_import_textual(data_dir):
    code = ("import sys; from counter.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    pass\n"
            "assert 'textual' not in sys.modules, 'textual imported'\n")
    out = subprocess.run([sys.executable, "-c", code, "service", "list"], cwd=REPO, env=cli_env(),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


# --- counter day close --through ------------------------------------------------------------------

def _seed_days(data_dir, days):
    st = Station.open(data_dir)
    clerk = clerks.find_clerk(st, "李娜")
    for i, day in enumerate(days):
        for j in range(i + 1):
            person = {**ZHANGWEI, "id_number": None}
            from counter.domain.citizen_id import check_character

            first17 = f"11010519880314{i}{j}2"
            person["id_number"] = first17 + check_character(first17)
            engine.perform(st, "residence_registration", person, clerk=clerk, now=at(day, f"1{j}:00"))
    st.close()


def test_day_close_through_closes_every_open_day_oldest_first(data_dir):
    days = ["2026-11-16", "2026-11-17", "2026-11-18"]
    _seed_days(data_dir, days)
    d = str(data_dir)
    refused = run_cli("day", "close", "--date", "2026-11-18", "--supervisor", "王芳", "--pin-stdin", "--yes",
                      "--data-dir", d, input="4321\n")
    assert refused.returncode == 2 and "2026-11-16 is still open" in refused.stderr
    both = run_cli("day", "close", "--data-dir", d, "--supervisor", "王芳", "--yes")
    assert both.returncode == 2 and "--through" in both.stderr
    out = run_cli("day", "close", "--through", "2026-11-17", "--supervisor", "王芳", "--pin-stdin", "--yes",
                  "--json", "--data-dir", d, input="4321\n")
    assert out.returncode == 0, out.stderr
    closed = json.loads(out.stdout)["closed"]
    assert [c["business_day"] for c in closed] == ["2026-11-16", "2026-11-17"]
    assert [c["figures"]["transactions"] for c in closed] == [1, 2]
    text = run_cli("day", "close", "--through", "2026-11-18", "--supervisor", "王芳", "--pin-stdin", "--yes",
                   "--data-dir", d, input="4321\n")
    assert text.returncode == 0 and "day 2026-11-18 closed" in text.stdout and "2026-11-16" not in text.stdout
    nothing = run_cli("day", "close", "--through", "2026-11-18", "--supervisor", "王芳", "--pin-stdin", "--yes",
                      "--data-dir", d, input="4321\n")
    assert nothing.returncode == 2 and "nothing to close" in nothing.stderr
    future = run_cli("day", "close", "--through", "2099-01-01", "--supervisor", "王芳", "--pin-stdin", "--yes",
                     "--data-dir", d, input="4321\n")
    assert future.returncode == 2 and "in the future" in future.stderr


def test_day_close_through_without_yes_asks_for_each_day(data_dir):
    _seed_days(data_dir, ["2026-11-16", "2026-11-17"])
    out = run_cli("day", "close", "--through", "2026-11-17", "--supervisor", "王芳", "--pin-stdin",
                  "--data-dir", str(data_dir), input="4321\n")
    assert out.returncode == 2 and "pass --yes" in out.stderr
    st = Station.open(data_dir)
    try:
        assert st.last_closed_day() is None
    finally:
        st.close()
