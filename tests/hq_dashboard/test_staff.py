"""Staff accounts, sessions and the HQ migration, without a browser (the browser tests are test_browser.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from counter.errors import ValidationError
from counter.hq import staff
from counter.hq.store import SCHEMA_VERSION, open_store, schema_statements
from tests.conftest import run_cli

T0 = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
PW = "correct horse battery"


@pytest.fixture
def store(tmp_path):
    s = open_store(f"sqlite:///{tmp_path / 'hq.db'}")
    s.init_schema()
    return s


def test_passwords_are_argon2id_and_checked(store):
    staff.add_user(store, "a", "viewer", PW)
    with store.transaction() as tx:
        digest = tx.one("SELECT password_hash FROM hq_staff WHERE name = 'a'")[0]
    assert digest.startswith("$argon2id$") and PW not in digest
    with pytest.raises(ValidationError):
        staff.add_user(store, "b", "viewer", "short")
    with pytest.raises(ValidationError):
        staff.add_user(store, "c", "root", PW)


def test_session_idle_and_absolute_expiry(store):
    staff.add_user(store, "a", "admin", PW)
    token, session = staff.sign_in(store, "a", PW, "127.0.0.1", now=T0)
    assert staff.session_of(store, token, now=T0 + timedelta(minutes=29)).staff.name == "a"
    # used at 29 min: the idle clock restarts, so 58 min is still fine
    assert staff.session_of(store, token, now=T0 + timedelta(minutes=58)) is not None
    assert staff.session_of(store, token, now=T0 + timedelta(minutes=58 + 31)) is None  # idle
    token, _ = staff.sign_in(store, "a", PW, "127.0.0.1", now=T0)
    t = T0
    while t + timedelta(minutes=20) < T0 + timedelta(hours=11, minutes=50):
        t += timedelta(minutes=20)
        assert staff.session_of(store, token, now=t) is not None
    assert staff.session_of(store, token, now=T0 + timedelta(hours=12, minutes=1)) is None  # absolute
    assert staff.session_of(store, "forged", now=T0) is None


def test_tokens_are_stored_hashed(store):
    staff.add_user(store, "a", "viewer", PW)
    token, _ = staff.sign_in(store, "a", PW, "127.0.0.1", now=T0)
    with store.transaction() as tx:
        stored = [r[0] for r in tx.all("SELECT token_hash FROM hq_staff_sessions")]
    assert token not in stored and len(stored[0]) == 64


def test_lockout_expires_after_its_time(store):
    staff.add_user(store, "a", "viewer", PW)
    for _ in range(5):
        with pytest.raises(staff.SignInRefused) as exc:
            staff.sign_in(store, "a", "wrong", "x", now=T0)
    assert exc.value.reason == "locked"
    with pytest.raises(staff.SignInRefused):
        staff.sign_in(store, "a", PW, "x", now=T0 + timedelta(minutes=14))
    staff.sign_in(store, "a", PW, "x", now=T0 + timedelta(minutes=16))


def test_unknown_name_and_wrong_password_read_the_same(store):
    staff.add_user(store, "a", "viewer", PW)
    messages = set()
    for name, pw in (("a", "wrong"), ("nobody", "wrong")):
        with pytest.raises(staff.SignInRefused) as exc:
            staff.sign_in(store, name, pw, "x", now=T0)
        messages.add((exc.value.reason, str(exc.value)))
    assert len(messages) == 1


def test_the_dashboard_migration_upgrades_the_database_before_it(tmp_path):
    from counter.hq import migrations

    s = open_store(f"sqlite:///{tmp_path / 'old.db'}")
    dashboard = next(m for m in migrations.all_migrations() if m.name.endswith("_dashboard"))
    with s.transaction() as tx:
        for statement in schema_statements("sqlite"):
            tx.execute(statement)
        for m in migrations.all_migrations():
            if migrations.BASELINE_VERSION < m.version < dashboard.version:
                m.upgrade(tx)
        tx.execute("UPDATE hq_meta SET value = ? WHERE key = 'schema_version'", (str(dashboard.version - 1),))
        assert tx.one("SELECT count(*) FROM sqlite_master WHERE name = 'hq_staff'")[0] == 0
    with pytest.raises(Exception, match="counter hq migrate"):
        s.require_schema()
    s.init_schema()
    s.require_schema()
    assert s.schema_version() == SCHEMA_VERSION
    staff.add_user(s, "a", "viewer", PW)


def test_cli_user_add_list_unlock(store, tmp_path):
    url = store.url
    r = run_cli("hq", "user", "add", "王科员", "--db", url, "--role", "viewer", "--password-stdin", input=PW + "\n")
    assert r.returncode == 0, r.stderr
    r = run_cli("hq", "user", "add", "王科员", "--db", url, "--password-stdin", input=PW + "\n")
    assert r.returncode != 0 and r.stderr.startswith("error:") and len(r.stderr.strip().splitlines()) == 1
    r = run_cli("hq", "user", "add", "x", "--db", url, "--password-stdin", input="short\n")
    assert r.returncode != 0 and "12" in r.stderr
    r = run_cli("hq", "user", "list", "--db", url, "--json")
    assert '"王科员"' in r.stdout and "argon2" not in r.stdout
    assert run_cli("hq", "user", "unlock", "nobody", "--db", url).returncode != 0
