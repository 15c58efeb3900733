"""Domain rules at their boundaries: pure functions, no database."""

from datetime import date

import pytest

from counter.domain import policy as rules
from counter.domain.ethnicity import ethnicities, parse_ethnicity
from counter.domain.fields import check_birth_date, check_expiry, check_phone, parse_date
from counter.domain.names import MIDDLE_DOT, check_name, normalise_name
from counter.errors import ValidationError

P = rules.Policy()


@pytest.mark.parametrize(("days_after", "late"), [(0, 0), (6, 0), (7, 0), (8, 1), (30, 23)])
def test_registration_deadline_day_7_on_time_day_8_late(days_after, late):
    arrival = date(2026, 3, 2)
    t = rules.timeliness(arrival, date.fromordinal(arrival.toordinal() + days_after), P.registration_deadline_days)
    assert t.days_late == late
    assert t.late is bool(late)
    assert t.deadline == date(2026, 3, 9)


def test_policy_deadline_is_configurable():
    t = rules.timeliness(date(2026, 3, 2), date(2026, 3, 5), 2)
    assert t.days_late == 1


def test_permit_validity_choices_and_end_date():
    assert rules.check_validity_years(3, P) == 3
    with pytest.raises(ValidationError, match="one of 1, 2, 3"):
        rules.check_validity_years(4, P)
    assert rules.permit_valid_until(date(2026, 11, 21), 1) == date(2027, 11, 20)
    assert rules.permit_valid_until(date(2024, 2, 29), 1) == date(2025, 2, 27)


@pytest.mark.parametrize(("today", "ok"), [
    (date(2026, 5, 1), False),   # 31 days before expiry: window not open
    (date(2026, 5, 2), True),    # exactly 30 days before: open
    (date(2026, 6, 1), True),    # the expiry day itself
])
def test_extension_window_opens_30_days_before_expiry(today, ok):
    until = date(2026, 6, 1)
    if ok:
        rules.check_extension(until, today, P)
    else:
        with pytest.raises(ValidationError, match="extension opens on 2026-05-02"):
            rules.check_extension(until, today, P)


def test_after_expiry_extension_becomes_new_application():
    with pytest.raises(ValidationError, match="make a new application"):
        rules.check_extension(date(2026, 6, 1), date(2026, 6, 2), P)


def test_collection_date_skips_weekends_and_listed_holidays():
    friday = date(2026, 11, 20)
    assert rules.collection_date(friday, rules.Policy(collection_working_days=1)) == date(2026, 11, 23)
    assert rules.collection_date(friday, P) == date(2026, 12, 11)  # 15 working days
    with_holiday = rules.Policy(collection_working_days=1, holidays=frozenset({date(2026, 11, 23)}))
    assert rules.collection_date(friday, with_holiday) == date(2026, 11, 24)


def test_minimum_residence_months():
    six = rules.Policy(min_residence_months=6)
    rules.check_residence_length(None, date(2026, 1, 1), P)  # default 0 months: nothing needed
    rules.check_residence_length(date(2025, 6, 1), date(2025, 12, 1), six)
    with pytest.raises(ValidationError, match="6 months"):
        rules.check_residence_length(date(2025, 6, 2), date(2025, 12, 1), six)
    with pytest.raises(ValidationError, match="register residence first"):
        rules.check_residence_length(None, date(2025, 12, 1), six)


def test_proofs_and_optional_permit():
    assert rules.check_proof("rental_contract", P) == "rental_contract"
    with pytest.raises(ValidationError):
        rules.check_proof("utility_bill", P)
    assert rules.permit_optional(15, False, P)
    assert not rules.permit_optional(16, False, P)
    assert rules.permit_optional(30, True, P)


def test_open_permit_blocks_second_application_and_offers_extend_or_change():
    today = date(2026, 11, 21)
    rules.check_no_open_permit([("A1", "cancelled", date(2027, 1, 1)), ("A2", "issued", date(2026, 11, 20))], today)
    with pytest.raises(rules.DuplicatePermit) as info:
        rules.check_no_open_permit([("A3", "issued", date(2026, 11, 21))], today)
    assert info.value.offers == ("permit_extend", "permit_change")


