"""Handing a finished service's document to printing.

Receipts go to the ESC/POS printer, certificates become PDFs; both through counter.printer_service,
which journals every job. Printer trouble never loses the recorded service: the job stays queued and
the result says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass

from counter import printer_service
from counter.errors import CounterError
from counter.i18n import N_, _
from printing.documents import Certificate

CERTIFICATE_NOT_WRITTEN = N_("the certificate PDF could not be written; check the certificate folder")


def missing_glyph_message(chars: str) -> str:
    """The refusal in the UI language: the character, its code point and block, and what to install."""
    from printing import fonts

    ch = chars[0]
    kind, params = fonts.advice(ch)
    if kind == "package":
        what = _("install the Debian package {package}").format(**params)
    else:
        what = _("put a newer {file} that covers {block} into a folder named by {env}").format(**params)
    text = _("{char} ({code}, {block}) is in no installed font and would print as a blank box; {advice}").format(
        char=ch, code=f"U+{ord(ch):04X}", block=fonts.block_of(ch) or "—", advice=what)
    # the screen formats the message with {path}: keep stray braces literal
    return text.replace("{", "{{").replace("}", "}}")


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
            if exc.params.get("missing"):
                return Delivery(False, "failed", missing_glyph_message(exc.params["missing"]),
                                job_id=exc.params.get("job_id"))
            return Delivery(False, "failed", CERTIFICATE_NOT_WRITTEN, job_id=exc.params.get("job_id"))
        return Delivery(True, "pdf", "Certificate PDF written: {path}", output=str(path))
    result = printer_service.print_receipt(station, document, clerk_id)
    return _delivery(result)


def _delivery(result) -> Delivery:
    message = missing_glyph_message("".join(result.missing_glyphs)) if result.missing_glyphs else result.message
    return Delivery(result.confirmed, result.state, message, job_id=result.job_id, output=result.output)


def retry(station, job_id: str, clerk_id: str | None) -> Delivery:
    result = printer_service.retry_job(station, job_id, clerk_id)
    if printer_service.get_job(station, job_id)["doc_type"] == "certificate":
        if result.confirmed:
            return Delivery(True, "pdf", "Certificate PDF written: {path}", job_id=job_id, output=result.output)
        if result.missing_glyphs:
            return _delivery(result)
        return Delivery(False, "failed", CERTIFICATE_NOT_WRITTEN, job_id=job_id)
    return _delivery(result)


def verification_payload(station, kind: str, number: str, masked_id: str, issue_date: str) -> str:
    """The signed ASCII payload of the document's QR code (COSE_Sign1 in Base45, station key)."""
    return printer_service.sign_verification(station, kind, number, masked_id, issue_date)
