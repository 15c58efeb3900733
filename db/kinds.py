"""Every journal kind, one constant each, with the shape of its payload.

The journal is the truth (docs: "the journal is the truth; the tables are projections"), so its
vocabulary is defined once, here: the services that record entries, the projectors that replay them
(station and HQ), the day figures, the seed and HQ all name kinds through these constants.

A pure leaf module (only `typing`) in db, the lowest room that uses it: db's projectors replay entries by
kind and the layers contract forbids db -> counter, while counter, HQ and the seed may all import db.

Adding a kind: a constant, its payload TypedDict, an entry in PAYLOADS; then its projector, if any.
"""

from typing import Any, NotRequired, TypedDict

# --- station and keys ---------------------------------------------------------------------------
STATION_INITIALIZED = "station.initialized"
KEY_ROTATED = "station.key_rotated"

# --- clerks and sessions -----------------------------------------------------------------------
CLERK_ADDED = "clerk.added"
CLERK_ENABLED = "clerk.enabled"
CLERK_DISABLED = "clerk.disabled"
CLERK_ROLE_CHANGED = "clerk.role_changed"
CLERK_LOCKED_OUT = "clerk.locked_out"
SESSION_SIGNED_IN = "session.signed_in"
SESSION_SIGNED_OUT = "session.signed_out"
SESSION_LOCKED = "session.locked"
SESSION_UNLOCKED = "session.unlocked"
SESSION_PIN_FAILED = "session.pin_failed"
SUPERVISOR_APPROVED = "supervisor.approved"

# --- access to personal data (every opening of a record is journaled) ----------------------------
RECORD_OPENED = "record.opened"
JOURNAL_FULL_ACCESS = "journal.full_access"

# --- services ------------------------------------------------------------------------------------
PERSON_REGISTERED = "person.registered"
SERVICE_PREFIX = "service."  # service.<service id>: one per clerk transaction (see service_kind)
SERVICE_VOIDED = "service.voided"
SERVICE_CORRECTED = "service.corrected"
DOCUMENT_REPRINTED = "document.reprinted"

# --- printing ------------------------------------------------------------------------------------
PRINT_QUEUED = "print.queued"
PRINT_PRINTED = "print.printed"
PRINT_REPRINTED = "print.reprinted"
PRINT_FAILED = "print.failed"

# --- devices and the day -------------------------------------------------------------------------
DEVICES_CHECKED_IN = "devices.checked_in"
DAY_CLOSED = "day.closed"
DAY_CORRECTION = "day.correction"
DAY_EXPORTED = "day.exported"

# --- houses, reporting entities, their reports and residence periods (issue 13) ---------------------
HOUSE_REGISTERED = "house.registered"
HOUSE_UPDATED = "house.updated"
ENTITY_REGISTERED = "entity.registered"
REPORT_FILED = "report.filed"
RESIDENCE_STARTED = "residence.started"
RESIDENCE_ENDED = "residence.ended"

# --- bulk intake of the previous system's permits (art. 13: exchanged free, the period continues) ------
LEGACY_FILE_IMPORTED = "legacy.file_imported"
LEGACY_PERSON_IMPORTED = "legacy.person_imported"
LEGACY_PERMIT_IMPORTED = "legacy.permit_imported"

# --- the district register at the window (a file opened from HQ and adopted here) -------------------
REGISTER_ADOPTED = "register.adopted"

# Amendments are service.* entries by name but not transactions of a service.
AMENDMENTS = (SERVICE_VOIDED, SERVICE_CORRECTED)


def service_kind(service: str) -> str:
    """The kind of a transaction of one service: service.permit_extend."""
    return SERVICE_PREFIX + service


def service_of(kind: str) -> str | None:
    """The service id of a transaction's kind, None for any other kind (amendments included)."""
    if not kind.startswith(SERVICE_PREFIX) or kind in AMENDMENTS:
        return None
    return kind.removeprefix(SERVICE_PREFIX)


# --- payloads ------------------------------------------------------------------------------------
class Approval(TypedDict, total=False):
    approved_by: str  # the supervisor who approved a clerk change (absent for the first supervisor)


class StationInitialized(TypedDict):
    station_id: str
    district: str
    office: str
    key_id: str
    public_key: str


class KeyRotated(TypedDict):
    old_key_id: str
    new_key_id: str
    new_public_key: str
    signature: str  # by the old key over the rotation message


