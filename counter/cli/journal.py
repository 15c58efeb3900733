"""counter journal verify|show|rebuild"""

from __future__ import annotations

from typing import Annotated

import typer

from counter.cli.common import DataDir, JsonFlag, new_app, open_station, print_json

app = new_app("Inspect and check the station's hash-chained journal.")


@app.command("verify")
def verify(data_dir: DataDir = None, json_out: JsonFlag = False) -> None:
    """Check the whole chain; exit 1 naming the first bad seq and why."""
    from counter.sync_state import last_ack

    station = open_station(data_dir)
    result = station.verify_journal(acked=last_ack(station))
    if json_out:
        print_json(result.__dict__)
    elif result.ok:
        print(f"journal intact: {result.count} entries, head seq {result.head_seq} {result.head_hash[:16]}")
    else:
        print(f"journal broken at seq {result.bad_seq}: {result.reason}", file=__import__("sys").stderr)
    raise typer.Exit(0 if result.ok else 1)


@app.command("show")
def show(
    since: Annotated[int, typer.Option("--since", min=0, help="Only entries after this seq")] = 0,
    limit: Annotated[int, typer.Option("--limit", min=0, help="At most this many entries (0 = all)")] = 0,
    data_dir: DataDir = None,
    json_out: JsonFlag = False,
) -> None:
    """List journal entries (payloads are shown as stored; the ID numbers in them are masked at source)."""
    from db import journal

    station = open_station(data_dir)
    for n, e in enumerate(journal.entries(station.db, since), start=1):
        if json_out:
            d = e.as_dict()
            d["payload"] = e.data
            print(__import__("json").dumps(d, ensure_ascii=False))
        else:
            print(f"{e.seq:>7} {e.business_day} {e.device_time_utc[:19]} {e.kind:<24} {e.clerk_id or '-':<12} {e.hash[:12]}")
        if limit and n >= limit:
            break


@app.command("rebuild")
def rebuild(data_dir: DataDir = None) -> None:
    """Recompute every projection table from the journal; prints the projection checksum before and after."""
    from db import projections

    station = open_station(data_dir)
    result = station.verify_journal()
    if not result.ok:
        raise typer.Exit(_refuse(result))
    before = projections.checksum(station.db)
    count = projections.rebuild(station.db)
    after = projections.checksum(station.db)
    print(f"replayed {count} entries; projections {before[:16]} -> {after[:16]} ({'identical' if before == after else 'CHANGED'})")


def _refuse(result) -> int:
    import sys

    print(f"error: journal broken at seq {result.bad_seq} ({result.reason}); not rebuilding", file=sys.stderr)
    return 1
