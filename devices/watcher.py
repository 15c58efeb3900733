"""CardWatcher: one thread that watches a reader, reads each inserted card and reports events.

Works the same over every backend (PC/SC, the in-process simulator, a future
SAM serial reader). The callback runs on the watcher thread: a Textual app
forwards each event with `app.call_from_thread` or `post_message`, which are
thread-safe, and never blocks on a card.

    watcher = CardWatcher(backend, on_event, csca_dir=station_csca_dir)
    watcher.start()
    ...                               # events arrive: CardInserted, MrzKeyRequired, CardRead, ...
    watcher.set_mrz_key(key)          # after MrzKeyRequired or MRZ mismatch: reads the card again
    watcher.retry()                   # read the present card again (after a card error)
    watcher.stop()
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from devices.errors import (
    CARD_REMOVED,
    MESSAGES,
    MRZ_KEY_REQUIRED,
    MRZ_MISMATCH,
    NO_SERVICE,
    RETRYABLE,
    CardError,
)
from devices.identity import IdentityDocument
from devices.mrz import MrzKey
from devices.reader import ReaderBackend, SlotStatus

log = logging.getLogger(__name__)


# --- events ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReaderReady:
    """The reader is there and working (at start, or after an error cleared)."""

    reader: str


@dataclass(frozen=True)
class CardInserted:
    reader: str
    atr: str  # hex


@dataclass(frozen=True)
class MrzKeyRequired:
    """An eMRTD is inserted; call set_mrz_key() with the MRZ key to read it."""

    reader: str


@dataclass(frozen=True)
class CardRead:
    document: IdentityDocument
    reader: str
    apdus: int
    elapsed_ms: float  # from connecting to the card to the IdentityDocument


@dataclass(frozen=True)
class CardRemoved:
    reader: str


@dataclass(frozen=True)
class ReaderError:
    """state: one of devices.errors (no_service, no_reader, card_removed, unsupported_card,
    mrz_mismatch, card_error). retryable: the same card can be read again (retry() or reinsert)."""

    state: str
    message: str  # English msgid; translate with counter.i18n._
    reader: str = ""
    retryable: bool = False
    detail: str = ""  # technical, for district IT; never personal data


WatcherEvent = ReaderReady | CardInserted | MrzKeyRequired | CardRead | CardRemoved | ReaderError


class CardWatcher:
    def __init__(self, backend: ReaderBackend, on_event: Callable[[WatcherEvent], None], *,
                 csca_dir: str | None = None, csca_certs: list | None = None, poll_interval: float = 0.25,
                 retry_interval: float = 0.5):
        from devices.lds import load_csca_dir

        self.backend = backend
        self.on_event = on_event
        self.csca_certs = list(csca_certs or []) + load_csca_dir(csca_dir) + list(backend.trusted_cscas)
        self.poll_interval = poll_interval
        self.retry_interval = retry_interval
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._mrz_key: MrzKey | None = None
        self._key_carried = False  # kept from a card pulled mid-read: try it, but ask if it fails
        self._key_used = False  # tried on the card in the reader; a key not yet tried waits for the next card
        self._read_requested = False
        self.state = "starting"

    # --- control, from any thread --------------------------------------------------------

    def start(self) -> CardWatcher:
        self._thread = threading.Thread(target=self._run, name="card-watcher", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        self.backend.wake()
        if self._thread is not None:
            self._thread.join(timeout)
        self.backend.close()

    def set_mrz_key(self, key: MrzKey | None) -> None:
        """The MRZ key for the card in the reader (or the next one); reads it now if it waits."""
        with self._lock:
            self._mrz_key = key
            self._key_carried = self._key_used = False
            self._read_requested = key is not None
        self.backend.wake()

    def retry(self) -> None:
        with self._lock:
            self._read_requested = True
        self.backend.wake()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- the loop --------------------------------------------------------------------

    def _emit(self, event: WatcherEvent) -> None:
        try:
            self.on_event(event)
        except Exception as exc:  # a failing handler must not stop the watcher; no event data in the log
            log.error("card watcher callback failed for %s: %s", type(event).__name__, type(exc).__name__)

    def _run(self) -> None:
        known: SlotStatus | None = None
        last_error: str | None = None
        card_id: int | None = None
        pending_read = False
        reader = getattr(self.backend, "reader_name", "") if self.backend.kind == "sam" else ""
        while not self._stop.is_set():
            try:
                status = self.backend.status(self.poll_interval, known)
            except CardError as exc:
                if exc.state != last_error:
                    self.state = exc.state
                    self._emit(ReaderError(exc.state, exc.message, reader, exc.state in RETRYABLE, exc.detail))
                    last_error = exc.state
                known, card_id = None, None  # after the service or reader comes back, re-read the card
                self._stop.wait(self.retry_interval)
                continue
            except Exception as exc:  # never let the thread die on an unexpected library error
                log.warning("card watcher: unexpected %s", type(exc).__name__)
                if last_error != NO_SERVICE:
                    self._emit(ReaderError(NO_SERVICE, MESSAGES[NO_SERVICE], reader, False, type(exc).__name__))
                    last_error = NO_SERVICE
                known, card_id = None, None
                self._stop.wait(self.retry_interval)
                continue
            reader = status.reader
            if last_error is not None or known is None:
                if last_error is not None or self.state == "starting":
                    self._emit(ReaderReady(reader))
                last_error = None
                self.state = "ready"
            known = status
            if status.card_present:
                if status.card_id != card_id:
                    if card_id is not None:  # swapped without a removal seen: a tried key was for the old card
                        with self._lock:
                            if self._key_used:
                                self._mrz_key = None
                            self._read_requested = False
                    card_id = status.card_id
                    self._emit(CardInserted(reader, status.atr.hex()))
                    pending_read = True
                with self._lock:
                    if self._read_requested:
                        self._read_requested, pending_read = False, True
                if pending_read and status.problem is not None:
                    pending_read = False
                    self.state = status.problem
                    self._emit(ReaderError(status.problem, MESSAGES[status.problem], reader, False,
                                           "the card does not answer the reset"))
                elif pending_read:
                    pending_read = False
                    self._read(reader)
            elif card_id is not None:
                card_id = None
                with self._lock:
                    if self.state == CARD_REMOVED and self._mrz_key is not None:
                        self._key_carried = True  # pulled mid-read: the same card is likely to come back
                    elif self._key_used:
                        self._mrz_key = None  # it belonged to the card just removed
                    self._key_used = False
                    self._read_requested = False
                self.state = "no_card"
                self._emit(CardRemoved(reader))
            else:
                self.state = "no_card"

    def _read(self, reader: str) -> None:
        with self._lock:
            key, carried = self._mrz_key, self._key_carried
            self._key_used = key is not None
        self.state = "reading"
        try:
            result = self.backend.read_card(mrz_key=key, csca_certs=self.csca_certs)
        except CardError as exc:
            if exc.state == MRZ_MISMATCH and carried:
                with self._lock:
                    self._mrz_key, self._key_carried = None, False
                exc = CardError(MRZ_KEY_REQUIRED)  # another document than the one pulled out
            if exc.state == MRZ_KEY_REQUIRED:
                self.state = MRZ_KEY_REQUIRED
                self._emit(MrzKeyRequired(reader))
            else:
                self.state = exc.state
                self._emit(ReaderError(exc.state, exc.message, reader, exc.state in RETRYABLE, exc.detail))
            return
        except Exception as exc:
            log.warning("card read failed: %s", type(exc).__name__)
            self.state = "card_error"
            self._emit(ReaderError("card_error", MESSAGES["card_error"], reader, True, type(exc).__name__))
            return
        self.state = "read"
        self._emit(CardRead(result.document, result.reader, result.apdus, result.elapsed_ms))


class WatcherGroup:
    """Several CardWatchers (the PC/SC or simulated reader, and the SAM reader) as one.

    Each watches its own reader on its own thread; events carry the reader's name, so the app
    tells them apart. Calls fan out to every watcher."""

    def __init__(self, watchers: list[CardWatcher]):
        self.watchers = watchers

    @property
    def backend(self) -> ReaderBackend:
        return self.watchers[0].backend

    @property
    def backends(self) -> list[ReaderBackend]:
        return [w.backend for w in self.watchers]

    @property
    def state(self) -> str:
        return self.watchers[0].state

    @property
    def alive(self) -> bool:
        return all(w.alive for w in self.watchers)

    def start(self) -> WatcherGroup:
        for w in self.watchers:
            w.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        for w in self.watchers:
            w.stop(timeout)

    def set_mrz_key(self, key: MrzKey | None) -> None:
        self.watchers[0].set_mrz_key(key)  # only APDU readers read eMRTDs

    def retry(self) -> None:
        for w in self.watchers:
            w.retry()


def open_watcher(reader_section: dict, on_event: Callable[[WatcherEvent], None],
                 backend: ReaderBackend | None = None) -> CardWatcher | WatcherGroup:
    """A watcher for a station's [reader] config section (kind, reader_name, csca_dir); not started.

    With [reader] sam_port set, a WatcherGroup that also polls the SAM reader every
    sam_poll_seconds."""
    from devices.backends import open_backend
    from devices.sam import open_sam

    if backend is None:
        backend = open_backend(reader_section.get("kind", "pcsc"), reader_section.get("reader_name", ""))
    main = CardWatcher(backend, on_event, csca_dir=reader_section.get("csca_dir") or None)
    sam = open_sam(reader_section)
    if sam is None:
        return main
    poll = float(reader_section.get("sam_poll_seconds") or 0.5)
    return WatcherGroup([main, CardWatcher(sam, on_event, poll_interval=poll, retry_interval=max(poll, 1.0))])


__all__ = ["CardWatcher", "WatcherGroup", "CardInserted", "CardRead", "CardRemoved", "MrzKeyRequired", "ReaderError",
           "ReaderReady", "WatcherEvent", "open_watcher"]