class ClerkAdded(Approval):
    clerk_id: str
    name: str
    role: str


class ClerkActive(Approval):  # clerk.enabled, clerk.disabled
    clerk_id: str
    name: str


class ClerkRoleChanged(Approval):
    clerk_id: str
    name: str
    role: str


class PinFailed(TypedDict):  # session.pin_failed, clerk.locked_out
    clerk_id: str
    purpose: str
    attempt: int


class SessionEvent(TypedDict):  # session.signed_in, signed_out, unlocked
    session_id: str


class SessionLocked(TypedDict):
    session_id: str
    reason: str


class SupervisorApproved(TypedDict):
    supervisor_id: str
    action: str


class RecordOpened(TypedDict):
    record_type: str
    record_id: str
    purpose: str


class JournalFullAccess(TypedDict):
    supervisor_id: str
    after_seq: int
    through_seq: int


class PersonRegistered(TypedDict):
    person_id: str
    doc_type: str
    id_number: str
    name: str
    sex: str
    birth_date: str
    ethnicity: str | None
    nationality: str | None
    household_address: str | None
    phone: str | None
    source: str  # card, sam, manual
    form: dict[str, Any]  # the form spec's id, version and hash


class AllocatedNumber(TypedDict):
    number: str
    kind: str
    day_seq: int


class ServiceDone(TypedDict):  # service.<id>
    service: str
    person_id: str
    name: str
    masked_id: str
    number: str
    numbers: list[AllocatedNumber]
    values: dict[str, Any]
    derived: dict[str, Any]
    late_days: int
    form: dict[str, Any]
    permit_id: NotRequired[str]
    ticket: NotRequired[str]
    old_name: NotRequired[str]  # name_correction
    supervisor_id: NotRequired[str]


class Amendment(TypedDict):  # service.voided, service.corrected
    person_id: str
    name: str
    masked_id: str
    ref_seq: int
    ref_hash: str
    ref_number: str | None
    number: str
    numbers: list[AllocatedNumber]
    supervisor_id: str
    reason: str
    changes: NotRequired[dict[str, Any]]  # service.corrected


class DocumentReprinted(TypedDict):
    ref_seq: int
    ref_hash: str
    number: str
    copy_number: int


class PrintQueued(TypedDict):
    job_id: str
    doc_type: str
    doc_kind: str
    number: str
    printer: str
    document: dict[str, Any]


class PrintDone(TypedDict):  # print.printed, print.reprinted
    job_id: str
    copy_number: int
    message: str
    output: NotRequired[str]  # a PDF's path


class PrintFailed(TypedDict):
    job_id: str
    copy_number: int
    result: str  # failed, unconfirmed
    message: str


class DevicesCheckedIn(TypedDict):
    ok: bool
    reader: dict[str, Any]
    card: dict[str, Any] | None
    printer: dict[str, Any]
    sam: NotRequired[dict[str, Any]]


class DayClosed(TypedDict, total=False):
    # the day's figures (counter/domain/figures.py) are merged in at the top level
    supervisor_id: str
    print_job_types: dict[str, Any]
    at_close: dict[str, Any]


class DayCorrection(TypedDict):
    corrects_seq: int
    corrects_uuid: str
    corrects_hash: str
    corrects_day: str
    corrects_kind: str
    reason: str
    details: dict[str, Any]


class DayExported(TypedDict):
    business_day: str
    file_name: str
    sha256: str
    bytes: int
    first_seq: int
    last_seq: int
    closed: bool
    encrypted: bool


class HouseRegistered(TypedDict):
    house_code: str
    address: str
    house_type: str  # rental, dormitory, work_site, own, other
    capacity: int
    manager_person_id: str  # the landlord or manager, a person on file


class HouseUpdated(TypedDict):
    house_code: str
    address: NotRequired[str]
    house_type: NotRequired[str]
    capacity: NotRequired[int]
    manager_person_id: NotRequired[str]


class EntityRegistered(TypedDict):
    entity_code: str  # unified social credit code (GB 32100), check character verified
    entity_type: str  # employer, job_agency, housing_agency, hotel, hospital, school, shelter
    name: str
    contact_name: str
    contact_phone: str
    address: str


