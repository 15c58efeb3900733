"""counter clerk add|list|disable|enable"""

from __future__ import annotations

from typing import Annotated

import typer

from counter.cli.common import DataDir, JsonFlag, new_app, open_station, print_json, read_pin

app = new_app("Manage the clerks who may sign in at this station.")

ClerkName = Annotated[str, typer.Argument(help="The clerk's name, as shown by 'counter clerk list'")]


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The clerk's name as typed at sign-in")],
    role: Annotated[str, typer.Option("--role", help="clerk or supervisor")] = "clerk",
    pin_stdin: Annotated[bool, typer.Option("--pin-stdin", help="Read the PIN from standard input")] = False,
    data_dir: DataDir = None,
) -> None:
    """Add a clerk; the PIN is asked twice (or read once from stdin) and stored only as an Argon2id hash."""
    from counter import clerks

    station = open_station(data_dir)
    pin = read_pin("PIN", pin_stdin)
    clerks.check_pin_format(pin)
    if not pin_stdin and read_pin("PIN again") != pin:
        raise typer.BadParameter("the two PINs differ")
    clerk = clerks.add_clerk(station, name, role, pin)
    print(f"added {clerk.role} {clerk.name} ({clerk.clerk_id})")


@app.command("list")
def list_(data_dir: DataDir = None, json_out: JsonFlag = False) -> None:
    """List clerks with their role and whether they may sign in."""
    from counter import clerks

    rows = clerks.list_clerks(open_station(data_dir))
    if json_out:
        print_json([c.__dict__ for c in rows])
        return
    if not rows:
        print("no clerks yet; add a supervisor: counter clerk add NAME --role supervisor")
        return
    for c in rows:
        print(f"{c.name}\t{c.role}\t{'active' if c.active else 'disabled'}\t{c.clerk_id}")


@app.command("disable")
def disable(name: ClerkName, data_dir: DataDir = None) -> None:
    """Stop a clerk from signing in (the history stays)."""
    from counter import clerks

    clerks.set_active(open_station(data_dir), name, False)
    print(f"disabled {name}")


@app.command("enable")
def enable(name: ClerkName, data_dir: DataDir = None) -> None:
    """Let a disabled or locked-out clerk sign in again."""
    from counter import clerks

    clerks.set_active(open_station(data_dir), name, True)
    print(f"enabled {name}")
