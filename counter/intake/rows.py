"""Every row of a report file checked on its own: the columns mapped, then GB 11643 ID numbers, names
(NFC, rare characters and · kept exactly), dates, the house code and the report type.

What needs the database (the house on file, a person resident for a move-out) is `check_rows` of
counter/services/reports.py, called after these checks.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from counter.domain import reporting as rules
from counter.domain.citizen_id import parse_citizen_id
from counter.domain.names import check_name, refuse_hidden_characters
from counter.errors import CounterError, ValidationError
from counter.i18n import gettext
from counter.intake.reading import MAX_CELL, Table
from counter.services.reports import MAX_ROWS, ReportRow


@dataclass(frozen=True)
class ColumnMap:
    fields: dict[str, tuple[str, ...]]  # field -> header names
    required: frozenset[str]
    report_types: dict[str, str]  # a value as written -> the report type code
    doc_types: dict[str, str]


def header_key(text: str) -> str:
    return " ".join(str(text).replace("_", " ").split()).rstrip("：:").strip().casefold()


@cache
def column_map() -> ColumnMap:
    from importlib import resources

    data = tomllib.loads((resources.files("templates") / "intake" / "columns.toml").read_text(encoding="utf-8"))
    fields = {f: tuple(spec["headers"]) for f, spec in data["fields"].items()}
    required = frozenset(f for f, spec in data["fields"].items() if spec.get("required"))
    report_types = {header_key(v): code for code, values in data["report_types"].items() for v in values}
    doc_types = {header_key(v): code for code, values in data["doc_types"].items() for v in values}
    return ColumnMap(fields, required, report_types, doc_types)


def map_columns(header: tuple[str, ...], fields: dict[str, tuple[str, ...]], required: frozenset[str]
                ) -> dict[str, int]:
    """field -> column index; an unknown, repeated or missing column is refused in one line."""
    known = {header_key(h): f for f, names in fields.items() for h in (*names, f)}
    out: dict[str, int] = {}
    for i, h in enumerate(header):
        if not h:
            continue
        f = known.get(header_key(h))
        if f is None:
            raise CounterError("column {col} {header!r} is not a known column; the columns are: {known}",
                               exit_code=2, col=i + 1, header=h,
                               known=", ".join(names[0] for names in fields.values()))
        if f in out:
            raise CounterError("columns {a} and {b} both give {field}; keep one", exit_code=2, a=out[f] + 1,
                               b=i + 1, field=fields[f][0])
        out[f] = i
    missing = [fields[f][0] for f in sorted(required) if f not in out]
    if missing:
        raise CounterError("the file has no column {missing}; the header row must name it", exit_code=2,
                           missing=" / ".join(missing))
    return out


def cell_text(value: object, field: str) -> str:
    """A cell as text: NFC, surrogate pairs joined, no hidden characters, at most MAX_CELL characters."""
    if value is None:
        return ""
    if isinstance(value, float) and field == "id_number":
        raise ValidationError("the ID number is stored as a number and has lost digits; format the column as"
                              " text and type it again", field=field)
    if isinstance(value, (datetime, date)):
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    text = refuse_hidden_characters(str(value).strip(), field)
    if len(text) > MAX_CELL:
        raise ValidationError("the cell has more than {n} characters", field=field, n=MAX_CELL)
    return text


_DATE_FORMS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"), re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(value: object, field: str = "event_date") -> date:
    """A date cell: an xlsx date, or 2024-03-07, 2024/3/7, 2024.3.7, 2024年3月7日, 20240307."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value, field)
    if not text:
        raise ValidationError("the date is empty", field=field)
    for form in _DATE_FORMS:
        m = form.match(text)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                break
    raise ValidationError("{text!r} is not a date (write 2024-03-07)", field=field, text=text)


def report_type_of(text: str, cmap: ColumnMap) -> str:
    code = cmap.report_types.get(header_key(text))
    if code is None:
        raise ValidationError("{text!r} is not a report type (入住, 搬离, 入职, 离职, 入住登记, 离开)",
                              field="report_type", text=text)
    return code


