"""Print figures from the printing area's real service (simulated printer), across days."""

from __future__ import annotations

import dataclasses

from counter.services import dayclose, export, printing
from counter.sync import bundle as day_bundle
from devices.printer import set_simulated_condition
from tests.dayclose.seed import CLERK, SUPERVISOR, clerk_of, seed_day


def _receipt(station):
    """A citizen's receipt (the printer test page itself does not count as one)."""
    return dataclasses.replace(printing.test_receipt(station), service="residence_registration")


def test_real_print_jobs_reconcile_and_a_later_reprint_counts_on_its_own_day(station, tmp_path):
    cid = clerk_of(station, CLERK[0]).clerk_id
    today = station.business_day()
    ok = printing.print_receipt(station, _receipt(station), cid)
    assert ok.state == "printed"
    set_simulated_condition(printing.simulated_dir(station), paper="out")
    failed = printing.print_receipt(station, _receipt(station), cid)
    assert failed.state == "failed"
    f = dayclose.reconcile(station, today).figures
    assert (f["receipts_printed"], f["receipts_reprinted"], f["print_jobs_failed"]) == (1, 0, 1)
    warnings = [t.format(**p) for t, p in dayclose.reconcile(station, today).warnings()]
    assert "1 print jobs failed" in warnings
    set_simulated_condition(printing.simulated_dir(station), paper="ok")
    dayclose.close_day(station, today, *SUPERVISOR)

    # the next business day: a copy of yesterday's receipt and the retry of the failed one
    again = printing.reprint_job(station, ok.job_id, cid)
    retried = printing.retry_job(station, failed.job_id, cid)
    assert (again.state, again.copy_number, retried.state) == ("printed", 1, "printed")
    tomorrow = station.business_day()
    f2 = dayclose.reconcile(station, tomorrow).figures
    assert (f2["receipts_printed"], f2["receipts_reprinted"], f2["print_jobs_failed"]) == (1, 1, 0)
    seed_day(station, None, 1)
    entry = dayclose.close_day(station, tomorrow, *SUPERVISOR, today=tomorrow)  # as run tomorrow
    assert entry.data["print_job_types"] == {ok.job_id: "receipt", failed.job_id: "receipt"}
    # the bundle's verifier recomputes the same figures with the job types the close recorded
    _, bundle = export.export_day(station, tomorrow, tmp_path)
    verified = day_bundle.verify_bundle(bundle.data, station.key.public)
    assert verified.manifest["figures"]["receipts_reprinted"] == 1
