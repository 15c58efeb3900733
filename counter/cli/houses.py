"""counter house|entity|registration: the house register, reporting entities, window reports, rosters,
the overdue list (art. 22) and the end of a registration."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from counter.cli.common import DataDir, JsonFlag, fail, known_clerk, new_app, open_station, print_json

house_app = new_app("Houses: the house register, landlords' reports and each house's roster.")
entity_app = new_app("Reporting entities: employers, agencies, hotels, hospitals, schools, shelters; their reports.")
registration_app = new_app("Residence registrations: end one at the window (moved away, left the district).")

Clerk = Annotated[str | None, typer.Option("--clerk", help="the clerk id the journal records")]
PersonRows = Annotated[list[str], typer.Option(
    "--person", help="ID_NUMBER:NAME:DATE (YYYY-MM-DD) or ID_NUMBER:NAME:DATE:HOUSE_CODE; repeat per person")]
# what the house and entity commands share (report, roster, show)
HouseCode = Annotated[str, typer.Argument(help="the house code")]
CreditCode = Annotated[str, typer.Argument(help="the credit code")]
RosterOut = Annotated[Path | None, typer.Option("--out", help="write the roster PDF here, 0600")]
HouseReportType = Annotated[str, typer.Option("--type", help="move_in or move_out")]
EntityReportType = Annotated[str, typer.Option("--type", help="hired/left, move_in/move_out or guest_in/guest_out,"
                                                              " by the entity's type")]


def _house_line(h, occupants: int) -> str:
    return f"{h.house_code}  {h.house_type:<9}  {occupants}/{h.capacity}  {h.address}"


@house_app.command("add")
def house_add(
    code: Annotated[str, typer.Argument(help="the house code, unique in the district (房屋编码)")],
    address: Annotated[str, typer.Option("--address", help="the house's address")],
    manager: Annotated[str, typer.Option("--manager", help="the landlord or manager: ID number or file id of a"
                                                          " person on file")],
    house_type: Annotated[str, typer.Option("--type", help="rental, dormitory, work_site, own or other")] = "rental",
    capacity: Annotated[int, typer.Option("--capacity", help="how many people the house takes")] = 1,
    clerk: Clerk = None,
    data_dir: DataDir = None,
) -> None:
    """Register a house: its code, address, type, capacity and landlord (a person on file)."""
    from counter.services import houses

    station = open_station(data_dir)
    h = houses.add_house(station, known_clerk(station, clerk), house_code=code, address=address,
                         house_type=house_type, capacity=capacity, manager_ref=manager)
    print(f"house {h.house_code} registered: {h.address}")


@house_app.command("update")
def house_update(
    code: HouseCode,
    address: Annotated[str | None, typer.Option("--address", help="the new address")] = None,
    house_type: Annotated[str | None, typer.Option("--type", help="the new type")] = None,
    capacity: Annotated[int | None, typer.Option("--capacity", help="the new capacity")] = None,
    manager: Annotated[str | None, typer.Option("--manager", help="the new landlord or manager")] = None,
    clerk: Clerk = None,
    data_dir: DataDir = None,
) -> None:
    """Change a house's address, type, capacity or landlord."""
    from counter.services import houses

    station = open_station(data_dir)
    h = houses.update_house(station, known_clerk(station, clerk), code, address=address, house_type=house_type,
                            capacity=capacity, manager_ref=manager)
    print(f"house {h.house_code} updated: {h.address}")


@house_app.command("show")
def house_show(code: HouseCode, clerk: Clerk = None,
               json_out: JsonFlag = False, data_dir: DataDir = None) -> None:
    """A house's register entry, its landlord (masked ID) and how many live there now (the opening is journaled)."""
    from counter.services import houses, people
    from db.projectors import houses as reads

    station = open_station(data_dir)
    h = houses.house_file(station, known_clerk(station, clerk), code)
    who = people.get(station, h.manager_person_id)
    n = reads.occupants_now(station.db, h.house_code)
    item = {"house_code": h.house_code, "address": h.address, "house_type": h.house_type, "capacity": h.capacity,
            "manager": who.name if who else None, "manager_id": who.masked_id if who else None,
            "occupants_now": n, "registered_on": h.registered_on, "updated_on": h.updated_on}
    if json_out:
        print_json(item)
        return
    for key, value in item.items():
        print(f"{key:<15} {value}")


