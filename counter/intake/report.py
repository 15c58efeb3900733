"""`counter report import` and the report screen: a file checked row by row, then filed all or nothing.

1. The file is opened (its encoding detected and said) and every row checked on its own (rows.py).
2. The rows that pass are checked against the database (`reports.check_rows`: house on file, a person
   resident for a move-out...).
3. Any rejected row: nothing is recorded. Otherwise `reports.file_report` records the `report.filed`
   entry with the file's sha256 and one entry per person in ONE transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from counter.domain import reporting
from counter.errors import CounterError
from counter.i18n import gettext
from counter.intake import reading, rows
from counter.services import engine, reports
from db.projectors import houses as houses_reads

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Review:
    """What a file would file: its encoding, sha256, type, the rows that pass and the rejected ones."""

    path: Path
    encoding: str
    sha256: str
    reporter_kind: str
    reporter_code: str
    report_type: str
    rows: list[reports.ReportRow]
    rejects: list[tuple[int, str]]  # (row number, reason), by row number
    total: int
    parsed: list[reports.ReportRow]  # every row that passed its own checks (a database reject included)

    @property
    def ok(self) -> bool:
        return not self.rejects


def review(station, path: str | Path, *, reporter_kind: str, reporter_code: str, report_type: str | None = None,
           today: date | None = None, progress: Progress | None = None) -> Review:
    """Check every row of the file, on its own and against the database; writes nothing."""
    today = today or engine.business_date(station)
    who = reports.reporter(station, reporter_kind, reporter_code)  # unknown reporter: one line, before reading
    table = reading.open_table(path)
    filed = houses_reads.report_by_sha256(station.db, table.sha256)
    if filed is not None:  # the same bytes again, whatever the file's name
        raise CounterError("{file} was already filed as report {id}; nothing to do", file=table.path.name,
                           id=filed[:12])
    total = table.size_hint
    checked = rows.check_report_table(table, report_type=report_type, today=today,
                                      progress=(lambda n: progress(n, max(total, n))) if progress else None)
    if checked.report_type is None:
        raise CounterError("no row says its report type: fill the 申报类型 column or give --type", exit_code=2)
    reporting.check_report_type(who.kind, who.entity_type, checked.report_type)
    problems = list(checked.rejects)
    if checked.rows:
        problems += reports.check_rows(station, who.kind, who.code, checked.report_type, checked.rows, today=today,
                                       gettext=gettext)
    problems.sort()
    bad = {n for n, _ in problems}
    return Review(Path(path), checked.encoding, checked.sha256, who.kind, who.code, checked.report_type,
                  [r for r in checked.rows if r.row not in bad], problems, checked.total, checked.rows)


def record(station, clerk_id: str | None, checked: Review, *, today: date | None = None,
           progress: Progress | None = None) -> reports.ReportResult:
    """File a reviewed report: all rows or nothing; a review with rejects is refused."""
    if checked.rejects:
        raise CounterError("{n} rows are rejected; nothing was recorded: correct them and import the file again",
                           n=len(checked.rejects))
    if reading.file_sha256(checked.path) != checked.sha256:
        raise CounterError("{file} changed since it was checked; check it again", file=checked.path.name)
    return reports.file_report(station, clerk_id, reporter_kind=checked.reporter_kind,
                               reporter_code=checked.reporter_code, report_type=checked.report_type,
                               rows=checked.rows, source="file", file_sha256=checked.sha256,
                               file_name=checked.path.name, today=today, progress=progress)
