"""counter day show|close|report, counter export [verify]"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from counter.cli.common import DataDir, JsonFlag, fail, new_app, open_station, print_json, read_pin

day_app = new_app("End of day: the reconciliation, the supervisor's day close and the daily report.")
export_app = typer.Typer(help="The day's signed export bundle for the district.", invoke_without_command=True,
                         pretty_exceptions_enable=False, pretty_exceptions_show_locals=False, add_completion=False)

DateOpt = Annotated[str, typer.Option("--date", help="The business day, YYYY-MM-DD")]


def _print_reconciliation(rec) -> None:
    from counter.forms.registry import label as service_label

    f = rec.figures
    state = "CLOSED" if rec.closed else "open"
    print(f"station {rec.station_id} ({rec.office}), business day {rec.business_day}: {state}")
    if rec.closed:
        from counter.station import format_local

        print(f"  closed by {rec.closed_by} at {format_local(rec.closed_at, rec.timezone)} {rec.timezone}"
              f" (journal seq {rec.closed_seq})")
    print(f"  transactions            {f['transactions']:>6}")
    for service, n in sorted(f["by_service"].items(), key=lambda kv: -kv[1]):
        print(f"    {service_label(service)} ({service}): {n}")
    print(f"  receipts printed        {f['receipts_printed']:>6}")
    print(f"  receipts reprinted      {f['receipts_reprinted']:>6}")
    print(f"  voided                  {f['receipts_voided']:>6}")
    print(f"  certificates issued     {f['certificates_issued']:>6}")
    print(f"  print jobs failed       {f['print_jobs_failed']:>6}")
    print(f"  print jobs not printed  {f['print_jobs_unprinted']:>6}")
    print(f"  late registrations      {f['late_registrations']:>6}")
    print(f"  corrections             {f['corrections']:>6}")
    expiring = "n/a" if rec.permits_expiring is None else rec.permits_expiring
    print(f"  permits expiring <=30d  {expiring:>6}")
    print(f"  entries not yet synced  {rec.unsynced:>6} (journal head seq {rec.head_seq},"
          f" HQ acked {rec.acked_seq if rec.acked_seq is not None else 'never'})")
    peak = max(f["by_hour"]) or 1
    for hour, n in enumerate(f["by_hour"]):
        if n:
            print(f"    {hour:02d}h {'#' * max(1, round(30 * n / peak)):<30} {n}")


def _day_begun(station, date: str) -> str:
    """The day, refused when it is after the current business day (it would show as an empty 'open' day)."""
    from counter.domain.day_figures import parse_day

    day, current = parse_day(date), station.business_day()
    if day > current:
        fail(f"{day} has not begun: the current business day is {current}", 2)
    return day


@day_app.command("show")
def show(date: DateOpt, data_dir: DataDir = None, json_out: JsonFlag = False) -> None:
    """Show a day's reconciliation (as recorded at its close, or as of now while open)."""
    from counter.services.dayclose import reconcile

    station = open_station(data_dir)
    rec = reconcile(station, _day_begun(station, date))
    if json_out:
        print_json(rec.as_dict())
    else:
        _print_reconciliation(rec)


