"""The report screen: a landlord's, agency's, employer's or institution's list brought as a file.

Pick the file (type its path or choose it in the tree), give the reporter's code (a credit code, or a
house code for a landlord), F5 checks every row (in a worker), the table shows the rejected rows
first and then the rows that pass, and F10 records it all, or nothing, with a progress bar.
Usage (the home screen's F8): `self.app.push_screen(ReportImportScreen())`.
"""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, DirectoryTree, Footer, Header, Input, Label, ProgressBar, Static

from counter.domain.citizen_id import mask as mask_id
from counter.errors import CounterError
from counter.i18n import N_, _
from screens.base import LocalizedBindings
from screens.messages import ImportChecked, ImportProgress, ImportRecorded

SHOWN_PASSING = 200  # DataTable has no paging: every reject is shown, then this many passing rows
SUFFIXES = (".csv", ".xlsx")


class ReportFiles(DirectoryTree):
    """Folders and the files the intake reads, nothing else."""

    def filter_paths(self, paths):
        return [p for p in paths if not p.name.startswith(".") and (p.is_dir() or p.suffix.lower() in SUFFIXES)]


class ReportImportScreen(LocalizedBindings, Screen):
    BINDINGS = [
        Binding("f5", "check", N_("Check"), id="import_check", priority=True,
                tooltip=N_("Check every row of the file; nothing is recorded")),
        Binding("f10", "confirm", N_("Record"), id="import_confirm", priority=True,
                tooltip=N_("Record the checked report: all rows or nothing")),
        Binding("escape", "app.pop_screen", N_("Back"), id="back", tooltip=N_("Back")),
    ]
    DEFAULT_CSS = """
    #import { padding: 0 2; }
    #import-title { text-style: bold; margin: 1 0 0 0; }
    #import-pick { height: 12; }
    #import-tree { width: 1fr; }
    #import-fields { width: 2fr; padding: 0 1; }
    #import-fields Input { margin-bottom: 1; }
    #import-summary { margin: 1 0 0 0; }
    #import-status { color: $success; }
    #import-status.error { color: $error; }
    #import-table { height: 1fr; }
    """

    def __init__(self, start_dir: Path | None = None):
        super().__init__()
        self.start_dir = start_dir or Path.home()
        self.review = None
        self.busy = False

    @property
    def clerk_id(self) -> str | None:
        session = self.app.state.session
        return session.clerk.clerk_id if session else None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="import"):
            yield Static(_("Import a report file (CSV or xlsx)"), id="import-title")
            with Horizontal(id="import-pick"):
                yield ReportFiles(self.start_dir, id="import-tree")
                with Vertical(id="import-fields"):
                    yield Label(_("File"))
                    yield Input(placeholder=_("path of the .csv or .xlsx file"), id="import-path")
                    yield Label(_("Reporter: credit code, or house code for a landlord"))
                    yield Input(placeholder="91210102MA0QC1234X / HP-0001", id="import-reporter")
            yield Static("", id="import-summary")
            yield ProgressBar(id="import-progress", show_eta=True)
            yield Static(_("F5 checks the file; F10 records it"), id="import-status")
            yield DataTable(id="import-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(_("Row"), _("Name"), _("ID number"), _("Date"), _("Result"))
        self.query_one("#import-progress", ProgressBar).display = False
        self.query_one("#import-path", Input).focus()

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#import-path", Input).value = str(event.path)
        self.query_one("#import-reporter", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "import-path":
            self.query_one("#import-reporter", Input).focus()
        else:
            self.action_check()

    def _status(self, text: str, error: bool = False) -> None:
        status = self.query_one("#import-status", Static)
        status.update(text)
        status.set_class(error, "error")

    def _reporter(self) -> tuple[str, str]:
        from counter.domain import reporting

        code = "".join(self.query_one("#import-reporter", Input).value.split()).upper()
        if not code:
            raise CounterError("give the reporter: a credit code, or a house code for a landlord's report")
        try:
            return "entity", reporting.check_uscc(code)
        except CounterError:
            if len(code) == 18 and code[:2].isdigit():
                raise
            return "house", code

    # --- check --------------------------------------------------------------------------------------

    def action_check(self) -> None:
        if self.busy:
            return
        path = self.query_one("#import-path", Input).value.strip()
        if not path:
            self._status(_("type the file's path or choose it in the tree"), error=True)
            return
        try:
            kind, code = self._reporter()
        except CounterError as exc:
            self._status(exc.localized(_), error=True)
            return
        self.review = None
        self.busy = True
        self.query_one(DataTable).clear()
        self._status(_("checking…"))
        self._check_worker(Path(path).expanduser(), kind, code)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def _check_worker(self, path: Path, kind: str, code: str) -> None:
        from counter.intake import report

        def progress(done: int, total: int) -> None:
            if done % 250 == 0 or done == total:
                self.post_message(ImportProgress("checking", done, total))

        try:
            review = report.review(self.app.station, path, reporter_kind=kind, reporter_code=code,
                                   progress=progress)
        except CounterError as exc:
            self.post_message(ImportChecked(None, exc.localized(_)))
            return
        except Exception as exc:  # a bug: one line, not a dead screen (no values: they may be personal)
            self.post_message(ImportChecked(None, _("the file could not be checked ({error})").format(
                error=type(exc).__name__)))
            return
        self.post_message(ImportChecked(review))

    def on_import_progress(self, message: ImportProgress) -> None:
        bar = self.query_one("#import-progress", ProgressBar)
        bar.display = True
        bar.update(total=max(message.total, 1), progress=message.done)
        label = _("checking") if message.stage == "checking" else _("recording")
        self._status(f"{label} {message.done}/{message.total}")

    def on_import_checked(self, message: ImportChecked) -> None:
        self.busy = False
        self.query_one("#import-progress", ProgressBar).display = False
        if message.review is None:
            self.query_one("#import-summary", Static).update("")
            self._status(message.error, error=True)
            return
        review = self.review = message.review
        self.query_one("#import-summary", Static).update(
            _("encoding: {encoding}").format(encoding=review.encoding) + " · "
            + _("{file}: {rows} rows, sha256 {sha}").format(file=review.path.name, rows=review.total,
                                                           sha=review.sha256[:16]))
        table = self.query_one(DataTable)
        table.clear()
        parsed = {r.row: r for r in review.parsed}
        for n, reason in review.rejects:
            r = parsed.get(n)  # a database reject: the row itself was readable
            table.add_row(str(n), r.name if r else "", mask_id(r.id_number) if r else "",
                          r.event_date.isoformat() if r else "", reason, key=f"reject-{n}")
        for r in review.rows[:SHOWN_PASSING]:
            table.add_row(str(r.row), r.name, mask_id(r.id_number), r.event_date.isoformat(), _("passes"),
                          key=f"row-{r.row}")
        if review.rejects:
            self._status(_("{n} rows rejected: correct them in the file and check it again (F5); nothing is"
                           " recorded until every row passes").format(n=len(review.rejects)), error=True)
        else:
            shown = min(len(review.rows), SHOWN_PASSING)
            self._status(_("all {n} rows pass: F10 records the report ({shown} shown)").format(
                n=review.total, shown=shown))
        table.focus()

    # --- record -------------------------------------------------------------------------------------

    def action_confirm(self) -> None:
        if self.busy:
            return
        if self.review is None:
            self._status(_("check the file first (F5)"), error=True)
            return
        if self.review.rejects:
            self._status(_("{n} rows are rejected; nothing was recorded: correct them and import the file again")
                         .format(n=len(self.review.rejects)), error=True)
            return
        self.busy = True
        self._record_worker(self.review)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def _record_worker(self, review) -> None:
        from counter.intake import report

        def progress(done: int, total: int) -> None:
            if done % 100 == 0 or done == total:
                self.post_message(ImportProgress("recording", done, total))

        try:
            result = report.record(self.app.station, self.clerk_id, review, progress=progress)
        except CounterError as exc:
            self.post_message(ImportRecorded(None, exc.localized(_)))
            return
        except Exception as exc:  # nothing was recorded: the transaction rolled back
            self.post_message(ImportRecorded(None, _("nothing was recorded ({error})").format(
                error=type(exc).__name__)))
            return
        self.post_message(ImportRecorded(result))

    def on_import_recorded(self, message: ImportRecorded) -> None:
        self.busy = False
        self.query_one("#import-progress", ProgressBar).display = False
        if message.result is None:
            self._status(message.error, error=True)
            return
        result = message.result
        self.review = None
        self._status(_("report {id} recorded: {n} rows, {late} late, {new} new people").format(
            id=result.report_id[:12], n=result.rows, late=result.late_rows, new=result.new_people))
