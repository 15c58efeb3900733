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
