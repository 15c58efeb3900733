"""`counter journal show` masks personal data; --full needs a supervisor's PIN and is journaled."""

import json
import re
import sqlite3

import pytest

from counter.services.demo import DEMO_CLERK, DEMO_SUPERVISOR

FULL_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9A-Z])")
# an entry's hashes are hex and monotonic_ns an integer: either can hold 18 digits in a row by chance
NOT_PERSONAL = {"hash", "prev_hash", "monotonic_ns"}


def _full_id_shown(stdout: str) -> bool:
    """Whether any line of `journal show --json` shows an unmasked ID number outside the digests."""
    for line in stdout.splitlines():
        entry = json.loads(line)
        shown = {k: v for k, v in entry.items() if k not in NOT_PERSONAL}
        if FULL_ID.search(json.dumps(shown, ensure_ascii=False)):
            return True
    return False


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    from tests.conftest import run_cli

    d = tmp_path_factory.mktemp("privacy") / "st"
    r = run_cli("demo", "seed", "--count", "12", "--data-dir", str(d))
    assert r.returncode == 0, r.stderr
    conn = sqlite3.connect(d / "station.db")
    people = conn.execute("SELECT id_number, phone, household_address FROM persons").fetchall()
    conn.close()
    assert len(people) >= 5
    return d, people


def _journal_kinds(d) -> list[tuple[str, dict]]:
    conn = sqlite3.connect(d / "station.db")
    rows = conn.execute("SELECT kind, payload FROM journal ORDER BY seq").fetchall()
    conn.close()
    return [(k, json.loads(p)) for k, p in rows]


def test_show_json_masks_id_numbers_phones_and_addresses(cli, seeded):
    d, people = seeded
    r = cli("journal", "show", "--json", "--data-dir", str(d))
    assert r.returncode == 0, r.stderr
    assert not _full_id_shown(r.stdout)
    for id_number, phone, address in people:
        assert id_number not in r.stdout
        if len(id_number) == 18:  # still recognisable to a supervisor
            assert id_number[:6] + "*" * 8 + id_number[-4:] in r.stdout
        if phone:
            assert phone not in r.stdout
        if address:
            assert address not in r.stdout
    # names stay readable: the journal is how an entry is found
    entries = [json.loads(line) for line in r.stdout.splitlines()]
    # a limit beyond the end shows the rest, as before
    r = cli("journal", "show", "--json", "--since", "1", "--limit", "100000", "--data-dir", str(d))
    assert len(r.stdout.splitlines()) == len(entries) - 1 and not _full_id_shown(r.stdout)
    assert any(e["kind"] == "person.registered" and e["payload"]["name"] for e in entries)


def test_full_without_a_supervisor_is_refused_in_one_line(cli, seeded):
    d, people = seeded
    before = len(_journal_kinds(d))
    r = cli("journal", "show", "--json", "--full", "--data-dir", str(d), input="")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1 and "--supervisor" in r.stderr
    assert len(_journal_kinds(d)) == before


@pytest.mark.parametrize(("who", "pin", "message"), [
    (DEMO_SUPERVISOR[0], "0000", "wrong PIN"),
    (DEMO_CLERK[0], DEMO_CLERK[1], "is not a supervisor"),
])
def test_full_with_a_wrong_pin_or_a_clerk_shows_nothing(cli, seeded, who, pin, message):
    d, people = seeded
    r = cli("journal", "show", "--json", "--full", "--supervisor", who, "--pin-stdin", "--data-dir", str(d),
            input=pin + "\n")
    assert r.returncode != 0 and r.stdout == "" and message in r.stderr and r.stderr.count("\n") == 1
    assert not any(kind == "journal.full_access" for kind, _ in _journal_kinds(d))


def test_full_with_a_supervisor_pin_shows_everything_and_is_journaled(cli, seeded):
    d, people = seeded
    r = cli("journal", "show", "--json", "--full", "--since", "2", "--limit", "20", "--supervisor",
            DEMO_SUPERVISOR[0], "--pin-stdin", "--data-dir", str(d), input=DEMO_SUPERVISOR[1] + "\n")
    assert r.returncode == 0, r.stderr
    shown = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(shown) == 20 and shown[0]["seq"] == 3
    assert any(id_number in r.stdout for id_number, _, _ in people)
    accesses = [p for kind, p in _journal_kinds(d) if kind == "journal.full_access"]
    assert len(accesses) == 1
    conn = sqlite3.connect(d / "station.db")
    (supervisor_id,) = conn.execute("SELECT clerk_id FROM clerks WHERE name = ?", (DEMO_SUPERVISOR[0],)).fetchone()
    conn.close()
    assert accesses[0] == {"supervisor_id": supervisor_id, "after_seq": 2, "through_seq": shown[-1]["seq"]}


def test_masking_covers_passports_phones_and_text():
    from counter.masking import mask_payload

    out = mask_payload({"doc_type": "passport", "id_number": "E12345678", "phone": "13800001234",
                        "note": "旧证 11010519491231002X，电话 13912345678", "name": "阿依古丽·买买提",
                        "values": {"current_address": "沈阳市和平区南京北街10号"}, "birth_date": "1949-12-31"})
    text = json.dumps(out, ensure_ascii=False)
    for secret in ("E12345678", "13800001234", "11010519491231002X", "13912345678", "南京北街10号", "12-31"):
        assert secret not in text
    assert out["name"] == "阿依古丽·买买提" and out["note"] == "旧证 110105********002X，电话 139****5678"
