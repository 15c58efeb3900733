"""The frame protocol of a certified resident ID card reader (the SAM's host interface, GA 467).

Pure: bytes in, frames out, no I/O. Both our transport (devices/sam.py) and our simulated reader
(devices/sim/sam_reader.py) use it.

Host to reader:   AA AA AA 96 69 | LEN_HI LEN_LO | CMD PARA [DATA...] | CHK
Reader to host:   AA AA AA 96 69 | LEN_HI LEN_LO | SW1 SW2 SW3 [DATA...] | CHK

LEN is big-endian and counts every byte after the two length bytes, the checksum included.
CHK is the XOR of every byte from LEN_HI to the last data byte. Checked against the reference
note (shared/reference/resident-id-card-reader.md) and two independent open-source clients
(a Java UART client reads the text length at offset 10 and the text at offset 14 of the response
frame, which is this layout; a C client defines the same preamble and command bytes).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

PREAMBLE = bytes.fromhex("AAAAAA9669")
MAX_LEN = 0x1000  # the longest answer (text + photo + fingerprint) is under 2.5 KB; longer is noise

# Commands: (CMD, PARA)
# Sources disagree on reset: the reference note says 10 FF, an embedded C client defines 01 FF. The
# counter never sends it (a reader resets its SAM at power-up); the simulator answers 10 FF only.
RESET_SAM = (0x10, 0xFF)
SAM_STATUS = (0x11, 0xFF)
READ_SAM_ID = (0x12, 0xFF)
FIND_CARD = (0x20, 0x01)
SELECT_CARD = (0x20, 0x02)
READ_TEXT_PHOTO = (0x30, 0x01)
READ_TEXT_PHOTO_FP = (0x30, 0x10)  # never sent by the counter: fingerprints are out of scope

# SW3 status bytes
SW_OK = 0x90
SW_FOUND = 0x9F
SW_CHECKSUM = 0x10
SW_LENGTH = 0x11
SW_UNKNOWN_COMMAND = 0x21
SW_NOT_AUTHORISED = 0x23
SW_UNRECOGNISED = 0x24
SW_CARD_AUTH_SAM = 0x31
SW_SAM_AUTH_CARD = 0x32
SW_VERIFY_FAILED = 0x33
SW_CARD_TYPE = 0x40
SW_READ_FAILED = 0x41
SW_RANDOM = 0x47
SW_SELF_TEST = 0x60
SW_SAM_NOT_AUTHORISED = 0x66
SW_NO_CARD = 0x80
SW_SELECT_FAILED = 0x81
SW_NO_CONTENT = 0x91


class FrameError(ValueError):
    """A frame that cannot be built or parsed."""


def checksum(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


def _frame(body: bytes) -> bytes:
    if len(body) + 1 > MAX_LEN:
        raise FrameError(f"frame body of {len(body)} bytes is too long")
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes([checksum(length + body)])


def command(cmd: tuple[int, int], data: bytes = b"") -> bytes:
    """A host-to-reader frame: command(FIND_CARD) == AA AA AA 96 69 00 03 20 01 22."""
    return _frame(bytes(cmd) + data)


def response(sw3: int, data: bytes = b"") -> bytes:
    """A reader-to-host frame (SW1 SW2 = 00 00)."""
    return _frame(bytes((0, 0, sw3)) + data)


@dataclass(frozen=True)
class Frame:
    body: bytes  # between the length bytes and the checksum

    # as a command
    @property
    def cmd(self) -> tuple[int, int]:
        return (self.body[0], self.body[1]) if len(self.body) >= 2 else (-1, -1)

    # as a response
    @property
    def sw3(self) -> int:
        return self.body[2] if len(self.body) >= 3 else -1

    @property
    def data(self) -> bytes:
        """Response data after SW1 SW2 SW3 (for a command frame: use body[2:])."""
        return self.body[3:]


@dataclass(frozen=True)
class BadFrame:
    """A frame whose checksum or length is wrong; the decoder has skipped it."""

    reason: str  # "checksum" or "length"


class FrameDecoder:
    """Streaming decoder: feed it bytes as they arrive, take whole frames out.

    Stray bytes before a preamble are dropped (resync), a partial frame waits for the rest,
    a frame with a bad checksum or an impossible length is reported as BadFrame and skipped.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.skipped = 0  # stray bytes dropped while resyncing

    def feed(self, data: bytes) -> list[Frame | BadFrame]:
        self._buf += data
        out: list[Frame | BadFrame] = []
        while True:
            start = self._buf.find(PREAMBLE)
            if start < 0:
                # keep a tail that may be the start of a preamble split across reads
                keep = next((n for n in range(min(len(PREAMBLE) - 1, len(self._buf)), 0, -1)
                             if self._buf.endswith(PREAMBLE[:n])), 0)
                self.skipped += len(self._buf) - keep
                del self._buf[:len(self._buf) - keep]
                return out
            if start:
                self.skipped += start
                del self._buf[:start]
            if len(self._buf) < 7:
                return out
            length = int.from_bytes(self._buf[5:7], "big")
            if length < 2 or length > MAX_LEN:
                out.append(BadFrame("length"))
                del self._buf[:1]  # look for the next preamble after this one
                continue
            end = 7 + length
            if len(self._buf) < end:
                return out
            frame = bytes(self._buf[:end])
            del self._buf[:end]
            if checksum(frame[5:-1]) != frame[-1]:
                out.append(BadFrame("checksum"))
                continue
            out.append(Frame(frame[7:-1]))

    @property
    def pending(self) -> int:
        """Bytes held for an unfinished frame."""
        return len(self._buf)

    def reset(self) -> None:
        self._buf.clear()


