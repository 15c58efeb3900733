"""counter report import | counter import legacy: bulk intake of files (counter/intake)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from counter.cli.common import DataDir, JsonFlag, known_clerk, new_app, open_station, print_json

report_app = new_app("Reports brought as files: a landlord's, agency's, employer's or institution's list.")
import_app = new_app("Bring in the previous system's residence permits (needs a supervisor's approval).")

FileArg = Annotated[Path, typer.Argument(help="the .csv (UTF-8 or GB18030) or .xlsx file", show_default=False)]
DryRun = Annotated[bool, typer.Option("--dry-run", help="check every row and record nothing")]
Lang = Annotated[str | None, typer.Option("--lang", help="zh_CN or en (default: the station's)")]


def _language(station, lang: str | None) -> None:
    from counter import i18n

    i18n.set_language(lang or station.config.lang)


def print_rejects(rejects: list[tuple[int, str]], stream=None) -> None:
    """The rejected rows as ONE table: row number, reason."""
    from counter.i18n import _

    out = stream or sys.stdout
    width = max(len(_("row")), *(len(str(n)) for n, _r in rejects))
    print(f"{_('row'):>{width}}  {_('reason')}", file=out)
    for n, reason in rejects:
        print(f"{n:>{width}}  {reason}", file=out)


@report_app.command("import")
def report_import(
    file: FileArg,
    entity: Annotated[str | None, typer.Option("--entity", help="the reporting entity's credit code (USCC)")] = None,
    house: Annotated[str | None, typer.Option("--house", help="a landlord's report: the house code")] = None,
    report_type: Annotated[str | None, typer.Option(
        "--type", help="move_in, move_out, hired, left, guest_in or guest_out (default: the file's 申报类型 column)")
    ] = None,
    dry_run: DryRun = False,
    clerk: Annotated[str | None, typer.Option("--clerk", help="the clerk id the journal records")] = None,
    lang: Lang = None,
    json_out: JsonFlag = False,
    data_dir: DataDir = None,
) -> None:
    """Check every row of a report file; record it all (one report.filed entry, one per person) or nothing."""
    from counter.cli.progress import Progress
    from counter.i18n import _
    from counter.intake import report

    if (entity is None) == (house is None):
        from counter.cli.common import fail

        fail("give the reporter: --entity CREDIT_CODE, or --house HOUSE_CODE for a landlord's report", 2)
    station = open_station(data_dir)
    _language(station, lang)
    clerk_id = known_clerk(station, clerk)
    checking, checked = _checking_progress()
    review = report.review(station, file, reporter_kind="entity" if entity else "house",
                           reporter_code=entity or house, report_type=report_type, progress=checked)
    checking.close()
    summary = {"file": review.path.name, "encoding": review.encoding, "sha256": review.sha256,
               "report_type": review.report_type, "rows": review.total, "rejected": len(review.rejects)}
    if _show_review(review, summary, json_out=json_out, dry_run=dry_run):
        return
    recording = Progress(len(review.rows), _("recording"))
    result = report.record(station, clerk_id, review, progress=lambda done, total: recording.advance(1))
    recording.close()
    if json_out:
        print_json({**summary, "recorded": True, "report_id": result.report_id, "seq": result.seq,
                    "late_rows": result.late_rows, "new_people": result.new_people})
        return
    print(_("report {id} recorded: {n} rows, {late} late, {new} new people").format(
        id=result.report_id, n=result.rows, late=result.late_rows, new=result.new_people))


@import_app.command("legacy")
def import_legacy(
    file: FileArg,
    mapping: Annotated[Path, typer.Option("--mapping", help="the TOML that maps the file's columns (see"
                                                           " templates/intake/legacy-mapping.toml)")],
    dry_run: DryRun = False,
    supervisor: Annotated[str | None, typer.Option("--supervisor", help="the approving supervisor's name")] = None,
    pin_stdin: Annotated[bool, typer.Option("--pin-stdin", help="read the supervisor's PIN from stdin")] = False,
    lang: Lang = None,
    json_out: JsonFlag = False,
    data_dir: DataDir = None,
) -> None:
    """Bring in the previous system's permits: the residence period continues (art. 13); all rows or none."""
    from counter.cli.common import fail, read_pin
    from counter.cli.progress import Progress
    from counter.i18n import _
    from counter.intake import legacy

    station = open_station(data_dir)
    _language(station, lang)
    the_mapping = legacy.load_mapping(mapping)
    if not dry_run and not supervisor:
        fail("importing the previous system's permits needs a supervisor's approval: pass --supervisor NAME", 2)
    checking, checked = _checking_progress()
    review = legacy.review(station, file, the_mapping, progress=checked)
    checking.close()
    summary = {"file": review.path.name, "encoding": review.encoding, "sha256": review.sha256,
               "rows": review.total, "rejected": len(review.rejects)}
    if _show_review(review, summary, json_out=json_out, dry_run=dry_run):
        return
    from counter.services import clerks

    pin = read_pin(f"PIN of supervisor {supervisor}", pin_stdin)
    approver = clerks.authorize_supervisor(station, supervisor, pin, "legacy.import")
    recording = Progress(len(review.rows), _("recording"))
    result = legacy.record(station, review, approver, progress=lambda done, total: recording.advance(1))
    recording.close()
    if json_out:
        print_json({**summary, "recorded": True, "import_id": result.import_id, "seq": result.seq,
                    "people": result.people, "permits": result.permits, "expired": result.expired})
        return
    print(_("imported {people} people and {permits} permits ({expired} already expired), approved by {name}").format(
        people=result.people, permits=result.permits, expired=result.expired, name=approver.name))


def _checking_progress():
    """The 'checking' bar and the callback a review reports to (its total is known only once the file is read)."""
    from counter.cli.progress import Progress
    from counter.i18n import _

    checking = Progress(0, _("checking"))

    def checked(done: int, total: int) -> None:
        checking.total, checking.live = total, checking.live or (total > 0 and sys.stderr.isatty())
        checking.advance(done - checking.done)

    return checking, checked


def _show_review(review, summary: dict, *, json_out: bool, dry_run: bool) -> bool:
    """Say what the file holds; exit 1 if any row is rejected. True when there is nothing more to do (a dry run)."""
    from counter.i18n import _

    if not json_out:
        print(_("encoding: {encoding}").format(encoding=review.encoding))
        print(_("{file}: {rows} rows, sha256 {sha}").format(file=review.path.name, rows=review.total,
                                                           sha=review.sha256))
    if review.rejects:
        if json_out:
            print_json({**summary, "recorded": False,
                        "rejects": [{"row": n, "reason": r} for n, r in review.rejects]})
        else:
            print(_("{n} rows rejected; nothing was recorded:").format(n=len(review.rejects)))
            print_rejects(review.rejects)
        raise typer.Exit(1)
    if dry_run:
        if json_out:
            print_json({**summary, "recorded": False, "rejects": []})
        else:
            print(_("all {n} rows pass; dry run: nothing was recorded").format(n=review.total))
        return True
    return False
