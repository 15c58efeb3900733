"""Permits expiring within N days: the clerk's call list, the SMS gateway's CSV, the printed list.

Every look at the list, every export and every print is a journal entry (the list shows names and
phone numbers); marking a holder contacted is one too. ID numbers are masked everywhere here.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

from counter.domain.citizen_id import mask
from counter.errors import CounterError
from db.projectors import expiry as expiry_reads

MOBILE = re.compile(r"1[3-9]\d{9}")


@dataclass(frozen=True)
class Expiring:
    permit_id: str
    person_id: str
    name: str
    id_masked: str
    phone: str | None
    valid_until: str
    days_left: int
    contacted: bool


def expiring(station, days: int, today: date) -> list[Expiring]:
    """Issued or accepted permits valid until today..today+days, soonest first."""
    if not 0 <= days <= 366:
        raise CounterError("--days must be from 0 to 366, not {days}", exit_code=2, days=days)
    end = today + timedelta(days=days)
    rows = expiry_reads.expiring_between(station.db, today.isoformat(), end.isoformat())
    return [Expiring(r[0], r[1], r[2], mask(r[3]) if r[3] else "", r[4], r[5],
                     (date.fromisoformat(r[5]) - today).days, bool(r[6])) for r in rows]


def record_listed(station, clerk_id: str | None, days: int, items: list[Expiring], how: str) -> None:
    """The list was shown (how: screen | cli): who saw whose data is on the journal."""
    station.record("expiry.listed", {"days": days, "count": len(items), "how": how,
                                     "permits": [i.permit_id for i in items]}, clerk_id=clerk_id)


def mark_contacted(station, item: Expiring, clerk_id: str | None, channel: str = "phone") -> None:
    if channel not in ("phone", "sms", "in_person"):
        raise CounterError("channel must be phone, sms or in_person", exit_code=2)
    station.record("permit.holder_contacted", {"permit_id": item.permit_id, "person_id": item.person_id,
                                               "valid_until": item.valid_until, "channel": channel},
                   clerk_id=clerk_id)


def sms_message(item: Expiring, office: str) -> str:
    return (f"【{office}】{item.name}您好，您的居住证将于{item.valid_until}到期。"
            f"请于到期前携带居民身份证到服务窗口办理签注（延期），免费办理。")


def sms_csv(items: list[Expiring], office: str) -> tuple[bytes, int]:
    """The gateway's batch layout: a header `mobile,content`, one UTF-8 row per holder with a mobile
    number (landlines cannot take SMS: they are left out and counted). Returns (bytes, skipped)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["mobile", "content"])
    skipped = 0
    for item in items:
        if not item.phone or not MOBILE.fullmatch(item.phone):
            skipped += 1
            continue
        w.writerow([item.phone, sms_message(item, office)])
    return buf.getvalue().encode("utf-8"), skipped


def export_sms(station, items: list[Expiring], path, clerk_id: str | None, days: int) -> int:
    """Write the CSV atomically, 0600, and journal it; returns the rows skipped (no mobile)."""
    from counter import files

    data, skipped = sms_csv(items, station.config.data["station"]["office"])
    files.write_atomic(path, data)
    station.record("expiry.exported", {"days": days, "count": len(items) - skipped, "skipped": skipped,
                                       "format": "sms_csv", "file": path.name,
                                       "permits": [i.permit_id for i in items]}, clerk_id=clerk_id)
    return skipped


def print_list(station, items: list[Expiring], path, clerk_id: str | None, days: int, today: date) -> None:
    """The call list as an A4 PDF (masked ID numbers), written 0600 and journaled."""
    from counter import files
    from printing.stats_report import StatsReport, render_stats_report

    grid = [["姓名 Name", "证件号码 ID", "电话 Phone", "到期 Expires", "剩余天数 Days", "已联系 Contacted"]]
    grid += [[i.name, i.id_masked, i.phone or "—", i.valid_until, str(i.days_left), "✓" if i.contacted else ""]
             for i in items]
    office = station.config.data["station"]["office"]
    from counter.services.printing import refusing_unprintable

    with refusing_unprintable():  # a holder's name no font has: no list with a blank box, nothing journaled
        pdf = render_stats_report(StatsReport(
            title="居住证到期提醒名单 Expiring residence permits", scope=f"{station.config.station_id} {office}",
            period=f"{today.isoformat()} — {(today + timedelta(days=days)).isoformat()}", grid=grid,
            footnote=f"共 {len(items)} 人。内含个人信息，仅供工作人员联系持证人使用（《办法》第七条、第二十三条）。"))
    files.write_atomic(path, pdf)
    station.record("expiry.printed", {"days": days, "count": len(items), "file": path.name,
                                      "permits": [i.permit_id for i in items]}, clerk_id=clerk_id)
