"""Reads of the files this station adopted from HQ: where a file came from, what other windows did on it."""

from __future__ import annotations

from db.projectors import register as register_rows


def adopted_from(station, person_id: str) -> str | None:
    return register_rows.adoption_source(station.db, person_id)


def remote_history(station, person_id: str) -> list[dict]:
    return register_rows.remote_history_of(station.db, person_id)
