"""The demo station: made fresh, with demo clerks and simulated devices."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from counter.config import CONFIG_FILE
from counter.station import Station

DEMO_CLERK = ("演示柜员", "1234")
DEMO_SUPERVISOR = ("演示主管", "4321")
DEMO_DISTRICT = "210102"  # 辽宁省沈阳市和平区
DEMO_OFFICE = "和平区政务服务中心（演示）"


PIN_HASH_CACHE = "demo-pin-hashes.json"


def _cached_pin_hashes() -> dict[str, str]:
    """Argon2 hashes of the demo's public PINs, made once per user and kept in the user cache dir:
    hashing them is most of a fresh demo station's start. They protect nothing (the PINs are printed
    on the sign-in screen), but the file is still 0600 in a 0700 dir, like everything the counter writes."""
    import json

    from platformdirs import user_cache_dir

    from counter import files
    from counter.services import clerks

    path = Path(user_cache_dir("counter")) / PIN_HASH_CACHE
    pins = (DEMO_CLERK[1], DEMO_SUPERVISOR[1])
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(cached, dict) and all(isinstance(cached.get(p), str) for p in pins):
            return cached
    except (OSError, ValueError):
        pass
    hashes = {p: clerks.hash_pin(p) for p in pins}
    try:
        files.write_atomic(path, json.dumps(hashes).encode())
    except OSError:
        pass  # a read-only home: the next start hashes again
    return hashes


def make_demo_station(directory: Path) -> Station:
    from counter.services import clerks

    station = Station.init(directory, "DEMO-01", DEMO_DISTRICT, DEMO_OFFICE, demo=True,
                           reader={"kind": "simulated", "sam_port": "simulated"}, printer={"kind": "simulated"})
    hashes = _cached_pin_hashes()
    clerks.add_clerk(station, DEMO_CLERK[0], "clerk", DEMO_CLERK[1], pin_hash=hashes[DEMO_CLERK[1]])
    clerks.add_clerk(station, DEMO_SUPERVISOR[0], "supervisor", DEMO_SUPERVISOR[1],
                     pin_hash=hashes[DEMO_SUPERVISOR[1]])
    return station


def _citizen_id(area: str, birth: str, order: int) -> str:
    from counter.domain.citizen_id import check_character

    first17 = f"{area}{birth}{order:03d}"
    return first17 + check_character(first17)


def _uscc(body: str) -> str:
    """A unified social credit code from its first 17 characters (stdnum computes the check character)."""
    from stdnum.cn import uscc

    return body + uscc.calc_check_digit(body)


# The demo's landlords (people on file, registered at the window), their houses, and reporting entities
# (F6): a 𠮷 name, a minority name with ·, valid ID numbers and credit codes.
LANDLORDS = (
    ("lodging_registration", _citizen_id("210202", "19700101", 11), "𠮷永康", "M", "1970-01-01", "01",
     "大连市中山区人民路1号", "沈阳市和平区十一纬路1号"),
    ("residence_registration", _citizen_id("650102", "19820315", 22), "阿依古丽·买买提", "F", "1982-03-15", "05",
     "乌鲁木齐市天山区解放南路2号", "沈阳市和平区太原街8号"),
)
HOUSES = (("HP-D001", "沈阳市和平区南京北街10号3单元201", "rental", 4, 0),
          ("HP-D002", "沈阳市和平区太原街8号2单元502", "rental", 3, 1),
          ("HP-D003", "沈阳市和平区中山路9号（职工宿舍）", "dormitory", 12, 0))
ENTITIES = ((_uscc("91210102MA0QC1234"), "employer", "沈阳𠮷祥餐饮有限公司", "阿依古丽·买买提", "024-23456789",
             "沈阳市和平区中华路5号"),
            (_uscc("91210102MA0QC5678"), "housing_agency", "和平房屋中介有限公司", "李明", "024-23456790",
             "沈阳市和平区三好街12号"),
            (_uscc("91210102MA0QC9012"), "hotel", "南京街宾馆", "王芳", "024-23456791", "沈阳市和平区南京南街7号"))
TENANT = (_citizen_id("650102", "19950505", 33), "买买提·艾力")


def seed_houses_once(station) -> bool:
    """The demo's houses and entities on a demo station that has none yet (False: nothing to do). The app
    calls it in the background after the sign-in screen is drawn: registering the landlords loads the form
    engine and the pinyin dictionary, which the sign-in screen has no use for."""
    from counter.services import clerks
    from db.projectors import houses as reads

    if not station.is_demo() or reads.houses(station.db, limit=1):
        return False
    seed_houses(station, clerks.find_clerk(station, DEMO_CLERK[0]))
    return True


def seed_houses(station, clerk) -> None:
    """The demo's houses and entities, through the services the window uses (journaled like any other)."""
    from counter.services import engine, houses
    from counter.services.reports import ReportRow, file_report

    managers = []
    for service, number, name, sex, birth, ethnicity, household, address in LANDLORDS:
        managers.append(engine.perform(station, service, {
            "doc_type": "citizen_id", "id_number": number, "name": name, "sex": sex, "birth_date": birth,
            "ethnicity": ethnicity, "nationality": "CHN", "household_address": household,
            "current_address": address, "arrival_date": "-30", "stay_reason": "1"}, clerk=clerk,
            build_document=False).person_id)
    for code, address, kind, capacity, manager in HOUSES:
        houses.add_house(station, clerk.clerk_id, house_code=code, address=address, house_type=kind,
                         capacity=capacity, manager_ref=managers[manager])
    for code, kind, name, contact, phone, address in ENTITIES:
        houses.add_entity(station, clerk.clerk_id, entity_code=code, entity_type=kind, name=name,
                          contact_name=contact, contact_phone=phone, address=address)
    today = engine.business_date(station)
    file_report(station, clerk.clerk_id, reporter_kind="house", reporter_code=HOUSES[0][0], report_type="move_in",
                rows=[ReportRow(1, "citizen_id", TENANT[0], TENANT[1], today, None, None)], today=today)


def open_demo_station(data_dir: str | None) -> Station:
    if data_dir:
        directory = Path(data_dir).expanduser()
        if (directory / CONFIG_FILE).exists():
            return Station.open(directory)
        return make_demo_station(directory)
    directory = Path(tempfile.mkdtemp(prefix="counter-demo-"))
    atexit.register(shutil.rmtree, directory, True)
    return make_demo_station(directory / "station")
