"""counter sync [--once] | counter sync configure | counter sync status"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from counter.cli.common import DataDir, JsonFlag, fail, open_station, print_json

app = typer.Typer(help="Push the journal to headquarters (HQ).", invoke_without_command=True,
                  pretty_exceptions_enable=False, pretty_exceptions_show_locals=False, add_completion=False)


def _print_result(result) -> None:
    if result.warning:
        print(result.warning, file=__import__("sys").stderr)
    if result.ok:
        extra = f", {result.duplicates} already at HQ" if result.duplicates else ""
        print(f"synced: {result.pushed} entries in {result.batches} batch(es){extra}; HQ acked seq"
              f" {result.acked_seq}; {result.pending} pending")
    else:
        print(f"error: {result.error}", file=__import__("sys").stderr)


@app.callback()
def sync(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Push what is pending once, then exit")] = False,
    data_dir: DataDir = None,
) -> None:
    """Push pending journal entries to HQ; without --once, keep going every sync.interval_seconds."""
    if ctx.invoked_subcommand is not None:
        return
    from counter.sync.client import sync_loop, sync_once

    station = open_station(data_dir)
    if once:
        result = sync_once(station)
        _print_result(result)
        raise typer.Exit(0 if result.ok else 1)
    interval = station.config.section("sync")["interval_seconds"]
    print(f"syncing every {interval} s to {station.config.section('sync')['hq_url'] or '(not configured)'};"
          " Ctrl-C stops")
    try:
        sync_loop(station, lambda: False, _print_result)
    except KeyboardInterrupt:
        print("stopped")


@app.command("configure")
def configure(
    hq_url: Annotated[str, typer.Option("--hq-url", help="HQ's base URL, e.g. https://hq.example:8765")],
    hq_public_key: Annotated[Path, typer.Option("--hq-public-key", help="HQ's public key file (hq.pub)")],
    hq_ca: Annotated[Path | None, typer.Option(
        "--hq-ca", help="HQ's TLS certificate or CA (PEM): the only one trusted for https://")] = None,
    insecure_http: Annotated[bool, typer.Option(
        "--insecure-http", help="Allow plain http:// to a host that is not loopback (unencrypted)")] = False,
    data_dir: DataDir = None,
) -> None:
    """Store HQ's URL, public key and TLS trust (config sync.hq_url, sync.hq_public_key, sync.hq_ca, sync.insecure_http)."""
    from counter.sync.client import configure as do_configure

    station = open_station(data_dir)
    key_id = do_configure(station, hq_url, hq_public_key, hq_ca_file=hq_ca, insecure_http=insecure_http)
    print(f"sync configured: HQ {hq_url}, HQ key {key_id}" + (f", TLS pinned to {hq_ca}" if hq_ca else ""))
    if insecure_http:
        print("warning: plain http:// allowed (sync.insecure_http): personal data crosses the network unencrypted",
              file=__import__("sys").stderr)
    print(f"HQ must enrol this station: counter hq enroll --db URL --station-id {station.station_id}"
          f" --public-key {station.data_dir / 'keys' / 'station.pub'}")


@app.command("status")
def status(data_dir: DataDir = None, json_out: JsonFlag = False) -> None:
    """Last successful sync, entries pending, last error, HQ's acked seq."""
    from counter.sync.client import sync_status

    station = open_station(data_dir)
    st = sync_status(station)
    if json_out:
        print_json(st)
        return
    if not st["configured"]:
        fail("sync is not configured; run 'counter sync configure --hq-url URL --hq-public-key FILE'")
    print(f"acked seq {st['acked_seq']}, {st['pending']} pending, last sync {st['last_sync'] or 'never'}")
    if st["error"]:
        print(f"last error: {st['error']}")
