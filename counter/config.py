"""Station configuration (DIR/station.toml): strict, typed, with DOMAIN.md's defaults."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import tomli_w

from counter.errors import ConfigError

ENV_DATA_DIR = "COUNTER_DATA_DIR"
CONFIG_FILE = "station.toml"
DB_FILE = "station.db"

# section -> key -> (type, default). Unknown sections or keys are refused, so a
# typo never silently falls back to a default.
SCHEMA: dict[str, dict[str, tuple[type | tuple, Any]]] = {
    "station": {
        "id": (str, None),
        "district": (str, None),
        "office": (str, None),
        "timezone": (str, "Asia/Shanghai"),
        "lang": (str, "zh_CN"),
    },
    "security": {
        "idle_lock_minutes": (int, 5),
        "max_failed_pins": (int, 5),
        "pin_lockout_minutes": (int, 15),
    },
    # Types here; default values come from templates/policy/default.toml (data, not code).
    "policy": {
        "registration_deadline_days": (int, None),
        "change_deadline_days": (int, None),
        "permit_validity_years": (list, None),
        "extension_window_days": (int, None),
        "collection_working_days": (int, None),
        "min_residence_months": (int, None),
        "accepted_proofs": (list, None),
        "permit_optional_under_age": (int, None),
        "fee": (str, None),
        "holidays": (list, None),
        "occupations": (list, None),
        "required_items": (list, None),
        "stats_min_cell": (int, None),
        "stats_age_bands": (list, None),
        "expiry_notice_days": (int, None),
        "permit_eligibility": (str, None),
        "other_county_min_residence_months": (int, None),
        "foreigner_registration_hours": (int, None),
        "hmt_permit": (bool, None),
        "hmt_min_residence_months": (int, None),
    },
    "reader": {
        # pcsc: a real PC/SC reader through pcscd; simulated: in-process sample cards; none
        "kind": (str, "pcsc"),
        "reader_name": (str, ""),
        "csca_dir": (str, ""),
        # the resident ID card's certified SAM reader: /dev/ttyACM0, /dev/ttyUSB0 (empty: none;
        # "simulated": our simulated reader on a pty, for the demo)
        "sam_port": (str, ""),
        "sam_baud": (int, 115200),  # 8N1
        "sam_poll_seconds": (float, 0.5),  # how often "find card" is polled (no insertion event)
    },
    "printer": {
        # file | usb | serial | network | cups | simulated | none
        "kind": (str, "simulated"),
        # a profile in templates/printers/: generic-80, generic-58, gb18030-80, big5-80
        "model": (str, "generic-80"),
        # usb: VID:PID hex; serial: /dev/ttyUSB0; network: host[:port]; file: path; cups: queue name
        "target": (str, ""),
        "timeout_seconds": (float, 3.0),
        "baudrate": (int, 9600),
        "usb_in_ep": (int, 0x82),
        "usb_out_ep": (int, 0x01),
        # false for one-way printers that never answer DLE EOT: a job is then done once sent
        "status_query": (bool, True),
        # where certificate PDFs go; empty = DATA_DIR/certificates
        "certificate_dir": (str, ""),
    },
    "sync": {
        "hq_url": (str, ""),
        "hq_public_key": (str, ""),
        "interval_seconds": (int, 30),
        "batch_size": (int, 500),
        # HQ's TLS certificate or CA (PEM), the only one trusted for https://; empty = the system CAs
        "hq_ca": (str, ""),
        # allow plain http:// to a host that is not loopback (personal data unencrypted on the wire)
        "insecure_http": (bool, False),
    },
    "export": {
        # the district's age X25519 recipient (age1...): when set, day bundles are encrypted to it
        "age_recipient": (str, ""),
    },
}

LANGS = ("zh_CN", "en")
READER_KINDS = ("pcsc", "simulated", "none")

# section -> key -> (lowest, highest) for numbers, checked at load. Security values are the station's own
# choice (no regulation sets them); the bounds only keep them meaningful: a lockout of -1 minutes or
# max_failed_pins = 0 would switch the lockout off.
RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "security": {
        "idle_lock_minutes": (0, 240),  # 0 = never lock (README)
        "max_failed_pins": (1, 100),
        "pin_lockout_minutes": (1, 24 * 60),
    },
    "printer": {
        "timeout_seconds": (0.1, 300),
        "baudrate": (300, 4_000_000),
        "usb_in_ep": (0x81, 0x8F),   # an IN endpoint address has bit 7 set
        "usb_out_ep": (0x01, 0x0F),
    },
    "sync": {
        "interval_seconds": (1, 24 * 3600),
        "batch_size": (1, 10_000),
    },
}


def _load_default_policy() -> None:
    """Fill the [policy] defaults from the shipped template, so the defaults are data."""
    from importlib import resources

    text = (resources.files("templates") / "policy" / "default.toml").read_text(encoding="utf-8")
    defaults = tomllib.loads(text)["policy"]
    for key, (kind, _default) in list(SCHEMA["policy"].items()):
        if key in defaults:
            SCHEMA["policy"][key] = (kind, defaults[key])
        elif _default is None:
            raise ConfigError("templates/policy/default.toml has no value for {key}", key=key)


_load_default_policy()


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
        return self.data[name]

    @property
    def policy(self) -> dict[str, Any]:
        return self.data["policy"]

    def save(self) -> None:
        """Write atomically: a crash leaves the old file or the new one, never half of one."""
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
    if data["station"]["lang"] not in LANGS:
        raise ConfigError("{path}: [station] lang must be one of {langs}", path=path, langs=", ".join(LANGS))
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
    from devices.printer import KINDS as PRINTER_KINDS

    def refuse(section: str, key: str, why: str, **params: object) -> None:
        raise ConfigError("{path}: [{section}] {key} " + why, path=path, section=section, key=key, **params)

    for section, keys in RANGES.items():
        for key, (low, high) in keys.items():
            value = data[section][key]
            if not low <= value <= high:
                refuse(section, key, "is {value}; it must be from {low} to {high}", value=value, low=low, high=high)
    station = data["station"]
    if not is_station_id(station["id"]):
        refuse("station", "id", "{sid!r} must be 1-32 ASCII letters, digits or '-'", sid=station["id"])
    try:
        validate_area_code(station["district"])
    except ValidationError as exc:
        refuse("station", "district", "{why}", why=str(exc))
    if not station["office"].strip():
        refuse("station", "office", "must not be empty")
    choices = {("reader", "kind"): READER_KINDS, ("printer", "kind"): PRINTER_KINDS}
    for (section, key), allowed in choices.items():
        if data[section][key] not in allowed:
            refuse(section, key, "is {value!r}; it must be one of {allowed}", value=data[section][key],
                   allowed=", ".join(allowed))
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
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            refuse("policy", key, "is {value}; it must not be negative", value=value)
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
