"""Statistics of the registered population, one code path for the station and for HQ.

Journal entries are folded into a table of anonymous facts (`stat_facts`: one row per registration, that is
per residence period, keyed by the station and the seq of the entry that started it), and every figure is a
GROUP BY over it. Inflow and outflow count every period; the population tables count each person once per
station, in their latest period begun by the end of the range (`next_started_num`). The facts keep no name,
no ID number, no address and no phone: only the dimensions (origin kind and province from the area
code, birth date for the age band, sex, the form's statistical items, start and end dates).
The station builds the facts from its journal in an in-memory SQLite database; HQ keeps them in its
own database, brought up to date from hq_journal before each query (counter/hq/stats.py).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from counter.domain import stats as D
from counter.domain.language import is_chinese
from counter.domain.policy import add_years
from counter.domain.vocabulary import INDUSTRY_SECTIONS
from counter.errors import CounterError
from db import kinds

# The station folds its statistics fresh into memory each time; HQ keeps the same tables, made by its
# migrations (0007 wrote these three out, 0011 the facts below).
HELPER_TABLES = [
    """CREATE TABLE stat_persons (
        station_id TEXT NOT NULL,
        person_id TEXT NOT NULL,
        area TEXT,
        birth_date TEXT,
        sex TEXT NOT NULL,
        foreign_national INTEGER NOT NULL,
        PRIMARY KEY (station_id, person_id)
    )""",
    """CREATE TABLE stat_permits (
        station_id TEXT NOT NULL,
        permit_id TEXT NOT NULL,
        apply_seq BIGINT NOT NULL,
        valid_until TEXT NOT NULL,
        cancelled INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (station_id, permit_id)
    )""",
    "CREATE INDEX stat_permits_until ON stat_permits(valid_until)",
    """CREATE TABLE stat_cursor (
        station_id TEXT PRIMARY KEY,
        last_seq BIGINT NOT NULL,
        district TEXT
    )""",
]

# Derived dimension columns (the HQ migration `0010_dashboard_speed`): the GROUP BY hashes small integers and
# compares dates as YYYYMMDD integers, several times faster on 1M facts than text. The codes are stored:
# append, never reorder.
ORIGIN_CODES = D.ORIGIN_KINDS  # index = origin_code
EDUCATION_CODES = ("unknown", *D.EDUCATION_GROUPS)  # index = education_code


# The facts as the HQ migration `0011_stat_periods` leaves them: one row per registration (residence period).
# `ended_seq` is the entry that ended it (a departure, a cancelled permit, a report's move-out, the next
# registration), so a void of that entry reopens it; `next_started_num` is the start of the person's next
# period at the station, so the population tables take one period per person.
PERIOD_FACTS = """CREATE TABLE stat_facts (
        station_id TEXT NOT NULL,
        person_id TEXT NOT NULL,
        reg_seq BIGINT NOT NULL,
        kind TEXT NOT NULL,
        started TEXT NOT NULL,
        started_week TEXT NOT NULL,
        started_month TEXT NOT NULL,
        ended TEXT,
        ended_band TEXT,
        origin TEXT NOT NULL,
        province TEXT,
        birth_date TEXT,
        birth_num INTEGER,
        sex TEXT NOT NULL,
        education TEXT,
        education_group TEXT,
        occupation TEXT,
        housing TEXT,
        reason TEXT,
        intended_stay TEXT,
        started_num INTEGER,
        ended_num INTEGER,
        origin_code SMALLINT,
        education_code SMALLINT,
        ended_seq BIGINT,
        next_started_num INTEGER,
        PRIMARY KEY (station_id, reg_seq)
    )"""


# stat_facts' indices as the HQ migration `0011_stat_periods` makes them.
FACTS_INDICES = ["CREATE INDEX stat_facts_started ON stat_facts(started)",
                 "CREATE INDEX stat_facts_person ON stat_facts(station_id, person_id)"]


def day_number(day: str | None) -> int | None:
    """An ISO date as the integer YYYYMMDD (None stays None)."""
    return int(day.replace("-", "")) if day else None


# The journal kinds that change a fact; everything else is skipped without being parsed.
STAT_KINDS = (kinds.STATION_INITIALIZED, kinds.PERSON_REGISTERED, "service.residence_registration",
              "service.lodging_registration", "service.permit_apply", "service.permit_extend",
              "service.permit_cancel", "service.registration_end", kinds.RESIDENCE_STARTED, kinds.RESIDENCE_ENDED,
              kinds.SERVICE_VOIDED)

REGISTRATIONS = {"service.residence_registration": "residence", "service.lodging_registration": "lodging"}
# A landlord's or employer's report starts a residence or lodging registration (art. 14) and counts like one
# made at the window; an institution's guest (hotel, hospital: art. 11) keeps their home, so is no new period.
REPORTED = frozenset(REGISTRATIONS.values())

DIMENSIONS = ("origin", "province", "age", "sex", "stay", "education", "education_level", "occupation",
              "housing", "reason", "intended_stay", "kind", "station", "week", "month")


class StatsError(CounterError):
    pass


def apply_entries(tx, station_id: str, rows: Iterable[tuple]) -> int:
    """Fold journal rows (seq, business_day, kind, payload text) of one station, in seq order, into the
    facts; returns the last seq seen (the caller keeps it as the station's cursor)."""
    cursor = tx.one("SELECT last_seq, district FROM stat_cursor WHERE station_id = ?", (station_id,))
    district = cursor[1] if cursor else None
    last = cursor[0] if cursor else 0
    for seq, day, kind, payload in rows:
        last = max(last, seq)
        if kind not in STAT_KINDS:
            continue
        d = json.loads(payload)
        if kind == kinds.STATION_INITIALIZED:
            district = d.get("district")
        elif kind == kinds.PERSON_REGISTERED:
            number = d.get("id_number") or ""
            citizen = d.get("doc_type") == "citizen_id"
            tx.execute("DELETE FROM stat_persons WHERE station_id = ? AND person_id = ?", (station_id, d["person_id"]))
            tx.execute("INSERT INTO stat_persons (station_id, person_id, area, birth_date, sex, foreign_national)"
                       " VALUES (?, ?, ?, ?, ?, ?)",
                       (station_id, d["person_id"], number[:6] if citizen else None, d.get("birth_date"),
                        D.sex_of(number if citizen else None, d.get("sex")), 0 if citizen else 1))
        elif kind in REGISTRATIONS:
            _registration(tx, station_id, seq, day, REGISTRATIONS[kind], d, district or "")
        elif kind == kinds.RESIDENCE_STARTED:
            if d.get("via") == "report" and d.get("registration") in REPORTED:
                _registration(tx, station_id, seq, day, d["registration"],
                              {"person_id": d["person_id"], "values": {"arrival_date": d.get("started_on")}},
                              district or "")
        elif kind == "service.permit_apply":
            until = (d.get("derived") or {}).get("valid_until")
            if until and d.get("number"):
                tx.execute("DELETE FROM stat_permits WHERE station_id = ? AND permit_id = ?", (station_id, d["number"]))
                tx.execute("INSERT INTO stat_permits (station_id, permit_id, apply_seq, valid_until) VALUES (?, ?, ?, ?)",
                           (station_id, d["number"], seq, until))
        elif kind == "service.permit_extend":
            until = (d.get("derived") or {}).get("valid_until")
            if until and d.get("permit_id"):
                tx.execute("UPDATE stat_permits SET valid_until = ? WHERE station_id = ? AND permit_id = ?",
                           (until, station_id, d["permit_id"]))
        elif kind == "service.permit_cancel":
            if d.get("permit_id"):
                tx.execute("UPDATE stat_permits SET cancelled = 1 WHERE station_id = ? AND permit_id = ?",
                           (station_id, d["permit_id"]))
            # the person leaves the district (来有登记、走有注销): their registration ends here
            _ended(tx, station_id, d["person_id"], day, seq)
        elif kind == "service.registration_end":  # a departure at the window, on its stated day
            _ended(tx, station_id, d["person_id"], (d.get("values") or {}).get("end_date") or day, seq)
        elif kind == kinds.RESIDENCE_ENDED:  # a move-out or leaving, reported by the house or the entity
            if d.get("registration") != "institution":  # a guest's stay opened no period: their home goes on
                _ended(tx, station_id, d["person_id"], d.get("ended_on") or day, seq)
        elif kind == kinds.SERVICE_VOIDED:
            _voided(tx, station_id, d.get("ref_seq"))
    if cursor:
        tx.execute("UPDATE stat_cursor SET last_seq = ?, district = ? WHERE station_id = ?", (last, district, station_id))
    else:
        tx.execute("INSERT INTO stat_cursor (station_id, last_seq, district) VALUES (?, ?, ?)",
                   (station_id, last, district))
    return last


def _ended(tx, station_id: str, person_id: str, day: str, seq: int) -> None:
    """End the person's open period at the station on `day`; `seq` is the entry that ended it."""
    for reg_seq, started in tx.all("SELECT reg_seq, started FROM stat_facts WHERE station_id = ? AND person_id = ?"
                                   " AND ended IS NULL", (station_id, person_id)):
        end = max(day, started)  # ISO dates: an end before the start is a zero-length period
        band = D.stay_band(date.fromisoformat(started), date.fromisoformat(end))
        tx.execute("UPDATE stat_facts SET ended = ?, ended_num = ?, ended_band = ?, ended_seq = ? WHERE station_id = ?"
                   " AND reg_seq = ?", (end, day_number(end), band, seq, station_id, reg_seq))


def _voided(tx, station_id: str, ref_seq) -> None:
    """A voided registration takes its period back; a voided end (departure, cancel, the next registration)
    reopens the period it had ended."""
    row = tx.one("SELECT person_id FROM stat_facts WHERE station_id = ? AND reg_seq = ?", (station_id, ref_seq))
    tx.execute("DELETE FROM stat_facts WHERE station_id = ? AND reg_seq = ?", (station_id, ref_seq))
    tx.execute("UPDATE stat_facts SET ended = NULL, ended_num = NULL, ended_band = NULL, ended_seq = NULL"
               " WHERE station_id = ? AND ended_seq = ?", (station_id, ref_seq))
    tx.execute("DELETE FROM stat_permits WHERE station_id = ? AND apply_seq = ?", (station_id, ref_seq))
    if row:
        _relink(tx, station_id, row[0])


def _relink(tx, station_id: str, person_id: str) -> None:
    """Each period's next_started_num: the earliest start of the person's later periods at the station."""
    later = None
    for reg_seq, started_num, current in tx.all(
            "SELECT reg_seq, started_num, next_started_num FROM stat_facts WHERE station_id = ? AND person_id = ?"
            " ORDER BY reg_seq DESC", (station_id, person_id)):
        if current != later:
            tx.execute("UPDATE stat_facts SET next_started_num = ? WHERE station_id = ? AND reg_seq = ?",
                       (later, station_id, reg_seq))
        later = started_num if later is None else min(later, started_num)


def birth_number(birth: str | None) -> int | None:
    """The birth date as the integer YYYYMMDD: the age band compares integers, several times faster than text."""
    if not birth or len(birth) != 10:
        return None
    digits = birth.replace("-", "")
    return int(digits) if digits.isdigit() else None


def _registration(tx, station_id: str, seq: int, day: str, kind: str, d: dict, district: str) -> None:
    person = tx.one("SELECT area, birth_date, sex, foreign_national FROM stat_persons WHERE station_id = ?"
                    " AND person_id = ?", (station_id, d["person_id"]))
    area, birth, sex, foreign = person if person else (None, None, "unknown", 0)
    v = d.get("values", {})
    started = v.get("arrival_date") or day
    try:
        start = date.fromisoformat(started)
    except ValueError:
        start = date.fromisoformat(day)
        started = day
    where = D.origin(area, district, foreign=bool(foreign))
    group = D.education_group(v.get("education"))
    _ended(tx, station_id, d["person_id"], started, seq)  # a new registration here ends the open one
    tx.execute("DELETE FROM stat_facts WHERE station_id = ? AND reg_seq = ?", (station_id, seq))  # folded again
    tx.execute(
        "INSERT INTO stat_facts (station_id, person_id, reg_seq, kind, started, started_week, started_month,"
        " origin, province, birth_date, birth_num, sex, education, education_group, occupation, housing, reason,"
        " intended_stay, started_num, origin_code, education_code)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (station_id, d["person_id"], seq, kind, started, D.period_of(start, "week"), D.period_of(start, "month"),
         where.kind, where.province, birth, birth_number(birth), sex, v.get("education"), group,
         v.get("occupation"), v.get("housing_type"), v.get("stay_reason"), v.get("intended_stay"),
         day_number(started), ORIGIN_CODES.index(where.kind), EDUCATION_CODES.index(group)))
    # the person's earlier periods here now have a later one
    tx.execute("UPDATE stat_facts SET next_started_num = ? WHERE station_id = ? AND person_id = ? AND reg_seq < ?"
               " AND (next_started_num IS NULL OR next_started_num > ?)",
               (day_number(started), station_id, d["person_id"], seq, day_number(started)))


