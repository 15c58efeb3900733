"""End of day: the reconciliation a supervisor answers for, and the day close.

The day's figures are a pure function of the day's journal entries
(`counter.domain.day_figures`), so the district can recompute them from a day bundle and
check them against the figures the close entry recorded. The rest of the
reconciliation (unsynced entries, permits about to expire) is station state at
the moment of the close and is recorded as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from counter.domain import day_figures as figures_rules
from counter.errors import CounterError, ValidationError
from counter.forms import registry
from db import journal, kinds
from db.entry import Entry
from db.projectors import core as core_reads
from db.projectors.services import permits_expiring

EXPIRY_HORIZON_DAYS = 30
CLOSE_KIND = figures_rules.CLOSE_KIND
CORRECTION_KIND = figures_rules.CORRECTION_KIND


def expiring_permits(station, day: str, horizon_days: int = EXPIRY_HORIZON_DAYS) -> int | None:
    """Residence permits that expire within `horizon_days` after `day`; None when permits are not kept here.

    Reads the services area's permit projection (table `permits`, column `valid_until`).
    """
    end = (date.fromisoformat(day) + timedelta(days=horizon_days)).isoformat()
    return permits_expiring(station.db, day, end)


def earlier_job_types(station, entries: list[Entry]) -> dict[str, str]:
    """Document types of the print jobs these entries print or reprint but did not queue themselves."""
    missing = figures_rules.jobs_queued_earlier(entries)
    return figures_rules.job_types_of(journal.payloads_by_field(station.db, kinds.PRINT_QUEUED, "job_id", missing))


# --- the reconciliation shown before the close -------------------------------------------------------

@dataclass
class Reconciliation:
    business_day: str
    station_id: str
    office: str
    district: str
    timezone: str
    figures: dict
    head_seq: int
    acked_seq: int | None  # None: never synced
    permits_expiring: int | None  # None: this station keeps no permits
    closed_seq: int | None = None
    closed_by: str | None = None  # the supervisor's name
    closed_at: str | None = None
    at_close: dict = field(default_factory=dict)  # station state recorded by the close
    clerk_names: dict[str, str] = field(default_factory=dict)

    @property
    def closed(self) -> bool:
        return self.closed_seq is not None

    @property
    def unsynced(self) -> int:
        return self.head_seq - (self.acked_seq or 0)

    def warnings(self) -> list[tuple[str, dict]]:
        """(gettext template, params) for what the supervisor should know before closing."""
        out: list[tuple[str, dict]] = []
        if self.unsynced:
            out.append(("{n} journal entries are not yet synced to headquarters", {"n": self.unsynced}))
        if self.figures["print_jobs_failed"]:
            out.append(("{n} print jobs failed", {"n": self.figures["print_jobs_failed"]}))
        if self.figures["print_jobs_unprinted"]:
            out.append(("{n} print jobs were not printed", {"n": self.figures["print_jobs_unprinted"]}))
        return out

    def as_dict(self) -> dict:
        return {
            "business_day": self.business_day, "station_id": self.station_id, "office": self.office,
            "district": self.district, "closed": self.closed, "closed_seq": self.closed_seq,
            "closed_by": self.closed_by, "closed_at": self.closed_at, "figures": self.figures,
            "head_seq": self.head_seq, "acked_seq": self.acked_seq, "unsynced": self.unsynced,
            "permits_expiring_30d": self.permits_expiring,
        }


def _figures_of(station, entries: list[Entry], day: str) -> dict:
    return figures_rules.day_figures(entries, day, station.config.timezone, earlier_job_types(station, entries),
                                     certificates=registry.certificate_services())


def _closure(station, day: str):
    return core_reads.closure(station.db, day)


def day_entries(station, day: str, until: int | None = None) -> list[Entry]:
    """The entries of business day `day` (seq order), read through the day index."""
    return journal.day_entries(station.db, day, until)


def reconcile(station, day: str, *, figures: dict | None = None) -> Reconciliation:
    """The reconciliation of `day`: as recorded at its close if closed, else as of now.

    `figures`, when the caller has just computed them, saves reading the day again.
    """
    from counter.sync.state import last_ack

    day = figures_rules.parse_day(day)
    closure = _closure(station, day)
    names = core_reads.clerk_names(station.db)
    head_seq = journal.head(station.db)[0]
    ack = last_ack(station)
    rec = Reconciliation(
        business_day=day, station_id=station.station_id, office=station.config.office,
        district=station.config.district, timezone=station.config.timezone,
        figures=figures if figures is not None else _figures_of(station, day_entries(station, day), day),
        head_seq=head_seq, acked_seq=ack[0] if ack else None,
        permits_expiring=expiring_permits(station, day), clerk_names=names,
    )
    if closure:
        close = journal.get(station.db, closure[0])
        data = close.data
        rec.closed_seq, rec.closed_at = closure[0], closure[2]
        rec.closed_by = names.get(data.get("supervisor_id") or closure[1], closure[1])
        rec.at_close = data.get("at_close", {})
        rec.figures = {k: data[k] for k in rec.figures if k in data}
    return rec


# --- closing -------------------------------------------------------------------------------------

def check_can_close(station, day: str, today: str | None = None) -> None:
    """Refuse, with one clear line, a close that would be wrong."""
    day = figures_rules.parse_day(day)
    local_today = today or station.local_now().date().isoformat()
    closure = _closure(station, day)
    if closure:
        raise CounterError("day {day} is already closed (journal seq {seq}); a correction is a new entry on the"
                           " current day", exit_code=2, day=day, seq=closure[0])
    if day > local_today:
        raise CounterError("cannot close {day}: it is in the future (today is {today})", exit_code=2,
                           day=day, today=local_today)
    last_closed = station.last_closed_day()
    if last_closed and day < last_closed:
        raise CounterError("cannot close {day}: the later day {last} is already closed, so {day} takes no more"
                           " entries", exit_code=2, day=day, last=last_closed)
    earlier = core_reads.open_days(station.db, before=day)
    if earlier:
        raise CounterError("cannot close {day}: the earlier day {open} is still open; close {open} first",
                           exit_code=2, day=day, open=earlier[0])


class _DayMoved(Exception):
    """An entry for the day arrived between computing the figures and writing the close."""


def close_day(station, day: str, supervisor_name: str, pin: str, *, by=None,
              today: str | None = None) -> Entry:
    """Close `day` on the supervisor's PIN: one 'day.closed' entry carrying the day's figures.

    From that entry on, Station.record puts new entries on the next business
    day. The figures are recomputed inside the close's transaction check, so
    they always describe exactly the entries that precede the close.
    """
    from counter.services import clerks
    from counter.sync.state import last_ack

    day = figures_rules.parse_day(day)
    check_can_close(station, day, today)
    supervisor = clerks.authorize_supervisor(station, supervisor_name, pin, f"day.close:{day}", by=by)
    for _attempt in range(5):
        check_can_close(station, day, today)
        entries = day_entries(station, day)
        job_types = earlier_job_types(station, entries)
        figures = figures_rules.day_figures(entries, day, station.config.timezone, job_types,
                                            certificates=registry.certificate_services())
        seen = (figures["entries"], figures["last_seq"])
        ack = last_ack(station)
        head_seq = journal.head(station.db)[0]
        payload = {
            **figures,
            "supervisor_id": supervisor.clerk_id,
            "print_job_types": job_types,
            "at_close": {
                "head_seq": head_seq,
                "acked_seq": ack[0] if ack else None,
                "unsynced_entries": head_seq - (ack[0] if ack else 0),
                "permits_expiring_30d": expiring_permits(station, day),
            },
        }

        def still_same(db, entry: Entry, seen=seen) -> None:
            if journal.day_count_before(db, day, entry.seq) != seen:
                raise _DayMoved()

        try:
            return station.record(CLOSE_KIND, payload, clerk_id=supervisor.clerk_id, extra=still_same)
        except _DayMoved:
            continue
    raise CounterError("the day kept changing while closing {day}; try again when the counter is quiet", day=day)


def record_correction(station, corrects_seq: int, reason: str, clerk_id: str | None = None,
                      details: dict | None = None) -> Entry:
    """A correction to an entry of a closed day: a new entry on the current day that references it."""
    old = journal.get(station.db, corrects_seq)
    if old is None:
        raise CounterError("no journal entry with seq {seq}", seq=corrects_seq)
    if not (reason or "").strip():
        raise ValidationError("a correction needs a reason", field="reason")
    payload = {"corrects_seq": old.seq, "corrects_uuid": old.uuid, "corrects_hash": old.hash,
               "corrects_day": old.business_day, "corrects_kind": old.kind, "reason": reason.strip(),
               "details": details or {}}
    return station.record(CORRECTION_KIND, payload, clerk_id=clerk_id)


def open_days(station) -> list[str]:
    """Business days with entries that are not closed yet, oldest first."""
    return core_reads.open_days(station.db)


def days_to_close(station, through: str, today: str | None = None) -> list[str]:
    """The open days up to and including `through`, oldest first: the order they must be closed in."""
    through = figures_rules.parse_day(through)
    local_today = today or station.local_now().date().isoformat()
    if through > local_today:
        raise CounterError("cannot close through {day}: it is in the future (today is {today})", exit_code=2,
                           day=through, today=local_today)
    days = [d for d in open_days(station) if d <= through]
    if not days:
        raise CounterError("no open day up to {day}: nothing to close", exit_code=2, day=through)
    return days


def report_data(rec: Reconciliation, *, figures: dict | None = None, at_close: dict | None = None,
                seq_range: tuple[int, int] | None = None):
    """The printable report (printing.report.DayReport) for a reconciliation."""
    from counter import __version__
    from printing.report import DayReport

    f = figures or rec.figures
    state = at_close if at_close is not None else (rec.at_close or {
        "unsynced_entries": rec.unsynced, "permits_expiring_30d": rec.permits_expiring})
    closed_at = ""
    if rec.closed_at:
        moment = datetime.strptime(rec.closed_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        closed_at = moment.astimezone(ZoneInfo(rec.timezone)).strftime("%Y-%m-%d %H:%M")
    warnings = []
    if state.get("unsynced_entries"):
        warnings.append(f"{state['unsynced_entries']} 条日志尚未同步到上级 entries not yet synced to headquarters")
    if f["print_jobs_failed"]:
        warnings.append(f"{f['print_jobs_failed']} 个打印任务失败 print jobs failed")
    if f["print_jobs_unprinted"]:
        warnings.append(f"{f['print_jobs_unprinted']} 个打印任务未打印 print jobs not printed")
    return DayReport(
        station_id=rec.station_id, office=rec.office, district=rec.district, business_day=rec.business_day,
        closed=rec.closed, closed_by=rec.closed_by or "", closed_at=closed_at,
        entries=f["entries"], transactions=f["transactions"],
        by_service=[(registry.label(s), n) for s, n in sorted(f["by_service"].items(), key=lambda kv: -kv[1])],
        by_hour=list(f["by_hour"]),
        by_clerk=[(rec.clerk_names.get(c, c), n) for c, n in f["by_clerk"].items()],
        receipts_printed=f["receipts_printed"], receipts_reprinted=f["receipts_reprinted"],
        receipts_voided=f["receipts_voided"], certificates_issued=f["certificates_issued"],
        print_jobs_failed=f["print_jobs_failed"], print_jobs_unprinted=f["print_jobs_unprinted"],
        late_registrations=f["late_registrations"], corrections=f["corrections"],
        unsynced_entries=state.get("unsynced_entries") or 0,
        permits_expiring_30d=state.get("permits_expiring_30d"),
        seq_range=f"{seq_range[0]}–{seq_range[1]}" if seq_range else "",
        warnings=warnings, footer=f"counter {__version__}",
    )


def render_report(station, day: str) -> bytes:
    """The daily report PDF of `day` (a draft while the day is open)."""
    from counter.services.printing import refusing_unprintable
    from printing.report import render_day_report

    with refusing_unprintable():
        return render_day_report(report_data(reconcile(station, day)))
