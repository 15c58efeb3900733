"""Statistical dimensions and small-cell suppression: pure functions, no I/O.

The dimensions are those the district reports (seeds 000, 001, 003 篇6): origin from the ID number's
area code, age band, sex, length of stay, education group, occupation, housing type, reason for stay,
and inflow/outflow per period. Published tables suppress cells under k and add complementary
suppressions so that no suppressed cell can be recovered from the totals.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

# GB/T 2260 provincial-level codes (the first two digits of an area code).
PROVINCES: dict[str, tuple[str, str]] = {
    "11": ("北京", "Beijing"), "12": ("天津", "Tianjin"), "13": ("河北", "Hebei"), "14": ("山西", "Shanxi"),
    "15": ("内蒙古", "Inner Mongolia"), "21": ("辽宁", "Liaoning"), "22": ("吉林", "Jilin"),
    "23": ("黑龙江", "Heilongjiang"), "31": ("上海", "Shanghai"), "32": ("江苏", "Jiangsu"),
    "33": ("浙江", "Zhejiang"), "34": ("安徽", "Anhui"), "35": ("福建", "Fujian"), "36": ("江西", "Jiangxi"),
    "37": ("山东", "Shandong"), "41": ("河南", "Henan"), "42": ("湖北", "Hubei"), "43": ("湖南", "Hunan"),
    "44": ("广东", "Guangdong"), "45": ("广西", "Guangxi"), "46": ("海南", "Hainan"), "50": ("重庆", "Chongqing"),
    "51": ("四川", "Sichuan"), "52": ("贵州", "Guizhou"), "53": ("云南", "Yunnan"), "54": ("西藏", "Tibet"),
    "61": ("陕西", "Shaanxi"), "62": ("甘肃", "Gansu"), "63": ("青海", "Qinghai"), "64": ("宁夏", "Ningxia"),
    "65": ("新疆", "Xinjiang"), "71": ("台湾", "Taiwan"), "81": ("香港", "Hong Kong"), "82": ("澳门", "Macao"),
}

# Origin kinds, from nearest to farthest (seed 001: other counties of the city / in-province / out of province).
ORIGIN_KINDS = ("same_county", "other_county", "other_city", "other_province", "abroad", "unknown")

# GB/T 4658-2006 education levels (top level) and the three groups seed 001 reports
# (初中及以下 / 高中 / 大专以上).
EDUCATION_LEVELS: dict[str, tuple[str, str]] = {
    "10": ("研究生教育", "Postgraduate"), "20": ("大学本科教育", "Bachelor's degree"),
    "30": ("大学专科教育", "College (junior)"), "40": ("中等职业教育", "Secondary vocational"),
    "60": ("普通高级中学教育", "Senior high school"), "70": ("初级中学教育", "Junior high school"),
    "80": ("小学教育", "Primary school"), "90": ("其他", "Other or none"),
}
EDUCATION_GROUPS: dict[str, tuple[str, ...]] = {
    "junior_or_less": ("70", "80", "90"),
    "senior_secondary": ("40", "60"),
    "college_or_above": ("10", "20", "30"),
}

HOUSING_TYPES = ("rented", "dormitory", "work_site", "own", "relatives")
STAY_REASONS = ("work", "business", "study", "family", "other")
# Seed 003 篇6 counts stays under 6 months, 6 to 12 months, over a year.
STAY_BANDS = ("lt_6m", "6_12m", "gt_12m")


@dataclass(frozen=True)
class Origin:
    kind: str  # one of ORIGIN_KINDS
    province: str | None  # two-digit province code, for other_province (and the nearer kinds too)


def origin(area_code: str | None, station_district: str, *, foreign: bool = False) -> Origin:
    """Where a person comes from, relative to the station's district (both GB/T 2260 codes).

    Same county: the same 6 digits. Another county of the city: the same first 4. Another city of the
    province: the same first 2. Else another province (which one: its first 2 digits)."""
    if foreign:
        return Origin("abroad", None)
    code = (area_code or "").strip()
    if len(code) < 6 or not code[:6].isdigit() or code[:2] not in PROVINCES:
        return Origin("unknown", None)
    code = code[:6]
    province = code[:2]
    if code == station_district:
        return Origin("same_county", province)
    if code[:4] == station_district[:4]:
        return Origin("other_county", province)
    if province == station_district[:2]:
        return Origin("other_city", province)
    return Origin("other_province", province)


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def age_band_labels(edges: Sequence[int]) -> tuple[str, ...]:
    """Band labels for ascending edges, e.g. (20, 30, 50, 60) -> <20, 20-29, 30-49, 50-59, 60+."""
    edges = list(edges)
    labels = [f"<{edges[0]}"]
    labels += [f"{a}-{b - 1}" for a, b in zip(edges, edges[1:], strict=False)]
    labels.append(f"{edges[-1]}+")
    return tuple(labels)


def age_band(birth: date | None, on: date, edges: Sequence[int]) -> str:
    """The band of the age on `on`; edges are policy (`stats_age_bands`), ascending."""
    if birth is None:
        return "unknown"
    age = age_on(birth, on)
    labels = age_band_labels(edges)
    for i, edge in enumerate(edges):
        if age < edge:
            return labels[i]
    return labels[-1]


def sex_of(id_number: str | None, recorded: str | None = None) -> str:
    """M or F: the recorded sex, else the citizen ID's order code (odd male, even female)."""
    if recorded in ("M", "F"):
        return recorded
    n = (id_number or "").strip()
    if len(n) == 18 and n[16].isdigit():
        return "M" if int(n[16]) % 2 else "F"
    if len(n) == 15 and n[14].isdigit():
        return "M" if int(n[14]) % 2 else "F"
    return "unknown"