# --- querying ------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    month0 = day.year * 12 + day.month - 1 + months
    year, month = divmod(month0, 12)
    for dom in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, dom)
        except ValueError:
            continue
    raise AssertionError("unreachable")


COLUMNS = {"province": "province", "sex": "sex", "education_level": "education", "occupation": "occupation",
           "housing": "housing", "reason": "reason", "intended_stay": "intended_stay", "kind": "kind",
           "station": "station_id", "week": "started_week", "month": "started_month"}


def _dimension_sql(dim: str, to: date, edges: Sequence[int]) -> tuple[str, list, Callable]:
    """A SQL expression for one dimension, its parameters, and the decoder of its value (the same on SQLite
    and PostgreSQL). Bare columns and small integers, no COALESCE: PostgreSQL then estimates a handful of
    groups and hashes them, where an expression of unknown spread made it sort a million rows on disk."""
    if dim == "age":
        labels = D.age_band_labels(edges)
        parts, params = ["CASE WHEN birth_num IS NULL THEN -1"], []
        for i, edge in enumerate(edges):
            parts.append(f"WHEN birth_num > ? THEN {i}")  # younger than `edge` on `to`
            params.append(int(add_years(to, -edge).strftime("%Y%m%d")))
        parts.append(f"ELSE {len(edges)} END")
        return " ".join(parts), params, lambda v: "unknown" if v is None or v < 0 else labels[v]
    if dim == "stay":
        return ("CASE WHEN ended IS NOT NULL AND ended_band IS NOT NULL AND ended <= ? THEN ended_band"
                " WHEN started > ? THEN 'lt_6m' WHEN started > ? THEN '6_12m' ELSE 'gt_12m' END",
                [to.isoformat(), add_months(to, -6).isoformat(), add_months(to, -12).isoformat()], _known)
    if dim == "origin":
        return "origin_code", [], lambda v: "unknown" if v is None else ORIGIN_CODES[v]
    if dim == "education":
        return "education_code", [], lambda v: "unknown" if v is None else EDUCATION_CODES[v]
    return COLUMNS[dim], [], _known