@dataclass(frozen=True)
class Checked:
    """The rows that passed, the rejected ones (row number, reason) and the report type of the file."""

    encoding: str
    sha256: str
    report_type: str | None
    rows: list[ReportRow]
    rejects: list[tuple[int, str]]
    total: int


def check_report_table(table: Table, *, report_type: str | None = None, today: date,
                       progress=None) -> Checked:
    """Check every data row of a report file; the first row's type (or `report_type`) is the report's."""
    cmap = column_map()
    cols = map_columns(table.header, cmap.fields, cmap.required)
    if report_type is not None:
        rules.check_choice(report_type, rules.REPORT_TYPES, "report_type")
    elif "report_type" not in cols:
        raise CounterError("the file has no 申报类型 (report_type) column: give the type with --type", exit_code=2)
    rows: list[ReportRow] = []
    rejects: list[tuple[int, str]] = []
    seen: dict[tuple[str, str], int] = {}
    total = 0
    for n, cells in table.rows:
        total += 1
        if total > MAX_ROWS:
            raise CounterError("a report has at most {n} rows; split the file", exit_code=2, n=MAX_ROWS)
        try:
            row, row_type = _check_row(n, cells, cols, cmap, today)
            if row_type is not None:
                if report_type is None:
                    report_type = row_type
                elif row_type != report_type:
                    raise ValidationError("the row is a {row} report, the file a {file} report: one file is one"
                                          " report", field="report_type", row=row_type, file=report_type)
            key = (row.doc_type, row.id_number)
            if key in seen:
                raise ValidationError("the same person is already in row {first}", field="id_number",
                                      first=seen[key])
            seen[key] = n
            rows.append(row)
        except ValidationError as exc:
            rejects.append((n, exc.localized(gettext)))
        if progress is not None:
            progress(total)
    if total == 0:
        raise CounterError("{file} has a header but no rows", exit_code=2, file=table.path.name)
    return Checked(table.encoding, table.sha256, report_type, rows, rejects, total)


def _get(cells: tuple, cols: dict[str, int], field: str):
    i = cols.get(field)
    return cells[i] if i is not None and i < len(cells) else None


def _check_row(n: int, cells: tuple, cols: dict[str, int], cmap: ColumnMap, today: date
               ) -> tuple[ReportRow, str | None]:
    doc_text = cell_text(_get(cells, cols, "doc_type"), "doc_type")
    doc_type = "citizen_id"
    if doc_text:
        doc_type = cmap.doc_types.get(header_key(doc_text)) or ""
        if not doc_type:
            raise ValidationError("{text!r} is not a document type (居民身份证 or 护照)", field="doc_type",
                                  text=doc_text)
    raw_id = _get(cells, cols, "id_number")
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        raw_id = str(raw_id)
    id_text = cell_text(raw_id, "id_number")
    if not id_text:
        raise ValidationError("the ID number is empty", field="id_number")
    if doc_type == "citizen_id":
        id_number = parse_citizen_id(id_text, today).number
    else:
        id_number = "".join(id_text.split()).upper()
        if not id_number.isalnum() or len(id_number) > 20:
            raise ValidationError("the passport number has letters and digits only, at most 20",
                                  field="id_number")
    name = check_name(cell_text(_get(cells, cols, "name"), "name")).name
    event = parse_date(_get(cells, cols, "event_date"))
    rules.check_event_date(event, today)
    code_text = cell_text(_get(cells, cols, "house_code"), "house_code")
    house_code = rules.check_house_code(code_text) if code_text else None
    address = cell_text(_get(cells, cols, "address"), "address") or None
    phone = "".join(cell_text(_get(cells, cols, "phone"), "phone").split()) or None
    if phone is not None and (len(phone) > 20 or not all(c.isdigit() or c in "+-" for c in phone)):
        raise ValidationError("{phone!r} is not a phone number", field="phone", phone=phone)
    type_text = cell_text(_get(cells, cols, "report_type"), "report_type")
    row_type = report_type_of(type_text, cmap) if type_text else None
    return ReportRow(n, doc_type, id_number, name, event, house_code, address, phone), row_type
