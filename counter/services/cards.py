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
            out["household_address"] = area.name
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


def card_key(doc: IdentityDocument) -> tuple[str, str]:
    """(doc_type, id_number) the person file is found by."""
    p = card_prefill(doc)
    return p["doc_type"], p["id_number"].upper()


def source_of(doc: IdentityDocument) -> str:
    return f"card:{doc.doc_type}"
