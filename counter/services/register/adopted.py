"""Reads of the files this station adopted from HQ: where a file came from, what other windows did on it."""

from __future__ import annotations


def adopted_from(station, person_id: str) -> str | None:
    row = station.db.conn.execute("SELECT source_station FROM adoptions WHERE person_id = ? ORDER BY seq DESC"
                                  " LIMIT 1", (person_id,)).fetchone()
    return row[0] if row else None


def remote_history(station, person_id: str) -> list[dict]:
    rows = station.db.conn.execute(
        "SELECT station_id, seq, service, number, business_day, status FROM remote_history WHERE person_id = ?"
        " ORDER BY business_day DESC, station_id, seq DESC", (person_id,)).fetchall()
    return [dict(zip(("station_id", "seq", "service", "number", "business_day", "status"), r, strict=True))
            for r in rows]