def _known(value):
    return "unknown" if value is None else value


def parse_dimensions(text: str) -> list[str]:
    dims = [d.strip() for d in (text or "").split(",") if d.strip()]
    if not dims:
        raise StatsError("--by needs at least one dimension: {choices}", choices=", ".join(DIMENSIONS))
    for d in dims:
        if d not in DIMENSIONS:
            raise StatsError("unknown dimension {dim}; choose from {choices}", dim=d, choices=", ".join(DIMENSIONS))
    if len(set(dims)) != len(dims):
        raise StatsError("--by names a dimension twice")
    if len(dims) > 3:
        raise StatsError("--by takes at most 3 dimensions (a finer table is mostly suppressed cells)")
    return dims


def count(tx, dims: Sequence[str], date_from: date, date_to: date, edges: Sequence[int],
          stations: Sequence[str] | None = None) -> dict[tuple, int]:
    """Persons whose registration overlaps [date_from, date_to], by the given dimensions: each person once per
    station, in their latest period begun by date_to (a later one begun by then supersedes it)."""
    exprs, params, decoders = [], [], []
    for dim in dims:
        sql, p, decode = _dimension_sql(dim, date_to, edges)
        exprs.append(sql)
        params += p
        decoders.append(decode)
    to_num = int(date_to.strftime("%Y%m%d"))
    where = ("started_num <= ? AND (ended_num IS NULL OR ended_num >= ?)"
             " AND (next_started_num IS NULL OR next_started_num > ?)")
    wparams = [to_num, int(date_from.strftime("%Y%m%d")), to_num]
    if stations:
        where += f" AND station_id IN ({', '.join('?' * len(stations))})"
        wparams += list(stations)
    cols = ", ".join(f"{e} AS d{i}" for i, e in enumerate(exprs))
    group = ", ".join(str(i + 1) for i in range(len(exprs)))
    rows = tx.all(f"SELECT {cols}, COUNT(*) FROM stat_facts WHERE {where} GROUP BY {group}", params + wparams)
    out: dict[tuple, int] = {}
    for r in rows:  # NULL and a stored 'unknown' are one group
        key = tuple(decode(v) for decode, v in zip(decoders, r[:-1], strict=True))
        out[key] = out.get(key, 0) + int(r[-1])
    return out