@pytest.mark.parametrize("name", ["张三", "𠮷田", "䶮", "阿依古丽·买买提", "JOHN SMITH", "O'NEIL-PARK ANNA"])
def test_valid_names_survive_unchanged(name):
    assert check_name(name).name == name


@pytest.mark.parametrize("dot", ["・", "•", "．", "‧", "∙", "⋅"])
def test_lookalike_dots_become_middle_dot(dot):
    assert check_name(f"阿依古丽{dot}买买提").name == f"阿依古丽{MIDDLE_DOT}买买提"
    assert normalise_name(f"阿依古丽 {dot} 买买提") == "阿依古丽·买买提"


@pytest.mark.parametrize("typed", ["阿依古丽.买买提", "阿依古丽。买买提", "阿依古丽 . 买买提"])
def test_full_stop_typed_between_chinese_characters_is_the_separator(typed):
    # what a Chinese IME gives for the dot key (half-width "." or full-width "。")
    assert check_name(typed).name == "阿依古丽·买买提"


@pytest.mark.parametrize("name", ["张三.", "。张三", "J. SMITH"])
def test_a_full_stop_elsewhere_is_still_refused(name):
    with pytest.raises(ValidationError, match="not allowed"):
        check_name(name)


@pytest.mark.parametrize(("name", "reason"), [
    ("张3", "digits"), ("JOHN2", "digits"), ("", "required"), ("·张三", "cannot start"),
    ("张··三", "cannot start"), ("张三@", "not allowed"), ("JOHN_SMITH", "not allowed"), ("张三 JOHN", "not allowed"),
])
def test_bad_names_are_refused_with_reason(name, reason):
    with pytest.raises(ValidationError, match=reason):
        check_name(name)


def test_ethnicity_table_is_gb_t_3304():
    table = ethnicities()
    assert len(table) == 58
    assert (table[0].code, table[0].zh) == ("01", "汉族")
    assert (table[55].code, table[55].zh) == ("56", "基诺族")
    assert parse_ethnicity("97").zh == "未识别民族"
    assert parse_ethnicity("98").zh == "外国人入籍"
    assert parse_ethnicity("维吾尔").code == "05"
    assert parse_ethnicity("1").code == "01"
    with pytest.raises(ValidationError):
        parse_ethnicity("57")


def test_dates():
    today = date(2026, 11, 21)
    assert parse_date("0", today) == today
    assert parse_date("-8", today) == date(2026, 11, 13)
    assert parse_date("20200229", today) == date(2020, 2, 29)
    assert parse_date("2020-02-29", today) == date(2020, 2, 29)
    with pytest.raises(ValidationError, match="not a real date"):
        parse_date("2021-02-29", today)
    with pytest.raises(ValidationError, match="in the future"):
        check_birth_date(date(2026, 11, 22), today)
    check_birth_date(today, today)
    with pytest.raises(ValidationError, match="after the issue date"):
        check_expiry(date(2026, 1, 1), date(2025, 12, 31))
    with pytest.raises(ValidationError, match="after the issue date"):
        check_expiry(date(2026, 1, 1), date(2026, 1, 1))


def test_phones():
    assert check_phone("138 1234 5678") == "13812345678"
    assert check_phone("+8613812345678") == "13812345678"
    assert check_phone("02412345678") == "024-12345678"
    assert check_phone("0411-8765432") == "0411-8765432"
    for bad in ("12812345678", "1381234567", "abc"):
        with pytest.raises(ValidationError):
            check_phone(bad)


def test_district_codes_including_historical():
    from counter.domain.fields import check_district

    assert check_district("210102") == "210102"
    with pytest.raises(ValidationError, match="not a GB/T 2260 area code"):
        check_district("999999")
    with pytest.raises(ValidationError):
        check_district("2101")
