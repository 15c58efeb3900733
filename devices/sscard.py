"""China social security card (社会保障卡): the public basic-information files (LD/T 32.5).

The layout below is this project's design, modelled on the published structure
of the card (a DF selected by name holding linear record EFs in which each
record is one TLV whose tag is the record number). Our simulator implements the
same layout, so reader and card are tested against each other on a real pcscd.

    DF  name "sx1.sh.社会保障" (GBK bytes, see DF_NAME)
    EF05 (SFI 5) card identification, readable without PIN
        01 card identification code   ASCII, up to 32
        02 card type                  ASCII, 1 ('3' = third generation)
        03 specification version      ASCII, 4 ("3.00")
        04 issuing organisation code  ASCII, 12
        05 issue date                 BCD YYYYMMDD, 4
        06 expiry date                BCD YYYYMMDD, 4
        07 card number                ASCII, 9
    EF06 (SFI 6) holder's basic information, readable without PIN
        08 social security number     ASCII, 18 (the citizen ID number, GB 11643)
        09 name                       GB18030, up to 60 (GBK for common characters; four-byte
                                      GB18030 sequences keep characters outside GBK such as 𠮷)
        0A sex                        ASCII, 1 (GB/T 2261.1: 1 male, 2 female, 0 unknown, 9 unstated)
        0B ethnicity                  BCD, 1 (GB/T 3304 code, e.g. 05 维吾尔族)
        0C birthplace                 BCD, 3 (GB/T 2260 area code)
        0D birth date                 BCD YYYYMMDD, 4

Reading: SELECT DF by name (P2=0C), then READ RECORD with P1=first record and
P2=(SFI<<3)|5, "all records from P1", one command per EF. The card is T=0:
Le=00 is answered 6Cxx with the exact length, which CardChannel resends.
"""

from __future__ import annotations

from datetime import date

from devices import tlv
from devices.apdu import SW_OK, CardChannel, command
from devices.errors import CARD_ERROR, CardError
from devices.identity import NOT_APPLICABLE, SSCARD, IdentityDocument

DF_NAME = "sx1.sh.社会保障".encode("gbk")
ATR_HISTORICAL = b"CHN.SSC.LDT5"  # what our simulated card announces; real cards are matched by probe
SFI_CARD, SFI_HOLDER = 0x05, 0x06
FIRST_CARD_RECORD, FIRST_HOLDER_RECORD = 0x01, 0x08
NAME_MAX_BYTES = 60

SEX_CODES = {"1": "M", "2": "F", "0": "X", "9": "X"}


def bcd(digits: str) -> bytes:
    return bytes.fromhex(digits)


def bcd_text(value: bytes) -> str:
    return value.hex()


def bcd_date(value: bytes) -> date | None:
    text = value.hex()
    try:
        return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def parse_records(data: bytes) -> dict[int, bytes]:
    """Concatenated record TLVs (tag = record number) from a READ RECORD 'all from P1'."""
    return {tag: value for tag, value in tlv.iter_tlv(data)}


class SocialSecurityProfile:
    name = "sscard"

    def probe(self, channel: CardChannel) -> bool:
        return channel.select_aid(DF_NAME).sw == SW_OK

    def _records(self, channel: CardChannel, sfi: int, first: int) -> dict[int, bytes]:
        response = channel.send(command(0x00, 0xB2, first, (sfi << 3) | 0x05, le=256))
        if response.sw == 0x6A86:  # no multi-record read: one command per record
            records: dict[int, bytes] = {}
            number = first
            while True:
                one = channel.send(command(0x00, 0xB2, number, (sfi << 3) | 0x04, le=256))
                if one.sw == 0x6A83:
                    return records
                records.update(parse_records(one.check(f"READ RECORD {sfi:02X}/{number:02X}")))
                number += 1
        try:
            return parse_records(response.check(f"READ RECORD {sfi:02X}"))
        except tlv.TlvError:
            raise CardError(CARD_ERROR, detail=f"EF{sfi:02X} records are not TLV") from None

    def read(self, channel: CardChannel, *, selected: bool = False, **_ignored) -> IdentityDocument:
        if not selected and not self.probe(channel):
            raise CardError(CARD_ERROR, detail="social security application not found")
        card = self._records(channel, SFI_CARD, FIRST_CARD_RECORD)
        holder = self._records(channel, SFI_HOLDER, FIRST_HOLDER_RECORD)
        try:
            name = holder[0x09].rstrip(b"\x00").decode("gb18030")
            citizen_id = holder[0x08].decode("ascii").strip().upper()
        except (KeyError, UnicodeDecodeError):
            raise CardError(CARD_ERROR, detail="holder record 08 or 09 missing or not decodable") from None
        sex = SEX_CODES.get(holder.get(0x0A, b"9").decode("ascii", "replace"), "X")
        return IdentityDocument(
            doc_type=SSCARD,
            document_number=card.get(0x07, b"").decode("ascii", "replace").strip(),
            name=name,
            sex=sex,
            birth_date=bcd_date(holder[0x0D]) if 0x0D in holder else None,
            nationality="CHN",
            issuing_state="CHN",
            expiry_date=bcd_date(card[0x06]) if 0x06 in card else None,
            citizen_id=citizen_id,
            ethnicity=bcd_text(holder[0x0B]) if 0x0B in holder else None,
            birthplace=bcd_text(holder[0x0C]) if 0x0C in holder else None,
            authenticity=NOT_APPLICABLE,
            authenticity_detail="the public basic-information files are not signed",
        )
