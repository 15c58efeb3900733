"""The district register at the window: find a person locally then at HQ, adopt a file opened from HQ,
re-check an adopted permit before a service. The HQ side is counter/hq (contract: issue 15).

- `find(station, query, clerk_id=...)`: local results first (pinyin too), then HQ's when the station is
  online; each result says where its file comes from. Offline, `FindResult.hq` says so and the local
  results stand alone.
- `open_remote(station, session, ref)`: HQ's full file (HQ records the opening); `adopt(...)` verifies
  every cited source entry (its hash recomputes from its content), replays them through the station's
  own projectors in a scratch database, refuses a file whose entries do not give what HQ claims, and
  records one `register.adopted` entry citing them (station, seq, hash). From then on the person,
  their registration and permits are in the local tables and every permit service works here.
- `recheck_permit(station, permit_id, clerk_id=...)`: HQ's view of a permit before a service on an
  adopted one; the engine refuses a service HQ shows was overtaken at another window.

Every request is signed with the station key with the clerk's id in the signed part
(counter.request_signing); the transport rules are sync's ([sync] hq_url, hq_ca, insecure_http).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from counter.domain.citizen_id import mask
from counter.errors import CounterError
from counter.services import people
from db import journal, kinds
from db.entry import Entry

# A lookup is a clerk waiting at the window: fail over to local data quickly (a technical bound).
LOOKUP_TIMEOUT_S = 5.0
MAX_RESULTS = 50
ADOPTED_KIND = "register.adopted"
# Journal kinds whose replay a file's state depends on; anything else HQ sends is cited, not replayed.
# An adoption at another window is cited, not replayed: the entries it copied are in HQ's file too.
_REPLAYED = (kinds.PERSON_REGISTERED, kinds.SERVICE_PREFIX)


class RegisterError(CounterError):
    pass


class HQOffline(RegisterError):
    """HQ is not configured or cannot be reached: the window works on local data."""


# --- results -----------------------------------------------------------------------------


@dataclass
class Found:
    source: str  # "local" | "hq"
    name: str
    id_masked: str
    sex: str | None = None
    birth_date: str | None = None
    station_id: str | None = None  # the station that last acted on the file
    permits: list[dict] = field(default_factory=list)  # [{number, status, valid_until}]
    person_id: str | None = None  # local files
    ref: str | None = None  # HQ files: what open_remote takes
    current_address: str | None = None
    also_local: bool = False  # an HQ result whose person is already on file here

    def as_dict(self) -> dict:
        d = asdict(self)
        if self.source == "local":
            d.pop("ref")
        else:
            d.pop("person_id")
        return d


@dataclass
class FindResult:
    query: str
    results: list[Found]
    hq: str  # "online" | "offline" | "not_configured"
    hq_message: str | None = None  # one line when offline: why
    truncated: bool = False
    hq_error: CounterError | None = None  # the same, for the UI's language (exc.localized)

    def as_dict(self) -> dict:
        return {"query": self.query, "hq": self.hq, "hq_message": self.hq_message, "truncated": self.truncated,
                "results": [r.as_dict() for r in self.results]}


# --- HQ requests -------------------------------------------------------------------------


def hq_configured(station) -> bool:
    return bool(station.config.section("sync")["hq_url"])


def _request(station, method: str, path: str, *, clerk_id: str | None, body: dict | None = None,
             params: dict | None = None, client=None, now: Callable[[], datetime] | None = None):
    """One signed request to HQ; returns (status, json). Raises HQOffline when HQ cannot be reached."""
    import httpx

    from counter.sync import client as sync

    base = station.config.section("sync")["hq_url"]
    if not base:
        raise HQOffline("HQ is not configured; searching this station only")
    url = httpx.URL(f"{base}{path}", params=params or None)
    sync._transport_warning(station, url)  # refuses plain http off loopback unless allowed
    content = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
    headers = sync.signed_headers(station, method, str(url), content, (now or (lambda: datetime.now(UTC)))(),
                                  clerk_id)
    if body is not None:
        headers["content-type"] = "application/json"
    own = client is None
    http = client or httpx.Client(timeout=LOOKUP_TIMEOUT_S, verify=sync._tls_context(station))
    try:
        response = http.request(method, url, content=content if body is not None else None, headers=headers)
    except httpx.HTTPError as exc:
        raise HQOffline("HQ unreachable at {url}: {why}; working on local data", url=base,
                        why=sync._describe_transport_error(exc)) from None
    finally:
        if own:
            http.close()
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.status_code >= 500 or not isinstance(data, dict):
        raise HQOffline("HQ at {url} did not answer (HTTP {status}); working on local data", url=base,
                        status=response.status_code)
    if response.status_code == 401:
        raise HQOffline("HQ did not accept this station's signed request: {why}; working on local data",
                        why=" ".join(str(data.get("message", "")).split())[:200])
    return response.status_code, data


def _refused(data: dict, status: int) -> RegisterError:
    message = " ".join(str(data.get("message") or data.get("error") or "").split())[:200]
    return RegisterError("HQ refused the request ({status}): {why}", status=status, why=message)


# --- find --------------------------------------------------------------------------------


def _local_found(station, p: people.Person) -> Found:
    permits = [{"number": x.permit_id, "status": x.status, "valid_until": x.valid_until}
               for x in people.permits(station, p.person_id)]
    row = station.db.conn.execute("SELECT source_station FROM adoptions WHERE person_id = ? ORDER BY seq DESC"
                                  " LIMIT 1", (p.person_id,)).fetchone()
    return Found("local", p.name, p.masked_id, p.sex, p.birth_date, row[0] if row else station.station_id,
                 permits, person_id=p.person_id, current_address=p.current_address)


def find(station, query: str, *, clerk_id: str | None = None, client=None, local_only: bool = False,
         limit: int = MAX_RESULTS) -> FindResult:
    """Local results first, then HQ's (when configured and reachable) for people not on file here."""
    q = (query or "").strip()
    ensure_search_keys(station)
    local = [_local_found(station, p) for p in people.search(station, q, limit=limit)]
    result = FindResult(q, local, "not_configured")
    if local_only or not q:
        return result
    if not hq_configured(station):
        result.hq_message = "HQ is not configured; searching this station only"
        return result
    from counter.search_query import detect

    try:
        detect(q)  # HQ reads a query the same way: one it would refuse (a phone...) is not sent
    except ValueError as exc:
        result.hq, result.hq_message = "not_asked", f"HQ not asked: {exc}"
        return result
    try:
        status, data = _request(station, "GET", "/v1/register/persons", clerk_id=clerk_id,
                                params={"q": q, "limit": str(limit)}, client=client)
    except HQOffline as exc:
        result.hq, result.hq_message, result.hq_error = "offline", str(exc), exc
        return result
    if status != 200:
        refused = _refused(data, status)
        result.hq, result.hq_message, result.hq_error = "offline", str(refused), refused
        return result
    result.hq = "online"
    result.truncated = bool(data.get("truncated"))
    mine = {(f.id_masked, f.name, f.birth_date) for f in local}
    for r in data.get("results") or []:
        if not isinstance(r, dict) or not isinstance(r.get("ref"), str):
            continue
        found = Found("hq", str(r.get("name") or ""), str(r.get("id_masked") or ""), r.get("sex"),
                      r.get("birth_date"), r.get("station_id"),
                      [p for p in (r.get("permits") or []) if isinstance(p, dict)], ref=r["ref"])
        if (found.id_masked, found.name, found.birth_date) in mine:
            if _known_here(station, r.get("person_updated")):
                continue  # on file here and up to date: the local file is the one to open
            found.also_local = True  # another window acted on it since: opening it refreshes the file here
        result.results.append(found)
    return result