FLOW_PERIODS = ("week", "month")


def flow_table_counts(tx, by: str, date_from: date, date_to: date) -> dict[tuple, int]:
    """Inflow and outflow per period as counts keyed (period, inflow|outflow), every period of the range
    present (a quiet week is a row of zeros), for `publish(counts, [by, "flow"], ...)`."""
    if by not in FLOW_PERIODS:
        raise StatsError("--flow takes week or month, not {by}", by=by)
    out: dict[tuple, int] = {}
    for f in flow_counts(tx, by, date_from, date_to):
        out[(f.period, "inflow")] = f.inflow
        out[(f.period, "outflow")] = f.outflow
    return out


def flow_counts(tx, by: str, date_from: date, date_to: date) -> list[D.Flow]:
    spans = tx.all("SELECT started, ended FROM stat_facts WHERE (started >= ? AND started <= ?)"
                   " OR (ended >= ? AND ended <= ?)",
                   (date_from.isoformat(), date_to.isoformat(), date_from.isoformat(), date_to.isoformat()))
    return D.flows(((date.fromisoformat(a), date.fromisoformat(b) if b else None) for a, b in spans),
                   by, date_from, date_to)


# --- publishing -----------------------------------------------------------------------------

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "origin": {"same_county": ("本县（区）", "Same county"), "other_county": ("本市其他县（区）", "Other county of the city"),
               "other_city": ("本省其他市", "Other city of the province"), "other_province": ("外省", "Other province"),
               "abroad": ("境外", "Abroad"), "unknown": ("不详", "Unknown")},
    "province": {code: names for code, names in D.PROVINCES.items()},
    "sex": {"M": ("男", "Male"), "F": ("女", "Female"), "unknown": ("不详", "Unknown")},
    "stay": {"lt_6m": ("六个月以下", "Under 6 months"), "6_12m": ("六个月至一年", "6 to 12 months"),
             "gt_12m": ("一年以上", "Over a year")},
    "intended_stay": {"lt_6m": ("六个月以下", "Under 6 months"), "6_12m": ("六个月至一年", "6 to 12 months"),
                      "gt_12m": ("一年以上", "Over a year")},
    "education": {"junior_or_less": ("初中及以下", "Junior school or less"),
                  "senior_secondary": ("高中（中专）", "Senior secondary"),
                  "college_or_above": ("大专以上", "College or above")},
    "education_level": dict(D.EDUCATION_LEVELS),
    "occupation": dict(INDUSTRY_SECTIONS),
    "housing": {"rented": ("租赁房屋", "Rented"), "dormitory": ("单位内部", "Employer dormitory"),
                "work_site": ("工地现场", "Work site"), "own": ("自购房屋", "Own home"),
                "relatives": ("借住亲友家", "With relatives")},
    "reason": {"work": ("务工", "Work"), "business": ("经商", "Business"), "study": ("就学", "Study"),
               "family": ("投亲", "Family"), "other": ("其他", "Other")},
    "kind": {"residence": ("居住登记", "Residence"), "lodging": ("寄住登记", "Lodging")},
    "flow": {"inflow": ("流入（登记开始）", "Inflow (registrations started)"),
             "outflow": ("流出（登记结束）", "Outflow (registrations ended)")},
}
DIMENSION_NAMES = {
    "origin": ("来源地", "Origin"), "province": ("来源省份", "Province of origin"), "age": ("年龄段", "Age band"),
    "sex": ("性别", "Sex"), "stay": ("居住时间", "Length of stay"), "education": ("文化程度", "Education"),
    "education_level": ("文化程度（GB/T 4658）", "Education level"), "occupation": ("从业行业", "Industry"),
    "housing": ("住所类型", "Housing"), "reason": ("居住事由", "Reason for stay"),
    "intended_stay": ("拟居住期限", "Intended stay"), "kind": ("登记类别", "Registration"),
    "station": ("工作站", "Station"), "week": ("周", "Week"), "month": ("月", "Month"),
    "flow": ("流入与流出", "Inflow and outflow"),
}


