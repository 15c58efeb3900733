"""Key presses a clerk needs, per service, from card read to confirmed transaction (Textual Pilot).

    python tests/bench/keystrokes.py

Every key goes through Pilot into the real app on a real station database. The card read is counted as
one key (a card insert). Chinese characters: `keys` counts one press per character (an IME commit);
`ime` adds 3 per character for pinyin typing (about 3 letters and a selection), and is what the last
line reports. Addresses use the address field's completion from addresses already on file: the bench
types characters until the suggestion is the wanted address, then accepts it with →.
A new arrival at a known house (issue 13's address picker) types the last digits of the house code on its
plate and takes the house's address with →.
The baseline types every field of a permit application by hand (no card, no prefill, no completion).
Also printed: ms from confirm to the document being ready, against a bare journal append in the same run.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from counter.services import clerks, engine  # noqa: E402
from counter.services.cards import card_prefill  # noqa: E402
from counter.services.seed import seed  # noqa: E402
from counter.station import Station  # noqa: E402
from devices.identity import EMRTD_TD3, SSCARD, IdentityDocument  # noqa: E402
from screens.app import CounterApp  # noqa: E402
from screens.document import DocumentScreen  # noqa: E402
from screens.messages import CardRead  # noqa: E402
from screens.wizard import WizardScreen  # noqa: E402
from tests.screens.conftest import SUPERVISOR, sign_in  # noqa: E402
from tests.screens.driver import Clerk  # noqa: E402

IME_EXTRA = 3


def citizen_card(number: str, name: str, sex: str, birth: date, ethnicity: str = "01") -> IdentityDocument:
    return IdentityDocument(doc_type=SSCARD, document_number=f"L{number[:14]}", name=name, sex=sex,
                            birth_date=birth, nationality="CHN", issuing_state="CHN", citizen_id=number,
                            ethnicity=ethnicity)


def make_id(area: str, birth: date, order: int) -> str:
    from counter.domain.citizen_id import check_character

    first = f"{area}{birth:%Y%m%d}{order:03d}"
    return first + check_character(first)


def prepare(station, clerk, now: datetime) -> dict[str, IdentityDocument]:
    """People in the states each service needs, made through the service layer at past moments."""
    cards: dict[str, IdentityDocument] = {}
    n = 0

    def person(key: str, state: str, name: str, area: str = "110105") -> IdentityDocument:
        """From Beijing by default (another province: registration and permit); `area` 210202 is
        elsewhere in Liaoning (a lodging registration)."""
        nonlocal n
        n += 1
        birth = date(1980 + n % 20, 1 + n % 12, 1 + n % 27)
        sex = "M" if n % 2 else "F"
        number = make_id(area, birth, 100 + n * 2 + (1 if sex == "M" else 0))
        card = citizen_card(number, name, sex, birth)
        cards[key] = card
        if state == "new":
            return card
        base = {**card_prefill(card), "current_address": "沈阳市和平区南京北街10号", "arrival_date": "0",
                "stay_reason": "1", "phone": "13812345678", "household_address": "北京市朝阳区幸福街3号"}
        t0 = now - timedelta(days=400)
        pid = engine.perform(station, "residence_registration", base, clerk=clerk, now=t0,
                             build_document=False).person_id
        if state == "registered":
            return card
        if state == "expiring":  # a 1-year permit collected long ago, ending in 10 days
            t_apply = now - timedelta(days=355)
            engine.perform(station, "permit_apply", {"validity_years": "1"}, person_id=pid, clerk=clerk,
                           now=t_apply, build_document=False)
            engine.perform(station, "permit_collect", {}, person_id=pid, clerk=clerk,
                           now=t_apply + timedelta(days=30), build_document=False)
            return card
        t_apply = now - timedelta(days=60)
        engine.perform(station, "permit_apply", {"validity_years": "3"}, person_id=pid, clerk=clerk, now=t_apply,
                       build_document=False)
        if state == "ready":  # accepted, card ready to collect
            return card
        engine.perform(station, "permit_collect", {}, person_id=pid, clerk=clerk, now=t_apply + timedelta(days=30),
                       build_document=False)
        return card  # "issued"

    person("residence_registration", "new", "𠮷田春")
    person("residence_registration_house", "new", "阿依古丽·买买提")
    person("lodging_registration", "new", "阿依古丽·买买提", area="210202")
    person("permit_apply", "registered", "王䶮")
    person("permit_apply_new", "new", "张𠮷")
    person("permit_extend", "expiring", "李秀英")
    person("permit_change", "issued", "赵建国")
    person("permit_replace", "issued", "钱玉兰")
    person("permit_cancel", "issued", "孙浩然")
    person("permit_collect", "ready", "周梓萱")
    person("residence_certificate", "registered", "吴一诺")
    person("proof_of_life", "registered", "郑雨桐")
    person("criminal_record_request", "registered", "冯宇轩")
    person("change_address", "registered", "陈晨曦")
    person("change_employer", "registered", "褚思远")
    person("change_phone", "registered", "卫博文")
    person("name_correction", "registered", "蒋佳琪")
    # the resident ID card through the SAM reader: decoded by the real codec from a text block
    from devices.resident_id import decode
    from devices.sim.sam_cards import SamCard

    birth = date(1993, 7, 19)
    sam_card = SamCard("bench", "", "张𠮷", "1", birth, make_id("110105", birth, 191), date(2020, 1, 2),
                       date(2040, 1, 2), address="北京市朝阳区幸福街3号", authority="北京市公安局朝阳分局")
    cards["permit_apply_resident_id"] = decode(sam_card.text_block(), sam_card.photo())
    cards["passport_registration"] = IdentityDocument(
        doc_type=EMRTD_TD3, document_number="M70689098", name="KIM MINJUN", sex="M", birth_date=date(1990, 5, 6),
        nationality="KOR", issuing_state="KOR", expiry_date=date(2031, 2, 1))
    return cards


async def type_address(c: Clerk, target: str) -> None:
    """Type the street part of an address on file until the completion is `target`, then take it with →.
    An address not on file is typed in full."""
    field = c.app.focused
    from counter.services import people

    on_file = target in people.known_addresses(c.app.station)
    start = target.find("区") + 1 if on_file else 0
    for ch in target[start:]:
        await c.type(ch)
        await c.pilot.pause()
        if field._suggestion == target:
            await c.press("right")
            break
    assert field.value == target, (field.value, target)


HOUSES: dict[str, str] = {}  # house code -> address: the district's house register (issue 13)


def add_houses(station, clerk, landlord_id: str, count: int = 300) -> None:
    """A house register like a district's: codes 2101020001..., addresses of known streets."""
    from counter.services import houses

    streets = ["南京北街", "太原街", "中华路", "北五马路", "十一纬路", "八经街", "三好街", "民主路"]
    for n in range(1, count + 1):
        code = f"2101020{n:04d}"
        address = f"沈阳市和平区{streets[n % len(streets)]}{n}号{1 + n % 6}单元{100 + n % 30}"
        houses.add_house(station, clerk.clerk_id, house_code=code, address=address, house_type="rental",
                         capacity=4, manager_ref=landlord_id)
        HOUSES[code] = address


