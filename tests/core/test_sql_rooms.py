"""counter/ calls functions of db/, not SQL: a table's reads and writes live next to its projector
(db/projectors/<area>.py). HQ's own tables (counter/hq/) are HQ's. The allow-list of modules that still name station tables in SQL
only shrinks (a module that stops must leave it, a new one fails); it is empty now."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

STILL_RUNNING_SQL: set[str] = set()  # empty since the register, sync and day-bundle moves


def station_tables() -> set[str]:
    names = set()
    for script in (REPO / "db" / "migrations").glob("*.sql"):
        names |= set(re.findall(r"CREATE\s+(?:VIRTUAL\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)",
                                script.read_text(encoding="utf-8"), re.IGNORECASE))
    return names


def modules_naming_tables() -> dict[str, set[str]]:
    tables = station_tables()
    statement = re.compile(r"\b(?:FROM|INTO|UPDATE|JOIN|TABLE)\s+(\w+)", re.IGNORECASE)
    found: dict[str, set[str]] = {}
    for path in (REPO / "counter").rglob("*.py"):
        rel = path.relative_to(REPO).as_posix()
        if rel.startswith("counter/hq/"):
            continue
        named = {t for t in statement.findall(path.read_text(encoding="utf-8")) if t in tables}
        if named:
            found[rel] = named
    return found


def test_the_migrations_declare_tables():
    assert {"journal", "persons", "permits", "numbers"} <= station_tables()


def test_no_new_module_of_counter_runs_sql_on_station_tables():
    found = modules_naming_tables()
    new = {m: sorted(t) for m, t in found.items() if m not in STILL_RUNNING_SQL}
    assert not new, f"move these reads and writes next to their projectors in db/: {new}"


def test_the_allow_list_shrinks_when_a_module_moves_its_sql():
    left = STILL_RUNNING_SQL - set(modules_naming_tables())
    assert not left, f"no SQL on station tables any more: remove {sorted(left)} from STILL_RUNNING_SQL"
