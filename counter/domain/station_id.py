"""The station id: one rule for init, the config file, hq enroll, bundle import and HQ's API."""

from __future__ import annotations

import re

from counter.errors import ConfigError

STATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,31}")


def is_station_id(value: object) -> bool:
    """The one check of a station id, wherever one is taken (init, hq enroll, HQ's API).

    Matched whole: a `re.match` with `$` would accept "S1\n".
    """
    return isinstance(value, str) and STATION_ID.fullmatch(value) is not None


def check_station_id(value: object) -> str:
    """The station id, or a ConfigError saying what one looks like."""
    if not is_station_id(value):
        raise ConfigError("station id {sid!r} must be 1-32 ASCII letters, digits or '-', starting with a letter"
                          " or digit", sid=value)
    return value
