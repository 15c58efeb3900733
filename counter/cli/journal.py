"""counter journal verify|show|rebuild"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from counter.cli.common import DataDir, JsonFlag, fail, new_app, open_station, read_pin
from db import kinds

app = new_app("Inspect and check the station's hash-chained journal.")


@app.command("verify")
def verify(data_dir: DataDir = None, json_out: JsonFlag = False) -> None:
    """Check the whole chain; exit 1 naming the first bad seq and why."""
    from counter.cli.fast import journal_verify

    code = journal_verify(str(data_dir) if data_dir else None, json_out)
    if code:
        raise typer.Exit(code)


@app.command("show")
def show(
    since: Annotated[int, typer.Option("--since", min=0, help="Only entries after this seq")] = 0,
    limit: Annotated[int, typer.Option("--limit", min=0, help="At most this many entries (0 = all)")] = 0,
    full: Annotated[bool, typer.Option(
        "--full", help="Show payloads unmasked; needs a supervisor's PIN and is journaled as an access")] = False,
    supervisor: Annotated[str | None, typer.Option(
        "--supervisor", help="The supervisor approving --full (asked for when not given)", show_default=False)] = None,
    pin_stdin: Annotated[bool, typer.Option(
        "--pin-stdin", help="Read the supervisor's PIN from standard input")] = False,
    data_dir: DataDir = None,
    json_out: JsonFlag = False,
) -> None:
    """List journal entries; with --json, payloads have ID, passport and phone numbers, addresses and birth
    dates masked unless --full."""
    import json

    from counter.masking import mask_payload
    from db import journal

    station = open_station(data_dir)
    if not full and (supervisor or pin_stdin):
        fail("--supervisor and --pin-stdin only go with --full", 2)
    # the range shown, fixed before anything is read: an access is journaled for exactly this range
    through = journal.last_seq_of_range(station.db, since, limit)
    if through is None:
        return
    if full:
        _grant_full_access(station, supervisor, pin_stdin, since, through)
    for e in journal.entries(station.db, since, until=through):
        if json_out:
            d = e.as_dict()
            d["payload"] = e.data if full else mask_payload(e.data)
            print(json.dumps(d, ensure_ascii=False))
        else:
            print(f"{e.seq:>7} {e.business_day} {e.device_time_utc[:19]} {e.kind:<24} {e.clerk_id or '-':<12} {e.hash[:12]}")


def _grant_full_access(station, supervisor: str | None, pin_stdin: bool, since: int, through: int) -> None:
    """A supervisor's PIN, then the access journaled (who, which range) before anything is printed."""
    from counter.services import clerks

    if not supervisor:
        if pin_stdin or not sys.stdin.isatty():
            fail("--full needs a supervisor: pass --supervisor NAME (and --pin-stdin to read the PIN)", 2)
        supervisor = input("supervisor: ").strip()
    pin = read_pin(f"PIN of supervisor {supervisor}", pin_stdin)
    approver = clerks.authorize_supervisor(station, supervisor, pin, "journal.show_full")
    station.record(kinds.JOURNAL_FULL_ACCESS, {
        "supervisor_id": approver.clerk_id, "after_seq": since, "through_seq": through},
        clerk_id=approver.clerk_id)


@app.command("rebuild")
def rebuild_cmd(data_dir: DataDir = None) -> None:
    """Recompute every projection table from the journal; prints the projection checksum before and after."""
    from db.rebuild import checksum, rebuild

    station = open_station(data_dir)
    result = station.verify_journal()
    if not result.ok:
        raise typer.Exit(_refuse(result))
    before = checksum(station.db)
    count = rebuild(station.db)
    after = checksum(station.db)
    print(f"replayed {count} entries; projections {before[:16]} -> {after[:16]} ({'identical' if before == after else 'CHANGED'})")


def _refuse(result) -> int:
    import sys

    print(f"error: journal broken at seq {result.bad_seq} ({result.reason}); not rebuilding", file=sys.stderr)
    return 1
