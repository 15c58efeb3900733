"""Person lookup: by ID or passport number, name (with a birth date), pinyin, phone, or an application,
permit or card number. This station's files first, then the district register at HQ when online; each
result says where its file is. Opening an HQ result adopts the file (counter.services.register)."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from counter.errors import CounterError
from counter.i18n import N_, _
from counter.numbers import looks_like_number
from counter.services import people, register
from screens.base import LocalizedBindings, StatusBar
from screens.messages import RegisterAdopted, RegisterSearched, RegisterStatusChanged


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
        self.found: dict[str, register.Found] = {}  # row key -> result
        self.query_text = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Find a person"), classes="title")
        yield Input(id="lookup-query",
                    placeholder=_("ID number, name, pinyin (zhangwei, zw), phone, or application/permit number"))
        yield Static("", id="lookup-message", classes="hint")
        yield DataTable(id="lookup-results", cursor_type="row", zebra_stripes=True)
        yield Static("", id="lookup-hq", classes="hint")
        yield StatusBar(id="status-bar")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#lookup-results", DataTable).add_columns(_("Name"), _("Document"), _("Date of birth"),
                                                                 _("Current address"), _("File at"))
        register.ensure_search_keys(self.app.station)  # a station upgraded from before the pinyin keys
        self.query_one("#lookup-query", Input).focus()

    def _where(self, found: register.Found) -> str:
        if found.source == "hq" and found.also_local:
            return _("HQ, newer than the file here (last at {station})").format(station=found.station_id or "?")
        if found.source == "hq":
            return _("HQ (last at {station})").format(station=found.station_id or "?")
        if found.station_id and found.station_id != self.app.station.station_id:
            return _("here (from {station})").format(station=found.station_id)
        return _("here")

    def _show(self, results: list[register.Found]) -> None:
        table = self.query_one("#lookup-results", DataTable)
        table.clear()
        self.found = {}
        for n, f in enumerate(results):
            key = f.person_id if f.source == "local" else f"hq:{n}"
            self.found[key] = f
            # lists show masked numbers; the full number is on the person's own file
            table.add_row(f.name, f.id_masked, f.birth_date or "", f.current_address or "", self._where(f), key=key)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        station = self.app.station
        self.query_text = event.value
        self.results = people.search(station, event.value)
        local = register.find(station, event.value, local_only=True)
        message = self.query_one("#lookup-message", Static)
        hq_line = self.query_one("#lookup-hq", Static)
        self._show(local.results)
        ask_hq = register.hq_configured(station) and bool(event.value.strip())
        hq_line.update(_("Searching the district register at HQ…") if ask_hq else "")
        if ask_hq:
            self.search_hq(event.value, self.app.state.session.clerk.clerk_id if self.app.state.session else None)
        if not self.results:
            problem = people.query_problem(event.value)
            if problem is not None:
                # a mistyped ID or application number: say so, rather than invite a new person
                message.update(problem.localized(_))
                return
            if not ask_hq:
                message.update(_("Nobody found. Read the card, or Ctrl+N to enter a new person by hand."))
            else:
                message.update("")
            return
        exact = not ask_hq or looks_like_number(event.value.strip()) or people._citizen_id_form(event.value.strip())
        if len(self.results) == 1 and exact:
            message.update("")
            self.open_person(self.results[0].person_id)
            return
        message.update(_("{n} people found; choose one and press Enter").format(n=len(self.results)))
        self.query_one("#lookup-results", DataTable).focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="register")
    def search_hq(self, query: str, clerk_id: str | None) -> None:
        try:
            result = register.find(self.app.station, query, clerk_id=clerk_id)
        except CounterError as exc:
            result = register.FindResult(query, [], "offline", str(exc))
        self.post_message(RegisterSearched(query, result))

    def on_register_searched(self, message: RegisterSearched) -> None:
        if message.query != self.query_text:
            return  # an answer to an earlier query
        result: register.FindResult = message.result
        hq_line = self.query_one("#lookup-hq", Static)
        remote = [f for f in result.results if f.source == "hq"]
        if result.hq in ("online", "offline"):
            self.app.post_message(RegisterStatusChanged(
                _("online") if result.hq == "online" else _("offline, local data only")))
        if result.hq != "online":
            # offline: the local files stand, and the list says so
            why = result.hq_error.localized(_) if result.hq_error is not None else (result.hq_message or "")
            hq_line.update(_("HQ offline: only this station's files are shown ({why})").format(why=why))
            if not self.results and not remote:
                self.query_one("#lookup-message", Static).update(
                    _("Nobody found here. Read the card, or Ctrl+N to enter a new person by hand."))
            return
        local = [f for f in result.results if f.source == "local"]
        self._show(local + remote)
        hq_line.update(_("District register: {n} more at HQ").format(n=len(remote)) if remote
                       else _("District register: nobody else at HQ"))
        if result.truncated:
            hq_line.update(_("District register: more at HQ than shown; add a birth date"))
        if remote or local:
            self.query_one("#lookup-message", Static).update(
                _("{n} people found; choose one and press Enter").format(n=len(local) + len(remote)))
            self.query_one("#lookup-results", DataTable).focus()
        else:
            self.query_one("#lookup-message", Static).update(
                _("Nobody found. Read the card, or Ctrl+N to enter a new person by hand."))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        found = self.found.get(key)
        if found is not None and found.source == "hq":
            self.query_one("#lookup-hq", Static).update(_("Opening the file from HQ…"))
            self.adopt_remote(found.ref)
            return
        self.open_person(key)

    @work(thread=True, exclusive=True, exit_on_error=False, group="register")
    def adopt_remote(self, ref: str) -> None:
        try:
            session = self.app.state.session
            remote = register.open_remote(self.app.station, session, ref)
            pid = register.adopt(self.app.station, session, remote, journal_open=False)
        except CounterError as exc:
            self.post_message(RegisterAdopted(None, exc.localized(_)))
            return
        self.post_message(RegisterAdopted(pid))

    def on_register_adopted(self, message: RegisterAdopted) -> None:
        if message.person_id is None:
            self.query_one("#lookup-hq", Static).update(message.error)
            return
        self.open_person(message.person_id)

    def open_person(self, person_id: str) -> None:
        from screens.person import PersonScreen

        self.app.switch_screen(PersonScreen(person_id, pending_service=self.pending_service))

    def action_new_person(self) -> None:
        from screens.person import PersonScreen

        self.app.switch_screen(PersonScreen(None, pending_service=self.pending_service))

    def action_back(self) -> None:
        self.dismiss(None)
