"""Station configuration (DIR/station.toml): strict, typed, with DOMAIN.md's defaults."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

from counter.domain.language import LANGS
from counter.errors import ConfigError

ENV_DATA_DIR = "COUNTER_DATA_DIR"
CONFIG_FILE = "station.toml"
DB_FILE = "station.db"


def setting(default: Any = None, *, kind: type | None = None, low: float | None = None, high: float | None = None,
            choices: tuple | Callable[[], tuple] | None = None, why: str = "") -> Any:
    """One key of station.toml: its default, and what a value must be (checked at load, naming file and key).

    `kind` is the default's type unless given; `choices` may be a function, for lists read from templates/.
    """
    return field(default=default, metadata={"kind": kind or type(default), "low": low, "high": high,
                                            "choices": choices, "why": why})


def _printer_kinds() -> tuple[str, ...]:
    from devices.printer import KINDS

    return tuple(KINDS)


def _printer_models() -> tuple[str, ...]:
    from importlib import resources

    return tuple(sorted(item.name.removesuffix(".toml") for item in resources.files("templates.printers").iterdir()
                        if item.name.endswith(".toml")))


@dataclass(frozen=True)
class StationSection:
    id: str = setting(kind=str)
    district: str = setting(kind=str)
    office: str = setting(kind=str)
    timezone: str = setting("Asia/Shanghai")
    lang: str = setting("zh_CN", choices=LANGS)


@dataclass(frozen=True)
class SecuritySection:
    # The station's own choice (no regulation sets them); the bounds only keep them meaningful: a lockout
    # of -1 minutes or max_failed_pins = 0 would switch the lockout off.
    idle_lock_minutes: int = setting(5, low=0, high=240)  # 0 = never lock (README)
    max_failed_pins: int = setting(5, low=1, high=100)
    pin_lockout_minutes: int = setting(15, low=1, high=24 * 60)


@dataclass(frozen=True)
class PolicySection:
    """Defaults come from templates/policy/default.toml (data, not code; each value names its article)."""

    registration_deadline_days: int = setting(kind=int, low=0)
    change_deadline_days: int = setting(kind=int, low=0)
    report_deadline_days: int = setting(kind=int, low=0)
    report_correction_days: int = setting(kind=int, low=1)
    permit_validity_years: list = setting(kind=list)
    extension_window_days: int = setting(kind=int, low=0)
    collection_working_days: int = setting(kind=int, low=0)
    min_residence_months: int = setting(kind=int, low=0)
    accepted_proofs: list = setting(kind=list)
    permit_optional_under_age: int = setting(kind=int, low=0)
    fee: str = setting(kind=str)
    holidays: list = setting(kind=list)
    occupations: list = setting(kind=list)
    required_items: list = setting(kind=list)
    stats_min_cell: int = setting(kind=int, low=0)
    stats_age_bands: list = setting(kind=list)
    expiry_notice_days: int = setting(kind=int, low=0)
    permit_eligibility: str = setting(kind=str)
    other_county_min_residence_months: int = setting(kind=int, low=0)
    foreigner_registration_hours: int = setting(kind=int, low=1)
    hmt_permit: bool = setting(kind=bool)
    hmt_min_residence_months: int = setting(kind=int, low=0)


@dataclass(frozen=True)
class ReaderSection:
    # pcsc: a real PC/SC reader through pcscd; simulated: in-process sample cards; none
    kind: str = setting("pcsc", choices=("pcsc", "simulated", "none"))
    reader_name: str = setting("")
    csca_dir: str = setting("")
    # the resident ID card's certified SAM reader: /dev/ttyACM0, /dev/ttyUSB0 (empty: none;
    # "simulated": our simulated reader on a pty, for the demo)
    sam_port: str = setting("")
    sam_baud: int = setting(115200, low=1200, high=921_600)  # 8N1
    sam_poll_seconds: float = setting(0.5, low=0.05, high=10)  # how often "find card" is polled


@dataclass(frozen=True)
class PrinterSection:
    kind: str = setting("simulated", choices=_printer_kinds)  # file | usb | serial | network | cups | simulated | none
    model: str = setting("generic-80", choices=_printer_models)  # a profile in templates/printers/
    # usb: VID:PID hex; serial: /dev/ttyUSB0; network: host[:port]; file: path; cups: queue name
    target: str = setting("")
    timeout_seconds: float = setting(3.0, low=0.1, high=300)
    baudrate: int = setting(9600, low=300, high=4_000_000)
    usb_in_ep: int = setting(0x82, low=0x81, high=0x8F)  # an IN endpoint address has bit 7 set
    usb_out_ep: int = setting(0x01, low=0x01, high=0x0F)
    # false for one-way printers that never answer DLE EOT: a job is then done once sent
    status_query: bool = setting(True)
    certificate_dir: str = setting("")  # where certificate PDFs go; empty = DATA_DIR/certificates


@dataclass(frozen=True)
class SyncSection:
    hq_url: str = setting("")
    hq_public_key: str = setting("")
    interval_seconds: int = setting(30, low=1, high=24 * 3600)
    batch_size: int = setting(500, low=1, high=10_000)
    # HQ's TLS certificate or CA (PEM), the only one trusted for https://; empty = the system CAs
    hq_ca: str = setting("")
    # allow plain http:// to a host that is not loopback (personal data unencrypted on the wire)
    insecure_http: bool = setting(False)


@dataclass(frozen=True)
class ExportSection:
    # the district's age X25519 recipient (age1...): when set, day bundles are encrypted to it
    age_recipient: str = setting("")


@dataclass(frozen=True)
class Settings:
    """The whole station.toml, typed: `config.settings.security.max_failed_pins`."""

    station: StationSection
    security: SecuritySection
    policy: PolicySection
    reader: ReaderSection
    printer: PrinterSection
    sync: SyncSection
    export: ExportSection


SECTIONS: dict[str, type] = {f.name: f.type if isinstance(f.type, type) else globals()[f.type]
                             for f in fields(Settings)}


def _policy_defaults() -> dict[str, Any]:
    """The [policy] defaults from the shipped template, so the defaults are data."""
    from importlib import resources

    text = (resources.files("templates") / "policy" / "default.toml").read_text(encoding="utf-8")
    defaults = tomllib.loads(text)["policy"]
    missing = [f.name for f in fields(PolicySection) if f.name not in defaults]
    if missing:
        raise ConfigError("templates/policy/default.toml has no value for {key}", key=missing[0])
    return defaults


_POLICY_DEFAULTS = _policy_defaults()

# section -> key -> (type, default), derived from the sections above. Unknown sections or keys are
# refused, so a typo never silently falls back to a default.
SCHEMA: dict[str, dict[str, tuple[type, Any]]] = {
    name: {f.name: (f.metadata["kind"], _POLICY_DEFAULTS[f.name] if name == "policy" else f.default)
           for f in fields(section)}
    for name, section in SECTIONS.items()
}
READER_KINDS: tuple[str, ...] = ReaderSection.__dataclass_fields__["kind"].metadata["choices"]


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("counter", appauthor=False))


def resolve_data_dir(option: str | Path | None) -> Path:
    """--data-dir, else $COUNTER_DATA_DIR, else the platform's user data directory."""
    if option:
        return Path(option).expanduser()
    env = os.environ.get(ENV_DATA_DIR)
    return Path(env).expanduser() if env else default_data_dir()


