"""The counter's Textual App: sign-in, idle lock, and the screen stack of one clerk's work."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from textual import events
from textual.app import App
from textual.binding import Binding

from counter.i18n import N_, _, set_language
from counter.services import clerks
from screens.background import BackgroundWork
from screens.base import LocalizedBindings, StatusBar
from screens.lock import LockScreen
from screens.messages import CardRead, RegisterStatusChanged, ServiceCompleted
from screens.signin import SignInScreen
from screens.state import WindowState

IDLE_CHECK_SECONDS = 5.0


def _counter_commands():
    """The palette's provider, imported when the palette first opens (not before the sign-in screen)."""
    from screens.commands import CounterCommands

    return CounterCommands


class CounterApp(BackgroundWork, LocalizedBindings, App):
    CSS_PATH = [Path(__file__).with_name("global.tcss")]
    TITLE = "counter"
    # only the counter's own commands: Textual's system commands (theme, screenshot...) are English
    # and no business of a clerk
    COMMANDS = {_counter_commands}
    BINDINGS = [
        # replaces Textual's default palette binding, whose footer label "palette" is English
        Binding("ctrl+p", "command_palette", N_("Commands"), id="command_palette", show=False, priority=True,
                tooltip=N_("Open the command palette")),
        Binding("ctrl+q", "quit", N_("Quit"), id="quit", tooltip=N_("Quit"), show=False),
        # Ctrl+L locks from every screen (an open person file most of all), not only from home
        Binding("ctrl+l", "lock", N_("Lock"), id="app_lock", show=False, tooltip=N_("Lock")),
        Binding("f1", "help", N_("Help"), id="help", tooltip=N_("Help for the focused field or this screen")),
        Binding("f2", "demo_card", N_("Sample card"), id="demo_card", show=False,
                tooltip=N_("Insert a sample card (demo)")),
        Binding("f4", "take_card", N_("Take card away"), id="take_card", show=False,
                tooltip=N_("Take the card away from the reader (demo)")),
        Binding("f3", "find_person", N_("Find person"), id="app_find_person", show=False,
                tooltip=N_("Find a person")),
    ]

    def __init__(self, station, *, lang: str | None = None, demo: bool = False,
                 idle_lock_seconds: float | None = None, background: bool = False):
        """background: run the card watcher, sync and printer workers and the daily check-in
        (the real app and the demo do; most UI tests drive the screens without them)."""
        self.station = station
        self.background = background
        set_language(lang or station.config.lang)
        super().__init__()
        # the in-process sample card source: demo stations and the simulated reader kind
        self.state = WindowState(demo=demo,
                                 demo_cards=demo or station.config.section("reader")["kind"] == "simulated")
        minutes = station.config.section("security")["idle_lock_minutes"]
        self.idle_lock_seconds = idle_lock_seconds if idle_lock_seconds is not None else minutes * 60
        self.last_activity = time.monotonic()
        self.base_sub_title = f"{station.config.office} · {station.station_id}"
        self.sub_title = self.base_sub_title
        self._next_demo_card = 0

    # --- lifecycle ------------------------------------------------------------------

    def on_mount(self) -> None:
        self.push_screen(SignInScreen())
        self.set_interval(IDLE_CHECK_SECONDS, self.check_idle_lock)
        if self.background:
            # after the first frame: the sign-in screen shows before the readers and workers start
            self.call_after_refresh(self.start_background_work)

    def on_unmount(self) -> None:
        self.stop_background_work()

    def on_event(self, event: events.Event):
        if isinstance(event, (events.Key, events.MouseDown, events.Paste)):
            self.last_activity = time.monotonic()
        return super().on_event(event)

    @property
    def locked(self) -> bool:
        return isinstance(self.screen, LockScreen)

    def signed_in(self, session: clerks.Session) -> None:
        from screens.home import HomeScreen

        self.state.session = session
        self.last_activity = time.monotonic()
        self.switch_screen(HomeScreen())
        if self.background:
            from counter.services.checkin import checked_in_today

            if not checked_in_today(self.station):
                from screens.checkin import CheckinScreen

                self.push_screen(CheckinScreen(self.station, session.clerk.clerk_id,
                                               reader_backend=self.simulated_reader, sam_backend=self.sam_reader))

    # --- crashes -------------------------------------------------------------------------

    def _fatal_error(self) -> None:
        """Textual renders a crash with show_locals=True: locals hold names and ID numbers. Not here."""
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(Segments(self.console.render(traceback, self.console.options)))
        self._close_messages_no_wait()

    # --- status bar (the background work's message handlers call these) --------------------

    def set_device_status(self, text: str) -> None:
        self.state.devices.reader = text
        self._refresh_status_bars()

    def set_sync_status(self, text: str) -> None:
        self.state.devices.sync = text
        self._refresh_status_bars()

    def set_register_status(self, text: str) -> None:
        self.state.devices.register = text
        self._refresh_status_bars()

    def on_register_status_changed(self, message: RegisterStatusChanged) -> None:
        self.set_register_status(message.text)

    def set_printer_status(self, text: str) -> None:
        self.state.devices.printer = text
        self._refresh_status_bars()

    def _refresh_status_bars(self) -> None:
        for bar in self.screen.query(StatusBar):
            bar.refresh_status()

    # --- a finished service ------------------------------------------------------------------

    def on_service_completed(self, message: ServiceCompleted) -> None:
        """From the wizard: every screen of the stack hears of it (the person file that started it)."""
        self.state.last_confirm_ms = message.elapsed_ms
        for screen in self.screen_stack:
            screen.post_message(ServiceCompleted(message.person_id, message.seq, message.elapsed_ms))

    # --- navigation, cards ------------------------------------------------------------------

    def _to_home(self) -> None:
        from screens.home import HomeScreen

        while len(self.screen_stack) > 2 and not isinstance(self.screen, HomeScreen):
            self.pop_screen()

    def close_person_file(self) -> None:
        """A card was refused (forged, unknown, MRZ prompt cancelled): the person on screen is not the one
        at the window any more, so their file closes. A form being filled stays: it is the clerk's work."""
        from screens.person import PersonScreen
        from screens.wizard import WizardScreen

        if self.state.session is None or self.locked:
            return
        if any(isinstance(s, WizardScreen) for s in self.screen_stack):
            return
        if any(isinstance(s, PersonScreen) for s in self.screen_stack):
            self._to_home()

    def unsaved_form(self):
        """The form in the stack that holds typed work not yet confirmed, if any."""
        wizard = sys.modules.get("screens.wizard")
        if wizard is None:  # no form was ever opened (quitting from the sign-in screen must not load it)
            return None
        WizardScreen = wizard.WizardScreen  # noqa: N806
        return next((s for s in reversed(self.screen_stack) if isinstance(s, WizardScreen) and s.has_unsaved_input()),
                    None)

    async def action_quit(self) -> None:
        """Ctrl+Q with a filled form asks first: the form is lost on quitting."""
        from screens.dialogs import ConfirmDialog

        form = self.unsaved_form()
        if form is None:
            self.exit()
            return
        if isinstance(self.screen, ConfirmDialog):
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(ConfirmDialog(_("Quit?"), _("The form {form} is filled in and not recorded. Quit and discard it?")
                                       .format(form=form.spec.text(form.lang))), answered)

    def action_home(self) -> None:
        if self.state.session is not None and not self.locked:
            self._to_home()

    def action_find_person(self) -> None:
        if self.state.session is None or self.locked:
            return
        from screens.lookup import LookupScreen

        self._to_home()
        self.push_screen(LookupScreen())

    def action_command_palette(self) -> None:
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(placeholder=_("Search for commands…"), id="--command-palette"))

    def action_help(self) -> None:
        from screens.dialogs import HelpDialog
        from screens.wizard import WizardScreen

        if isinstance(self.screen, WizardScreen):
            self.screen.action_field_help()
            return
        self.push_screen(HelpDialog(_("Keys"), self.keys_help()))

    def keys_help(self) -> str:
        """The screen's own keys (not Textual's English built-ins: focus, copy), then its service keys
        in menu order, two to a line so that all fit on a 36-line terminal."""
        from rich.cells import cell_len

        general: list[str] = []
        services: list[tuple[int, str]] = []
        for _key, b in self.screen._bindings:
            if not (b.description and b.id) or (b.show is False and not b.id.startswith("svc_")):
                continue
            key = (b.key_display or b.key).title() if len(b.key) > 1 else b.key
            if b.id.startswith("svc_"):
                services.append(("1234567890caethn".find(b.key), f"{key}  {b.description}"))
            elif f"{key}: {b.description}" not in general:
                general.append(f"{key}: {b.description}")
        items = [text for _order, text in sorted(services)]
        width = max((cell_len(t) for t in items), default=0) + 3
        rows = [items[i] + " " * (width - cell_len(items[i])) + (items[i + 1] if i + 1 < len(items) else "")
                for i in range(0, len(items), 2)]
        if self.state.demo_cards:  # the demo's card keys (hidden from the footer)
            general += ["F2: " + _("Insert a sample card (demo)"), "F4: " + _("Take the card away from the reader (demo)")]
        general.append("Ctrl+P: " + _("command palette"))
        return "\n".join(general + ([""] + [r.rstrip() for r in rows] if rows else []))

    def action_demo_card(self) -> None:
        """The in-process sample card source: F2 'inserts' the next sample card."""
        if self.insert_next_sample():
            return  # the simulated reader reads it through the card OS, like a real card
        if not self.state.demo_cards:
            return
        # No watcher running (UI tests, benchmarks): ready-made sample documents.
        from counter.demo_cards import SAMPLE_CARDS

        card = SAMPLE_CARDS[self._next_demo_card % len(SAMPLE_CARDS)]
        self._next_demo_card += 1
        self.post_message(CardRead(card))

    def action_take_card(self) -> None:
        """Demo: F4 takes the card away from the simulated readers, so a card pulled mid-work can be tried."""
        if self.state.demo_cards:
            self.take_card_away()

    def on_card_read(self, message: CardRead) -> None:
        """A card read jumps straight to the person's file (or a new-person file)."""
        from counter.services import people
        from counter.services.cards import card_key
        from screens.person import PersonScreen
        from screens.wizard import WizardScreen

        if self.state.session is None or self.locked:
            return
        if isinstance(self.screen, WizardScreen):
            self.notify(_("Finish or cancel the current form before reading another card"), severity="warning")
            return
        doc_type, number = card_key(message.document)
        person = people.by_document(self.station, doc_type, number)
        self._to_home()
        self.push_screen(PersonScreen(person.person_id if person else None, card=message.document))

    # --- idle lock -------------------------------------------------------------------

    def check_idle_lock(self, now: float | None = None) -> None:
        if self.state.session is None or self.locked or self.idle_lock_seconds <= 0:
            return
        if (now or time.monotonic()) - self.last_activity >= self.idle_lock_seconds:
            self.lock_session("idle")

    def lock_session(self, reason: str) -> None:
        if self.state.session is None or self.locked:
            return
        clerks.lock(self.station, self.state.session, reason)
        self.push_screen(LockScreen(), self._after_unlock)

    def _after_unlock(self, unlocked: bool | None) -> None:
        self.last_activity = time.monotonic()

    def action_lock(self) -> None:
        self.lock_session("manual")

    # --- sign-out --------------------------------------------------------------------

    def action_sign_out(self) -> None:
        if self.state.session is not None:
            clerks.sign_out(self.station, self.state.session)
        self._back_to_sign_in()

    def force_sign_out(self) -> None:
        """After a lockout on the lock screen: the session ends, the next clerk signs in."""
        if self.state.session is not None:
            clerks.sign_out(self.station, self.state.session)
        self._back_to_sign_in()

    def _back_to_sign_in(self) -> None:
        self.state.session = None
        # the queue ticket belongs to this clerk's customer: the next clerk's entries must not carry it
        self.state.ticket = ""
        self.sub_title = self.base_sub_title
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(SignInScreen())


def run_app(station, *, lang: str | None = None, demo: bool = False) -> None:
    CounterApp(station, lang=lang, demo=demo, background=True).run()
