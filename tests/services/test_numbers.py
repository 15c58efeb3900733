from datetime import date

import pytest

from counter.errors import ValidationError
from counter.numbers import format_number, looks_like_number, parse_number


def test_number_round_trip_and_check_character():
    n = format_number("A", "210102", "DEMO-01", date(2026, 11, 21), 42)
    assert n.startswith("A210102-DEMO-01-20261121-00042")
    p = parse_number(n)
    assert (p.kind, p.district, p.station_id, p.day, p.seq) == ("A", "210102", "DEMO-01", date(2026, 11, 21), 42)
    assert looks_like_number(n.lower())


def test_one_mistyped_character_is_caught():
    n = format_number("C", "210102", "S1", date(2026, 1, 5), 7)
    wrong = n[:-3] + ("9" if n[-3] != "9" else "8") + n[-2:]
    with pytest.raises(ValidationError, match="check character"):
        parse_number(wrong)


def test_stations_and_districts_never_collide():
    day = date(2026, 1, 5)
    a = {format_number("A", d, s, day, q) for d in ("210102", "210103") for s in ("S1", "S2") for q in (1, 2)}
    assert len(a) == 8
