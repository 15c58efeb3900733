"""Houses and reporting entities (以房管人、以业管人): the registers, each one's roster (一户一册), and the
reporters with late reports (art. 14) for 限期改正 (art. 22).

Usage (the home screen's F6): `self.app.push_screen(HousesScreen())`. Typing in the search field picks houses
by code or the first characters of the address; Enter opens the highlighted house's or entity's roster
(journaled: it shows people), where p writes its PDF (0600, DATA_DIR/exports).
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from counter.errors import CounterError
from counter.i18n import N_, _
from counter.services import houses, reports
from screens.base import LocalizedBindings
from screens.dialogs import Dialog

TYPES = {"rental": N_("rental"), "dormitory": N_("employer dormitory"), "work_site": N_("work site"),
         "own": N_("own home"), "other": N_("other"), "employer": N_("employer"), "job_agency": N_("job agency"),
         "housing_agency": N_("housing agency"), "hotel": N_("hotel"), "hospital": N_("hospital"),
         "school": N_("school or training centre"), "shelter": N_("shelter")}


REPORT_TITLES = {"move_in": N_("Tenant moved in"), "move_out": N_("Tenant moved out"), "hired": N_("Person hired"),
                 "left": N_("Person left the job"), "guest_in": N_("Guest, patient or boarder admitted"),
                 "guest_out": N_("Guest, patient or boarder left")}


def _clerk_id(app) -> str | None:
    session = app.state.session
    return session.clerk.clerk_id if session else None


def overdue_lines(station, limit: int = 5) -> list[str]:
    """The reporters with late reports, for the supervisor (home screen) and this screen."""
    found = houses.overdue(station)
    if not found:
        return []
    lines = [_("Late reports (art. 14): {n} reporter(s) to be ordered to correct (限期改正, art. 22)").format(
        n=len(found))]
    lines += ["  " + _("{code} {name}: {rows} late rows, last on {day}, correct by {until}").format(
        code=o.reporter_code, name=o.name, rows=o.late_rows, day=o.last_late_on,
        until=houses.correct_by(station, o)) for o in found[:limit]]
    return lines


class HousesScreen(LocalizedBindings, Screen):
    BINDINGS = [
        Binding("enter", "roster", N_("Roster"), id="houses_roster", priority=True,
                tooltip=N_("Open the highlighted house's or entity's roster")),
        Binding("escape", "app.pop_screen", N_("Back"), id="houses_back", tooltip=N_("Back")),
    ]
    DEFAULT_CSS = """
    #houses { padding: 0 2; }
    #houses-title { text-style: bold; margin: 1 0 0 0; }
    #houses-table { height: 1fr; }
    #houses-overdue { margin-top: 1; }
    """

    def __init__(self):
        super().__init__()
        self.rows: list[houses.RegisterRow] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="houses"):
            yield Static(_("Houses and reporting entities"), id="houses-title")
            yield Input(placeholder=_("house code or the start of the address"), id="houses-find")
            yield DataTable(id="houses-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="houses-overdue", classes="error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(_("Code"), _("Type"), _("Occupants"), _("Address or name"))
        self.load("")
        lines = overdue_lines(self.app.station)
        self.query_one("#houses-overdue", Static).update("\n".join(lines))
        self.query_one("#houses-find", Input).focus()

    def load(self, text: str) -> None:
        self.rows = houses.register_rows(self.app.station, text)
        table = self.query_one(DataTable)
        table.clear()
        for r in self.rows:
            occupants = f"{r.occupants}/{r.capacity}" if r.capacity is not None else str(r.occupants)
            table.add_row(r.code, _(TYPES.get(r.type, r.type)), occupants, r.title, key=f"{r.kind}:{r.code}")

    def on_input_changed(self, event: Input.Changed) -> None:
        self.load(event.value)

    def action_roster(self) -> None:
        if not self.rows:
            return
        row = self.rows[self.query_one(DataTable).cursor_row]
        try:
            self.app.push_screen(RosterScreen(row.kind, row.code))
        except CounterError as exc:
            self.notify(exc.localized(_), severity="warning")


class ReportDialog(Dialog[str | None]):
    """One person of a report typed at the window: ID number, name (arrivals) and the event's date. Filed
    on Enter in the last field; a refusal stays in the dialog, one line."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="cancel_report", tooltip=N_("Cancel"))]

    def __init__(self, title: str, file, *, person: tuple[str, str] | None = None):
        super().__init__()
        self.title_text = title
        self.file = file  # (id_number, name, date text) -> None, raising CounterError
        self.person = person  # a current occupant leaving: (id_number, name)

    def compose(self) -> ComposeResult:
        from textual.widgets import Label

        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="title")
            if self.person is None:
                yield Label(_("ID number"))
                yield Input(id="report-id")
                yield Label(_("Name"))
                yield Input(id="report-name")
            yield Label(_("Date (0 = today, -3 = three days ago)"))
            yield Input(placeholder="0", id="report-date")
            yield Static("", id="report-error", classes="error")

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "report-date":
            self.focus_next()
            return
        if self.person is None:
            id_number = self.query_one("#report-id", Input).value
            name = self.query_one("#report-name", Input).value
        else:
            id_number, name = self.person
        try:
            result = self.file(id_number, name, event.value.strip() or "0")
        except CounterError as exc:
            self.query_one("#report-error", Static).update(exc.localized(_))
            return
        message = _("Report filed: late (art. 14), accepted and flagged") if result.late_rows else _("Report filed")
        for code, now, capacity in result.over_capacity:
            message += " · " + _("house {code} now has {now} occupants for a capacity of {capacity}").format(
                code=code, now=now, capacity=capacity)
        self.dismiss(message)

    def action_cancel(self) -> None:
        self.dismiss(None)


