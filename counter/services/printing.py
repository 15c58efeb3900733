"""Printing use cases: print, retry and reprint journaled jobs; printer status; signed QR payloads.

Every attempt is a journal entry (print.queued, print.printed, print.reprinted,
print.failed); print_jobs is their projection. The queued entry carries the
document, so a job can be re-rendered from the journal alone (receipts carry
the masked ID number only). Personal data never goes into a message or log.
"""

from __future__ import annotations

import dataclasses
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from counter.errors import ConfigError, CounterError
from counter.i18n import N_, _
from db import journal, kinds
from db.projectors import printing as print_reads
from devices.printer import KINDS, PrinterError, PrinterSettings, read_status, send_job
from printing.documents import Certificate, Receipt

FULL_ID = re.compile(r"^\d{15}$|^\d{17}[\dXx]$")
TRUST_DIR = Path("keys") / "trusted"


class PrintJobError(CounterError):
    pass


class VerificationFailed(CounterError):
    """A verification payload is invalid; the message is the reason."""


@dataclass(frozen=True)
class PrintResult:
    job_id: str
    state: str  # printed | failed | unconfirmed
    confirmed: bool
    message: str
    copy_number: int = 0
    output: str | None = None
    missing_glyphs: tuple[str, ...] = ()  # characters no installed font has: the job was refused

    def as_dict(self) -> dict:
        # code points, not the characters: a character of a name is personal data
        return {**dataclasses.asdict(self), "missing_glyphs": [f"U+{ord(c):04X}" for c in self.missing_glyphs]}


# --- configuration -------------------------------------------------------------------


def printer_settings(station) -> PrinterSettings:
    section = station.config.section("printer")
    kind = section["kind"]
    if kind not in KINDS:
        raise ConfigError("[printer] kind {kind!r} must be one of {kinds}", kind=kind, kinds=", ".join(KINDS))
    if section["timeout_seconds"] <= 0:
        raise ConfigError("[printer] timeout_seconds must be more than 0")
    return PrinterSettings(
        kind=kind,
        target=section["target"],
        timeout_seconds=section["timeout_seconds"],
        baudrate=section["baudrate"],
        usb_in_ep=section["usb_in_ep"],
        usb_out_ep=section["usb_out_ep"],
        status_query=section["status_query"],
        simulated_dir=simulated_dir(station),
    )


def simulated_dir(station) -> Path:
    return station.data_dir / "printer" / "simulated"


def printer_model(station):
    from printing.models import ModelError, load_model

    name = station.config.section("printer")["model"]
    try:
        return load_model(name)
    except ModelError as exc:
        raise ConfigError("[printer] model: {reason}", reason=str(exc)) from None


def certificate_dir(station) -> Path:
    configured = station.config.section("printer")["certificate_dir"]
    return Path(configured).expanduser() if configured else station.data_dir / "certificates"


# --- status ----------------------------------------------------------------------------


def check_printer(station) -> dict:
    """{"kind","model","state","online","paper","message", ...} for device check-in and the footer."""
    settings = printer_settings(station)
    status = read_status(settings)
    return {"kind": settings.kind, "model": station.config.section("printer")["model"], **status.as_dict()}


# --- signing and verifying ------------------------------------------------------------------


def sign_verification(station, kind: str, number: str, masked_id: str, issue_date: str) -> str:
    """The signed ASCII payload for a verification QR code (see printing.verification)."""
    from printing.verification import make_token

    if FULL_ID.match(masked_id or ""):
        raise PrintJobError("a verification payload carries the masked ID number only")
    return make_token(kind=kind, number=number, masked_id=masked_id, issue_date=issue_date,
                      station_id=station.station_id, key_id=station.key.key_id, sign=station.key.sign_raw)


def trusted_keys(data_dir: Path, own_station=None) -> dict[str, tuple[object, str | None]]:
    """key id -> (Ed25519 public key, station id it belongs to).

    The station's own key, plus every DATA_DIR/keys/trusted/<STATION_ID>.pub (PEM). The file's
    name binds the key to that station id: a payload signed with it must claim that station.
    """
    from counter import keys

    trusted: dict[str, tuple[object, str | None]] = {}
    if own_station is not None:
        trusted[own_station.key.key_id] = (own_station.key.public, own_station.station_id)
        # `counter keys rotate`: old certificates still verify
        from counter.sync.key_rotation import retired_keys

        for key_id, old in retired_keys(data_dir).items():
            trusted.setdefault(key_id, (old.public, own_station.station_id))
    folder = data_dir / TRUST_DIR
    if folder.is_dir():
        for path in sorted(folder.glob("*.pub")):
            public = keys.load_public(path)
            trusted.setdefault(keys.key_id_of(public), (public, path.stem))
    return trusted


