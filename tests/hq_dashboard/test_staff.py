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


def test_signin_limit_counts_failures_per_address_from_the_audit(store):
    staff.add_user(store, "a", "viewer", PW)
    windows = staff.parse_signin_rate("3/minute;5/hour")
    assert windows == [(3, 60), (5, 3600)]
    for i in range(3):
        with pytest.raises(staff.SignInRefused):
            staff.sign_in(store, "a" if i else "nobody", "wrong password!", "10.0.0.7", now=T0 + timedelta(seconds=i))
    # the third failure at T0+2 closes the form to that address until T0+60 (the first leaves the window)
    assert staff.signin_retry_after(store, "10.0.0.7", windows, now=T0 + timedelta(seconds=10)) == 50
    assert staff.signin_retry_after(store, "10.0.0.8", windows, now=T0 + timedelta(seconds=10)) == 0
    assert staff.signin_retry_after(store, "10.0.0.7", windows, now=T0 + timedelta(seconds=61)) == 0
    # a successful sign-in is not a failure: it does not count
    staff.sign_in(store, "a", PW, "10.0.0.7", now=T0 + timedelta(seconds=70))
    assert staff.signin_retry_after(store, "10.0.0.7", windows, now=T0 + timedelta(seconds=71)) == 0
    # the hour's window: five failures within the hour close it until the oldest is an hour old
    staff.unlock(store, "a")
    for i in range(2):
        with pytest.raises(staff.SignInRefused):
            staff.sign_in(store, "a", "wrong password!", "10.0.0.7", now=T0 + timedelta(seconds=200 + i))
    assert staff.signin_retry_after(store, "10.0.0.7", windows, now=T0 + timedelta(seconds=300)) == 3300


def test_signin_rate_that_is_not_a_rate_is_one_line(tmp_path):
    from counter.errors import ConfigError

    with pytest.raises(ConfigError, match="not a rate"):
        staff.parse_signin_rate("lots")
    r = run_cli("hq", "serve", "--db", f"sqlite:///{tmp_path / 'hq.db'}", "--key-dir", str(tmp_path / "k"),
                "--signin-rate", "lots")
    assert r.returncode != 0 and "--signin-rate 'lots' is not a rate" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
