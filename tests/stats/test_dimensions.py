"""The derived dimensions and the suppression rule (counter/domain/stats.py), as pure functions."""

from __future__ import annotations

import random
from datetime import date

import pytest

from counter.domain import stats as S

DISTRICT = "210102"  # 沈阳市和平区


@pytest.mark.parametrize(("code", "kind", "province"), [
    ("210102", "same_county", "21"),        # 和平区 itself
    ("210103", "other_county", "21"),       # 沈阳市沈河区
    ("210202", "other_city", "21"),         # 大连市中山区
    ("130203", "other_province", "13"),     # 唐山市路北区, 河北
    ("810000", "other_province", "81"),     # Hong Kong
    ("990000", "unknown", None),            # no such province
    ("", "unknown", None),
    (None, "unknown", None),
])
def test_origin_from_area_code(code, kind, province):
    assert S.origin(code, DISTRICT) == S.Origin(kind, province)


def test_origin_of_a_foreigner_is_abroad_whatever_the_number():
    assert S.origin("210102", DISTRICT, foreign=True).kind == "abroad"


def test_origin_reads_only_the_area_code_of_a_full_id_number():
    assert S.origin("13020319900101123X", DISTRICT) == S.Origin("other_province", "13")


EDGES = (20, 30, 50, 60)  # seed 001: 20-30, 30-50, 60+


def test_age_band_labels_and_edges():
    assert S.age_band_labels(EDGES) == ("<20", "20-29", "30-49", "50-59", "60+")
    on = date(2026, 12, 2)
    assert S.age_band(date(2006, 12, 3), on, EDGES) == "<20"     # 19, birthday tomorrow
    assert S.age_band(date(2006, 12, 2), on, EDGES) == "20-29"   # 20 today
    assert S.age_band(date(1996, 12, 3), on, EDGES) == "20-29"   # 29
    assert S.age_band(date(1996, 12, 2), on, EDGES) == "30-49"
    assert S.age_band(date(1966, 12, 2), on, EDGES) == "60+"
    assert S.age_band(None, on, EDGES) == "unknown"


def test_age_on_29_february():
    assert S.age_on(date(2004, 2, 29), date(2026, 2, 28)) == 21
    assert S.age_on(date(2004, 2, 29), date(2026, 3, 1)) == 22


def test_sex_from_the_record_or_the_order_code():
    assert S.sex_of("110101199003074514") == "M"   # 451: odd
    assert S.sex_of("110101199003074522") == "F"   # 452: even
    assert S.sex_of("110101900307452") == "F"      # 15-digit: the last digit is the order
    assert S.sex_of("110101199003074514", "F") == "F"
    assert S.sex_of("E12345678") == "unknown"


@pytest.mark.parametrize(("start", "end", "band"), [
    (date(2026, 1, 31), date(2026, 7, 30), "lt_6m"),
    (date(2026, 1, 31), date(2026, 7, 31), "6_12m"),
    (date(2025, 12, 2), date(2026, 12, 1), "6_12m"),
    (date(2025, 12, 2), date(2026, 12, 2), "gt_12m"),
    (date(2026, 12, 2), date(2026, 12, 2), "lt_6m"),
])
def test_stay_band(start, end, band):
    assert S.stay_band(start, end) == band


def test_education_groups_as_seed_001_groups_them():
    assert S.education_group("70") == S.education_group("80") == S.education_group("90") == "junior_or_less"
    assert S.education_group("60") == S.education_group("40") == "senior_secondary"
    assert S.education_group("30") == S.education_group("10") == "college_or_above"
    assert S.education_group(None) == "unknown"
    assert set(sum(S.EDUCATION_GROUPS.values(), ())) == set(S.EDUCATION_LEVELS)


