"""Two windows, one permit: the conflicts HQ reports in its signed acks, as the station keeps them,
and a supervisor's look at one (journaled)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from counter.domain.language import N_
from counter.services.register.hq_requests import RegisterError
from db import journal, kinds, register_conflicts
from db.entry import Entry


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
    # HQ's decision, as journaled here (register.conflict_resolved): {keep, reason, resolved_by, resolved_at,
    # to_void[]}, or None (open, or resolved at HQ before it told this station how)
    resolution: dict | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self, gettext: Callable[[str], str] = lambda s: s) -> str:
        """One line for the supervisor: which permit, what happened, which windows' entries."""
        what = gettext({"double_extend": "extended at two windows",
                        "cancel_extend": "cancelled at one window and extended at another"}.get(
            self.kind, "changed at two windows without seeing each other"))
        where = ", ".join(f"{e.get('station_id')}#{e.get('seq')} {e.get('kind', '')}".strip() for e in self.entries)
        line = gettext("permit {permit}: {what} ({entries})").format(permit=self.permit, what=what, entries=where)
        res = self.resolution
        if res is None:
            return line
        kept = gettext(KEPT_TEXT.get(res.get("keep"), "both entries stand"))
        line += gettext("; resolved at HQ by {by} on {at}: {kept} ({reason})").format(
            by=res.get("resolved_by") or "?", at=str(res.get("resolved_at") or "")[:10], kept=kept,
            reason=res.get("reason") or "")
        voids = res.get("to_void") or []
        if voids:
            line += gettext("; void seq {seqs} at this window").format(
                seqs=", ".join(str(v.get("seq")) for v in voids))
        return line

    @property
    def to_void(self) -> list[dict]:
        """This station's entries the resolution set aside: a supervisor voids them here."""
        return list((self.resolution or {}).get("to_void") or [])


KEPT_TEXT = {"first": N_("the entry that reached HQ first stands"),
             "second": N_("the entry that reached HQ second stands"), "both": N_("both entries stand")}
# The home screen keeps showing a resolution this long after HQ made it (or while it asks for a void).
RESOLUTION_SHOWN_DAYS = 7


def conflicts(station, *, open_only: bool = True) -> list[Conflict]:
    resolutions = _resolutions(station)
    return [Conflict(*r, resolutions.get(r.conflict_id))
            for r in register_conflicts.conflict_rows(station.db, open_only=open_only)]


def _resolutions(station) -> dict[int, dict]:
    from counter.sync.state import RESOLVED_KIND

    out = {}
    for e in journal.of_kind(station.db, RESOLVED_KIND):
        d = e.data
        out[d["conflict_id"]] = {k: d.get(k) for k in ("keep", "reason", "resolved_by", "resolved_at", "to_void")}
    return out


def recently_resolved(station, now: datetime | None = None) -> list[Conflict]:
    """Resolutions the supervisor should see: HQ's of the last RESOLUTION_SHOWN_DAYS, and any that still
    asks this window to void an entry it has not voided."""
    since = ((now or datetime.now(UTC)) - timedelta(days=RESOLUTION_SHOWN_DAYS)).strftime("%Y-%m-%dT%H:%M:%S")
    voided = set(journal.payload_values(station.db, kinds.SERVICE_VOIDED, "ref_seq"))
    return [c for c in conflicts(station, open_only=False) if c.resolution is not None
            and (str(c.resolution.get("resolved_at") or "") >= since
                 or any(v.get("seq") not in voided for v in c.to_void))]


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
        register_conflicts.mark_conflict_seen(station.db, conflict_id, entry.seq)
    return entry
