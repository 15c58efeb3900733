from datetime import date

import pytest

from counter.domain.citizen_id import check_character, lookup_area, mask, parse_citizen_id
from counter.errors import ValidationError


def test_valid_number_decodes_area_birth_and_sex():
    cid = parse_citizen_id("11010519491231002X")
    assert cid.area.code == "110105" and cid.area.name == "北京市朝阳区"
    assert cid.birth_date == date(1949, 12, 31)
    assert cid.sex == "F"  # order code 002 is even
    assert cid.check == "X"


def test_lowercase_x_is_accepted_and_normalised():
    assert parse_citizen_id("11010519491231002x").number == "11010519491231002X"


def test_check_character_follows_iso7064_mod_11_2():
    # 17 digits of a published example, weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
    assert check_character("11010519491231002") == "X"
    assert check_character("44052418800101001") == "4"


def test_fifteen_digit_number_is_converted():
    cid = parse_citizen_id("110105491231002")
    assert cid.number == "11010519491231002X"
    assert cid.converted_from == "110105491231002"


def test_historical_area_code_is_accepted():
    # 110103 崇文区 was merged into 东城区 in 2010; old cards keep it.
    area = lookup_area("110103")
    assert area is not None and area.historical and area.valid_until == 2010
    number = "11010319800101" + "001"
    cid = parse_citizen_id(number + check_character(number))
    assert cid.area.county == "崇文区"


@pytest.mark.parametrize(
    "number, reason",
    [
        ("110105194912310021", "check character is 1, expected X"),
        ("999999194912310021", "area code 999999"),
        ("110105194913310028", "not a real date"),
        ("11010519491231002", "18 characters"),
        ("1101051949123100XX", "17 digits then a digit or X"),
    ],
)
def test_invalid_numbers_give_the_specific_reason(number, reason):
    with pytest.raises(ValidationError) as err:
        parse_citizen_id(number)
    assert reason in str(err.value)
    assert err.value.field == "id_number"


def test_future_birth_date_is_refused():
    number = "11010520491231" + "002"
    with pytest.raises(ValidationError, match="in the future"):
        parse_citizen_id(number + check_character(number), today=date(2026, 11, 21))


def test_mask_keeps_first_six_and_last_four():
    assert mask("32058319800101123X") == "320583********123X"


@pytest.mark.parametrize("code, name", [("440305", "广东省南山区"), ("500101", "重庆市万州区")])
def test_a_renamed_county_has_its_current_name_and_is_not_historical(code, name):
    # numdb lists "[1983-1989]南头区办事处,[1990-]南山区": the household address prefilled from
    # the card read "广东省南头区办事处,[1990-]南山区", and the code counted as abolished in 1989
    area = lookup_area(code)
    assert area.name == name and not area.historical
    from counter.demo_cards import SAMPLE_CARDS
    from counter.services.cards import card_prefill

    wang = next(c for c in SAMPLE_CARDS if c.citizen_id.startswith("440305"))
    # the household address starts with all three levels: province, prefecture, county
    assert card_prefill(wang)["household_address"] == "广东省深圳市南山区"


@pytest.mark.parametrize("code, full", [
    ("210102", "辽宁省沈阳市和平区"),  # a district of a prefecture-level city
    ("650102", "新疆维吾尔自治区乌鲁木齐市天山区"),
    ("320583", "江苏省苏州市昆山市"),  # a county-level city under its prefecture
    ("110105", "北京市朝阳区"),  # a municipality: its 市辖区 level is no place name
    ("429004", "湖北省仙桃市"),  # run by the province directly (省直辖县级行政区划)
    ("441900", "广东省东莞市"),  # a prefecture-level city without counties
    ("460201", "海南省三亚市"),  # the 市辖区 code of a city
    ("210100", "辽宁省沈阳市"),
    ("210000", "辽宁省"),
])
def test_the_full_area_name_has_province_prefecture_and_county(code, full):
    assert lookup_area(code).full_name == full
