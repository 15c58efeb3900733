"""Adopting a file another window started: the entries as HQ hands them over (station A's real journal
rows), verified and replayed at station B, then the permit services at B. HQ itself is in
test_window_e2e.py; here the file comes straight from A's journal, as HQ stores it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from counter.errors import ValidationError
from counter.services import clerks, people, perform, register
from counter.station import Station
from db import journal, rebuild
from tests.register.conftest import DISTRICT, YOSHIDA

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def window_b(tmp_path):
    st = Station.init(tmp_path / "b", "T-02", DISTRICT, "测试服务中心二")
    clerk = clerks.add_clerk(st, "柜员丙", "clerk", "1234")
    yield st, clerks.Session("s-b", clerk)
    st.close()


def hq_file(station, person_id: str) -> register.RemoteFile:
    """What HQ's open answers for a person: the summary and every entry about them, with its station."""
    rows = [e for e in journal.entries(station.db) if json.loads(e.payload).get("person_id") == person_id]
    person = people.get(station, person_id)
    permits = [{"number": p.permit_id, "status": p.status, "valid_until": p.valid_until}
               for p in people.permits(station, person_id)]
    return register.RemoteFile("ref-1", {**person.__dict__}, [], permits,
                               [{**e.as_dict(), "station_id": station.station_id} for e in rows])


@pytest.fixture
def applied_at_a(station, clerk):
    reg = perform(station, "residence_registration", {**YOSHIDA, "arrival_date": "0"}, clerk=clerk, now=T0)
    perform(station, "permit_apply", {"validity_years": "1"}, person_id=reg.person_id, clerk=clerk, now=T0)
    return reg.person_id


def test_adopted_file_works_at_the_second_window(station, applied_at_a, window_b):
    b, session = window_b
    pid = register.adopt(b, session, hq_file(station, applied_at_a))
    assert pid == applied_at_a
    person = people.get(b, pid)
    assert person.name == "𠮷田" and person.id_number == "11010519491231002X"
    assert person.registration_number.startswith("A210102-T-01-")
    permit = people.current_permit(b, pid)
    assert permit.status == "accepted" and permit.permit_id.startswith("A210102-T-01-")
    entry = journal.get(b.db, journal.head(b.db)[0] - 1)
    assert entry.kind == "register.adopted"
    cited = entry.data["sources"]
    assert [(s["station_id"], s["kind"]) for s in cited] == [
        ("T-01", "person.registered"), ("T-01", "service.residence_registration"), ("T-01", "service.permit_apply")]
    assert all(journal.get(station.db, s["seq"]).hash == s["hash"] for s in cited)
    # the opening is journaled at B, and the file says where it came from
    opened = journal.get(b.db, journal.head(b.db)[0])
    assert opened.kind == "record.opened" and opened.data["record_id"] == pid
    assert register.adopted_from(b, pid) == "T-01"
    assert [h["service"] for h in register.remote_history(b, pid)] == ["permit_apply", "residence_registration"]
    from counter.services import houses

    (period,) = houses.periods(b, pid)  # the residence period comes along (issue 13)
    assert period.address == YOSHIDA["current_address"] and period.current and period.started_via == "window"
    assert period.period_id == person.registration_number
    found = register.find(b, "jitian")
    assert [(f.source, f.station_id) for f in found.results] == [("local", "T-01")]
    # collect at B, then extend at B a year later: numbers are B's own series
    col = perform(b, "permit_collect", {}, person_id=pid, clerk=session.clerk,
                  now=datetime(2026, 3, 23, 2, tzinfo=UTC))
    assert col.number.startswith("A210102-T-02-") and col.notes == ["hq_offline"]
    assert people.current_permit(b, pid).card_number.startswith("P210102-T-02-")
    apply_seq = next(s["seq"] for s in cited if s["kind"] == "service.permit_apply")
    assert col.entry.data["permit_basis"] == {"station_id": "T-01", "seq": apply_seq}  # what B knew
    ext = perform(b, "permit_extend", {"validity_years": "2"}, person_id=pid, clerk=session.clerk,
                  now=datetime(2027, 2, 1, 2, tzinfo=UTC))
    assert ext.entry.data["permit_id"] == permit.permit_id
    assert ext.entry.data["permit_basis"] == {"station_id": "T-02", "seq": col.entry.seq}
    assert people.current_permit(b, pid).valid_until == "2029-03-01"
    # the adoption is a projection like any other
    before = rebuild.checksum(b.db)
    rebuild.rebuild(b.db)
    assert rebuild.checksum(b.db) == before


