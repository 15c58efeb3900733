"""Pilot tests: the person file's hint follows the eligibility rules (issue 16, item 4).

A local resident is not told to register (art. 8), a foreigner is offered 'h' and no permit
(Exit and Entry Administration Law art. 39, Measures art. 25), a person from elsewhere in the province
is offered the lodging registration (art. 9), one from another province the residence registration
and the permit (art. 10)."""

from __future__ import annotations

from datetime import date

import pytest

from counter.services import clerks
from devices.identity import RESIDENT_ID, IdentityDocument
from screens.app import CounterApp
from screens.person import PersonScreen
from tests.screens.test_window_rules import MUELLER_CARD


def resident_card(number: str, name: str) -> IdentityDocument:
    return IdentityDocument(doc_type=RESIDENT_ID, document_number=number, citizen_id=number, name=name, sex="M",
                            birth_date=date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
                            nationality="CHN", ethnicity="01", address="辽宁省沈阳市和平区南京北街1号",
                            expiry_date=date(2036, 1, 1))


YONGKANG = resident_card("210102198804171352", "𠮷永康")  # household in the station's own district
DALIAN = resident_card("210202199001010011", "王力")      # elsewhere in Liaoning
BEIJING = resident_card("110105198803142117", "张伟")     # another province


def _text(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


def _notes(app) -> str:
    return " ".join(str(n.message) for n in app._notifications)


async def _file_of(pilot, app, station, card) -> PersonScreen:
    app.signed_in(clerks.sign_in(station, "柜员甲", "1234"))
    await pilot.pause()
    app.push_screen(PersonScreen(None, card=card))
    await pilot.pause()
    return app.screen


@pytest.mark.parametrize("card, offered, not_offered", [
    (YONGKANG, [], ["1 居住登记", "2 寄住登记", "3 居住证申领", "1 或 2"]),
    (DALIAN, ["2 寄住登记"], ["1 居住登记", "3 居住证申领", "1 或 2"]),
    (BEIJING, ["1 居住登记", "3 居住证申领"], ["2 寄住登记", "1 或 2"]),
    (MUELLER_CARD, ["h 境外人员住宿登记"], ["1 居住登记", "3 居住证申领", "1 或 2"]),
], ids=["local", "in-province", "other-province", "foreigner"])
async def test_the_hint_offers_what_this_person_may_actually_do(station, card, offered, not_offered):
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _file_of(pilot, app, station, card)
        identity = _text(screen, "#person-identity")
        hint = identity.splitlines()[3]
        for text in offered:
            assert text in hint, hint
        for text in not_offered:
            assert text not in hint, hint
        if not offered:  # the clerk is told why: the household registration is here (art. 8)
            assert "尚未登记：户籍（210102）在本辖区" in hint and "210102" in hint and "第八条" in hint, hint


async def test_a_local_resident_pressing_a_file_service_hears_why_not_register_first(station):
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _file_of(pilot, app, station, YONGKANG)
        await pilot.press("a")  # 变更居住地址 needs a file
        await pilot.pause()
        assert app.screen is screen
        notes = _notes(app)
        assert "请先办理登记" not in notes and "第八条" in notes, notes
        # the menu dims what the rules rule out, not only what needs a file
        menu = screen.query_one("#person-services").render()
        dimmed = [span for span in menu.spans if "dim" in str(span.style)]
        dim_text = " ".join(menu.plain[s.start:s.end] for s in dimmed)
        assert "1  居住登记" in dim_text and "3  居住证申领" in dim_text


async def test_a_foreigner_pressing_a_file_service_is_sent_to_h(station):
    app = CounterApp(station, lang="en", idle_lock_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _file_of(pilot, app, station, MUELLER_CARD)
        assert "This person may: h " in _text(screen, "#person-identity")
        await pilot.press("a")
        await pilot.pause()
        notes = _notes(app)
        assert "Register the person first (h " in notes and "(1 or 2)" not in notes, notes
