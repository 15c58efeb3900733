"""Once a station has a supervisor, changes to its clerks need a supervisor's PIN, and the approver is journaled."""

import json
import sqlite3

import pytest

SUP, SUP_PIN = "王芳", "246810"


@pytest.fixture
def staffed(cli, tmp_path):
    d = tmp_path / "st"
    assert cli("init", "--data-dir", str(d), "--station-id", "S-01", "--district", "210102",
               "--office", "和平区大厅").returncode == 0
    # the first supervisor of a fresh station needs no approval
    r = cli("clerk", "add", SUP, "--role", "supervisor", "--pin-stdin", "--data-dir", str(d), input=SUP_PIN + "\n")
    assert r.returncode == 0, r.stderr
    return d


def _journal(d) -> list[tuple[str, str | None, dict]]:
    conn = sqlite3.connect(d / "station.db")
    rows = conn.execute("SELECT kind, clerk_id, payload FROM journal ORDER BY seq").fetchall()
    conn.close()
    return [(k, c, json.loads(p)) for k, c, p in rows]


def _clerks(cli, d) -> dict[str, dict]:
    return {c["name"]: c for c in json.loads(cli("clerk", "list", "--json", "--data-dir", str(d)).stdout)}


def test_adding_a_clerk_without_a_supervisor_is_refused(cli, staffed):
    before = _journal(staffed)
    for role in ("clerk", "supervisor"):
        r = cli("clerk", "add", "入侵者", "--role", role, "--pin-stdin", "--data-dir", str(staffed), input="1234\n")
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--supervisor" in r.stderr
    assert _journal(staffed) == before and set(_clerks(cli, staffed)) == {SUP}


def test_a_wrong_supervisor_pin_adds_nothing(cli, staffed):
    r = cli("clerk", "add", "李娜", "--supervisor", SUP, "--pin-stdin", "--data-dir", str(staffed),
            input="000000\n1234\n")
    assert r.returncode != 0 and "wrong PIN" in r.stderr and r.stderr.count("\n") == 1
    assert set(_clerks(cli, staffed)) == {SUP}
    assert [k for k, _, _ in _journal(staffed)][-1] == "session.pin_failed"


def test_a_clerk_cannot_approve(cli, staffed):
    sup = ("--supervisor", SUP, "--pin-stdin", "--data-dir", str(staffed))
    assert cli("clerk", "add", "李娜", *sup, input=f"{SUP_PIN}\n1357\n").returncode == 0
    r = cli("clerk", "add", "赵强", "--supervisor", "李娜", "--pin-stdin", "--data-dir", str(staffed),
            input="1357\n2468\n")
    assert r.returncode != 0 and "is not a supervisor" in r.stderr
    assert "赵强" not in _clerks(cli, staffed)


def test_approved_changes_journal_the_approver(cli, staffed):
    sup = ("--supervisor", SUP, "--pin-stdin", "--data-dir", str(staffed))
    sup_id = _clerks(cli, staffed)[SUP]["clerk_id"]
    r = cli("clerk", "add", "阿依古丽·买买提", *sup, input=f"{SUP_PIN}\n1357\n")
    assert r.returncode == 0, r.stderr
    assert cli("clerk", "disable", "阿依古丽·买买提", *sup, input=SUP_PIN + "\n").returncode == 0
    assert cli("clerk", "enable", "阿依古丽·买买提", *sup, input=SUP_PIN + "\n").returncode == 0
    assert cli("clerk", "role", "阿依古丽·买买提", "supervisor", *sup, input=SUP_PIN + "\n").returncode == 0
    listed = _clerks(cli, staffed)
    assert listed["阿依古丽·买买提"]["role"] == "supervisor" and listed["阿依古丽·买买提"]["active"] is True
    tail = _journal(staffed)[-8:]
    assert [k for k, _, _ in tail] == ["supervisor.approved", "clerk.added", "supervisor.approved", "clerk.disabled",
                                       "supervisor.approved", "clerk.enabled", "supervisor.approved",
                                       "clerk.role_changed"]
    for kind, clerk_id, payload in tail:
        assert clerk_id == sup_id
        if kind == "supervisor.approved":
            assert payload["supervisor_id"] == sup_id and payload["action"].startswith("clerk.")
        else:
            assert payload["approved_by"] == sup_id
    # the role change survives a rebuild from the journal
    r = cli("journal", "rebuild", "--data-dir", str(staffed))
    assert r.returncode == 0 and "identical" in r.stdout


