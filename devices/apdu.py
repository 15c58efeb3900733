"""Command/response APDUs over any transport, with ISO 7816-3/4 status handling.

A Transport moves raw bytes (PC/SC, the in-process simulator, later a SAM
serial reader). CardChannel adds what pyscard does not: GET RESPONSE for 61xx,
resending with the right Le for 6Cxx, and counting APDUs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from devices.errors import StatusError

SW_OK = 0x9000
SW_END_OF_FILE = 0x6282  # fewer bytes than Le: the end of the file was reached
EXTENDED_RESPONSE_LIMIT = 65533  # pcsc-lite / vpcd frames: data + SW within 65535 bytes


class Transport(Protocol):
    """One connected card: raw APDU bytes in, response bytes (data + SW1 SW2) out."""

    atr: bytes
    extended_length: bool  # the reader path carries extended APDUs

    def transmit(self, apdu: bytes) -> bytes: ...

    def close(self) -> None: ...


def command(cla: int, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None,
            extended: bool = False) -> bytes:
    """Encode a command APDU; short unless extended is asked for or the sizes need it."""
    head = bytes([cla, ins, p1, p2])
    ext = extended or len(data) > 255 or (le is not None and le > 256)
    if not ext:
        out = head
        if data:
            out += bytes([len(data)]) + data
        if le is not None:
            out += bytes([le & 0xFF])
        return out
    out = head + b"\x00"
    if data:
        out += len(data).to_bytes(2, "big") + data
    if le is not None:
        out += (le & 0xFFFF).to_bytes(2, "big")
    return out


@dataclass
class Response:
    data: bytes
    sw: int

    @property
    def ok(self) -> bool:
        return self.sw in (SW_OK, SW_END_OF_FILE)

    def check(self, what: str) -> bytes:
        if self.sw not in (SW_OK, SW_END_OF_FILE):
            raise StatusError(self.sw, what)
        return self.data


def historical_bytes(atr: bytes) -> bytes:
    """The historical bytes of an ATR (ISO 7816-3 8.2)."""
    if len(atr) < 2:
        return b""
    t0 = atr[1]
    k = t0 & 0x0F
    pos = 2
    y = t0 >> 4
    while True:
        for bit in (0x1, 0x2, 0x4):
            if y & bit:
                pos += 1
        if y & 0x8:
            if pos >= len(atr):
                return b""
            td = atr[pos]
            pos += 1
            y = td >> 4
        else:
            break
    return atr[pos:pos + k]


def atr_extended_length(atr: bytes) -> bool:
    """Card capabilities (compact-TLV tag 7x, third byte bit 0x40) announce extended Lc/Le."""
    hist = historical_bytes(atr)
    if not hist or hist[0] != 0x80:
        return False
    pos = 1
    while pos < len(hist):
        tag, length = hist[pos] >> 4, hist[pos] & 0x0F
        value = hist[pos + 1:pos + 1 + length]
        if tag == 0x7 and length >= 3:
            return bool(value[2] & 0x40)
        pos += 1 + length
    return False


class CardChannel:
    """Sends APDUs, follows 61xx and 6Cxx, counts every exchange on the wire."""

    def __init__(self, transport: Transport):
        self.transport = transport
        self.apdu_count = 0

    @property
    def atr(self) -> bytes:
        return self.transport.atr

    @property
    def extended_length(self) -> bool:
        return self.transport.extended_length and atr_extended_length(self.transport.atr)

    @property
    def response_limit(self) -> int:
        """Largest response data the path carries: 256 for short APDUs, else what the reader allows."""
        if not self.extended_length:
            return 256
        return max(256, getattr(self.transport, "response_limit", EXTENDED_RESPONSE_LIMIT))

    def raw(self, apdu: bytes) -> bytes:
        self.apdu_count += 1
        return self.transport.transmit(apdu)

    def send(self, apdu: bytes) -> Response:
        """Transmit; collect 61xx continuations; resend once with the Le the card asks for (6Cxx)."""
        raw = self.raw(apdu)
        data, sw = raw[:-2], int.from_bytes(raw[-2:], "big")
        if sw >> 8 == 0x6C:
            apdu = apdu[:-1] + bytes([sw & 0xFF]) if len(apdu) > 4 else apdu + bytes([sw & 0xFF])
            raw = self.raw(apdu)
            data, sw = raw[:-2], int.from_bytes(raw[-2:], "big")
        while sw >> 8 == 0x61:
            raw = self.raw(bytes([apdu[0] & 0x03, 0xC0, 0x00, 0x00, sw & 0xFF]))
            data += raw[:-2]
            sw = int.from_bytes(raw[-2:], "big")
        return Response(data, sw)

    def select_aid(self, aid: bytes, p2: int = 0x0C) -> Response:
        return self.send(command(0x00, 0xA4, 0x04, p2, aid, None if p2 == 0x0C else 256))
