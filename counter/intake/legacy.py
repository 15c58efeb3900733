"""The previous system's residence permits brought in (`counter import legacy`), all or nothing.

art. 13 of the Liaoning Measures: permits are exchanged free and the residence period continues. So
each row becomes the person (`person.registered`, source "legacy"), their registration with the date
the residence began (`legacy.person_imported`), the residence period (`residence.started`, via
"import") and the permit, collected (`legacy.permit_imported`), each keeping the source row number.
A file is imported once (its sha256); the import needs a supervisor's approval.

The mapping (TOML) names, for each of our fields, the header the legacy file uses; see
templates/intake/legacy-mapping.toml.
"""

from __future__ import annotations

import hashlib
import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from counter.domain.citizen_id import parse_citizen_id
from counter.domain.names import check_name
from counter.errors import CounterError, PermissionDenied, ValidationError
from counter.i18n import gettext
from counter.intake import reading
from counter.intake.rows import cell_text, map_columns, parse_date
from counter.services import engine, people
from db import kinds
from db.connection import write_transaction
from db.projectors import legacy as reads

FIELDS = ("name", "id_number", "address", "resident_since", "permit_number", "valid_until", "valid_from",
          "card_number", "registration_number", "phone", "household_address")
REQUIRED = frozenset(("name", "id_number", "address", "resident_since", "permit_number", "valid_until"))
MAX_TEXT = 200
MAX_ROWS = 200_000

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, str]  # our field -> the legacy header
    sha256: str


