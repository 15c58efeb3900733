"""A station in 和平区 (210102, 辽宁省沈阳市) and the people of issue 16's worst cases."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.stations import clerk_fixture, station_fixture, supervisor_fixture

# a German passport holder (issue 16: "A foreigner got through")
MUELLER = {"doc_type": "passport", "id_number": "C01X00T47", "name": "MUELLER ANNA MARIA", "sex": "F",
           "birth_date": "1979-08-12", "nationality": "DEU", "current_address": "沈阳市和平区中华路88号",
           "stay_reason": "1", "proof": "1", "validity_years": "1"}
# household registration in the station's own district (issue 16: "A local resident got through")
YONGKANG = {"doc_type": "citizen_id", "id_number": "210102198804171352", "name": "𠮷永康", "sex": "M",
            "birth_date": "1988-04-17", "ethnicity": "01", "nationality": "CHN",
            "household_address": "辽宁省沈阳市和平区南京北街1号", "current_address": "沈阳市和平区中华路88号",
            "arrival_date": "0", "stay_reason": "1", "proof": "1", "validity_years": "1"}
# from 乌鲁木齐 (another province): a minority name with the middle dot
AYIGULI = {"doc_type": "citizen_id", "id_number": "650102199206070021", "name": "阿依古丽·买买提", "sex": "F",
           "birth_date": "1992-06-07", "ethnicity": "05", "nationality": "CHN",
           "household_address": "新疆维吾尔自治区乌鲁木齐市天山区", "current_address": "沈阳市和平区南京北街10号",
           "arrival_date": "0", "stay_reason": "1", "proof": "1", "validity_years": "1"}
# from 大连市中山区: elsewhere in Liaoning
WANGLI = {"doc_type": "citizen_id", "id_number": "210202199001010029", "name": "王丽", "sex": "F",
          "birth_date": "1990-01-01", "ethnicity": "01", "nationality": "CHN",
          "household_address": "辽宁省大连市中山区", "current_address": "沈阳市和平区三好街5号",
          "arrival_date": "0", "stay_reason": "1", "proof": "1", "validity_years": "1"}
# from 北京市朝阳区
ZHANGWEI = {"doc_type": "citizen_id", "id_number": "110105198803142125", "name": "张伟", "sex": "F",
            "birth_date": "1988-03-14", "ethnicity": "01", "nationality": "CHN",
            "household_address": "北京市朝阳区幸福街1号", "current_address": "沈阳市和平区南京北街20号",
            "arrival_date": "0", "stay_reason": "1", "proof": "1", "validity_years": "1"}


def at(day: str, hh_mm: str = "10:00") -> datetime:
    """A moment on a Shanghai business day (UTC+8)."""
    local = datetime.fromisoformat(f"{day}T{hh_mm}:00+08:00")
    return local.astimezone(UTC)


station = station_fixture("HP-01", "和平区政务服务中心", printer={"kind": "simulated"})
clerk = clerk_fixture("李娜")
supervisor = supervisor_fixture("王芳")


def set_policy(station, **values) -> None:
    """A district's [policy] override, as station.toml would give it (the engine reads it per call)."""
    station.config.policy.update(values)
