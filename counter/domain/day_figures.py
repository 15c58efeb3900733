"""The figures of a business day: a pure function of the day's journal entries, no I/O.

The station computes them at the close (counter.services.dayclose) and records them in the close entry;
the district recomputes them from a day bundle (counter.sync.bundle) and checks them against that entry.

How other areas' journal kinds are read is kept in the small classifying functions below: that is the
one place to change when a kind is renamed. Kinds are named through db.kinds, the journal's vocabulary
(a pure leaf module; the pure-domain contract lets this module import it and nothing else of db).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from counter.errors import ValidationError
from db import kinds

CLOSE_KIND = kinds.DAY_CLOSED
CORRECTION_KIND = kinds.DAY_CORRECTION
FIGURES_VERSION = 1

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# The services area records one entry per clerk action: kind "service.<service>", payload
# {"service", "person_id", "number", "late_days", ...}; a void is "service.voided" and a
# correction "service.corrected", both with "ref_seq" pointing at the original.
SERVICE_PREFIX = kinds.SERVICE_PREFIX
VOID_KINDS = (kinds.SERVICE_VOIDED,)
CORRECTION_KINDS = (kinds.SERVICE_CORRECTED, CORRECTION_KIND)

# The printing area journals a job once (print.queued {job_id, doc_type, ...}) and then each
# attempt: print.printed (the original came out), print.reprinted (a copy n came out),
# print.failed (result "failed" or "unconfirmed"). See db/projectors/printing.py.
PRINT_QUEUED = kinds.PRINT_QUEUED
PRINT_STATES = {kinds.PRINT_QUEUED: "queued", kinds.PRINT_PRINTED: "printed", kinds.PRINT_REPRINTED: "reprinted",
                kinds.PRINT_FAILED: "failed"}


# --- reading other areas' kinds (swap here when their names settle) ----------------------------

def is_transaction(kind: str) -> bool:
    """A service done for a person (voids and corrections are counted on their own)."""
    return kind.startswith(SERVICE_PREFIX) and kind not in VOID_KINDS and kind not in CORRECTION_KINDS


def service_of(kind: str, data: dict) -> str:
    """The service an entry belongs to: the payload's `service` if it names one, else the kind's tail."""
    service = data.get("service")
    return service if isinstance(service, str) and service else kind.removeprefix(SERVICE_PREFIX)


def is_late(data: dict) -> bool:
    """A registration or change reported after its deadline (accepted and flagged, never refused)."""
    late_days = data.get("late_days")
    return (isinstance(late_days, int) and late_days > 0) or data.get("late") is True


def is_void(kind: str) -> bool:
    return kind in VOID_KINDS


def is_certificate_issue(kind: str, data: dict, certificates: Collection[str]) -> bool:
    """`certificates`: the services that issue a certificate (counter.forms.registry.certificate_services)."""
    return is_transaction(kind) and service_of(kind, data) in certificates


def job_type(queued: dict) -> str:
    """What a queued print job counts as: its document type, except that `counter print test` pages
    (doc_kind "test", printed as receipts) are no citizen's receipt."""
    return "test" if queued.get("doc_kind") == "test" else str(queued.get("doc_type") or "")


def print_event(kind: str, data: dict) -> tuple[str, str] | None:
    """(job_id, state) for a print entry, or None."""
    state = PRINT_STATES.get(kind)
    job = data.get("job_id")
    if state is None or not isinstance(job, str):
        return None
    return job, state


def jobs_queued_earlier(entries: Iterable[Any]) -> list[str]:
    """The print jobs these entries (db.entry.Entry) print or reprint but did not queue themselves, sorted."""
    queued, wanted = set(), set()
    for e in entries:
        if e.kind.startswith("print."):
            event = print_event(e.kind, e.data)
            if event is not None:
                (queued if event[1] == "queued" else wanted).add(event[0])
    return sorted(wanted - queued)


def job_types_of(queued_payloads: dict[str, str]) -> dict[str, str]:
    """{job_id: document type} from the print.queued payloads (JSON text) of those jobs."""
    return {job: job_type(json.loads(payload)) for job, payload in queued_payloads.items()}