class ReportFiled(TypedDict):
    report_id: str
    reporter_kind: str  # house, entity
    reporter_code: str
    report_type: str  # move_in, move_out, hired, left, guest_in, guest_out
    filed_on: str
    source: str  # window, file
    rows: int
    late_rows: int
    file_sha256: NotRequired[str]
    file_name: NotRequired[str]  # the name only, never a path


class LegacyFileImported(TypedDict):
    import_id: str
    file_sha256: str  # a file imported once: the same bytes again are refused
    file_name: str  # the name only, never a path
    mapping_sha256: str
    rows: int
    approved_by: str  # the supervisor's clerk id (a supervisor.approved entry precedes)


class LegacyPersonImported(TypedDict):
    import_id: str
    source_row: int  # the row number in the legacy file
    person_id: str
    current_address: str
    registration_number: str
    resident_since: str  # the residence continues from here (art. 13)


class LegacyPermitImported(TypedDict):
    import_id: str
    source_row: int
    person_id: str
    permit_id: str  # the legacy permit number
    card_number: str
    validity_years: int
    valid_from: str
    valid_until: str
    address: str


class ResidenceStarted(TypedDict):
    person_id: str
    period_id: str
    started_on: str
    address: str
    house_code: str | None
    entity_code: str | None
    via: str  # window, report, import
    report_id: str | None
    late: bool
    registration: str  # residence, lodging, institution


class ResidenceEnded(TypedDict):
    person_id: str
    period_id: str
    ended_on: str
    reason: str  # moved_away, left_district, report_move_out, report_left
    via: str
    report_id: str | None
    registration: NotRequired[str | None]  # the ended period's (institution: a guest's stay); absent before 2026-12-02


# kind -> its payload's shape (service.<id> kinds: SERVICE_PAYLOAD)
PAYLOADS: dict[str, type] = {
    STATION_INITIALIZED: StationInitialized,
    KEY_ROTATED: KeyRotated,
    CLERK_ADDED: ClerkAdded,
    CLERK_ENABLED: ClerkActive,
    CLERK_DISABLED: ClerkActive,
    CLERK_ROLE_CHANGED: ClerkRoleChanged,
    CLERK_LOCKED_OUT: PinFailed,
    SESSION_PIN_FAILED: PinFailed,
    SESSION_SIGNED_IN: SessionEvent,
    SESSION_SIGNED_OUT: SessionEvent,
    SESSION_UNLOCKED: SessionEvent,
    SESSION_LOCKED: SessionLocked,
    SUPERVISOR_APPROVED: SupervisorApproved,
    RECORD_OPENED: RecordOpened,
    JOURNAL_FULL_ACCESS: JournalFullAccess,
    PERSON_REGISTERED: PersonRegistered,
    SERVICE_VOIDED: Amendment,
    SERVICE_CORRECTED: Amendment,
    DOCUMENT_REPRINTED: DocumentReprinted,
    PRINT_QUEUED: PrintQueued,
    PRINT_PRINTED: PrintDone,
    PRINT_REPRINTED: PrintDone,
    PRINT_FAILED: PrintFailed,
    DEVICES_CHECKED_IN: DevicesCheckedIn,
    DAY_CLOSED: DayClosed,
    DAY_CORRECTION: DayCorrection,
    DAY_EXPORTED: DayExported,
    HOUSE_REGISTERED: HouseRegistered,
    HOUSE_UPDATED: HouseUpdated,
    ENTITY_REGISTERED: EntityRegistered,
    REPORT_FILED: ReportFiled,
    RESIDENCE_STARTED: ResidenceStarted,
    RESIDENCE_ENDED: ResidenceEnded,
    LEGACY_FILE_IMPORTED: LegacyFileImported,
    LEGACY_PERSON_IMPORTED: LegacyPersonImported,
    LEGACY_PERMIT_IMPORTED: LegacyPermitImported,
}
SERVICE_PAYLOAD = ServiceDone


def payload_type(kind: str) -> type | None:
    """The payload shape of a kind, None for a kind this software does not know."""
    if kind in PAYLOADS:
        return PAYLOADS[kind]
    return SERVICE_PAYLOAD if service_of(kind) is not None else None


def missing_keys(kind: str, payload: dict) -> list[str]:
    """The required payload keys an entry of this kind lacks (a check for tests and HQ's ingest)."""
    shape = payload_type(kind)
    if shape is None:
        return []
    return sorted(k for k in getattr(shape, "__required_keys__", ()) if k not in payload)
