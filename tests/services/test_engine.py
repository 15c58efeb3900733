"""The service layer against a real station database: every service, bad input, numbers, amendments."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from counter.errors import CounterError, PermissionDenied, ValidationError
from counter.forms.clean import FormInvalid
from counter.forms.spec import catalogue
from counter.services import amendments, documents, people, perform
from db import journal, rebuild
from printing.documents import Certificate, Receipt
from tests.services.conftest import YOSHIDA


def _count(station, table):
    return station.db.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def register(station, clerk, **over):
    return perform(station, "residence_registration", {**YOSHIDA, **over}, clerk=clerk)


def test_registration_creates_person_from_journal_with_spec_hash(station, clerk):
    out = register(station, clerk)
    assert isinstance(out.document, Receipt)
    person = people.get(station, out.person_id)
    assert person.name == "𠮷田" and person.id_number == "11010519491231002X"
    assert person.registration_kind == "residence"
    entry = journal.get(station.db, out.entry.seq)
    spec = catalogue().get("residence_registration")
    assert entry.data["form"] == {"id": "residence_registration", "version": spec.version, "sha256": spec.sha256}
    assert entry.data["masked_id"] == "110105********002X"
    registered = journal.get(station.db, out.entry.seq - 1)
    assert registered.kind == "person.registered" and registered.data["form"]["sha256"] == spec.sha256
    # only person.registered carries the full ID number; the service entry does not
    assert "11010519491231002X" not in entry.payload
    assert out.document.masked_id == "110105********002X"
    assert "𠮷田" == out.document.applicant_name


def test_late_registration_is_accepted_and_flagged(station, clerk):
    on_time = register(station, clerk, arrival_date="-7")
    assert on_time.late_days == 0
    # from elsewhere in Liaoning (大连市中山区): a lodging registration (art. 9)
    late = perform(station, "lodging_registration", {**YOSHIDA, "id_number": "210202199001010029", "name": "王丽",
                                                     "birth_date": "1990-01-01", "arrival_date": "-8"}, clerk=clerk)
    assert late.late_days == 1
    assert any("逾期" in label for label, _ in late.document.lines)


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("id_number", "11010519491231002Y", "17 digits then a digit or X"),
    ("id_number", "110105194912310021", "check character"),
    ("id_number", "999999194912310028", "area code"),
    ("birth_date", "2099-01-01", "in the future"),
    ("name", "𠮷田2", "digits"),
    ("current_address", "", "required"),
    ("arrival_date", "2026-02-30", "not a real date"),
    ("phone", "12345", "not a phone number"),
])
def test_bad_input_is_blocked_at_its_field_and_nothing_is_saved(station, clerk, field, value, reason):
    before = journal.head(station.db)
    with pytest.raises(FormInvalid) as info:
        register(station, clerk, **{field: value})
    assert field in info.value.errors
    assert reason in str(info.value.errors[field])
    assert journal.head(station.db) == before
    assert _count(station, "persons") == 0 and _count(station, "numbers") == 0


def test_birth_date_must_match_the_id_number(station, clerk):
    with pytest.raises(FormInvalid) as info:
        register(station, clerk, birth_date="1950-01-01")
    assert "differs from the ID number" in str(info.value.errors["birth_date"])


def test_failure_inside_the_transaction_leaves_no_person_and_no_number(station, clerk, monkeypatch):
    original = station.record
    calls = []

    def failing_record(kind, payload, **kw):
        calls.append(kind)
        if kind.startswith("service."):
            raise RuntimeError("power cut")
        return original(kind, payload, **kw)

    monkeypatch.setattr(station, "record", failing_record)
    head = journal.head(station.db)
    with pytest.raises(RuntimeError):
        register(station, clerk)
    assert calls == ["person.registered", "service.residence_registration"]
    assert journal.head(station.db) == head
    assert _count(station, "persons") == 0 and _count(station, "numbers") == 0
    monkeypatch.setattr(station, "record", original)
    out = register(station, clerk)
    assert out.number.endswith("-00001" + out.number[-1])  # the sequence did not skip


def test_numbers_are_gapless_per_kind_and_day(station, clerk):
    out = register(station, clerk)
    seqs = [perform(station, "proof_of_life", {}, person_id=out.person_id, clerk=clerk) for _ in range(3)]
    rows = station.db.conn.execute("SELECT kind, day_seq FROM numbers ORDER BY seq").fetchall()
    assert rows == [("A", 1), ("C", 1), ("C", 2), ("C", 3)]
    assert all(isinstance(o.document, Certificate) for o in seqs)
    assert seqs[0].document.subject_id_number == "11010519491231002X"


def test_permit_lifecycle_apply_collect_extend_change_replace_cancel(station, clerk):
    t0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Shanghai
    reg = perform(station, "residence_registration", {**YOSHIDA, "arrival_date": "0"}, clerk=clerk, now=t0)
    pid = reg.person_id
    app = perform(station, "permit_apply", {"validity_years": "1"}, person_id=pid, clerk=clerk, now=t0)
    assert app.document.collection_date == "2026-03-23"
    assert app.document.fee == "0.00" and app.document.fee_note == "免费"
    assert app.document.entitlements
    # a second application is blocked and offers extend or change
    with pytest.raises(ValidationError) as dup:
        perform(station, "permit_apply", {}, person_id=pid, clerk=clerk, now=t0)
    assert dup.value.offers == ("permit_extend", "permit_change")
    with pytest.raises(ValidationError, match="ready from 2026-03-23"):
        perform(station, "permit_collect", {}, person_id=pid, clerk=clerk, now=t0 + timedelta(days=20))
    col = perform(station, "permit_collect", {}, person_id=pid, clerk=clerk, now=t0 + timedelta(days=21))
    permit = people.current_permit(station, pid)
    assert permit.status == "issued" and permit.card_number.startswith("P210102-T-01-20260323-")
    assert permit.valid_until == "2027-03-01"
    assert col.document.lines[-1][1] == permit.card_number
    with pytest.raises(ValidationError, match="extension opens on 2027-01-30"):
        perform(station, "permit_extend", {"validity_years": "2"}, person_id=pid, clerk=clerk,
                now=datetime(2027, 1, 29, 2, tzinfo=UTC))
    perform(station, "permit_extend", {"validity_years": "2"}, person_id=pid, clerk=clerk,
            now=datetime(2027, 1, 30, 2, tzinfo=UTC))
    assert people.current_permit(station, pid).valid_until == "2029-03-01"
    t1 = datetime(2027, 2, 1, 2, tzinfo=UTC)
    ch = perform(station, "permit_change", {"new_address": "沈阳市和平区太原街8号", "change_date": "-10"},
                 person_id=pid, clerk=clerk, now=t1)
    assert ch.late_days == 3
    assert people.get(station, pid).current_address == "沈阳市和平区太原街8号"
    old_card = people.current_permit(station, pid).card_number
    rep = perform(station, "permit_replace", {"replace_reason": "1"}, person_id=pid, clerk=clerk, now=t1)
    assert ("原卡号（已注销）", old_card) in rep.document.lines
    assert station.db.conn.execute("SELECT status FROM permit_cards WHERE card_number = ?",
                                   (old_card,)).fetchone()[0] == "cancelled"
    perform(station, "permit_cancel", {"cancel_reason": "1"}, person_id=pid, clerk=clerk, now=t1)
    assert people.current_permit(station, pid).status == "cancelled"
    services = [h.service for h in people.history(station, pid)]
    assert services[::-1] == ["residence_registration", "permit_apply", "permit_collect", "permit_extend",
                              "permit_change", "permit_replace", "permit_cancel"]
    # projections are a pure function of the journal
    before = rebuild.checksum(station.db)
    rebuild.rebuild(station.db)
    assert rebuild.checksum(station.db) == before


def test_extension_after_expiry_is_refused(station, clerk):
    t0 = datetime(2026, 3, 2, 2, tzinfo=UTC)
    pid = perform(station, "permit_apply", {**YOSHIDA, "proof": "1", "validity_years": "1", "is_student": "1"},
                  clerk=clerk, now=t0).person_id
    perform(station, "permit_collect", {}, person_id=pid, clerk=clerk, now=t0 + timedelta(days=30))
    with pytest.raises(ValidationError, match="make a new application"):
        perform(station, "permit_extend", {"validity_years": "1"}, person_id=pid, clerk=clerk,
                now=datetime(2027, 3, 2, 2, tzinfo=UTC))
    # and then a new application is allowed
    perform(station, "permit_apply", {}, person_id=pid, clerk=clerk, now=datetime(2027, 3, 2, 2, tzinfo=UTC))


def test_under_16_permit_is_optional_but_accepted(station, clerk):
    child = {**YOSHIDA, "id_number": "110105201501010025", "name": "王小䶮", "birth_date": "2015-01-01",
             "sex": "F", "proof": "1", "validity_years": "2", "is_student": "1"}
    out = perform(station, "permit_apply", child, clerk=clerk)
    assert ("说明", "未满 16 周岁或在校学生，可不申领，本人自愿申领") in out.document.lines


def test_certificates_changes_and_request(station, clerk):
    pid = register(station, clerk).person_id
    cert = perform(station, "residence_certificate", {"purpose": "子女入学"}, person_id=pid, clerk=clerk)
    assert isinstance(cert.document, Certificate) and "子女入学" in "".join(cert.document.body)
    assert "沈阳市和平区南京北街10号" in cert.document.body[0]
    req = perform(station, "criminal_record_request", {"request_purpose": "出国"}, person_id=pid, clerk=clerk)
    assert req.number.startswith("R") and isinstance(req.document, Receipt)
    assert people.history(station, pid)[0].status == "requested"
    perform(station, "change_phone", {"new_phone": "13900000000"}, person_id=pid, clerk=clerk)
    perform(station, "change_employer", {"new_employer": "沈阳某某公司", "change_date": "0"}, person_id=pid, clerk=clerk)
    perform(station, "change_address", {"new_address": "沈阳市和平区中山路1号", "change_date": "0"}, person_id=pid,
            clerk=clerk)
    p = people.get(station, pid)
    assert (p.phone, p.employer, p.current_address) == ("13900000000", "沈阳某某公司", "沈阳市和平区中山路1号")


def test_name_correction_needs_a_supervisor(station, clerk, supervisor):
    pid = register(station, clerk).person_id
    with pytest.raises(PermissionDenied):
        perform(station, "name_correction", {"new_name": "吉田", "correction_reason": "录入错误"}, person_id=pid,
                clerk=clerk)
    out = perform(station, "name_correction", {"new_name": "阿依古丽・买买提", "correction_reason": "2"},
                  person_id=pid, clerk=clerk, supervisor=supervisor)
    assert people.get(station, pid).name == "阿依古丽·买买提"
    assert out.entry.data["old_name"] == "𠮷田" and out.entry.data["supervisor_id"] == supervisor.clerk_id


def test_void_and_correction_reference_the_original_and_show_in_history(station, clerk, supervisor):
    t0 = datetime(2026, 3, 2, 2, tzinfo=UTC)
    reg = perform(station, "residence_registration", {**YOSHIDA, "arrival_date": "0"}, clerk=clerk, now=t0)
    app = perform(station, "permit_apply", {}, person_id=reg.person_id, clerk=clerk, now=t0)
    with pytest.raises(PermissionDenied):
        amendments.void(station, app.entry.seq, "录入错误", clerk=clerk, supervisor=None)
    v = amendments.void(station, app.entry.seq, "录入错误", clerk=clerk, supervisor=supervisor, now=t0)
    assert v.entry.data["ref_seq"] == app.entry.seq and v.entry.data["ref_hash"] == app.entry.hash
    assert people.current_permit(station, reg.person_id) is None
    with pytest.raises(CounterError, match="already voided"):
        amendments.void(station, app.entry.seq, "again", clerk=clerk, supervisor=supervisor)
    # after the void a new application is possible
    perform(station, "permit_apply", {}, person_id=reg.person_id, clerk=clerk, now=t0)
    with pytest.raises(FormInvalid):
        amendments.correct(station, reg.entry.seq, {"phone": "123"}, "typo", clerk=clerk, supervisor=supervisor)
    c = amendments.correct(station, reg.entry.seq, {"phone": "13700000000"}, "typo", clerk=clerk,
                           supervisor=supervisor)
    assert people.get(station, reg.person_id).phone == "13700000000"
    hist = {h.seq: h for h in people.history(station, reg.person_id)}
    assert hist[app.entry.seq].status == "voided" and hist[reg.entry.seq].status == "corrected"
    assert hist[v.entry.seq].service == "void" and hist[v.entry.seq].ref_seq == app.entry.seq
    assert hist[c.entry.seq].service == "correction"
    # the originals are untouched in the journal
    assert journal.get(station.db, app.entry.seq).hash == app.entry.hash
    assert station.verify_journal().ok


def test_foreign_passport_holder(station, clerk):
    out = perform(station, "accommodation_registration", {
        "doc_type": "passport", "id_number": "M12345678", "name": "kim min-jun", "sex": "M",
        "birth_date": "1990-05-06", "nationality": "kor", "current_address": "沈阳市和平区三好街5号",
        "arrival_date": "0", "arrival_time": "00:00", "stay_reason": "2", "phone": "13512345678"}, clerk=clerk)
    p = people.get(station, out.person_id)
    assert (p.name, p.nationality, p.ethnicity, p.doc_type) == ("KIM MIN-JUN", "KOR", None, "passport")


def test_search_by_id_name_phone_and_number(station, clerk):
    reg = register(station, clerk)
    assert [p.person_id for p in people.search(station, "11010519491231002x")] == [reg.person_id]
    assert [p.person_id for p in people.search(station, "𠮷")] == [reg.person_id]
    assert [p.person_id for p in people.search(station, "13812345678")] == [reg.person_id]
    assert [p.person_id for p in people.search(station, reg.number.lower())] == [reg.person_id]
    assert people.search(station, "无此人") == []


def test_reprint_rebuilds_the_same_document_as_a_copy(station, clerk):
    reg = register(station, clerk)
    copy = documents.reprint(station, reg.entry.seq, clerk.clerk_id)
    assert copy.copy_number == 1 and copy.number == reg.document.number and copy.lines == reg.document.lines
    assert "副本" in documents.as_text(copy)
    assert documents.reprint(station, reg.entry.seq, clerk.clerk_id).copy_number == 2
    assert journal.get(station.db, journal.head(station.db)[0]).kind == "document.reprinted"


def test_transactions_summary_is_json(station, clerk):
    reg = register(station, clerk)
    summary = station.db.conn.execute("SELECT summary FROM transactions WHERE seq = ?",
                                      (reg.entry.seq,)).fetchone()[0]
    assert json.loads(summary)["values"]["current_address"] == "沈阳市和平区南京北街10号"


def test_a_correction_receipt_names_the_fields_in_chinese_and_never_prints_none(station, clerk, supervisor):
    # the receipt read "phone: 137..." and "employer: None" (field ids and Python's None)
    from counter.services import amendments, documents, engine

    out = engine.perform(station, "residence_registration", {
        "doc_type": "1", "id_number": "110105198803142125", "name": "张三", "sex": "2", "birth_date": "1988-03-14",
        "ethnicity": "01", "nationality": "CHN", "household_address": "北京市朝阳区",
        "current_address": "沈阳市和平区南京北街1号", "arrival_date": "0", "stay_reason": "1",
        "employer": "沈阳𠮷祥有限公司", "phone": "13812345678"}, clerk=clerk)
    fixed = amendments.correct(station, out.entry.seq, {"phone": "13700001234", "employer": ""}, "电话有误",
                               clerk=clerk, supervisor=supervisor)
    lines = dict(fixed.document.lines)
    # old -> new, and an emptied field reads 无
    assert lines["联系电话"] == "13812345678 → 13700001234" and lines["工作单位"] == "沈阳𠮷祥有限公司 → 无"
    text = documents.as_text(fixed.document, width=54)
    assert "None" not in text and "phone" not in text and "employer" not in text
