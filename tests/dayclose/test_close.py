"""The day close: reconciliation figures, the close rules, and where entries go afterwards."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from counter.domain.day_figures import day_figures
from counter.errors import CounterError, PermissionDenied, SignInError
from counter.forms import registry
from counter.services import clerks, dayclose
from db import journal, rebuild
from tests.dayclose.conftest import NEXT_PAST_DAY, PAST_DAY
from tests.dayclose.seed import CLERK, SUPERVISOR, another_transaction, seed_day


def closes(station) -> list:
    return [e for e in journal.entries(station.db) if e.kind == dayclose.CLOSE_KIND]


def test_reconciliation_counts_what_the_day_did(station):
    made = seed_day(station, PAST_DAY, 60, failed_prints=3)
    rec = dayclose.reconcile(station, PAST_DAY)
    f = rec.figures
    assert f["transactions"] == 60
    assert f["by_service"] == made["by_service"]
    assert f["late_registrations"] == made["late"] > 0
    certificates = made["certificates"]
    assert certificates > 0 and f["certificates_issued"] == certificates
    assert f["receipts_printed"] == made["receipts"] == 60 - certificates - 3
    assert f["receipts_reprinted"] == made["reprints"] > 0
    assert f["print_jobs_failed"] == made["failed"] == 3 and f["print_jobs_unprinted"] == 0
    assert sum(f["by_hour"]) == 60 and f["by_hour"][8] > 0 and f["by_hour"][3] == 0
    assert not rec.closed
    assert rec.unsynced == rec.head_seq and rec.acked_seq is None
    texts = [t.format(**p) for t, p in rec.warnings()]
    assert any("not yet synced" in t for t in texts) and any("3 print jobs failed" in t for t in texts)


def test_close_records_figures_and_next_entries_go_to_the_next_day(station):
    today = station.business_day()
    made = seed_day(station, None, 5)
    before = dayclose.reconcile(station, today).figures
    entry = dayclose.close_day(station, today, *SUPERVISOR)
    assert entry.kind == "day.closed" and entry.business_day == today
    data = entry.data
    assert data["business_day"] == today
    # the close figures also count the supervisor's approval entry made just before the close
    assert data["transactions"] == before["transactions"] == 5
    assert data["entries"] == before["entries"] + 1
    assert data["at_close"]["unsynced_entries"] == entry.seq - 1
    assert data["supervisor_id"] == clerks.find_clerk(station, SUPERVISOR[0]).clerk_id
    tomorrow = (date.fromisoformat(today) + timedelta(days=1)).isoformat()
    after = another_transaction(station, made["persons"][0]).entry
    assert after.business_day == tomorrow
    assert station.business_day() == tomorrow
    rec = dayclose.reconcile(station, today)
    assert rec.closed and rec.closed_by == SUPERVISOR[0] and rec.figures["transactions"] == 5


def test_closing_twice_is_refused(station):
    seed_day(station, PAST_DAY, 3)
    dayclose.close_day(station, PAST_DAY, *SUPERVISOR)
    with pytest.raises(CounterError, match=f"day {PAST_DAY} is already closed"):
        dayclose.close_day(station, PAST_DAY, *SUPERVISOR)
    assert len(closes(station)) == 1


def test_a_future_day_is_refused(station):
    future = (station.local_now().date() + timedelta(days=1)).isoformat()
    with pytest.raises(CounterError, match="in the future"):
        dayclose.close_day(station, future, *SUPERVISOR)
    assert closes(station) == []


def test_an_earlier_open_day_must_close_first(station):
    seed_day(station, PAST_DAY, 2)
    seed_day(station, NEXT_PAST_DAY, 2)
    with pytest.raises(CounterError, match=f"the earlier day {PAST_DAY} is still open; close {PAST_DAY} first"):
        dayclose.close_day(station, NEXT_PAST_DAY, *SUPERVISOR)
    assert closes(station) == []
    dayclose.close_day(station, PAST_DAY, *SUPERVISOR)
    dayclose.close_day(station, NEXT_PAST_DAY, *SUPERVISOR)
    assert [c.data["business_day"] for c in closes(station)] == [PAST_DAY, NEXT_PAST_DAY]
    with pytest.raises(CounterError, match="already closed"):
        dayclose.check_can_close(station, PAST_DAY)
    with pytest.raises(CounterError, match="the later day .* is already closed"):
        dayclose.check_can_close(station, "2026-11-10")


def test_bad_dates_are_refused_with_one_line(station):
    for text in ("2026-13-01", "21/11/2026", "", "2026-02-30"):
        with pytest.raises(CounterError) as info:
            dayclose.close_day(station, text, *SUPERVISOR)
        assert "\n" not in str(info.value)


def test_wrong_pin_or_a_clerk_does_not_close(station):
    seed_day(station, PAST_DAY, 2)
    with pytest.raises(SignInError, match="wrong PIN"):
        dayclose.close_day(station, PAST_DAY, SUPERVISOR[0], "0000")
    with pytest.raises(PermissionDenied, match="is not a supervisor"):
        dayclose.close_day(station, PAST_DAY, *CLERK)
    assert closes(station) == []
    assert station.last_closed_day() is None


def test_figures_follow_an_entry_that_slips_in_before_the_close(station, monkeypatch):
    """The figures are re-checked inside the close's transaction: a stale count is recomputed."""
    seed_day(station, PAST_DAY, 4)
    real = dayclose.day_entries
    calls = []

    def stale_once(st, day, until=None):
        rows = real(st, day, until)
        calls.append(len(rows))
        return rows[:-1] if len(calls) == 1 else rows

    monkeypatch.setattr(dayclose, "day_entries", stale_once)
    entry = dayclose.close_day(station, PAST_DAY, *SUPERVISOR)
    assert len(calls) == 2
    recount = day_figures(journal.entries(station.db), PAST_DAY, station.config.timezone,
                          certificates=registry.certificate_services())
    assert {k: entry.data[k] for k in recount} == recount


