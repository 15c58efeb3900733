"""Stations that do real services, and a way to push their journals through HQ's real ingest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from counter.hq import admin
from counter.hq.ingest import ingest_batch
from counter.services import clerks, perform
from counter.station import Station
from db import journal
from tests.sync.fixtures import raw_batch

DISTRICT = "210102"

# from another province (Beijing): a residence registration and a permit at a Liaoning station (art. 10)
ZHANG = {"doc_type": "citizen_id", "id_number": "110105198803142125", "name": "张伟", "sex": "F",
         "birth_date": "1988-03-14", "ethnicity": "01", "nationality": "CHN",
         "household_address": "北京市朝阳区", "current_address": "沈阳市和平区南京北街1号",
         "arrival_date": "0", "stay_reason": "1", "phone": "13812345678"}
# 𠮷 (U+20BB7) outside the BMP; another province (Beijing), so a permit is possible
YOSHIDA = {"doc_type": "citizen_id", "id_number": "11010519491231002X", "name": "𠮷田", "sex": "F",
           "birth_date": "1949-12-31", "ethnicity": "01", "nationality": "CHN",
           "household_address": "北京市朝阳区幸福街1号", "current_address": "沈阳市和平区南京北街10号",
           "arrival_date": "0", "stay_reason": "1", "phone": "13812345678"}


def new_station(root, station_id: str, store) -> tuple[Station, object]:
    station = Station.init(root / station_id, station_id, DISTRICT, "测试服务中心")
    clerk = clerks.add_clerk(station, f"柜员{station_id}", "clerk", "1234")
    admin.enroll(store, station.station_id, station.key.public_pem())
    return station, clerk


def push(store, station: Station, now: datetime | None = None, project: bool = True):
    """Everything the station has that HQ does not, in one batch, through HQ's ingest."""
    with store.transaction() as tx:
        cursor = tx.one("SELECT cursor_seq FROM hq_stations WHERE station_id = ?", (station.station_id,))[0]
    head, _ = journal.head(station.db)
    if head <= cursor:
        return None
    return ingest_batch(store, raw_batch(station, cursor + 1, head, sent_at=now), now=now, project=project)


def copy_file(source: Station, target: Station, person_id: str) -> None:
    """Stand-in for the station side's adoption (branch register-window): the person's rows in the
    target's projections, so that its services act on the file. Not journaled at the target."""
    from db.connection import write_transaction

    with write_transaction(target.db):
        for table, where in (("persons", "person_id = ?"), ("permits", "person_id = ?"),
                             ("permit_cards", "permit_id IN (SELECT permit_id FROM permits WHERE person_id = ?)")):
            cur = source.db.conn.execute(f"SELECT * FROM {table} WHERE {where}", (person_id,))
            cols = [c[0] for c in cur.description]
            for row in cur.fetchall():
                target.db.conn.execute(f"INSERT OR REPLACE INTO {table} ({', '.join(cols)}) VALUES"
                                       f" ({', '.join('?' * len(cols))})", row)


def service(station, name, clerk, values=None, *, person_id=None, now=None):
    return perform(station, name, values or {}, person_id=person_id, clerk=clerk, now=now or datetime.now(UTC))


def permit_near_expiry(station, clerk, values):
    """A permit accepted 350 days ago and collected: its extension window (30 days) is open today."""
    t0 = datetime.now(UTC) - timedelta(days=350)
    reg = service(station, "residence_registration", clerk, {**values, "arrival_date": "0"}, now=t0)
    app = service(station, "permit_apply", clerk, {"validity_years": "1", "proof": "1"}, person_id=reg.person_id,
                  now=t0)
    service(station, "permit_collect", clerk, person_id=reg.person_id, now=t0 + timedelta(days=30))
    return reg.person_id, app.number
