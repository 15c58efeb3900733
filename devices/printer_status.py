"""Printer status from DLE EOT replies, parsed by our own code (Epson ESC/POS real-time status).

python-escpos 3.1's paper_status() reports "adequate" when the printer does
not answer; here no answer is its own state, never "ready".

DLE EOT n (10 04 n) replies one byte. Every reply has bit 1 and bit 4 set and
bits 0 and 7 clear (mask 0x93 == 0x12); anything else is not a status byte.
  n=1 printer:    bit 3 offline
  n=2 offline:    bit 2 cover open, bit 3 paper fed by the button, bit 5 stopped at paper end,
                  bit 6 error
  n=3 error:      bit 3 autocutter error, bit 5 unrecoverable error, bit 6 auto-recoverable error
  n=4 paper roll: bits 2-3 near end, bits 5-6 paper end
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

DLE_EOT = b"\x10\x04"
FIXED_MASK, FIXED_VALUE = 0x93, 0x12

# states, most severe first
READY = "ready"
PAPER_NEAR_END = "paper_near_end"
PAPER_OUT = "paper_out"
COVER_OPEN = "cover_open"
OFFLINE = "offline"
ERROR = "error"
NO_ANSWER = "no_answer"
UNKNOWN = "unknown"  # the transport cannot report status (a plain file)
DISABLED = "disabled"  # [printer] kind = "none"

# A job can be sent in these states.
PRINTABLE = {READY, PAPER_NEAR_END, UNKNOWN}

MESSAGES = {
    READY: "printer ready",
    PAPER_NEAR_END: "paper is running low; load a new roll soon",
    PAPER_OUT: "printer is out of paper; load a new roll and retry",
    COVER_OPEN: "printer cover is open; close it and retry",
    OFFLINE: "printer is offline; check it and retry",
    ERROR: "printer reports an error; check the cutter and paper path, then retry",
    NO_ANSWER: "printer does not answer; check power, cable and [printer] target",
    UNKNOWN: "printer status cannot be read from this output; check the printout",
    DISABLED: "no printer configured",
}


@dataclass(frozen=True)
class PrinterStatus:
    state: str
    online: bool | None  # None: not known
    paper: str  # "ok" | "near_end" | "out" | "unknown"
    cover_open: bool | None = None
    error: bool | None = None
    detail: str = ""  # e.g. "autocutter error"
    replies: dict[int, str] = field(default_factory=dict)  # n -> reply byte hex, for diagnosis

    @property
    def printable(self) -> bool:
        return self.state in PRINTABLE

    @property
    def message(self) -> str:
        base = MESSAGES[self.state]
        return f"{base} ({self.detail})" if self.detail else base

    def as_dict(self) -> dict:
        d = asdict(self)
        d["message"] = self.message
        d["printable"] = self.printable
        return d


class StatusByteError(ValueError):
    """A reply that is not a DLE EOT status byte (line noise, or another protocol)."""


def check_status_byte(n: int, value: int) -> int:
    if value & FIXED_MASK != FIXED_VALUE:
        raise StatusByteError(f"DLE EOT {n} reply 0x{value:02x} is not a status byte")
    return value


def parse_status(replies: dict[int, bytes | None]) -> PrinterStatus:
    """The printer's state from DLE EOT replies (n -> reply, None or b'' when it timed out)."""
    raw = {n: r[-1] for n, r in replies.items() if r}
    hexes = {n: f"{v:02x}" for n, v in raw.items()}
    if 1 not in raw:
        return PrinterStatus(NO_ANSWER, None, "unknown", replies=hexes)
    try:
        for n, v in raw.items():
            check_status_byte(n, v)
    except StatusByteError as exc:
        return PrinterStatus(ERROR, None, "unknown", detail=str(exc), replies=hexes)
    online = not raw[1] & 0x08
    offline_cause = raw.get(2, 0x12)
    errors = raw.get(3, 0x12)
    roll = raw.get(4)
    cover_open = bool(offline_cause & 0x04)
    paper = "unknown"
    if roll is not None:
        paper = "out" if roll & 0x60 else "near_end" if roll & 0x0C else "ok"
    if offline_cause & 0x20:
        paper = "out"
    details = []
    if errors & 0x08:
        details.append("autocutter error")
    if errors & 0x20:
        details.append("unrecoverable error")
    if errors & 0x40:
        details.append("auto-recoverable error (e.g. head too hot)")
    error = bool(offline_cause & 0x40) or bool(details)
    if cover_open:
        state = COVER_OPEN
    elif paper == "out":
        state = PAPER_OUT
    elif error:
        state = ERROR
    elif not online:
        state = OFFLINE
    elif paper == "near_end":
        state = PAPER_NEAR_END
    else:
        state = READY
    return PrinterStatus(state, online, paper, cover_open, error, "; ".join(details), hexes)


def status_bytes(*, online: bool = True, cover_open: bool = False, paper: str = "ok",
                 error: bool = False) -> dict[int, bytes]:
    """The replies a printer in this condition sends (for the simulated printer and test servers)."""
    s1 = FIXED_VALUE | (0 if online and not cover_open and paper != "out" and not error else 0x08)
    s2 = FIXED_VALUE | (0x04 if cover_open else 0) | (0x20 if paper == "out" else 0) | (0x40 if error else 0)
    s3 = FIXED_VALUE | (0x20 if error else 0)
    s4 = FIXED_VALUE | {"ok": 0, "near_end": 0x0C, "out": 0x6C}[paper]
    return {1: bytes([s1]), 2: bytes([s2]), 3: bytes([s3]), 4: bytes([s4])}


def cups_status(printer_state: int | None, reasons: list[str]) -> PrinterStatus:
    """Status from CUPS attributes (printer-state 3 idle, 4 processing, 5 stopped; printer-state-reasons)."""
    if printer_state is None:
        return PrinterStatus(NO_ANSWER, None, "unknown")
    names = {r.rsplit("-", 1)[0] if r.endswith(("-error", "-warning", "-report")) else r for r in reasons}
    if "cover-open" in names or "door-open" in names:
        return PrinterStatus(COVER_OPEN, True, "unknown", cover_open=True)
    if "media-empty" in names or "media-needed" in names:
        return PrinterStatus(PAPER_OUT, True, "out")
    if "offline" in names or "shutdown" in names or printer_state == 5:
        return PrinterStatus(OFFLINE, False, "unknown", detail=", ".join(sorted(reasons)))
    if "media-low" in names:
        return PrinterStatus(PAPER_NEAR_END, True, "near_end")
    return PrinterStatus(READY, True, "unknown")