def label(dim: str, value, lang: str) -> str:
    if value in (None, "unknown"):
        return "不详" if is_chinese(lang) else "Unknown"
    names = LABELS.get(dim, {}).get(value)
    if names is None:
        return str(value)
    return names[0] if is_chinese(lang) else names[1]


def _value_order(dim: str, edges: Sequence[int]) -> dict:
    if dim == "age":
        return {v: i for i, v in enumerate(D.age_band_labels(edges))}
    if dim == "stay" or dim == "intended_stay":
        return {v: i for i, v in enumerate(D.STAY_BANDS)}
    if dim == "origin":
        return {v: i for i, v in enumerate(D.ORIGIN_KINDS)}
    if dim in LABELS:
        return {v: i for i, v in enumerate(LABELS[dim])}
    return {}


@dataclass
class Published:
    """A statistics table ready for output: suppressed under k, labelled, with its footnote."""

    dims: list[str]
    date_from: date
    date_to: date
    k: int
    table: D.Table
    lang: str
    scope: str = ""  # station id or "district"

    @property
    def footnote(self) -> str:
        n = len(self.table.suppressed)
        if is_chinese(self.lang):
            return (f"注：少于 {self.k} 人的单元格不予公布（“*”），另有单元格一并隐去，使其无法由合计推算；"
                    f"本表共隐去 {n} 处。")
        return (f"Note: cells under {self.k} persons are not published (*), and further cells are hidden so"
                f" that none can be worked out from the totals; {n} hidden in this table.")

    def header(self) -> list[str]:
        names = [DIMENSION_NAMES[d][0 if is_chinese(self.lang) else 1] for d in self.dims]
        return names + ["人数" if is_chinese(self.lang) else "persons"]

    def row_labels(self, i: int) -> list[str]:
        return [label(d, v, self.lang) for d, v in zip(self.dims[:max(1, len(self.dims) - 1)], self.table.rows[i],
                                                        strict=False)]

    def col_label(self, j: int) -> str:
        if len(self.dims) == 1:
            return self.header()[-1]
        return label(self.dims[-1], self.table.cols[j][0], self.lang)

    def records(self) -> list[dict]:
        """The published cells, one record per cell, with None where suppressed."""
        out = []
        t = self.table
        for i, row in enumerate(t.rows):
            for j, col in enumerate(t.cols):
                key = list(row) + ([] if len(self.dims) == 1 else list(col))
                out.append({"dims": dict(zip(self.dims, key, strict=True)), "count": t.shown((i, j))})
        return out

    def as_json(self) -> dict:
        t = self.table
        return {
            "scope": self.scope, "from": self.date_from.isoformat(), "to": self.date_to.isoformat(),
            "by": self.dims, "k": self.k, "cells": self.records(),
            "row_totals": [{"dims": dict(zip(self.dims[:-1] or self.dims, r, strict=False)), "count": t.shown((i, None))}
                           for i, r in enumerate(t.rows)] if len(self.dims) > 1 else [],
            "column_totals": [{"dims": {self.dims[-1]: c[0]}, "count": t.shown((None, j))}
                              for j, c in enumerate(t.cols)] if len(self.dims) > 1 else [],
            "total": t.shown((None, None)), "suppressed": len(t.suppressed), "footnote": self.footnote,
        }

    def grid(self) -> list[list[str]]:
        """The table as text rows: header, one row per row label, then the totals row."""
        t = self.table
        star = lambda v: "*" if v is None else str(v)  # noqa: E731
        total_word = "合计" if is_chinese(self.lang) else "Total"
        row_dims = self.dims[:-1] if len(self.dims) > 1 else self.dims
        head = [DIMENSION_NAMES[d][0 if is_chinese(self.lang) else 1] for d in row_dims]
        if len(self.dims) == 1:
            out = [head + [self.header()[-1]]]
            for i in range(len(t.rows)):
                out.append(self.row_labels(i) + [star(t.shown((i, 0)))])
            out.append([total_word] + [""] * (len(head) - 1) + [star(t.shown((None, None)))])
            return out
        out = [head + [self.col_label(j) for j in range(len(t.cols))] + [total_word]]
        for i in range(len(t.rows)):
            out.append(self.row_labels(i) + [star(t.shown((i, j))) for j in range(len(t.cols))]
                       + [star(t.shown((i, None)))])
        out.append([total_word] + [""] * (len(head) - 1) + [star(t.shown((None, j))) for j in range(len(t.cols))]
                   + [star(t.shown((None, None)))])
        return out

    def as_csv(self) -> bytes:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        for row in self.grid():
            w.writerow(row)
        w.writerow([self.footnote])
        return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: spreadsheet programs read UTF-8 right

    def as_xlsx(self) -> bytes:
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "统计" if is_chinese(self.lang) else "Statistics"
        for row in self.grid():
            ws.append([int(c) if c.isdigit() else c for c in row])
        ws.append([])
        ws.append([self.footnote])
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()


