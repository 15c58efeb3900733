"""`counter doctor`: one line per check of a station's machine, each with its fix when something is wrong.

UI-free: never imports textual. No check prints personal data.
"""

from __future__ import annotations

import shutil
import stat
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from counter.config import CONFIG_FILE, DB_FILE

OK, WARN, ERROR, SKIP = "ok", "warn", "error", "skip"
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")  # Debian's vsmartcard-vpcd
VIRTUAL_READER = "Virtual PCD"
# Signed entries and receipts carry the station's clock; beyond this against HQ, times disagree visibly.
CLOCK_TOLERANCE_SECONDS = 30
# A day of a busy window is a few MB of journal; below this, exports and the WAL may fail mid-day.
MIN_FREE_BYTES = 500 * 1024 * 1024
HQ_TIMEOUT_SECONDS = 5.0
# Files in the data directory that hold personal data or keys (relative to it).
PRIVATE_FILES = (DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm", CONFIG_FILE, "keys/station.key")


@dataclass
class Check:
    name: str
    status: str  # ok | warn | error | skip
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status:<5} {self.name:<12} {self.detail}"
        return f"{text}; fix: {self.fix}" if self.fix else text

    def as_dict(self) -> dict:
        return asdict(self)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def check_permissions(data_dir: Path) -> Check:
    exposed = []
    if _mode(data_dir) & 0o077:
        exposed.append((data_dir, "chmod 700"))
    for name in ("keys", "certificates"):
        if (data_dir / name).is_dir() and _mode(data_dir / name) & 0o077:
            exposed.append((data_dir / name, "chmod 700"))
    for name in PRIVATE_FILES:
        if (data_dir / name).exists() and _mode(data_dir / name) & 0o077:
            exposed.append((data_dir / name, "chmod 600"))
    if not exposed:
        return Check("permissions", OK, f"{data_dir} and its files are private (0700/0600)")
    first = ", ".join(f"{p} ({_mode(p):o})" for p, _ in exposed)
    fix = "; ".join(f"{how} {p}" for p, how in exposed)
    return Check("permissions", ERROR, f"readable by others: {first}", fix)


def _readers() -> tuple[list[str] | None, str]:
    """pcscd's reader list, or None and why not."""
    try:
        from devices.backends import open_backend
        from devices.errors import CardError
    except ImportError as exc:  # pragma: no cover - the devices package ships with counter
        return None, str(exc)
    try:
        return list(open_backend("pcsc").readers()), ""
    except CardError as exc:
        return None, exc.message
    except ImportError:
        return None, "pyscard is not installed (pip install 'counter[pcsc]')"


def check_pcscd(reader_kind: str, readers: list[str] | None, why: str) -> Check:
    if reader_kind != "pcsc":
        return Check("pcscd", SKIP, f"not needed: [reader] kind is {reader_kind}")
    if readers is None:
        return Check("pcscd", ERROR, why.split(";")[0],
                     "apt-get install pcscd && systemctl enable --now pcscd.socket")
    return Check("pcscd", OK, f"running, {len(readers)} reader(s)")


def check_virtual_reader(demo: bool, readers: list[str] | None) -> Check:
    virtual = [r for r in readers or [] if r.startswith(VIRTUAL_READER)]
    installed = VPCD_DRIVER.exists()
    found = ", ".join(([f"reader {virtual[0]!r}"] if virtual else []) +
                      ([f"vsmartcard-vpcd ({VPCD_DRIVER})"] if installed else []))
    if not found:
        return Check("vpcd", OK, "no virtual card reader")
    if demo:
        return Check("vpcd", OK, f"{found} present; fine on a demo station")
    return Check("vpcd", ERROR, f"{found} on a production station: anyone can present a simulated card",
                 "apt-get purge vsmartcard-vpcd && systemctl restart pcscd")


def check_fonts() -> Check:
    from printing import fonts

    missing = []
    for font in fonts.CHAIN:
        try:
            fonts.font_path(font)
        except fonts.FontMissing:
            missing.append(font)
    if not missing:
        return Check("fonts", OK, ", ".join(f.filename for f in fonts.CHAIN) + " found")
    packages = sorted({f.package for f in missing})
    return Check("fonts", ERROR, "missing " + ", ".join(f.filename for f in missing),
                 "apt-get install " + " ".join(packages))


