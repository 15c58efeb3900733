"""Person find at the window: local results first (pinyin too), then HQ's when the station is online;
each result says where its file comes from. Offline, `FindResult.hq` says so and the local results
stand alone."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from counter.errors import CounterError
from counter.services import people
from counter.services.register.adopted import adopted_from
from counter.services.register.hq_requests import HQOffline, hq_configured, refused, request
from db.projectors import register as register_rows

MAX_RESULTS = 50


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



def _local_found(station, p: people.Person) -> Found:
    permits = [{"number": x.permit_id, "status": x.status, "valid_until": x.valid_until}
               for x in people.permits(station, p.person_id)]
    source = adopted_from(station, p.person_id)
    return Found("local", p.name, p.masked_id, p.sex, p.birth_date, source or station.station_id,
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
        status, data = request(station, "GET", "/v1/register/persons", clerk_id=clerk_id,
                                params={"q": q, "limit": str(limit)}, client=client)
    except HQOffline as exc:
        result.hq, result.hq_message, result.hq_error = "offline", str(exc), exc
        return result
    if status != 200:
        why = refused(data, status)
        result.hq, result.hq_message, result.hq_error = "offline", str(why), why
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
    return register_rows.cites_source_entry(station.db, sid, seq)


def ensure_search_keys(station) -> None:
    """A station that had persons before the search table existed gets its keys once (the same rows
    `counter journal rebuild` would write)."""
    register_rows.index_unindexed_names(station.db)
