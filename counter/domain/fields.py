"""Field rules: dates, phone numbers, district codes, addresses. Pure functions, no I/O."""

from __future__ import annotations

import re
from datetime import date, timedelta

from counter.domain.citizen_id import lookup_area
from counter.errors import ValidationError

_SHORTHAND = re.compile(r"^[-+]?\d{1,3}$")


def parse_date(text: str, today: date, field: str = "date") -> date:
    """YYYY-MM-DD, YYYYMMDD or YYYY/MM/DD; 0 is today and -N is N days ago (fewer keys at the counter)."""
    t = (text or "").strip()
    if not t:
        raise ValidationError("a date is required", field=field)
    if _SHORTHAND.match(t):
        return today + timedelta(days=int(t))
    digits = re.sub(r"[-/.年月日]", "-", t).strip("-")
    try:
        if re.fullmatch(r"\d{8}", digits):
            return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        parts = digits.split("-")
        if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[0]) == 4:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise ValidationError("{value} is not a real date", field=field, value=t) from None
    raise ValidationError("write a date as YYYY-MM-DD (or 0 for today, -3 for three days ago)", field=field)


def parse_time(text: str, field: str = "time") -> str:
    """A time of day as HH:MM (also H:MM, HHMM, or with a full-width colon)."""
    t = text.strip().replace("：", ":")
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", t) or re.fullmatch(r"(\d{2})(\d{2})", t)
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise ValidationError("{text} is not a time of day; type HH:MM, e.g. 09:30", field=field, text=text.strip())
    return f"{int(m[1]):02d}:{m[2]}"


def check_birth_date(value: date, today: date, field: str = "birth_date") -> date:
    if value > today:
        raise ValidationError("birth date {date} is in the future", field=field, date=value.isoformat())
    if value.year < 1880:
        raise ValidationError("birth date {date} is too early", field=field, date=value.isoformat())
    return value


def check_not_future(value: date, today: date, field: str) -> date:
    if value > today:
        raise ValidationError("{date} is in the future", field=field, date=value.isoformat())
    return value


def check_expiry(issue: date, expiry: date, field: str = "expiry_date") -> date:
    if expiry <= issue:
        raise ValidationError("expiry date {expiry} must be after the issue date {issue}", field=field,
                              expiry=expiry.isoformat(), issue=issue.isoformat())
    return expiry


_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def check_phone(text: str, field: str = "phone") -> str:
    """A mainland mobile (11 digits from 13x-19x) or a landline with area code (024-12345678)."""
    t = re.sub(r"[\s()（）]", "", text or "")
    if t.startswith("+86"):
        t = t[3:]
    if _MOBILE.match(t):
        return t
    if _LANDLINE.match(t):
        return t if "-" in t else (t[:3] + "-" + t[3:] if t[1] in "12" else t[:4] + "-" + t[4:])
    raise ValidationError("{value} is not a phone number: 11-digit mobile or area code + number", field=field,
                          value=text.strip())


def check_district(code: str, field: str = "district") -> str:
    c = (code or "").strip()
    area = lookup_area(c)
    if area is None:
        raise ValidationError("{code} is not a GB/T 2260 area code", field=field, code=c)
    return c


# ICAO 9303 codes that are not ISO 3166 alpha-3: Germany's passports and cards read "D<<".
_ICAO_NATIONALITY = {"D": "DEU"}


def check_nationality(text: str, field: str = "nationality") -> str:
    """A 3-letter nationality code; the MRZ's "D" (Germany) becomes DEU."""
    t = (text or "").strip().upper().rstrip("<")
    t = _ICAO_NATIONALITY.get(t, t)
    if not re.fullmatch(r"[A-Z]{3}", t):
        raise ValidationError("nationality is a 3-letter code as in the passport, e.g. CHN, KOR", field=field)
    return t


def check_address(text: str, field: str = "address") -> str:
    t = re.sub(r"\s+", " ", (text or "").strip())
    if len(t) < 4:
        raise ValidationError("an address needs at least the street and number", field=field)
    if len(t) > 120:
        raise ValidationError("an address has at most 120 characters", field=field)
    return t


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