def publish(counts: dict[tuple, int], dims: list[str], date_from: date, date_to: date, k: int,
            edges: Sequence[int], lang: str = "zh_CN", scope: str = "") -> Published:
    table = D.crosstab(counts, len(dims)) if counts else \
        D.Table(rows=[], cols=[("count",)] if len(dims) == 1 else [], cells=[])
    orders = [_value_order(d, edges) for d in dims]

    def key(values: tuple, offset: int) -> tuple:
        return tuple((orders[offset + i].get(v, len(orders[offset + i])), "~" if v in (None, "unknown") else str(v))
                     for i, v in enumerate(values))

    if len(dims) > 1 and table.rows:
        rperm = sorted(range(len(table.rows)), key=lambda i: key(table.rows[i], 0))
        cperm = sorted(range(len(table.cols)), key=lambda j: key(table.cols[j], len(dims) - 1))
        table = D.Table(rows=[table.rows[i] for i in rperm], cols=[table.cols[j] for j in cperm],
                        cells=[[table.cells[i][j] for j in cperm] for i in rperm])
    elif table.rows:
        rperm = sorted(range(len(table.rows)), key=lambda i: key(table.rows[i], 0))
        table = D.Table(rows=[table.rows[i] for i in rperm], cols=table.cols, cells=[table.cells[i] for i in rperm])
    D.suppress(table, k)
    return Published(dims, date_from, date_to, k, table, lang, scope)


