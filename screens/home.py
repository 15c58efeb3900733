"""Home: the service menu, the queue ticket, today's counts, and device and sync status."""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, Static

from counter.forms import spec as form_specs
from counter.i18n import N_, _, language
from counter.services import people, register
from screens.base import LocalizedBindings, StatusBar
from screens.person import service_bindings, service_title

TICKET = re.compile(r"[A-Z]{1,2}\d{3}")  # a queue ticket as the hall's machine prints it: A001


def next_ticket(ticket: str) -> str:
    """The ticket after this one, same letters and width: A001 -> A002, A999 -> A001."""
    m = re.fullmatch(r"([A-Z]*)(\d+)", ticket)
    if not m:
        return ""
    letters, digits = m.groups()
    n = int(digits) + 1
    if len(str(n)) > len(digits):
        n = 1
    return f"{letters}{n:0{len(digits)}d}"


class TicketInput(Input):
    """The queue-ticket field. A ticket starts with a letter, so a key that cannot continue it (a
    service key after a complete ticket, a digit over the proposed next ticket) takes the ticket as
    it is and goes on to the screen: the field never swallows a service key."""

    BINDINGS = [Binding("escape", "leave", show=False, id="ticket_leave")]

    class Taken(Message):
        def __init__(self, ticket: str, key: str | None):
            super().__init__()
            self.ticket = ticket
            self.key = key

    def _passes_through(self, character: str) -> bool:
        value = self.value.strip().upper()
        if not value:
            return not character.isalpha()
        whole = not self.selection.is_empty and len(self.selected_text) == len(self.value)
        if whole:  # the proposed ticket, selected: a letter starts another one, anything else takes it
            return not character.isalpha()
        return bool(TICKET.fullmatch(value))

    def action_leave(self) -> None:
        self.screen.set_focus(None)

    def _on_blur(self, event) -> None:
        # leaving the field (Esc, Tab, a click) takes what it holds, as Enter does
        super()._on_blur(event)
        if self.value.strip().upper() != self.app.state.ticket:
            self.post_message(self.Taken(self.value.strip().upper(), None))

    async def _on_key(self, event) -> None:
        if event.is_printable and event.character and self._passes_through(event.character):
            event.stop()
            event.prevent_default()
            self.post_message(self.Taken(self.value.strip().upper(), event.key))
            return
        await super()._on_key(event)