def test_disable_and_role_change_need_approval(cli, staffed):
    sup = ("--supervisor", SUP, "--pin-stdin", "--data-dir", str(staffed))
    assert cli("clerk", "add", "李娜", *sup, input=f"{SUP_PIN}\n1357\n").returncode == 0
    for args in (("disable", "李娜"), ("enable", "李娜"), ("role", "李娜", "supervisor")):
        r = cli("clerk", *args, "--data-dir", str(staffed))
        assert r.returncode == 2 and "needs a supervisor's approval" in r.stderr, args
    assert _clerks(cli, staffed)["李娜"] == {**_clerks(cli, staffed)["李娜"], "role": "clerk", "active": True}


def test_the_last_active_supervisor_stays(cli, staffed):
    sup = ("--supervisor", SUP, "--pin-stdin", "--data-dir", str(staffed))
    for args in (("disable", SUP), ("role", SUP, "clerk")):
        r = cli("clerk", *args, *sup, input=SUP_PIN + "\n")
        assert r.returncode == 2 and "last active supervisor" in r.stderr and r.stderr.count("\n") == 1
    assert _clerks(cli, staffed)[SUP]["active"] is True


def test_pins_are_ascii_digits_only(cli, staffed):
    sup = ("--supervisor", SUP, "--pin-stdin", "--data-dir", str(staffed))
    for pin in ("１２３４", "١٢٣٤", "۱۲۳۴", "१२३४"):
        r = cli("clerk", "add", "李娜", *sup, input=f"{SUP_PIN}\n{pin}\n")
        assert r.returncode != 0 and "ASCII 0-9" in r.stderr and r.stderr.count("\n") == 1, pin
    assert "李娜" not in _clerks(cli, staffed)


def test_sign_in_refuses_non_ascii_digits_without_counting_a_failure(station):
    """The TUI's sign-in and unlock call clerks.sign_in / unlock: the same check as the CLI."""
    from counter.errors import SignInError
    from counter.services import clerks

    clerks.add_clerk(station, "𠮷田", "clerk", "1234")
    for pin in ("１２３４", "١٢٣٤"):
        with pytest.raises(SignInError, match="ASCII 0-9"):
            clerks.sign_in(station, "𠮷田", pin)
    (failed,) = station.db.conn.execute("SELECT failed_attempts FROM clerk_credentials").fetchone()
    assert failed == 0
    assert clerks.sign_in(station, "𠮷田", "1234").clerk.name == "𠮷田"


@pytest.mark.parametrize("name", ["Bob\nEve", "A\u202eB", "王\u2066芳", "李\u200f娜", "x\x1b[31m", "a\u2028b",
                                  "x" * 100_000])
def test_clerk_names_refuse_control_and_bidi_characters_and_length(cli, tmp_path, name):
    d = tmp_path / "st"
    assert cli("init", "--data-dir", str(d), "--station-id", "S-01", "--district", "210102",
               "--office", "x").returncode == 0
    r = cli("clerk", "add", name, "--pin-stdin", "--data-dir", str(d), input="1234\n")
    assert r.returncode != 0 and r.stderr.startswith("error: ") and r.stderr.count("\n") == 1
    assert _clerks(cli, d) == {}


def test_clerk_names_keep_rare_characters_and_the_middle_dot(station):
    from counter.errors import ValidationError
    from counter.services import clerks

    assert clerks.add_clerk(station, "𠮷田", "clerk", "1234").name == "𠮷田"
    assert clerks.add_clerk(station, "\ud842\udfb7野", "clerk", "1234").name == "𠮷野"  # a UTF-16 pair joined
    assert clerks.add_clerk(station, "阿依古丽·买买提", "clerk", "1234").name == "阿依古丽·买买提"
    with pytest.raises(ValidationError, match="at most 32"):
        clerks.add_clerk(station, "𠮷" * 33, "clerk", "1234")
    with pytest.raises(ValidationError, match="lone UTF-16 surrogate"):
        clerks.add_clerk(station, "\ud842田", "clerk", "1234")
