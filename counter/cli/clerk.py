"""counter clerk add|list|disable|enable|role|pin"""

from __future__ import annotations

from typing import Annotated

import typer

from counter.cli.common import DataDir, JsonFlag, new_app, open_station, print_json, read_pin

app = new_app("Manage the clerks who may sign in at this station.")

ClerkName = Annotated[str, typer.Argument(help="The clerk's name, as shown by 'counter clerk list'")]
Supervisor = Annotated[str | None, typer.Option(
    "--supervisor", help="The approving supervisor's name (needed once the station has a supervisor)",
    show_default=False)]
SupervisorPinStdin = Annotated[bool, typer.Option(
    "--pin-stdin", help="Read the supervisor's PIN from standard input instead of asking")]


def approve(station, supervisor: str | None, pin_stdin: bool, action: str):
    """The approving supervisor (their PIN read from stdin or asked), or None on a station without one."""
    from counter.services import clerks

    if not clerks.has_supervisor(station):
        return None
    pin = read_pin(f"PIN of supervisor {supervisor}", pin_stdin) if supervisor else None
    return clerks.approve_clerk_change(station, supervisor, pin, action)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The clerk's name as typed at sign-in")],
    role: Annotated[str, typer.Option("--role", help="clerk or supervisor")] = "clerk",
    supervisor: Supervisor = None,
    pin_stdin: Annotated[bool, typer.Option(
        "--pin-stdin", help="Read the PINs from standard input: the supervisor's first (with --supervisor),"
                            " then the new clerk's")] = False,
    data_dir: DataDir = None,
) -> None:
    """Add a clerk; the PIN is asked twice (or read once from stdin) and stored only as an Argon2id hash."""
    from counter.errors import CounterError, ValidationError
    from counter.services import clerks

    station = open_station(data_dir)
    name = clerks.check_clerk_name(name)
    if role not in clerks.ROLES:
        raise ValidationError("role must be clerk or supervisor", field="role")
    if clerks.find_clerk(station, name):
        raise CounterError("a clerk named {name} already exists", exit_code=2, name=name)
    approver = approve(station, supervisor, pin_stdin, "clerk.add")
    pin = read_pin("PIN", pin_stdin)
    clerks.check_pin_format(pin)
    if not pin_stdin and read_pin("PIN again") != pin:
        raise typer.BadParameter("the two PINs differ")
    clerk = clerks.add_clerk(station, name, role, pin, by=approver and approver.clerk_id, approved_by=approver)
    print(f"added {clerk.role} {clerk.name} ({clerk.clerk_id})"
          + (f", approved by {approver.name}" if approver else ""))


@app.command("list")
def list_(data_dir: DataDir = None, json_out: JsonFlag = False) -> None:
    """List clerks with their role and whether they may sign in."""
    from counter.services import clerks

    rows = clerks.list_clerks(open_station(data_dir))
    if json_out:
        print_json([c.__dict__ for c in rows])
        return
    if not rows:
        print("no clerks yet; add a supervisor: counter clerk add NAME --role supervisor")
        return
    for c in rows:
        print(f"{c.name}\t{c.role}\t{'active' if c.active else 'disabled'}\t{c.clerk_id}")


def _known(station, name: str):
    from counter.errors import CounterError
    from counter.services import clerks

    clerk = clerks.find_clerk(station, name)
    if clerk is None:
        raise CounterError("no clerk named {name}; the names are in 'counter clerk list'", name=name)
    return clerk


@app.command("disable")
def disable(name: ClerkName, supervisor: Supervisor = None, pin_stdin: SupervisorPinStdin = False,
            data_dir: DataDir = None) -> None:
    """Stop a clerk from signing in (the history stays); needs a supervisor's approval."""
    from counter.services import clerks

    station = open_station(data_dir)
    clerks.refuse_losing_last_supervisor(station, _known(station, name))
    approver = approve(station, supervisor, pin_stdin, "clerk.disable")
    clerks.set_active(station, name, False, by=approver and approver.clerk_id, approved_by=approver)
    print(f"disabled {name}")


@app.command("enable")
def enable(name: ClerkName, supervisor: Supervisor = None, pin_stdin: SupervisorPinStdin = False,
           data_dir: DataDir = None) -> None:
    """Let a disabled or locked-out clerk sign in again; needs a supervisor's approval."""
    from counter.services import clerks

    station = open_station(data_dir)
    _known(station, name)
    approver = approve(station, supervisor, pin_stdin, "clerk.enable")
    clerks.set_active(station, name, True, by=approver and approver.clerk_id, approved_by=approver)
    print(f"enabled {name}")


@app.command("role")
def role(name: ClerkName,
         new_role: Annotated[str, typer.Argument(metavar="ROLE", help="clerk or supervisor")],
         supervisor: Supervisor = None, pin_stdin: SupervisorPinStdin = False,
         data_dir: DataDir = None) -> None:
    """Change a clerk's role; needs a supervisor's approval, and the last active supervisor stays one."""
    from counter.errors import CounterError, ValidationError
    from counter.services import clerks

    station = open_station(data_dir)
    clerk = _known(station, name)
    if new_role not in clerks.ROLES:
        raise ValidationError("role must be clerk or supervisor", field="role")
    if clerk.role == new_role:
        raise CounterError("{name} is already a {role}", exit_code=2, name=name, role=new_role)
    if new_role != "supervisor":
        clerks.refuse_losing_last_supervisor(station, clerk)
    approver = approve(station, supervisor, pin_stdin, "clerk.role")
    clerks.set_role(station, name, new_role, by=approver and approver.clerk_id, approved_by=approver)
    print(f"{name} is now a {new_role}")


@app.command("pin")
def pin(
    name: ClerkName,
    supervisor: Supervisor = None,
    pin_stdin: Annotated[bool, typer.Option(
        "--pin-stdin", help="Read the PINs from standard input: the supervisor's first (with --supervisor),"
                            " then the clerk's")] = False,
    data_dir: DataDir = None,
) -> None:
    """Give a PIN to a clerk who has none on this PC (after a restore from HQ: PINs never leave a station)."""
    from counter.cli.common import fail
    from counter.services import clerks

    station = open_station(data_dir)
    approver = None
    if clerks.supervisor_with_pin(station):
        if not supervisor:
            fail("a supervisor of this station has a PIN: name them with --supervisor to approve", 2)
        supervisor_pin = read_pin(f"PIN of supervisor {supervisor}", pin_stdin)
        approver = clerks.approve_clerk_change(station, supervisor, supervisor_pin, "clerk.pin")
    new_pin = read_pin("PIN", pin_stdin)
    clerks.check_pin_format(new_pin)
    if not pin_stdin and read_pin("PIN again") != new_pin:
        raise typer.BadParameter("the two PINs differ")
    clerk = clerks.set_missing_pin(station, name, new_pin, approved_by=approver)
    print(f"{clerk.name} can sign in at this station" + (f", approved by {approver.name}" if approver else ""))
