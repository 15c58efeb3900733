"""Realistic demo transactions, made through the same service functions the clerk's screens use.

Fast path: many services share one write transaction (one fsync per batch instead of per entry) and
skip building documents. Every entry still goes through engine.perform: validation, rules, numbers,
journal and projections are exactly the clerk's path.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from counter.domain import eligibility
from counter.domain.citizen_id import check_character, lookup_area
from counter.errors import ValidationError
from counter.services import engine
from db.connection import savepoint, write_transaction
from db.projectors.services import document_numbers

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强海燕玉兰欣怡子涵浩然梓萱一诺雨桐宇轩晨曦思远博文佳琪"
RARE = ["𠮷", "䶮", "堃", "喆", "昇", "燚", "淼", "犇", "鑫", "垚"]
MINORITY = [("阿依古丽·买买提", "05"), ("买买提·艾力", "05"), ("古丽娜尔·吐尔逊", "05"), ("努尔兰·别克", "17"),
            ("扎西·多吉", "04"), ("次仁·卓玛", "04"), ("巴特尔·乌力吉", "02"), ("其其格·斯琴", "02"),
            ("热依拉·阿不都", "05"), ("艾尼瓦尔·吾买尔", "05")]
FOREIGN = [("KIM MINJUN", "KOR"), ("LEE SEOYEON", "KOR"), ("TANAKA HIROSHI", "JPN"), ("SATO YUKI", "JPN"),
           ("NGUYEN VAN AN", "VNM"), ("IVANOV SERGEI", "RUS"), ("SMITH JOHN", "GBR"), ("O'BRIEN MARY-ANNE", "IRL"),
           ("MUELLER ANNA", "DEU"), ("GARCIA LUIS", "ESP")]
AREAS = ["210102", "210103", "210104", "210105", "210106", "210111", "110105", "110108", "320583", "440305",
         "510104", "650102", "130102", "370102", "410102", "430102", "220102", "230102", "150102", "540102"]
STREETS = ["南京北街", "太原街", "中山路", "三好街", "北四马路", "十一纬路", "民主路", "和平大街", "光荣街", "长白路"]
EMPLOYERS = ["沈阳华晨宝马汽车有限公司", "沈阳新松机器人自动化股份有限公司", "和平区太原街商业管理有限公司",
             "沈阳𠮷祥餐饮有限公司", "辽宁省人民医院", "东北大学", "沈阳地铁集团有限公司", "中街冰点城食品有限公司"]
ETHNIC_OTHER = ["03", "06", "08", "10", "11", "13", "15"]


@dataclass
class SeedResult:
    transactions: int
    people: int
    late: int
    seconds: float


# Seed 001's shares: junior school or less 60%, senior 30%, college 10%; catering, entertainment and
# building the main trades. The form's option numbers: education 1..8, housing 1..5, intended stay 1..3.
EDUCATION_WEIGHTS = {"6": 35, "7": 20, "8": 5, "5": 22, "4": 8, "3": 6, "2": 3, "1": 1}
HOUSING_WEIGHTS = {"1": 55, "2": 20, "3": 10, "4": 5, "5": 10}
OCCUPATIONS = ["E", "H", "H", "R", "F", "F", "C", "G", "O", "I"]


def _situation(rng: random.Random) -> dict:
    """The statistical items of a registration; about one in ten left empty, as clerks may."""
    if rng.random() < 0.1:
        return {}
    return {"education": rng.choices(list(EDUCATION_WEIGHTS), weights=list(EDUCATION_WEIGHTS.values()))[0],
            "housing_type": rng.choices(list(HOUSING_WEIGHTS), weights=list(HOUSING_WEIGHTS.values()))[0],
            "intended_stay": str(rng.randrange(1, 4)),
            "occupation": rng.choice(OCCUPATIONS)}


def _citizen_id(rng: random.Random, birth: date, male: bool, used: set[str]) -> str:
    while True:
        order = rng.randrange(0, 1000)
        if (order % 2 == 1) != male:
            order = (order + 1) % 1000
        first17 = f"{rng.choice(AREAS)}{birth:%Y%m%d}{order:03d}"
        number = first17 + check_character(first17)
        if number not in used:
            used.add(number)
            return number


def _person(rng: random.Random, used: set[str], today: date) -> dict:
    birth = today - timedelta(days=rng.randrange(17 * 365, 70 * 365))
    male = rng.random() < 0.5
    roll = rng.random()
    address = f"沈阳市和平区{rng.choice(STREETS)}{rng.randrange(1, 300)}号"
    if roll < 0.08:  # foreign passport holder
        name, nationality = rng.choice(FOREIGN)
        number = f"M{rng.randrange(10**7, 10**8)}"
        while number in used:
            number = f"M{rng.randrange(10**7, 10**8)}"
        used.add(number)
        return {"doc_type": "passport", "id_number": number, "name": name, "sex": "M" if male else "F",
                "birth_date": birth.isoformat(), "nationality": nationality, "current_address": address}
    if roll < 0.18:
        name, eth = rng.choice(MINORITY)
    else:
        given = rng.choice(RARE) if rng.random() < 0.06 else ""
        given += rng.choice(GIVEN) if rng.random() < 0.7 or not given else ""
        name = (rng.choice(["𠮷", "䶮"]) if rng.random() < 0.02 else rng.choice(SURNAMES)) + given
        eth = "01" if rng.random() < 0.9 else rng.choice(ETHNIC_OTHER)
    number = _citizen_id(rng, birth, male, used)
    return {"doc_type": "citizen_id", "id_number": number, "name": name, "sex": "M" if male else "F",
            "birth_date": birth.isoformat(), "ethnicity": eth, "nationality": "CHN",
            "household_address": f"{lookup_area(number[:6]).full_name}{rng.choice(STREETS)}{rng.randrange(1, 99)}号",
            "current_address": address,
            "phone": f"1{rng.choice('3578')}{rng.randrange(10**8, 10**9)}"}


def _may_apply(origin, pol) -> bool:
    try:
        eligibility.check_service("permit_apply", origin, pol)
    except ValidationError:
        return False
    return True


def seed(station, count: int, *, clerk=None, rng_seed: int = 2026, batch: int = 500,
         now: datetime | None = None) -> SeedResult:
    """Make `count` service transactions over the last days (several per person)."""
    rng = random.Random(rng_seed)
    end = now or datetime.now(UTC)
    days = max(1, min(90, count // 150))
    start = end - timedelta(days=days)
    step = (end - start) / max(1, count)
    used: set[str] = document_numbers(station.db)
    moment = start
    pol = engine.policy_of(station)
    done = people_made = late = 0
    pending: list[tuple[str, dict, str]] = []  # follow-up services for people already registered
    started = time.perf_counter()
    while done < count:
        with write_transaction(station.db):
            for _ in range(min(batch, count - done)):
                moment += step
                today = engine.business_date(station, moment)
                retry = None
                try:
                    with savepoint(station.db, "seed_one"):  # a refused attempt leaves nothing
                        if pending and rng.random() < 0.45:
                            service, values, pid = pending.pop(rng.randrange(len(pending)))
                            retry = (service, values, pid)
                            out = engine.perform(station, service, values, person_id=pid, clerk=clerk, now=moment,
                                                 build_document=False)
                            if service == "permit_apply":
                                pending.append(("permit_collect", {}, pid))
                        else:
                            person = _person(rng, used, today)
                            arrival = rng.randrange(0, 7) if rng.random() > 0.15 else rng.randrange(8, 40)
                            # the registration this person makes here (eligibility); a local resident has none
                            origin = engine.origin_of(station, person)
                            service = eligibility.registration_for(origin, pol)
                            if service is None:
                                raise ValidationError("a local resident has nothing to register")
                            values = {**person, "arrival_date": f"-{arrival}", "stay_reason": str(rng.randrange(1, 6)),
                                      **_situation(rng)}
                            if service == "accommodation_registration":
                                hours = rng.randrange(1, 23) if arrival < 8 else rng.randrange(25, 72)
                                arrived = moment.astimezone(station.tz) - timedelta(hours=hours)
                                values["arrival_date"], values["arrival_time"] = f"{arrived:%Y-%m-%d}", f"{arrived:%H:%M}"
                            if rng.random() < 0.5:
                                values["employer"] = rng.choice(EMPLOYERS)
                            out = engine.perform(station, service, values, clerk=clerk, now=moment,
                                                 build_document=False, source="seed")
                            people_made += 1
                            pid = out.person_id
                            if rng.random() < 0.6 and _may_apply(origin, pol):
                                pending.append(("permit_apply", {"proof": str(rng.randrange(1, 5)),
                                                                 "validity_years": str(rng.choice([1, 2, 3]))}, pid))
                            for service_id, p, values in (
                                ("proof_of_life", 0.06, {}),
                                ("residence_certificate", 0.08, {"purpose": rng.choice(["子女入学", "办理社保", ""])}),
                                ("change_phone", 0.05, {"new_phone": f"139{rng.randrange(10**7, 10**8)}"}),
                                ("criminal_record_request", 0.03, {"request_purpose": "出国", "phone": "13800000000"}),
                            ):
                                if rng.random() < p:
                                    pending.append((service_id, values, pid))
                        late += 1 if out.late_days else 0
                        done += 1
                except ValidationError:
                    # e.g. a card not ready to collect yet: nothing of this attempt stays; try again later.
                    # The clock goes back too, or retries would push transactions past `end` (the future).
                    moment -= step
                    if retry and retry[0] == "permit_collect":
                        pending.append(retry)
    return SeedResult(done, people_made, late, time.perf_counter() - started)