def test_a_correction_is_a_new_entry_on_the_current_day(station):
    seed_day(station, PAST_DAY, 3)
    dayclose.close_day(station, PAST_DAY, *SUPERVISOR)
    original = next(e for e in journal.entries(station.db) if e.kind.startswith("service."))
    fix = dayclose.record_correction(station, original.seq, "电话号码录入错误", clerk_id=None,
                                     details={"field": "phone"})
    assert fix.business_day == station.business_day() != PAST_DAY
    assert fix.data["corrects_seq"] == original.seq and fix.data["corrects_hash"] == original.hash
    row = station.db.conn.execute("SELECT corrects_day, reason FROM day_corrections WHERE seq = ?",
                                  (fix.seq,)).fetchone()
    assert row == (PAST_DAY, "电话号码录入错误")
    # the closed day's figures do not move
    assert dayclose.reconcile(station, PAST_DAY).figures["corrections"] == 0
    assert dayclose.reconcile(station, fix.business_day).figures["corrections"] == 1


def test_projections_rebuild_to_the_same_state(station, tmp_path):
    from counter.services.export import export_day

    seed_day(station, PAST_DAY, 3)
    dayclose.close_day(station, PAST_DAY, *SUPERVISOR)
    export_day(station, PAST_DAY, tmp_path / "out")
    before = rebuild.checksum(station.db)
    rebuild.rebuild(station.db)
    assert rebuild.checksum(station.db) == before
    assert station.db.conn.execute("SELECT count(*) FROM day_exports").fetchone()[0] == 1


def test_refusals_are_translated_for_the_screen(station):
    from counter.i18n import catalog

    zh = catalog("zh_CN")
    seed_day(station, PAST_DAY, 1)
    seed_day(station, NEXT_PAST_DAY, 1)
    future = (station.local_now().date() + timedelta(days=3)).isoformat()
    for day in (NEXT_PAST_DAY, future, "2026-02-30"):
        with pytest.raises(CounterError) as info:
            dayclose.check_can_close(station, day)
        text = info.value.localized(lambda m: zh.get(m, m))
        assert text != str(info.value) and day in text


def test_permits_expiring_within_30_days_are_counted(station):
    import random
    from datetime import UTC, datetime

    from counter.services import perform
    from tests.dayclose.seed import clerk_of, person

    rng = random.Random(3)
    clerk = clerk_of(station)
    # applied a year before: valid until about 2026-11-24, inside 30 days of PAST_DAY
    for n, applied in enumerate((datetime(2025, 11, 25, 2, tzinfo=UTC), datetime(2026, 6, 1, 2, tzinfo=UTC))):
        perform(station, "permit_apply", {**person(rng, 900 + n, "110105"), "arrival_date": "-2", "proof": "1",
                                          "validity_years": "1"}, clerk=clerk, now=applied, build_document=False)
    assert dayclose.reconcile(station, PAST_DAY).permits_expiring == 1
    dayclose.close_day(station, "2025-11-25", *SUPERVISOR)
    dayclose.close_day(station, "2026-06-01", *SUPERVISOR)
    seed_day(station, PAST_DAY, 1)
    entry = dayclose.close_day(station, PAST_DAY, *SUPERVISOR)
    assert entry.data["at_close"]["permits_expiring_30d"] == 1


def test_printer_test_pages_are_not_counted_as_receipts(station):
    """`counter print test` prints a receipt-shaped page: the day's 'receipts printed' counted it."""
    from counter.services import printing as ps

    before = dayclose.reconcile(station, station.business_day()).figures
    result = ps.print_receipt(station, ps.test_receipt(station), None)
    ps.reprint_job(station, result.job_id, None)
    after = dayclose.reconcile(station, station.business_day()).figures
    assert (after["receipts_printed"], after["receipts_reprinted"]) == (
        before["receipts_printed"], before["receipts_reprinted"])
    assert after["entries"] > before["entries"]  # the print entries themselves are there