async def pick_house(c: Clerk, house_code: str) -> None:
    """Type the fewest last digits of the house code (as printed on the house's plate) that name one house
    of the register, and take it with →."""
    field = c.app.focused
    target = HOUSES[house_code]
    digits = next(house_code[-k:] for k in range(2, len(house_code) + 1)
                  if sum(1 for code in HOUSES if code.endswith(house_code[-k:])) == 1)
    await c.type(digits)
    await c.pilot.pause()
    assert field._suggestion == target, (field._suggestion, target)
    await c.press("right")
    assert field.value == target, (field.value, target)


ADDRESSES: list[str] = []  # filled from the seeded station: rental addresses already on file


def address(rank: int) -> str:
    return ADDRESSES[rank]


# service -> (menu key, card key, steps); a step is ("type", text) | ("addr", text) | ("key", key) | ("sup",)
SCENARIOS = {
    "residence_registration": ("1", "residence_registration",
                               [("addr", 5), ("key", "enter"), ("type", "-2")]),
    # a new arrival at a known house, read from a card: the house picked by its code's last digits
    "residence_registration (known house)": ("1", "residence_registration_house",
                                             [("house", "21010200137"), ("key", "enter"), ("type", "0")]),
    "lodging_registration": ("2", "lodging_registration",
                             [("addr", 12), ("key", "enter"), ("type", "0")]),
    # a foreigner: the accommodation registration, with the arrival's time for the 24-hour deadline
    "accommodation_registration (passport)": ("h", "passport_registration",
                                              [("addr", 20), ("key", "enter"), ("type", "0"), ("key", "enter"),
                                               ("type", "00:00")]),
    "permit_apply": ("3", "permit_apply", []),
    "permit_apply (not on file)": ("3", "permit_apply_new", [("addr", 7)]),
    "permit_apply (resident ID, not on file)": ("3", "permit_apply_resident_id", [("addr", 7)]),
    "permit_extend": ("4", "permit_extend", []),
    "permit_change": ("5", "permit_change", [("addr", 9)]),
    "permit_replace": ("6", "permit_replace", []),
    "permit_cancel": ("7", "permit_cancel", []),
    "permit_collect": ("8", "permit_collect", []),
    "residence_certificate": ("9", "residence_certificate", []),
    "proof_of_life": ("0", "proof_of_life", []),
    "criminal_record_request": ("c", "criminal_record_request", [("type", "出国")]),
    "change_address": ("a", "change_address", [("addr", 30)]),
    "change_employer": ("e", "change_employer", [("complete", "沈阳𠮷祥餐饮有限公司", "𠮷祥")]),
    "change_phone": ("t", "change_phone", [("type", "13900001111")]),
    "name_correction": ("n", "name_correction", [("type", "蒋佳祺"), ("sup",)]),
}

