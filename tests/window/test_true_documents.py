"""True documents (issue 16, item 2): resident since, voids that take everything back, void and
correction receipts, reprints counted, same-address changes refused, home counts that add up."""

from __future__ import annotations

import json

import pytest

from counter.errors import ValidationError
from counter.services import amendments, dayclose, documents, engine, people, printing
from db.rebuild import checksum, rebuild
from printing.receipt import render_receipt
from tests.window.conftest import AYIGULI, ZHANGWEI, at


def _rebuild_gives_the_same(station) -> None:
    before = checksum(station.db)
    rebuild(station.db)
    assert checksum(station.db) == before


def test_a_certificate_states_the_start_of_the_residence_at_the_current_address(station, clerk):
    # issue 16: registered on 2026-11-29 at 南京北街, moved to 中华路 today; the certificate said 自2026-11-29起
    reg = engine.perform(station, "residence_registration", {**AYIGULI, "arrival_date": "0"}, clerk=clerk,
                         now=at("2026-11-29"))
    pid = reg.person_id
    engine.perform(station, "change_address", {"new_address": "沈阳市和平区中华路88号", "change_date": "0"},
                   person_id=pid, clerk=clerk, now=at("2026-12-02"))
    cert = engine.perform(station, "residence_certificate", {"purpose": "子女入学"}, person_id=pid, clerk=clerk,
                          now=at("2026-12-02", "11:00"))
    body = cert.document.body[0]
    assert "自2026-12-02起居住于沈阳市和平区中华路88号" in body and "2026-11-29" not in body
    assert "阿依古丽·买买提" in body
    # the earlier address is listed as history, after the statement
    assert "此前居住于沈阳市和平区南京北街10号（自2026-11-29起）。" in cert.document.body
    _rebuild_gives_the_same(station)
    assert people.get(station, pid).resident_since == "2026-12-02"


def test_a_move_reported_late_starts_on_the_day_of_the_move(station, clerk):
    reg = engine.perform(station, "residence_registration", {**AYIGULI, "arrival_date": "0"}, clerk=clerk,
                         now=at("2026-11-20"))
    out = engine.perform(station, "change_address", {"new_address": "沈阳市和平区中华路88号", "change_date": "2026-11-22"},
                         person_id=reg.person_id, clerk=clerk, now=at("2026-12-02"))
    assert out.late_days == 3
    assert people.get(station, reg.person_id).resident_since == "2026-11-22"


def test_a_change_to_the_same_address_is_refused(station, clerk):
    reg = engine.perform(station, "residence_registration", AYIGULI, clerk=clerk)
    with pytest.raises(ValidationError) as info:
        engine.perform(station, "change_address", {"new_address": " 沈阳市和平区南京北街10号", "change_date": "0"},
                       person_id=reg.person_id, clerk=clerk)
    assert info.value.field == "new_address" and "address on file" in str(info.value)
    # typed with the input method in full-width mode (replayed in the demo): still the same address
    with pytest.raises(ValidationError, match="address on file"):
        engine.perform(station, "change_address", {"new_address": "沈阳市和平区南京北街１０号　", "change_date": "0"},
                       person_id=reg.person_id, clerk=clerk)
    engine.perform(station, "permit_apply", {}, person_id=reg.person_id, clerk=clerk)
    with pytest.raises(ValidationError, match="address on file"):
        engine.perform(station, "permit_change", {"new_address": "沈阳市和平区南京北街10号", "change_date": "0"},
                       person_id=reg.person_id, clerk=clerk)


def test_a_void_takes_back_the_registration_address_and_counts(station, clerk, supervisor):
    # issue 16: after voiding 张伟's registration, his file still showed the voided current address
    reg = engine.perform(station, "residence_registration", ZHANGWEI, clerk=clerk)
    day = reg.entry.business_day
    assert people.day_summary(station, day)[0] == 1
    amendments.void(station, reg.entry.seq, "登记错人", clerk=clerk, supervisor=supervisor)
    p = people.get(station, reg.person_id)
    assert (p.current_address, p.registration_number, p.resident_since, p.registration_kind) == (None,) * 4
    total, services, amended = people.day_summary(station, day)
    # as F9 counts it: the service was performed and voided; the void is not a service
    assert (total, services, amended) == (1, {"residence_registration": 1}, {"void": 1})
    assert dayclose.reconcile(station, day).figures["transactions"] == total
    _rebuild_gives_the_same(station)
    assert people.get(station, reg.person_id).current_address is None


