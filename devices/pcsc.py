"""The PC/SC transport over pyscard, with our own slot watching (not CardMonitor).

Slot state comes from SCardGetStatusChange on a context this backend owns and
re-establishes when pcscd restarts; the reader list is re-read whenever the
reader disappears, so an unplugged and re-plugged reader is picked up again.
Card I/O goes through pyscard's CardConnection. Every error from either of
pyscard's exception hierarchies becomes a CardError with a state the app knows.
"""

from __future__ import annotations

import threading

from smartcard import scard
from smartcard.Exceptions import CardConnectionException, NoCardException, SmartcardException
from smartcard.pcsc.PCSCExceptions import BaseSCardException, EstablishContextException

from devices.apdu import EXTENDED_RESPONSE_LIMIT
from devices.errors import (
    CARD_ERROR,
    CARD_REMOVED,
    NO_CARD,
    NO_READER,
    NO_SERVICE,
    UNSUPPORTED_CARD,
    CardError,
)
from devices.reader import ApduBackend, SlotStatus

PNP_READER = "\\\\?PnP?\\Notification"

# Both of pyscard's exception roots: catch these around any pyscard call
PYSCARD_ERRORS = (SmartcardException, BaseSCardException)

_SERVICE = {scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED, scard.SCARD_E_INVALID_HANDLE}
_NO_READER = {scard.SCARD_E_NO_READERS_AVAILABLE, scard.SCARD_E_UNKNOWN_READER,
              scard.SCARD_E_READER_UNAVAILABLE}
_REMOVED = {scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_RESET_CARD}
_UNSUPPORTED = {scard.SCARD_W_UNRESPONSIVE_CARD, scard.SCARD_W_UNSUPPORTED_CARD, scard.SCARD_E_PROTO_MISMATCH,
                scard.SCARD_E_CARD_UNSUPPORTED, scard.SCARD_W_UNPOWERED_CARD}


def _u32(hresult: int) -> int:
    return hresult & 0xFFFFFFFF


def state_for_hresult(hresult: int | None, default: str = CARD_ERROR) -> str:
    if hresult is None or hresult == -1:
        return default
    code = _u32(hresult)
    if code in {_u32(c) for c in _SERVICE}:
        return NO_SERVICE
    if code in {_u32(c) for c in _NO_READER}:
        return NO_READER
    if code in {_u32(c) for c in _REMOVED}:
        return CARD_REMOVED
    if code in {_u32(c) for c in _UNSUPPORTED}:
        return UNSUPPORTED_CARD
    return default


def _detail(hresult: int | None) -> str:
    return f"PC/SC 0x{_u32(hresult):08X}" if hresult not in (None, -1) else ""


CARD_BUSY = "the card is in use by another program; try again"


def map_exception(exc: BaseException) -> CardError:
    """A pyscard exception (either hierarchy) as a CardError with a clear state."""
    if isinstance(exc, CardError):
        return exc
    hresult = getattr(exc, "hresult", None)
    if isinstance(exc, NoCardException):
        return CardError(NO_CARD, detail=_detail(hresult))
    if isinstance(exc, EstablishContextException):
        return CardError(NO_SERVICE, detail=_detail(hresult))
    if hresult not in (None, -1) and _u32(hresult) == _u32(scard.SCARD_E_SHARING_VIOLATION):
        return CardError(CARD_ERROR, CARD_BUSY, detail=_detail(hresult))
    if isinstance(exc, CardConnectionException):
        return CardError(state_for_hresult(hresult), detail=_detail(hresult))
    return CardError(state_for_hresult(hresult), detail=_detail(hresult) or type(exc).__name__)


class PcscTransport:
    """One card connection through pyscard."""

    extended_length = True  # pcsc-lite carries extended APDUs; the card's ATR decides if we use them

    def __init__(self, reader_name: str, backend: PcscBackend):
        from smartcard.pcsc.PCSCReader import PCSCReader

        self.reader_name = reader_name
        self.backend = backend
        try:
            self.connection = PCSCReader(reader_name).createConnection()
            # exclusive: no other program (or a check-in) can interleave APDUs with our BAC session
            self.connection.connect(mode=scard.SCARD_SHARE_EXCLUSIVE)
            self.atr = bytes(self.connection.getATR())
        except PYSCARD_ERRORS as exc:
            raise map_exception(exc) from None
        self.response_limit = EXTENDED_RESPONSE_LIMIT
        try:
            # CCID readers tell their largest APDU; drivers that do not (vpcd) take pcsc-lite's maximum
            max_input = int.from_bytes(bytes(self.connection.getAttrib(scard.SCARD_ATTR_MAXINPUT)), "little")
        except PYSCARD_ERRORS:
            max_input = 0
        if max_input:
            self.response_limit = max(256, max_input - 2)
            self.extended_length = max_input > 261

    def transmit(self, apdu: bytes) -> bytes:
        try:
            data, sw1, sw2 = self.connection.transmit(list(apdu))
        except PYSCARD_ERRORS as exc:
            error = map_exception(exc)
            if error.state == CARD_ERROR and not self.backend.card_still_present(self.reader_name):
                error = CardError(CARD_REMOVED, detail=error.detail)
            raise error from None
        return bytes(data) + bytes([sw1, sw2])

    def close(self) -> None:
        try:
            self.connection.disconnect()
            self.connection.release()
        except (*PYSCARD_ERRORS, AttributeError):
            pass  # the card or the service is gone already