def load_mapping(path: str | Path) -> Mapping:
    path = Path(path)
    try:
        data = path.read_bytes()
        doc = tomllib.loads(data.decode("utf-8"))
    except FileNotFoundError:
        raise CounterError("{file}: no such mapping file", exit_code=2, file=path.name) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CounterError("{file} is not a TOML mapping ({reason})", exit_code=2, file=path.name,
                           reason=str(exc).splitlines()[0]) from None
    unknown = sorted(set(doc) - {"source", "columns"})
    if unknown:
        raise CounterError("{file}: unknown section [{section}]; a mapping has [source] and [columns]",
                           exit_code=2, file=path.name, section=unknown[0])
    columns = doc.get("columns")
    if not isinstance(columns, dict):
        raise CounterError("{file} has no [columns] section", exit_code=2, file=path.name)
    for key, header in columns.items():
        if key not in FIELDS:
            raise CounterError("{file}: [columns] {key} is not a field; the fields are: {fields}", exit_code=2,
                               file=path.name, key=key, fields=", ".join(FIELDS))
        if not isinstance(header, str) or not header.strip():
            raise CounterError("{file}: [columns] {key} must name a column header", exit_code=2, file=path.name,
                               key=key)
    missing = sorted(REQUIRED - set(columns))
    if missing:
        raise CounterError("{file}: [columns] must map {missing}", exit_code=2, file=path.name,
                           missing=", ".join(missing))
    return Mapping(dict(columns), hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class LegacyRow:
    row: int
    id_number: str
    name: str
    sex: str
    birth_date: str
    address: str
    resident_since: date
    permit_number: str
    card_number: str
    valid_from: date
    valid_until: date
    registration_number: str
    phone: str | None
    household_address: str | None

    @property
    def validity_years(self) -> int:
        return max(1, round((self.valid_until - self.valid_from).days / 365.25))


@dataclass(frozen=True)
class LegacyReview:
    path: Path
    encoding: str
    sha256: str
    mapping: Mapping
    rows: list[LegacyRow]
    rejects: list[tuple[int, str]]
    total: int


def review(station, path: str | Path, mapping: Mapping, *, today: date | None = None,
           progress: Progress | None = None) -> LegacyReview:
    """Check every row (on its own and against the file on record); writes nothing."""
    today = today or engine.business_date(station)
    table = reading.open_table(path)
    done = reads.imported_file(station.db, table.sha256)
    if done is not None:
        raise CounterError("{file} was already imported on {day} (sha256 {sha}); nothing to do", exit_code=1,
                           file=table.path.name, day=done.imported_on, sha=table.sha256[:16])
    fields = {f: (h,) for f, h in mapping.columns.items()}
    cols = map_columns(table.header, fields, REQUIRED)
    rows: list[LegacyRow] = []
    rejects: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    total = 0
    for n, cells in table.rows:
        total += 1
        if total > MAX_ROWS:
            raise CounterError("a legacy file has at most {n} rows; split it", exit_code=2, n=MAX_ROWS)
        try:
            row = _check(n, cells, cols, today)
            for key in (row.id_number, "permit:" + row.permit_number, "card:" + row.card_number):
                if key in seen:
                    raise ValidationError("the same person or permit is already in row {first}", first=seen[key])
            seen.update(dict.fromkeys((row.id_number, "permit:" + row.permit_number, "card:" + row.card_number), n))
            if people.by_document(station, "citizen_id", row.id_number) is not None:
                raise ValidationError("{masked} is already on file here; bring the permit in at the window instead",
                                      masked=people.mask(row.id_number))
            if reads.permit_on_file(station.db, row.permit_number) or reads.permit_on_file(station.db,
                                                                                          row.card_number):
                raise ValidationError("permit {number} is already on file", number=row.permit_number)
            rows.append(row)
        except ValidationError as exc:
            rejects.append((n, exc.localized(gettext)))
        if progress is not None:
            progress(total, max(total, table.size_hint))
    if total == 0:
        raise CounterError("{file} has a header but no rows", exit_code=2, file=table.path.name)
    return LegacyReview(table.path, table.encoding, table.sha256, mapping, rows, rejects, total)


def _text(cells, cols, field: str, required: bool = True) -> str:
    i = cols.get(field)
    text = " ".join(cell_text(cells[i] if i is not None and i < len(cells) else None, field).split())
    if required and not text:
        raise ValidationError("{field} is empty", field=field)
    if len(text) > MAX_TEXT:
        raise ValidationError("{field} has more than {n} characters", field=field, n=MAX_TEXT)
    return text


def _date(cells, cols, field: str) -> date:
    i = cols[field]
    return parse_date(cells[i] if i < len(cells) else None, field)


def _number(text: str, field: str) -> str:
    number = "".join(text.split()).upper()
    if not number.replace("-", "").isalnum():
        raise ValidationError("{field} {number!r} has letters, digits and - only", field=field, number=text)
    return number


def _check(n: int, cells: tuple, cols: dict[str, int], today: date) -> LegacyRow:
    raw_id = cells[cols["id_number"]] if cols["id_number"] < len(cells) else None
    cid = parse_citizen_id(cell_text(str(raw_id) if isinstance(raw_id, int) else raw_id, "id_number"), today)
    name = check_name(_text(cells, cols, "name")).name
    since = _date(cells, cols, "resident_since")
    until = _date(cells, cols, "valid_until")
    valid_from = _date(cells, cols, "valid_from") if _text(cells, cols, "valid_from", required=False) else None
    if since > today:
        raise ValidationError("resident since {date} is in the future", date=since.isoformat())
    if since < cid.birth_date:
        raise ValidationError("resident since {date} is before the birth date", date=since.isoformat())
    if valid_from is None:
        valid_from = max(since, until.replace(year=until.year - 1) if not (until.month == 2 and until.day == 29)
                         else until.replace(year=until.year - 1, day=28))
    if until <= valid_from:
        raise ValidationError("valid until {until} is not after valid from {start}", until=until.isoformat(),
                              start=valid_from.isoformat())
    permit = _number(_text(cells, cols, "permit_number"), "permit_number")
    card = _number(_text(cells, cols, "card_number", required=False) or permit, "card_number")
    registration = _text(cells, cols, "registration_number", required=False) or permit
    phone = "".join(_text(cells, cols, "phone", required=False).split()) or None
    if phone is not None and (len(phone) > 20 or not all(c.isdigit() or c in "+-" for c in phone)):
        raise ValidationError("{phone!r} is not a phone number", field="phone", phone=phone)
    return LegacyRow(n, cid.number, name, cid.sex, cid.birth_date.isoformat(), _text(cells, cols, "address"),
                     since, permit, card, valid_from, until, registration, phone,
                     _text(cells, cols, "household_address", required=False) or None)


@dataclass(frozen=True)
class LegacyResult:
    import_id: str
    seq: int
    people: int
    permits: int
    expired: int  # permits already past valid_until: a new application at the window, not an extension


def record(station, checked: LegacyReview, approver, *, today: date | None = None,
           progress: Progress | None = None) -> LegacyResult:
    """Record every row in ONE transaction, or nothing. `approver`: the supervisor who approved (a Clerk)."""
    if approver is None or not getattr(approver, "is_supervisor", False):
        raise PermissionDenied("importing the previous system's permits needs a supervisor's approval")
    if checked.rejects:
        raise CounterError("{n} rows are rejected; nothing was recorded: correct them and import the file again",
                           n=len(checked.rejects))
    if reading.file_sha256(checked.path) != checked.sha256:
        raise CounterError("{file} changed since it was checked; check it again", file=checked.path.name)
    today = today or engine.business_date(station)
    import_id = uuid.uuid4().hex
    clerk_id = approver.clerk_id
    with write_transaction(station.db):
        if reads.imported_file(station.db, checked.sha256) is not None:
            raise CounterError("{file} was already imported; nothing to do", file=checked.path.name)
        entry = station.record(kinds.LEGACY_FILE_IMPORTED, {
            "import_id": import_id, "file_sha256": checked.sha256, "file_name": checked.path.name,
            "mapping_sha256": checked.mapping.sha256, "rows": len(checked.rows), "approved_by": clerk_id},
            clerk_id=clerk_id)
        for done, r in enumerate(checked.rows, 1):
            person_id = uuid.uuid4().hex
            station.record(kinds.PERSON_REGISTERED, {
                "person_id": person_id, "doc_type": "citizen_id", "id_number": r.id_number, "name": r.name,
                "sex": r.sex, "birth_date": r.birth_date, "ethnicity": None, "nationality": "CHN",
                "household_address": r.household_address, "phone": r.phone, "source": "legacy",
                "form": {"id": "legacy", "import_id": import_id, "source_row": r.row}}, clerk_id=clerk_id)
            station.record(kinds.LEGACY_PERSON_IMPORTED, {
                "import_id": import_id, "source_row": r.row, "person_id": person_id, "current_address": r.address,
                "registration_number": r.registration_number, "resident_since": r.resident_since.isoformat()},
                clerk_id=clerk_id)
            station.record(kinds.RESIDENCE_STARTED, {
                "person_id": person_id, "period_id": f"{import_id}:{r.row}", "started_on": r.resident_since.isoformat(),
                "address": r.address, "house_code": None, "entity_code": None, "via": "import", "report_id": None,
                "late": False, "registration": "residence"}, clerk_id=clerk_id)
            station.record(kinds.LEGACY_PERMIT_IMPORTED, {
                "import_id": import_id, "source_row": r.row, "person_id": person_id, "permit_id": r.permit_number,
                "card_number": r.card_number, "validity_years": r.validity_years,
                "valid_from": r.valid_from.isoformat(), "valid_until": r.valid_until.isoformat(),
                "address": r.address}, clerk_id=clerk_id)
            if progress is not None:
                progress(done, len(checked.rows))
    expired = sum(1 for r in checked.rows if r.valid_until < today)
    return LegacyResult(import_id, entry.seq, len(checked.rows), len(checked.rows), expired)