# --- the day's figures ------------------------------------------------------------------------------

def parse_day(text: str) -> str:
    if not isinstance(text, str) or not _DAY.match(text):
        # exit 2 like every other bad option value
        raise ValidationError("a day is written YYYY-MM-DD, e.g. 2026-11-21; got {text!r}", field="date", text=text,
                              exit_code=2)
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValidationError("{text} is not a calendar date", field="date", text=text, exit_code=2) from None


@lru_cache(maxsize=4096)
def _hour_of(utc_minute: str, tz: ZoneInfo) -> int:
    return datetime.fromisoformat(utc_minute).replace(tzinfo=UTC).astimezone(tz).hour


def local_hour(device_time_utc: str, tz: ZoneInfo) -> int:
    """The local hour of a journal timestamp ('2026-11-21T02:15:00.000000Z').

    Zone offsets are whole minutes, so the UTC minute decides it: cached per minute.
    """
    return _hour_of(device_time_utc[:16], tz)


def day_figures(entries: Iterable[Any], day: str, timezone: str, job_types: dict[str, str] | None = None, *,
                certificates: Collection[str]) -> dict:
    """The reconciliation figures of business day `day`, from the journal entries given (Entry or dict).

    Only entries whose business_day is `day` count, and the day's own close
    entry does not. `job_types` gives the document type (receipt, certificate)
    of print jobs queued on an earlier day and printed or reprinted on this one;
    `certificates` the services that issue a certificate.
    Every value is JSON-plain, so the figures go into the close entry and the
    bundle manifest as they are.
    """
    tz = ZoneInfo(timezone)
    by_service: Counter[str] = Counter()
    by_clerk: Counter[str] = Counter()
    by_hour = [0] * 24
    job_type_of = dict(job_types or {})
    job_state: dict[str, str] = {}
    printed: Counter[str] = Counter()  # doc type -> originals printed
    reprinted: Counter[str] = Counter()
    n_entries = transactions = voided = certificates_issued = late = corrections = 0
    first_seq = last_seq = None
    for item in entries:
        e = item if isinstance(item, dict) else item.as_dict()
        if e["business_day"] != day:
            continue
        kind = e["kind"]
        data = _payload(e)
        if kind == CLOSE_KIND and data.get("business_day") == day:
            continue
        n_entries += 1
        first_seq = e["seq"] if first_seq is None else first_seq
        last_seq = e["seq"]
        if kind in CORRECTION_KINDS:
            corrections += 1
        if is_void(kind):
            voided += 1
        if is_certificate_issue(kind, data, certificates):
            certificates_issued += 1
        event = print_event(kind, data)
        if event is not None:
            job_id, state = event
            if state == "queued":
                job_type_of[job_id] = job_type(data)
            job_state[job_id] = state
            if state == "printed":
                printed[job_type_of.get(job_id, "")] += 1
            elif state == "reprinted":
                reprinted[job_type_of.get(job_id, "")] += 1
        if is_transaction(kind):
            transactions += 1
            by_service[service_of(kind, data)] += 1
            by_clerk[e["clerk_id"] or "-"] += 1
            by_hour[local_hour(e["device_time_utc"], tz)] += 1
            if is_late(data):
                late += 1
    return {
        "version": FIGURES_VERSION,
        "business_day": day,
        "entries": n_entries,
        "first_seq": first_seq,
        "last_seq": last_seq,
        "transactions": transactions,
        "by_service": dict(sorted(by_service.items())),
        "by_clerk": dict(sorted(by_clerk.items())),
        "by_hour": by_hour,
        "receipts_printed": printed["receipt"],
        "receipts_reprinted": reprinted["receipt"],
        "receipts_voided": voided,
        "certificates_issued": certificates_issued,
        "print_jobs_failed": sum(1 for state in job_state.values() if state == "failed"),
        "print_jobs_unprinted": sum(1 for state in job_state.values() if state == "queued"),
        "late_registrations": late,
        "corrections": corrections,
    }


def _payload(e: dict) -> dict:
    payload = e["payload"]
    value = json.loads(payload) if isinstance(payload, str) else payload
    return value if isinstance(value, dict) else {}
