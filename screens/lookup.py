"""Person lookup: by ID or passport number, name, phone, or an application, permit or card number."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from counter.i18n import N_, _
from counter.services import people
from screens.base import LocalizedBindings, StatusBar


class LookupScreen(LocalizedBindings, Screen):
    BINDINGS = [
        Binding("ctrl+n", "new_person", N_("New person"), id="new_person",
                tooltip=N_("Enter a person by hand (no card)")),
        Binding("escape", "back", N_("Back"), id="lookup_back", tooltip=N_("Back")),
    ]

    def __init__(self, pending_service: str | None = None):
        super().__init__()
        self.pending_service = pending_service
        self.results: list[people.Person] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Find a person"), classes="title")
        yield Input(id="lookup-query", placeholder=_("ID number, name, phone, or application/permit number"))
        yield Static("", id="lookup-message", classes="hint")
        yield DataTable(id="lookup-results", cursor_type="row", zebra_stripes=True)
        yield StatusBar(id="status-bar")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#lookup-results", DataTable).add_columns(_("Name"), _("Document"), _("Date of birth"),
                                                                 _("Current address"))
        self.query_one("#lookup-query", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.results = people.search(self.app.station, event.value)
        table = self.query_one("#lookup-results", DataTable)
        table.clear()
        message = self.query_one("#lookup-message", Static)
        if not self.results:
            problem = people.query_problem(event.value)
            if problem is not None:
                # a mistyped ID or application number: say so, rather than invite a new person
                message.update(problem.localized(_))
                return
            message.update(_("Nobody found. Read the card, or Ctrl+N to enter a new person by hand."))
            return
        if len(self.results) == 1:
            message.update("")
            self.open_person(self.results[0].person_id)
            return
        message.update(_("{n} people found; choose one and press Enter").format(n=len(self.results)))
        for p in self.results:
            # lists show masked numbers; the full number is on the person's own file
            table.add_row(p.name, p.masked_id, p.birth_date or "", p.current_address or "", key=p.person_id)
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.open_person(event.row_key.value)

    def open_person(self, person_id: str) -> None:
        from screens.person import PersonScreen

        self.app.switch_screen(PersonScreen(person_id, pending_service=self.pending_service))

    def action_new_person(self) -> None:
        from screens.person import PersonScreen

        self.app.switch_screen(PersonScreen(None, pending_service=self.pending_service))

    def action_back(self) -> None:
        self.dismiss(None)
