"""counter init | run | id check | config show|templates"""

from __future__ import annotations

import sys
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


def init(
    station_id: Annotated[str, typer.Option("--station-id", help="This station's id, unique in the district")],
    district: Annotated[str, typer.Option("--district", help="GB/T 2260 area code of the district")],
    office: Annotated[str, typer.Option("--office", help="The service hall's name, as printed on receipts")],
    timezone: Annotated[str, typer.Option("--timezone", help="Time zone of the business day")] = "Asia/Shanghai",
    lang: Annotated[str, typer.Option("--lang", help="UI language: zh_CN or en")] = "zh_CN",
    data_dir: DataDir = None,
) -> None:
    """Create a station: DIR/station.toml, DIR/station.db and its Ed25519 key pair in DIR/keys/."""
    from zoneinfo import ZoneInfo

    from counter.station import Station

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


def run(
    data_dir: DataDir = None,
    lang: Annotated[str | None, typer.Option("--lang", help="zh_CN or en (default: station config)")] = None,
) -> None:
    """Start the counter (the TUI) for this station."""
    from counter.station import Station

    check_lang(lang)
    station = Station.open(resolve_data_dir(data_dir))
    for notice in station.notices:
        print(f"warning: {notice}", file=sys.stderr)
    from screens.app import run_app  # the UI is imported only here

    run_app(station, lang=lang or station.config.lang, demo=False)


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