def verify_payload(token: str, trusted: dict[str, tuple[object, str | None]]):
    """Claims when valid; raises VerificationFailed with the reason when not."""
    from counter import keys
    from printing.verification import TokenError, verify_token

    def lookup(kid: str):
        if kid not in trusted:
            return None
        public, station_id = trusted[kid]
        return (lambda message, signature: keys.verify(public, message, signature)), station_id

    try:
        return verify_token(token, lookup)
    except TokenError as exc:
        raise VerificationFailed(str(exc)) from None


def qr_payloads_from_pdf(pdf_path: Path, dpi: int = 200) -> list[str]:
    """Render each page with poppler (pdftoppm) and decode its QR codes with zbar (pyzbar)."""
    import subprocess
    import tempfile

    from PIL import Image

    try:
        from pyzbar.pyzbar import ZBarSymbol, decode
    except ImportError:  # the pyzbar wheel is there but not the zbar library (or neither)
        raise VerificationFailed("the zbar library is missing; install the Debian package libzbar0") from None

    if not Path(pdf_path).is_file():
        raise VerificationFailed("no such PDF: {path}", path=pdf_path)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf_path), f"{tmp}/page"],
                           check=True, capture_output=True, timeout=60)
        except FileNotFoundError:
            raise VerificationFailed("pdftoppm is missing; install poppler-utils") from None
        except subprocess.CalledProcessError:
            raise VerificationFailed("{path} is not a readable PDF", path=pdf_path) from None
        payloads = []
        for page in sorted(Path(tmp).glob("page*.png")):
            with Image.open(page) as img:
                for symbol in decode(img, symbols=[ZBarSymbol.QRCODE]):
                    payloads.append(symbol.data.decode("ascii", "replace"))
    return payloads


# --- documents -------------------------------------------------------------------------


def _masked(value: str) -> str:
    from counter.domain.citizen_id import mask

    return mask(value.upper()) if FULL_ID.match(value or "") else value


def _prepare_receipt(station, receipt: Receipt) -> Receipt:
    masked = _masked(receipt.masked_id)
    verification = receipt.verification or sign_verification(
        station, receipt.service, receipt.number, masked, receipt.issued_at[:10])
    # a reprint (副本 n, counter.services.documents.reprint) keeps its copy number: it prints marked as a
    # copy and counts as a reprint in the day's figures
    return dataclasses.replace(receipt, masked_id=masked, verification=verification)


def _prepare_certificate(station, cert: Certificate) -> Certificate:
    verification = cert.verification or sign_verification(
        station, cert.kind, cert.number, _masked(cert.subject_id_number), cert.issue_date)
    return dataclasses.replace(cert, verification=verification)


def _document_from_payload(doc_type: str, data: dict) -> Receipt | Certificate:
    if doc_type == "receipt":
        data = {**data, "lines": [tuple(x) for x in data.get("lines", [])]}
        return Receipt(**data)
    return Certificate(**data)


def job_document(station, job_id: str, copy_number: int = 0) -> Receipt | Certificate:
    """The job's document, rebuilt from its print.queued journal entry."""
    job = get_job(station, job_id)
    entry = journal.get(station.db, job["queued_seq"])
    if entry is None or entry.kind != kinds.PRINT_QUEUED:
        raise PrintJobError("print job {job_id}: its journal entry is missing", job_id=job_id)
    doc = _document_from_payload(job["doc_type"], entry.data["document"])
    return dataclasses.replace(doc, copy_number=copy_number)


# --- jobs --------------------------------------------------------------------------------


def get_job(station, job_id: str) -> dict:
    job = print_reads.print_job(station.db, job_id)
    if job is None:
        raise PrintJobError("no print job {job_id}; see 'counter print queue --all'", job_id=job_id)
    return job


def list_jobs(station, outstanding_only: bool = True, limit: int = 200) -> list[dict]:
    """Jobs newest first; by default only those not printed (queued, failed, unconfirmed)."""
    return print_reads.print_jobs(station.db, outstanding_only=outstanding_only, limit=limit)