def test_a_void_of_an_address_change_restores_the_earlier_address_and_its_start(station, clerk, supervisor):
    reg = engine.perform(station, "residence_registration", {**AYIGULI, "arrival_date": "0"}, clerk=clerk,
                         now=at("2026-11-29"))
    moved = engine.perform(station, "change_address", {"new_address": "沈阳市和平区中华路88号", "change_date": "0"},
                           person_id=reg.person_id, clerk=clerk, now=at("2026-12-02"))
    engine.perform(station, "change_phone", {"new_phone": "13900000000"}, person_id=reg.person_id, clerk=clerk,
                   now=at("2026-12-02", "10:05"))
    amendments.void(station, moved.entry.seq, "地址填错", clerk=clerk, supervisor=supervisor, now=at("2026-12-02", "10:10"))
    p = people.get(station, reg.person_id)
    # the move is gone; the later phone change stays
    assert (p.current_address, p.resident_since, p.phone) == ("沈阳市和平区南京北街10号", "2026-11-29", "13900000000")
    _rebuild_gives_the_same(station)


def test_a_void_of_a_permit_replacement_gives_back_the_card(station, clerk, supervisor):
    reg = engine.perform(station, "residence_registration", AYIGULI, clerk=clerk, now=at("2026-10-01"))
    pid = reg.person_id
    engine.perform(station, "permit_apply", {}, person_id=pid, clerk=clerk, now=at("2026-10-01", "10:10"))
    collected = engine.perform(station, "permit_collect", {"collected_by": "1"}, person_id=pid, clerk=clerk,
                               now=at("2026-11-02"))
    card = collected.entry.data["derived"]["card_number"]
    replaced = engine.perform(station, "permit_replace", {"replace_reason": "1"}, person_id=pid, clerk=clerk,
                              now=at("2026-12-02"))
    permit = people.current_permit(station, pid)
    assert permit.status == "accepted" and permit.card_number is None
    amendments.void(station, replaced.entry.seq, "误操作", clerk=clerk, supervisor=supervisor, now=at("2026-12-02", "10:30"))
    permit = people.current_permit(station, pid)
    assert (permit.status, permit.card_number, permit.application_number) == ("issued", card, permit.permit_id)
    status = station.db.conn.execute("SELECT status FROM permit_cards WHERE card_number = ?", (card,)).fetchone()[0]
    assert status == "issued"
    _rebuild_gives_the_same(station)


def test_a_voided_application_leaves_no_permit_and_a_new_one_can_be_made(station, clerk, supervisor):
    reg = engine.perform(station, "residence_registration", AYIGULI, clerk=clerk)
    app = engine.perform(station, "permit_apply", {}, person_id=reg.person_id, clerk=clerk)
    amendments.void(station, app.entry.seq, "重复受理", clerk=clerk, supervisor=supervisor)
    assert people.current_permit(station, reg.person_id) is None or \
        people.current_permit(station, reg.person_id).status == "voided"
    engine.precheck(station, "permit_apply", people.get(station, reg.person_id))
    engine.perform(station, "permit_apply", {}, person_id=reg.person_id, clerk=clerk)
    _rebuild_gives_the_same(station)


def test_void_and_correction_receipts_name_the_receipt_the_supervisor_and_old_to_new(station, clerk, supervisor):
    reg = engine.perform(station, "residence_registration", {**ZHANGWEI, "phone": "13812345678"}, clerk=clerk)
    assert amendments.receipt_number(station, reg.entry.seq) == reg.number
    shown = amendments.changes_shown(station, reg.entry.seq, {"phone": "13700001234"})
    assert shown == [("phone", "13812345678", "13700001234")]
    fixed = amendments.correct(station, reg.entry.seq, {"phone": "13700001234"}, "电话有误", clerk=clerk,
                               supervisor=supervisor)
    lines = dict(fixed.document.lines)
    assert lines["原回执编号"] == reg.number and lines["批准主管"] == "王芳"
    assert lines["联系电话"] == "13812345678 → 13700001234" and lines["原业务"] == "居住登记"
    text = documents.as_text(fixed.document)
    assert "费用" not in text and "免费" not in text and str(reg.entry.seq) not in dict(fixed.document.lines).values()
    voided = amendments.void(station, reg.entry.seq, "登记错人", clerk=clerk, supervisor=supervisor)
    lines = dict(voided.document.lines)
    assert lines["原回执编号"] == reg.number and lines["批准主管"] == "王芳" and lines["原因"] == "登记错人"
    # the ESC/POS bytes carry no fee line either (GB18030 text)
    from counter.services.printing import printer_model

    data = render_receipt(voided.document, printer_model(station))
    assert "收    费".encode("gb18030") not in data and "免费".encode("gb18030") not in data
    assert reg.number.encode() in data
    # and a service receipt still has it
    assert "收    费".encode("gb18030") in render_receipt(reg.document, printer_model(station))