def months_between(start: date, end: date) -> int:
    """Whole months from start to end (31 Jan to 28 Feb is 0: the day of month is not reached)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(0, months)


def stay_band(start: date, end: date) -> str:
    """Length of stay from the start of the residence to its end (or the reference day)."""
    months = months_between(start, end)
    if months < 6:
        return "lt_6m"
    if months < 12:
        return "6_12m"
    return "gt_12m"


def education_group(level: str | None) -> str:
    for group, levels in EDUCATION_GROUPS.items():
        if level in levels:
            return group
    return "unknown"


def period_of(day: date, by: str) -> str:
    """The reporting period a day falls in: ISO week (2026-W49), month (2026-12) or the day itself."""
    if by == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if by == "month":
        return f"{day.year}-{day.month:02d}"
    if by == "day":
        return day.isoformat()
    raise ValueError(f"unknown period {by!r}")


def period_start(day: date, by: str) -> date:
    if by == "week":
        return day - timedelta(days=day.weekday())
    if by == "month":
        return day.replace(day=1)
    return day


@dataclass(frozen=True)
class Flow:
    period: str
    inflow: int
    outflow: int

    @property
    def net(self) -> int:
        return self.inflow - self.outflow


def flows(spans: Iterable[tuple[date, date | None]], by: str, start: date, end: date) -> list[Flow]:
    """Inflow (registrations started) and outflow (registrations ended) per period in [start, end].

    Every period of the range is listed, empty ones too, so a quiet week reads as 0, not as missing."""
    inflow: Counter = Counter()
    outflow: Counter = Counter()
    for began, ended in spans:
        if start <= began <= end:
            inflow[period_of(began, by)] += 1
        if ended is not None and start <= ended <= end:
            outflow[period_of(ended, by)] += 1
    out, day = [], period_start(start, by)
    seen = set()
    while day <= end:
        key = period_of(day, by)
        if key not in seen:
            seen.add(key)
            out.append(Flow(key, inflow[key], outflow[key]))
        day += timedelta(days=1)
    return out


# --- small-cell suppression ------------------------------------------------------------------


@dataclass
class Table:
    """A two-way table of counts with its margins; rows and columns are label tuples.

    `suppressed` holds the positions not published: (i, j) for a cell, (i, None) for row i's total,
    (None, j) for column j's total and (None, None) for the grand total."""

    rows: list[tuple]
    cols: list[tuple]
    cells: list[list[int]]
    suppressed: set[tuple] = field(default_factory=set)
    primary: set[tuple] = field(default_factory=set)

    def row_total(self, i: int) -> int:
        return sum(self.cells[i])

    def col_total(self, j: int) -> int:
        return sum(row[j] for row in self.cells)

    @property
    def total(self) -> int:
        return sum(map(sum, self.cells))

    def value(self, pos: tuple) -> int:
        i, j = pos
        if i is None and j is None:
            return self.total
        if i is None:
            return self.col_total(j)
        if j is None:
            return self.row_total(i)
        return self.cells[i][j]

    def shown(self, pos: tuple) -> int | None:
        """The published value, or None where suppressed."""
        return None if pos in self.suppressed else self.value(pos)


