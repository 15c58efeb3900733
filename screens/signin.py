"""Sign-in: name and PIN. Wrong PINs count towards the clerk's lockout."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static

from counter.errors import CounterError
from counter.i18n import N_, _
from counter.services import clerks
from screens.base import LocalizedBindings


class SignInScreen(LocalizedBindings, Screen):
    # N_: translated per instance (LocalizedBindings), so `--lang en` applies; _() here ran at import
    BINDINGS = [
        Binding("ctrl+q", "app.quit", N_("Quit"), id="quit", tooltip=N_("Quit")),
    ]

    def compose(self) -> ComposeResult:
        station = self.app.station
        with Vertical(id="signin-box"):
            yield Static(f"{station.config.office} · {station.station_id}", classes="title")
            if self.app.state.demo:
                yield Static(_("Demo station: simulated card reader and printer"), classes="hint")
                yield Static("演示柜员 / 1234 · 演示主管 / 4321", classes="hint", id="demo-hint")
            yield Label(_("Clerk"))
            yield Input(id="name", placeholder=_("Clerk"))
            yield Label(_("PIN"))
            yield Input(id="pin", password=True, placeholder=_("PIN"), restrict=r"\d*", max_length=12)
            yield Static("", id="signin-error", classes="error")
            yield Static(_("Enter your name and PIN"), classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "name":
            self.query_one("#pin", Input).focus()
            return
        self.attempt()

    def attempt(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        pin_input = self.query_one("#pin", Input)
        error = self.query_one("#signin-error", Static)
        if not name or not pin_input.value:
            error.update(_("Name and PIN are both required"))
            return
        try:
            session = clerks.sign_in(self.app.station, name, pin_input.value)
        except CounterError as exc:
            error.update(exc.localized(_))
            pin_input.value = ""
            pin_input.focus()
            return
        pin_input.value = ""
        error.update("")
        self.app.signed_in(session)
