"""Small modal dialogs: field help (F1), supervisor approval, a reason, a yes/no."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from counter import clerks
from counter.errors import CounterError
from counter.i18n import N_, _
from screens.base import LocalizedBindings


class HelpDialog(LocalizedBindings, ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,enter", "dismiss_help", N_("Close"), id="close_help", tooltip=N_("Close"))]

    def __init__(self, title: str, text: str):
        super().__init__()
        self.title_text = title
        self.help_text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="title")
            yield Static(self.help_text, id="help-text")
            yield Static(_("Esc to close"), classes="hint")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


class SupervisorDialog(LocalizedBindings, ModalScreen[object]):
    """Asks a supervisor's name and PIN; dismisses with the approving Clerk, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="cancel_approval", tooltip=N_("Cancel"))]

    def __init__(self, action: str, purpose: str):
        super().__init__()
        self.action_name = action
        self.purpose = purpose

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Supervisor approval"), classes="title")
            yield Static(self.purpose, classes="hint")
            yield Label(_("Supervisor"))
            yield Input(id="sup-name", placeholder=_("Supervisor"))
            yield Label(_("PIN"))
            yield Input(id="sup-pin", password=True, restrict=r"\d*", max_length=12, placeholder=_("PIN"))
            yield Static("", id="sup-error", classes="error")

    def on_mount(self) -> None:
        self.query_one("#sup-name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "sup-name":
            self.query_one("#sup-pin", Input).focus()
            return
        name = self.query_one("#sup-name", Input).value.strip()
        pin = event.input.value
        event.input.value = ""
        try:
            approver = clerks.authorize_supervisor(self.app.station, name, pin, self.action_name, by=self.app.session)
        except CounterError as exc:
            self.query_one("#sup-error", Static).update(exc.localized(_))
            return
        self.dismiss(approver)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReasonDialog(LocalizedBindings, ModalScreen[str]):
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="cancel_reason", tooltip=N_("Cancel"))]

    def __init__(self, title: str, prompt: str, fields: tuple[tuple[str, str], ...] = ()):
        super().__init__()
        self.title_text = title
        self.prompt = prompt
        self.extra_fields = fields

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="title")
            for fid, label in self.extra_fields:
                yield Label(label)
                yield Input(id=f"extra-{fid}")
            yield Label(self.prompt)
            yield Input(id="reason")
            yield Static("", id="reason-error", classes="error")

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "reason":
            self.focus_next()
            return
        if not event.value.strip():
            self.query_one("#reason-error", Static).update(_("A reason is required"))
            return
        extra = {fid: self.query_one(f"#extra-{fid}", Input).value for fid, _label in self.extra_fields}
        self.dismiss({"reason": event.value.strip(), **extra})

    def action_cancel(self) -> None:
        self.dismiss(None)
