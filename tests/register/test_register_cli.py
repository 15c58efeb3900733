"""`counter hq rebuild|duplicates|conflicts|status|alarms` as an operator runs them, and the upgrade of
an HQ database made before the register (schema 2) on both backends."""

from __future__ import annotations

import json

from counter.hq.register import conflicts as hq_conflicts
from counter.hq.register import lookup as hq_lookup
from counter.hq.register import rebuild as hq_rebuild
from counter.hq.store import schema_statements
from tests.register.helpers import YOSHIDA, ZHANG, new_station, permit_near_expiry, push, service
from tests.stations import extended_at_two_windows
from tests.sync.fixtures import run_cli


def test_operator_commands_show_conflicts_and_duplicates_without_full_numbers(store, hq_url, tmp_path):
    a, ca, b, cb, pid, permit = extended_at_two_windows(tmp_path, store, YOSHIDA)
    c, cc = new_station(tmp_path, "HP-03", store)
    service(c, "residence_registration", cc, {**YOSHIDA, "name": "吉田"})  # same number, another name
    push(store, c)

    out = run_cli("hq", "conflicts", "--db", hq_url, check=True).stdout
    assert "double_extend" in out and permit in out and "A HP-01 seq" in out and "B HP-02 seq" in out
    status = run_cli("hq", "status", "--db", hq_url, check=True).stdout
    assert status.count("1 open permit conflict(s)") == 2
    alarms = json.loads(run_cli("hq", "alarms", "--db", hq_url, "--json", check=True).stdout)
    assert sorted(x["station_id"] for x in alarms if x["kind"] == "permit_conflict") == ["HP-01", "HP-02"]
    dup = run_cli("hq", "duplicates", "--db", hq_url, check=True).stdout
    assert "110105********002X" in dup and "𠮷田 at HP-01" in dup and "吉田 at HP-03" in dup
    assert "11010519491231002X" not in dup + out + status

    rebuilt = run_cli("hq", "rebuild", "--db", hq_url, check=True)
    lines = rebuilt.stdout.splitlines()
    assert lines[0].startswith("checksum before: ") and lines[1].startswith("checksum after:  ")
    assert lines[0].split()[-1] == lines[1].split()[-1] == hq_rebuild.checksum(store)
    assert "entries replayed; the register is unchanged" in lines[2]
    report = json.loads(run_cli("hq", "rebuild", "--db", hq_url, "--json", check=True).stdout)
    assert report["same"] is True and report["entries"] == 8
    bad = run_cli("hq", "rebuild", "--db", "sqlite:////nonexistent/dir/hq.db")
    assert bad.returncode != 0 and len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr
    for st in (a, b, c):
        st.close()


def test_an_hq_database_from_before_the_register_is_upgraded_and_rebuilt(backend, tmp_path, request, hq_key_dir):
    from counter.hq import admin
    from counter.hq.store import open_store

    url = (f"sqlite:///{tmp_path / 'old.db'}" if backend == "sqlite"
           else request.getfixturevalue("pg_cluster").create_database())
    old = open_store(url, admin.load_key(hq_key_dir))
    from counter.hq import migrations

    register_migration = next(m for m in migrations.all_migrations() if m.name.endswith("_district_register"))
    with old.transaction() as tx:  # what an HQ of the schema before the register created
        for statement in schema_statements(old.dialect):
            tx.execute(statement)
        for m in migrations.all_migrations():
            if migrations.BASELINE_VERSION < m.version < register_migration.version:
                m.upgrade(tx)
        tx.execute("UPDATE hq_meta SET value = ? WHERE key = 'schema_version'", (str(register_migration.version - 1),))
    a, ca = new_station(tmp_path, "HP-01", old)
    z = service(a, "residence_registration", ca, ZHANG)
    push(old, a, project=False)  # ingested by the old software: no register yet
    old.close()

    proc = run_cli("hq", "status", "--db", url)
    assert proc.returncode != 0 and "run 'counter hq migrate'" in proc.stderr
    run_cli("hq", "migrate", "--db", url, check=True)
    store = open_store(url, admin.load_key(hq_key_dir))
    assert hq_lookup.search(store, "HP-02", "C", "zw")["results"] == []  # tables there, still empty
    assert "2 entries replayed" in run_cli("hq", "rebuild", "--db", url, check=True).stdout
    assert [r["ref"] for r in hq_lookup.search(store, "HP-02", "C", "zw")["results"]] == [z.person_id]
    store.close()
    a.close()