BASELINE_FIELDS = [("doc_type", "1"), ("id_number", "110105198803142125"), ("name", "𠮷田春"), ("sex", "2"),
                   ("birth_date", "19880314"), ("ethnicity", "01"), ("nationality", "CHN"),
                   ("household_address", "北京市朝阳区幸福街3号"),
                   ("current_address", "沈阳市和平区南京北街10号"), ("proof", "1"), ("validity_years", "3"),
                   ("is_student", "1"), ("phone", "13812345678")]


async def run_scenario(c: Clerk, card: IdentityDocument, key: str, steps) -> tuple[int, int, float]:
    app = c.app
    c.reset()
    c.keys += 1  # the card read
    app.post_message(CardRead(card))
    await c.pilot.pause()
    await c.press(key)
    assert isinstance(app.screen, WizardScreen), app.screen
    for step in steps:
        kind = step[0]
        if kind == "type":
            await c.type(step[1])
        elif kind == "addr":
            await type_address(c, address(step[1]))
        elif kind == "house":
            await pick_house(c, step[1])
        elif kind == "complete":  # type part of a value on file, take the completion with →
            await c.type(step[2])
            await c.pilot.pause()
            assert c.app.focused._suggestion == step[1], c.app.focused._suggestion
            await c.press("right")
        elif kind == "key":
            await c.press(step[1])
        elif kind == "sup":
            pass
    await c.press("f10")
    assert app.screen.on_review, (card.name, {f: str(app.screen.query_one(f"#e-{f}").content) for f in app.screen.spec.fields}, app.screen._raw())
    await c.press("f10")
    if any(s[0] == "sup" for s in steps):
        await c.type("1")  # the first supervisor in the dialog's numbered list
        await c.press("enter")
        await c.type(SUPERVISOR[1])
        await c.press("enter")
    assert isinstance(app.screen, DocumentScreen), (card.name, str(app.screen.query_one("#wizard-error").content))
    keys, hanzi = c.keys, c.hanzi
    ms = app.state.last_confirm_ms
    await c.pilot.press("escape")
    await c.pilot.press("escape")
    return keys, hanzi, ms


