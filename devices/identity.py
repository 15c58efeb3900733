"""What every card profile returns: one IdentityDocument, plain data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from hashlib import sha256

# Document types
EMRTD_TD1 = "emrtd_td1"  # ICAO 9303 ID card (3 MRZ lines)
EMRTD_TD3 = "emrtd_td3"  # ICAO 9303 passport (2 MRZ lines)
SSCARD = "sscard"  # China social security card (LD/T 32.5)
RESIDENT_ID = "resident_id"  # Chinese resident ID card (居民身份证), through a SAM reader
FOREIGN_PERMANENT_ID = "foreign_permanent_id"  # foreigner's permanent residence ID card (2017 design)
HMT_RESIDENCE_PERMIT = "hmt_residence_permit"  # residence permit for Hong Kong, Macao and Taiwan residents
MANUAL = "manual"

# Authenticity
VERIFIED = "verified"  # passive authentication succeeded against a trusted CSCA
NOT_VERIFIED = "not_verified"  # signatures fine but no CSCA to anchor them, or the card has none
FAILED = "failed"  # a hash or signature did not match: do not trust the data
NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class IdentityDocument:
    doc_type: str
    document_number: str
    name: str  # the display name: 阿依古丽·买买提, 𠮷田, or "SURNAME GIVEN" for MRZ names
    surname: str = ""
    given_names: str = ""
    sex: str = ""  # "M", "F" or "X"
    birth_date: date | None = None
    nationality: str = ""  # ISO 3166 alpha-3 as in the MRZ, "CHN" for Chinese cards
    issuing_state: str = ""
    expiry_date: date | None = None
    citizen_id: str | None = None  # GB 11643 number, where the document carries one
    ethnicity: str | None = None  # GB/T 3304 code, e.g. "01"
    birthplace: str | None = None
    face_image: bytes | None = field(default=None, repr=False)
    face_format: str | None = None  # "jpeg" or "jp2"
    authenticity: str = NOT_APPLICABLE
    authenticity_detail: str = ""
    dg_hashes: dict[str, str] = field(default_factory=dict)  # "DG1" -> hex
    mrz: str | None = field(default=None, repr=False)
    # SAM-reader cards (resident ID card, foreigner's permanent residence card, HMT permit)
    address: str | None = field(default=None, repr=False)  # household registration address on the card
    issuing_authority: str | None = None
    valid_from: date | None = None
    long_term: bool = False  # valid until 长期: no expiry date
    photo_sha256: str | None = None  # the opaque WLT photo is kept only as its hash
    other_names: str | None = None  # the foreigner card's English name beside the Chinese one
    travel_permit_number: str | None = None  # HMT permit: the travel permit's number
    issue_count: int | None = None  # HMT permit: how many times it has been issued

    def expired(self, today: date) -> bool:
        return self.expiry_date is not None and not self.long_term and self.expiry_date < today

    def summary(self) -> dict:
        """JSON-safe; the face is given as length and sha256, never the bytes."""
        d = asdict(self)
        face = d.pop("face_image")
        d["face_image"] = {"length": len(face), "sha256": sha256(face).hexdigest()} if face else None
        for key in ("birth_date", "expiry_date", "valid_from"):
            d[key] = d[key].isoformat() if d[key] else None
        return d
