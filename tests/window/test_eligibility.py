"""Eligibility as policy (issue 16, item 1): who gets which registration, and who may apply for a permit.

Each refusal comes at the service key (engine.precheck, before the form) and again at confirmation
(engine.perform), with the reason and the service offered instead.
"""

from __future__ import annotations

import pytest

from counter.config import ConfigError
from counter.domain import eligibility
from counter.domain.policy import Policy, ServiceRefused
from counter.i18n import catalog
from counter.services import engine, people
from counter.station import Station
from tests.window.conftest import AYIGULI, MUELLER, WANGLI, YONGKANG, ZHANGWEI, at, set_policy


def refused(station, service, values, **kw) -> ServiceRefused:
    with pytest.raises(ServiceRefused) as info:
        engine.perform(station, service, values, **kw)
    return info.value


# --- the worst cases of the issue, as written -----------------------------------------------------

def test_a_german_passport_holder_gets_no_permit_but_the_accommodation_registration(station, clerk):
    with pytest.raises(ServiceRefused) as info:  # at the service key, before the form
        engine.precheck(station, "permit_apply", None, identity=MUELLER)
    assert "art. 25" in str(info.value) and "24 hours" in str(info.value) and "art. 39" in str(info.value)
    assert info.value.offers == ("accommodation_registration",)
    exc = refused(station, "permit_apply", MUELLER, clerk=clerk)  # and at confirmation
    assert exc.offers == ("accommodation_registration",)
    assert station.db.conn.execute("SELECT count(*) FROM persons").fetchone()[0] == 0  # nothing half-written
    for service in ("residence_registration", "lodging_registration"):
        assert refused(station, service, {**MUELLER, "arrival_date": "0"}, clerk=clerk).offers == \
            ("accommodation_registration",)
    out = engine.perform(station, "accommodation_registration",
                         {**MUELLER, "arrival_date": "2026-12-02", "arrival_time": "08:00"}, clerk=clerk,
                         now=at("2026-12-02", "10:00"))
    assert out.late_days == 0 and out.entry.data["derived"]["deadline"] == "2026-12-03 08:00"
    person = people.get(station, out.person_id)
    assert person.registration_kind == "accommodation" and person.name == "MUELLER ANNA MARIA"
    # once on file, the permit is still refused, now for the person's file
    with pytest.raises(ServiceRefused):
        engine.precheck(station, "permit_apply", person)


def test_the_24_hour_deadline_flags_late_and_never_refuses(station, clerk):
    on_time = engine.perform(station, "accommodation_registration",
                             {**MUELLER, "arrival_date": "2026-12-01", "arrival_time": "10:00"}, clerk=clerk,
                             now=at("2026-12-02", "10:00"))
    assert on_time.late_days == 0 and on_time.entry.data["derived"]["late_hours"] == 0
    late = engine.perform(station, "accommodation_registration",
                          {**MUELLER, "id_number": "C01X00T48", "arrival_date": "2026-12-01", "arrival_time": "09:59"},
                          clerk=clerk, now=at("2026-12-02", "10:00"))
    assert late.late_days == 1 and late.entry.data["derived"]["late_hours"] == 1
    assert ("逾期", "超过申报期限 1 小时（已受理）") in late.document.lines
    with pytest.raises(Exception, match="in the future"):
        engine.perform(station, "accommodation_registration",
                       {**MUELLER, "id_number": "C01X00T49", "arrival_date": "0", "arrival_time": "23:59"},
                       clerk=clerk, now=at("2026-12-02", "10:00"))


def test_a_policy_deadline_of_48_hours_is_the_rule(station, clerk):
    set_policy(station, foreigner_registration_hours=48)
    out = engine.perform(station, "accommodation_registration",
                         {**MUELLER, "arrival_date": "2026-11-30", "arrival_time": "12:00"}, clerk=clerk,
                         now=at("2026-12-02", "10:00"))
    assert out.late_days == 0
    with pytest.raises(ServiceRefused, match="48 hours"):
        engine.precheck(station, "permit_apply", people.get(station, out.person_id))


def test_a_local_resident_has_nothing_to_register_and_is_told_why(station, clerk):
    for service in ("residence_registration", "lodging_registration", "accommodation_registration",
                    "permit_apply"):
        with pytest.raises(ServiceRefused) as info:
            engine.precheck(station, service, None, identity=YONGKANG)
        exc = info.value
        assert exc.offers == () and "210102" in str(exc) and "art. 8" in str(exc), service
        assert refused(station, service, {**YONGKANG, "arrival_time": "08:00"}, clerk=clerk).offers == ()
    zh = refused(station, "permit_apply", YONGKANG, clerk=clerk).localized(catalog("zh_CN").get)
    assert "户籍（210102）在本辖区" in zh and "户籍派出所" in zh
    assert station.db.conn.execute("SELECT count(*) FROM persons").fetchone()[0] == 0


