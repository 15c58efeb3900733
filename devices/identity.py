"""What every card profile returns: one IdentityDocument, plain data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from hashlib import sha256

# Document types
EMRTD_TD1 = "emrtd_td1"  # ICAO 9303 ID card (3 MRZ lines)
EMRTD_TD3 = "emrtd_td3"  # ICAO 9303 passport (2 MRZ lines)
SSCARD = "sscard"  # China social security card (LD/T 32.5)
RESIDENT_ID = "resident_id"  # Chinese resident ID card (SAM reader, later wave)
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

    def summary(self) -> dict:
        """JSON-safe; the face is given as length and sha256, never the bytes."""
        d = asdict(self)
        face = d.pop("face_image")
        d["face_image"] = {"length": len(face), "sha256": sha256(face).hexdigest()} if face else None
        for key in ("birth_date", "expiry_date"):
            d[key] = d[key].isoformat() if d[key] else None
        return d
