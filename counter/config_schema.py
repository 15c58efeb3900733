"""The sections of station.toml: each key's type, default and rule (Annotated metadata), and `validate`.

Imported only when a station.toml is checked (or a command reads the schema): counter/config.py keeps
what every start needs, and a station.toml already checked by this code is taken from its cache there.
"""

# No `from __future__ import annotations`: the sections' Annotated rules are read from their evaluated
# annotations, without typing.get_type_hints evaluating strings at every start.

import os
import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NamedTuple, get_origin

from counter.domain.language import LANGS
from counter.errors import ConfigError


class Rule(NamedTuple):
    """What a value of one key must be, beyond its type: checked at load, naming file and key.

    `choices` may be a function, for lists read from templates/.
    """

    low: float | None = None
    high: float | None = None
    choices: tuple | Callable[[], tuple] | None = None


class Key(NamedTuple):
    """One key of station.toml: its type, its default and its rule."""

    kind: type
    default: Any
    rule: Rule


def _printer_kinds() -> tuple[str, ...]:
    from devices.printer_kinds import KINDS

    return KINDS


def _template_dir(name: str) -> Path:
    """A folder of templates/, from the package's own path: the wheel ships it as files, and
    importlib.resources would add a tenth to the start-up of `counter journal verify`."""
    import templates

    return Path(templates.__file__).parent / name


def _printer_models() -> tuple[str, ...]:
    return tuple(sorted(name.removesuffix(".toml") for name in os.listdir(_template_dir("printers"))
                        if name.endswith(".toml")))


class _Section:
    """A section of station.toml, typed and frozen: its keys are the class's annotations (their rules as
    Annotated metadata), its defaults the class's attributes.

    Plain classes: `counter journal verify` loads and checks this file at every start, and the dataclasses
    module (with the inspect module it imports) would double that start-up, while a NamedTuple compiles
    its constructor at import (these eight about 2-3 ms).
    """

    def __init__(self, **values: Any) -> None:
        keys = type(self).__annotations__
        unknown = [name for name in values if name not in keys]
        if unknown:
            raise TypeError(f"{type(self).__name__} has no key {unknown[0]}")
        for name in keys:
            object.__setattr__(self, name, values[name] if name in values else getattr(type(self), name))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only ({name})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only ({name})")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"


class StationSection(_Section):
    id: str
    district: str
    office: str
    timezone: str = "Asia/Shanghai"
    lang: Annotated[str, Rule(choices=LANGS)] = "zh_CN"


class SecuritySection(_Section):
    # The station's own choice (no regulation sets them); the bounds only keep them meaningful: a lockout
    # of -1 minutes or max_failed_pins = 0 would switch the lockout off.
    idle_lock_minutes: Annotated[int, Rule(low=0, high=240)] = 5  # 0 = never lock (README)
    max_failed_pins: Annotated[int, Rule(low=1, high=100)] = 5
    pin_lockout_minutes: Annotated[int, Rule(low=1, high=24 * 60)] = 15


class PolicySection(_Section):
    """Defaults come from templates/policy/default.toml (data, not code; each value names its article)."""

    registration_deadline_days: Annotated[int, Rule(low=0)]
    change_deadline_days: Annotated[int, Rule(low=0)]
    report_deadline_days: Annotated[int, Rule(low=0)]
    report_correction_days: Annotated[int, Rule(low=1)]
    permit_validity_years: list
    extension_window_days: Annotated[int, Rule(low=0)]
    collection_working_days: Annotated[int, Rule(low=0)]
    min_residence_months: Annotated[int, Rule(low=0)]
    accepted_proofs: list
    permit_optional_under_age: Annotated[int, Rule(low=0)]
    fee: str
    holidays: list
    occupations: list
    required_items: list
    stats_min_cell: Annotated[int, Rule(low=0)]
    stats_age_bands: list
    expiry_notice_days: Annotated[int, Rule(low=0)]
    permit_eligibility: str
    other_county_min_residence_months: Annotated[int, Rule(low=0)]
    foreigner_registration_hours: Annotated[int, Rule(low=1)]
    hmt_permit: bool
    hmt_min_residence_months: Annotated[int, Rule(low=0)]


class ReaderSection(_Section):
    # pcsc: a real PC/SC reader through pcscd; simulated: in-process sample cards; none
    kind: Annotated[str, Rule(choices=("pcsc", "simulated", "none"))] = "pcsc"
    reader_name: str = ""
    csca_dir: str = ""
    # the resident ID card's certified SAM reader: /dev/ttyACM0, /dev/ttyUSB0 (empty: none;
    # "simulated": our simulated reader on a pty, for the demo)
    sam_port: str = ""
    sam_baud: Annotated[int, Rule(low=1200, high=921_600)] = 115200  # 8N1
    sam_poll_seconds: Annotated[float, Rule(low=0.05, high=10)] = 0.5  # how often "find card" is polled


class PrinterSection(_Section):
    # file | usb | serial | network | cups | simulated | none
    kind: Annotated[str, Rule(choices=_printer_kinds)] = "simulated"
    model: Annotated[str, Rule(choices=_printer_models)] = "generic-80"  # a profile in templates/printers/
    # usb: VID:PID hex; serial: /dev/ttyUSB0; network: host[:port]; file: path; cups: queue name
    target: str = ""
    timeout_seconds: Annotated[float, Rule(low=0.1, high=300)] = 3.0
    baudrate: Annotated[int, Rule(low=300, high=4_000_000)] = 9600
    usb_in_ep: Annotated[int, Rule(low=0x81, high=0x8F)] = 0x82  # an IN endpoint address has bit 7 set
    usb_out_ep: Annotated[int, Rule(low=0x01, high=0x0F)] = 0x01
    # false for one-way printers that never answer DLE EOT: a job is then done once sent
    status_query: bool = True
    certificate_dir: str = ""  # where certificate PDFs go; empty = DATA_DIR/certificates


