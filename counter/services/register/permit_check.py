"""The permit re-check before a service: HQ's view of a permit another window may have changed.

The engine refuses a service HQ shows was overtaken at another window; the basis (the permit's last
entry as this station knows it) goes into the service entry, so HQ can tell stale knowledge (a
conflict) from the latest."""

from __future__ import annotations

from dataclasses import dataclass

from counter.errors import Term
from counter.services import people
from counter.services.register.adopted import adopted_from
from counter.services.register.hq_requests import HQOffline, RegisterError, hq_configured, refused, request
from db.projectors import register as register_rows


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
        status, data = request(station, "GET", f"/v1/register/permits/{quote(permit_id, safe='')}",
                                clerk_id=clerk_id, client=client)
    except HQOffline as exc:
        return Recheck(False, message=str(exc))
    if status == 404:
        return Recheck(True, message="not_found")
    if status != 200:
        return Recheck(False, message=str(refused(data, status)))
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
                         kind=_term(people.PERMIT_ACTION_TEXT, check.last.get("kind")),
                         status=_term(people.PERMIT_STATUS_TEXT, check.status), until=check.valid_until or "?")


def _term(words: dict[str, str], value: object) -> str:
    """HQ's word as a catalog term the message translates; a word this version does not know stays as it is."""
    if not isinstance(value, str) or not value:
        return "?"
    return Term(words[value]) if value in words else value


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
    seq = register_rows.own_last_permit_service(station.db, permit_id)
    return {"station_id": station.station_id, "seq": seq} if seq is not None else None


def known_basis(station, permit_id: str) -> dict | None:
    """The permit's last entry this station knows: its own latest service on it, else the last source
    entry the adoption cited for it."""
    own = _own_last_on(station, permit_id)
    if own is not None:
        return own
    return register_rows.adopted_permit_basis(station.db, permit_id)
