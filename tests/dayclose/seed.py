"""Realistic days for tests and the benchmark.

Transactions go through the services area's real engine (counter.services.perform),
on a chosen business day (`now=`). Print jobs are journaled in the printing area's
kinds and payloads (print.queued / print.printed / print.reprinted / print.failed,
see db/projectors/printing.py), recorded at the same moment as the transaction,
because the printer service always stamps the current time; `print_today` uses the
real printer service on the simulated printer instead. Names include 𠮷, 䶮 and a
minority name with the middle dot, so every path carries them.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from counter.services import clerks, perform
from counter.station import Station
from db import journal

SUPERVISOR = ("王𠮷", "4321")
CLERK = ("阿依古丽·买买提", "1234")
NAMES = ("张伟", "𠮷田", "李䶮", "阿依古丽·买买提", "陈静", "刘洋", "赵敏", "孙丽")
WEIGHTS = (
    ("residence_registration", 30),
    ("lodging_registration", 10),
    ("permit_apply", 20),
    ("residence_certificate", 10),
    ("proof_of_life", 10),
    ("change_phone", 5),
)
_CHECK = "10X98765432"
_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_station(directory, station_id: str = "HP-01") -> Station:
    station = Station.init(
        directory, station_id, "210102", "和平区政务服务中心", printer={"kind": "simulated"}
    )
    clerks.add_clerk(station, SUPERVISOR[0], "supervisor", SUPERVISOR[1])
    clerks.add_clerk(station, CLERK[0], "clerk", CLERK[1])
    return station


def clerk_of(station: Station, name: str = CLERK[0]):
    return clerks.find_clerk(station, name)


def local_moment(day: str, hour: int, minute: int = 0, tz: str = "Asia/Shanghai") -> datetime:
    return (
        datetime.fromisoformat(f"{day}T{hour:02d}:{minute:02d}:00")
        .replace(tzinfo=ZoneInfo(tz))
        .astimezone(UTC)
    )


def id_number(area: str, birth: date, order: int) -> str:
    body = f"{area}{birth:%Y%m%d}{order:03d}"
    return body + _CHECK[sum(int(c) * w for c, w in zip(body, _W, strict=True)) % 11]


def person(rng: random.Random, n: int, area: str) -> dict:
    birth = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 40 * 365))
    order = (n % 999) + 1
    return {
        "doc_type": "citizen_id",
        "id_number": id_number(area, birth, order),
        "name": NAMES[n % len(NAMES)],
        "sex": "M" if order % 2 else "F",
        "birth_date": birth.isoformat(),
        "ethnicity": "01",
        "nationality": "CHN",
        "household_address": "北京市朝阳区幸福街1号"
        if area.startswith("11")
        else "辽宁省大连市中山区人民路2号",
        "current_address": "沈阳市和平区南京北街10号",
        "stay_reason": "1",
        "phone": f"138{n:08d}"[:11],
    }


def seed_day(
    station: Station,
    day: str | None,
    count: int,
    *,
    rng: random.Random | None = None,
    failed_prints: int = 0,
    reprint_every: int = 25,
    late_every: int = 7,
) -> dict:
    """`count` transactions on `day` (local 08:30-17:30; None = now), each with its printed document.

    Returns what was made, for tests to compare with the reconciliation.
    """
    rng = rng or random.Random(7)
    clerk = clerk_of(station)
    made = {"by_service": {}, "late": 0, "receipts": 0, "reprints": 0, "certificates": 0, "failed": 0}
    registered: list[str] = []  # person ids with a current registration
    counter = station.db.conn.execute("SELECT count(*) FROM journal").fetchone()[0]
    for i in range(count):
        moment = None
        if day is not None:
            minutes = 8 * 60 + 30 + (i * 540) // max(count, 1)
            moment = local_moment(day, minutes // 60, minutes % 60)
        service = rng.choices([s for s, _ in WEIGHTS], [w for _, w in WEIGHTS])[0]
        if service not in ("residence_registration", "lodging_registration") and not registered:
            service = "residence_registration"
        n = counter + i
        if service in ("residence_registration", "lodging_registration"):
            late = i % late_every == 0
            raw = {
                **person(rng, n, "110105" if service == "residence_registration" else "210202"),
                "arrival_date": "-9" if late else "-2",
            }
            out = perform(station, service, raw, clerk=clerk, now=moment, build_document=False)
            registered.append(out.person_id)
            made["late"] += out.late_days > 0
        elif service == "permit_apply":
            out = perform(
                station,
                service,
                {**person(rng, n, "110105"), "arrival_date": "-2", "proof": "1", "validity_years": "1"},
                clerk=clerk,
                now=moment,
                build_document=False,
            )
        elif service == "residence_certificate":
            out = perform(
                station,
                service,
                {"purpose": "子女入学"},
                person_id=rng.choice(registered),
                clerk=clerk,
                now=moment,
                build_document=False,
            )
        elif service == "proof_of_life":
            out = perform(
                station,
                service,
                {},
                person_id=rng.choice(registered),
                clerk=clerk,
                now=moment,
                build_document=False,
            )
        else:
            out = perform(
                station,
                service,
                {"new_phone": f"139{n:08d}"[:11]},
                person_id=rng.choice(registered),
                clerk=clerk,
                now=moment,
                build_document=False,
            )
        made["by_service"][service] = made["by_service"].get(service, 0) + 1
        is_cert = service in ("residence_certificate", "proof_of_life")
        made["certificates"] += is_cert
        failed = i < failed_prints
        reprint = (i % reprint_every == reprint_every - 1) and not failed
        _journal_print(
            station,
            out,
            "certificate" if is_cert else "receipt",
            clerk.clerk_id,
            moment,
            failed=failed,
            reprint=reprint,
        )
        if not is_cert:
            made["failed"] += failed
            made["receipts"] += not failed
            made["reprints"] += reprint
    made["persons"] = registered
    return made


def another_transaction(station: Station, person_id: str, now=None):
    """One more real service (a phone change) for a person on file."""
    return perform(station, "change_phone", {"new_phone": "13900000001"}, person_id=person_id,
                   clerk=clerk_of(station), now=now, build_document=False)


def _journal_print(
    station: Station, out, doc_type: str, clerk_id: str, moment, *, failed: bool, reprint: bool
) -> str:
    """A print job as the printing area journals it (printer_service._queue / _send_receipt).

    The document in the payload is abridged (service, number, masked ID): building the full
    Receipt goes through services' documents.from_entry, whose call into the printing area's
    sign_verification does not match that function's signature on the merged branches yet.
    """
    job_id = journal.new_id()[:12]
    data = out.entry.data
    document = {
        "service": out.service,
        "number": out.number,
        "masked_id": data.get("masked_id", ""),
        "applicant_name": data.get("name", ""),
        "copy_number": 0,
    }
    station.record(
        "print.queued",
        {
            "job_id": job_id,
            "doc_type": doc_type,
            "doc_kind": out.service,
            "number": out.number,
            "printer": "simulated:generic-80",
            "document": document,
        },
        clerk_id=clerk_id,
        now=moment,
    )
    if failed:
        station.record(
            "print.failed",
            {"job_id": job_id, "copy_number": 0, "result": "failed", "message": "printer out of paper"},
            clerk_id=clerk_id,
            now=moment,
        )
        return job_id
    station.record(
        "print.printed",
        {"job_id": job_id, "copy_number": 0, "message": "printed"},
        clerk_id=clerk_id,
        now=moment,
    )
    if reprint:
        station.record(
            "print.reprinted",
            {"job_id": job_id, "copy_number": 1, "message": "printed"},
            clerk_id=clerk_id,
            now=moment,
        )
    return job_id
