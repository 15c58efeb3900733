"""Decoding the text block a SAM reader returns: three card layouts to one IdentityDocument.

The text block is 256 bytes of UTF-16LE in fixed-width fields padded with spaces. Fields are cut
by byte offsets and each decoded as UTF-16LE as a whole, so a name with a character outside the
BMP (𠮷, a surrogate pair: two code units) comes out whole.

Layouts, in UTF-16 code units (one unit = 2 bytes). Checked against the reference note and an
open-source client's C structures (PCSCGetData.h of a public reader client: the same widths, in
bytes). The note says the card-type mark sits in "the last byte positions": the client puts it at
unit 124 (bytes 248-249), followed by 3 reserved units; we follow the client.

resident ID card (mark blank) and HMT residence permit (mark "J"):
    name 15 | sex 1 | ethnicity 2 | birth 8 | address 35 | ID number 18 | authority 15 |
    valid from 8 | valid until 8 (or 长期) | then, HMT only: travel permit number 9 | issue count 2 |
    reserved 3 | mark 1 | reserved 3
foreigner's permanent residence ID card, 2017 (mark "I"):
    English name 60 | sex 1 | number 15 | nationality 3 | Chinese name 15 | valid from 8 |
    valid until 8 | birth 8 | version 2 | authority code 4 | mark 1 | reserved 3
The 2023 foreigner card (mark "Y") has another layout that the counter does not decode yet: it
is refused as an unsupported card, so the clerk types it.
"""

from __future__ import annotations

import hashlib
import tomllib
from datetime import date
from functools import cache
from importlib import resources

from stdnum.cn import ric

from devices.errors import CARD_ERROR, UNSUPPORTED_CARD, CardError
from devices.identity import (
    FAILED,
    FOREIGN_PERMANENT_ID,
    HMT_RESIDENCE_PERMIT,
    RESIDENT_ID,
    VERIFIED,
    IdentityDocument,
)

TEXT_BYTES = 256
MARK_UNIT = 124
LONG_TERM = "长期"
MARK_RESIDENT = " "
MARK_FOREIGNER = "I"
MARK_HMT = "J"
MARK_FOREIGNER_2023 = "Y"

RESIDENT_FIELDS = (("name", 15), ("sex", 1), ("ethnicity", 2), ("birth", 8), ("address", 35),
                   ("number", 18), ("authority", 15), ("valid_from", 8), ("valid_until", 8),
                   ("travel_permit", 9), ("issue_count", 2), ("_rfu1", 3), ("mark", 1), ("_rfu2", 3))
FOREIGNER_FIELDS = (("english_name", 60), ("sex", 1), ("number", 15), ("nationality", 3), ("name", 15),
                    ("valid_from", 8), ("valid_until", 8), ("birth", 8), ("version", 2),
                    ("authority", 4), ("mark", 1), ("_rfu2", 3))
SEX_CODES = {"1": "M", "2": "F"}  # GB/T 2261.1: 0 unknown, 9 not stated -> ""

SUSPECT_DETAIL = "the ID number on the card fails its GB 11643 check"
SAM_DETAIL = "read through the public-security SAM"
PHOTO_NOTE = "the photo needs the vendor's decoder (WLT)"


@cache
def ethnicity_names() -> dict[str, tuple[str, str]]:
    """GB/T 3304 code -> (zh, en), from templates/ethnicities.toml (pure data, shared with counter)."""
    data = tomllib.loads((resources.files("templates") / "ethnicities.toml").read_text(encoding="utf-8"))
    return {e["code"]: (e["zh"], e["en"]) for e in data["ethnicity"]}


def ethnicity_label(code: str | None, lang: str = "zh_CN") -> str:
    names = ethnicity_names().get(code or "")
    if names is None:
        return code or ""
    return names[0] if lang.startswith("zh") else names[1]


def split_fields(text: bytes, layout) -> dict[str, str]:
    """Cut the block by code-unit widths and decode each field whole; padding trimmed."""
    out: dict[str, str] = {}
    pos = 0
    for name, units in layout:
        raw = text[pos:pos + 2 * units]
        pos += 2 * units
        try:
            value = raw.decode("utf-16-le")
        except UnicodeDecodeError:
            raise CardError(CARD_ERROR, detail=f"text field {name} is not valid UTF-16") from None
        out[name] = value.strip(" \x00")
    return out


def card_mark(text: bytes) -> str:
    raw = text[2 * MARK_UNIT:2 * MARK_UNIT + 2]
    try:
        mark = raw.decode("utf-16-le")
    except UnicodeDecodeError:
        return "?"
    return MARK_RESIDENT if mark in (" ", "\x00", "") else mark