def _known_here(station, updated: object) -> bool:
    """Whether this station knows the entry HQ last projected for a person: its own, or one it cited."""
    if not isinstance(updated, dict):
        return True  # an HQ that does not say: trust the local file
    sid, seq = updated.get("station_id"), updated.get("seq")
    if sid == station.station_id:
        return True
    return bool(station.db.conn.execute(
        "SELECT EXISTS (SELECT 1 FROM adoptions a, json_each(a.sources) s WHERE"
        " json_extract(s.value, '$.station_id') = ? AND json_extract(s.value, '$.seq') = ?)", (sid, seq)).fetchone()[0])


def ensure_search_keys(station) -> None:
    """A station that had persons before the search table existed gets its keys once (the same rows
    `counter journal rebuild` would write)."""
    db = station.db
    if db.conn.execute("SELECT EXISTS (SELECT 1 FROM person_search)").fetchone()[0]:
        return
    if not db.conn.execute("SELECT EXISTS (SELECT 1 FROM persons)").fetchone()[0]:
        return
    from db.connection import write_transaction
    from db.projectors.register import index_name

    with write_transaction(db):
        for pid, name in db.conn.execute("SELECT person_id, name FROM persons").fetchall():
            index_name(db, pid, name)


# --- open and adopt ----------------------------------------------------------------------