def test_a_changed_entry_is_refused_and_nothing_is_adopted(station, applied_at_a, window_b):
    b, session = window_b
    remote = hq_file(station, applied_at_a)
    payload = json.loads(remote.entries[-1]["payload"])
    payload["values"]["validity_years"] = "3"
    remote.entries[-1]["payload"] = journal.canonical_json(payload)
    head = journal.head(b.db)
    with pytest.raises(register.RegisterError, match=r"T-01 seq \d+ does not match its hash"):
        register.adopt(b, session, remote)
    assert journal.head(b.db) == head and people.get(b, applied_at_a) is None


def test_hq_claims_must_match_what_the_entries_give(station, applied_at_a, window_b):
    b, session = window_b
    remote = hq_file(station, applied_at_a)
    remote.permits[0]["status"] = "issued"
    with pytest.raises(register.RegisterError, match="differs from what its entries give"):
        register.adopt(b, session, remote)
    remote = hq_file(station, applied_at_a)
    remote.entries = [e for e in remote.entries if e["kind"] != "person.registered"]
    with pytest.raises(register.RegisterError, match="do not register this person"):
        register.adopt(b, session, remote)
    assert people.get(b, applied_at_a) is None


def test_a_voided_application_replays_as_voided(station, clerk, supervisor, applied_at_a, window_b):
    from counter.services import amendments

    seq = people.history(station, applied_at_a)[0].seq
    amendments.void(station, seq, "录入错误", clerk=clerk, supervisor=supervisor)
    b, session = window_b
    register.adopt(b, session, hq_file(station, applied_at_a))
    assert people.permits(b, applied_at_a)[0].status == "voided"
    with pytest.raises(ValidationError):
        perform(b, "permit_collect", {}, person_id=applied_at_a, clerk=session.clerk,
                now=datetime(2026, 3, 23, 2, tzinfo=UTC))


def test_a_third_window_replays_two_windows_entries_in_the_order_they_acted(station, applied_at_a, window_b,
                                                                           tmp_path):
    b, session = window_b
    register.adopt(b, session, hq_file(station, applied_at_a))
    perform(b, "permit_collect", {}, person_id=applied_at_a, clerk=session.clerk,
            now=datetime(2026, 3, 23, 2, tzinfo=UTC))
    # HQ's file of the person: A's entries and B's, listed in any order
    a_file, b_file = hq_file(station, applied_at_a), hq_file(b, applied_at_a)
    entries = list(reversed(a_file.entries + b_file.entries))
    c = Station.init(tmp_path / "c", "T-00", DISTRICT, "测试服务中心三")
    try:
        c_session = clerks.Session("s-c", clerks.add_clerk(c, "柜员丁", "clerk", "1234"))
        remote = register.RemoteFile("ref", a_file.person, [], b_file.permits, entries)
        register.adopt(c, c_session, remote)
        permit = people.current_permit(c, applied_at_a)
        assert permit.status == "issued" and permit.card_number.startswith("P210102-T-02-")
        assert {h["station_id"] for h in register.remote_history(c, applied_at_a)} == {"T-01", "T-02"}
        cited = journal.get(c.db, journal.head(c.db)[0] - 1).data["sources"]
        assert [s["kind"] for s in cited][0] == "person.registered" and len(cited) == len(entries)
    finally:
        c.close()


def test_changed_at_another_window_reads_in_the_clerks_language(station, applied_at_a):
    """The refusal names HQ's status and what the other window did in words of the catalog, not HQ's ids."""
    from counter.i18n import catalog

    permit = people.current_permit(station, applied_at_a)
    check = register.Recheck(True, "cancelled", permit.valid_until,
                             {"station_id": "T-09", "seq": 7, "kind": "service.permit_cancel", "at": "2026-04-01T02:00"})
    refusal = register.overtaken(station, permit, check)
    zh = refusal.localized(lambda m: catalog("zh_CN").get(m, m))
    assert "区级平台显示为 已注销" in zh and "（注销）" in zh and "T-09" in zh
    assert "cancel" not in zh
    en = refusal.localized(lambda m: m)
    assert "(cancellation): HQ shows it cancelled" in en and en == str(refusal)
    # a word this version does not know (a newer HQ) is shown as it is, never dropped
    newer = register.overtaken(station, permit, register.Recheck(True, "suspended", None, {**check.last, "kind": "x.y"}))
    assert "suspended" in newer.localized(lambda m: catalog("zh_CN").get(m, m))
