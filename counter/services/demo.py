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


def open_demo_station(data_dir: str | None) -> Station:
    if data_dir:
        directory = Path(data_dir).expanduser()
        if (directory / CONFIG_FILE).exists():
            return Station.open(directory)
        return make_demo_station(directory)
    directory = Path(tempfile.mkdtemp(prefix="counter-demo-"))
    atexit.register(shutil.rmtree, directory, True)
    return make_demo_station(directory / "station")
