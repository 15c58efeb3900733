"""Pilot tests of issue 16's window rules: the refusal at the service key, F9 over several open days,
home counts that add up, and the void dialog naming the receipt."""

from __future__ import annotations

from datetime import date

from textual.widgets import Input

from counter.services import amendments, clerks, dayclose, engine
from devices.identity import IdentityDocument
from screens.app import CounterApp
from screens.dayclose import CloseDayDialog, DayCloseScreen
from screens.person import PersonScreen
from tests.window.conftest import AYIGULI, ZHANGWEI, at

MUELLER_CARD = IdentityDocument(doc_type="emrtd_td3", document_number="C01X00T47", name="MUELLER ANNA MARIA",
                                surname="MUELLER", given_names="ANNA MARIA", sex="F", birth_date=date(1979, 8, 12),
                                nationality="DEU", issuing_state="DEU", expiry_date=date(2031, 1, 1))


def _messages(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def _signed_in(app, station):
    clerks.add_clerk(station, "李娜", "clerk", "1234")
    app.signed_in(clerks.sign_in(station, "李娜", "1234"))


async def test_a_foreign_card_pressing_the_permit_key_is_refused_with_the_offer(station):
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(110, 40)) as pilot:
        await _signed_in(app, station)
        await pilot.pause()
        app.push_screen(PersonScreen(None, card=MUELLER_CARD))
        await pilot.pause()
        person = app.screen
        await pilot.press("3")  # 居住证申领
        await pilot.pause()
        assert app.screen is person  # no form opened
        text = " ".join(_messages(app))
        assert "外国人应在抵达后 24 小时内办理住宿登记" in text and "可改办：h 境外人员住宿登记" in text
        await pilot.press("h")  # the service offered opens
        await pilot.pause()
        assert app.screen is not person and type(app.screen).__name__ == "WizardScreen"


async def test_f9_lists_the_open_days_and_closes_them_oldest_first(station):
    clerks.add_clerk(station, "王芳", "supervisor", "4321")
    clerk = clerks.add_clerk(station, "柜员", "clerk", "1111")
    engine.perform(station, "residence_registration", ZHANGWEI, clerk=clerk, now=at("2026-11-16"))
    engine.perform(station, "residence_registration", AYIGULI, clerk=clerk, now=at("2026-11-17"))
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(110, 48)) as pilot:
        app.signed_in(clerks.sign_in(station, "柜员", "1111"))
        await pilot.pause()
        screen = DayCloseScreen()
        app.push_screen(screen)
        await pilot.pause()
        assert screen.day == "2026-11-16"  # the oldest open day first
        listed = str(screen.query_one("#dayclose-open-days").render())
        assert "2026-11-16" in listed and "2026-11-17" in listed
        await pilot.press("right")
        await pilot.pause()
        assert screen.day == "2026-11-17"
        await pilot.press("c")  # closes 11-16 first, then 11-17: one confirmation each
        for n, day in enumerate(["2026-11-16", "2026-11-17"], 1):
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, CloseDayDialog) and dialog.day == day
            assert f"({n}/2)" in str(dialog.query_one(".title").render())
            assert "业务笔数 1" in str(dialog.query_one("#close-figures").render())
            dialog.query_one("#close-supervisor", Input).value = "王芳"
            dialog.query_one("#close-pin", Input).value = "4321"
            dialog.submit()
        await pilot.pause()
        assert app.screen is screen
        assert dayclose.open_days(station) == [d for d in dayclose.open_days(station) if d > "2026-11-17"]
        rec = dayclose.reconcile(station, "2026-11-17")
        title = str(screen.query_one("#dayclose-title").render())
        # the close time in the station's time zone, never the UTC stamp
        assert station.local_time(rec.closed_at) in title and rec.closed_at[:16] not in title


async def test_home_counts_add_up_and_the_void_dialog_names_the_receipt(station):
    supervisor_clerk = clerks.add_clerk(station, "王芳", "supervisor", "4321")
    clerk = clerks.add_clerk(station, "柜员", "clerk", "1111")
    reg = engine.perform(station, "residence_registration", ZHANGWEI, clerk=clerk)
    other = engine.perform(station, "residence_registration", AYIGULI, clerk=clerk)
    engine.perform(station, "change_phone", {"new_phone": "13900000000"}, person_id=other.person_id, clerk=clerk)
    amendments.void(station, reg.entry.seq, "登记错人", clerk=clerk, supervisor=supervisor_clerk)
    app = CounterApp(station, lang="zh_CN", idle_lock_seconds=0)
    async with app.run_test(size=(110, 40)) as pilot:
        app.signed_in(clerks.sign_in(station, "柜员", "1111"))
        await pilot.pause()
        counts = str(app.screen.query_one("#home-counts").render())
        lines = counts.splitlines()
        total = int(lines[0].split("：")[-1].split(":")[-1].strip())
        breakdown = [int(line.rsplit(":", 1)[-1].rsplit("：", 1)[-1]) for line in lines[1:] if line.startswith("  ")]
        assert total == 3 and sum(breakdown) == total  # the void is not a service: listed apart
        assert "作废" in lines[-1] and not lines[-1].startswith("  ")
        app.push_screen(PersonScreen(other.person_id))
        await pilot.pause()
        person = app.screen
        table = person.query_one("#person-history")
        table.move_cursor(row=[str(k.value) for k in table.rows].index(str(other.entry.seq)))
        await pilot.press("v")
        await pilot.pause()
        assert other.number in str(app.screen.query_one(".title").render())
