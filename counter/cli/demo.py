"""counter demo: a throwaway station with simulated devices; counter demo seed."""

from __future__ import annotations

from typing import Annotated

import typer

from counter.cli.common import check_lang

app = typer.Typer(help="A demo station with a simulated card reader and printer.", invoke_without_command=True,
                  pretty_exceptions_enable=False, pretty_exceptions_show_locals=False, add_completion=False)


@app.callback()
def demo(
    ctx: typer.Context,
    data_dir: Annotated[
        str | None,
        typer.Option("--data-dir", help="Keep the demo station here (default: a fresh temporary directory)"),
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="zh_CN or en")] = None,
) -> None:
    """Start the counter on a throwaway demo station. Sign in as 演示柜员 with PIN 1234 (supervisor 演示主管, 4321)."""
    if ctx.invoked_subcommand is not None:
        return
    check_lang(lang)
    from counter.cli.fast import start_demo

    start_demo(data_dir, lang)


@app.command("seed")
def seed(
    count: Annotated[int, typer.Option("--count", min=1, max=1_000_000, help="How many service transactions")] = 100,
    data_dir: Annotated[
        str | None,
        typer.Option("--data-dir", envvar="COUNTER_DATA_DIR",
                     help="Station to fill; a demo station is created there if none exists"),
    ] = None,
    rng_seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same people)")] = 2026,
    force: Annotated[bool, typer.Option(
        "--force", help="Seed a station that `counter demo` did not make (its invented people sync to HQ)")] = False,
) -> None:
    """Create N realistic transactions through the service layer (names with · and 𠮷, passports, late entries)."""
    from counter.cli.common import fail
    from counter.config import resolve_data_dir
    from counter.services import clerks
    from counter.services.demo import DEMO_CLERK, open_demo_station
    from counter.services.seed import seed as make

    station = open_demo_station(str(resolve_data_dir(data_dir)))
    if not station.is_demo() and not force:
        fail(f"{station.data_dir} is station {station.station_id}, not one made by 'counter demo'; seeding would put"
             " invented people into it (and into HQ at its next sync). Use a demo station, or --force", 2)
    clerk = clerks.find_clerk(station, DEMO_CLERK[0])
    result = make(station, count, clerk=clerk, rng_seed=rng_seed)
    rate = result.transactions / result.seconds if result.seconds else 0
    print(f"seeded {result.transactions} transactions for {result.people} new people "
          f"({result.late} late) in {result.seconds:.1f} s ({rate:.0f}/s) into {station.data_dir}")