@day_app.command("close")
def close(
    date: Annotated[str | None, typer.Option("--date", help="The business day, YYYY-MM-DD")] = None,
    through: Annotated[str | None, typer.Option(
        "--through", help="Close every open day up to this one (YYYY-MM-DD), oldest first, one confirmation each")] = None,
    supervisor: Annotated[str | None, typer.Option("--supervisor", help="The supervisor's name")] = None,
    pin_stdin: Annotated[bool, typer.Option("--pin-stdin", help="Read the supervisor's PIN from stdin")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Close without asking (warnings are still printed)")] = False,
    data_dir: DataDir = None,
    json_out: JsonFlag = False,
) -> None:
    """Close a business day (or every open day through D) on a supervisor's PIN; later entries go to the next
    business day."""
    from counter.domain.day_figures import parse_day
    from counter.services import dayclose

    if (date is None) == (through is None):
        fail("name the day: --date YYYY-MM-DD, or --through YYYY-MM-DD for every open day up to it", 2)
    non_interactive = pin_stdin or not sys.stdin.isatty()
    if not supervisor and non_interactive:  # before the figures scroll by: nothing to decide yet
        fail("name the supervisor with --supervisor NAME", 2)
    station = open_station(data_dir)
    if through is not None:
        days = dayclose.days_to_close(station, through)
    else:
        days = [parse_day(date)]
    dayclose.check_can_close(station, days[0])
    pin = None
    closed = []
    for day in days:
        dayclose.check_can_close(station, day)
        rec = dayclose.reconcile(station, day)
        if not json_out:
            _print_reconciliation(rec)
        for template, params in rec.warnings():
            print(f"warning: {day}: {template.format(**params)}", file=sys.stderr)
        if not yes and non_interactive:
            fail("not closing without confirmation: pass --yes to close non-interactively", 2)
        if not yes and not typer.confirm(f"Close business day {day} with these figures?", default=False):
            if closed and not json_out:
                print(f"closed {len(closed)} of {len(days)} days; {day} and later stay open")
            fail(f"{day} not closed", 1)
        if not supervisor:
            supervisor = typer.prompt("Supervisor")
        if pin is None:
            pin = read_pin("Supervisor PIN", from_stdin=pin_stdin)
        entry = dayclose.close_day(station, day, supervisor, pin)
        closed.append({"business_day": day, "closed_seq": entry.seq,
                       "figures": dayclose.reconcile(station, day).figures})
        if not json_out:
            print(f"day {day} closed (journal seq {entry.seq}); new entries go to {station.business_day()}")
    if json_out:
        if through is None:
            print_json({**closed[0], "next_business_day": station.business_day()})
        else:
            print_json({"closed": closed, "next_business_day": station.business_day()})


@day_app.command("report")
def report(
    date: DateOpt,
    out: Annotated[Path, typer.Option("--out", help="Write the PDF here")],
    data_dir: DataDir = None,
) -> None:
    """Write the daily reconciliation report PDF (marked as a draft while the day is open)."""
    from counter.services.dayclose import render_report
    from counter.sync.bundle import write_atomic

    station = open_station(data_dir)
    pdf = render_report(station, _day_begun(station, date))
    write_atomic(out, pdf)
    print(f"report for {date} written to {out} ({len(pdf)} bytes)")


@export_app.callback()
def export(
    ctx: typer.Context,
    date: Annotated[str | None, typer.Option("--date", help="The business day, YYYY-MM-DD")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Directory to write the bundle into")] = None,
    allow_open: Annotated[bool, typer.Option(
        "--allow-open", help="Export a day that is not closed yet (a provisional bundle)")] = False,
    encrypt_to: Annotated[str | None, typer.Option(
        "--encrypt-to", help="age X25519 recipient (age1...) of the district; default: station.toml export.age_recipient")] = None,
    no_encrypt: Annotated[bool, typer.Option(
        "--no-encrypt", help="Write the bundle unencrypted (it holds personal data); needed when no recipient is set")]
        = False,
    data_dir: DataDir = None,
    json_out: JsonFlag = False,
) -> None:
    """Write the day's bundle for the district: one signed file, encrypted to the district's age key
    (export.age_recipient in station.toml, or --encrypt-to); plaintext only with --no-encrypt."""
    if ctx.invoked_subcommand is not None:
        return
    if not date or not out:
        fail("name the day and the directory: counter export --date YYYY-MM-DD --out DIR", 2)
    from counter.services.export import export_day

    station = open_station(data_dir)
    recipient = None if no_encrypt else (encrypt_to or station.config.section("export")["age_recipient"] or None)
    path, bundle = export_day(station, date, out, allow_open=allow_open, recipient=recipient,
                              require_encryption=not no_encrypt)
    m = bundle.manifest
    if json_out:
        print_json({"file": str(path), "bytes": len(bundle.data), "encrypted": bundle.encrypted,
                    "business_day": m["business_day"], "closed": m["closed"], "first_seq": m["first_seq"],
                    "last_seq": m["last_seq"], "head_hash": m["head_hash"]})
        return
    state = "" if m["closed"] else " (PROVISIONAL: the day is not closed)"
    print(f"{path}: day {m['business_day']}, seq {m['first_seq']}-{m['last_seq']}, {len(bundle.data)} bytes"
          f"{', encrypted' if bundle.encrypted else ''}{state}")


@export_app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="A bundle written by 'counter export'")],
    station_key: Annotated[Path | None, typer.Option(
        "--station-key", help="The station's public key (PEM, its station.pub)")] = None,
    identity_file: Annotated[Path | None, typer.Option(
        "--identity", help="The district's age identity file, for an encrypted bundle")] = None,
    data_dir: DataDir = None,
    json_out: JsonFlag = False,
) -> None:
    """Check a bundle: exit 0 if every byte, signature, hash and figure holds, else exit 1 with the reason."""
    from counter.sync.bundle import BundleError, load_trusted_key, read_bundle_files, verify_bundle

    data, identity_text = read_bundle_files(file, identity_file)
    key = load_trusted_key(station_key, data_dir)
    try:
        result = verify_bundle(data, key, identity_text=identity_text)
    except BundleError as exc:
        if json_out:
            print_json({"ok": False, "reason": str(exc)})
            raise typer.Exit(1) from None
        fail(f"{file}: rejected: {exc}", 1)
    m = result.manifest
    if json_out:
        print_json({"ok": True, "station_id": m["station_id"], "business_day": m["business_day"],
                    "closed": m["closed"], "first_seq": m["first_seq"], "last_seq": m["last_seq"],
                    "entries": m["entry_count"], "encrypted": result.encrypted})
        return
    state = "closed" if m["closed"] else "NOT CLOSED (provisional)"
    print(f"{file}: ok: station {m['station_id']} day {m['business_day']} {state}, seq {m['first_seq']}-"
          f"{m['last_seq']} ({m['entry_count']} entries), {m['figures']['transactions']} transactions")

