"""The stations' lookups at HQ: search (masked lists), open a file (the full record), permit re-check.
Every call is recorded in hq_register_access, in the transaction that reads what it records."""

from __future__ import annotations

from counter.domain.citizen_id import mask
from counter.hq.register.projection import ENTRY_COLUMNS
from counter.hq.store import Store, Tx
from counter.search_query import Query, detect
from counter.sync.protocol import utc_now_text
from db import kinds

MAX_LIMIT = 50
DEFAULT_LIMIT = 20
PERSON_FIELDS = ("person_id", "doc_type", "id_number", "name", "sex", "birth_date", "ethnicity", "nationality",
                 "household_address", "current_address", "phone", "employer", "registration_kind",
                 "registration_number", "resident_since", "registered_on", "station_id", "last_station_id", "last_seq")
PERMIT_FIELDS = ("permit_id", "person_id", "status", "application_number", "validity_years", "accepted_on",
                 "collection_date", "valid_from", "valid_until", "card_number", "collected_on", "address", "proof")


class NotFound(LookupError):
    pass


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _find_ids(tx: Tx, query: Query, limit: int) -> list[str]:
    """Person ids matching the query, best first, at most `limit`."""
    if query.kind == "id_number":
        return [r[0] for r in tx.all("SELECT person_id FROM persons WHERE id_number = ? ORDER BY person_id LIMIT ?",
                                     (query.text, limit))]
    if query.kind == "number":
        n = query.text
        rows = tx.all(
            "SELECT person_id FROM permits WHERE permit_id = ? OR application_number = ? OR card_number = ?"
            " UNION SELECT person_id FROM transactions WHERE number = ?"
            " UNION SELECT p.person_id FROM permit_cards c JOIN permits p ON p.permit_id = c.permit_id"
            " WHERE c.card_number = ? LIMIT ?", (n, n, n, n, n, limit))
        return [r[0] for r in rows]
    if query.kind == "pinyin":
        exact = tx.all("SELECT DISTINCT person_id FROM person_name_keys WHERE key = ? LIMIT ?", (query.text, limit))
        ids = [r[0] for r in exact]
        if len(ids) < limit and len(query.text) >= 3:
            more = tx.all("SELECT DISTINCT person_id FROM person_name_keys WHERE kind = 'full' AND key LIKE ?"
                          " ESCAPE '\\' LIMIT ?", (_like_escape(query.text) + "%", limit))
            ids += [r[0] for r in more if r[0] not in ids]
        return ids[:limit]
    # a name: exact (with the birth date if given), then names starting with it, then (3 characters or more)
    # names containing it: pg_trgm's index on PostgreSQL
    birth = " AND birth_date = ?" if query.birth_date else ""
    bargs = (query.birth_date,) if query.birth_date else ()
    ids = [r[0] for r in tx.all(f"SELECT person_id FROM persons WHERE name = ?{birth} ORDER BY person_id LIMIT ?",
                                (query.text, *bargs, limit))]
    pattern = _like_escape(query.text)
    if len(ids) < limit:
        ids += [r[0] for r in tx.all(f"SELECT person_id FROM persons WHERE name LIKE ? ESCAPE '\\' AND name <> ?{birth}"
                                     " LIMIT ?", (pattern + "%", query.text, *bargs, limit)) if r[0] not in ids]
    if len(ids) < limit and len(query.text) >= 3:
        ids += [r[0] for r in tx.all(f"SELECT person_id FROM persons WHERE name LIKE ? ESCAPE '\\'"
                                     f" AND name NOT LIKE ? ESCAPE '\\'{birth} LIMIT ?",
                                     ("%" + pattern + "%", pattern + "%", *bargs, limit)) if r[0] not in ids]
    return ids[:limit]


