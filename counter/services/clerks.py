"""Clerks and sign-in: PINs hashed with Argon2id, roles, lockout, sessions, record access."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from counter.errors import CounterError, PermissionDenied, SignInError, ValidationError
from counter.station import Station
from db import kinds
from db.connection import write_transaction
from db.projectors import core as core_reads

ROLES = ("clerk", "supervisor")
# ASCII digits only: `\d` would also take full-width (１２３４) and Arabic-Indic (١٢٣٤) digits, which a
# keypad cannot type and Argon2 hashes as different bytes.
PIN_PATTERN = re.compile(r"[0-9]{4,12}")
MAX_CLERK_NAME = 32  # characters; a name is what a clerk types at sign-in
_hasher = PasswordHasher()  # Argon2id, memory-hard


@dataclass(frozen=True)
class Clerk:
    clerk_id: str
    name: str
    role: str
    active: bool

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"


@dataclass(frozen=True)
class Session:
    session_id: str
    clerk: Clerk


def _clerk_from_row(row) -> Clerk:
    return Clerk(row[0], row[1], row[2], bool(row[3]))


def find_clerk(station: Station, name: str) -> Clerk | None:
    row = core_reads.clerk_by_name(station.db, name)
    return _clerk_from_row(row) if row else None


def list_clerks(station: Station) -> list[Clerk]:
    return [_clerk_from_row(r) for r in core_reads.all_clerks(station.db)]


def check_pin_format(pin: str) -> None:
    """The one PIN check: `clerk add`, the CLI's --pin-stdin and the TUI's sign-in and unlock all come here."""
    if not isinstance(pin, str) or PIN_PATTERN.fullmatch(pin) is None:
        raise ValidationError("a PIN is 4 to 12 digits, ASCII 0-9 only", field="pin")


def check_clerk_name(name: str) -> str:
    """A clerk's name as stored: trimmed, NFC, no control or bidi characters, at most MAX_CLERK_NAME long."""
    from counter.domain.names import refuse_hidden_characters

    name = refuse_hidden_characters(name or "", field="name").strip()
    if not name:
        raise ValidationError("a clerk needs a name", field="name")
    if len(name) > MAX_CLERK_NAME:
        raise ValidationError("a clerk's name has at most {n} characters", field="name", n=MAX_CLERK_NAME)
    return name


def has_supervisor(station: Station) -> bool:
    """Whether an active supervisor exists: from then on, changes to clerks need one's approval."""
    return core_reads.active_supervisors(station.db) > 0


def approve_clerk_change(station: Station, supervisor: str | None, pin: str | None, action: str) -> Clerk | None:
    """The approving supervisor for a change to the clerks, or None on a station that has none yet.

    The first supervisor of a fresh station is added without approval; after that, every add, enable,
    disable and role change needs a supervisor's PIN (checked and journaled as supervisor.approved).
    """
    if not has_supervisor(station):
        return None
    if not supervisor:
        raise PermissionDenied("this station has a supervisor: {action} needs a supervisor's approval;"
                               " pass --supervisor NAME", exit_code=2, action=action)
    return authorize_supervisor(station, supervisor, pin or "", action)


def _approval(approved_by: Clerk | None) -> dict:
    return {"approved_by": approved_by.clerk_id} if approved_by else {}


def refuse_losing_last_supervisor(station: Station, clerk: Clerk) -> None:
    others = core_reads.active_supervisors(station.db, besides=clerk.clerk_id)
    if clerk.is_supervisor and clerk.active and not others:
        raise PermissionDenied("{name} is the station's last active supervisor; add or enable another"
                               " supervisor first", exit_code=2, name=clerk.name)


def hash_pin(pin: str) -> str:
    """The Argon2id hash stored for a PIN (memory-hard: most of a second, on purpose)."""
    return _hasher.hash(pin)