def charts(pub: Published) -> list[tuple[str, list[tuple[str, int | None]]]]:
    """Bar charts of the published margins: the rows' totals and, in a two-way table, the columns'."""
    t, zh = pub.table, is_chinese(pub.lang)
    by = "按" if zh else "By "
    if len(pub.dims) == 1:
        return [(by + DIMENSION_NAMES[pub.dims[0]][0 if zh else 1],
                 [(" ".join(pub.row_labels(i)), t.shown((i, 0))) for i in range(len(t.rows))])]
    rows_title = by + " / ".join(DIMENSION_NAMES[d][0 if zh else 1] for d in pub.dims[:-1])
    return [(rows_title, [(" ".join(pub.row_labels(i)), t.shown((i, None))) for i in range(len(t.rows))]),
            (by + DIMENSION_NAMES[pub.dims[-1]][0 if zh else 1],
             [(pub.col_label(j), t.shown((None, j))) for j in range(len(t.cols))])]


def as_pdf(pub: Published, footer: str = "") -> bytes:
    from counter.services.printing import refusing_unprintable
    from printing.stats_report import StatsReport, render_stats_report

    zh = is_chinese(pub.lang)
    with refusing_unprintable():
        return render_stats_report(StatsReport(
            title="实有人口统计 Population statistics" if zh else "Population statistics",
            scope=pub.scope, period=f"{pub.date_from.isoformat()} — {pub.date_to.isoformat()}",
            grid=pub.grid(), footnote=pub.footnote, charts=charts(pub), footer=footer))