def test_a_correction_to_the_values_on_file_is_refused(station, clerk, supervisor):
    reg = engine.perform(station, "residence_registration", {**ZHANGWEI, "phone": "13812345678"}, clerk=clerk)
    with pytest.raises(ValidationError, match="nothing changes"):
        amendments.correct(station, reg.entry.seq, {"phone": "13812345678"}, "x", clerk=clerk, supervisor=supervisor)


def test_a_reprint_counts_in_the_day_figures_the_cli_and_the_report(station, clerk, tmp_path):
    from tests.conftest import cli_env, run_cli

    reg = engine.perform(station, "residence_registration", ZHANGWEI, clerk=clerk)
    assert printing.deliver(station, reg.document, clerk.clerk_id).printed
    copy = documents.reprint(station, reg.entry.seq, clerk.clerk_id)
    assert copy.copy_number == 1
    delivered = printing.deliver(station, copy, clerk.clerk_id)
    assert delivered.printed
    kinds = [r[0] for r in station.db.conn.execute("SELECT kind FROM journal WHERE kind LIKE 'print.%' ORDER BY seq")]
    assert kinds == ["print.queued", "print.printed", "print.queued", "print.reprinted"]
    day = reg.entry.business_day
    f = dayclose.reconcile(station, day).figures
    assert (f["receipts_printed"], f["receipts_reprinted"]) == (1, 1)
    shown = run_cli("day", "show", "--date", day, "--json", "--data-dir", str(station.data_dir), env=cli_env())
    assert json.loads(shown.stdout)["figures"]["receipts_reprinted"] == 1
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(dayclose.render_report(station, day))
    import subprocess

    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    line = next(t for t in text.splitlines() if "回执补打" in t)
    assert line.split()[-1] == "1"


def test_close_times_are_shown_in_the_station_time_zone(station, clerk, supervisor):
    from tests.conftest import cli_env, run_cli

    engine.perform(station, "residence_registration", ZHANGWEI, clerk=clerk, now=at("2026-11-20"))
    entry = dayclose.close_day(station, "2026-11-20", "王芳", "4321")
    rec = dayclose.reconcile(station, "2026-11-20")
    utc = entry.device_time_utc  # e.g. 2026-12-01T20:07:...Z
    local = station.local_time(utc)
    assert local != utc[:16].replace("T", " ")  # Shanghai is UTC+8
    from datetime import datetime, timedelta

    as_utc = datetime.strptime(utc[:16], "%Y-%m-%dT%H:%M")
    assert local == (as_utc + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    shown = run_cli("day", "show", "--date", "2026-11-20", "--data-dir", str(station.data_dir), env=cli_env())
    assert f"at {local} Asia/Shanghai" in shown.stdout
    assert rec.closed_at[:16] not in shown.stdout


def test_after_an_early_close_a_change_made_this_evening_happened_today_not_tomorrow(station, clerk, supervisor):
    # replayed in the demo: 2026-12-02 closed at 12:42, then a change of address and a residence certificate
    # the same afternoon said "自2026-12-03起居住于…" on a certificate issued 2026-12-02
    reg = engine.perform(station, "residence_registration", {**AYIGULI, "arrival_date": "2026-11-29"}, clerk=clerk,
                         now=at("2026-12-02", "09:00"))
    dayclose.close_day(station, "2026-12-02", "王芳", "4321", today="2026-12-02")
    assert station.business_day(at("2026-12-02", "15:00")) == "2026-12-03"  # filed under the next day
    moved = engine.perform(station, "change_address", {"new_address": "沈阳市和平区中华路88号", "change_date": "0"},
                           person_id=reg.person_id, clerk=clerk, now=at("2026-12-02", "15:00"))
    assert moved.entry.business_day == "2026-12-03"
    assert people.get(station, reg.person_id).resident_since == "2026-12-02"
    cert = engine.perform(station, "residence_certificate", {}, person_id=reg.person_id, clerk=clerk,
                          now=at("2026-12-02", "15:05")).document
    body = "".join(cert.body)
    assert "自2026-12-02起居住于沈阳市和平区中华路88号" in body and "2026-12-03" not in body
    # a date after today is still refused as in the future, now against the calendar
    with pytest.raises(ValidationError):
        engine.perform(station, "change_address", {"new_address": "沈阳市和平区三好街1号", "change_date": "2026-12-03"},
                       person_id=reg.person_id, clerk=clerk, now=at("2026-12-02", "15:10"))
