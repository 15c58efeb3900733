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


def make_demo_station(directory: Path) -> Station:
    from counter.services import clerks

    station = Station.init(directory, "DEMO-01", DEMO_DISTRICT, DEMO_OFFICE, demo=True,
                           reader={"kind": "simulated", "sam_port": "simulated"}, printer={"kind": "simulated"})
    clerks.add_clerk(station, DEMO_CLERK[0], "clerk", DEMO_CLERK[1])
    clerks.add_clerk(station, DEMO_SUPERVISOR[0], "supervisor", DEMO_SUPERVISOR[1])
    return station


def open_demo_station(data_dir: str | None) -> Station:
    if data_dir:
        directory = Path(data_dir).expanduser()
        if (directory / CONFIG_FILE).exists():
            return Station.open(directory)
        return make_demo_station(directory)
    directory = Path(tempfile.mkdtemp(prefix="counter-demo-"))
    atexit.register(shutil.rmtree, directory, True)
    return make_demo_station(directory / "station")
