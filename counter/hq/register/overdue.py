"""`counter hq overdue`: houses and entities of the district with late reports, from the station's own read."""

from __future__ import annotations

from counter.hq.store import Store, Tx


class _Rows:
    def __init__(self, rows: list):
        self.rows = [tuple(r) for r in rows]

    def fetchall(self) -> list:
        return self.rows

    def fetchone(self):
        return self.rows[0] if self.rows else None

    def __iter__(self):
        return iter(self.rows)


class ReadDb:
    """The `db` the reads of db/projectors take (`db.conn.execute(sql, params)`), over an HQ transaction."""

    def __init__(self, tx: Tx):
        self.tx = tx
        self.conn = self

    def execute(self, sql: str, params=()):
        return _Rows(self.tx.all(sql, params))


def overdue(store: Store, since: str | None = None) -> list[dict]:
    """Houses and entities with late reports (art. 14) at any station of the district: the list for
    限期改正 (art. 22), from the same read as a station's."""
    from db.projectors import houses as house_reads

    with store.transaction() as tx:
        found = house_reads.overdue_reporters(ReadDb(tx), since)
    return [dict(o.__dict__) for o in found]