@house_app.command("list")
def house_list(find: Annotated[str | None, typer.Option("--find", help="houses whose code or address starts so")]
               = None, json_out: JsonFlag = False, data_dir: DataDir = None) -> None:
    """The house register (or the houses a code or address prefix picks)."""
    from counter.services import houses
    from db.projectors import houses as reads

    station = open_station(data_dir)
    found = houses.pick(station, find, limit=200) if find else reads.houses(station.db)
    if json_out:
        print_json([{"house_code": h.house_code, "address": h.address, "house_type": h.house_type,
                     "capacity": h.capacity, "occupants_now": reads.occupants_now(station.db, h.house_code)}
                    for h in found])
        return
    for h in found:
        print(_house_line(h, reads.occupants_now(station.db, h.house_code)))
    print(f"{len(found)} houses", file=sys.stderr)


def _roster(station, clerk_id, out: Path | None, json_out: bool, **which) -> None:
    from counter.services import houses

    if out is not None:
        if not out.parent.exists():
            fail(f"the directory of {out} does not exist", 2)
        if out.is_dir():
            fail(f"{out} is a directory; give the PDF's file name", 2)
        try:
            r = houses.write_roster(station, clerk_id, out, **which)
        except OSError as exc:
            fail(f"cannot write {out}: {exc.strerror or type(exc).__name__}", 1)
        print(f"wrote {out}: {len(r.current)} current, {len(r.past)} past occupants", file=sys.stderr)
        return
    r = houses.roster(station, clerk_id, **which)
    rows = houses.roster_rows(station, r.lines)
    if json_out:
        print_json({"code": r.code, "title": r.title, "current": rows[:len(r.current)],
                    "past": rows[len(r.current):]})
        return
    print(f"{r.code}  {r.title}")
    for label, part in (("current", rows[:len(r.current)]), ("past", rows[len(r.current):])):
        print(f"{label}: {len(part)}")
        for row in part:
            print("  " + "  ".join(c for c in row if c))


@house_app.command("roster")
def house_roster(
    code: HouseCode,
    out: RosterOut = None,
    clerk: Clerk = None,
    json_out: JsonFlag = False,
    data_dir: DataDir = None,
) -> None:
    """一户一册: current and past occupants with masked ID numbers and their dates (the opening is journaled)."""
    station = open_station(data_dir)
    _roster(station, known_clerk(station, clerk), out, json_out, house_code=code)


def _rows(persons: list[str], default_house: str | None) -> list:
    from counter.services.reports import ReportRow

    rows = []
    for n, text in enumerate(persons, 1):
        parts = text.split(":")
        if len(parts) not in (3, 4):
            fail(f"--person {n}: write ID_NUMBER:NAME:DATE (optionally :HOUSE_CODE)", 2)
        try:
            day = date.fromisoformat(parts[2].strip())
        except ValueError:
            fail(f"--person {n}: the date {parts[2]!r} is not YYYY-MM-DD", 2)
        rows.append(ReportRow(n, "citizen_id", parts[0].strip(), parts[1].strip(), day,
                              (parts[3].strip() if len(parts) == 4 else default_house) or None, None))
    return rows


def _file(station, clerk_id, kind, code, report_type, persons, json_out) -> None:
    from counter.services import reports

    result = reports.file_report(station, clerk_id, reporter_kind=kind, reporter_code=code,
                                 report_type=report_type, rows=_rows(persons, code if kind == "house" else None))
    if json_out:
        print_json(result.__dict__)
        return
    late = f", {result.late_rows} late (art. 14: accepted, flagged)" if result.late_rows else ""
    print(f"report {result.report_id} filed: {result.rows} rows{late}")
    for code, now, capacity in result.over_capacity:
        print(f"warning: house {code} now has {now} occupants for a capacity of {capacity}", file=sys.stderr)


@house_app.command("report")
def house_report(
    code: HouseCode,
    report_type: HouseReportType,
    persons: PersonRows,
    clerk: Clerk = None,
    json_out: JsonFlag = False,
    data_dir: DataDir = None,
) -> None:
    """A landlord's report at the window: tenants moved in or out (art. 14), all or nothing."""
    station = open_station(data_dir)
    _file(station, known_clerk(station, clerk), "house", code, report_type, persons, json_out)


@entity_app.command("add")
def entity_add(
    code: Annotated[str, typer.Argument(help="the unified social credit code (统一社会信用代码)")],
    entity_type: Annotated[str, typer.Option("--type", help="employer, job_agency, housing_agency, hotel,"
                                                            " hospital, school or shelter")],
    name: Annotated[str, typer.Option("--name", help="the entity's name")],
    contact: Annotated[str, typer.Option("--contact", help="the contact person's name")],
    phone: Annotated[str, typer.Option("--phone", help="the contact's phone")],
    address: Annotated[str, typer.Option("--address", help="the entity's address")],
    clerk: Clerk = None,
    data_dir: DataDir = None,
) -> None:
    """Register a reporting entity; its credit code's check character is verified."""
    from counter.services import houses

    station = open_station(data_dir)
    e = houses.add_entity(station, known_clerk(station, clerk), entity_code=code, entity_type=entity_type,
                          name=name, contact_name=contact, contact_phone=phone, address=address)
    print(f"entity {e.entity_code} registered: {e.name}")


