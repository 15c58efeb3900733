"""Our simulated certified ID card reader: the SAM frame protocol on a real pty.

    sim = SamSimulator().start()        # sim.port is the pty slave, e.g. /dev/pts/7
    sim.present("sam-ji")               # a sample card enters the field
    SamReader(sim.port).read_card()     # real pyserial on the slave end
    sim.take_away()
    sim.stop()

The transport opens the slave with pyserial like any /dev/ttyACM* port; the simulator answers on
the master end with frames built by devices/sam_codec.py, paced at the baud rate (bytes x 10 bits)
so wall times mean something. Faults it acts out: the SAM not ready, no card, a card taken away
mid-read, a garbled checksum on the wire, a reader that stops answering. Like a real reader it
refuses a card it has read until the card has left the field.
"""

from __future__ import annotations

import os
import select
import threading
import time
import tty

from devices import sam_codec as codec
from devices.sim.sam_cards import SAM_SAMPLES, SamCard

SAM_ID = bytes.fromhex("0502") + (123456).to_bytes(4, "little") + (987654321).to_bytes(4, "little") + \
    (1122334455).to_bytes(4, "little") + b"\x00\x00"


class SamSimulator:
    def __init__(self, *, baud: int = 115200, pace: bool = True):
        self.baud = baud
        self.pace = pace
        self.card: SamCard | None = None
        self.latched = False  # read already: refused until taken away and presented again
        self.selected = False
        # faults
        self.sam_not_ready = False
        self.silent = False  # stop answering
        self.corrupt_next = 0  # garble the checksum of the next N answers
        self.pull_mid_read = False  # the card leaves the field during the next read
        self.commands: list[tuple[int, int]] = []  # what the host sent (command bytes only)
        self.bytes_out = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._master = self._slave = -1

    # --- life cycle ------------------------------------------------------------------------------

    def start(self) -> SamSimulator:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line discipline, before pyserial configures it too
        self.port = os.ttyname(self._slave)
        self._thread = threading.Thread(target=self._run, name="sam-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
        for fd in (self._master, self._slave):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._master = self._slave = -1

    def __enter__(self) -> SamSimulator:
        return self.start() if self._thread is None else self

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- the clerk's hands ---------------------------------------------------------------------

    def present(self, card: str | SamCard) -> None:
        """A card enters the field (a new presentation, so a card read before is readable again)."""
        with self._lock:
            self.card = SAM_SAMPLES[card] if isinstance(card, str) else card
            self.latched = self.selected = False

    def take_away(self) -> None:
        with self._lock:
            self.card = None
            self.latched = self.selected = False

    # --- the reader ------------------------------------------------------------------------------

    def _run(self) -> None:
        decoder = codec.FrameDecoder()
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._master], [], [], 0.05)
            except (OSError, ValueError):
                return
            if not ready:
                continue
            try:
                chunk = os.read(self._master, 4096)
            except OSError:
                continue  # the slave was closed and reopened by the host
            for frame in decoder.feed(chunk):
                if isinstance(frame, codec.BadFrame):
                    answer = codec.response(codec.SW_CHECKSUM if frame.reason == "checksum" else codec.SW_LENGTH)
                else:
                    answer = self._answer(frame)
                if answer is not None:
                    self._send(answer)

    def _send(self, answer: bytes) -> None:
        with self._lock:
            if self.corrupt_next > 0:
                self.corrupt_next -= 1
                answer = answer[:-1] + bytes([answer[-1] ^ 0xFF])
        if self.pace:
            time.sleep(len(answer) * 10 / self.baud)
        try:
            os.write(self._master, answer)
            self.bytes_out += len(answer)
        except OSError:
            pass

    def _answer(self, frame: codec.Frame) -> bytes | None:
        cmd = frame.cmd
        with self._lock:
            self.commands.append(cmd)
            if self.silent:
                return None
            if cmd == codec.RESET_SAM:
                return codec.response(codec.SW_SELF_TEST if self.sam_not_ready else codec.SW_OK)
            if cmd == codec.SAM_STATUS:
                return codec.response(codec.SW_SELF_TEST if self.sam_not_ready else codec.SW_OK)
            if cmd == codec.READ_SAM_ID:
                return codec.response(codec.SW_SELF_TEST) if self.sam_not_ready else codec.response(codec.SW_OK, SAM_ID)
            if cmd not in (codec.FIND_CARD, codec.SELECT_CARD, codec.READ_TEXT_PHOTO):
                return codec.response(codec.SW_UNKNOWN_COMMAND)
            if self.sam_not_ready:
                return codec.response(codec.SW_SELF_TEST)
            readable = self.card is not None and not self.latched
            if cmd == codec.FIND_CARD:
                self.selected = False
                return codec.response(codec.SW_FOUND if readable else codec.SW_NO_CARD)
            if cmd == codec.SELECT_CARD:
                self.selected = readable
                return codec.response(codec.SW_OK, bytes(8)) if readable else codec.response(codec.SW_SELECT_FAILED)
            # read text + photo
            if not (readable and self.selected):
                return codec.response(codec.SW_READ_FAILED)
            if self.pull_mid_read:
                self.pull_mid_read = False
                self.card = None
                return codec.response(codec.SW_READ_FAILED)
            self.latched, self.selected = True, False
            return codec.response(codec.SW_OK, codec.read_data(self.card.text_block(), self.card.photo()))