@dataclass
class RemoteFile:
    ref: str
    person: dict
    registrations: list
    permits: list
    entries: list


def open_remote(station, session, ref: str, *, client=None) -> RemoteFile:
    """HQ's full file for `ref` (HQ records who opened it). Raises HQOffline or RegisterError."""
    clerk_id = session.clerk.clerk_id if session else None
    status, data = _request(station, "POST", "/v1/register/open", clerk_id=clerk_id, body={"ref": ref},
                            client=client)
    if status != 200:
        raise _refused(data, status)
    person = data.get("person")
    if not isinstance(person, dict) or not isinstance(data.get("entries"), list):
        raise RegisterError("HQ's file is incomplete (no person or no entries); nothing was adopted")
    return RemoteFile(ref, person, list(data.get("registrations") or []), list(data.get("permits") or []),
                      data["entries"])


def _scratch_db():
    import sqlite_utils

    from db.connection import migrate

    db = sqlite_utils.Database(sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False))
    db.conn.execute("PRAGMA foreign_keys=OFF")  # HQ may hold a permit's service without the parent entry
    migrate(db)
    return db


def _entry_of(raw: object, index: int) -> tuple[str, Entry]:
    from counter.sync.protocol import ENTRY_FIELDS, ProtocolError, check_entry

    if not isinstance(raw, dict) or not isinstance(raw.get("station_id"), str):
        raise RegisterError("HQ's file entry {i} names no station; nothing was adopted", i=index)
    try:
        check_entry({f: raw.get(f) for f in ENTRY_FIELDS}, index)
    except ProtocolError as exc:
        raise RegisterError("HQ's file entry {i} is malformed ({why}); nothing was adopted", i=index,
                            why=str(exc)) from None
    entry = Entry(**{f: raw[f] for f in ENTRY_FIELDS})
    if journal.entry_hash(raw["station_id"], entry) != entry.hash:
        raise RegisterError("HQ's file entry {sid} seq {seq} does not match its hash; nothing was adopted",
                            sid=raw["station_id"], seq=entry.seq)
    return raw["station_id"], entry


def _causal_order(sourced: list[tuple[str, Entry]]) -> list[tuple[str, Entry]]:
    """Each station's entries in seq order, the stations' runs merged by entry time: the order the windows
    acted in (HQ lists a file by business day and station, which puts two windows' same-day steps in
    name order). The registration goes first whatever the clocks say."""
    import heapq

    runs: dict[str, list[Entry]] = {}
    for sid, e in sourced:
        runs.setdefault(sid, []).append(e)
    streams = [[(e.device_time_utc, sid, e.seq, e) for e in sorted(run, key=lambda x: x.seq)]
               for sid, run in runs.items()]
    merged = [(sid, e) for _t, sid, _s, e in heapq.merge(*streams, key=lambda x: x[0])]
    first = [x for x in merged if x[1].kind == kinds.PERSON_REGISTERED][:1]
    return first + [x for x in merged if x not in first]


