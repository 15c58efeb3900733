"""counter demo: a throwaway station with simulated devices."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="A demo station with a simulated card reader and printer.", invoke_without_command=True,
                  pretty_exceptions_enable=False, add_completion=False)


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
    from counter.demo import open_demo_station

    station = open_demo_station(data_dir)
    from screens.app import run_app

    run_app(station, lang=lang or station.config.lang, demo=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="demo")