def add_clerk(station: Station, name: str, role: str, pin: str, by: str | None = None,
              approved_by: Clerk | None = None, pin_hash: str | None = None) -> Clerk:
    """pin_hash: a hash_pin(pin) made before, for the demo, whose PINs are public and whose fresh
    stations would otherwise spend most of their start hashing them again."""
    name = check_clerk_name(name)
    if role not in ROLES:
        raise ValidationError("role must be clerk or supervisor", field="role")
    check_pin_format(pin)
    if find_clerk(station, name):
        raise CounterError("a clerk named {name} already exists", exit_code=2, name=name)
    clerk_id = uuid.uuid4().hex[:12]
    if pin_hash is None or not pin_hash.startswith("$argon2id$"):
        pin_hash = _hasher.hash(pin)

    def store_credentials(db, entry) -> None:
        core_reads.store_pin(db, clerk_id, pin_hash)

    station.record(kinds.CLERK_ADDED, {"clerk_id": clerk_id, "name": name, "role": role, **_approval(approved_by)},
                   clerk_id=by, extra=store_credentials)
    return Clerk(clerk_id, name, role, True)


def has_pin(station: Station, clerk_id: str) -> bool:
    return core_reads.has_pin(station.db, clerk_id)


def supervisor_with_pin(station: Station) -> bool:
    """An active supervisor who can sign in here (a station restored from HQ has none at first)."""
    return core_reads.supervisor_with_pin(station.db)


def set_missing_pin(station: Station, name: str, pin: str, approved_by: Clerk | None = None) -> Clerk:
    """Give a PIN to a clerk who has none on this PC (PINs never leave a station: after a restore from HQ).

    Once a supervisor here has a PIN, that supervisor approves (the caller checks); journaled as
    `clerk.pin_set` (the PIN itself only as an Argon2id hash in clerk_credentials)."""
    clerk = find_clerk(station, name)
    if clerk is None:
        raise CounterError("no clerk named {name}", name=name)
    if has_pin(station, clerk.clerk_id):
        raise CounterError("{name} already has a PIN on this station", exit_code=2, name=name)
    check_pin_format(pin)
    pin_hash = _hasher.hash(pin)

    def store_credentials(db, entry) -> None:
        core_reads.store_pin(db, clerk.clerk_id, pin_hash)

    station.record("clerk.pin_set", {"clerk_id": clerk.clerk_id, **_approval(approved_by)},
                   clerk_id=approved_by and approved_by.clerk_id, extra=store_credentials)
    return clerk


def set_active(station: Station, name: str, active: bool, by: str | None = None,
               approved_by: Clerk | None = None) -> Clerk:
    clerk = find_clerk(station, name)
    if clerk is None:
        raise CounterError("no clerk named {name}", name=name)
    if not active:
        refuse_losing_last_supervisor(station, clerk)

    def reset(db, entry) -> None:
        if active:
            core_reads.clear_pin_failures(db, clerk.clerk_id)

    station.record(kinds.CLERK_ENABLED if active else kinds.CLERK_DISABLED,
                   {"clerk_id": clerk.clerk_id, "name": name, **_approval(approved_by)}, clerk_id=by, extra=reset)
    return Clerk(clerk.clerk_id, clerk.name, clerk.role, active)


def set_role(station: Station, name: str, role: str, by: str | None = None,
             approved_by: Clerk | None = None) -> Clerk:
    """Make a clerk a supervisor or a supervisor a clerk; the last active supervisor stays one."""
    if role not in ROLES:
        raise ValidationError("role must be clerk or supervisor", field="role")
    clerk = find_clerk(station, name)
    if clerk is None:
        raise CounterError("no clerk named {name}", name=name)
    if clerk.role == role:
        raise CounterError("{name} is already a {role}", exit_code=2, name=name, role=role)
    if role != "supervisor":
        refuse_losing_last_supervisor(station, clerk)
    station.record(kinds.CLERK_ROLE_CHANGED,
                   {"clerk_id": clerk.clerk_id, "name": clerk.name, "role": role, **_approval(approved_by)},
                   clerk_id=by)
    return Clerk(clerk.clerk_id, clerk.name, role, clerk.active)


