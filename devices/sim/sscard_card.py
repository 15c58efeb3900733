"""A simulated China social security card with the layout documented in devices/sscard.py.

A T=0 card: a case-2 command with the wrong Le gets 6Cxx (the exact length), a
case-4 command that has response data gets 61xx (fetch it with GET RESPONSE).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from devices import tlv
from devices.sim.base import (
    SW_INS,
    SW_NOT_FOUND,
    SW_OK,
    SW_RECORD_NOT_FOUND,
    SW_SECURITY,
    SW_WRONG_LENGTH,
    SW_WRONG_P1P2,
    CardOS,
    make_atr,
)
from devices.sscard import (
    ATR_HISTORICAL,
    DF_NAME,
    NAME_MAX_BYTES,
    SFI_CARD,
    SFI_HOLDER,
    bcd,
)


@dataclass(frozen=True)
class SscardHolder:
    citizen_id: str
    name: str
    sex: str  # "M" / "F"
    ethnicity: str  # GB/T 3304 two digits
    birthplace: str  # GB/T 2260 area code
    birth_date: date
    card_number: str = "A12345678"
    issue_date: date = date(2021, 3, 1)
    expiry_date: date = date(2031, 3, 1)
    issuer: str = "210100000000"


def records_for(holder: SscardHolder) -> dict[int, dict[int, bytes]]:
    name = holder.name.encode("gb18030")
    if len(name) > NAME_MAX_BYTES:
        raise ValueError(f"the name takes {len(name)} bytes in GB18030; the card holds {NAME_MAX_BYTES}")
    return {
        SFI_CARD: {
            0x01: (holder.birthplace + "D156000005" + holder.card_number).encode("ascii")[:32],
            0x02: b"3",
            0x03: b"3.00",
            0x04: holder.issuer.encode("ascii"),
            0x05: bcd(holder.issue_date.strftime("%Y%m%d")),
            0x06: bcd(holder.expiry_date.strftime("%Y%m%d")),
            0x07: holder.card_number.encode("ascii"),
        },
        SFI_HOLDER: {
            0x08: holder.citizen_id.encode("ascii"),
            0x09: name,
            0x0A: {"M": b"1", "F": b"2"}.get(holder.sex, b"9"),
            0x0B: bcd(holder.ethnicity),
            0x0C: bcd(holder.birthplace),
            0x0D: bcd(holder.birth_date.strftime("%Y%m%d")),
        },
    }


class SscardCard(CardOS):
    atr = make_atr(ATR_HISTORICAL, t1=False)

    def __init__(self, holder: SscardHolder, *, multi_record: bool = True):
        self.records = records_for(holder)
        self.multi_record = multi_record
        self.power_on()

    def power_on(self) -> None:
        self.selected = False
        self.pending = b""

    def _respond(self, data: bytes, le: int | None, case4: bool) -> bytes:
        if case4 or le is None:
            # T=0: data of a case-4 command waits for GET RESPONSE
            self.pending = data
            return bytes([0x61, len(data) & 0xFF]) if data else SW_OK
        want = le if le != 256 else 0
        if want != len(data) and not (want == 0 and len(data) == 256):
            return bytes([0x6C, len(data) & 0xFF])
        return data + SW_OK

    def handle(self, cla, ins, p1, p2, data, le, extended):
        if ins == 0xC0:  # GET RESPONSE
            if not self.pending:
                return b"\x6f\x00"
            out, self.pending = self.pending, b""
            if le is not None and le != 256 and le != len(out):
                self.pending = out
                return bytes([0x6C, len(out) & 0xFF])
            return out + SW_OK
        self.pending = b""
        if ins == 0xA4:
            if p1 == 0x04 and data == DF_NAME:
                self.selected = True
                if p2 == 0x0C:
                    return SW_OK
                fci = tlv.tlv(0x6F, tlv.tlv(0x84, DF_NAME) + tlv.tlv(0xA5, tlv.tlv(0x9F08, b"\x03")))
                return self._respond(fci, le, case4=True)
            if p1 == 0x04:
                self.selected = False
            return SW_NOT_FOUND
        if ins == 0xB2:
            if not self.selected:
                return SW_SECURITY
            sfi, mode = p2 >> 3, p2 & 0x07
            file = self.records.get(sfi)
            if file is None:
                return SW_NOT_FOUND
            if mode == 0x04:
                if p1 not in file:
                    return SW_RECORD_NOT_FOUND
                out = tlv.tlv(p1, file[p1])
            elif mode == 0x05 and self.multi_record:
                if p1 not in file:
                    return SW_RECORD_NOT_FOUND
                out = b"".join(tlv.tlv(n, v) for n, v in sorted(file.items()) if n >= p1)
            else:
                return SW_WRONG_P1P2
            if le is None:
                return SW_WRONG_LENGTH
            return self._respond(out, le, case4=False)
        return SW_INS