def _date(value: str, what: str) -> date | None:
    if not value:
        return None
    try:
        return date(int(value[0:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        raise CardError(CARD_ERROR, detail=f"{what} is not a date YYYYMMDD") from None


def _validity(fields: dict[str, str]) -> tuple[date | None, date | None, bool]:
    until = fields["valid_until"]
    if until == LONG_TERM:
        return _date(fields["valid_from"], "valid from"), None, True
    return _date(fields["valid_from"], "valid from"), _date(until, "valid until"), False


def _suspect_reason(number: str, birth: date | None, sex: str) -> str:
    """Why a GB 11643 number does not hold up, or ""."""
    # the check character (ISO 7064 MOD 11-2) and the birth date; not the area code, which
    # python-stdnum checks against today's codes only (HMT permits use 810000/820000/830000)
    try:
        if len(number) != 18 or not number[:17].isdigit() or number[17] != ric.calc_check_digit(number):
            return SUSPECT_DETAIL
        ric.get_birth_date(number)
    except (ValueError, ArithmeticError):
        return SUSPECT_DETAIL
    if birth is not None and number[6:14] != f"{birth:%Y%m%d}":
        return "the ID number's birth date differs from the card's"
    if sex in ("M", "F") and (int(number[16]) % 2 == 1) != (sex == "M"):
        return "the ID number's sex digit differs from the card's"
    return ""


def decode(text: bytes, photo: bytes = b"") -> IdentityDocument:
    """The IdentityDocument of a SAM text block (and the WLT photo, kept as its sha256 only)."""
    if len(text) < TEXT_BYTES:
        raise CardError(CARD_ERROR, detail=f"text block of {len(text)} bytes, expected {TEXT_BYTES}")
    mark = card_mark(text)
    photo_hash = hashlib.sha256(photo).hexdigest() if photo else None
    if mark in (MARK_RESIDENT, MARK_HMT):
        f = split_fields(text, RESIDENT_FIELDS)
        birth = _date(f["birth"], "birth date")
        sex = SEX_CODES.get(f["sex"], "")
        valid_from, until, long_term = _validity(f)
        number = f["number"].upper()
        suspect = _suspect_reason(number, birth, sex)
        hmt = mark == MARK_HMT
        return IdentityDocument(
            doc_type=HMT_RESIDENCE_PERMIT if hmt else RESIDENT_ID, document_number=number, name=f["name"],
            sex=sex, birth_date=birth, nationality="CHN", issuing_state="CHN", expiry_date=until,
            citizen_id=number, ethnicity=None if hmt else (f["ethnicity"] or None),
            authenticity=FAILED if suspect else VERIFIED, authenticity_detail=suspect or SAM_DETAIL,
            address=f["address"] or None, issuing_authority=f["authority"] or None, valid_from=valid_from,
            long_term=long_term, photo_sha256=photo_hash, face_format="wlt" if photo else None,
            travel_permit_number=(f["travel_permit"] or None) if hmt else None,
            issue_count=int(f["issue_count"]) if hmt and f["issue_count"].isdigit() else None)
    if mark == MARK_FOREIGNER:
        f = split_fields(text, FOREIGNER_FIELDS)
        valid_from, until, long_term = _validity(f)
        english = " ".join(f["english_name"].split())
        return IdentityDocument(
            doc_type=FOREIGN_PERMANENT_ID, document_number=f["number"].upper(), name=f["name"] or english,
            sex=SEX_CODES.get(f["sex"], ""), birth_date=_date(f["birth"], "birth date"),
            nationality=f["nationality"].upper(), issuing_state="CHN", expiry_date=until,
            authenticity=VERIFIED, authenticity_detail=SAM_DETAIL, issuing_authority=f["authority"] or None,
            valid_from=valid_from, long_term=long_term, photo_sha256=photo_hash,
            face_format="wlt" if photo else None, other_names=english or None)
    raise CardError(UNSUPPORTED_CARD, detail=f"card-type mark {mark!r} is not a layout the counter decodes")


# --- building blocks (the simulator and the tests) ---------------------------------------


def encode_fields(values: dict[str, str], layout) -> bytes:
    """The inverse of split_fields: each field UTF-16LE, padded with spaces to its width."""
    out = bytearray()
    for name, units in layout:
        raw = values.get(name, "").encode("utf-16-le")
        if len(raw) > 2 * units:
            raise ValueError(f"{name} is longer than {units} UTF-16 units")
        out += raw + " ".encode("utf-16-le") * (units - len(raw) // 2)
    return bytes(out)
