"""Local person find: pinyin keys (full, initials, heteronyms, 𠮷), name plus birth date, the search
table as a projection, and `counter person find`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from counter.services import people, perform, register
from db import rebuild
from tests.register.conftest import YOSHIDA


def _person(station, clerk, name, id_number, birth, **over):
    values = {**YOSHIDA, "name": name, "id_number": id_number, "birth_date": birth, **over}
    return perform(station, "residence_registration", values, clerk=clerk).person_id


@pytest.fixture
def three(station, clerk):
    return {
        "yoshida": _person(station, clerk, "𠮷田", "11010519491231002X", "1949-12-31"),
        "shan": _person(station, clerk, "单伟", "110105199001020016", "1990-01-02", sex="M"),
        "zhang": _person(station, clerk, "张伟", "110105198505050011", "1985-05-05", sex="M"),
        "ayiguli": _person(station, clerk, "阿依古丽·买买提", "65010219920304002X", "1992-03-04"),
    }


def _names(found):
    return sorted(p.name for p in found)


def test_local_pinyin_search(station, three):
    assert _names(people.search(station, "jitian")) == ["𠮷田"]
    assert _names(people.search(station, "jt")) == ["𠮷田"]
    assert _names(people.search(station, "shanwei")) == ["单伟"]  # the surname reading of 单
    assert _names(people.search(station, "danwei")) == ["单伟"]
    assert _names(people.search(station, "zw")) == ["张伟"]
    assert _names(people.search(station, "zhang")) == ["张伟"]  # a prefix of the full key
    assert people.search(station, "wangfang") == []
    assert _names(people.search(station, "ayiguli maimaiti")) == ["阿依古丽·买买提"]  # the · is dropped
    assert _names(people.search(station, "aygl")) == ["阿依古丽·买买提"]


def test_name_with_birth_date(station, three):
    assert _names(people.search(station, "单伟 1990-01-02")) == ["单伟"]
    assert _names(people.search(station, "单伟 19900102")) == ["单伟"]
    assert people.search(station, "单伟 1990-01-03") == []
    assert _names(people.search(station, "\ud842\udfb7田")) == ["𠮷田"]  # surrogate pair typed in


def test_name_correction_rekeys_and_rebuild_recomputes_the_table(station, clerk, supervisor, three):
    perform(station, "name_correction", {"new_name": "王伟", "correction_reason": "2"}, person_id=three["zhang"],
            clerk=clerk, supervisor=supervisor)
    assert people.search(station, "zw") == []
    assert _names(people.search(station, "wangwei")) == ["王伟"]
    rows = station.db.conn.execute("SELECT key, person_id FROM person_search ORDER BY 1, 2").fetchall()
    before = rebuild.checksum(station.db)
    station.db.conn.execute("DELETE FROM person_search")
    assert people.search(station, "wangwei") == []
    rebuild.rebuild(station.db)
    assert station.db.conn.execute("SELECT key, person_id FROM person_search ORDER BY 1, 2").fetchall() == rows
    assert rebuild.checksum(station.db) == before


def test_find_offline_when_hq_not_configured(station, three):
    result = register.find(station, "jt")
    assert [(f.source, f.name, f.id_masked, f.station_id) for f in result.results] == [
        ("local", "𠮷田", "110105********002X", "T-01")]
    assert result.hq == "not_configured" and "not configured" in result.hq_message


def test_find_says_offline_when_hq_unreachable(station, three):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    station.config.section("sync")["hq_url"] = f"http://127.0.0.1:{port}"
    result = register.find(station, "zw", clerk_id="C1")
    assert [f.name for f in result.results] == ["张伟"]
    assert result.hq == "offline" and "connection refused" in result.hq_message
    assert "local data" in result.hq_message


def test_cli_person_find_json(station, three):
    station.close()
    env = {**os.environ, "COUNTER_DATA_DIR": str(station.data_dir)}
    out = subprocess.run([sys.executable, "-m", "counter", "person", "find", "jt", "--json"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [(r["source"], r["name"], r["id_masked"]) for r in data["results"]] == [
        ("local", "𠮷田", "110105********002X")]
    assert "11010519491231002X" not in out.stdout  # lists carry masked numbers only
    none = subprocess.run([sys.executable, "-m", "counter", "person", "find", "nobody"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert none.returncode == 1 and none.stdout.strip() == "nobody found" and "Traceback" not in none.stderr


def test_a_station_from_before_the_search_table_gets_its_keys_at_the_first_find(station, three):
    station.db.conn.execute("DELETE FROM person_search")  # as after the 0006 migration on an old station
    assert people.search(station, "zw") == []
    assert [f.name for f in register.find(station, "zw").results] == ["张伟"]
    assert _names(people.search(station, "jt")) == ["𠮷田"]