def test_within_the_province_a_lodging_registration_not_a_permit(station, clerk):
    exc = refused(station, "permit_apply", WANGLI, clerk=clerk)
    assert exc.offers == ("lodging_registration",) and "art. 9" in str(exc) and "210202" in str(exc)
    assert refused(station, "residence_registration", WANGLI, clerk=clerk).offers == ("lodging_registration",)
    out = engine.perform(station, "lodging_registration", WANGLI, clerk=clerk)
    assert people.get(station, out.person_id).registration_kind == "lodging"


def test_from_another_province_a_residence_registration_and_a_permit(station, clerk):
    assert refused(station, "lodging_registration", AYIGULI, clerk=clerk).offers == ("residence_registration",)
    reg = engine.perform(station, "residence_registration", AYIGULI, clerk=clerk)
    engine.precheck(station, "permit_apply", people.get(station, reg.person_id))
    permit = engine.perform(station, "permit_apply", {}, person_id=reg.person_id, clerk=clerk)
    assert permit.number.startswith("A")


def test_the_national_rule_draws_the_line_at_the_county_after_six_months(station, clerk):
    set_policy(station, permit_eligibility="other_county")
    # elsewhere in the province, outside the county: a residence registration, then a permit after 6 months
    assert refused(station, "lodging_registration", WANGLI, clerk=clerk).offers == ("residence_registration",)
    reg = engine.perform(station, "residence_registration", {**WANGLI, "arrival_date": "2026-05-01"}, clerk=clerk,
                         now=at("2026-05-01"))
    with pytest.raises(ServiceRefused, match="6 months"):
        engine.perform(station, "permit_apply", {}, person_id=reg.person_id, clerk=clerk, now=at("2026-10-31"))
    out = engine.perform(station, "permit_apply", {}, person_id=reg.person_id, clerk=clerk, now=at("2026-11-02"))
    assert out.number
    # the household county itself: still nothing to register
    assert refused(station, "permit_apply", YONGKANG, clerk=clerk, now=at("2026-11-02")).offers == ()


def test_hong_kong_macao_and_taiwan_residents_register_and_the_permit_is_a_policy_option(station, clerk):
    hk = {**AYIGULI, "id_number": "81000019911224001X", "name": "陈家明", "sex": "M", "birth_date": "1991-12-24",
          "household_address": "香港特别行政区", "arrival_date": "2026-05-01", "arrival_time": "09:00"}
    origin = engine.origin_of(station, hk)
    assert origin.kind == eligibility.HMT
    assert refused(station, "residence_registration", hk, clerk=clerk).offers == ("accommodation_registration",)
    reg = engine.perform(station, "accommodation_registration", hk, clerk=clerk, now=at("2026-05-01", "12:00"))
    with pytest.raises(ServiceRefused, match="hmt_permit"):
        engine.perform(station, "permit_apply", {}, person_id=reg.person_id, clerk=clerk, now=at("2026-11-05"))
    set_policy(station, hmt_permit=True)
    with pytest.raises(ServiceRefused, match="6 months"):
        engine.perform(station, "permit_apply", {}, person_id=reg.person_id, clerk=clerk, now=at("2026-10-30"))
    assert engine.perform(station, "permit_apply", {}, person_id=reg.person_id, clerk=clerk,
                          now=at("2026-11-05")).number


def test_under_16s_and_students_may_apply_and_are_told_it_is_optional(station, clerk):
    child = {**ZHANGWEI, "id_number": "110105201501010025", "name": "王小䶮", "birth_date": "2015-01-01",
             "is_student": "1"}
    out = engine.perform(station, "permit_apply", child, clerk=clerk)
    assert out.notes == ["optional"]


def test_a_chinese_passport_without_an_id_number_cannot_apply(station, clerk):
    chn = {**MUELLER, "nationality": "CHN", "name": "LI NA", "id_number": "E12345678"}
    exc = refused(station, "permit_apply", chn, clerk=clerk)
    assert "resident ID card" in str(exc)


# --- the policy is data, each value naming its article --------------------------------------------

def test_the_default_policy_names_each_rules_source():
    from importlib import resources

    text = (resources.files("templates") / "policy" / "default.toml").read_text(encoding="utf-8")
    for key, source in (("permit_eligibility", "art. 10"), ("permit_eligibility", "Interim Regulations"),
                        ("foreigner_registration_hours", "art. 39"), ("hmt_permit", "HMT Residents (2018)")):
        block = text[:text.index(f"\n{key} =")]
        assert source in block[block.rfind("\n\n"):] or source in block[-600:], (key, source)
    p = Policy()
    assert (p.permit_eligibility, p.foreigner_registration_hours, p.hmt_permit) == ("other_province", 24, False)


def test_an_unknown_permit_rule_is_refused_in_one_line(tmp_path):
    st = Station.init(tmp_path / "s", "HP-01", "210102", "和平区政务服务中心")
    path = st.data_dir / "station.toml"
    st.close()
    path.write_text(path.read_text(encoding="utf-8") + '\n[policy]\npermit_eligibility = "other_city"\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        Station.open(tmp_path / "s")
    assert "permit_eligibility" in str(info.value) and "other_province, other_county" in str(info.value)
    assert "\n" not in str(info.value)
