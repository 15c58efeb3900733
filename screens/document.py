"""The finished service's document: shown on screen, handed to printing, reprinted as a numbered copy."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from counter.i18n import N_, _
from counter.services import documents
from counter.services import printing as print_service
from screens.base import LocalizedBindings
from screens.messages import PrintDelivered, PrinterCheckRequested

PREVIEW_WIDTH = 54  # the preview box is 60 cells with border and padding


class DocumentScreen(LocalizedBindings, Screen):
    BINDINGS = [
        Binding("r", "reprint", N_("Reprint"), id="reprint", tooltip=N_("Print a numbered copy")),
        Binding("p", "retry_print", N_("Retry print"), id="retry_print",
                tooltip=N_("Send the queued job to the printer again")),
        Binding("escape,enter", "close", N_("Done"), id="document_done", tooltip=N_("Back to the person file")),
    ]

    def __init__(self, document, *, seq: int, person_id: str | None, ready_ms: float | None = None):
        super().__init__()
        self.document = document
        self.seq = seq
        self.person_id = person_id
        self.ready_ms = ready_ms
        self.failed_job: str | None = None  # a job the printer did not take: P retries it

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Done: {number}").format(number=self.document.number), id="doc-title", classes="title")
        yield Static("", id="doc-status", classes="hint")
        with VerticalScroll(id="doc-scroll"):
            yield Static(documents.as_text(self.document, width=PREVIEW_WIDTH), id="doc-preview")
        yield Footer()

    def on_mount(self) -> None:
        self._deliver(self.document)

    def _deliver(self, document) -> None:
        self.query_one("#doc-status", Static).update(_("Printing…"))
        self._print_worker(document)

    @work(thread=True, exclusive=True, exit_on_error=False, group="print")
    def _print_worker(self, document, job_id: str | None = None) -> None:
        """The printer may take seconds to answer: never on the UI thread."""
        station, clerk_id = self.app.station, self.app.state.session.clerk.clerk_id
        try:
            result = print_service.retry(station, job_id, clerk_id) if job_id else print_service.deliver(station, document, clerk_id)
        except Exception as exc:  # printer trouble must never lose the recorded service
            self.post_message(PrintDelivered(None, type(exc).__name__))
            return
        self.post_message(PrintDelivered(result))

    def on_print_delivered(self, message: PrintDelivered) -> None:
        message.stop()  # this screen's own result: it does not bubble on to the App
        result: print_service.Delivery | None = message.result
        crash = message.crash
        status = self.query_one("#doc-status", Static)
        if result is None:
            self.failed_job = None
            status.update(_("Printing failed: {error}").format(error=crash))
            return
        # the file name only: the folder is the station's certificate directory
        message = _(result.message).format(path=Path(result.output).name if result.output else "")
        if result.printed:
            self.failed_job = None
            status.update(message if result.state == "pdf" else _("Printed"))
        else:
            self.failed_job = result.job_id
            # the printer's reason ends without a stop: add one, or it runs into "Press P"
            status.update(_("Not printed: {message}. Press P to retry; the service itself is saved.")
                          .format(message=message.rstrip("。.;； ")))
        self.post_message(PrinterCheckRequested())

    def action_retry_print(self) -> None:
        if self.failed_job:
            self.query_one("#doc-status", Static).update(_("Printing…"))
            self._print_worker(None, self.failed_job)

    def action_reprint(self) -> None:
        copy = documents.reprint(self.app.station, self.seq, self.app.state.session.clerk.clerk_id)
        self.query_one("#doc-preview", Static).update(documents.as_text(copy, width=PREVIEW_WIDTH))
        self.ready_ms = None
        self._deliver(copy)

    def action_close(self) -> None:
        self.dismiss(self.seq)
