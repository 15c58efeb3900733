"""Device check-in screen: runs counter.services.checkin in a thread worker, shows one line per device.

    result = await app.push_screen_wait(CheckinScreen(station, clerk_id))
    # or app.push_screen(CheckinScreen(station, clerk_id), callback)

Dismisses with the check-in result dict (see counter.services.checkin.run_checkin) on
Enter or Escape once the check has finished; Escape before that dismisses with
None (the check still finishes and is recorded).
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from counter.i18n import N_, _
from screens.base import LocalizedBindings, reader_label
from screens.messages import CheckinFinished


def reader_line(reader: dict) -> str:
    status = reader.get("status")
    if status == "ok":
        names = ", ".join(reader_label(r) for r in reader.get("readers") or [])
        return _("Card reader: ready ({names})").format(names=names)
    if status == "not_configured":
        return _("Card reader: not configured")
    return _("Card reader: {problem}").format(problem=_(reader.get("message") or str(status)))


def card_line(card: dict) -> str:
    status = card.get("status")
    if status == "ok":
        return _("Card test read: {profile} card answers").format(profile=card.get("profile"))
    if status == "no_card":
        return _("Card test read: no card in the reader (insert a card to test reading)")
    if status == "not checked":
        return _("Card test read: not checked")
    return _("Card test read: {problem}").format(problem=_(card.get("message") or str(status)))


def printer_line(printer: dict) -> str:
    status = printer.get("status")
    if status == "not checked":
        return _("Printer: not checked")
    if printer.get("ok"):
        return _("Printer: ready")
    return _("Printer: {problem}").format(problem=_(printer.get("message") or str(status)))


class CheckinScreen(LocalizedBindings, Screen[dict | None]):
    DEFAULT_CSS = """
    CheckinScreen { align: center middle; }
    CheckinScreen > Vertical { width: 80; height: auto; border: round $primary; padding: 1 2; }
    CheckinScreen #title { text-style: bold; margin-bottom: 1; }
    CheckinScreen .line { height: auto; }
    CheckinScreen .ok { color: $success; }
    CheckinScreen .bad { color: $error; }
    CheckinScreen #verdict { margin-top: 1; text-style: bold; }
    """

    BINDINGS = [
        Binding("enter", "close", N_("Continue"), id="checkin.continue"),
        Binding("escape", "close", N_("Close"), id="checkin.close"),
    ]

    def __init__(self, station, clerk_id: str | None = None, *, reader_backend=None, sam_backend=None):
        super().__init__()
        self.station = station
        self.clerk_id = clerk_id
        self.reader_backend = reader_backend
        self.sam_backend = sam_backend
        self.result: dict | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(_("Device check-in"), id="title")
            yield Static(_("Checking the card reader…"), id="reader", classes="line")
            yield Static("", id="card", classes="line")
            yield Static("", id="printer", classes="line")
            yield Static("", id="verdict")
        yield Footer()

    def on_mount(self) -> None:
        self.run_check()

    @work(thread=True, exclusive=True, exit_on_error=False, group="checkin")
    def run_check(self) -> None:
        from counter.errors import CounterError
        from counter.services.checkin import run_checkin

        try:
            result = run_checkin(self.station, self.clerk_id, reader_backend=self.reader_backend,
                                 sam_backend=self.sam_backend)
        except CounterError as exc:  # e.g. the journal could not be written: say so, never a traceback
            self.post_message(CheckinFinished(None, exc.localized(_)))
        except Exception as exc:
            self.post_message(CheckinFinished(None, type(exc).__name__))
        else:
            self.post_message(CheckinFinished(result))

    def on_checkin_finished(self, message: CheckinFinished) -> None:
        message.stop()
        if message.result is not None:
            self.show_result(message.result)
            return
        self.result = {"ok": False, "error": message.error}
        self.query_one("#reader", Static).update(_("Device check-in failed: {error}").format(error=message.error))
        self._verdict(False)

    def show_result(self, result: dict) -> None:
        self.result = result
        for widget_id, line, part in (("#reader", reader_line, "reader"), ("#card", card_line, "card"),
                                      ("#printer", printer_line, "printer")):
            data = result.get(part, {})
            widget = self.query_one(widget_id, Static)
            widget.update(line(data))
            widget.set_class(data.get("ok") is True, "ok")
            widget.set_class(data.get("ok") is False, "bad")
        sam = result.get("sam")
        if sam:  # the ID card (SAM) reader, under the PC/SC reader's line
            text = _("ID card reader {port}: {status}").format(port=sam["port"], status=_(sam.get("message") or sam["status"]))
            if sam.get("sam_id"):
                text += f" (SAM {sam['sam_id']})"
            self.query_one("#reader", Static).update(reader_line(result.get("reader", {})) + "\n" + text)
        self._verdict(bool(result.get("ok")))

    def _verdict(self, ok: bool) -> None:
        verdict = self.query_one("#verdict", Static)
        verdict.update(_("All devices ready. Press Enter to continue.") if ok
                       else _("Some devices need attention. Press Enter to continue anyway."))
        verdict.set_class(ok, "ok")
        verdict.set_class(not ok, "bad")

    def action_close(self) -> None:
        self.dismiss(self.result)