def crosstab(counts: Mapping[tuple, int], dims: int) -> Table:
    """Lay counts keyed by dimension tuples out as rows (all but the last dimension) x columns (the last)."""
    if dims == 1:
        rows = sorted({k[0:1] for k in counts}, key=_order)
        table = Table(rows=rows, cols=[("count",)], cells=[[0] for _ in rows])
        index = {r: i for i, r in enumerate(rows)}
        for key, n in counts.items():
            table.cells[index[key[0:1]]][0] += n
        return table
    rows = sorted({k[:-1] for k in counts}, key=_order)
    cols = sorted({k[-1:] for k in counts}, key=_order)
    ri = {r: i for i, r in enumerate(rows)}
    ci = {c: j for j, c in enumerate(cols)}
    cells = [[0] * len(cols) for _ in rows]
    for key, n in counts.items():
        cells[ri[key[:-1]]][ci[key[-1:]]] += n
    return Table(rows=rows, cols=cols, cells=cells)


def _order(key: tuple) -> tuple:
    return tuple(("~" if v in ("unknown", None) else str(v)) for v in key)


def _lines(table: Table) -> list[list[tuple]]:
    """Every additive relation the published table states: each row with its total, each column with
    its total, and the totals row and column with the grand total."""
    n, m = len(table.rows), len(table.cols)
    lines = [[(i, j) for j in range(m)] + [(i, None)] for i in range(n)]
    lines += [[(i, j) for i in range(n)] + [(None, j)] for j in range(m)]
    lines.append([(i, None) for i in range(n)] + [(None, None)])
    lines.append([(None, j) for j in range(m)] + [(None, None)])
    return lines


def suppress(table: Table, k: int) -> Table:
    """Suppress every count from 1 to k-1 (zeros are shown: they single no one out), then add
    complementary suppressions to every line of the table (a row or column with its total) that has a
    suppressed entry, until the line has at least two and their sum leaves each of them room up to k
    (sum >= k + hidden - 1, since a hidden entry is known to be at least 1). So no suppressed value
    follows from one sum, nor is pinned under k by it. The partner chosen is the smallest nonzero
    published cell of the line (the least information lost); a total only when no cell is left."""
    for pos in _all_positions(table):
        if 0 < table.value(pos) < k:
            table.primary.add(pos)
    table.suppressed |= table.primary
    lines = _lines(table)
    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = [p for p in line if p in table.suppressed]
            if not hidden:
                continue
            # with the line's total hidden too, this sum states nothing on its own
            if len(hidden) >= 2 and (line[-1] in hidden
                                     or sum(table.value(p) for p in hidden) >= k + len(hidden) - 1):
                continue
            candidates = [p for p in line if p not in table.suppressed]
            if not candidates:
                continue
            nonzero = [p for p in candidates if table.value(p) > 0] or candidates
            partner = min(nonzero, key=lambda p: (p[0] is None or p[1] is None, table.value(p)))
            table.suppressed.add(partner)
            changed = True
    return table


def _all_positions(table: Table) -> list[tuple]:
    n, m = len(table.rows), len(table.cols)
    pos = [(i, j) for i in range(n) for j in range(m)]
    pos += [(i, None) for i in range(n)] + [(None, j) for j in range(m)] + [(None, None)]
    return pos


def recoverable(table: Table) -> set[tuple]:
    """The suppressed positions whose exact value follows from the published figures by linear algebra
    (an attacker's audit): x is determined iff its unit vector lies in the row space of the relations
    restricted to the unknowns."""
    unknowns = sorted(table.suppressed, key=lambda p: (p[0] is None, p[0] or 0, p[1] is None, p[1] or 0))
    if not unknowns:
        return set()
    col = {p: i for i, p in enumerate(unknowns)}
    matrix = []
    for line in _lines(table):
        # each line: sum(cells) - total = 0
        row = [Fraction(0)] * len(unknowns)
        for p in line:
            if p in col:
                row[col[p]] += -1 if p == line[-1] else 1
        if any(row):
            matrix.append(row)
    base = _rank(matrix)
    found = set()
    for p in unknowns:
        unit = [Fraction(0)] * len(unknowns)
        unit[col[p]] = Fraction(1)
        if _rank([*matrix, unit]) == base:
            found.add(p)
    return found


def _rank(matrix: list[list[Fraction]]) -> int:
    rows = [list(r) for r in matrix]
    rank, ncols = 0, len(rows[0]) if rows else 0
    for c in range(ncols):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][c] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for r in range(len(rows)):
            if r != rank and rows[r][c] != 0:
                factor = rows[r][c] / rows[rank][c]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[rank], strict=True)]
        rank += 1
    return rank