def _replay(person_id: str, sourced: list[tuple[str, Entry]]) -> dict:
    """Replay the source entries through the station's projectors; the file's state they give."""
    from db import projections
    from db.connection import write_transaction

    db = _scratch_db()
    history_of: dict[int, tuple[str, int]] = {}
    local_seq: dict[tuple[str, int], int] = {}
    with write_transaction(db):
        for n, (sid, e) in enumerate(sourced, start=1):
            if not e.kind.startswith(_REPLAYED):
                continue
            payload = json.loads(e.payload)
            # seqs of several stations share one scratch numbering: a void cites its own station's seq
            if isinstance(payload.get("ref_seq"), int):
                payload["ref_seq"] = local_seq.get((sid, payload["ref_seq"]), -1)
            scratch = Entry(**{**e.as_dict(), "seq": n, "payload": journal.canonical_json(payload)})
            try:
                # in the scratch journal too: a void re-derives the file from the entries before it
                row = scratch.as_dict()
                db.conn.execute(f"INSERT INTO journal ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                                tuple(row.values()))
                projections.apply(db, scratch)
            except (sqlite3.DatabaseError, KeyError, TypeError, ValueError):
                raise RegisterError("HQ's file entry {sid} seq {seq} cannot be replayed here; nothing was"
                                    " adopted", sid=sid, seq=e.seq) from None
            local_seq[(sid, e.seq)] = n
            history_of[n] = (sid, e.seq)
    conn = db.conn
    conn.row_factory = sqlite3.Row
    person = conn.execute("SELECT * FROM persons WHERE person_id = ?", (person_id,)).fetchone()
    if person is None:
        raise RegisterError("HQ's entries do not register this person; nothing was adopted")
    permits = [dict(r) for r in conn.execute("SELECT * FROM permits WHERE person_id = ? ORDER BY permit_id",
                                              (person_id,))]
    cards = [dict(r) for r in conn.execute(
        "SELECT c.card_number, c.permit_id, c.status FROM permit_cards c JOIN permits p USING (permit_id)"
        " WHERE p.person_id = ? ORDER BY c.card_number", (person_id,))]
    history = []
    for r in conn.execute("SELECT seq, service, number, business_day, status FROM transactions"
                          " WHERE person_id = ? ORDER BY seq", (person_id,)):
        sid, seq = history_of[r["seq"]]
        history.append({"station_id": sid, "seq": seq, "service": r["service"], "number": r["number"],
                        "business_day": r["business_day"], "status": r["status"]})
    for r in conn.execute("SELECT station_id, seq, service, number, business_day, status FROM remote_history"
                          " WHERE person_id = ?", (person_id,)):
        history.append(dict(r))
    # the residence periods the window's registrations, moves and departures give (db/projectors/houses.py)
    periods = [dict(r) for r in conn.execute("SELECT * FROM residence_periods WHERE person_id = ?"
                                             " ORDER BY started_on, period_id", (person_id,))]
    person = dict(person)
    for k in ("registered_seq", "updated_seq"):
        person.pop(k, None)
    for p in permits:
        p.pop("person_id", None)
        p.pop("updated_seq", None)
    db.conn.close()
    history.sort(key=lambda h: (h["business_day"], h["station_id"], h["seq"]))
    return {"person": person, "permits": permits, "cards": cards, "history": history, "periods": periods}


def _check_claims(remote: RemoteFile, state: dict) -> None:
    """HQ's summary of the file must be what its entries give; else HQ's read model and journal disagree."""
    p, mine = remote.person, state["person"]
    for k in ("id_number", "name", "birth_date"):
        if k in p and p[k] != mine.get(k):
            raise RegisterError("HQ's file says {field} differs from what its entries give; nothing was adopted"
                                " (tell district IT)", field=k)
    replayed = {x["permit_id"]: x for x in state["permits"]}
    for claimed in remote.permits:
        if not isinstance(claimed, dict):
            continue
        number = claimed.get("number") or claimed.get("permit_id")
        mine_p = replayed.get(number)
        if mine_p is None or any(claimed.get(k) not in (None, mine_p.get(k)) for k in ("status", "valid_until")):
            raise RegisterError("HQ's permit {number} differs from what its entries give; nothing was adopted"
                                " (tell district IT)", number=number)


def adopt(station, session, remote: RemoteFile, *, journal_open: bool = True) -> str:
    """Verify HQ's file and bring it into this station; returns the local person_id. `journal_open=False`
    when the caller journals the opening itself (the person file screen does)."""
    from counter.services import clerks

    person_id = remote.person.get("person_id")
    if not isinstance(person_id, str) or not person_id:
        raise RegisterError("HQ's file carries no person id; nothing was adopted")
    sourced = [_entry_of(raw, i) for i, raw in enumerate(remote.entries)]
    if not sourced:
        raise RegisterError("HQ's file cites no entries; nothing was adopted")
    for sid, e in sourced:
        if sid == station.station_id:
            local = journal.get(station.db, e.seq)
            if local is None or local.hash != e.hash:
                raise RegisterError("HQ's file cites this station's seq {seq}, which differs from the local"
                                    " journal; nothing was adopted (tell district IT)", seq=e.seq)
    sourced = _causal_order(sourced)
    state = _replay(person_id, sourced)
    _check_claims(remote, state)
    person = state["person"]
    on_file = people.by_document(station, person["doc_type"], person["id_number"])
    if on_file is not None and on_file.person_id != person_id:
        person["person_id"] = on_file.person_id  # the same person registered here too: keep one file
    pid = person["person_id"]
    if on_file is not None and pending_entries_about(station, pid):
        raise RegisterError("this file has entries not yet sent to HQ; sync first, then open it from HQ again")
    last_sid, last_entry = max(sourced, key=lambda s: s[1].device_time_utc)
    basis: dict[str, dict] = {}
    for sid, e in sourced:  # in HQ's order: the last entry touching each permit
        d = json.loads(e.payload)
        touched = d.get("number") if e.kind == "service.permit_apply" else d.get("permit_id")
        if isinstance(touched, str) and e.kind.startswith("service.permit_"):
            basis[touched] = {"station_id": sid, "seq": e.seq}
    payload = {
        "person": person, "permits": state["permits"], "cards": state["cards"], "history": state["history"],
        "periods": state["periods"],
        "sources": [{"station_id": sid, "seq": e.seq, "hash": e.hash, "kind": e.kind} for sid, e in sourced],
        "source_station": last_sid, "masked_id": mask(person["id_number"]), "name": person["name"],
        "permit_basis": basis,
    }
    clerk_id = session.clerk.clerk_id if session else None
    from db.connection import write_transaction

    for permit in state["permits"]:
        forget_recheck(station, permit["permit_id"])
    with write_transaction(station.db):
        station.record(ADOPTED_KIND, payload, clerk_id=clerk_id)
        if journal_open:
            clerks.open_record(station, session, "person", pid, "adopted from HQ")
    return pid


def pending_entries_about(station, person_id: str) -> int:
    """Entries about this person that HQ has not acknowledged yet."""
    from counter.sync import client as sync

    acked = sync.sync_status(station)["acked_seq"]
    return station.db.conn.execute(
        "SELECT count(*) FROM journal WHERE seq > ? AND json_extract(payload, '$.person_id') = ?",
        (acked, person_id)).fetchone()[0]


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


# --- re-check before a service -----------------------------------------------------------


@dataclass
class Recheck:
    online: bool
    status: str | None = None
    valid_until: str | None = None
    last: dict | None = None
    message: str | None = None  # why offline
    conflict: bool = False  # HQ holds an open conflict on the permit (two windows acted on it)


def recheck_permit(station, permit_id: str, *, clerk_id: str | None = None, client=None) -> Recheck:
    """HQ's current view of a permit; `online=False` (with the reason) when HQ cannot be asked."""
    from urllib.parse import quote

    try:
        status, data = _request(station, "GET", f"/v1/register/permits/{quote(permit_id, safe='')}",
                                clerk_id=clerk_id, client=client)
    except HQOffline as exc:
        return Recheck(False, message=str(exc))
    if status == 404:
        return Recheck(True, message="not_found")
    if status != 200:
        return Recheck(False, message=str(_refused(data, status)))
    last = data.get("last") if isinstance(data.get("last"), dict) else None
    return Recheck(True, data.get("status"), data.get("valid_until"), last,
                   conflict=data.get("conflict") is True)


def overtaken(station, permit: people.Permit, check: Recheck) -> RegisterError | None:
    """The refusal when HQ shows the permit changed at another window since this station knew it."""
    if not check.online or check.last is None:
        return None
    if check.status == permit.status and check.valid_until in (None, permit.valid_until):
        return None
    last_station = check.last.get("station_id")
    if last_station == station.station_id:
        return None  # HQ is behind this station (entries not yet synced): the local file is newer
    return RegisterError("permit {number} was changed at window {station} on {at} ({kind}): HQ shows it"
                         " {status}, valid until {until}; open the file from HQ again (F3) before this service",
                         number=permit.permit_id, station=last_station, at=str(check.last.get("at") or "")[:10],
                         kind=check.last.get("kind") or "?", status=check.status or "?",
                         until=check.valid_until or "?")


PERMIT_SERVICES = ("permit_extend", "permit_change", "permit_replace", "permit_cancel", "permit_collect")
# A re-check this recent stands for the service (the person file re-checks in a worker when it opens,
# so confirming a service seldom waits on HQ). A technical bound, not a rule.
RECHECK_FRESH_S = 120.0
_rechecks: dict[tuple[str, str], tuple[float, Recheck]] = {}


def remember_recheck(station, permit_id: str, check: Recheck) -> None:
    import time

    _rechecks[(station.station_id, permit_id)] = (time.monotonic(), check)


def forget_recheck(station, permit_id: str | None) -> None:
    """This station just changed the permit (or adopted it again): an earlier re-check says nothing now."""
    _rechecks.pop((station.station_id, permit_id), None)


def recent_recheck(station, permit_id: str) -> Recheck | None:
    import time

    got = _rechecks.get((station.station_id, permit_id))
    if got is None or time.monotonic() - got[0] > RECHECK_FRESH_S:
        return None
    return got[1]


@dataclass
class Guard:
    note: str | None = None  # "offline": HQ could not be asked; the service goes ahead on local data
    basis: dict | None = None  # {station_id, seq}: the permit's last entry as this station knows it


def guard_permit_service(station, service: str, person, *, clerk_id: str | None = None, network: bool = True,
                         client=None) -> Guard:
    """Before a permit service (on an adopted file, or at any station joined to HQ: another window may
    have adopted this station's file): re-check the permit with HQ. Raises RegisterError when
    another window overtook it. The returned basis goes into the service entry (`permit_basis`), so HQ
    can tell an entry made on stale knowledge (a conflict) from one made on the latest."""
    if service not in PERMIT_SERVICES or person is None:
        return Guard()
    if adopted_from(station, person.person_id) is None and not hq_configured(station):
        return Guard()  # a file only this station ever held
    permit = people.current_permit(station, person.person_id)
    if permit is None:
        return Guard()
    known = known_basis(station, permit.permit_id)
    if not hq_configured(station):
        return Guard("offline", known)
    check = recent_recheck(station, permit.permit_id)
    if check is None:
        if not network:
            return Guard(None, known)
        check = recheck_permit(station, permit.permit_id, clerk_id=clerk_id, client=client)
        remember_recheck(station, permit.permit_id, check)
    refusal = overtaken(station, permit, check)
    if refusal is not None:
        raise refusal
    if not check.online:
        return Guard("offline", known)
    own = _own_last_on(station, permit.permit_id)
    if own is None and check.last and check.last.get("station_id") and isinstance(check.last.get("seq"), int):
        return Guard(None, {"station_id": check.last["station_id"], "seq": check.last["seq"]})
    return Guard(None, known)


def _own_last_on(station, permit_id: str) -> dict | None:
    """This station's latest service on the permit since it last adopted the file."""
    row = station.db.conn.execute(
        "SELECT j.seq FROM journal j WHERE j.kind LIKE 'service.permit_%' AND json_extract(j.payload,"
        " '$.permit_id') = ? AND j.seq > coalesce((SELECT max(a.seq) FROM adoptions a JOIN permits p"
        " ON p.person_id = a.person_id WHERE p.permit_id = ?), 0) ORDER BY j.seq DESC LIMIT 1",
        (permit_id, permit_id)).fetchone()
    return {"station_id": station.station_id, "seq": row[0]} if row else None


def known_basis(station, permit_id: str) -> dict | None:
    """The permit's last entry this station knows: its own latest service on it, else the last source
    entry the adoption cited for it."""
    own = _own_last_on(station, permit_id)
    if own is not None:
        return own
    row = station.db.conn.execute(
        "SELECT json_extract(j.payload, '$.permit_basis') FROM journal j WHERE j.seq = (SELECT max(a.seq)"
        " FROM adoptions a JOIN permits p ON p.person_id = a.person_id WHERE p.permit_id = ?)",
        (permit_id,)).fetchone()
    if not row or not row[0]:
        return None
    return json.loads(row[0]).get(permit_id)


# --- conflicts HQ reports in its acks ----------------------------------------------------

@dataclass
class Conflict:
    conflict_id: int
    permit: str
    kind: str
    entries: list
    detected_at: str | None
    received_at: str
    resolved_at: str | None
    seen_seq: int | None

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self, gettext: Callable[[str], str] = lambda s: s) -> str:
        """One line for the supervisor: which permit, what happened, which windows' entries."""
        what = gettext({"double_extend": "extended at two windows",
                        "cancel_extend": "cancelled at one window and extended at another"}.get(
            self.kind, "changed at two windows without seeing each other"))
        where = ", ".join(f"{e.get('station_id')}#{e.get('seq')} {e.get('kind', '')}".strip() for e in self.entries)
        return gettext("permit {permit}: {what} ({entries})").format(permit=self.permit, what=what, entries=where)


