"""Handing a finished service's document to printing, through one small adapter.

The printing room provides counter.printer_service (print_receipt, print_certificate,
sign_verification). Until it is merged, the import fails and the screens preview the document
instead; `deliver` says which happened so the UI can tell the clerk.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from counter import identity


@dataclass(frozen=True)
class Delivery:
    printed: bool
    detail: str = ""


def _printer_service():
    try:
        return importlib.import_module("counter.printer_service")
    except ModuleNotFoundError as exc:
        if exc.name == "counter.printer_service":
            return None
        raise


def printing_available() -> bool:
    return _printer_service() is not None


def deliver(station, document, clerk_id: str | None) -> Delivery:
    """Print a Receipt or Certificate if the printing service exists; otherwise report 'preview only'."""
    from printing.documents import Certificate

    service = _printer_service()
    if service is None:
        return Delivery(False, "preview")
    if isinstance(document, Certificate):
        result = service.print_certificate(station, document, clerk_id=clerk_id)
    else:
        result = service.print_receipt(station, document, clerk_id=clerk_id)
    return Delivery(True, str(result) if result is not None else "")


def verification_payload(station, number: str, seq: int, entry_hash: str) -> str:
    """A signed ASCII payload for the document's QR code.

    Uses the printing room's sign_verification when present; otherwise signs the same facts with
    the station key: CNTR1.<station>.<number>.<seq>.<hash16>.<signature>.
    """
    service = _printer_service()
    if service is not None and hasattr(service, "sign_verification"):
        return service.sign_verification(station, number=number, seq=seq, entry_hash=entry_hash)
    body = f"CNTR1.{station.station_id}.{number}.{seq}.{entry_hash[:16]}"
    return f"{body}.{station.key.sign(body.encode('ascii'))}"


def verify_payload(station, payload: str) -> bool:
    body, _, signature = payload.rpartition(".")
    return identity.verify(station.key.public, body.encode("ascii"), signature)
