"""counter init | id check | run"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from counter.cli.common import DataDir, JsonFlag, check_lang, fail, new_app, print_json
from counter.config import resolve_data_dir

id_app = new_app("Citizen ID numbers (GB 11643-1999).")


@id_app.command("check")
def id_check(number: Annotated[str, typer.Argument(help="18-digit (or old 15-digit) citizen ID number")],
             json_out: JsonFlag = False) -> None:
    """Validate a citizen ID number and print what it encodes; exit 1 with the reason when invalid."""
    from counter.cli.fast import id_check as check

    code = check(number, json_out)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init(
        station_id: Annotated[str, typer.Option("--station-id", help="This station's id, unique in the district")],
        district: Annotated[str | None, typer.Option(
            "--district", help="GB/T 2260 area code of the district (not with --restore-from-hq)")] = None,
        office: Annotated[str | None, typer.Option(
            "--office", help="The service hall's name, as printed on receipts (not with --restore-from-hq)")] = None,
        timezone: Annotated[str, typer.Option("--timezone", help="Time zone of the business day")] = "Asia/Shanghai",
        lang: Annotated[str, typer.Option("--lang", help="UI language: zh_CN or en")] = "zh_CN",
        restore_from_hq: Annotated[str | None, typer.Option(
            "--restore-from-hq", help="Replace a broken PC: rebuild this station from HQ's copy of its journal")] = None,
        hq_public_key: Annotated[Path | None, typer.Option(
            "--hq-public-key", help="With --restore-from-hq: HQ's public key (hq.pub)")] = None,
        hq_ca: Annotated[Path | None, typer.Option("--hq-ca", help="With --restore-from-hq: HQ's TLS CA")] = None,
        insecure_http: Annotated[bool, typer.Option(
            "--insecure-http", help="With --restore-from-hq: allow plain http:// off loopback")] = False,
        data_dir: DataDir = None,
    ) -> None:
        """Create a station: DIR/station.toml, DIR/station.db and its Ed25519 key pair in DIR/keys/."""
        from zoneinfo import ZoneInfo

        from counter.station import Station

        if restore_from_hq is not None:
            if district or office:
                fail("--district and --office come from HQ's copy with --restore-from-hq; leave them out", 2)
            if hq_public_key is None:
                fail("--restore-from-hq needs --hq-public-key hq.pub (HQ's key, carried over by hand)", 2)
            _restore_from_hq(resolve_data_dir(data_dir), restore_from_hq, station_id, hq_public_key, hq_ca,
                             insecure_http)
            return
        if not district or not office:
            fail("name the district and the office: counter init --station-id ID --district CODE --office NAME", 2)

        # Named after the option: the station.toml the config check would name does not exist yet.
        try:
            ZoneInfo(timezone)
        except Exception:  # ZoneInfoNotFoundError, or ValueError for a malformed key
            fail(f"--timezone {timezone} is not a known time zone, e.g. Asia/Shanghai", 2)
        check_lang(lang)
        directory = resolve_data_dir(data_dir)
        station = Station.init(directory, station_id, district, office,
                               station={"timezone": timezone, "lang": lang})
        for notice in station.notices:
            print(notice)
        print(f"station {station.station_id} created in {directory}")
        print(f"key id {station.key.key_id}; public key {directory / 'keys' / 'station.pub'}")
        print("next: counter clerk add NAME --role supervisor --data-dir", directory)

    def _restore_from_hq(directory: Path, url: str, station_id: str, hq_pub: Path, hq_ca: Path | None,
                         insecure_http: bool) -> None:
        from counter.progress import Progress
        from counter.restore import LOSS_NOTE, restore_station_from_hq

        bar = Progress("entries from HQ")
        done = restore_station_from_hq(directory, url, station_id, hq_pub, hq_ca_file=hq_ca,
                                       insecure_http=insecure_http, progress=bar.update)
        bar.close()
        if done.pending_enrolment:
            print(f"made this PC's key {done.key_id}: {directory / 'keys' / 'station.pub'}")
            print(f"next, at HQ: counter hq rekey {station_id} --public-key station.pub --reason WHY --approved-by"
                  " SUPERVISOR; then run this command again")
            return
        fetched = done.fetched
        assert fetched is not None
        print(f"station {station_id} restored in {directory}: {fetched.entries} entries from HQ verified"
              f" ({fetched.checkpoints} station signatures, HQ's cursor at seq {fetched.ack.acked_seq}) in"
              f" {fetched.seconds:.1f} s; projections rebuilt")
        print(f"continuing at seq {done.restored_seq} under key {done.key_id} (station.restored)")
        print("warning: " + LOSS_NOTE.format(seq=fetched.ack.acked_seq, interval=30), file=sys.stderr)
        if done.synced:
            print("HQ accepted the restored station's first entry")
        else:
            print(f"warning: not synced yet: {done.sync_error}", file=sys.stderr)
        for notice in done.notices:
            print(f"note: {notice}")
        print("next: set [reader] and [printer] in station.toml for this PC (they are not kept at HQ)")

    @app.command("run")
    def run(
        data_dir: DataDir = None,
        lang: Annotated[str | None, typer.Option("--lang", help="zh_CN or en (default: station config)")] = None,
    ) -> None:
        """Start the counter (the TUI) for this station."""
        from counter.cli.fast import start_ui

        check_lang(lang)
        start_ui(str(data_dir) if data_dir is not None else None, lang)


config_app = new_app("Show the station's configuration and the shipped templates.")


@config_app.command("show")
def config_show(data_dir: DataDir = None, json_out: JsonFlag = False) -> None:
    """Print the effective configuration: station.toml with every default filled in."""
    from counter.config import load_config

    config = load_config(resolve_data_dir(data_dir))
    if json_out:
        print_json(config.data)
        return
    import tomli_w

    print(f"# {config.path}")
    print(tomli_w.dumps(config.data), end="")


@config_app.command("templates")
def config_templates(json_out: JsonFlag = False) -> None:
    """List the data files shipped in templates/ (forms, layouts, policy) with their sha256."""
    from counter.templates_catalog import list_templates

    rows = list_templates()
    if json_out:
        print_json([r.__dict__ for r in rows])
        return
    for r in rows:
        print(f"{r.sha256[:16]}  {r.size:>7}  {r.path}")
