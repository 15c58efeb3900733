"""Citizen ID numbers (GB 11643-1999) and GB/T 2260 area codes.

Area data, historical codes included, comes from python-stdnum's cn/loc table. It has all three levels:
a prefecture is the code ending in 00 under its province (210100 沈阳市), so a county's full name
(辽宁省沈阳市和平区) needs no table of our own. Only the lines of the code's province are parsed, and
stdnum itself is not imported: its package import and the whole table cost more than `counter id check`.
"""

# No `from __future__ import annotations`: typing.NamedTuple compiles each string annotation (a ForwardRef
# per field), which costs `counter journal verify` a few milliseconds at every start.

import re
from datetime import date
from functools import cache
from typing import NamedTuple

from counter.errors import ValidationError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_HISTORIC = re.compile(r"^\[(\d{4})?-(\d{4})?\]")
_PROPERTY = re.compile(r'([0-9a-zA-Z_-]+)="([^"]*)"')


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character over the first 17 digits."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


class Area(NamedTuple):
    code: str
    province: str
    county: str
    valid_from: int | None = None
    valid_until: int | None = None
    prefecture: str = ""  # the prefecture-level city or region; "" for municipalities and province-run counties

    @property
    def historical(self) -> bool:
        return self.valid_until is not None

    @property
    def name(self) -> str:
        return self.province if self.county == self.province else f"{self.province}{self.county}"

    @property
    def full_name(self) -> str:
        """Province, prefecture and county, as a household address starts: 辽宁省沈阳市和平区."""
        parts = [self.province]
        for part in (self.prefecture, self.county):
            if part and part != parts[-1] and part != "市辖区":
                parts.append(part)
        return "".join(parts)


# prefecture-level rows that are groupings, not places: "市辖区" of a municipality, "县", the province-run
# county-level units (省直辖县级行政区划)
_NOT_A_PREFECTURE = re.compile(r"^(市辖区|县|市|省直辖|自治区直辖)")


def _current_name(entry: str) -> str:
    """The last (current) name of a "[1983-1989]南头区办事处,[1990-]南山区" entry."""
    last = entry.split(",")[-1]
    m = _HISTORIC.match(last)
    return last[m.end():] if m else last


def _prefecture(code: str) -> str:
    if code[2:4] == "00":
        return ""
    block = _province_block(code[:2])
    name = _current_name(block[1].get(code[2:4] + "00", {}).get("county", "")) if block else ""
    return "" if not name or _NOT_A_PREFECTURE.match(name) else name


def lookup_area(code: str) -> Area | None:
    """The GB/T 2260 area for a 6-digit code, including abolished codes; None if unknown."""
    if not re.fullmatch(r"\d{6}", code or ""):
        return None
    block = _province_block(code[:2])
    if block is None:
        return None
    province = block[0].get("province")
    county = block[1].get(code[2:], {}).get("county")
    if not province or not county:
        return None
    # a renamed county lists its periods: "[1983-1989]南头区办事处,[1990-]南山区". The code is valid
    # from the first period's start to the last one's end, under the last (current) name.
    periods = []
    for part in county.split(","):
        m = _HISTORIC.match(part)
        if m:
            periods.append((int(m.group(1)) if m.group(1) else None, int(m.group(2)) if m.group(2) else None,
                            part[m.end():]))
        else:
            periods.append((None, None, part))
    valid_from, valid_until = periods[0][0], periods[-1][1]
    return Area(code, province, periods[-1][2], valid_from, valid_until, _prefecture(code))


def area_table_path() -> str:
    """python-stdnum's cn/loc.dat, found without importing stdnum (its __init__ loads all of stdnum.util)."""
    import os
    from importlib.util import find_spec

    spec = find_spec("stdnum")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("python-stdnum is not installed", name="stdnum")
    return os.path.join(next(iter(spec.submodule_search_locations)), "cn", "loc.dat")


@cache
def _loc_table() -> bytes:
    """The area table as bytes: only the lines of one province are decoded, not the whole 240 kB table."""
    with open(area_table_path(), "rb") as fh:
        return fh.read()


@cache
def _province_block(prefix: str) -> tuple[dict[str, str], dict[str, dict[str, str]]] | None:
    """(the province's properties, county code -> properties) from the province's lines of the table.

    The table is stdnum's numdb format: a 2-digit province line, then its 4-digit county lines indented;
    a code listed twice merges its properties, as numdb does.
    """
    table = _loc_table()
    start = table.find(f"\n{prefix} ".encode("ascii"))
    if start < 0:
        return None
    end = start + 1
    while True:
        end = table.find(b"\n", end + 1)
        if end < 0 or not table[end + 1:end + 2].isspace():
            break
    lines = table[start + 1:end if end >= 0 else None].decode("utf-8").splitlines()
    province = dict(_PROPERTY.findall(lines[0]))
    counties: dict[str, dict[str, str]] = {}
    for line in lines[1:]:
        code, _, props = line.strip().partition(" ")
        if code:
            counties.setdefault(code, {}).update(_PROPERTY.findall(props))
    return province, counties


def validate_area_code(code: str) -> Area:
    area = lookup_area(code)
    if area is None:
        raise ValidationError("{code} is not a GB/T 2260 area code", field="district", code=code)
    return area


class CitizenId(NamedTuple):
    number: str
    area: Area
    birth_date: date
    sex: str  # "M" or "F"
    order_code: str
    check: str
    converted_from: str | None = None

    def as_dict(self) -> dict:
        d = self._asdict()
        d["birth_date"] = self.birth_date.isoformat()
        d["area"] = {**self.area._asdict(), "name": self.area.name}
        d["masked"] = mask(self.number)
        return d


def mask(number: str) -> str:
    """First 6 and last 4 characters, stars between: 320583********123X."""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def parse_citizen_id(text: str, today: date | None = None) -> CitizenId:
    """Validate a citizen ID number; raise ValidationError with the specific reason."""
    raw = (text or "").strip().replace(" ", "")
    number = raw.upper()
    converted_from = None
    if len(number) == 15:
        if not number.isdigit():
            raise ValidationError("a 15-digit ID number has only digits", field="id_number")
        converted_from = number
        number = number[:6] + "19" + number[6:]
        number += check_character(number)
    if len(number) != 18:
        raise ValidationError("an ID number has 18 characters (or 15 for old cards); got {n}",
                              field="id_number", n=len(number))
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError("an ID number is 17 digits then a digit or X", field="id_number")
    area = lookup_area(number[:6])
    if area is None:
        raise ValidationError("area code {code} is not a GB/T 2260 code", field="id_number", code=number[:6])
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError("birth date {digits} is not a real date", field="id_number", digits=number[6:14]) from None
    today = today or date.today()
    if birth > today:
        raise ValidationError("birth date {date} is in the future", field="id_number", date=birth.isoformat())
    if birth.year < 1880:
        raise ValidationError("birth date {date} is too early", field="id_number", date=birth.isoformat())
    expected = check_character(number[:17])
    if converted_from is None and number[17] != expected:
        raise ValidationError("check character is {got}, expected {want}: a digit was mistyped",
                              field="id_number", got=number[17], want=expected)
    order = number[14:17]
    return CitizenId(
        number=number,
        area=area,
        birth_date=birth,
        sex="M" if int(order[2]) % 2 else "F",
        order_code=order,
        check=number[17],
        converted_from=converted_from,
    )