def test_inflow_and_outflow_per_week_and_month():
    spans = [(date(2026, 11, 30), None), (date(2026, 12, 1), date(2026, 12, 8)),
             (date(2026, 10, 1), date(2026, 12, 2)), (date(2026, 12, 14), None)]
    weeks = S.flows(spans, "week", date(2026, 11, 30), date(2026, 12, 20))
    assert [(f.period, f.inflow, f.outflow) for f in weeks] == [
        ("2026-W49", 2, 1), ("2026-W50", 0, 1), ("2026-W51", 1, 0)]
    months = S.flows(spans, "month", date(2026, 10, 1), date(2026, 12, 31))
    assert [(f.period, f.inflow, f.outflow, f.net) for f in months] == [
        ("2026-10", 1, 0, 1), ("2026-11", 1, 0, 1), ("2026-12", 2, 2, 0)]


def test_iso_week_across_the_new_year():
    assert S.period_of(date(2027, 1, 1), "week") == "2026-W53"


# --- suppression -------------------------------------------------------------------------


def _table(cells):
    return S.Table(rows=[(f"r{i}",) for i in range(len(cells))], cols=[(f"c{j}",) for j in range(len(cells[0]))],
                   cells=[list(r) for r in cells])


def test_crafted_table_primary_suppression_alone_is_recoverable_from_the_row_total():
    # one small cell in a row: hiding it alone, row total minus the others gives it back
    naive = _table([[3, 20, 30], [12, 15, 18], [9, 40, 22]])
    naive.suppressed = {(0, 0)}
    assert S.recoverable(naive) == {(0, 0)}
    t = S.suppress(_table([[3, 20, 30], [12, 15, 18], [9, 40, 22]]), 5)
    assert t.primary == {(0, 0)}
    assert len(t.suppressed) > 1
    assert S.recoverable(t) == set()


def test_complement_is_the_smallest_nonzero_cell_of_the_line():
    t = S.suppress(_table([[3, 20, 30], [12, 15, 18], [9, 40, 22]]), 5)
    # row 0 partners with 20 (its smallest other), column 0 with 9, and the rectangle closes at (2, 1)
    assert {(0, 1), (2, 0)} <= t.suppressed
    assert S.recoverable(t) == set()


def test_two_ones_are_not_left_as_a_pair_that_the_sum_pins():
    # x + y = 2 with both >= 1 tells x = y = 1: the line takes a third entry
    t = S.suppress(_table([[1, 1, 30, 40], [20, 25, 30, 40]]), 5)
    hidden_row0 = [p for p in t.suppressed if p[0] == 0 and p[1] is not None]
    assert sum(t.value(p) for p in hidden_row0) >= 5 + len(hidden_row0) - 1
    assert S.recoverable(t) == set()


def test_small_row_total_is_suppressed_with_a_partner_total():
    t = S.suppress(_table([[1, 2], [30, 40], [25, 35]]), 5)
    assert (0, None) in t.primary
    assert sum(1 for p in t.suppressed if p[1] is None and p[0] is not None) >= 2
    assert S.recoverable(t) == set()


def test_one_dimension_table_hides_two_categories_at_least():
    t = S.suppress(S.crosstab({("a",): 2, ("b",): 50, ("c",): 60}, 1), 5)
    assert t.suppressed >= {(0, 0), (1, 0)}
    assert (None, None) not in t.suppressed
    assert S.recoverable(t) == set()


def test_zeros_are_published():
    t = S.suppress(_table([[0, 20], [30, 40]]), 5)
    assert t.suppressed == set()


def test_no_suppressed_cell_is_recoverable_in_random_tables():
    rng = random.Random(14)
    for _ in range(200):
        n, m = rng.randint(1, 5), rng.randint(1, 5)
        cells = [[rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 40]) for _ in range(m)] for _ in range(n)]
        t = S.suppress(_table(cells), 5)
        for pos in S._all_positions(t):
            if 0 < t.value(pos) < 5:
                assert pos in t.suppressed
        leaked = S.recoverable(t)
        assert leaked == set(), (cells, sorted(t.suppressed, key=str), leaked)


def test_crosstab_lays_out_the_last_dimension_as_columns():
    t = S.crosstab({("other_province", "20-29"): 7, ("other_city", "20-29"): 3, ("other_city", "<20"): 1}, 2)
    assert t.rows == [("other_city",), ("other_province",)]
    assert t.cols == [("20-29",), ("<20",)]
    assert t.cells == [[3, 1], [7, 0]]
    assert t.total == 11
