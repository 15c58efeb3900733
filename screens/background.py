"""The app's background work: the card watcher, the sync worker and the printer poll.

Each runs in its own thread and only posts results to the UI; the UI never waits on a device or on HQ.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from counter.i18n import N_, _
from screens.base import LocalizedBindings

PRINTER_POLL_SECONDS = 60.0
# The status line names the printer's state in a word or two; the full advice goes to a notification.
PRINTER_STATE_LABELS = {
    "ready": N_("ready"), "paper_near_end": N_("paper low"), "paper_out": N_("out of paper"),
    "cover_open": N_("cover open"), "offline": N_("offline"), "error": N_("error"),
    "no_answer": N_("no answer"), "unknown": N_("status unknown"), "disabled": N_("not configured"),
}
UNCONFIGURED_SYNC_REFRESH_SECONDS = 10.0


def _sleep_unless_cancelled(worker, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not worker.is_cancelled and time.monotonic() < deadline:
        time.sleep(0.2)


@dataclass
class DeviceEvent(Message):
    """A CardWatcher event, carried from the watcher thread to the UI thread."""

    event: object


class MrzKeyDialog(LocalizedBindings, ModalScreen[str | None]):
    """Asks the MRZ key of a passport or ID card: typed, or scanned into the field."""

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
        from devices.mrz import MrzError, parse_key_text

        try:
            key = parse_key_text(event.value)
        except MrzError as exc:
            self.query_one("#mrz-error", Static).update(_(str(exc)))
            return
        self.app.card_watcher.set_mrz_key(key)
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class BackgroundWork:
    """Mixed into CounterApp: starts and stops the workers, turns their events into UI updates."""

    card_watcher = None
    _demo_sample_index = 0

    def start_background_work(self) -> None:
        self._start_card_watcher()
        self._sync_worker()
        self._printer_worker()

    def stop_background_work(self) -> None:
        if self.card_watcher is not None:
            self.card_watcher.stop()
            self.card_watcher = None

    # --- card reader -----------------------------------------------------------------------

    def _start_card_watcher(self) -> None:
        from devices.watcher import open_watcher

        section = self.station.config.section("reader")
        if section["kind"] == "none":
            self.set_device_status(_("no reader configured"))
            return
        try:
            self.card_watcher = open_watcher(section, lambda event: self.post_message(DeviceEvent(event)))
            self.card_watcher.start()
        except Exception as exc:  # a reader that cannot start must not stop the counter
            self.card_watcher = None
            self.set_device_status(_("reader unavailable: {error}").format(error=type(exc).__name__))
            return
        self.set_device_status(_("starting…"))

    @property
    def simulated_reader(self):
        backend = getattr(self.card_watcher, "backend", None)
        return backend if backend is not None and hasattr(backend, "insert") else None

    @property
    def sam_reader(self):
        """The SAM reader (resident ID card) the watcher polls, if [reader] sam_port is set."""
        for backend in getattr(self.card_watcher, "backends", ()):
            if getattr(backend, "kind", "") == "sam":
                return backend
        return None

    def insert_next_sample(self) -> bool:
        """Demo: 'insert' the next sample card: the in-process APDU cards, then the SAM reader's."""
        from devices.samples import SAMPLES

        reader = self.simulated_reader
        if reader is None:
            return False
        sam = self.sam_reader
        sam_sim = sam.simulator if sam is not None else None
        samples = list(SAMPLES)
        if sam_sim is not None:
            from devices.sim.sam_cards import SAM_SAMPLES

            samples += list(SAM_SAMPLES)
        sample = samples[self._demo_sample_index % len(samples)]
        self._demo_sample_index += 1
        self.take_card_away()
        if sample in SAMPLES:
            reader.insert(sample)
        else:
            sam_sim.present(sample)
        return True

    def take_card_away(self) -> bool:
        """Demo: take the card out of (or away from) every simulated reader, even mid-read."""
        reader, sam = self.simulated_reader, self.sam_reader
        if reader is None and (sam is None or sam.simulator is None):
            return False
        if reader is not None:
            reader.remove()
        if sam is not None and sam.simulator is not None:
            sam.simulator.take_away()
        return True

    def _reader_status(self, reader: str, text: str) -> None:
        """The status line names each reader's state: the PC/SC reader and the SAM reader side by side."""
        texts = self.__dict__.setdefault("_reader_texts", {})
        texts[reader] = text
        self.set_device_status(" · ".join(t for t in texts.values() if t))

    def on_device_event(self, message: DeviceEvent) -> None:
        from devices import watcher as w

        event = message.event
        if isinstance(event, w.ReaderReady):
            self._reader_status(event.reader, _("ready ({reader})").format(reader=event.reader))
        elif isinstance(event, w.CardInserted):
            self._reader_status(event.reader, _("reading card…"))
        elif isinstance(event, w.CardRemoved):
            self._reader_status(event.reader, _("ready ({reader})").format(reader=event.reader))
        elif isinstance(event, w.MrzKeyRequired):
            self._reader_status(event.reader, _("MRZ key needed"))
            self._ask_mrz_key("")
        elif isinstance(event, w.ReaderError):
            text = _(event.message)
            self._reader_status(event.reader, text)
            if event.state == "mrz_mismatch":
                self._ask_mrz_key(text)
            elif event.state in ("card_removed", "unsupported_card", "card_error", "read_failed",
                                 "present_again", "card_auth_failed", "sam_not_ready"):
                self.notify(text, severity="warning", timeout=8)
        elif isinstance(event, w.CardRead):
            self._reader_status(event.reader, _("card read ({ms} ms)").format(ms=f"{event.elapsed_ms:.0f}"))
            self._card_document_ready(event.document)

    def _ask_mrz_key(self, error: str) -> None:
        if self.session is None or self.locked or isinstance(self.screen, MrzKeyDialog):
            return
        suggestion = ""
        reader = self.simulated_reader
        if self.demo and reader is not None and reader.inserted:
            # the demo shows the key printed on the sample's data page, as a clerk would read it
            from devices.samples import SAMPLES

            key = SAMPLES[reader.inserted].mrz_key
            if key is not None:
                suggestion = f"{key.document_number}:{key.birth_date}:{key.expiry_date}"
        self.push_screen(MrzKeyDialog(error, suggestion))

    def _card_document_ready(self, document) -> None:
        """A card that failed authentication needs a supervisor before the clerk can go on."""
        from devices.identity import FAILED
        from screens.dialogs import SupervisorDialog
        from screens.messages import CardRead

        if self.session is None or self.locked:
            return
        if document.authenticity != FAILED:
            self.post_message(CardRead(document))
            return

        def approved(approver) -> None:
            if approver is not None:
                self.post_message(CardRead(document))
            else:
                self.notify(_("The card failed its authenticity check and was not used"), severity="error")

        self.push_screen(SupervisorDialog("card_authenticity_failed",
                                          _("This card FAILED its authenticity check: a supervisor must approve")),
                         approved)

    # --- sync ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="sync")
    def _sync_worker(self) -> None:
        from counter import sync

        worker = get_current_worker()
        if not self.station.config.section("sync")["hq_url"]:
            while not worker.is_cancelled:  # keep the pending count current
                status = sync.sync_status(self.station)
                self.call_from_thread(self.set_sync_status,
                                      _("not configured ({pending} pending)").format(pending=status["pending"]))
                _sleep_unless_cancelled(worker, UNCONFIGURED_SYNC_REFRESH_SECONDS)
            return

        def show(result) -> None:
            if result.ok:
                text = _("synced, {pending} pending").format(pending=result.pending)
            else:
                text = _("offline, {pending} pending: {error}").format(
                    pending=result.pending, error=result.localized_error(_))
            self.call_from_thread(self.set_sync_status, text)

        sync.sync_loop(self.station, lambda: worker.is_cancelled, show)

    # --- printer ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="printer")
    def _printer_worker(self) -> None:
        worker = get_current_worker()
        while not worker.is_cancelled:
            self.refresh_printer_status_now()
            _sleep_unless_cancelled(worker, PRINTER_POLL_SECONDS)

    def refresh_printer_status_now(self) -> None:
        """Blocking (the printer may take seconds to answer): call from a worker thread."""
        from counter.printer_service import check_printer

        try:
            status = check_printer(self.station)
        except Exception as exc:  # a printer fault is a status, not a crash
            self.call_from_thread(self.set_printer_status,
                                  _("printer check failed: {error}").format(error=type(exc).__name__))
            return
        state = status.get("state", "unknown")
        label = _(PRINTER_STATE_LABELS.get(state, "status unknown"))
        self.call_from_thread(self._show_printer_state, state, label, _(status.get("message") or ""))

    def _show_printer_state(self, state: str, label: str, advice: str) -> None:
        changed = state != getattr(self, "_printer_state", None)
        self._printer_state = state
        self.set_printer_status(label)
        if changed and state not in ("ready", "unknown", "disabled") and advice:
            self.notify(advice, severity="warning", timeout=10)

    def refresh_printer_status(self) -> None:
        """After a job: re-read the printer's state without blocking the UI."""
        self.run_worker(self.refresh_printer_status_now, thread=True, exit_on_error=False, group="printer-now")
