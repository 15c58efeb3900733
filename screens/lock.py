"""The lock screen: covers the work in progress until the same clerk's PIN is entered."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from counter.errors import CounterError
from counter.i18n import _
from counter.services import clerks


class LockScreen(ModalScreen[bool]):
    """Dismissed with True when unlocked; the screens below are untouched."""

    # A locked station does not quit: that would drop the clerk's work without a sign-out.
    BINDINGS = [Binding("ctrl+q", "refuse_quit", show=False, id="locked_quit")]

    def compose(self) -> ComposeResult:
        session = self.app.state.session
        with Vertical(id="lock-box"):
            yield Static(_("Locked"), classes="title")
            yield Static(f"{session.clerk.name}", id="lock-clerk")
            yield Static(_("Enter your PIN to unlock. Your work is kept."), classes="hint")
            yield Input(id="unlock-pin", password=True, placeholder=_("PIN"), restrict=r"\d*", max_length=12)
            yield Static("", id="lock-error", classes="error")

    def on_mount(self) -> None:
        self.query_one("#unlock-pin", Input).focus()

    def action_refuse_quit(self) -> None:
        self.query_one("#lock-error", Static).update(_("Unlock first; then sign out or quit"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        pin = event.input.value
        event.input.value = ""
        try:
            clerks.unlock(self.app.station, self.app.state.session, pin)
        except CounterError as exc:
            self.query_one("#lock-error", Static).update(exc.localized(_))
            if clerks.is_locked_out(self.app.station, self.app.state.session.clerk):
                self.app.force_sign_out()
            return
        self.dismiss(True)
