"""Handing a finished service's document to printing.

Receipts go to the ESC/POS printer, certificates become PDFs; both through counter.printer_service,
which journals every job. Printer trouble never loses the recorded service: the job stays queued and
the result says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass

from counter import printer_service
from counter.errors import CounterError
from counter.i18n import N_
from printing.documents import Certificate

CERTIFICATE_NOT_WRITTEN = N_("the certificate PDF could not be written; check the certificate folder")


@dataclass(frozen=True)
class Delivery:
    printed: bool
    state: str  # printed | failed | unconfirmed | pdf
    message: str  # an English msgid with {params}, shown through gettext
    job_id: str | None = None
    output: str | None = None


def deliver(station, document, clerk_id: str | None) -> Delivery:
    """Print a Receipt, or write a Certificate's PDF. Blocking: call it from a worker thread."""
    if isinstance(document, Certificate):
        try:
            path = printer_service.print_certificate(station, document, clerk_id)
        except CounterError as exc:
            # the job stays queued: keep its id so that P retries it. The detail (folder, system
            # error) is English and is in the journal's print.failed entry; the clerk gets a msgid.
            return Delivery(False, "failed", CERTIFICATE_NOT_WRITTEN, job_id=exc.params.get("job_id"))
        return Delivery(True, "pdf", "Certificate PDF written: {path}", output=str(path))
    result = printer_service.print_receipt(station, document, clerk_id)
    return Delivery(result.confirmed, result.state, result.message, job_id=result.job_id, output=result.output)


def retry(station, job_id: str, clerk_id: str | None) -> Delivery:
    result = printer_service.retry_job(station, job_id, clerk_id)
    if printer_service.get_job(station, job_id)["doc_type"] == "certificate":
        if result.confirmed:
            return Delivery(True, "pdf", "Certificate PDF written: {path}", job_id=job_id, output=result.output)
        return Delivery(False, "failed", CERTIFICATE_NOT_WRITTEN, job_id=job_id)
    return Delivery(result.confirmed, result.state, result.message, job_id=job_id, output=result.output)


def verification_payload(station, kind: str, number: str, masked_id: str, issue_date: str) -> str:
    """The signed ASCII payload of the document's QR code (COSE_Sign1 in Base45, station key)."""
    return printer_service.sign_verification(station, kind, number, masked_id, issue_date)