class SyncSection(_Section):
    hq_url: str = ""
    hq_public_key: str = ""
    interval_seconds: Annotated[int, Rule(low=1, high=24 * 3600)] = 30
    batch_size: Annotated[int, Rule(low=1, high=10_000)] = 500
    # HQ's TLS certificate or CA (PEM), the only one trusted for https://; empty = the system CAs
    hq_ca: str = ""
    # allow plain http:// to a host that is not loopback (personal data unencrypted on the wire)
    insecure_http: bool = False


class ExportSection(_Section):
    # the district's age X25519 recipient (age1...): when set, day bundles are encrypted to it
    age_recipient: str = ""


class Settings(_Section):
    """The whole station.toml, typed: `config.settings.security.max_failed_pins`."""

    station: StationSection
    security: SecuritySection
    policy: PolicySection
    reader: ReaderSection
    printer: PrinterSection
    sync: SyncSection
    export: ExportSection


SECTIONS: dict[str, type] = dict(Settings.__annotations__)


def section_keys(section: type) -> dict[str, Key]:
    """Each key of a section with its type, its default (None where it has none) and its rule."""
    out = {}
    for name, hint in section.__annotations__.items():
        kind, rule = (hint.__origin__, hint.__metadata__[0]) if get_origin(hint) is Annotated else (hint, Rule())
        out[name] = Key(kind, vars(section).get(name), rule)
    return out


KEYS: dict[str, dict[str, Key]] = {name: section_keys(section) for name, section in SECTIONS.items()}


def _policy_defaults() -> dict[str, Any]:
    """The [policy] defaults from the shipped template, so the defaults are data."""
    text = (_template_dir("policy") / "default.toml").read_text(encoding="utf-8")
    defaults = tomllib.loads(text)["policy"]
    missing = [name for name in KEYS["policy"] if name not in defaults]
    if missing:
        raise ConfigError("templates/policy/default.toml has no value for {key}", key=missing[0])
    return defaults


_POLICY_DEFAULTS = _policy_defaults()

# section -> key -> (type, default), derived from the sections above. Unknown sections or keys are
# refused, so a typo never silently falls back to a default.
SCHEMA: dict[str, dict[str, tuple[type, Any]]] = {
    name: {key: (k.kind, _POLICY_DEFAULTS[key] if name == "policy" else k.default) for key, k in keys.items()}
    for name, keys in KEYS.items()
}
READER_KINDS: tuple[str, ...] = KEYS["reader"]["kind"].rule.choices


def strip_defaults(data: dict) -> dict:
    """What StationConfig.save() writes: the station's own values, not the defaults."""
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
    timezone = data["station"]["timezone"]
    # The shipped default always loads (tzdata is a dependency); zoneinfo's import costs `counter journal
    # verify` a sixth of its start-up, so only a zone station.toml names is looked up here.
    if timezone != KEYS["station"]["timezone"].default:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(timezone)
        except Exception:
            raise ConfigError("{path}: [station] timezone {tz} is not a known time zone", path=path,
                              tz=timezone) from None
    return data


def _check_ranges(data: dict[str, dict[str, Any]], path: Path) -> None:
    """Every value within its range or among its choices, naming the file and key."""
    from counter.domain.citizen_id import validate_area_code
    from counter.domain.station_id import is_station_id
    from counter.errors import ValidationError

    def refuse(section: str, key: str, why: str, **params: object) -> None:
        raise ConfigError("{path}: [{section}] {key} " + why, path=path, section=section, key=key, **params)

    for section, keys in KEYS.items():
        for name, key in keys.items():
            value, (low, high, choices) = data[section][name], key.rule
            if isinstance(value, int | float) and not isinstance(value, bool):
                if low is not None and high is not None and not low <= value <= high:
                    refuse(section, name, "is {value}; it must be from {low} to {high}", value=value, low=low,
                           high=high)
                if low is not None and high is None and value < low:
                    refuse(section, name, "is {value}; it must not be below {low}", value=value, low=low)
            if choices is not None:
                allowed = choices() if callable(choices) else choices
                if value not in allowed:
                    refuse(section, name, "is {value!r}; it must be one of {allowed}", value=value,
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
    from counter.domain.vocabulary import INDUSTRY_SECTIONS, PERMIT_RULES

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
    unknown = [c for c in policy["occupations"] if c not in INDUSTRY_SECTIONS]
    if unknown:
        refuse("policy", "occupations", "holds {codes}; use GB/T 4754 section letters A to T",
               codes=", ".join(map(str, unknown)))


def parse(text: str, path: Path) -> dict[str, dict[str, Any]]:
    """station.toml's text, parsed and checked: every key of every section."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("{path}: {error}", path=path, error=str(exc)) from None
    return validate(raw, path)


# What a check of station.toml reads besides the file: the modules of the rules (a test keeps this list
# complete) and the data files below. counter/config.py's cache of checked files holds only while none
# of them changes.
CHECK_MODULES = ("counter.config", "counter.config_schema", "counter.errors", "counter.domain.language",
                 "counter.domain.citizen_id", "counter.domain.station_id", "counter.domain.vocabulary",
                 "devices.printer_kinds")


def check_inputs() -> list[str]:
    """The files of CHECK_MODULES, the [policy] defaults, the printer profiles' folder and the area table."""
    import importlib

    from counter.domain.citizen_id import area_table_path

    paths = [importlib.import_module(name).__file__ for name in CHECK_MODULES]
    return [*paths, str(_template_dir("policy") / "default.toml"), str(_template_dir("printers")), area_table_path()]
