"""Every message the screens exchange, and every result a worker reports (one module, posting-style).

The one UI pattern: a worker is `@work(thread=True, exclusive=True, exit_on_error=False)` (or its async
equivalent), catches its own failures, and reports by posting one of these messages; a handler named
after the message (on_card_read, on_print_delivered...) updates the UI. post_message is thread-safe.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class CardRead(Message):
    """A card was read: post to the App from any thread (post_message is thread-safe)."""

    document: object  # an IdentityDocument (see counter.services.devices)


@dataclass
class DeviceEvent(Message):
    """A card watcher event (counter.services.devices.WatcherEvent), from the watcher thread to the App."""

    event: object


@dataclass
class ServiceCompleted(Message, bubble=False):  # the App hands it to the screens; no bubbling back
    """A service was confirmed and recorded. The wizard posts it to the App, which passes it on to every
    screen of the stack: the person file that started the service becomes the new person's file."""

    person_id: str | None
    seq: int
    elapsed_ms: float | None = None  # from confirm to the document, for the keystroke benchmark


@dataclass
class SyncStatusChanged(Message):
    """The sync worker's latest word for the status line."""

    text: str


@dataclass
class PrinterChecked(Message):
    """The printer worker's answer. state: a printer state code ("ready", "paper_out"...), or None when the
    check itself failed; label: the status line's word; advice: the notification, if any."""

    state: str | None
    label: str
    advice: str = ""


@dataclass
class DemoHousesSeeded(Message):
    """The demo-houses worker's outcome: how many houses and reporting entities it made (0 and 0: the demo
    station had them already), or, when seeding failed, error: the exception's type name (no personal data)."""

    houses: int
    entities: int
    error: str = ""


class PrinterCheckRequested(Message):
    """A screen (after a print job) asks the App to re-read the printer's state, without blocking."""


@dataclass
class PrintDelivered(Message):
    """The print worker's result: a counter.services.printing.Delivery, or None with the error's name."""

    result: object | None
    crash: str | None = None


@dataclass
class CheckinFinished(Message):
    """The device check-in's result (see counter.services.checkin.run_checkin), or the one-line error that stopped it."""

    result: dict | None
    error: str | None = None


@dataclass
class RegisterSearched(Message):
    """The HQ lookup worker's answer for F3: a counter.services.register.FindResult (local results
    first, then HQ's; `hq` says online or offline and why)."""

    query: str
    result: object


@dataclass
class RegisterAdopted(Message):
    """A file opened from HQ was adopted (person_id), or could not be (error: one line, localized)."""

    person_id: str | None
    error: str = ""


@dataclass
class PermitRechecked(Message):
    """The person file's re-check of an adopted permit with HQ: warning is empty when HQ agrees,
    else one line (changed at another window, or HQ offline)."""

    permit_id: str
    warning: str = ""
    offline: bool = False


@dataclass
class RegisterStatusChanged(Message):
    """F3's latest word on the district register at HQ, for the status line (online / offline)."""

    text: str


@dataclass
class ImportChecked(Message):
    """The report screen's check of a file: the review (counter.intake.report.Review), or the one line that
    says why the file cannot be read (its encoding, a missing column, an unknown reporter)."""

    review: object | None
    error: str = ""


@dataclass
class ImportProgress(Message):
    """Rows checked or recorded so far, for the report screen's progress bar."""

    stage: str  # checking | recording
    done: int
    total: int


@dataclass
class ImportRecorded(Message):
    """The report was recorded (result: counter.services.reports.ReportResult), or nothing was (error)."""

    result: object | None
    error: str = ""
