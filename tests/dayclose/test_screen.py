"""DayCloseScreen with Pilot: the reconciliation on screen, a supervisor's close, saving the report."""

from __future__ import annotations

from counter.services import clerks, dayclose
from screens.app import CounterApp
from screens.dayclose import CloseDayDialog, DayCloseScreen, bar_lines
from tests.dayclose.conftest import PAST_DAY
from tests.dayclose.seed import CLERK, SUPERVISOR, seed_day


def test_bar_lines_scale_to_the_largest():
    text = bar_lines([("居住登记", 10), ("生存证明", 5), ("x", 0)], width=20)
    lines = text.splitlines()
    assert lines[0].endswith("█" * 20 + " 10") and lines[1].endswith("█" * 10 + " 5") and lines[2].endswith(" 0")


async def test_close_a_day_on_screen(station, tmp_path):
    seed_day(station, PAST_DAY, 6, failed_prints=1)
    app = CounterApp(station, lang="en", idle_lock_seconds=0)
    async with app.run_test(size=(110, 48)) as pilot:
        app.signed_in(clerks.sign_in(station, *CLERK))
        await pilot.pause()
        screen = DayCloseScreen(PAST_DAY, out_dir=tmp_path / "exports")
        app.push_screen(screen)
        await pilot.pause()
        figures = str(screen.query_one("#dayclose-figures").render())
        assert "Transactions" in figures and " 6" in figures
        # the en UI names the services in English (the zh_CN UI in Chinese)
        assert "Residence registration" in str(screen.query_one("#dayclose-services").render())
        assert "print jobs failed" in str(screen.query_one("#dayclose-warnings").render())
        assert sum(screen.query_one("#dayclose-hours").data) == 6

        await pilot.press("s")
        await pilot.pause()
        saved = tmp_path / "exports" / f"day-report-HP-01-{PAST_DAY}.pdf"
        assert saved.read_bytes().startswith(b"%PDF")

        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CloseDayDialog)
        await pilot.click("#close-supervisor")
        await pilot.press(*SUPERVISOR[0])
        await pilot.press("enter")
        await pilot.press(*"9999", "enter")
        await pilot.pause()
        assert "wrong PIN" in str(app.screen.query_one("#close-error").render())
        assert not dayclose.reconcile(station, PAST_DAY).closed
        await pilot.press(*SUPERVISOR[1], "enter")
        await pilot.pause()
        assert app.screen is screen
        rec = dayclose.reconcile(station, PAST_DAY)
        assert rec.closed and rec.closed_by == SUPERVISOR[0]
        assert "closed by" in str(screen.query_one("#dayclose-title").render())

        await pilot.press("x")  # no [export] age_recipient: refused, nothing written
        await pilot.pause()
        assert "refusing to write a plaintext bundle" in str(screen.query_one("#dayclose-status").render())
        assert not list((tmp_path / "exports").glob("counter-day-*"))
        import pyrage

        station.config.section("export")["age_recipient"] = str(pyrage.x25519.Identity.generate().to_public())
        await pilot.press("x")
        await pilot.pause()
        assert "Bundle written" in str(screen.query_one("#dayclose-status").render())
        assert list((tmp_path / "exports").glob("counter-day-HP-01-*.tar.age"))
