"""The resident ID card through a certified SAM reader: serial transport and reader backend.

    reader = SamReader("/dev/ttyACM0")       # [reader] sam_port, sam_baud (115200 8N1)
    reader.status(0.5, None)                  # polls "find card" (one 10-byte frame)
    reader.read_card()                        # select, read text + photo -> ReadResult

Two layers:
- a *link* carries the reader's operations (find, select, read, SAM id, SAM status). SerialSamLink
  speaks the frame protocol (devices/sam_codec.py) over pyserial: a CDC-ACM port (/dev/ttyACM*) or
  a USB-serial bridge (/dev/ttyUSB*). VendorSamSdk is the plug-in point for the closed vendor
  libraries over USB HID (libtermb.so, sdtapi): the interface only, the counter ships none.
- SamReader turns a link into a ReaderBackend, so the CardWatcher, check-in and the CLI use it like
  a PC/SC reader. A SAM reader has no insertion event: status() polls "find card".

After a successful read the reader refuses to find the same card (find answers 80, as for no card)
until it has left the field. SamReader keeps such a card as "still there", so the watcher does not
report a removal it cannot see; a retry of that card tells the clerk to take it away and present it
again (PRESENT_AGAIN). The next card the reader finds is a new presentation.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

from devices import sam_codec as codec
from devices.errors import (
    CARD_AUTH_FAILED,
    CARD_ERROR,
    CARD_REMOVED,
    NO_CARD,
    NO_READER,
    PRESENT_AGAIN,
    READ_FAILED,
    READER_SILENT,
    SAM_NOT_READY,
    UNSUPPORTED_CARD,
    CardError,
)
from devices.reader import ReadResult, SlotStatus

DEFAULT_BAUD = 115200
DEFAULT_TIMEOUT = 1.0  # seconds for one answer; a real read of text + photo takes under one second
PORT_BUSY = "the ID card reader's port is in use by another program (is the counter already running?)"
RESENDS = 2  # a frame garbled on the wire (ours or the reader's) is sent again this many times

# SW3 -> reader state (devices.errors). 90 and 9F are success; 80 is "no card" for find.
SW3_STATES: dict[int, str] = {
    codec.SW_NO_CARD: NO_CARD,
    codec.SW_SELECT_FAILED: CARD_REMOVED,  # found, then gone before select: pulled away
    codec.SW_CHECKSUM: READ_FAILED,  # the reader got a garbled frame from us (after the resends)
    codec.SW_LENGTH: READ_FAILED,
    codec.SW_UNKNOWN_COMMAND: READ_FAILED,
    codec.SW_NOT_AUTHORISED: SAM_NOT_READY,
    codec.SW_UNRECOGNISED: READ_FAILED,
    codec.SW_CARD_AUTH_SAM: CARD_AUTH_FAILED,
    codec.SW_SAM_AUTH_CARD: CARD_AUTH_FAILED,
    codec.SW_VERIFY_FAILED: CARD_AUTH_FAILED,
    codec.SW_CARD_TYPE: UNSUPPORTED_CARD,
    codec.SW_READ_FAILED: READ_FAILED,
    codec.SW_RANDOM: READ_FAILED,
    codec.SW_SELF_TEST: SAM_NOT_READY,
    codec.SW_SAM_NOT_AUTHORISED: SAM_NOT_READY,
    codec.SW_NO_CONTENT: READ_FAILED,
}
SW3_NAMES: dict[int, str] = {
    0x90: "ok", 0x9F: "card found", 0x10: "checksum error", 0x11: "length error", 0x21: "unknown command",
    0x23: "not authorised", 0x24: "unrecognised", 0x31: "card failed to authenticate the SAM",
    0x32: "SAM failed to authenticate the card", 0x33: "information verification failed",
    0x40: "unrecognised card type", 0x41: "read failed", 0x47: "random-number failure",
    0x60: "SAM self-test failed", 0x66: "SAM not authorised", 0x80: "no card", 0x81: "select failed",
    0x91: "no content",
}


def sw3_error(sw3: int, what: str) -> CardError:
    state = SW3_STATES.get(sw3, CARD_ERROR)
    return CardError(state, detail=f"{what}: SW3 {sw3:02X} {SW3_NAMES.get(sw3, 'unknown status')}")


class SamLink(Protocol):
    """The operations of a certified reader. Each returns (SW3, data); raises CardError(READER_SILENT
    or NO_READER) when the reader cannot be reached. `frames` counts the exchanges so far."""

    name: str
    frames: int
    bytes_moved: int

    def exchange(self, cmd: tuple[int, int], data: bytes = b"") -> tuple[int, bytes]: ...

    def close(self) -> None: ...


class VendorSamSdk(Protocol):
    """Plug-in point for a vendor's closed reader library (USB HID readers without a serial port).

    A plug-in is a Python package that wraps the vendor library (for example with ctypes around
    libtermb.so or sdtapi) and exposes an object with this interface under the entry point group
    `counter.sam_vendor`. The counter ships none and loads none yet: this fixes the interface a
    plug-in implements, so SamReader can drive it like SerialSamLink. Every method returns the SW3
    status byte the vendor library reports (its return codes map onto the same table, SW3_STATES)
    and the data of the answer, exactly as the frame protocol would carry it:

        exchange(FIND_CARD)        -> (0x9F, b"")              or (0x80, b"") for no card
        exchange(SELECT_CARD)      -> (0x90, 8 bytes)
        exchange(READ_TEXT_PHOTO)  -> (0x90, text len, photo len, text, photo)
        exchange(READ_SAM_ID)      -> (0x90, 16 bytes)
        exchange(SAM_STATUS)       -> (0x90, b"")

    The plug-in must never ask for fingerprints (30 10) and must not log the data it passes on.
    """

    name: str
    frames: int
    bytes_moved: int

    def exchange(self, cmd: tuple[int, int], data: bytes = b"") -> tuple[int, bytes]: ...

    def close(self) -> None: ...


class SerialSamLink:
    """The frame protocol over pyserial (8N1), with a timeout per answer and resends."""

    def __init__(self, port: str, baud: int = DEFAULT_BAUD, timeout: float = DEFAULT_TIMEOUT):
        import serial

        self.name = port
        self.timeout = timeout
        self.frames = 0
        self.bytes_moved = 0
        try:
            self._serial = serial.Serial(port, baud, bytesize=8, parity="N", stopbits=1, timeout=0.05,
                                         write_timeout=timeout, exclusive=True)
        except (serial.SerialException, OSError, ValueError) as exc:
            if "exclusively lock" in str(exc):  # pyserial's message when another process holds the port
                raise CardError(NO_READER, PORT_BUSY, detail=f"{port}: in use") from None
            raise CardError(NO_READER, "no ID card reader on the serial port; check the reader's cable and [reader] sam_port",
                            detail=f"{port}: {type(exc).__name__}") from None
        self._decoder = codec.FrameDecoder()

    def exchange(self, cmd: tuple[int, int], data: bytes = b"") -> tuple[int, bytes]:
        import serial

        frame = codec.command(cmd, data)
        bad = ""
        for _ in range(1 + RESENDS):
            self._decoder.reset()
            try:
                self._serial.reset_input_buffer()
                self._serial.write(frame)
                self.bytes_moved += len(frame)
                answer = self._read_frame()
            except (serial.SerialException, OSError) as exc:
                raise CardError(NO_READER, detail=f"{self.name}: {type(exc).__name__}") from None
            self.frames += 1
            if isinstance(answer, codec.BadFrame):
                bad = answer.reason
                continue
            if answer.sw3 in (codec.SW_CHECKSUM, codec.SW_LENGTH):
                bad = f"reader saw a {SW3_NAMES[answer.sw3]}"
                continue
            return answer.sw3, answer.data
        raise CardError(READ_FAILED, detail=f"command {cmd[0]:02X} {cmd[1]:02X}: {bad} after {RESENDS} resends")

    def _read_frame(self) -> codec.Frame | codec.BadFrame:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            chunk = self._serial.read(max(1, self._serial.in_waiting))
            if not chunk:
                continue
            self.bytes_moved += len(chunk)
            frames = self._decoder.feed(chunk)
            if frames:
                return frames[0]
        raise CardError(READER_SILENT, detail=f"{self.name}: no answer in {self.timeout:g} s")

    def close(self) -> None:
        try:
            self._serial.close()
        except Exception:  # closing a port that vanished must not mask the real error
            pass


@dataclass(frozen=True)
class SamInfo:
    port: str
    sam_id: str
    status: str  # "ready" or a devices.errors state
    detail: str = ""


class SamReader:
    """A ReaderBackend over a SamLink (a serial port by default)."""

    kind = "sam"

    def __init__(self, port: str = "", baud: int = DEFAULT_BAUD, *, timeout: float = DEFAULT_TIMEOUT,
                 link: SamLink | None = None):
        if not port and link is None:
            raise CardError(NO_READER, "no ID card reader configured; set [reader] sam_port in station.toml")
        self.port = port or (link.name if link else "")
        self.baud = baud
        self.timeout = timeout
        self._link = link
        self._wake = threading.Event()
        self._card_id = 0
        self._latched = False  # a card read already: the reader will not find it until re-presented
        self._lock = threading.Lock()
        self.frames = 0

    @property
    def reader_name(self) -> str:
        return f"SAM {self.port}"

    def _open(self) -> SamLink:
        if self._link is None:
            self._link = SerialSamLink(self.port, self.baud, self.timeout)
        return self._link

    def _exchange(self, cmd: tuple[int, int], data: bytes = b"") -> tuple[int, bytes]:
        link = self._open()
        try:
            return link.exchange(cmd, data)
        except CardError as exc:
            if exc.state in (NO_READER, READER_SILENT):  # reopen next time: the port may come back
                link.close()
                self._link = None
            raise

    # --- ReaderBackend ------------------------------------------------------------------------

    def find(self) -> bool:
        with self._lock:
            sw3, _ = self._exchange(codec.FIND_CARD)
        if sw3 == codec.SW_FOUND:
            return True
        if sw3 == codec.SW_NO_CARD:
            return False
        raise sw3_error(sw3, "find card")

    def status(self, timeout: float, known: SlotStatus | None = None) -> SlotStatus:
        """One "find card" poll; waits out the rest of `timeout` if nothing changed (wake() ends it)."""
        start = time.monotonic()
        found = self.find()
        if found:
            if not self._latched and known is not None and known.card_present:
                pass  # the same presentation still in the field (not read yet, or a read failed)
            else:
                self._card_id += 1
            self._latched = False
            present = True
        else:
            present = self._latched  # a card read already is not seen by the reader: keep it
        slot = SlotStatus(self.reader_name, present, b"", self._card_id if present else 0)
        if known is not None and slot == known:
            self._wake.wait(max(0.0, timeout - (time.monotonic() - start)))
            self._wake.clear()
        return slot

    def wake(self) -> None:
        self._wake.set()

    def read_card(self, *, mrz_key=None, csca_certs=None) -> ReadResult:
        from devices.resident_id import decode

        if self._latched:
            raise CardError(PRESENT_AGAIN, detail="the reader refuses a card it has read until it leaves the field")
        start = time.perf_counter()
        with self._lock:
            link = self._open()
            before = link.frames
            sw3, _ = self._exchange(codec.FIND_CARD)  # a real reader wants find right before select
            if sw3 not in (codec.SW_FOUND, codec.SW_OK):
                raise sw3_error(sw3, "find card") if sw3 != codec.SW_NO_CARD else CardError(
                    CARD_REMOVED, detail="find card: SW3 80 no card")
            sw3, _ = self._exchange(codec.SELECT_CARD)
            if sw3 != codec.SW_OK:
                raise sw3_error(sw3, "select card")
            sw3, data = self._exchange(codec.READ_TEXT_PHOTO)
            if sw3 != codec.SW_OK:
                raise sw3_error(sw3, "read text and photo")
            frames = link.frames - before
        try:
            blocks = codec.split_read(data)
        except codec.FrameError as exc:
            raise CardError(READ_FAILED, detail=str(exc)) from None
        document = decode(blocks.text, blocks.photo)
        self._latched = True
        self.frames += frames
        return ReadResult(document, frames, round((time.perf_counter() - start) * 1000, 1), self.reader_name)

    def identify_card(self) -> tuple[str, int]:
        """Only "find card": naming the layout would need a read, which latches the card."""
        if not self.find():
            raise CardError(NO_CARD)
        return "resident_id", 1

    def info(self) -> SamInfo:
        """The SAM's id and status (device check-in, `counter devices readers`)."""
        try:
            with self._lock:
                sw3, _ = self._exchange(codec.SAM_STATUS)
                if sw3 != codec.SW_OK:
                    err = sw3_error(sw3, "SAM status")
                    return SamInfo(self.port, "", err.state, err.detail)
                sw3, data = self._exchange(codec.READ_SAM_ID)
        except CardError as exc:
            return SamInfo(self.port, "", exc.state, exc.detail)
        if sw3 != codec.SW_OK:
            err = sw3_error(sw3, "read SAM id")
            return SamInfo(self.port, "", err.state, err.detail)
        return SamInfo(self.port, codec.sam_id_text(data), "ready")

    def readers(self) -> list[str]:
        return [self.reader_name]

    simulator = None  # our simulated reader, when open_sam started one

    def close(self) -> None:
        with self._lock:
            if self._link is not None:
                self._link.close()
                self._link = None
        if self.simulator is not None:
            self.simulator.stop()
            self.simulator = None

    @property
    def trusted_cscas(self) -> list:
        return []


SIMULATED_PORT = "simulated"  # [reader] sam_port = "simulated": our simulated reader on a pty (demo)


def open_sam(section: dict) -> SamReader | None:
    """The SAM reader of a station's [reader] section, or None when sam_port is empty.

    sam_port = "simulated" starts our simulated reader (devices/sim/sam_reader.py) on a pty and
    opens its slave end like a real port; the reader's `simulator` attribute presents its cards."""
    port = section.get("sam_port") or ""
    if not port:
        return None
    baud = int(section.get("sam_baud") or DEFAULT_BAUD)
    if port == SIMULATED_PORT:
        from devices.sim.sam_reader import SamSimulator

        simulator = SamSimulator(baud=baud).start()
        reader = SamReader(simulator.port, baud)
        reader.simulator = simulator
        return reader
    return SamReader(port, baud)
