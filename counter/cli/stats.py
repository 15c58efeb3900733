"""counter stats: the station's population figures by dimension, suppressed under k (no personal data)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from counter.cli.common import DataDir, check_lang, fail, open_station

FORMATS = ("text", "json", "csv", "xlsx", "pdf")


def parse_day(text: str | None, option: str, default: date) -> date:
    if text is None:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-01", 2)


def pick_format(json_out: bool, csv_out: bool, xlsx_out: bool, pdf_out: bool) -> str:
    chosen = [name for name, on in (("json", json_out), ("csv", csv_out), ("xlsx", xlsx_out), ("pdf", pdf_out)) if on]
    if len(chosen) > 1:
        fail("choose one of --json, --csv, --xlsx, --pdf", 2)
    return chosen[0] if chosen else "text"


def emit(data: bytes, fmt: str, out: Path | None) -> None:
    """Text, JSON and CSV may go to stdout; XLSX and PDF need --out (binary on a terminal helps no one)."""
    from counter import files

    if out is None:
        if fmt in ("xlsx", "pdf"):
            fail(f"--{fmt} writes a file: add --out FILE.{fmt}", 2)
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    if out.exists() and out.is_dir():
        fail(f"--out {out} is a directory; name a file", 2)
    if not out.parent.exists():
        fail(f"the directory of --out {out} does not exist", 2)
    files.write_atomic(out, data)
    print(f"wrote {out} ({len(data)} bytes)", file=sys.stderr)


def published(tx, by: str | None, flow: str | None, start: date, to: date, k: int, edges, lang: str, scope: str,
              default_by: str):
    """The table asked for: counts by the --by dimensions, or inflow and outflow per --flow period."""
    from counter import stats as S

    if flow is not None:
        if by is not None:
            fail("--flow and --by make different tables: give one of them", 2)
        counts = S.flow_table_counts(tx, flow, start, to)
        return S.publish(counts, [flow, "flow"], start, to, k, edges, lang, scope=scope)
    dims = S.parse_dimensions(by or default_by)
    return S.publish(S.count(tx, dims, start, to, edges), dims, start, to, k, edges, lang, scope=scope)


def register(app: typer.Typer) -> None:
    @app.command("stats")
    def stats(
        by: Annotated[str | None, typer.Option("--by", help="dimensions, comma-separated: origin, province, age, sex, stay,"
                                        " education, education_level, occupation, housing, reason, intended_stay,"
                                        " kind, week, month (default origin)")] = None,
        flow: Annotated[str | None, typer.Option("--flow", help="instead of --by: inflow (registrations started) and"
                                                 " outflow (registrations ended) per week or month")] = None,
        date_from: Annotated[str | None, typer.Option("--from", help="first day (YYYY-MM-DD; default: --to)")] = None,
        date_to: Annotated[str | None, typer.Option("--to", help="last day (default: today)")] = None,
        json_out: Annotated[bool, typer.Option("--json", help="JSON: cells, totals and footnote")] = False,
        csv_out: Annotated[bool, typer.Option("--csv", help="CSV (UTF-8 with BOM) with the footnote")] = False,
        xlsx_out: Annotated[bool, typer.Option("--xlsx", help="Excel workbook; needs --out")] = False,
        pdf_out: Annotated[bool, typer.Option("--pdf", help="A4 PDF report with charts; needs --out")] = False,
        out: Annotated[Path | None, typer.Option("--out", help="write to this file (0600) instead of stdout")] = None,
        lang: Annotated[str | None, typer.Option("--lang", help="zh_CN or en")] = None,
        data_dir: DataDir = None,
    ) -> None:
        """Persons registered here during --from..--to, by the --by dimensions (or --flow: in and out per period).

        Cells under the policy's stats_min_cell (default 5) are suppressed, with complementary cells,
        and the output says so in a footnote. Nothing in the output names or numbers a person."""
        from counter import stats as S
        from counter.services import engine

        fmt = pick_format(json_out, csv_out, xlsx_out, pdf_out)
        if by is not None and "station" in S.parse_dimensions(by):
            fail("--by station is for 'counter hq stats' (a station has only itself)", 2)
        station = open_station(data_dir)
        check_lang(lang)
        policy = engine.policy_of(station)
        today = engine.business_date(station)
        to = parse_day(date_to, "--to", today)
        start = parse_day(date_from, "--from", to)
        if start > to:
            fail(f"--from {start} is after --to {to}", 2)
        tx = S.station_facts(station)
        pub = published(tx, by, flow, start, to, policy.stats_min_cell, policy.stats_age_bands,
                        lang or station.config.lang,
                        f"{station.config.station_id} {station.config.data['station']['office']}", "origin")
        emit(S.render(pub, fmt), fmt, out)
