"""The counter's Textual App: sign-in, idle lock, and the screen stack of one clerk's work."""

from __future__ import annotations

import time
from pathlib import Path

from textual import events
from textual.app import App
from textual.binding import Binding

from counter import clerks
from counter.i18n import _, set_language
from screens.home import HomeScreen
from screens.lock import LockScreen
from screens.signin import SignInScreen

IDLE_CHECK_SECONDS = 5.0


class CounterApp(App):
    CSS_PATH = [Path(__file__).with_name("global.tcss")]
    TITLE = "counter"
    BINDINGS = [
        Binding("ctrl+q", "quit", _("Quit"), id="quit", tooltip=_("Quit"), show=False),
    ]

    def __init__(self, station, *, lang: str | None = None, demo: bool = False,
                 idle_lock_seconds: float | None = None):
        self.station = station
        set_language(lang or station.config.lang)
        super().__init__()
        self.demo = demo
        self.session: clerks.Session | None = None
        minutes = station.config.section("security")["idle_lock_minutes"]
        self.idle_lock_seconds = idle_lock_seconds if idle_lock_seconds is not None else minutes * 60
        self.last_activity = time.monotonic()
        self.sub_title = f"{station.config.office} · {station.station_id}"

    # --- lifecycle ------------------------------------------------------------------

    def on_mount(self) -> None:
        self.push_screen(SignInScreen())
        self.set_interval(IDLE_CHECK_SECONDS, self.check_idle_lock)

    def on_event(self, event: events.Event):
        if isinstance(event, (events.Key, events.MouseDown, events.Paste)):
            self.last_activity = time.monotonic()
        return super().on_event(event)

    @property
    def locked(self) -> bool:
        return isinstance(self.screen, LockScreen)

    def signed_in(self, session: clerks.Session) -> None:
        self.session = session
        self.last_activity = time.monotonic()
        self.switch_screen(HomeScreen())

    # --- idle lock -------------------------------------------------------------------

    def check_idle_lock(self, now: float | None = None) -> None:
        if self.session is None or self.locked or self.idle_lock_seconds <= 0:
            return
        if (now or time.monotonic()) - self.last_activity >= self.idle_lock_seconds:
            self.lock_session("idle")

    def lock_session(self, reason: str) -> None:
        if self.session is None or self.locked:
            return
        clerks.lock(self.station, self.session, reason)
        self.push_screen(LockScreen(), self._after_unlock)

    def _after_unlock(self, unlocked: bool | None) -> None:
        self.last_activity = time.monotonic()

    def action_lock(self) -> None:
        self.lock_session("manual")

    # --- sign-out --------------------------------------------------------------------

    def action_sign_out(self) -> None:
        if self.session is not None:
            clerks.sign_out(self.station, self.session)
        self._back_to_sign_in()

    def force_sign_out(self) -> None:
        """After a lockout on the lock screen: the session ends, the next clerk signs in."""
        if self.session is not None:
            clerks.sign_out(self.station, self.session)
        self._back_to_sign_in()

    def _back_to_sign_in(self) -> None:
        self.session = None
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(SignInScreen())


def run_app(station, *, lang: str | None = None, demo: bool = False) -> None:
    CounterApp(station, lang=lang, demo=demo).run()
