"""counter permits expiring: the call list of permits expiring within N days."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from counter.cli.common import DataDir, JsonFlag, fail, known_clerk, new_app, open_station, print_json

app = new_app("Residence permits: the expiring list.")


@app.command("expiring")
def expiring_cmd(
    days: Annotated[int | None, typer.Option("--days", help="look this many days ahead (default: the policy's"
                                             " expiry_notice_days, 30)")] = None,
    sms_csv: Annotated[Path | None, typer.Option("--sms-csv", help="write the SMS gateway's CSV (mobile,content)"
                                                 " here, 0600")] = None,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="write the printable list (A4 PDF) here, 0600")] = None,
    clerk: Annotated[str | None, typer.Option("--clerk", help="the clerk id the journal records")] = None,
    json_out: JsonFlag = False,
    data_dir: DataDir = None,
) -> None:
    """List holders whose permit expires soon (masked ID numbers); every listing and export is journaled."""
    from counter import expiring as E
    from counter.services import engine

    station = open_station(data_dir)
    clerk_id = known_clerk(station, clerk)
    policy = engine.policy_of(station)
    today = engine.business_date(station)
    n = policy.expiry_notice_days if days is None else days
    items = E.expiring(station, n, today)
    for target in (sms_csv, pdf):
        if target is not None and not target.parent.exists():
            fail(f"the directory of {target} does not exist", 2)
    if sms_csv is not None:
        skipped = E.export_sms(station, items, sms_csv, clerk_id, n)
        print(f"wrote {sms_csv}: {len(items) - skipped} messages"
              + (f"; {skipped} holders without a mobile number left out" if skipped else ""), file=sys.stderr)
    if pdf is not None:
        E.print_list(station, items, pdf, clerk_id, n, today)
        print(f"wrote {pdf}: {len(items)} holders", file=sys.stderr)
    if sms_csv is not None or pdf is not None:
        return
    E.record_listed(station, clerk_id, n, items, "cli")
    if json_out:
        print_json([{"permit_id": i.permit_id, "name": i.name, "id": i.id_masked, "phone": i.phone,
                     "valid_until": i.valid_until, "days_left": i.days_left, "contacted": i.contacted} for i in items])
        return
    for i in items:
        print(f"{i.valid_until}  {i.days_left:>3}d  {i.name}  {i.id_masked}  {i.phone or '—'}"
              f"  {'contacted' if i.contacted else ''}".rstrip())
    print(f"{len(items)} permits expire within {n} days", file=sys.stderr)
