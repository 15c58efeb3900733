"""Realistic days for tests and the benchmark, recorded through Station.record.

The payloads follow the services area's shape ("service.<service>" with service,
person_id, number, values, derived, late_days, form) and print jobs as print.*
entries (job_id, document, copy_number). Names include 𠮷, 䶮 and a minority name
with the middle dot, so every path carries them.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from counter import clerks
from counter.station import Station

SUPERVISOR = ("王𠮷", "4321")
CLERK = ("阿依古丽·买买提", "1234")
NAMES = ("张伟", "王𠮷", "李䶮", "阿依古丽·买买提", "陈静", "刘洋", "赵敏", "孙丽")
SERVICES = (("residence_registration", 30), ("lodging_registration", 8), ("permit_apply", 20),
            ("permit_extend", 6), ("permit_change", 4), ("permit_collect", 12), ("residence_certificate", 8),
            ("proof_of_life", 5), ("change_phone", 3), ("criminal_record_request", 2))


def make_station(directory, station_id: str = "HP-01") -> Station:
    station = Station.init(directory, station_id, "210102", "和平区政务服务中心", printer={"kind": "simulated"})
    clerks.add_clerk(station, SUPERVISOR[0], "supervisor", SUPERVISOR[1])
    clerks.add_clerk(station, CLERK[0], "clerk", CLERK[1])
    return station


def clerk_id(station: Station, name: str = CLERK[0]) -> str:
    return clerks.find_clerk(station, name).clerk_id


def local_moment(day: str, hour: int, minute: int = 0, tz: str = "Asia/Shanghai") -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:{minute:02d}:00").replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def seed_day(station: Station, day: str | None, count: int, *, rng: random.Random | None = None,
             failed_prints: int = 0, late_every: int = 7) -> dict:
    """`count` transactions on `day` (local 08:30-17:30; None = now), each with its receipt print job.

    Returns what was made, for tests to compare with the reconciliation.
    """
    rng = rng or random.Random(7)
    cid = clerk_id(station)
    weights = [w for _, w in SERVICES]
    made = {"by_service": {}, "late": 0, "receipts": 0, "reprints": 0, "certificates": 0, "failed": 0}
    for i in range(count):
        moment = None
        if day is not None:
            minutes = 8 * 60 + 30 + (i * 540) // max(count, 1)
            moment = local_moment(day, minutes // 60, minutes % 60)
        service = rng.choices([s for s, _ in SERVICES], weights)[0]
        late = 3 if service.endswith("registration") and i % late_every == 0 else 0
        number = f"{service[:2].upper()}{i:06d}"
        payload = {
            "service": service, "person_id": uuid.uuid4().hex[:12], "number": number,
            "values": {"name": rng.choice(NAMES), "id_masked": "210102********123X",
                       "current_address": "辽宁省沈阳市和平区南京北街 1 号", "phone": "138****0000"},
            "derived": {"valid_until": (datetime(2027, 1, 1) + timedelta(days=i % 300)).date().isoformat()},
            "late_days": late, "form": {"id": service, "version": "1", "sha256": "0" * 64},
        }
        station.record(f"service.{service}", payload, clerk_id=cid, now=moment)
        made["by_service"][service] = made["by_service"].get(service, 0) + 1
        made["late"] += bool(late)
        made["certificates"] += service in ("residence_certificate", "proof_of_life")
        job = uuid.uuid4().hex[:12]
        station.record("print.queued", {"job_id": job, "document": "receipt", "number": number, "copy_number": 0},
                       clerk_id=cid, now=moment)
        if i < failed_prints:
            station.record("print.failed", {"job_id": job, "document": "receipt", "error": "paper out"},
                           clerk_id=cid, now=moment)
            made["failed"] += 1
        else:
            station.record("print.printed", {"job_id": job, "document": "receipt", "copy_number": 0},
                           clerk_id=cid, now=moment)
            made["receipts"] += 1
        if i % 25 == 24:
            rjob = uuid.uuid4().hex[:12]
            station.record("print.queued", {"job_id": rjob, "document": "receipt", "number": number,
                                            "copy_number": 1}, clerk_id=cid, now=moment)
            station.record("print.printed", {"job_id": rjob, "document": "receipt", "copy_number": 1},
                           clerk_id=cid, now=moment)
            made["reprints"] += 1
    return made
