"""The finished service's document: shown on screen, handed to printing, reprinted as a numbered copy."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from counter.i18n import N_, _
from counter.services import documents, output
from screens.base import LocalizedBindings


class DocumentScreen(LocalizedBindings, Screen):
    BINDINGS = [
        Binding("r", "reprint", N_("Reprint"), id="reprint", tooltip=N_("Print a numbered copy")),
        Binding("escape,enter", "close", N_("Done"), id="document_done", tooltip=N_("Back to the person file")),
    ]

    def __init__(self, document, *, seq: int, person_id: str | None, ready_ms: float | None = None):
        super().__init__()
        self.document = document
        self.seq = seq
        self.person_id = person_id
        self.ready_ms = ready_ms

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Done: {number}").format(number=self.document.number), id="doc-title", classes="title")
        yield Static("", id="doc-status", classes="hint")
        with VerticalScroll(id="doc-scroll"):
            yield Static(documents.as_text(self.document), id="doc-preview")
        yield Footer()

    def on_mount(self) -> None:
        self._deliver(self.document)

    def _deliver(self, document) -> None:
        try:
            result = output.deliver(self.app.station, document, self.app.session.clerk.clerk_id)
        except Exception as exc:  # printer trouble must never lose the recorded service
            self.query_one("#doc-status", Static).update(_("Printing failed: {error}").format(error=type(exc).__name__))
            return
        text = _("Sent to the printer") if result.printed else _("Printing is not connected: preview only")
        if self.ready_ms is not None:
            text += f" · {_('ready in')} {self.ready_ms:.0f} ms"
        self.query_one("#doc-status", Static).update(text)

    def action_reprint(self) -> None:
        copy = documents.reprint(self.app.station, self.seq, self.app.session.clerk.clerk_id)
        self.query_one("#doc-preview", Static).update(documents.as_text(copy))
        self.ready_ms = None
        self._deliver(copy)

    def action_close(self) -> None:
        self.dismiss(self.seq)