@dataclass
class StationConfig:
    path: Path
    data: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def station_id(self) -> str:
        return self.data["station"]["id"]

    @property
    def district(self) -> str:
        return self.data["station"]["district"]

    @property
    def office(self) -> str:
        return self.data["station"]["office"]

    @property
    def timezone(self) -> str:
        return self.data["station"]["timezone"]

    @property
    def lang(self) -> str:
        return self.data["station"]["lang"]

    def section(self, name: str) -> dict[str, Any]:
        """The section's values as a mutable dict (for `counter hq enroll` and the like, then save())."""
        return self.data[name]

    @property
    def settings(self) -> Settings:
        """The configuration typed and frozen, one dataclass per section (built from the checked data)."""
        return Settings(**{name: cls(**self.data[name]) for name, cls in SECTIONS.items()})

    @property
    def policy(self) -> dict[str, Any]:
        return self.data["policy"]

    def save(self) -> None:
        """Write atomically: a crash leaves the old file or the new one, never half of one."""
        import tomli_w

        from counter import files

        files.write_atomic(self.path, tomli_w.dumps(_strip_defaults(self.data)).encode())


def _strip_defaults(data: dict) -> dict:
    out: dict = {}
    for section, values in data.items():
        keep = {k: v for k, v in values.items() if v is not None and (section == "station" or v != SCHEMA[section][k][1])}
        if keep:
            out[section] = keep
    return out


def _check_type(where: str, value: Any, kind: type | tuple) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, bool):
        raise ConfigError("{where} must be a whole number", where=where)
    if not isinstance(value, kind):
        names = {int: "a whole number", str: "a string", list: "a list", float: "a number", bool: "true or false"}
        raise ConfigError("{where} must be {kind}", where=where, kind=names.get(kind, str(kind)))
    return value


