"""From a card read (devices.identity.IdentityDocument) to the person file and form prefill."""

from __future__ import annotations

from counter.domain.citizen_id import lookup_area
from counter.domain.fields import check_nationality
from counter.errors import ValidationError
from devices.identity import IdentityDocument


def card_prefill(doc: IdentityDocument) -> dict[str, str]:
    """Field values a card provides, keyed by form field id."""
    out: dict[str, str] = {"name": doc.name}
    if doc.citizen_id:
        out["doc_type"] = "citizen_id"
        out["id_number"] = doc.citizen_id
        # the ID number's area code names the household registration area; the clerk adds the street
        area = lookup_area(doc.citizen_id[:6])
        if area is not None:
            out["household_address"] = area.full_name
        if doc.address:  # the resident ID card carries the whole household address: never typed
            out["household_address"] = doc.address
    else:
        out["doc_type"] = "passport"
        out["id_number"] = doc.document_number
    if doc.sex in ("M", "F"):
        out["sex"] = doc.sex
    if doc.birth_date:
        out["birth_date"] = doc.birth_date.isoformat()
    if doc.ethnicity:
        out["ethnicity"] = doc.ethnicity
    if doc.nationality:
        try:
            out["nationality"] = check_nationality(doc.nationality)
        except ValidationError:
            out["nationality"] = doc.nationality  # the form shows why it is refused
    return out


def card_validity(doc: IdentityDocument, today) -> tuple[str, str]:
    """("long_term" | "expired" | "valid" | "unknown", the expiry date as text)."""
    if doc.long_term:
        return "long_term", ""
    if doc.expiry_date is None:
        return "unknown", ""
    if isinstance(today, str):
        from datetime import date

        today = date.fromisoformat(today)
    return ("expired" if doc.expired(today) else "valid"), doc.expiry_date.isoformat()


def card_key(doc: IdentityDocument) -> tuple[str, str]:
    """(doc_type, id_number) the person file is found by."""
    p = card_prefill(doc)
    return p["doc_type"], p["id_number"].upper()


def source_of(doc: IdentityDocument) -> str:
    return f"card:{doc.doc_type}"


FACE_FORMATS = ("jpeg", "jp2")  # what an eMRTD's DG2 holds (ISO/IEC 19794-5); WLT needs a vendor decoder


def face_picture(doc: IdentityDocument):
    """The card's face (DG2) as a Pillow image in memory, or None (no face, WLT, or undecodable).
    It is decoded from the bytes the read returned and never written anywhere."""
    if not doc.face_image or doc.face_format not in FACE_FORMATS:
        return None
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(doc.face_image), formats=["JPEG", "JPEG2000"]) as img:
            img.load()
            return img.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
