"""The ICAO 9303 eMRTD profile (TD1 ID cards, TD3 passports): BAC, secure messaging, passive auth.

Reads EF.COM, DG1, DG2 (face), DG11 when present and EF.SOD, in as few APDUs as
the card allows: short-file-identifier READ BINARY (no SELECT per file) and the
largest Le, extended length when the card and reader support it.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from devices import lds, mrz, tlv
from devices.apdu import SW_END_OF_FILE, SW_OK, CardChannel, command
from devices.errors import CARD_ERROR, MRZ_KEY_REQUIRED, MRZ_MISMATCH, CardError
from devices.icao_crypto import (
    SecureMessaging,
    SecureMessagingError,
    bac_command,
    bac_keys,  # noqa: F401  (public API: devices.icao.bac_keys)
    bac_keys_for,
    bac_session,
    max_sm_read,
)
from devices.identity import EMRTD_TD1, EMRTD_TD3, IdentityDocument

AID = bytes.fromhex("A0000002471001")
# LDS1 files: short file identifier and file identifier
FILES = {"COM": (0x1E, 0x011E), 1: (0x01, 0x0101), 2: (0x02, 0x0102), 11: (0x0B, 0x010B), "SOD": (0x1D, 0x011D)}
SW_FILE_NOT_FOUND = 0x6A82
MAX_OFFSET = 0x7FFF  # READ BINARY B0 addresses 15 bits

SHORT_RESPONSE_LIMIT = 256


class IcaoProfile:
    name = "icao"

    def __init__(self, rng: Callable[[int], bytes] = os.urandom):
        self.rng = rng

    def probe(self, channel: CardChannel) -> bool:
        return channel.select_aid(AID).sw == SW_OK

    def read(self, channel: CardChannel, *, mrz_key: mrz.MrzKey | None = None, csca_certs: list | None = None,
             selected: bool = False) -> IdentityDocument:
        if mrz_key is None:
            raise CardError(MRZ_KEY_REQUIRED)
        if not selected and channel.select_aid(AID).sw != SW_OK:
            raise CardError(CARD_ERROR, detail="eMRTD application not found")
        sm = self._bac(channel, mrz_key)
        reader = _SmFileReader(channel, sm)
        com = reader.read(FILES["COM"])
        if com is None:
            raise CardError(CARD_ERROR, detail="EF.COM missing")
        present = lds.parse_com(com)
        files: dict[int, bytes] = {}
        for number in (1, 2, 11):
            if number in present:
                data = reader.read(FILES[number])
                if data is not None:
                    files[number] = data
        if 1 not in files:
            raise CardError(CARD_ERROR, detail="DG1 missing")
        sod = reader.read(FILES["SOD"])
        return build_document(files, sod, csca_certs or [])

    def _bac(self, channel: CardChannel, key: mrz.MrzKey) -> SecureMessaging:
        k_enc, k_mac = bac_keys_for(key)
        challenge = channel.send(command(0x00, 0x84, 0x00, 0x00, le=8))
        if challenge.sw != SW_OK or len(challenge.data) != 8:
            raise CardError(CARD_ERROR, detail=f"GET CHALLENGE: SW {challenge.sw:04X}")
        rnd_ifd, k_ifd = self.rng(8), self.rng(16)
        answer = channel.send(command(0x00, 0x82, 0x00, 0x00,
                                      bac_command(k_enc, k_mac, challenge.data, rnd_ifd, k_ifd), 0x28))
        if answer.sw != SW_OK:
            # 6300 / 6982: the card's MAC check of our cryptogram failed, i.e. the MRZ key is wrong
            raise CardError(MRZ_MISMATCH, detail=f"EXTERNAL AUTHENTICATE: SW {answer.sw:04X}")
        try:
            return bac_session(k_enc, k_mac, challenge.data, rnd_ifd, k_ifd, answer.data)
        except SecureMessagingError:
            raise CardError(MRZ_MISMATCH, detail="BAC answer does not verify") from None


class _SmFileReader:
    def __init__(self, channel: CardChannel, sm: SecureMessaging):
        self.channel = channel
        self.sm = sm
        self.extended = channel.extended_length
        self._set_chunk()

    def _set_chunk(self) -> None:
        self.chunk = max_sm_read(self.channel.response_limit if self.extended else SHORT_RESPONSE_LIMIT)

    def exchange(self, apdu: bytes) -> tuple[bytes, int]:
        protected = self.sm.wrap(apdu)
        response = self.channel.send(protected)
        try:
            return self.sm.unwrap(response.data + response.sw.to_bytes(2, "big"))
        except SecureMessagingError as exc:
            raise CardError(CARD_ERROR, detail=f"secure messaging: {exc}") from None

    def read_binary(self, p1: int, p2: int, le: int) -> tuple[bytes, int]:
        data, sw = self.exchange(command(0x00, 0xB0, p1, p2, le=le, extended=le > 256))
        if self.extended and sw in (0x6700, 0x6C00) or (self.extended and not data and sw >> 8 == 0x6C):
            # the card or reader does not take this Le after all: fall back to short reads
            self.extended = False
            self._set_chunk()
            data, sw = self.exchange(command(0x00, 0xB0, p1, p2, le=min(le, self.chunk)))
        return data, sw

    def read(self, ids: tuple[int, int]) -> bytes | None:
        sfi, fid = ids
        data, sw = self.read_binary(0x80 | sfi, 0x00, self.chunk)
        if sw == SW_FILE_NOT_FOUND:
            return None
        if sw not in (SW_OK, SW_END_OF_FILE):
            # no short-file-identifier support: SELECT the file, then read from offset 0
            _, sel_sw = self.exchange(command(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big")))
            if sel_sw == SW_FILE_NOT_FOUND:
                return None
            if sel_sw != SW_OK:
                raise CardError(CARD_ERROR, detail=f"SELECT {fid:04X}: SW {sel_sw:04X}")
            data, sw = self.read_binary(0x00, 0x00, self.chunk)
            if sw not in (SW_OK, SW_END_OF_FILE):
                raise CardError(CARD_ERROR, detail=f"READ BINARY {fid:04X}: SW {sw:04X}")
        try:
            _, head, length = tlv.header(data)
        except tlv.TlvError:
            raise CardError(CARD_ERROR, detail=f"file {fid:04X} does not start with a TLV header") from None
        total = head + length
        while len(data) < total:
            offset = len(data)
            if offset > MAX_OFFSET:
                raise CardError(CARD_ERROR, detail=f"file {fid:04X} is larger than 32 KiB")
            more, sw = self.read_binary(offset >> 8, offset & 0xFF, min(self.chunk, total - offset))
            if sw not in (SW_OK, SW_END_OF_FILE) or not more:
                raise CardError(CARD_ERROR, detail=f"READ BINARY {fid:04X} at {offset}: SW {sw:04X}")
            data += more
        return data[:total]


def _valid_citizen_id(value: str | None) -> str | None:
    """A GB 11643 number (18 characters, MOD 11-2 check) or None; devices import nothing of ours."""
    if not value:
        return None
    value = value.replace(" ", "").replace("<", "").upper()
    if len(value) != 18 or not value[:17].isdigit():
        return None
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(value[:17], weights, strict=True)) % 11]
    return value if value[17] == check else None


def build_document(files: dict[int, bytes], sod: bytes | None, csca_certs: list) -> IdentityDocument:
    text = lds.parse_dg1(files[1])
    try:
        zone = mrz.parse(text)
    except mrz.MrzError as exc:
        raise CardError(CARD_ERROR, detail=f"DG1: {exc}") from None
    face = face_format = None
    if 2 in files:
        try:
            face, face_format = lds.parse_dg2(files[2])
        except (lds.LdsError, tlv.TlvError, IndexError):
            face = face_format = None  # the data still reads; the face is missing, PA still covers DG2
    details = lds.parse_dg11(files[11]) if 11 in files else lds.AdditionalDetails()
    pa = lds.passive_authentication(sod, files, csca_certs)
    latin = " ".join(p for p in (zone.surname, zone.given_names) if p)
    citizen_id = _valid_citizen_id(details.personal_number) or _valid_citizen_id(zone.optional_data)
    return IdentityDocument(
        doc_type=EMRTD_TD1 if zone.format == "TD1" else EMRTD_TD3,
        document_number=zone.document_number,
        name=details.full_name or latin,
        surname=zone.surname,
        given_names=zone.given_names,
        sex=zone.sex,
        birth_date=mrz.yymmdd_to_date(zone.birth_date, future=False),
        nationality=zone.nationality,
        issuing_state=zone.issuing_state,
        expiry_date=mrz.yymmdd_to_date(zone.expiry_date, future=True),
        citizen_id=citizen_id,
        birthplace=details.place_of_birth,
        face_image=face,
        face_format=face_format,
        authenticity=pa.status,
        authenticity_detail=pa.detail,
        dg_hashes=pa.hashes,
        mrz=zone.text,
    )