def _queue(station, doc_type: str, doc: Receipt | Certificate, clerk_id: str | None, printer: str) -> str:
    job_id = journal.new_id()[:12]
    kind = doc.service if isinstance(doc, Receipt) else doc.kind
    station.record(kinds.PRINT_QUEUED, {
        "job_id": job_id, "doc_type": doc_type, "doc_kind": kind, "number": doc.number,
        "printer": printer, "document": dataclasses.asdict(doc),
    }, clerk_id=clerk_id)
    return job_id


def _printer_label(station) -> str:
    section = station.config.section("printer")
    return f"{section['kind']}:{section['model']}"


def _refused_for_glyphs(station, job_id: str, doc, clerk_id: str | None, copy_number: int) -> PrintResult | None:
    """A document with a character no installed font has would print a blank box (tofu) in its place:
    refuse it before it prints. The job stays queued, so it prints once the font is installed. The
    journal names the code points only, not the text around them."""
    from printing import fonts

    missing = fonts.missing_glyphs(fonts.text_of(dataclasses.asdict(doc)))
    if not missing:
        return None
    message = str(fonts.GlyphMissing(missing))
    station.record(kinds.PRINT_FAILED, {"job_id": job_id, "copy_number": copy_number, "result": "failed",
                                    "message": message,
                                    "missing_code_points": [f"U+{ord(c):04X}" for c in missing]}, clerk_id=clerk_id)
    return PrintResult(job_id, "failed", False, message, copy_number, missing_glyphs=tuple(missing))


def _send_receipt(station, job_id: str, doc: Receipt, clerk_id: str | None, copy_number: int) -> PrintResult:
    from printing.receipt import render_receipt

    refused = _refused_for_glyphs(station, job_id, doc, clerk_id, copy_number)
    if refused is not None:
        return refused

    settings = printer_settings(station)
    data = render_receipt(doc, printer_model(station))
    done_kind = kinds.PRINT_REPRINTED if copy_number > 0 else kinds.PRINT_PRINTED
    try:
        outcome = send_job(settings, data, title=f"{doc.service} {doc.number}")
    except PrinterError as exc:
        message = str(exc)
        station.record(kinds.PRINT_FAILED, {"job_id": job_id, "copy_number": copy_number, "result": "failed",
                                        "message": message}, clerk_id=clerk_id)
        return PrintResult(job_id, "failed", False, message, copy_number)
    if outcome.confirmed:
        station.record(done_kind, {"job_id": job_id, "copy_number": copy_number, "message": outcome.message},
                       clerk_id=clerk_id)
        return PrintResult(job_id, "printed", True, outcome.message, copy_number)
    station.record(kinds.PRINT_FAILED, {"job_id": job_id, "copy_number": copy_number, "result": "unconfirmed",
                                    "message": outcome.message}, clerk_id=clerk_id)
    return PrintResult(job_id, "unconfirmed", False, outcome.message, copy_number)


def _write_certificate(station, job_id: str, doc: Certificate, clerk_id: str | None, copy_number: int,
                       out_dir: Path) -> PrintResult:
    from counter import files
    from printing.certificate import render_certificate

    refused = _refused_for_glyphs(station, job_id, doc, clerk_id, copy_number)
    if refused is not None:
        return refused
    data = render_certificate(doc)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", doc.number) or job_id
    path = Path(out_dir) / (f"{safe}-copy{copy_number}.pdf" if copy_number else f"{safe}.pdf")
    done_kind = kinds.PRINT_REPRINTED if copy_number > 0 else kinds.PRINT_PRINTED
    try:
        files.write_atomic(path, data)  # 0600: a certificate carries the person's data
    except OSError as exc:
        message = f"cannot write the certificate PDF to {path.parent} ({exc.strerror or exc})"
        station.record(kinds.PRINT_FAILED, {"job_id": job_id, "copy_number": copy_number, "result": "failed",
                                        "message": message}, clerk_id=clerk_id)
        return PrintResult(job_id, "failed", False, message, copy_number)
    station.record(done_kind, {"job_id": job_id, "copy_number": copy_number, "message": "PDF written",
                               "output": str(path)}, clerk_id=clerk_id)
    return PrintResult(job_id, "printed", True, "PDF written", copy_number, str(path))


