"""Fixtures of a fresh station and its staff, made once for the areas that each want their own names."""

from __future__ import annotations

import pytest

DISTRICT = "210102"  # 和平区, 辽宁省沈阳市
CLERK_PIN, SUPERVISOR_PIN = "1234", "4321"


def station_fixture(station_id: str, office: str, **overrides: dict):
    """A `station` fixture: a new station in DISTRICT under tmp_path/station, closed afterwards."""

    @pytest.fixture
    def station(tmp_path):
        from counter.station import Station

        st = Station.init(tmp_path / "station", station_id, DISTRICT, office, **overrides)
        yield st
        st.close()

    return station


def clerk_fixture(name: str):
    """A `clerk` fixture: a clerk of that name (PIN CLERK_PIN) on the `station` fixture."""

    @pytest.fixture
    def clerk(station):
        from counter.services import clerks

        return clerks.add_clerk(station, name, "clerk", CLERK_PIN)

    return clerk


def supervisor_fixture(name: str):
    """A `supervisor` fixture: a supervisor of that name (PIN SUPERVISOR_PIN), already authorised."""

    @pytest.fixture
    def supervisor(station):
        from counter.services import clerks

        clerks.add_clerk(station, name, "supervisor", SUPERVISOR_PIN)
        return clerks.authorize_supervisor(station, name, SUPERVISOR_PIN, "test")

    return supervisor


def hq_window(root, station_id: str, store, hq_url: str, hq_key_dir, *, office: str = "和平区政务服务中心"):
    """A window of DISTRICT at root/station_id that trusts HQ's key and syncs to `hq_url`, enrolled at
    `store`, with a clerk 柜员<station_id> (PIN CLERK_PIN): (station, clerk)."""
    import shutil

    from counter.hq import admin
    from counter.services import clerks
    from counter.station import Station

    st = Station.init(root / station_id, station_id, DISTRICT, office)
    shutil.copy(hq_key_dir / "hq.pub", st.data_dir / "keys" / "hq.pub")
    section = st.config.section("sync")
    section["hq_public_key"], section["hq_url"] = "keys/hq.pub", hq_url
    st.config.save()
    admin.enroll(store, st.station_id, st.key.public_pem())
    return st, clerks.add_clerk(st, f"柜员{station_id}", "clerk", CLERK_PIN)


def hq_window_session(root, station_id: str, store, hq_url: str, hq_key_dir):
    """`hq_window` with its clerk signed in: (station, session)."""
    from counter.services import clerks

    st, clerk = hq_window(root, station_id, store, hq_url, hq_key_dir)
    return st, clerks.Session(f"s-{station_id}", clerk)


def extended_at_two_windows(root, store, person: dict):
    """Windows HP-01 and HP-02 enrolled at `store` (HQ's ingest in process): HP-01 registered `person` with a
    permit whose extension window is open and synced; HP-02 took the file over, extended the permit a year
    while offline, HP-01 extended it too, and both synced: the double extension HQ detects.
    (a, clerk_a, b, clerk_b, person_id, permit number)."""
    from tests.register.helpers import copy_file, new_station, permit_near_expiry, push, service

    a, ca = new_station(root, "HP-01", store)
    b, cb = new_station(root, "HP-02", store)
    pid, permit = permit_near_expiry(a, ca, person)
    push(store, a)
    copy_file(a, b, pid)
    service(b, "permit_extend", cb, {"validity_years": "1"}, person_id=pid)
    service(a, "permit_extend", ca, {"validity_years": "1"}, person_id=pid)
    push(store, a)
    push(store, b)
    return a, ca, b, cb, pid, permit
