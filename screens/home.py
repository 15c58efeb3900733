"""Home: who is signed in, the business day and today's work."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from counter.i18n import _


class HomeScreen(Screen):
    BINDINGS = [
        Binding("ctrl+l", "app.lock", _("Lock"), id="lock", tooltip=_("Lock")),
        Binding("ctrl+o", "app.sign_out", _("Sign out"), id="sign_out", tooltip=_("Sign out")),
        Binding("ctrl+q", "app.quit", _("Quit"), id="quit", tooltip=_("Quit")),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home"):
            yield Static("", id="home-clerk", classes="title")
            yield Static("", id="home-day")
            yield Static("", id="home-counts")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_summary()

    def on_screen_resume(self) -> None:
        self.refresh_summary()

    def refresh_summary(self) -> None:
        app = self.app
        clerk = app.session.clerk
        self.query_one("#home-clerk", Static).update(
            _("Signed in as {name} ({role})").format(name=clerk.name, role=_(clerk.role)))
        day = app.station.business_day()
        self.query_one("#home-day", Static).update(f"{_('Business day')}: {day}")
        count = app.station.db.conn.execute(
            "SELECT count(*) FROM journal WHERE business_day = ?", (day,)).fetchone()[0]
        self.query_one("#home-counts", Static).update(f"{_('Transactions today')}: {count}")