def print_receipt(station, receipt: Receipt, clerk_id: str | None) -> PrintResult:
    """Queue, print and confirm a receipt. Never raises for printer trouble: the result says what
    happened, and a job that failed or was not confirmed stays in the queue for retry."""
    doc = _prepare_receipt(station, receipt)
    printer_model(station)  # a bad model is a configuration error: say so before journaling
    job_id = _queue(station, "receipt", doc, clerk_id, _printer_label(station))
    return _send_receipt(station, job_id, doc, clerk_id, doc.copy_number)


def print_certificate(station, cert: Certificate, clerk_id: str | None, out_dir: Path | None = None) -> Path:
    """Render the certificate PDF (signed QR added when missing) into out_dir; returns its path.
    Raises PrintJobError when it cannot be written (the job stays queued for retry)."""
    doc = _prepare_certificate(station, cert)
    job_id = _queue(station, "certificate", doc, clerk_id, "pdf")
    result = _write_certificate(station, job_id, doc, clerk_id, doc.copy_number,
                                Path(out_dir or certificate_dir(station)))
    if not result.confirmed:
        raise PrintJobError("{message}; job {job_id} stays queued", message=result.message, job_id=job_id,
                            missing="".join(result.missing_glyphs))
    return Path(result.output)


def retry_job(station, job_id: str, clerk_id: str | None, out_dir: Path | None = None) -> PrintResult:
    """Try an outstanding job again (the original, or the copy whose print failed)."""
    job = get_job(station, job_id)
    if job["state"] == "printed":
        raise PrintJobError("job {job_id} is already printed; use reprint for a copy", job_id=job_id)
    copy_number = job["pending_copy"]
    doc = job_document(station, job_id, copy_number)
    if job["doc_type"] == "certificate":
        target = Path(out_dir) if out_dir else (Path(job["output"]).parent if job["output"] else certificate_dir(station))
        return _write_certificate(station, job_id, doc, clerk_id, copy_number, target)
    return _send_receipt(station, job_id, doc, clerk_id, copy_number)


def reprint_job(station, job_id: str, clerk_id: str | None, out_dir: Path | None = None) -> PrintResult:
    """Print another copy of a printed job, marked 副本/COPY n."""
    job = get_job(station, job_id)
    if job["state"] != "printed":
        raise PrintJobError("job {job_id} has not been printed yet; use retry", job_id=job_id)
    copy_number = job["copies"] + 1
    doc = job_document(station, job_id, copy_number)
    if job["doc_type"] == "certificate":
        target = Path(out_dir) if out_dir else (Path(job["output"]).parent if job["output"] else certificate_dir(station))
        return _write_certificate(station, job_id, doc, clerk_id, copy_number, target)
    return _send_receipt(station, job_id, doc, clerk_id, copy_number)


# --- the screens' door: a finished service's document to paper or PDF ------------------

CERTIFICATE_NOT_WRITTEN = N_("the certificate PDF could not be written; check the certificate folder")


@dataclass(frozen=True)
class Delivery:
    printed: bool
    state: str  # printed | failed | unconfirmed | pdf
    message: str  # an English msgid with {params}, shown through gettext
    job_id: str | None = None
    output: str | None = None


GLYPH_ADVICE = {"package": N_("install the Debian package {package}"),
                "file": N_("put a newer {file} that covers {block} into a folder named by {env}")}


class UnprintableText(CounterError):
    """A report holds a character no installed font has: it would show a blank box (tofu), so nothing is
    written. One line: the character, its code point and block, and what to install."""

    def __init__(self, chars: str):
        from printing import fonts

        ch = chars[0]
        kind, self.advice_params = fonts.advice(ch)
        self.advice_template = GLYPH_ADVICE[kind]
        super().__init__("{char} ({code}, {block}) is in no installed font and would print as a blank box;"
                         " {advice}; nothing was written", char=ch, code=f"U+{ord(ch):04X}",
                         block=fonts.block_of(ch) or "—",
                         advice=self.advice_template.format(**self.advice_params))

    def localized(self, gettext) -> str:
        advice = gettext(self.advice_template).format(**self.advice_params)
        return gettext(self.template).format(**{**self.params, "advice": advice})


@contextmanager
def refusing_unprintable():
    """Around a report's rendering: printing's GlyphMissing becomes the clerk's one line (UnprintableText)."""
    from printing import fonts

    try:
        yield
    except fonts.GlyphMissing as exc:
        raise UnprintableText("".join(exc.chars)) from None