class RosterScreen(LocalizedBindings, Screen):
    BINDINGS = [
        Binding("p", "write_pdf", N_("Roster PDF"), id="roster_pdf", tooltip=N_("Write the roster as a PDF")),
        Binding("i", "report_in", N_("Report arrival"), id="report_in",
                tooltip=N_("Report a person moving in, hired or admitted (art. 11, 14)")),
        Binding("o", "report_out", N_("Report departure"), id="report_out",
                tooltip=N_("Report that the highlighted current occupant left")),
        Binding("escape", "app.pop_screen", N_("Back"), id="roster_back", tooltip=N_("Back")),
    ]
    DEFAULT_CSS = """
    #roster { padding: 0 2; }
    #roster-title { text-style: bold; margin: 1 0; }
    #roster-table { height: 1fr; }
    #roster-status { margin-top: 1; color: $success; }
    """

    def __init__(self, kind: str, code: str, *, out_dir: Path | None = None):
        super().__init__()
        self.kind, self.code, self.out_dir = kind, code, out_dir

    def _which(self) -> dict:
        return {"house_code": self.code} if self.kind == "house" else {"entity_code": self.code}

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="roster"):
            yield Static("", id="roster-title")
            yield DataTable(id="roster-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="roster-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(_("Name"), _("ID number"), _("From"), _("Until"), _("Through"), _("Late"))
        self.load(purpose="screen")
        table.focus()

    def load(self, purpose: str) -> None:
        station = self.app.station
        self.roster = houses.roster(station, _clerk_id(self.app), purpose=purpose, **self._which())
        roster = self.roster
        self.query_one("#roster-title", Static).update(
            _("Roster of {code} {title}: {current} now, {past} before").format(
                code=roster.code, title=roster.title, current=len(roster.current), past=len(roster.past)))
        table = self.query_one(DataTable)
        table.clear()
        for cells in houses.roster_rows(station, roster.lines):
            table.add_row(*cells)

    def _file(self, report_type: str):
        def file(id_number: str, name: str, when: str):
            return reports.file_one(self.app.station, _clerk_id(self.app), reporter_kind=self.kind,
                                    reporter_code=self.code, report_type=report_type, id_number=id_number,
                                    name=name, event_text=when)
        return file

    def _filed(self, message: str | None) -> None:
        if message:
            self.load(purpose="report")
            self.query_one("#roster-status", Static).update(message)

    def action_report_in(self) -> None:
        start, _end = reports.report_types(self.app.station, self.kind, self.code)
        self.app.push_screen(ReportDialog(_(REPORT_TITLES[start]), self._file(start)), self._filed)

    def action_report_out(self) -> None:
        table = self.query_one(DataTable)
        lines = self.roster.lines
        if not lines or table.cursor_row >= len(lines) or not lines[table.cursor_row].period.current:
            self.query_one("#roster-status", Static).update(_("Highlight a current occupant first"))
            return
        line = lines[table.cursor_row]
        _start, end = reports.report_types(self.app.station, self.kind, self.code)
        self.app.push_screen(ReportDialog(f"{_(REPORT_TITLES[end])}: {line.name}", self._file(end),
                                          person=(line.id_number, line.name)), self._filed)

    def action_write_pdf(self) -> None:
        from counter import files

        station = self.app.station
        folder = self.out_dir or station.data_dir / "exports"
        try:
            files.private_dir(folder)
            path = folder / f"roster-{self.code}.pdf"
            houses.write_roster(station, _clerk_id(self.app), path, **self._which())
        except (CounterError, OSError) as exc:
            self.query_one("#roster-status", Static).update(
                exc.localized(_) if isinstance(exc, CounterError) else str(exc))
            return
        self.query_one("#roster-status", Static).update(_("Roster written to {path}").format(path=path))