class HomeScreen(LocalizedBindings, Screen):
    # "" focuses nothing (None would fall back to the app default "*", the ticket field, and then
    # the service keys would type into it); Ctrl+T focuses the ticket field
    AUTO_FOCUS = ""
    BINDINGS = [
        Binding("f3", "app.find_person", N_("Find person"), id="find_person", tooltip=N_("Find a person")),
        Binding("ctrl+t", "focus_ticket", N_("Queue ticket"), id="queue_ticket",
                tooltip=N_("Enter the queue ticket number")),
        Binding("f6", "houses", N_("Houses"), id="houses",
                tooltip=N_("Houses and reporting entities: registers, rosters, late reports")),
        Binding("f7", "expiring", N_("Expiring permits"), id="expiring",
                tooltip=N_("Permits expiring soon: call list, SMS file, printed list")),
        Binding("f8", "report_import", N_("Import report"), id="report_import",
                tooltip=N_("A reporter's list as a CSV or xlsx file: check every row, then record it")),
        Binding("f9", "end_of_day", N_("End of day"), id="end_of_day",
                tooltip=N_("Reconciliation, day close (supervisor), report and export")),
        Binding("ctrl+l", "app.lock", N_("Lock"), id="lock", tooltip=N_("Lock")),
        Binding("ctrl+o", "app.sign_out", N_("Sign out"), id="sign_out", tooltip=N_("Sign out")),
        Binding("ctrl+q", "app.quit", N_("Quit"), id="quit", tooltip=N_("Quit")),
        *service_bindings(),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="home"):
            with Vertical(id="home-left"):
                yield Static("", id="home-clerk", classes="title")
                yield Static("", id="home-day")
                with Horizontal(id="home-ticket-row"):
                    yield Label(_("Queue ticket"))
                    yield TicketInput(self.app.state.ticket, id="ticket", placeholder="A001", max_length=6,
                                      restrict=r"[A-Za-z]{0,2}[0-9]{0,3}")
                yield Static(_("Ctrl+T: next ticket · Enter: take it"), id="ticket-hint", classes="hint")
                yield Static("", id="home-counts")
                yield Static("", id="home-spec-errors", classes="error")
                yield Static("", id="home-conflicts", classes="error")
                yield Static("", id="home-overdue", classes="error")
            yield Static("", id="home-menu")
        yield StatusBar(id="status-bar")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_summary()
        for error in form_specs.catalogue().errors.values():
            # a form spec that failed to load: its service is unavailable until the file is fixed
            self.notify(_("Unavailable: {error}").format(error=str(error)), severity="error", timeout=15)

    def on_screen_resume(self) -> None:
        self.refresh_summary()

    def refresh_summary(self) -> None:
        app = self.app
        lang = language()
        clerk = app.state.session.clerk
        self.query_one("#home-clerk", Static).update(
            _("Signed in as {name} ({role})").format(name=clerk.name, role=_(clerk.role)))
        day = app.station.business_day()
        self.query_one("#home-day", Static).update(f"{_('Business day')}: {day}")
        # the breakdown adds up to the total: voids and corrections are not services, shown apart
        total, services, amended = people.day_summary(app.station, day)
        lines = [f"{_('Transactions today')}: {total}"]
        lines += [f"  {service_title(s, lang)}: {n}" for s, n in sorted(services.items())]
        if amended:
            lines.append(" · ".join(f"{service_title(s, lang)}: {n}" for s, n in sorted(amended.items())))
        self.query_one("#home-counts", Static).update("\n".join(lines))
        cat = form_specs.catalogue()
        menu = [f"[b]{_('Services')}[/b]", f"F3  {_('Find person')}", f"F6  {_('Houses and reporting entities')}",
                f"F8  {_('Import report')}"]
        if app.state.demo_cards:
            menu.append(f"F2  {_('Insert a sample card (demo)')}")
        for spec in sorted(cat.specs.values(), key=lambda s: ("1234567890caethnd".find(s.menu_key), s.id)):
            menu.append(f"{spec.menu_key}  {spec.text(lang)}")
        self.query_one("#home-menu", Static).update("\n".join(menu))
        self.query_one("#home-spec-errors", Static).update(
            "\n".join(_("Unavailable: {error}").format(error=str(e)) for e in cat.errors.values()))
        self._show_conflicts(clerk)
        self._show_overdue(clerk)

    def _show_overdue(self, clerk) -> None:
        """Reporters with late reports (art. 14), for the supervisor to order corrected (art. 22)."""
        from screens.houses import overdue_lines

        box = self.query_one("#home-overdue", Static)
        lines = overdue_lines(self.app.station, limit=3) if clerk.is_supervisor else []
        box.update("\n".join(lines))
        box.display = bool(lines)

    def _show_conflicts(self, clerk) -> None:
        """HQ's register conflicts (two windows on one permit), for the supervisor: from the signed acks."""
        box = self.query_one("#home-conflicts", Static)
        box.display = False  # takes no line unless there is something to say
        if not clerk.is_supervisor:
            return
        found = register.conflicts(self.app.station)
        resolved = register.recently_resolved(self.app.station)
        lines = []
        if found:
            lines.append(_("District register: {n} permit conflict(s) for a supervisor"
                           " (counter person conflicts)").format(n=len(found)))
            lines += [f"  {c.conflict_id}: {c.describe(_)}" for c in found[:5]]
        if resolved:
            lines.append(_("District register: {n} conflict(s) resolved at HQ").format(n=len(resolved)))
            lines += [f"  {c.conflict_id}: {c.describe(_)}" for c in resolved[:5]]
        box.update("\n".join(lines))
        box.display = bool(lines)

    def _take_ticket(self, value: str) -> None:
        state = self.app.state
        state.ticket = value.strip().upper()
        ticket = self.query_one("#ticket", Input)
        if ticket.value != state.ticket:
            ticket.value = state.ticket
        if self.focused is ticket:
            self.set_focus(None)
        self.app.sub_title = self.app.base_sub_title + (f" · {_('Ticket')} {state.ticket}" if state.ticket else "")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "ticket":
            self._take_ticket(event.value)

    def on_ticket_input_taken(self, message: TicketInput.Taken) -> None:
        self._take_ticket(message.ticket)
        if message.key:
            # the key that ended the ticket does what it does on this screen (a service key); the
            # field no longer has focus, so it reaches the screen's bindings
            self.app.simulate_key(message.key)

    def action_end_of_day(self) -> None:
        from screens.dayclose import DayCloseScreen

        self.app.push_screen(DayCloseScreen())

    def action_houses(self) -> None:
        from screens.houses import HousesScreen

        self.app.push_screen(HousesScreen())

    def action_report_import(self) -> None:
        from screens.report_import import ReportImportScreen

        self.app.push_screen(ReportImportScreen())

    def action_expiring(self) -> None:
        from screens.expiring import ExpiringScreen

        self.app.push_screen(ExpiringScreen())

    def action_focus_ticket(self) -> None:
        """Ctrl+T calls the next customer: the next ticket is proposed, selected (Enter or a service key
        takes it; typing a letter replaces it)."""
        ticket = self.query_one("#ticket", Input)
        current = self.app.state.ticket
        if current:
            ticket.value = next_ticket(current) or current
        ticket.focus()
        ticket.select_all()

    def action_service(self, service: str) -> None:
        """From home: a registering service starts with a new person; the others find the person first."""
        cat = form_specs.catalogue()
        spec = cat.specs.get(service)
        if spec is None:
            self.notify(_("This service is unavailable: {error}").format(error=str(cat.errors.get(service, service))),
                        severity="error")
            return
        from screens.lookup import LookupScreen

        self.app.push_screen(LookupScreen(pending_service=service))