def conflicts(station, *, open_only: bool = True) -> list[Conflict]:
    sql = ("SELECT conflict_id, permit, kind, entries, detected_at, received_at, resolved_at, seen_seq"
           " FROM register_conflicts")
    if open_only:
        sql += " WHERE resolved_at IS NULL"
    rows = station.db.conn.execute(sql + " ORDER BY conflict_id").fetchall()
    return [Conflict(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6], r[7]) for r in rows]


def mark_seen(station, conflict_id: int, supervisor) -> Entry:
    """A supervisor saw a conflict: journaled, so the journal says who knew of it and when."""
    from db.connection import write_transaction

    found = [c for c in conflicts(station, open_only=False) if c.conflict_id == conflict_id]
    if not found:
        raise RegisterError("no register conflict {cid} at this station; the ids are in 'counter person"
                            " conflicts'", cid=conflict_id)
    c = found[0]
    with write_transaction(station.db):
        entry = station.record("register.conflict_seen", {"conflict_id": c.conflict_id, "permit": c.permit,
                                                          "kind": c.kind, "entries": c.entries},
                               clerk_id=supervisor.clerk_id)
        station.db.conn.execute("UPDATE register_conflicts SET seen_seq = ? WHERE conflict_id = ?",
                                (entry.seq, conflict_id))
    return entry