def missing_glyph_message(chars: str) -> str:
    """The refusal in the UI language: the character, its code point and block, and what to install."""
    from printing import fonts

    ch = chars[0]
    kind, params = fonts.advice(ch)
    what = _(GLYPH_ADVICE[kind]).format(**params)
    text = _("{char} ({code}, {block}) is in no installed font and would print as a blank box; {advice}").format(
        char=ch, code=f"U+{ord(ch):04X}", block=fonts.block_of(ch) or "—", advice=what)
    # the screen formats the message with {path}: keep stray braces literal
    return text.replace("{", "{{").replace("}", "}}")


def deliver(station, document, clerk_id: str | None) -> Delivery:
    """Print a Receipt, or write a Certificate's PDF. Blocking: call it from a worker thread."""
    if isinstance(document, Certificate):
        try:
            path = print_certificate(station, document, clerk_id)
        except CounterError as exc:
            # the job stays queued: keep its id so that P retries it. The detail (folder, system
            # error) is English and is in the journal's print.failed entry; the clerk gets a msgid.
            if exc.params.get("missing"):
                return Delivery(False, "failed", missing_glyph_message(exc.params["missing"]),
                                job_id=exc.params.get("job_id"))
            return Delivery(False, "failed", CERTIFICATE_NOT_WRITTEN, job_id=exc.params.get("job_id"))
        return Delivery(True, "pdf", "Certificate PDF written: {path}", output=str(path))
    return _delivery(print_receipt(station, document, clerk_id))


def _delivery(result) -> Delivery:
    message = missing_glyph_message("".join(result.missing_glyphs)) if result.missing_glyphs else result.message
    return Delivery(result.confirmed, result.state, message, job_id=result.job_id, output=result.output)


def retry(station, job_id: str, clerk_id: str | None) -> Delivery:
    result = retry_job(station, job_id, clerk_id)
    if get_job(station, job_id)["doc_type"] == "certificate":
        if result.confirmed:
            return Delivery(True, "pdf", "Certificate PDF written: {path}", job_id=job_id, output=result.output)
        if result.missing_glyphs:
            return _delivery(result)
        return Delivery(False, "failed", CERTIFICATE_NOT_WRITTEN, job_id=job_id)
    return _delivery(result)


# --- samples -------------------------------------------------------------------------------

SAMPLE_NAME = "\U00020BB7田春花·阿依古丽"  # 𠮷 (U+20BB7) is outside GBK: it must come out as a glyph
SAMPLE_ID_FIRST17 = "21010219900307124"


def sample_id_number() -> str:
    from counter.domain.citizen_id import check_character

    return SAMPLE_ID_FIRST17 + check_character(SAMPLE_ID_FIRST17)


def test_receipt(station, clerk_name: str = "") -> Receipt:
    from counter.domain.citizen_id import mask

    now = station.local_now()
    number = f"TEST-{now:%Y%m%d-%H%M%S}"
    masked = mask(sample_id_number())
    return Receipt(
        service="test", title="打印测试 Print test", office=station.config.office, station_id=station.station_id,
        clerk_name=clerk_name or "—", issued_at=f"{now:%Y-%m-%d %H:%M}", applicant_name=SAMPLE_NAME,
        masked_id=masked, number=number,
        lines=[("字符检查：", "，。：；！？（）《》、…—·￥¥ 0123456789 ABC abc"), ("生僻字：", "\U00020BB7 䶮")],
        next_steps="这是打印测试，不是受理回执。若上方姓名中的“\U00020BB7”正确显示且二维码可以扫描，打印机设置正确。",
        collection_date=f"{now:%Y-%m-%d}", entitlements=["社会保险", "公共租赁住房"],
        verification=sign_verification(station, "test", number, masked, f"{now:%Y-%m-%d}"),
    )


def sample_certificate(station) -> Certificate:
    now = station.local_now()
    number = f"SAMPLE-{now:%Y%m%d-%H%M%S}"
    sid = sample_id_number()
    return Certificate(
        kind="residence_certificate", title="居住证明（样本）", number=number, subject_name=SAMPLE_NAME,
        subject_id_number=sid, subject_sex="女", subject_birth_date="1990-03-07",
        office=station.config.office, station_id=station.station_id, issue_date=f"{now:%Y-%m-%d}",
        verification=sign_verification(station, "residence_certificate", number, _masked(sid), f"{now:%Y-%m-%d}"),
    )
