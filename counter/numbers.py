"""Application, certificate and card numbers: unique across stations with no coordination.

    A210102-DEMO-01-20261121-00042Q
    |  |      |       |        |   '- ISO 7064 MOD 37,36 check character over the alphanumerics
    |  |      |       |        '----- per-day sequence, gapless: read from the projection inside the
    |  |      |       |              same transaction that records the entry (see allocate)
    |  |      |       '-------------- business day
    |  |      '---------------------- station id (unique within its district)
    |  '----------------------------- district code (GB/T 2260)
    '-------------------------------- kind: A application/receipt, C certificate, P permit card

District + station make the prefix unique to one station, the day and sequence make it unique
within the station; nothing is shared, so stations never need to talk to each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from stdnum.iso7064 import mod_37_36

from counter.errors import ValidationError
from db.projectors.services import last_day_seq

KINDS = {"A": "application", "C": "certificate", "P": "permit card", "R": "request"}
_PATTERN = re.compile(r"^([ACPR])(\d{6})-([A-Z0-9][A-Z0-9-]{0,31})-(\d{8})-(\d{5})([0-9A-Z])$")


def _alnum(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", text.upper())


def check_character(body: str) -> str:
    return mod_37_36.calc_check_digit(_alnum(body))


def format_number(kind: str, district: str, station_id: str, day: date, seq: int) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown number kind {kind!r}")
    if not 0 < seq < 100000:
        raise ValueError("sequence out of range")
    body = f"{kind}{district}-{station_id.upper()}-{day:%Y%m%d}-{seq:05d}"
    return body + check_character(body)


@dataclass(frozen=True)
class ParsedNumber:
    kind: str
    district: str
    station_id: str
    day: date
    seq: int


def parse_number(text: str) -> ParsedNumber:
    t = (text or "").strip().upper()
    m = _PATTERN.match(t)
    if not m:
        raise ValidationError("{value} is not an application or certificate number", field="number", value=t)
    if not mod_37_36.is_valid(_alnum(t)):
        raise ValidationError("{value}: the check character does not match; a character was mistyped",
                              field="number", value=t)
    kind, district, station, day, seq, _check = m.groups()
    try:
        parsed_day = date(int(day[:4]), int(day[4:6]), int(day[6:]))
    except ValueError:
        raise ValidationError("{value} is not an application or certificate number", field="number",
                              value=t) from None
    return ParsedNumber(kind, district, station, parsed_day, int(seq))


def looks_like_number(text: str) -> bool:
    return bool(_PATTERN.match((text or "").strip().upper()))


def next_sequence(db, kind: str, business_day: str) -> int:
    """The next gapless sequence for (kind, day). Must run inside the recording transaction."""
    if not db.conn.in_transaction:
        raise RuntimeError("numbers are allocated only inside the transaction that records them")
    return last_day_seq(db, kind, business_day) + 1


def allocate(station, kind: str, business_day: str) -> str:
    """A number for an entry about to be recorded in the caller's open write transaction.

    The projector of that entry stores the number, so a crash before COMMIT rolls both back:
    no gap, no duplicate.
    """
    seq = next_sequence(station.db, kind, business_day)
    return format_number(kind, station.config.district, station.station_id, date.fromisoformat(business_day), seq)