def _check_pin(station: Station, clerk: Clerk, pin: str, purpose: str) -> None:
    """Verify a PIN, counting failures and locking the clerk after too many."""
    try:
        check_pin_format(pin)
    except ValidationError:
        # not a PIN at all (e.g. full-width digits from an IME): refused before Argon2, not counted
        raise SignInError("a PIN is 4 to 12 digits, ASCII 0-9 only; switch the input method to half-width") from None
    security = station.config.section("security")
    now = datetime.now(UTC)
    row = core_reads.pin_state(station.db, clerk.clerk_id)
    if row is None:
        raise SignInError("unknown clerk or wrong PIN")
    pin_hash, failed, locked_until = row
    if locked_until and datetime.fromisoformat(locked_until) > now:
        raise SignInError("{name} is locked after too many wrong PINs; try again after {time} or ask a supervisor",
                          name=clerk.name,
                          # the station's clock, as on its receipts, not the machine's time zone
                          time=datetime.fromisoformat(locked_until).astimezone(ZoneInfo(station.config.timezone))
                          .strftime("%H:%M"))
    try:
        _hasher.verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        failed += 1
        lock = failed >= security["max_failed_pins"]
        until = (now + timedelta(minutes=security["pin_lockout_minutes"])).isoformat() if lock else None

        def count_failure(db, entry) -> None:
            core_reads.set_pin_failures(db, clerk.clerk_id, 0 if lock else failed, until)

        station.record(kinds.CLERK_LOCKED_OUT if lock else kinds.SESSION_PIN_FAILED,
                       {"clerk_id": clerk.clerk_id, "purpose": purpose, "attempt": failed},
                       clerk_id=clerk.clerk_id, extra=count_failure)
        if lock:
            raise SignInError("too many wrong PINs: {name} is locked for {minutes} minutes",
                              name=clerk.name, minutes=security["pin_lockout_minutes"]) from None
        left = security["max_failed_pins"] - failed
        raise SignInError("wrong PIN; {left} attempts left", left=left) from None
    if failed:
        with write_transaction(station.db):
            core_reads.clear_pin_failures(station.db, clerk.clerk_id)


def _active_clerk(station: Station, name: str) -> Clerk:
    clerk = find_clerk(station, (name or "").strip())
    if clerk is None:
        raise SignInError("unknown clerk or wrong PIN")
    if not clerk.active:
        raise SignInError("{name} is disabled; ask a supervisor", name=clerk.name)
    return clerk


def sign_in(station: Station, name: str, pin: str) -> Session:
    clerk = _active_clerk(station, name)
    _check_pin(station, clerk, pin, "sign_in")
    session = Session(uuid.uuid4().hex, clerk)
    station.record(kinds.SESSION_SIGNED_IN, {"session_id": session.session_id}, clerk_id=clerk.clerk_id)
    return session


def sign_out(station: Station, session: Session) -> None:
    station.record(kinds.SESSION_SIGNED_OUT, {"session_id": session.session_id}, clerk_id=session.clerk.clerk_id)


def lock(station: Station, session: Session, reason: str = "idle") -> None:
    station.record(kinds.SESSION_LOCKED, {"session_id": session.session_id, "reason": reason},
                   clerk_id=session.clerk.clerk_id)


def unlock(station: Station, session: Session, pin: str) -> None:
    """Only the signed-in clerk's own PIN unlocks; the work in progress stays."""
    _check_pin(station, session.clerk, pin, "unlock")
    station.record(kinds.SESSION_UNLOCKED, {"session_id": session.session_id}, clerk_id=session.clerk.clerk_id)


def authorize_supervisor(station: Station, name: str, pin: str, action: str, by: Session | None = None) -> Clerk:
    """A supervisor's PIN for an approval (correction, void, name change, failed card)."""
    clerk = _active_clerk(station, name)
    if not clerk.is_supervisor:
        raise PermissionDenied("{name} is not a supervisor", name=clerk.name)
    _check_pin(station, clerk, pin, f"approve:{action}")
    station.record(kinds.SUPERVISOR_APPROVED, {"supervisor_id": clerk.clerk_id, "action": action},
                   clerk_id=by.clerk.clerk_id if by else clerk.clerk_id)
    return clerk


def open_record(station: Station, session: Session | None, record_type: str, record_id: str,
                purpose: str = "view") -> None:
    """Every opening of a person's record is logged: who, when, which record."""
    station.record(kinds.RECORD_OPENED, {"record_type": record_type, "record_id": record_id, "purpose": purpose},
                   clerk_id=session.clerk.clerk_id if session else None)


def is_locked_out(station: Station, clerk: Clerk) -> bool:
    until = core_reads.locked_until(station.db, clerk.clerk_id)
    return bool(until and datetime.fromisoformat(until) > datetime.now(UTC))
