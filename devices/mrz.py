"""ICAO 9303 machine-readable zones: check digits, TD1/TD3 parsing, the BAC key.

Pure functions. The clerk either types document number, birth date and expiry,
or scans the MRZ with a keyboard-wedge scanner into one field; both give an MrzKey.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_WEIGHTS = (7, 3, 1)
_ALLOWED = re.compile(r"^[0-9A-Z<]*$")


class MrzError(ValueError):
    """What is wrong with an MRZ or MRZ key, in one line a clerk can act on."""


def char_value(c: str) -> int:
    if c == "<":
        return 0
    if "0" <= c <= "9":
        return ord(c) - 48
    if "A" <= c <= "Z":
        return ord(c) - 55
    raise MrzError(f"character {c!r} cannot appear in an MRZ")


def check_digit(field: str) -> str:
    return str(sum(char_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(field)) % 10)


def _check(field: str, digit: str, what: str) -> None:
    # '<' as a check digit stands for 0 only where the field is all fillers
    expected = check_digit(field)
    if digit != expected and not (digit == "<" and set(field) <= {"<"}):
        raise MrzError(f"the check digit of the {what} does not match; check the MRZ for typing errors")


@dataclass(frozen=True)
class MrzKey:
    """What BAC needs: document number, birth date and expiry date (YYMMDD)."""

    document_number: str
    birth_date: str
    expiry_date: str

    def seed_text(self) -> str:
        """MRZ_information of Doc 9303 Part 11: each field with its check digit; numbers padded to 9."""
        number = self.document_number.ljust(9, "<")
        return (number + check_digit(number) + self.birth_date + check_digit(self.birth_date)
                + self.expiry_date + check_digit(self.expiry_date))

    def __str__(self) -> str:  # never log the key itself: it is personal data
        return "MrzKey(…)"

    __repr__ = __str__


def _yymmdd(value: str, what: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"\d{6}", value):
        raise MrzError(f"{what} must be six digits YYMMDD")
    month, day = int(value[2:4]), int(value[4:6])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise MrzError(f"{what} must be a date YYMMDD")
    return value


def make_key(document_number: str, birth_date: str, expiry_date: str) -> MrzKey:
    number = document_number.strip().upper().replace(" ", "")
    if not number or not _ALLOWED.match(number) or len(number) > 22:
        raise MrzError("the document number has only letters A-Z, digits and '<'")
    return MrzKey(number.rstrip("<") or number, _yymmdd(birth_date, "the birth date"),
                  _yymmdd(expiry_date, "the expiry date"))


def parse_key_text(text: str) -> MrzKey:
    """'DOCNO:YYMMDD:YYMMDD' (the CLI's --mrz-key), or a whole scanned MRZ."""
    parts = text.strip().split(":")
    if len(parts) == 3:
        return make_key(*parts)
    return parse(text).key


def yymmdd_to_date(value: str, *, future: bool) -> date | None:
    """Two-digit years: expiry dates lie ahead (20xx), birth dates are not in the future."""
    if not re.fullmatch(r"\d{6}", value):
        return None
    yy, mm, dd = int(value[:2]), int(value[2:4]), int(value[4:])
    today = date.today()
    if future:
        year = 2000 + yy
        if year > today.year + 50:
            year -= 100
    else:
        year = 2000 + yy
        if year > today.year:
            year -= 100
    try:
        return date(year, mm, dd)
    except ValueError:
        return None


@dataclass(frozen=True)
class Mrz:
    format: str  # "TD1" or "TD3"
    document_code: str
    issuing_state: str
    document_number: str
    optional_data: str
    birth_date: str  # YYMMDD
    sex: str
    expiry_date: str  # YYMMDD
    nationality: str
    surname: str
    given_names: str
    text: str

    @property
    def key(self) -> MrzKey:
        return MrzKey(self.document_number, self.birth_date, self.expiry_date)

    def __repr__(self) -> str:
        return f"Mrz({self.format}, …)"


def _names(field: str) -> tuple[str, str]:
    primary, _, secondary = field.partition("<<")
    return primary.replace("<", " ").strip(), secondary.replace("<", " ").strip()


def _sex(c: str) -> str:
    return {"M": "M", "F": "F"}.get(c, "X")


def normalise(text: str) -> list[str]:
    """Lines of an MRZ as scanned or read from DG1: upper case, no spaces, split to 30/44 columns."""
    raw = text.replace("\r", "\n").upper()
    lines = [re.sub(r"\s", "", line) for line in raw.split("\n")]
    lines = [line for line in lines if line]
    if len(lines) == 1:  # DG1 and some scanners give one run of characters
        run = lines[0]
        if len(run) == 90:
            lines = [run[0:30], run[30:60], run[60:90]]
        elif len(run) == 88:
            lines = [run[0:44], run[44:88]]
    return lines


def parse(text: str) -> Mrz:
    lines = normalise(text)
    for line in lines:
        if not _ALLOWED.match(line):
            raise MrzError("an MRZ has only letters A-Z, digits and '<'; scan it again")
    if len(lines) == 3 and all(len(line) == 30 for line in lines):
        return _parse_td1(lines)
    if len(lines) == 2 and all(len(line) == 44 for line in lines):
        return _parse_td3(lines)
    raise MrzError("an MRZ has 3 lines of 30 characters (ID card) or 2 lines of 44 (passport); scan it again")


def _parse_td3(lines: list[str]) -> Mrz:
    l1, l2 = lines
    number, number_cd = l2[0:9], l2[9]
    birth, birth_cd = l2[13:19], l2[19]
    expiry, expiry_cd = l2[21:27], l2[27]
    optional, optional_cd = l2[28:42], l2[42]
    _check(number, number_cd, "document number")
    _check(birth, birth_cd, "birth date")
    _check(expiry, expiry_cd, "expiry date")
    _check(optional, optional_cd, "personal number")
    _check(number + number_cd + birth + birth_cd + expiry + expiry_cd + optional + optional_cd, l2[43],
           "whole MRZ")
    surname, given = _names(l1[5:44])
    return Mrz("TD3", l1[0:2].rstrip("<"), l1[2:5].rstrip("<"), number.rstrip("<"), optional.rstrip("<"),
               birth, _sex(l2[20]), expiry, l2[10:13].rstrip("<"), surname, given, "\n".join(lines))


def _parse_td1(lines: list[str]) -> Mrz:
    l1, l2, l3 = lines
    number, number_cd = l1[5:14], l1[14]
    optional1 = l1[15:30]
    if number_cd == "<" and optional1.strip("<"):
        # long document number: continues in the optional field, its check digit ends that part
        rest = optional1.rstrip("<")
        number, number_cd = number + rest[:-1], rest[-1]
    birth, birth_cd = l2[0:6], l2[6]
    expiry, expiry_cd = l2[8:14], l2[14]
    _check(number, number_cd, "document number")
    _check(birth, birth_cd, "birth date")
    _check(expiry, expiry_cd, "expiry date")
    composite = l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]
    _check(composite, l2[29], "whole MRZ")
    surname, given = _names(l3)
    optional = (optional1 if number_cd != "<" else "") + l2[18:29]
    return Mrz("TD1", l1[0:2].rstrip("<"), l1[2:5].rstrip("<"), number.rstrip("<"),
               optional.replace("<", " ").strip(), birth, _sex(l2[7]), expiry, l2[15:18].rstrip("<"),
               surname, given, "\n".join(lines))