def _permits_of(tx: Tx, person_ids: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {pid: [] for pid in person_ids}
    if not person_ids:
        return out
    marks = ", ".join("?" * len(person_ids))
    for r in tx.all(f"SELECT {', '.join(PERMIT_FIELDS)} FROM permits WHERE person_id IN ({marks})"
                    " ORDER BY accepted_on DESC, permit_id", person_ids):
        out[r[1]].append(dict(zip(PERMIT_FIELDS, r, strict=True)))
    return out


def _record(tx: Tx, station_id: str, clerk_id: str, action: str, at: str, *, ref: str | None = None,
            query: Query | None = None, results: int = 0, purpose: str | None = None) -> int:
    """One hq_register_access row, in the transaction that reads what it records.

    A search or a permit re-check (masked lists, statuses) commits without waiting for the WAL flush
    on PostgreSQL: a crash of the database server itself can lose the last fraction of a second of
    those rows, never corrupt them, and it saves the flush's milliseconds on every lookup. An opening
    (the full record) waits for it, like every ingest."""
    masked = None
    if query is not None:
        masked = mask(query.text) if query.kind == "id_number" else query.text
        if query.birth_date:
            masked += " " + query.birth_date[:4]  # the year only, as journal show masks birth dates
    with tx.pipeline():  # the setting and the row in one round trip
        if action != "open" and tx.dialect == "postgresql":
            tx.execute("SET LOCAL synchronous_commit = off")
        return tx.one("INSERT INTO hq_register_access (station_id, clerk_id, action, ref, query_kind, query,"
                      " results, purpose, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING access_id",
                      (station_id, clerk_id, action, ref, query.kind if query else None, masked, results, purpose,
                       at))[0]


def search(store: Store, station_id: str, clerk_id: str, q: str, limit: int = DEFAULT_LIMIT) -> dict:
    """The masked result list; the search itself is recorded. ValueError: q is malformed."""
    query = detect(q)
    with store.transaction() as tx:
        ids = _find_ids(tx, query, limit + 1)
        truncated = len(ids) > limit
        ids = ids[:limit]
        rows: dict[str, tuple] = {}
        permits: dict[str, list[dict]] = {pid: [] for pid in ids}
        if ids:  # the persons and their permits in one round trip
            marks = ", ".join("?" * len(ids))
            for r in tx.all("SELECT p.person_id, p.name, p.id_number, p.sex, p.birth_date, p.last_station_id,"
                            " p.last_seq, m.permit_id, m.status, m.valid_until FROM persons p LEFT JOIN permits m"
                            f" ON m.person_id = p.person_id WHERE p.person_id IN ({marks})"
                            " ORDER BY m.accepted_on DESC, m.permit_id", ids):
                rows[r[0]] = r
                if r[7] is not None:
                    permits[r[0]].append({"number": r[7], "status": r[8], "valid_until": r[9]})
        results = []
        for pid in ids:
            r = rows[pid]
            results.append({"ref": pid, "name": r[1], "id_masked": mask(r[2]), "sex": r[3], "birth_date": r[4],
                            "station_id": r[5], "source": "hq",
                            "person_updated": {"station_id": r[5], "seq": r[6]}, "permits": permits[pid]})
        _record(tx, station_id, clerk_id, "search", utc_now_text(), query=query, results=len(results))
    return {"results": results, "truncated": truncated}


def open_person(store: Store, station_id: str, clerk_id: str, ref: str, purpose: str | None = None) -> dict:
    """The full file and its source entries, read and recorded in one transaction. NotFound for an unknown
    ref (recorded all the same: the transaction commits, then the call is refused)."""
    with store.transaction() as tx:
        row = tx.one(f"SELECT {', '.join(PERSON_FIELDS)}, registered_seq FROM persons WHERE person_id = ?", (ref,))
        if row is None:
            _record(tx, station_id, clerk_id, "open", utc_now_text(), ref=ref[:64], purpose=purpose)
            found = None
        else:
            found = _file(tx, ref, row)
            found["access_id"] = _record(tx, station_id, clerk_id, "open", utc_now_text(), ref=ref, purpose=purpose,
                                         results=1)
    if found is None:
        raise NotFound(ref)
    return found


def _file(tx: Tx, ref: str, row) -> dict:
    person = dict(zip(PERSON_FIELDS, row[:-1], strict=True))
    registered_seq = row[-1]
    permits = _permits_of(tx, [ref])[ref]
    history = tx.all("SELECT station_id, seq, service, number, business_day, status, ref_seq FROM transactions"
                     " WHERE person_id = ? ORDER BY business_day, station_id, seq", (ref,))
    registrations = [{"station_id": h[0], "seq": h[1], "service": h[2], "number": h[3], "business_day": h[4],
                      "status": h[5]} for h in history if h[2] in ("residence_registration", "lodging_registration")]
    # the entries without a transaction row: a legacy import, residence periods from reports (any station)
    others = tx.all("SELECT f.station_id, f.seq, f.kind, j.business_day FROM hq_register_file_entries f"
                    " JOIN hq_journal j ON j.station_id = f.station_id AND j.seq = f.seq"
                    " WHERE f.person_id = ? ORDER BY j.business_day, f.station_id, f.seq", (ref,))
    entries = []
    cols = ", ".join(ENTRY_COLUMNS)
    cited = [(person["station_id"], registered_seq)] + [(h[0], h[1]) for h in history] + [(o[0], o[1]) for o in others]
    for sid, seq in cited:
        if sid is None:
            continue
        e = tx.one(f"SELECT {cols} FROM hq_journal WHERE station_id = ? AND seq = ?", (sid, seq))
        if e is not None:
            entries.append({"station_id": sid, **dict(zip(ENTRY_COLUMNS, e, strict=True))})
    items = [{"station_id": h[0], "seq": h[1], "service": h[2], "number": h[3], "business_day": h[4],
              "status": h[5], "ref_seq": h[6]} for h in history]
    items += [{"station_id": o[0], "seq": o[1], "kind": o[2], "business_day": o[3]} for o in others
              if o[2] in (kinds.LEGACY_PERSON_IMPORTED, kinds.LEGACY_PERMIT_IMPORTED)]
    items.sort(key=lambda h: (h["business_day"], h["station_id"], h["seq"]))
    return {"person": person, "registrations": registrations, "permits": permits, "history": items,
            "entries": entries}


def permit_status(store: Store, station_id: str, clerk_id: str, number: str) -> dict:
    """A permit's status and the last entry HQ applied to it (for the re-check before a service)."""
    number = number.strip().upper()
    with store.transaction() as tx:
        row = tx.one("SELECT permit_id, status, valid_until FROM permits WHERE permit_id = ?"
                     " OR application_number = ? OR card_number = ? ORDER BY permit_id LIMIT 1", (number, number, number))
        _record(tx, station_id, clerk_id, "permit", utc_now_text(), ref=row[0] if row else number[:64],
                results=int(row is not None))
        if row is not None:
            last = tx.one("SELECT station_id, seq, kind, made_at FROM hq_register_permit_events WHERE permit_id = ?"
                          " AND voided = 0 ORDER BY received_at DESC, seq DESC LIMIT 1", (row[0],))
            conflict = tx.one("SELECT count(*) FROM hq_register_conflicts WHERE permit_id = ? AND status = 'open'",
                              (row[0],))[0]
    if row is None:  # recorded all the same, then refused
        raise NotFound(number)
    return {"number": row[0], "status": row[1], "valid_until": row[2],
            "last": {"station_id": last[0], "seq": last[1], "kind": last[2], "at": last[3]} if last else None,
            "conflict": bool(conflict)}