def parse(data: bytes) -> Frame:
    """Exactly one whole, valid frame (anything else raises FrameError)."""
    decoder = FrameDecoder()
    frames = decoder.feed(data)
    if decoder.skipped or decoder.pending or len(frames) != 1:
        raise FrameError("not exactly one frame")
    if isinstance(frames[0], BadFrame):
        raise FrameError(f"bad frame: {frames[0].reason}")
    return frames[0]


def sam_id_text(data: bytes) -> str:
    """The SAM serial as a display string: AA.BB-CCCCCCCC-DDDDDDDDDD-EEEEEEEEEE.

    Built from the data bytes: two single bytes, then three 32-bit little-endian numbers. Not
    confirmed by a second source: the reference note prints the last two groups with 9 digits; we
    pad them to 10, the width of a 32-bit number. It is only shown and journaled as an identifier.
    """
    if len(data) < 14:
        return data.hex()
    n = [int.from_bytes(data[i:i + 4], "little") for i in (2, 6, 10)]
    return f"{data[0]:02d}.{data[1]:02d}-{n[0]:08d}-{n[1]:010d}-{n[2]:010d}"


@dataclass(frozen=True)
class ReadBlocks:
    text: bytes
    photo: bytes
    fingerprint_length: int  # the fingerprint block itself is never kept


def split_read(data: bytes, *, with_fingerprint: bool = False) -> ReadBlocks:
    """The data of a 30 01 answer: text length, photo length, the blocks.

    A 30 10 answer (with_fingerprint) carries a third length, then a fingerprint block after the
    photo: the counter never asks for it, and where a reader sends it the bytes are skipped unread.
    """
    header = 6 if with_fingerprint else 4
    if len(data) < header:
        raise FrameError("read answer too short")
    text_len = int.from_bytes(data[0:2], "big")
    photo_len = int.from_bytes(data[2:4], "big")
    fp_len = int.from_bytes(data[4:6], "big") if with_fingerprint else 0
    if len(data) < header + text_len + photo_len + fp_len:
        raise FrameError("read answer shorter than its lengths")
    text = data[header:header + text_len]
    photo = data[header + text_len:header + text_len + photo_len]
    return ReadBlocks(text, photo, fp_len)


def read_data(text: bytes, photo: bytes) -> bytes:
    """The data of a 30 01 answer, for the simulator."""
    return len(text).to_bytes(2, "big") + len(photo).to_bytes(2, "big") + text + photo
