"""Small modal dialogs on one base: field help (F1), supervisor approval, a reason, the MRZ key."""

from __future__ import annotations

from typing import TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from counter.errors import CounterError
from counter.i18n import N_, _
from counter.services import clerks, devices
from screens.base import LocalizedBindings

ResultType = TypeVar("ResultType")


class Dialog(LocalizedBindings, ModalScreen[ResultType]):
    """Every dialog: centred over the dimmed screen below, in one bordered box (compose it as a
    `Vertical(classes="dialog")`). The dimming is in global.tcss: the app's opaque `Screen` rule would
    win over any DEFAULT_CSS."""

    DEFAULT_CSS = """
    Dialog {
        align: center middle;
    }
    Dialog > .dialog {
        width: 70;
        height: auto;
        max-height: 80%;
        border: round $accent;
        padding: 1 2;
        background: $surface;
    }
    """


class HelpDialog(Dialog[None]):
    DEFAULT_CSS = """
    HelpDialog #help-scroll {
        height: auto;
        max-height: 18;
    }
    """
    BINDINGS = [Binding("escape,f1,enter", "dismiss_help", N_("Close"), id="close_help", tooltip=N_("Close"))]

    def __init__(self, title: str, text: str):
        super().__init__()
        self.title_text = title
        self.help_text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="title")
            # a long key list scrolls; the close hint below it stays on screen
            with VerticalScroll(id="help-scroll"):
                yield Static(self.help_text, id="help-text")
            yield Static(_("Esc to close"), classes="hint")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


class SupervisorDialog(Dialog[object]):
    """Asks a supervisor's name and PIN; dismisses with the approving Clerk, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="cancel_approval", tooltip=N_("Cancel"))]

    def __init__(self, action: str, purpose: str):
        super().__init__()
        self.action_name = action
        self.purpose = purpose

    def compose(self) -> ComposeResult:
        self.supervisors = [c.name for c in clerks.list_clerks(self.app.station) if c.is_supervisor and c.active]
        with Vertical(classes="dialog"):
            yield Static(_("Supervisor approval"), classes="title")
            yield Static(self.purpose, classes="hint", markup=False)  # a reason or an address is text, not markup
            yield Static("  ".join(f"{i}={name}" for i, name in enumerate(self.supervisors, 1)), classes="hint")
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
        if name.isdigit() and 1 <= int(name) <= len(self.supervisors):
            name = self.supervisors[int(name) - 1]  # a supervisor by number: one key
        pin = event.input.value
        event.input.value = ""
        try:
            approver = clerks.authorize_supervisor(self.app.station, name, pin, self.action_name, by=self.app.state.session)
        except CounterError as exc:
            self.query_one("#sup-error", Static).update(exc.localized(_))
            return
        self.dismiss(approver)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReasonDialog(Dialog[dict | None]):
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


class MrzKeyDialog(Dialog[devices.MrzKey | None]):
    """Asks the MRZ key of a passport or ID card, typed or scanned into the field; dismisses with the
    checked key (the App hands it to the card watcher), or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="cancel_mrz", tooltip=N_("Cancel"))]

    def __init__(self, error: str = "", suggestion: str = ""):
        super().__init__()
        self.error = error
        self.suggestion = suggestion

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Passport or ID card"), classes="title")
            yield Static(_("Type DOCUMENT-NUMBER:YYMMDD(birth):YYMMDD(expiry), or scan the MRZ"), classes="hint")
            yield Input(value=self.suggestion, id="mrz-key")
            yield Static(self.error, id="mrz-error", classes="error")

    def on_mount(self) -> None:
        self.query_one("#mrz-key", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            key = devices.parse_mrz_key(event.value)
        except devices.MrzError as exc:
            self.query_one("#mrz-error", Static).update(_(str(exc)))
            return
        self.dismiss(key)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(Dialog[bool]):
    """A yes/no question: Y (or Enter) answers yes, N or Esc no. No is the safe default for a stray key."""

    BINDINGS = [
        Binding("y", "answer(True)", N_("Yes"), id="confirm_yes", tooltip=N_("Yes")),
        Binding("n,escape", "answer(False)", N_("No"), id="confirm_no", tooltip=N_("No")),
        Binding("enter", "answer(True)", show=False, id="confirm_enter"),
    ]

    def __init__(self, title: str, text: str):
        super().__init__()
        self.title_text = title
        self.question = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="title")
            yield Static(self.question, id="confirm-text")
            yield Static(_("Y: yes · N or Esc: no"), classes="hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
