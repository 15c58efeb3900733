"""Home: the service menu, the queue ticket, today's counts, and device and sync status."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, Static

from counter import forms
from counter.i18n import N_, _, language
from counter.services import people
from screens.base import LocalizedBindings, StatusBar
from screens.person import service_bindings, service_title


class HomeScreen(LocalizedBindings, Screen):
    # "" focuses nothing (None would fall back to the app default "*", the ticket field, and then
    # the service keys would type into it); Ctrl+T focuses the ticket field
    AUTO_FOCUS = ""
    BINDINGS = [
        Binding("f3", "app.find_person", N_("Find person"), id="find_person", tooltip=N_("Find a person")),
        Binding("ctrl+t", "focus_ticket", N_("Queue ticket"), id="queue_ticket",
                tooltip=N_("Enter the queue ticket number")),
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
                    yield Input(self.app.state.ticket, id="ticket", placeholder="A001", max_length=8,
                                restrict=r"[A-Za-z0-9]*")
                yield Static("", id="home-counts")
                yield Static("", id="home-spec-errors", classes="error")
            yield Static("", id="home-menu")
        yield StatusBar(id="status-bar")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_summary()
        for error in forms.catalogue().errors.values():
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
        cat = forms.catalogue()
        menu = [f"[b]{_('Services')}[/b]", f"F3  {_('Find person')}"]
        if app.state.demo_cards:
            menu.append(f"F2  {_('Insert a sample card (demo)')}")
        for spec in sorted(cat.specs.values(), key=lambda s: ("1234567890caethn".find(s.menu_key), s.id)):
            menu.append(f"{spec.menu_key}  {spec.text(lang)}")
        self.query_one("#home-menu", Static).update("\n".join(menu))
        self.query_one("#home-spec-errors", Static).update(
            "\n".join(_("Unavailable: {error}").format(error=str(e)) for e in cat.errors.values()))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "ticket":
            state = self.app.state
            state.ticket = event.value.strip().upper()
            self.app.sub_title = self.app.base_sub_title + (f" · {_('Ticket')} {state.ticket}" if state.ticket else "")
            self.set_focus(None)

    def action_end_of_day(self) -> None:
        from screens.dayclose import DayCloseScreen

        self.app.push_screen(DayCloseScreen())

    def action_focus_ticket(self) -> None:
        self.query_one("#ticket", Input).focus()

    def action_service(self, service: str) -> None:
        """From home: a registering service starts with a new person; the others find the person first."""
        cat = forms.catalogue()
        spec = cat.specs.get(service)
        if spec is None:
            self.notify(_("This service is unavailable: {error}").format(error=str(cat.errors.get(service, service))),
                        severity="error")
            return
        from screens.lookup import LookupScreen

        self.app.push_screen(LookupScreen(pending_service=service))
