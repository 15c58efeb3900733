"""District staff accounts for the HQ dashboard: Argon2id passwords, lockout, sessions, audit.

Kept apart from the station API on purpose: a staff session opens only /dash, a station signature
only /v1. Session tokens are random and stored as their SHA-256 (a copy of the database opens no
session); each session has its own CSRF token for every form.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from counter.errors import ConfigError, CounterError, ValidationError
from counter.hq.store import Store

ROLES = ("viewer", "admin")
MIN_PASSWORD = 12
MAX_FAILED = 5  # wrong passwords before the account locks
LOCKOUT = timedelta(minutes=15)
IDLE = timedelta(minutes=30)  # a session unused this long ends
ABSOLUTE = timedelta(hours=12)  # and none lasts longer than a working day
TOUCH = timedelta(seconds=60)

_hasher = PasswordHasher()  # argon2-cffi's default type is Argon2id (RFC 9106 low-memory profile)
# A hash to verify against when the name is unknown, so a wrong name takes as long as a wrong password.
_DUMMY = _hasher.hash(secrets.token_hex(16))


class StaffError(CounterError):
    pass


@dataclass(frozen=True)
class Staff:
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Session:
    staff: Staff
    csrf: str
    token_hash: str


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _text(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def check_name(name: str) -> str:
    n = (name or "").strip()
    if not n or len(n) > 64 or any(c.isspace() or not c.isprintable() for c in n):
        raise ValidationError("a staff name is 1 to 64 printable characters without spaces", field="name")
    return n


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError("the password needs at least {n} characters", field="password", n=MIN_PASSWORD)
    if len(password) > 256:
        raise ValidationError("the password is longer than 256 characters", field="password")


def add_user(store: Store, name: str, role: str, password: str, now: datetime | None = None) -> Staff:
    name = check_name(name)
    if role not in ROLES:
        raise ValidationError("--role must be viewer or admin", field="role")
    check_password(password)
    digest = _hasher.hash(password)
    with store.transaction() as tx:
        if tx.one("SELECT 1 FROM hq_staff WHERE name = ?", (name,)):
            raise StaffError("a staff account named {name} already exists", name=name)
        tx.execute("INSERT INTO hq_staff (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                   (name, role, digest, _text(_now(now))))
        audit(tx, None, "user.add", f"{name} ({role})", "cli", now)
    return Staff(name, role)


def unlock(store: Store, name: str, now: datetime | None = None) -> None:
    with store.transaction() as tx:
        if not tx.one("SELECT 1 FROM hq_staff WHERE name = ?", (name,)):
            raise StaffError("no staff account named {name}", name=name)
        tx.execute("UPDATE hq_staff SET failed_attempts = 0, locked_until = NULL WHERE name = ?", (name,))
        audit(tx, None, "user.unlock", name, "cli", now)


def list_users(store: Store) -> list[dict]:
    with store.transaction() as tx:
        rows = tx.all("SELECT name, role, failed_attempts, locked_until, created_at FROM hq_staff ORDER BY name")
    return [{"name": r[0], "role": r[1], "failed_attempts": r[2], "locked_until": r[3], "created_at": r[4]}
            for r in rows]


class SignInRefused(StaffError):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason  # bad | locked


def sign_in(store: Store, name: str, password: str, client: str, now: datetime | None = None) -> tuple[str, Session]:
    """Check the password; returns (the session token for the cookie, the session). Raises SignInRefused.

    An unknown name and a wrong password get the same answer. The fifth wrong password in a row
    locks the account for LOCKOUT; while locked even the right password is refused."""
    now = _now(now)
    name = (name or "").strip()[:64]
    with store.transaction() as tx:
        row = tx.one("SELECT role, password_hash, failed_attempts, locked_until, disabled FROM hq_staff"
                     " WHERE name = ?", (name,))
    if row is None:
        try:
            _hasher.verify(_DUMMY, password or "-")
        except VerificationError:
            pass
        with store.transaction() as tx:
            audit(tx, None, "sign_in.failed", "unknown name", client, now)
        raise SignInRefused("bad", "wrong name or password")
    role, digest, failed, locked_until, disabled = row
    if locked_until and _parse(locked_until) > now:
        with store.transaction() as tx:
            audit(tx, name, "sign_in.locked", name, client, now)
        raise SignInRefused("locked", "account locked after too many wrong passwords")
    try:
        ok = not disabled and _hasher.verify(digest, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok:
        failed = (0 if locked_until else failed) + 1
        lock = _text(now + LOCKOUT) if failed >= MAX_FAILED else None
        with store.transaction() as tx:  # committed before the refusal is raised (a raise would roll back)
            tx.execute("UPDATE hq_staff SET failed_attempts = ?, locked_until = ? WHERE name = ?",
                       (0 if lock else failed, lock, name))
            audit(tx, name, "sign_in.failed" if not lock else "sign_in.lockout", name, client, now)
        if lock:
            raise SignInRefused("locked", "account locked after too many wrong passwords")
        raise SignInRefused("bad", "wrong name or password")
    with store.transaction() as tx:
        tx.execute("UPDATE hq_staff SET failed_attempts = 0, locked_until = NULL WHERE name = ?", (name,))
        if _hasher.check_needs_rehash(digest):
            tx.execute("UPDATE hq_staff SET password_hash = ? WHERE name = ?", (_hasher.hash(password), name))
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        token_hash = hashlib.sha256(token.encode()).hexdigest()
        tx.execute("DELETE FROM hq_staff_sessions WHERE expires_at < ?", (_text(now),))
        tx.execute("INSERT INTO hq_staff_sessions (token_hash, name, csrf, created_at, last_seen, expires_at)"
                   " VALUES (?, ?, ?, ?, ?, ?)", (token_hash, name, csrf, _text(now), _text(now), _text(now + ABSOLUTE)))
        audit(tx, name, "sign_in", name, client, now)
    return token, Session(Staff(name, role), csrf, token_hash)


FAILED_SIGN_INS = ("sign_in.failed", "sign_in.lockout", "sign_in.locked")


def parse_signin_rate(rate: str) -> list[tuple[int, int]]:
    """'10/minute;100/hour' (the `limits` library's notation) as [(attempts, seconds)]."""
    from limits import parse_many

    try:
        items = parse_many(rate)
    except ValueError:
        raise ConfigError("--signin-rate {rate!r} is not a rate like '10/minute;100/hour'", rate=rate) from None
    return [(item.amount, item.get_expiry()) for item in items]


def signin_retry_after(store: Store, client: str, windows: list[tuple[int, int]], now: datetime | None = None) -> int:
    """Seconds this client address must wait before its next sign-in (0: it may try now).

    Counted from the audit's failed sign-ins of that address, so every server process and a restart see
    the same count: N failures within a window's seconds close the form to that address until the
    oldest of them leaves the window."""
    if not windows:
        return 0
    now = _now(now)
    longest = max(seconds for _, seconds in windows)
    marks = ", ".join("?" * len(FAILED_SIGN_INS))
    with store.transaction() as tx:
        times = [_parse(r[0]) for r in tx.all(
            f"SELECT at FROM hq_staff_audit WHERE client = ? AND at > ? AND action IN ({marks})"
            " ORDER BY at DESC LIMIT ?",
            (client[:64], _text(now - timedelta(seconds=longest)), *FAILED_SIGN_INS,
             max(amount for amount, _ in windows)))]
    wait = 0.0
    for amount, seconds in windows:
        recent = [t for t in times if t > now - timedelta(seconds=seconds)]
        if len(recent) >= amount:
            wait = max(wait, (recent[amount - 1] + timedelta(seconds=seconds) - now).total_seconds())
    return math.ceil(wait) if wait > 0 else 0


def note_rate_limited(store: Store, client: str, now: datetime | None = None) -> None:
    """Audit a refusal by the per-address limit, once a minute per address: a flood of refused posts must
    not grow the audit as fast as it arrives."""
    now = _now(now)
    with store.transaction() as tx:
        if not tx.one("SELECT 1 FROM hq_staff_audit WHERE client = ? AND at > ? AND action = 'sign_in.rate_limited'"
                      " LIMIT 1", (client[:64], _text(now - timedelta(minutes=1)))):
            audit(tx, None, "sign_in.rate_limited", "sign-in form", client, now)


def session_of(store: Store, token: str | None, now: datetime | None = None) -> Session | None:
    """The live session for a cookie's token, its idle clock reset; None when absent, idle or expired."""
    if not token or len(token) > 100:
        return None
    now = _now(now)
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    with store.transaction() as tx:
        row = tx.one("SELECT s.name, s.csrf, s.last_seen, s.expires_at, u.role, u.disabled FROM hq_staff_sessions s"
                     " JOIN hq_staff u ON u.name = s.name WHERE s.token_hash = ?", (token_hash,))
        if row is None:
            return None
        name, csrf, last_seen, expires_at, role, disabled = row
        if disabled or _parse(expires_at) <= now or _parse(last_seen) + IDLE <= now:
            tx.execute("DELETE FROM hq_staff_sessions WHERE token_hash = ?", (token_hash,))
            return None
        if now - _parse(last_seen) > TOUCH:  # a write per page only once a minute: the idle clock needs no more
            tx.execute("UPDATE hq_staff_sessions SET last_seen = ? WHERE token_hash = ?", (_text(now), token_hash))
    return Session(Staff(name, role), csrf, token_hash)


def sign_out(store: Store, session: Session, client: str) -> None:
    with store.transaction() as tx:
        tx.execute("DELETE FROM hq_staff_sessions WHERE token_hash = ?", (session.token_hash,))
        audit(tx, session.staff.name, "sign_out", session.staff.name, client)


def audit(tx, name: str | None, action: str, target: str, client: str, now: datetime | None = None) -> None:
    """Who did or viewed what, when, from where. Targets name pages and filters, never a person."""
    tx.execute("INSERT INTO hq_staff_audit (at, name, action, target, client) VALUES (?, ?, ?, ?, ?)",
               (_text(_now(now)), name, action, target[:300], client[:64]))


def audit_log(store: Store, limit: int = 200) -> list[tuple]:
    with store.transaction() as tx:
        return tx.all("SELECT at, name, action, target, client FROM hq_staff_audit ORDER BY audit_id DESC LIMIT ?",
                      (limit,))