def check_printer(station) -> Check:
    from counter.services import printing as ps
    from devices.printer import read_status

    settings = ps.printer_settings(station)
    if settings.kind == "none":
        return Check("printer", SKIP, "no printer configured ([printer] kind = none)")
    status = read_status(settings)
    if status.printable:
        return Check("printer", OK, f"{settings.kind}: {status.state}")
    return Check("printer", ERROR, f"{settings.kind}: {status.message}",
                 "check the printer's power, cable, paper and cover, then `counter print status`")


def check_hq(hq_url: str) -> tuple[Check, Check]:
    """HQ reachable, and the clock offset against HQ's Date header."""
    if not hq_url:
        skipped = "no HQ configured ([sync] hq_url is empty)"
        return Check("hq", SKIP, skipped), Check("clock", SKIP, skipped)
    import httpx

    url = hq_url.rstrip("/") + "/v1/health"
    try:
        sent = datetime.now(UTC)
        response = httpx.get(url, timeout=HQ_TIMEOUT_SECONDS)
        received = datetime.now(UTC)
    except httpx.HTTPError as exc:
        why = type(exc).__name__
        return (Check("hq", ERROR, f"{hq_url} does not answer ({why})",
                      "check the network and that HQ runs; `counter sync configure` sets the URL"),
                Check("clock", SKIP, "HQ does not answer"))
    if response.status_code != 200:
        hq = Check("hq", ERROR, f"{hq_url} answered HTTP {response.status_code} to {url}",
                   "check the URL with `counter sync status`; call district IT")
    else:
        hq = Check("hq", OK, f"{hq_url} answers")
    try:
        theirs = parsedate_to_datetime(response.headers["date"])
    except (KeyError, TypeError, ValueError):
        return hq, Check("clock", WARN, "HQ sent no Date header; the offset is unknown")
    # The Date header has one-second resolution: compare with the middle of the round trip.
    ours = sent + (received - sent) / 2
    offset = (ours - theirs).total_seconds()
    detail = f"{offset:+.0f} s against HQ"
    if abs(offset) > CLOCK_TOLERANCE_SECONDS + 1:
        return hq, Check("clock", ERROR, f"{detail} (more than {CLOCK_TOLERANCE_SECONDS} s)",
                         "enable time sync: timedatectl set-ntp true")
    return hq, Check("clock", OK, detail)


def check_disk(data_dir: Path) -> Check:
    free = shutil.disk_usage(data_dir).free
    detail = f"{free / 2**30:.1f} GiB free for {data_dir}"
    if free < MIN_FREE_BYTES:
        return Check("disk", ERROR, detail + f" (less than {MIN_FREE_BYTES // 2**20} MiB)",
                     "free space on that disk or move the data directory")
    return Check("disk", OK, detail)


def run_checks(data_dir: Path) -> list[Check]:
    """Every check, in order. A station that cannot be opened is one failing check; the rest still run."""
    checks = [check_permissions(data_dir)] if data_dir.is_dir() else [
        Check("station", ERROR, f"no station in {data_dir}", "counter init, or give --data-dir")]
    station = None
    if (data_dir / CONFIG_FILE).exists():
        try:
            from counter.station import Station

            station = Station.open(data_dir)
        except Exception as exc:  # a broken station is a finding, reported in one line
            checks.append(Check("station", ERROR, str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                                "see the message; restore the data directory from a backup if it is damaged"))
    config = station.config if station is not None else None
    try:
        reader_kind = config.section("reader")["kind"] if config else "pcsc"
        demo = reader_kind == "simulated"
        readers, why = _readers()
        checks.append(check_virtual_reader(demo, readers))
        checks.append(check_pcscd(reader_kind, readers, why))
        checks.append(check_fonts())
        if station is not None:
            checks.append(check_printer(station))
        checks.extend(check_hq(config.section("sync")["hq_url"] if config else ""))
        if data_dir.is_dir():
            checks.append(check_disk(data_dir))
    finally:
        if station is not None:
            station.close()
    return checks
