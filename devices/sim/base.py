"""What every simulated card OS shares: APDU parsing and status words."""

from __future__ import annotations

from devices.icao_crypto import parse_command

SW_OK = b"\x90\x00"
SW_EOF = b"\x62\x82"
SW_WRONG_LENGTH = b"\x67\x00"
SW_SECURITY = b"\x69\x82"
SW_SM_MISSING = b"\x69\x87"
SW_SM_WRONG = b"\x69\x88"
SW_NOT_FOUND = b"\x6a\x82"
SW_RECORD_NOT_FOUND = b"\x6a\x83"
SW_WRONG_P1P2 = b"\x6a\x86"
SW_OFFSET = b"\x6b\x00"
SW_INS = b"\x6d\x00"
SW_CLA = b"\x6e\x00"
SW_AUTH_FAILED = b"\x63\x00"


def make_atr(historical: bytes, *, t1: bool) -> bytes:
    """A direct-convention ATR; T=1 ones get TD1/TD2 and the TCK checksum."""
    if not t1:
        return bytes([0x3B, 0x60 | len(historical), 0x00, 0x00]) + historical
    body = bytes([0x80 | len(historical), 0x80, 0x01]) + historical
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3b" + body + bytes([tck])


class CardOS:
    """A card: an ATR and an APDU handler. Subclasses implement `handle`."""

    atr: bytes = b"\x3b\x00"

    def power_on(self) -> None:
        """Cold reset: all session state is lost, as on a real card."""

    def process(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            return SW_WRONG_LENGTH
        try:
            data, le, extended = parse_command(apdu)
        except ValueError:
            return SW_WRONG_LENGTH
        return self.handle(apdu[0], apdu[1], apdu[2], apdu[3], data, le, extended)

    def handle(self, cla: int, ins: int, p1: int, p2: int, data: bytes, le: int | None,
               extended: bool) -> bytes:
        return SW_INS


class UnknownCard(CardOS):
    """A card with no application we support (think: a bank card)."""

    atr = make_atr(b"\x80\x31\x80\x65\xb0\x83\x11", t1=True)

    def handle(self, cla, ins, p1, p2, data, le, extended):
        if ins == 0xA4:
            return SW_NOT_FOUND
        return SW_INS