class PcscBackend(ApduBackend):
    kind = "pcsc"

    def __init__(self, reader_name: str = ""):
        self.wanted = reader_name  # empty: the first reader; else a substring of the reader's name
        self._lock = threading.Lock()
        self._context = None
        self._reader: str | None = None

    # --- context ----------------------------------------------------------------

    def _ctx(self):
        if self._context is None:
            hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if hresult != scard.SCARD_S_SUCCESS:
                raise CardError(NO_SERVICE, detail=_detail(hresult))
            self._context = ctx
        return self._context

    def _drop_context(self) -> None:
        ctx, self._context, self._reader = self._context, None, None
        if ctx is not None:
            try:
                scard.SCardReleaseContext(ctx)
            except PYSCARD_ERRORS:
                pass

    def _fail(self, hresult: int, default: str = CARD_ERROR) -> CardError:
        state = state_for_hresult(hresult, default)
        if state == NO_SERVICE:
            self._drop_context()
        elif state == NO_READER:
            self._reader = None
        return CardError(state, detail=_detail(hresult))

    def readers(self) -> list[str]:
        """Reader names; CardError(NO_SERVICE) if pcscd is down. Uses pyscard's System.readers()."""
        from smartcard.System import readers

        try:
            return [str(r) for r in readers()]
        except PYSCARD_ERRORS as exc:
            error = map_exception(exc)
            if error.state == NO_READER:
                return []
            raise error from None

    def _pick_reader(self, ctx) -> str:
        hresult, names = scard.SCardListReaders(ctx, [])
        if hresult == scard.SCARD_E_NO_READERS_AVAILABLE or (hresult == scard.SCARD_S_SUCCESS and not names):
            raise CardError(NO_READER)
        if hresult != scard.SCARD_S_SUCCESS:
            raise self._fail(hresult, NO_SERVICE)
        for name in names:
            if not self.wanted or self.wanted in name:
                return name
        raise CardError(NO_READER, detail="the configured reader_name matches no reader")

    # --- slot status ----------------------------------------------------------------

    def _current(self, ctx, reader: str) -> tuple[SlotStatus, int]:
        hresult, states = scard.SCardGetStatusChange(ctx, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
        if hresult != scard.SCARD_S_SUCCESS:
            raise self._fail(hresult, NO_SERVICE)
        _, event, atr = states[0]
        if event & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE | scard.SCARD_STATE_IGNORE):
            self._reader = None
            raise CardError(NO_READER)
        present = bool(event & scard.SCARD_STATE_PRESENT)
        problem = UNSUPPORTED_CARD if present and event & scard.SCARD_STATE_MUTE else None
        status = SlotStatus(reader, present, bytes(atr) if present else b"", event >> 16, problem)
        return status, event & ~scard.SCARD_STATE_CHANGED

    def status(self, timeout: float, known: SlotStatus | None = None) -> SlotStatus:
        with self._lock:
            ctx = self._ctx()
            if self._reader is None:
                try:
                    self._reader = self._pick_reader(ctx)
                except CardError as exc:
                    if exc.state == NO_READER:
                        self._wait_for_readers(ctx, timeout)
                    raise
            reader = self._reader
            current, raw_state = self._current(ctx, reader)
        if known is not None and current != known:
            return current
        if known is None:
            return current
        # block until the slot or the reader list changes, or the timeout passes
        hresult, _ = scard.SCardGetStatusChange(ctx, max(1, int(timeout * 1000)),
                                                [(reader, raw_state), (PNP_READER, scard.SCARD_STATE_UNAWARE)])
        if hresult not in (scard.SCARD_S_SUCCESS, scard.SCARD_E_TIMEOUT, scard.SCARD_E_CANCELLED):
            with self._lock:
                raise self._fail(hresult, NO_SERVICE)
        with self._lock:
            return self._current(ctx, reader)[0]

    def _wait_for_readers(self, ctx, timeout: float) -> None:
        """No reader: wait for a plug-in notification (pcsc-lite's PnP pseudo reader)."""
        hresult, states = scard.SCardGetStatusChange(ctx, 0, [(PNP_READER, scard.SCARD_STATE_UNAWARE)])
        if hresult != scard.SCARD_S_SUCCESS:
            if state_for_hresult(hresult) == NO_SERVICE:
                self._drop_context()
            return
        known = states[0][1] & ~scard.SCARD_STATE_CHANGED
        hresult, _ = scard.SCardGetStatusChange(ctx, max(1, int(timeout * 1000)), [(PNP_READER, known)])
        if state_for_hresult(hresult) == NO_SERVICE:
            self._drop_context()

    def wake(self) -> None:
        ctx = self._context
        if ctx is not None:
            try:
                scard.SCardCancel(ctx)
            except PYSCARD_ERRORS:
                pass

    def card_still_present(self, reader: str, settle: float = 1.5) -> bool:
        """After a failed exchange: is the card still there? Waits up to `settle` seconds for pcscd
        to notice a removal (the driver polls presence), returning as soon as the state changes."""
        try:
            with self._lock:
                ctx = self._ctx()
                status, raw_state = self._current(ctx, reader)
            if not status.card_present:
                return False
            scard.SCardGetStatusChange(ctx, int(settle * 1000), [(reader, raw_state)])
            with self._lock:
                status, _ = self._current(ctx, reader)
            return status.card_present and status.card_id == (raw_state >> 16)
        except CardError:
            return False

    # --- card I/O -------------------------------------------------------------------

    def connect(self) -> tuple[PcscTransport, str]:
        with self._lock:
            reader = self._reader or self._pick_reader(self._ctx())
            self._reader = reader
        return PcscTransport(reader, self), reader

    def close(self) -> None:
        with self._lock:
            self._drop_context()