def compose_td3(doc_code: str, state: str, surname: str, given: str, number: str, nationality: str,
                birth: str, sex: str, expiry: str, optional: str = "") -> str:
    """Build a valid TD3 MRZ (for the simulator and samples)."""
    name = (surname.replace(" ", "<") + "<<" + given.replace(" ", "<"))[:39].ljust(39, "<")
    l1 = (doc_code.ljust(2, "<") + state.ljust(3, "<") + name)[:44]
    num = number.ljust(9, "<")
    opt = optional.ljust(14, "<")
    body = (num + check_digit(num) + nationality.ljust(3, "<") + birth + check_digit(birth) + sex + expiry
            + check_digit(expiry) + opt + check_digit(opt))
    composite = body[0:10] + body[13:20] + body[21:43]
    return l1 + "\n" + body + check_digit(composite)


def compose_td1(doc_code: str, state: str, surname: str, given: str, number: str, nationality: str,
                birth: str, sex: str, expiry: str, optional: str = "") -> str:
    """Build a valid TD1 MRZ with a document number of at most 9 characters."""
    num = number.ljust(9, "<")
    l1 = (doc_code.ljust(2, "<") + state.ljust(3, "<") + num + check_digit(num) + "<" * 15)[:30]
    l2 = (birth + check_digit(birth) + sex + expiry + check_digit(expiry) + nationality.ljust(3, "<")
          + optional.ljust(11, "<")[:11])
    composite = l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]
    l2 += check_digit(composite)
    l3 = (surname.replace(" ", "<") + "<<" + given.replace(" ", "<"))[:30].ljust(30, "<")
    return "\n".join((l1, l2, l3))
