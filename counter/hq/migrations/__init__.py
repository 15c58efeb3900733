"""Versioned HQ schema migrations.

Each migration is a module here named `NNNN_what.py` (NNNN = the schema version it
brings the database to, gapless from 2) that defines:

    SUMMARY = "one line: what changes"
    def upgrade(tx) -> None      # tx: counter.hq.store.Tx; tx.dialect is "sqlite" or "postgresql"

Version 1 is the first HQ schema (what a database without migrations holds). A fresh
database gets `store.schema_statements()` (the schema at BASELINE_VERSION) and then every
later migration, in one transaction: it is at the newest version from its first commit.
An existing one is brought forward one migration per transaction by `counter hq migrate`
(or `counter hq init`), each transaction also bumping hq_meta.schema_version, so a failed
migration leaves the database at the last version that completed.

To add a table: copy the newest module with the next number, write its upgrade() with
plain DDL (the same columns on both dialects; branch on tx.dialect only for DDL syntax),
and add a test that a database at the previous version is upgraded. Never edit a migration
that has shipped.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass

# The version `counter.hq.store.schema_statements` creates; migrations above it run on a fresh DB too.
BASELINE_VERSION = 2
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    summary: str
    upgrade: Callable


class MigrationSetError(RuntimeError):
    """The migrations shipped are inconsistent (a duplicate or missing number): a packaging bug."""


def all_migrations() -> list[Migration]:
    """Every migration, by version; checked gapless from 2 and unique."""
    found: dict[int, Migration] = {}
    for info in pkgutil.iter_modules(__path__):
        match = _NAME.match(info.name)
        if not match:
            continue
        version = int(match.group(1))
        module = importlib.import_module(f"{__name__}.{info.name}")
        if version in found:
            raise MigrationSetError(f"two HQ migrations have number {version:04d}: {found[version].name} and"
                                    f" {info.name}; renumber the newer one")
        found[version] = Migration(version, info.name, module.SUMMARY, module.upgrade)
    versions = sorted(found)
    expected = list(range(2, 2 + len(versions)))
    if versions != expected:
        raise MigrationSetError(f"HQ migrations must be numbered 0002 upwards without gaps; found"
                                f" {', '.join(f'{v:04d}' for v in versions)}")
    return [found[v] for v in versions]


def latest_version() -> int:
    migrations = all_migrations()
    return migrations[-1].version if migrations else 1
