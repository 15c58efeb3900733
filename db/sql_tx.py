"""A transaction's SQL helpers over one SQLite connection, `?` placeholders: HQ's store (counter/hq/store.py)
builds its backends on it, and the station's statistics use it on an in-memory database."""

from __future__ import annotations

from collections.abc import Sequence


class SqliteTx:
    dialect = "sqlite"

    def __init__(self, conn):
        self.conn = conn

    def _sql(self, sql: str) -> str:
        return sql

    def execute(self, sql: str, params: Sequence = ()):
        return self.conn.execute(self._sql(sql), tuple(params))

    def one(self, sql: str, params: Sequence = ()):
        return self.execute(sql, params).fetchone()

    def all(self, sql: str, params: Sequence = ()) -> list:
        return self.execute(sql, params).fetchall()

    def executemany(self, sql: str, rows: Sequence[Sequence]) -> None:
        self.conn.executemany(self._sql(sql), rows)