def memory_facts():
    """An empty in-memory facts database (the station's statistics are built fresh each time)."""
    import sqlite3

    from db.sql_tx import SqliteTx

    conn = sqlite3.connect(":memory:", isolation_level=None)
    tx = SqliteTx(conn)
    for statement in [*HELPER_TABLES, PERIOD_FACTS, *FACTS_INDICES]:
        tx.execute(statement)
    return tx


def station_facts(station):
    """The station's facts, folded from its own journal."""
    from db import journal

    tx = memory_facts()
    apply_entries(tx, station.config.station_id, journal.rows_of_kinds(station.db, STAT_KINDS))
    return tx


def render(pub: Published, fmt: str) -> bytes:
    if fmt == "json":
        return (json.dumps(pub.as_json(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if fmt == "csv":
        return pub.as_csv()
    if fmt == "xlsx":
        return pub.as_xlsx()
    if fmt == "pdf":
        return as_pdf(pub)
    return text_table(pub).encode("utf-8")


def text_table(pub: Published) -> str:
    from unicodedata import east_asian_width

    def width(s: str) -> int:
        return sum(2 if east_asian_width(c) in "WF" else 1 for c in s)

    grid = pub.grid()
    widths = [max(width(row[c]) for row in grid) for c in range(len(grid[0]))]
    lines = []
    for row in grid:
        cells = []
        for c, cell in enumerate(row):
            pad = " " * (widths[c] - width(cell))
            cells.append(cell + pad if c < len(row) - (1 if len(pub.dims) == 1 else len(pub.table.cols) + 1)
                         else pad + cell)
        lines.append("  ".join(cells).rstrip())
    return "\n".join([*lines, "", pub.footnote]) + "\n"