@entity_app.command("show")
def entity_show(code: CreditCode, json_out: JsonFlag = False,
                data_dir: DataDir = None) -> None:
    """An entity's register entry."""
    from counter.services import houses

    station = open_station(data_dir)
    item = dict(houses.entity(station, code).__dict__)
    if json_out:
        print_json(item)
        return
    for key, value in item.items():
        print(f"{key:<15} {value}")


@entity_app.command("list")
def entity_list(json_out: JsonFlag = False, data_dir: DataDir = None) -> None:
    """The register of reporting entities."""
    from db.projectors import houses as reads

    station = open_station(data_dir)
    found = reads.entities(station.db)
    if json_out:
        print_json([dict(e.__dict__) for e in found])
        return
    for e in found:
        print(f"{e.entity_code}  {e.entity_type:<14}  {e.name}")
    print(f"{len(found)} entities", file=sys.stderr)


@entity_app.command("report")
def entity_report(
    code: CreditCode,
    report_type: EntityReportType,
    persons: PersonRows,
    clerk: Clerk = None,
    json_out: JsonFlag = False,
    data_dir: DataDir = None,
) -> None:
    """An entity's report at the window (art. 11, 14), all or nothing."""
    station = open_station(data_dir)
    _file(station, known_clerk(station, clerk), "entity", code, report_type, persons, json_out)


@entity_app.command("roster")
def entity_roster(
    code: CreditCode,
    out: RosterOut = None,
    clerk: Clerk = None,
    json_out: JsonFlag = False,
    data_dir: DataDir = None,
) -> None:
    """The entity's roster: current and past people with masked ID numbers (the opening is journaled)."""
    station = open_station(data_dir)
    _roster(station, known_clerk(station, clerk), out, json_out, entity_code=code)


@entity_app.command("overdue")
def entity_overdue(
    since: Annotated[str | None, typer.Option("--since", help="only reports filed from this day (YYYY-MM-DD)")]
    = None,
    json_out: JsonFlag = False,
    data_dir: DataDir = None,
) -> None:
    """Houses and entities with late reports (art. 14), to be ordered corrected in time (限期改正, art. 22)."""
    from counter.services import houses

    if since is not None:
        try:
            date.fromisoformat(since)
        except ValueError:
            fail(f"--since {since!r} is not a date (YYYY-MM-DD)", 2)
    station = open_station(data_dir)
    found = houses.overdue(station, since)
    if json_out:
        print_json([{**o.__dict__, "correct_by": houses.correct_by(station, o)} for o in found])
        return
    for o in found:
        print(f"{o.reporter_kind:<6}  {o.reporter_code}  {o.late_rows} late rows in {o.late_reports} reports"
              f"  last {o.last_late_on}  correct by {houses.correct_by(station, o)}  {o.name}")
    print(f"{len(found)} reporters with late reports", file=sys.stderr)


@registration_app.command("end")
def registration_end(
    person: Annotated[str, typer.Argument(help="the person's file id or document number")],
    clerk: Annotated[str, typer.Option("--clerk", help="the clerk who performs it (signs in with their PIN)")],
    reason: Annotated[str, typer.Option("--reason", help="moved_away or left_district")] = "moved_away",
    on: Annotated[str, typer.Option("--date", help="the day of departure: YYYY-MM-DD, 0 = today, -3")] = "0",
    pin_stdin: Annotated[bool, typer.Option("--pin-stdin", help="read the clerk's PIN from stdin")] = False,
    no_print: Annotated[bool, typer.Option("--no-print", help="record it but do not print the receipt")] = False,
    json_out: JsonFlag = False,
    data_dir: DataDir = None,
) -> None:
    """End a person's registration (来有登记、走有注销): the service registration_end, with its receipt."""
    from counter.cli.service import perform

    if reason not in ("moved_away", "left_district"):
        fail(f"--reason must be moved_away or left_district, not {reason!r}", 2)
    perform(service="registration_end", clerk=clerk, person=person,
            sets=[f"end_reason={reason}", f"end_date={on}"], pin_stdin=pin_stdin, supervisor=None,
            no_print=no_print, data_dir=data_dir, json_out=json_out)
