"""counter person find QUERY [--json] | counter person adopt REF --clerk ID"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from counter.cli.common import DataDir, JsonFlag, known_clerk, new_app, open_station, print_json

app = new_app("Find people on file here and in the district register at HQ.")

ClerkOption = Annotated[str | None, typer.Option("--clerk", help="The clerk asking (HQ records every lookup"
                                                 " by clerk); without it only this station is searched")]


def _line(found, own_station: str) -> str:
    if found.source == "local":
        where = "here" if found.station_id == own_station else f"here (adopted from {found.station_id})"
    else:
        where = f"HQ (last at {found.station_id or '?'}{'; newer than the file here' if found.also_local else ''})"
    permits = ", ".join(f"{p.get('number')} {p.get('status')} until {p.get('valid_until')}" for p in found.permits)
    fields = [found.name, found.id_masked, found.birth_date or "-", where]
    if found.ref:
        fields.append(f"ref {found.ref}")
    if permits:
        fields.append(f"permits: {permits}")
    return "  ".join(fields)


@app.command("find")
def find(query: Annotated[str, typer.Argument(help="ID number, name (optionally with a birth date), pinyin"
                                              " (zhangwei, zw), phone, or an application/permit number")],
         clerk: ClerkOption = None,
         local_only: Annotated[bool, typer.Option("--local-only", help="Do not ask HQ")] = False,
         json_out: JsonFlag = False, data_dir: DataDir = None) -> None:
    """Local results first, then HQ's when the station is online; each says where its file is."""
    from counter.services import register

    station = open_station(data_dir)
    clerk_id = known_clerk(station, clerk)
    result = register.find(station, query, clerk_id=clerk_id, local_only=local_only or clerk_id is None)
    if clerk_id is None and not local_only and register.hq_configured(station):
        result.hq, result.hq_message = "not_asked", "HQ not asked: pass --clerk ID (HQ records every lookup by clerk)"
    if json_out:
        print_json(result.as_dict())
    else:
        for found in result.results:
            print(_line(found, station.station_id))
        if not result.results:
            print("nobody found")
        if result.truncated:
            print("HQ has more matches: narrow the query (add a birth date)")
    if result.hq_message and result.hq != "online":
        print(f"note: {result.hq_message}", file=sys.stderr)
    raise typer.Exit(0 if result.results else 1)


@app.command("adopt")
def adopt(ref: Annotated[str, typer.Argument(help="The ref of an HQ result of 'counter person find'")],
          clerk: Annotated[str, typer.Option("--clerk", help="The clerk opening the file")],
          json_out: JsonFlag = False, data_dir: DataDir = None) -> None:
    """Open a file from HQ and bring it into this station (verified, journaled as register.adopted)."""
    from counter.services import clerks, people, register

    station = open_station(data_dir)
    clerk_id = known_clerk(station, clerk)
    clerk_row = next(c for c in clerks.list_clerks(station) if c.clerk_id == clerk_id)
    session = clerks.Session(session_id="cli", clerk=clerk_row)
    remote = register.open_remote(station, session, ref)
    pid = register.adopt(station, session, remote)
    person = people.get(station, pid)
    permits = people.permits(station, pid)
    if json_out:
        print_json({"person_id": pid, "name": person.name, "id_masked": person.masked_id,
                    "source_station": register.adopted_from(station, pid),
                    "permits": [{"number": p.permit_id, "status": p.status, "valid_until": p.valid_until}
                                for p in permits]})
    else:
        print(f"adopted: {person.name} {person.masked_id} from {register.adopted_from(station, pid)};"
              f" {len(permits)} permit(s)")


@app.command("conflicts")
def conflicts(all_: Annotated[bool, typer.Option("--all", help="Include conflicts HQ has resolved")] = False,
              seen: Annotated[int | None, typer.Option("--seen", help="Mark this conflict id seen (journaled;"
                                                       " needs --supervisor)")] = None,
              supervisor: Annotated[str | None, typer.Option("--supervisor", help="The supervisor marking it")] = None,
              pin_stdin: Annotated[bool, typer.Option("--pin-stdin", help="Read the supervisor's PIN from stdin")] = False,
              json_out: JsonFlag = False, data_dir: DataDir = None) -> None:
    """Permits two windows acted on without seeing each other, as HQ reported them in its signed acks."""
    from counter.cli.common import fail, read_pin
    from counter.services import clerks, register

    station = open_station(data_dir)
    if seen is not None:
        if not supervisor:
            fail("--seen needs --supervisor NAME (a supervisor's PIN)", 2)
        approver = clerks.authorize_supervisor(station, supervisor, read_pin("Supervisor PIN", pin_stdin),
                                               "register.conflict_seen")
        entry = register.mark_seen(station, seen, approver)
        print(f"conflict {seen} marked seen by {approver.name} (seq {entry.seq})")
        return
    # by default: the open ones, and the resolutions a supervisor should still see (as the home screen)
    found = register.conflicts(station, open_only=False) if all_ else (
        register.conflicts(station) + register.recently_resolved(station))
    if json_out:
        print_json([c.as_dict() for c in found])
        return
    for c in found:
        state = "resolved" if c.resolved_at else ("seen" if c.seen_seq else "NEW")
        print(f"{c.conflict_id}  {state}  {c.describe()}")
    if not found:
        print("no register conflicts")