def test_a_district_admin_resolves_a_conflict_from_the_command_line(store, hq_url, tmp_path):
    from counter.hq import staff

    a, ca, b, cb, pid, permit = extended_at_two_windows(tmp_path, store, YOSHIDA)
    staff.add_user(store, "it-admin", "admin", "a long enough password")
    [c] = hq_conflicts.all_conflicts(store)
    cid = str(c["conflict_id"])
    for args, said in ((("--keep", "X", "--reason", "r", "--by", "it-admin"), "--keep must be A"),
                       (("--keep", "B", "--reason", " ", "--by", "it-admin"), "needs a reason"),
                       (("--keep", "B", "--reason", "r", "--by", "nobody"), "not an active HQ admin"),
                       (("--keep", "B", "--reason", "x" * 501, "--by", "it-admin"), "at most 500")):
        bad = run_cli("hq", "conflicts", "resolve", cid, "--db", hq_url, *args)
        assert bad.returncode != 0 and said in bad.stderr and "Traceback" not in bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1
    assert hq_conflicts.all_conflicts(store, "open") != []  # nothing half-written
    done = run_cli("hq", "conflicts", "resolve", cid, "--db", hq_url, "--keep", "B", "--reason",
                   "HP-02 saw the applicant; HP-01 voids", "--by", "it-admin", check=True).stdout
    first = c["entries"][0]
    assert f"conflict #{cid} resolved by it-admin" in done and "keep B" in done
    assert f"{first['station_id']} is to void its seq {first['seq']}" in done
    assert run_cli("hq", "conflicts", "--open", "--db", hq_url, check=True).stdout.strip() == "no conflicts"
    listed = run_cli("hq", "conflicts", "--db", hq_url, check=True).stdout
    assert "[resolved] keep B (it-admin" in listed and "HP-01 voids" in listed
    again = run_cli("hq", "conflicts", "resolve", cid, "--db", hq_url, "--keep", "A", "--reason", "r", "--by", "it-admin")
    assert again.returncode != 0 and "resolved already" in again.stderr


def _foreign_keys(store) -> set[tuple[str, str]]:
    """(table, referenced table) of every foreign key on the register's row tables."""
    tables = ("person_name_keys", "permits", "permit_cards", "transactions")
    with store.transaction() as tx:
        if store.dialect == "postgresql":
            return {(t, r) for t, r in tx.all("SELECT conrelid::regclass::text, confrelid::regclass::text"
                                              " FROM pg_constraint WHERE contype = 'f' AND conparentid = 0")
                    if t in tables}
        return {(t, r[2]) for t in tables for r in tx.all(f"PRAGMA foreign_key_list({t})")}


def test_a_register_of_0012_loses_its_foreign_keys_on_postgresql_and_keeps_its_rows(backend, tmp_path, request,
                                                                                     hq_key_dir):
    """HQ migration 0013 on a database at 0012 that holds a projected person with a permit and a card."""
    from counter.hq import admin, migrations
    from counter.hq.store import open_store

    url = (f"sqlite:///{tmp_path / 'old.db'}" if backend == "sqlite"
           else request.getfixturevalue("pg_cluster").create_database())
    old = open_store(url, admin.load_key(hq_key_dir))
    this = next(m for m in migrations.all_migrations() if m.name.endswith("_register_without_foreign_keys"))
    with old.transaction() as tx:
        for statement in schema_statements(old.dialect):
            tx.execute(statement)
        for m in migrations.all_migrations():
            if migrations.BASELINE_VERSION < m.version < this.version:
                m.upgrade(tx)
        tx.execute("UPDATE hq_meta SET value = ? WHERE key = 'schema_version'", (str(this.version - 1),))
    assert _foreign_keys(old) == {("person_name_keys", "persons"), ("permits", "persons"),
                                  ("transactions", "persons"), ("permit_cards", "permits")}
    a, ca = new_station(tmp_path, "HP-01", old)
    pid, permit = permit_near_expiry(a, ca, YOSHIDA)
    push(old, a)  # projected by the software before 0013
    before = hq_rebuild.checksum(old)
    old.close()

    run_cli("hq", "migrate", "--db", url, check=True)
    store = open_store(url, admin.load_key(hq_key_dir))
    if backend == "postgresql":
        assert _foreign_keys(store) == set()
    else:  # SQLite checks them in-process and its projection writes in journal order: kept
        assert len(_foreign_keys(store)) == 4
    assert hq_rebuild.checksum(store) == before  # no row changed
    [hit] = hq_lookup.search(store, "HP-02", "C", "jitian")["results"]
    assert hit["ref"] == pid and hit["permits"][0]["number"] == permit
    assert "entries replayed; the register is unchanged" in run_cli("hq", "rebuild", "--db", url, check=True).stdout
    store.close()
    a.close()
