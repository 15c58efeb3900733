"""The app's background work: the card watcher, the sync worker, the printer poll (and a demo's houses).

Each runs in its own thread and only posts messages (screens.messages) to the UI; the UI never waits on
a device or on HQ. Devices are reached through counter.services.devices only.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import work
from textual.worker import get_current_worker

from counter.i18n import N_, _
from screens.base import reader_label
from screens.messages import (
    CardRead,
    DemoHousesSeeded,
    DeviceEvent,
    PrinterChecked,
    PrinterCheckRequested,
    SyncStatusChanged,
)

if TYPE_CHECKING:
    from counter.services import devices


def _devices():
    """counter.services.devices, imported when the workers start (after the sign-in screen is drawn)."""
    from counter.services import devices

    return devices


PRINTER_POLL_SECONDS = 60.0
# The status line names the printer's state in a word or two; the full advice goes to a notification.
PRINTER_STATE_LABELS = {
    "ready": N_("ready"), "paper_near_end": N_("paper low"), "paper_out": N_("out of paper"),
    "cover_open": N_("cover open"), "offline": N_("offline"), "error": N_("error"),
    "no_answer": N_("no answer"), "unknown": N_("status unknown"), "disabled": N_("not configured"),
}
UNCONFIGURED_SYNC_REFRESH_SECONDS = 10.0
# reader errors that mean a newly presented card was not used (unknown, unreadable, refused, pulled mid-read)
CARD_REFUSED_STATES = ("card_removed", "unsupported_card", "card_error", "read_failed", "card_auth_failed")


def _sleep_unless_cancelled(worker, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not worker.is_cancelled and time.monotonic() < deadline:
        time.sleep(0.2)


class BackgroundWork:
    """Mixed into CounterApp: starts and stops the workers, turns their messages into UI updates."""

    card_watcher: devices.CardWatcher | None = None
    _demo_sample_index = 0

    def start_background_work(self) -> None:
        self._start_card_watcher()
        self._sync_worker()
        self._printer_worker()
        if self.state.demo:
            self._demo_houses_worker()

    def stop_background_work(self) -> None:
        if self.card_watcher is not None:
            self.card_watcher.stop()
            self.card_watcher = None

    # --- card reader -----------------------------------------------------------------------

    def _start_card_watcher(self) -> None:
        section = self.station.config.section("reader")
        try:
            self.card_watcher = _devices().open_card_watcher(section, lambda event: self.post_message(DeviceEvent(event)))
        except Exception as exc:  # a reader that cannot start must not stop the counter
            self.card_watcher = None
            self.set_device_status(_("reader unavailable: {error}").format(error=type(exc).__name__))
            return
        self.set_device_status(_("starting…") if self.card_watcher is not None else _("no reader configured"))

    @property
    def simulated_reader(self):
        return _devices().simulated_reader(self.card_watcher)

    @property
    def sam_reader(self):
        """The SAM reader (resident ID card) the watcher polls, if [reader] sam_port is set."""
        return _devices().sam_reader(self.card_watcher)

    def insert_next_sample(self) -> bool:
        """Demo: 'insert' the next sample card: the in-process APDU cards, then the SAM reader's."""
        if not _devices().insert_demo_sample(self.card_watcher, self._demo_sample_index):
            return False
        self._demo_sample_index += 1
        return True

    def take_card_away(self) -> bool:
        """Demo: take the card out of (or away from) every simulated reader, even mid-read."""
        return _devices().take_card_away(self.card_watcher)

    def _reader_status(self, reader: str, text: str) -> None:
        """The status line names each reader's state: the PC/SC reader and the SAM reader side by side."""
        texts = self.state.devices.reader_texts
        texts[reader] = text
        self.set_device_status(" · ".join(t for t in texts.values() if t))

    def on_device_event(self, message: DeviceEvent) -> None:
        devices = _devices()
        event = message.event
        if isinstance(event, devices.ReaderReady):
            self._reader_status(event.reader, _("ready ({reader})").format(reader=reader_label(event.reader)))
        elif isinstance(event, devices.CardInserted):
            self._reader_status(event.reader, _("reading card…"))
        elif isinstance(event, devices.CardRemoved):
            self._reader_status(event.reader, _("ready ({reader})").format(reader=reader_label(event.reader)))
        elif isinstance(event, devices.MrzKeyRequired):
            self._reader_status(event.reader, _("MRZ key needed"))
            self._ask_mrz_key("")
        elif isinstance(event, devices.ReaderError):
            text = _(event.message)
            self._reader_status(event.reader, text)
            if event.state == "mrz_mismatch":
                self._ask_mrz_key(text)
            elif event.state in ("card_removed", "unsupported_card", "card_error", "read_failed",
                                 "present_again", "card_auth_failed", "sam_not_ready"):
                if event.state in CARD_REFUSED_STATES:
                    # a new card was presented and could not be used: the file on screen is not this person's
                    self.close_person_file()
                self.notify(text, severity="warning", timeout=8)
        elif isinstance(event, devices.CardRead):
            self._reader_status(event.reader, _("card read ({ms} ms)").format(ms=f"{event.elapsed_ms:.0f}"))
            self._card_document_ready(event.document)

    def _ask_mrz_key(self, error: str) -> None:
        from screens.dialogs import MrzKeyDialog

        if self.state.session is None or self.locked or isinstance(self.screen, MrzKeyDialog):
            return
        # the demo shows the key printed on the sample's data page, as a clerk would read it
        suggestion = _devices().sample_mrz_text(self.simulated_reader) if self.state.demo else ""
        self.push_screen(MrzKeyDialog(error, suggestion), self._mrz_key_given)

    def _mrz_key_given(self, key: devices.MrzKey | None) -> None:
        if key is None:
            # Esc: the passport on the reader is not read, so the previous person's file must not stay up
            self.close_person_file()
            return
        if self.card_watcher is not None:
            self.card_watcher.set_mrz_key(key)

    def _card_document_ready(self, document) -> None:
        """A card that failed authentication needs a supervisor before the clerk can go on."""
        from screens.dialogs import SupervisorDialog

        if self.state.session is None or self.locked:
            return
        if not _devices().authenticity_failed(document):
            self.post_message(CardRead(document))
            return

        def approved(approver) -> None:
            if approver is not None:
                self.post_message(CardRead(document))
            else:
                self.close_person_file()
                self.notify(_("The card failed its authenticity check and was not used"), severity="error")

        # the alarm is about this card: over the previous person's file it would read as theirs
        self.close_person_file()
        self.push_screen(SupervisorDialog("card_authenticity_failed",
                                          _("This card FAILED its authenticity check: a supervisor must approve")),
                         approved)

    # --- sync ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="sync")
    def _sync_worker(self) -> None:
        from counter.sync import client as sync_client

        worker = get_current_worker()
        if not self.station.config.section("sync")["hq_url"]:
            while not worker.is_cancelled:  # keep the pending count current
                status = sync_client.sync_status(self.station)
                self.post_message(SyncStatusChanged(
                    _("not configured ({pending} pending)").format(pending=status["pending"])))
                _sleep_unless_cancelled(worker, UNCONFIGURED_SYNC_REFRESH_SECONDS)
            return

        def show(result) -> None:
            if result.ok:
                text = _("synced, {pending} pending").format(pending=result.pending)
            else:
                text = _("offline, {pending} pending: {error}").format(
                    pending=result.pending, error=result.localized_error(_))
            self.post_message(SyncStatusChanged(text))

        sync_client.sync_loop(self.station, lambda: worker.is_cancelled, show)

    def on_sync_status_changed(self, message: SyncStatusChanged) -> None:
        self.set_sync_status(message.text)

    # --- printer ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="demo-houses")
    def _demo_houses_worker(self) -> None:
        """A fresh demo station's houses and entities (F6), made after the first paint."""
        from counter.services import demo

        try:
            seeded = demo.seed_houses_once(self.station)
        except Exception as exc:  # a status for the clerk, not a crash; the type only: no personal data
            self.post_message(DemoHousesSeeded(0, 0, type(exc).__name__))
            return
        self.post_message(DemoHousesSeeded(len(demo.HOUSES), len(demo.ENTITIES)) if seeded else DemoHousesSeeded(0, 0))

    def on_demo_houses_seeded(self, message: DemoHousesSeeded) -> None:
        if message.error:
            self.notify(_("demo houses could not be made: {error}").format(error=message.error),
                        severity="warning", timeout=10)
        elif message.houses or message.entities:
            self.notify(_("demo: {houses} houses and {entities} reporting entities made (F6)").format(
                houses=message.houses, entities=message.entities))

    @work(thread=True, exclusive=True, exit_on_error=False, group="printer")
    def _printer_worker(self) -> None:
        worker = get_current_worker()
        while not worker.is_cancelled:
            self.post_message(self._check_printer())
            _sleep_unless_cancelled(worker, PRINTER_POLL_SECONDS)

    def _check_printer(self) -> PrinterChecked:
        """Blocking (the printer may take seconds to answer): call from a worker thread."""
        from counter.services.printing import check_printer

        try:
            status = check_printer(self.station)
        except Exception as exc:  # a printer fault is a status, not a crash
            return PrinterChecked(None, _("printer check failed: {error}").format(error=type(exc).__name__))
        state = status.get("state", "unknown")
        return PrinterChecked(state, _(PRINTER_STATE_LABELS.get(state, "status unknown")),
                              _(status.get("message") or ""))

    def on_printer_checked(self, message: PrinterChecked) -> None:
        if message.state is None:
            self.set_printer_status(message.label)
            return
        devices_state = self.state.devices
        changed = message.state != devices_state.printer_state
        devices_state.printer_state = message.state
        self.set_printer_status(message.label)
        if changed and message.state not in ("ready", "unknown", "disabled") and message.advice:
            self.notify(message.advice, severity="warning", timeout=10)

    @work(thread=True, exclusive=True, exit_on_error=False, group="printer-now")
    def refresh_printer_status(self) -> None:
        """After a job: re-read the printer's state without blocking the UI."""
        self.post_message(self._check_printer())

    def on_printer_check_requested(self, message: PrinterCheckRequested) -> None:
        self.refresh_printer_status()