async def baseline(c: Clerk) -> tuple[int, int]:
    """A permit application typed entirely by hand: no card, every field typed, Enter between fields."""
    app = c.app
    c.reset()
    await c.press("f3", "ctrl+n", "3")
    assert isinstance(app.screen, WizardScreen)
    for fid, text in BASELINE_FIELDS:
        await c.fill([(fid, "")])  # reach the field (Tab/PgDn counted)
        if app.focused.value:
            await c.press("ctrl+a", "ctrl+k")
        await c.type(text)
        await c.press("enter")
    if not app.screen.on_review:
        await c.press("f10")
    await c.press("f10")
    assert isinstance(app.screen, DocumentScreen), app.screen.query_one("#wizard-error").content
    keys, hanzi = c.keys, c.hanzi
    await c.pilot.press("escape")
    return keys, hanzi


async def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="counter-bench-"))
    station = Station.init(tmp / "station", "BENCH-01", "210102", "和平区政务服务中心", reader={"kind": "simulated"})
    clerk = clerks.add_clerk(station, "柜员甲", "clerk", "1234")
    clerks.add_clerk(station, SUPERVISOR[0], "supervisor", SUPERVISOR[1])
    now = datetime.now(UTC)
    seed(station, 300, clerk=clerk, now=now - timedelta(days=1))  # a station with history: known addresses
    from counter.services import people

    ADDRESSES.extend(people.known_addresses(station)[:40])
    cards = prepare(station, clerk, now)
    landlord = engine.perform(station, "lodging_registration", {
        **card_prefill(citizen_card(make_id("210202", date(1970, 1, 1), 11), "房东李", "M", date(1970, 1, 1))),
        "current_address": "沈阳市和平区十一纬路1号", "arrival_date": "0", "stay_reason": "1",
        "household_address": "大连市中山区"}, clerk=clerk, build_document=False)
    add_houses(station, clerk, landlord.person_id)
    # same-run baseline for time: a bare journal append
    t = time.perf_counter()
    for i in range(20):
        station.record("bench.noop", {"i": i})
    append_ms = (time.perf_counter() - t) * 1000 / 20

    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    rows = []
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        c = Clerk(pilot)
        for name, (key, card_key, steps) in SCENARIOS.items():
            keys, hanzi, ms = await run_scenario(c, cards[card_key], key, steps)
            rows.append((name, keys, hanzi, keys + IME_EXTRA * hanzi, ms))
        base_keys, base_hanzi = await baseline(c)
    print(f"{'service':<36}{'keys':>6}{'hanzi':>7}{'ime':>6}{'confirm→doc ms':>16}")
    for name, keys, hanzi, ime, ms in rows:
        print(f"{name:<36}{keys:>6}{hanzi:>7}{ime:>6}{ms:>16.1f}")
    base_ime = base_keys + IME_EXTRA * base_hanzi
    permit = next(r for r in rows if r[0] == "permit_apply")
    print(f"baseline permit_apply typed by hand: keys {base_keys}, hanzi {base_hanzi}, ime {base_ime}")
    print(f"permit_apply with card data: ime {permit[3]} (goal <= 15); {base_ime / permit[3]:.0f}x fewer than by hand")
    sam = next(r for r in rows if r[0] == "permit_apply (resident ID, not on file)")
    print(f"permit_apply, not on file, resident ID card through the SAM reader: keys {sam[1]}, ime {sam[3]} "
          f"(goal <= 8); by hand: keys {base_keys}, ime {base_ime}")
    median_ms = statistics.median(r[4] for r in rows)
    print(f"confirm to document ready: median {median_ms:.1f} ms, max {max(r[4] for r in rows):.1f} ms; "
          f"bare journal append {append_ms:.1f} ms (ratio {median_ms / append_ms:.1f}x)")
    house = next(r for r in rows if r[0] == "residence_registration (known house)")
    print(f"new arrival at a known house, read from a card: keys {house[1]}, ime {house[3]} (goal <= 10; the house"
          f" picked by the last digits of its code that name one of {len(HOUSES)} houses)")
    print(f"max_keystrokes {max(r[3] for r in rows)}")
    station.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