def validate(raw: dict, path: Path) -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = {}
    for section, values in raw.items():
        if section not in SCHEMA:
            raise ConfigError("{path}: unknown section [{section}]", path=path, section=section)
        if not isinstance(values, dict):
            raise ConfigError("{path}: [{section}] must be a table", path=path, section=section)
        for key in values:
            if key not in SCHEMA[section]:
                raise ConfigError("{path}: unknown key {key} in [{section}]", path=path, key=key, section=section)
    for section, keys in SCHEMA.items():
        values = raw.get(section, {})
        data[section] = {}
        for key, (kind, default) in keys.items():
            if key in values:
                data[section][key] = _check_type(f"{path}: [{section}] {key}", values[key], kind)
            else:
                data[section][key] = list(default) if isinstance(default, list) else default
    for key in ("id", "district", "office"):
        if not data["station"].get(key):
            raise ConfigError("{path}: [station] {key} is required", path=path, key=key)
    _check_ranges(data, path)
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(data["station"]["timezone"])
    except Exception:
        raise ConfigError("{path}: [station] timezone {tz} is not a known time zone", path=path,
                          tz=data["station"]["timezone"]) from None
    return data


def _check_ranges(data: dict[str, dict[str, Any]], path: Path) -> None:
    """Every value within its range or among its choices, naming the file and key."""
    from counter.domain.citizen_id import validate_area_code
    from counter.domain.station_id import is_station_id
    from counter.errors import ValidationError

    def refuse(section: str, key: str, why: str, **params: object) -> None:
        raise ConfigError("{path}: [{section}] {key} " + why, path=path, section=section, key=key, **params)

    for section, cls in SECTIONS.items():
        for f in fields(cls):
            value, low, high = data[section][f.name], f.metadata["low"], f.metadata["high"]
            if isinstance(value, int | float) and not isinstance(value, bool):
                if low is not None and high is not None and not low <= value <= high:
                    refuse(section, f.name, "is {value}; it must be from {low} to {high}", value=value, low=low,
                           high=high)
                if low is not None and high is None and value < low:
                    refuse(section, f.name, "is {value}; it must not be below {low}", value=value, low=low)
            choices = f.metadata["choices"]
            if choices is not None:
                allowed = choices() if callable(choices) else choices
                if value not in allowed:
                    refuse(section, f.name, "is {value!r}; it must be one of {allowed}", value=value,
                           allowed=", ".join(map(str, allowed)))
    station = data["station"]
    if not is_station_id(station["id"]):
        refuse("station", "id", "{sid!r} must be 1-32 ASCII letters, digits or '-'", sid=station["id"])
    try:
        validate_area_code(station["district"])
    except ValidationError as exc:
        refuse("station", "district", "{why}", why=str(exc))
    if not station["office"].strip():
        refuse("station", "office", "must not be empty")
    url = data["sync"]["hq_url"]
    if url and not (url.startswith(("http://", "https://")) and len(url) > len("https://")):
        refuse("sync", "hq_url", "{url!r} must be an http:// or https:// address, or empty", url=url)
    recipient = data["export"]["age_recipient"]
    if recipient and not recipient.startswith("age1"):
        refuse("export", "age_recipient", "must be an age X25519 recipient (age1...), or empty")
    from counter.domain.eligibility import PERMIT_RULES

    if data["policy"]["permit_eligibility"] not in PERMIT_RULES:
        refuse("policy", "permit_eligibility", "is {value!r}; it must be one of {allowed}",
               value=data["policy"]["permit_eligibility"], allowed=", ".join(PERMIT_RULES))
    for key, value in data["policy"].items():
        if key == "holidays":
            for day in value:
                try:
                    date.fromisoformat(day)
                except (TypeError, ValueError):
                    refuse("policy", key, "holds {day!r}; holidays are quoted ISO dates, e.g. \"2026-10-01\"",
                           day=str(day))
        elif isinstance(value, list) and SCHEMA["policy"][key][1]:
            kinds = {type(v) for v in SCHEMA["policy"][key][1]}
            if any(type(v) not in kinds for v in value) or any(isinstance(v, int) and v < 0 for v in value):
                refuse("policy", key, "holds a value of the wrong kind (the shipped default is {default})",
                       default=SCHEMA["policy"][key][1])

    policy = data["policy"]
    if not 1 <= policy["stats_min_cell"] <= 100:
        refuse("policy", "stats_min_cell", "is {value}; it must be from 1 to 100", value=policy["stats_min_cell"])
    bands = policy["stats_age_bands"]
    if not bands or len(set(bands)) != len(bands) or any(not 0 < b <= 150 for b in bands):
        refuse("policy", "stats_age_bands", "must list distinct ages from 1 to 150, e.g. [20, 30, 50, 60]")
    from counter.domain.stats import INDUSTRY_SECTIONS

    unknown = [c for c in policy["occupations"] if c not in INDUSTRY_SECTIONS]
    if unknown:
        refuse("policy", "occupations", "holds {codes}; use GB/T 4754 section letters A to T",
               codes=", ".join(map(str, unknown)))


def load_config(data_dir: Path) -> StationConfig:
    path = data_dir / CONFIG_FILE
    if not path.exists():
        raise ConfigError("no station at {dir}; run 'counter init --data-dir {dir} ...' first", dir=data_dir)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("{path}: {error}", path=path, error=str(exc)) from None
    return StationConfig(path=path, data=validate(raw, path))
