"""counter service perform|list: a service without the TUI, through the same engine.

For IT scripts and for trying a policy change: the same precheck, form validation, journal entry,
document and print job as the window. The clerk signs in with their PIN (journaled), opening the
person's file is journaled, and the service entry names the clerk.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from counter.cli.common import DataDir, JsonFlag, fail, new_app, open_station, print_json, read_pin

app = new_app("Perform a counter service from the command line, or list the services and their fields.")


def _parse_sets(sets: list[str], spec) -> dict[str, str]:
    raw: dict[str, str] = {}
    for item in sets:
        field, sep, value = item.partition("=")
        field = field.strip()
        if not sep or not field:
            fail(f"--set {item!r}: write FIELD=VALUE", 2)
        if field not in spec.fields:
            fail(f"--set {field}: {spec.id} has no field {field!r}; its fields are {', '.join(spec.fields)}", 2)
        if field in raw:
            fail(f"--set {field} is given twice", 2)
        raw[field] = value
    return raw


def _find_person(station, text: str):
    """A person by file id, or by a citizen ID / passport number (never by name: that is ambiguous)."""
    from counter.services import people

    text = text.strip()
    person = people.get(station, text)
    if person is not None:
        return person
    found = [p for p in people.search(station, text) if text.upper() in (p.id_number, p.person_id)]
    if not found:
        from counter.domain.citizen_id import parse_citizen_id
        from counter.errors import ValidationError

        try:  # an old 15-digit number finds its 18-digit file
            number = parse_citizen_id(text).number
        except ValidationError:
            number = None
        found = [p for p in people.search(station, number)] if number else []
    if len(found) != 1:
        fail(f"no person on file with id or document number {text!r}; find them with 'counter id check' or the"
             " TUI, or leave out --person to register a new person", 1)
    return found[0]


def _offers_text(exc, lang: str = "en") -> str:
    from counter.forms import spec as form_specs

    cat = form_specs.catalogue()
    return ", ".join(f"{s} ({cat.specs[s].text(lang)})" for s in exc.offers if s in cat.specs)


@app.command("perform")
def perform(
    service: Annotated[str, typer.Argument(help="The service id, e.g. residence_registration (see 'counter service list')")],
    clerk: Annotated[str, typer.Option("--clerk", help="The clerk who performs it (signs in with their PIN)")],
    person: Annotated[str | None, typer.Option(
        "--person", help="The person's file id or document number; leave out to register a new person")] = None,
    sets: Annotated[list[str] | None, typer.Option(
        "--set", help="FIELD=VALUE, as typed into the form (repeat for each field)")] = None,
    pin_stdin: Annotated[bool, typer.Option(
        "--pin-stdin", help="Read the clerk's PIN (then the supervisor's, if one approves) from stdin")] = False,
    supervisor: Annotated[str | None, typer.Option(
        "--supervisor", help="The approving supervisor, for a service that needs one")] = None,
    no_print: Annotated[bool, typer.Option("--no-print", help="Record the service but do not print")] = False,
    data_dir: DataDir = None,
    json_out: JsonFlag = False,
) -> None:
    """Perform SERVICE for a person, as the window does; refusals exit 1 with the reason."""
    from counter.domain.policy import ServiceRefused
    from counter.errors import CounterError, ValidationError
    from counter.forms import spec as form_specs
    from counter.forms.clean import FormInvalid
    from counter.services import clerks, documents, engine, printing

    station = open_station(data_dir)
    cat = form_specs.catalogue()
    if service in cat.errors:
        fail(f"service {service} is unavailable: {cat.errors[service]}", 1)
    if service not in cat.specs:
        fail(f"no service {service!r}; the services are {', '.join(sorted(cat.specs))}", 2)
    spec = cat.specs[service]
    raw = _parse_sets(sets or [], spec)
    if spec.supervisor and not supervisor:
        fail(f"{service} needs a supervisor's approval: add --supervisor NAME (their PIN is the second stdin line)", 2)
    found = _find_person(station, person) if person else None
    if spec.person == "existing" and found is None:
        fail(f"{service} is for a person on file: add --person ID", 2)
    session = clerks.sign_in(station, clerk, read_pin("PIN", from_stdin=pin_stdin))
    try:
        approver = None
        if spec.supervisor:
            approver = clerks.authorize_supervisor(station, supervisor, read_pin("Supervisor PIN", from_stdin=pin_stdin),
                                                   service, by=session)
        if found is not None:
            clerks.open_record(station, session, "person", found.person_id, purpose=f"service:{service}")
        try:
            engine.precheck(station, service, found, identity=raw if found is None else None)
            outcome = engine.perform(station, service, raw, person_id=found.person_id if found else None,
                                     clerk=session.clerk, supervisor=approver, source="cli")
        except ServiceRefused as exc:
            offers = _offers_text(exc)
            fail(f"{service} refused: {exc}" + (f"; offered instead: {offers}" if offers else ""), 1)
        except FormInvalid as exc:
            for fid, err in exc.errors.items():
                print(f"error: field {fid}: {err}", file=sys.stderr)
            raise typer.Exit(1) from None
        except ValidationError as exc:
            where = f"field {exc.field}: " if exc.field else ""
            fail(f"{service} refused: {where}{exc}", 1)
        delivery = None
        if not no_print and outcome.document is not None:
            try:
                delivery = printing.deliver(station, outcome.document, session.clerk.clerk_id)
            except CounterError as exc:  # the service is saved; the print can be retried
                print(f"warning: not printed: {exc}; retry with 'counter print retry'", file=sys.stderr)
    finally:
        clerks.sign_out(station, session)
    doc = outcome.document
    result = {
        "service": service, "number": outcome.number, "person_id": outcome.person_id, "entry_seq": outcome.entry.seq,
        "business_day": outcome.entry.business_day, "clerk": session.clerk.name,
        "masked_id": outcome.entry.data.get("masked_id"), "late_days": outcome.late_days,
        "derived": outcome.entry.data.get("derived", {}), "notes": outcome.notes,
        "print": None if delivery is None else {"state": delivery.state, "printed": delivery.printed,
                                                 "job_id": delivery.job_id},
    }
    if json_out:
        print_json(result)
        return
    late = f", late by {outcome.late_days} days (accepted)" if outcome.late_days else ""
    print(f"{service} done: {outcome.number} (journal seq {outcome.entry.seq}, {result['masked_id']}){late}")
    if delivery is not None:
        print(f"document: {delivery.state}" + ("" if delivery.printed else "; retry with 'counter print retry'"))
    elif doc is not None and no_print:
        print(documents.as_text(doc, width=48))


@app.command("list")
def list_services(
    fields: Annotated[bool, typer.Option("--fields", help="Also list each service's fields")] = False,
    lang: Annotated[str, typer.Option("--lang", help="zh_CN or en")] = "en",
    json_out: JsonFlag = False,
) -> None:
    """The services this station's forms offer: id, key in the TUI, title, and (--fields) their fields."""
    from counter.cli.common import check_lang
    from counter.domain.policy import Policy
    from counter.forms import spec as form_specs
    from counter.forms.options import options_for

    check_lang(lang)
    cat = form_specs.catalogue()
    out = []
    for sid, spec in sorted(cat.specs.items(), key=lambda kv: ("1234567890caethn".find(kv[1].menu_key), kv[0])):
        item = {"id": sid, "key": spec.menu_key, "title": spec.text(lang), "person": spec.person,
                "supervisor": spec.supervisor, "document": spec.document}
        if fields:
            item["fields"] = [{"id": fid, "label": f.text(lang), "type": f.type, "required": f.required,
                               "required_when": f.required_when,
                               "choices": [o.value for o in options_for(f, Policy())] or None}
                              for fid, f in spec.fields.items()]
        out.append(item)
    for sid, err in sorted(cat.errors.items()):
        out.append({"id": sid, "error": str(err)})
    if json_out:
        print_json(out)
        return
    for item in out:
        if "error" in item:
            print(f"{item['id']:<28} UNAVAILABLE: {item['error']}")
            continue
        print(f"{item['id']:<28} {item['key'] or '-':<2} {item['title']}")
        for f in item.get("fields", []):
            need = "required" if f["required"] else (f"required when {f['required_when']}" if f["required_when"]
                                                     else "optional")
            choices = f"  [{' '.join(f['choices'])}]" if f["choices"] else ""
            print(f"    {f['id']:<22} {f['type']:<10} {need}{choices}")
