"""End of day: the reconciliation with its charts, the supervisor's close, the report.

Usage (the home screen's binding):

    from screens.dayclose import DayCloseScreen
    self.app.push_screen(DayCloseScreen())            # the current business day
    self.app.push_screen(DayCloseScreen("2026-11-20"))  # an earlier open day

`DayCloseScreen(day=None)` reads `self.app.station` and `self.app.state.session`
(the signed-in clerk, who need not be a supervisor: the close asks for a
supervisor's name and PIN). Keys: c close the day, s save the report PDF,
x write the export bundle, r refresh, escape back.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Sparkline, Static

from counter.errors import CounterError
from counter.i18n import N_, _, language
from counter.services import dayclose
from screens.base import LocalizedBindings
from screens.dialogs import Dialog
from screens.person import service_title


def bar_lines(items: list[tuple[str, int]], width: int = 30) -> str:
    """A text bar chart: one line per item, bars scaled to the largest."""
    if not items:
        return _("No transactions")
    peak = max(n for _label, n in items) or 1
    label_width = max(_cells(label) for label, _n in items)
    lines = []
    for label, n in items:
        bar = "█" * max(1 if n else 0, round(width * n / peak))
        lines.append(f"{label}{' ' * (label_width - _cells(label))}  {bar} {n}")
    return "\n".join(lines)


def _cells(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


class CloseDayDialog(Dialog[bool]):
    """The supervisor's name and PIN; dismissed with True once the day is closed."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="cancel")]
    DEFAULT_CSS = """
    CloseDayDialog > #close-box { width: 64; background: $panel; }
    #close-box .warning { color: $warning; }
    #close-box .error { color: $error; }
    #close-box Horizontal { height: auto; margin-top: 1; }
    #close-box Button { margin-right: 2; }
    """

    def __init__(self, day: str, warnings: list[str]):
        super().__init__()
        self.day = day
        self.warning_lines = warnings

    def compose(self) -> ComposeResult:
        with Vertical(id="close-box", classes="dialog"):
            yield Static(_("Close business day {day}").format(day=self.day), classes="title")
            for line in self.warning_lines:
                yield Static(f"⚠ {line}", classes="warning")
            if self.warning_lines:
                yield Static(_("These do not block the close. Entering the PIN confirms it."), classes="hint")
            yield Input(id="close-supervisor", placeholder=_("Supervisor"))
            yield Input(id="close-pin", password=True, placeholder=_("PIN"), restrict=r"\d*", max_length=12)
            yield Static("", id="close-error", classes="error")
            with Horizontal():
                yield Button(_("Close the day"), id="close-confirm", variant="error")
                yield Button(_("Cancel"), id="close-cancel")

    def on_mount(self) -> None:
        self.query_one("#close-supervisor", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "close-supervisor":
            self.query_one("#close-pin", Input).focus()
        else:
            self.submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "close-confirm":
            self.submit()
        else:
            self.dismiss(False)

    def action_cancel(self) -> None:
        self.dismiss(False)

    def submit(self) -> None:
        name = self.query_one("#close-supervisor", Input).value
        pin_input = self.query_one("#close-pin", Input)
        pin, pin_input.value = pin_input.value, ""
        try:
            dayclose.close_day(self.app.station, self.day, name, pin, by=self.app.state.session)
        except CounterError as exc:
            self.query_one("#close-error", Static).update(exc.localized(_))
            return
        self.dismiss(True)


class DayCloseScreen(LocalizedBindings, Screen):
    """The end-of-day screen for `day` (default: the station's current business day)."""

    BINDINGS = [
        Binding("c", "close_day", N_("Close day"), id="close_day", tooltip=N_("Close the day (supervisor PIN)")),
        Binding("s", "save_report", N_("Save report"), id="save_report", tooltip=N_("Save the report PDF")),
        Binding("x", "export", N_("Export"), id="export", tooltip=N_("Write the export bundle for the district")),
        Binding("r", "refresh", N_("Refresh"), id="refresh"),
        Binding("escape", "app.pop_screen", N_("Back"), id="back"),
    ]
    DEFAULT_CSS = """
    #dayclose { padding: 0 2; }
    #dayclose .title { text-style: bold; margin-bottom: 1; }
    #dayclose .subtitle { text-style: bold; margin-top: 1; }
    #dayclose .warning { color: $warning; margin-top: 1; }
    #dayclose-hours { height: 3; margin-right: 4; }
    /* docked above the footer: the result of s / x / c must be seen without scrolling at 100x30 */
    #dayclose-status { dock: bottom; margin-bottom: 1; height: auto; max-height: 4; padding: 0 2; color: $success; background: $panel; }
    """

    def __init__(self, day: str | None = None, *, out_dir: Path | None = None):
        super().__init__()
        self.day = day
        self.out_dir = out_dir  # where reports and bundles go; default DATA_DIR/exports
        self.rec: dayclose.Reconciliation | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="dayclose"):
            yield Static("", id="dayclose-title", classes="title")
            yield Static("", id="dayclose-figures")
            yield Static("", id="dayclose-warnings", classes="warning")
            yield Static(_("Transactions by hour"), classes="subtitle")
            yield Sparkline([0] * 24, id="dayclose-hours")
            yield Static("", id="dayclose-hour-axis")
            yield Static(_("Transactions by service"), classes="subtitle")
            yield Static("", id="dayclose-services")
        yield Static("", id="dayclose-status")
        yield Footer()

    def on_mount(self) -> None:
        self.action_refresh()

    @property
    def target_dir(self) -> Path:
        return self.out_dir or self.app.station.data_dir / "exports"

    def action_refresh(self) -> None:
        station = self.app.station
        day = self.day or station.business_day()
        # after a close the business day moves on; keep showing the day we closed
        self.day = day
        rec = self.rec = dayclose.reconcile(station, day)
        f = rec.figures
        state = _("closed by {name} at {time}").format(name=rec.closed_by, time=rec.closed_at[:16]) if rec.closed \
            else _("open")
        self.query_one("#dayclose-title", Static).update(
            f"{_('Business day')} {day} · {state}")
        expiring = "—" if rec.permits_expiring is None else str(rec.permits_expiring)
        rows = [
            (_("Transactions"), f["transactions"]), (_("Receipts printed"), f["receipts_printed"]),
            (_("Receipts reprinted"), f["receipts_reprinted"]), (_("Voided"), f["receipts_voided"]),
            (_("Certificates issued"), f["certificates_issued"]), (_("Print jobs failed"), f["print_jobs_failed"]),
            (_("Print jobs not printed"), f["print_jobs_unprinted"]),
            (_("Late registrations"), f["late_registrations"]), (_("Corrections"), f["corrections"]),
            (_("Permits expiring in 30 days"), expiring), (_("Entries not yet synced"), rec.unsynced),
        ]
        width = max(_cells(label) for label, _v in rows)
        self.query_one("#dayclose-figures", Static).update(
            "\n".join(f"{label}{' ' * (width - _cells(label))}  {value}" for label, value in rows))
        self.query_one("#dayclose-warnings", Static).update(
            "\n".join(f"⚠ {_(t).format(**p)}" for t, p in rec.warnings()) if not rec.closed else "")
        self.query_one("#dayclose-hours", Sparkline).data = list(f["by_hour"])
        self.query_one("#dayclose-hour-axis", Static).update(_hour_axis(f["by_hour"]))
        services = sorted(f["by_service"].items(), key=lambda kv: -kv[1])
        self.query_one("#dayclose-services", Static).update(
            bar_lines([(service_title(s, language()), n) for s, n in services]))

    def _status(self, text: str) -> None:
        status = self.query_one("#dayclose-status", Static)
        status.update(text)
        status.display = bool(text)

    def action_close_day(self) -> None:
        station = self.app.station
        try:
            dayclose.check_can_close(station, self.day)
        except CounterError as exc:
            self._status(exc.localized(_))
            return
        warnings = [_(t).format(**p) for t, p in self.rec.warnings()] if self.rec else []
        self.app.push_screen(CloseDayDialog(self.day, warnings), self._after_close)

    def _after_close(self, closed: bool | None) -> None:
        self.action_refresh()
        if closed:
            self._status(_("Day {day} closed; new entries go to {next}").format(
                day=self.day, next=self.app.station.business_day()))

    def action_save_report(self) -> None:
        from counter.services.export import write_atomic

        path = self.target_dir / f"day-report-{self.app.station.station_id}-{self.day}.pdf"
        try:
            write_atomic(path, dayclose.render_report(self.app.station, self.day))
        except (CounterError, OSError) as exc:
            self._status(exc.localized(_) if isinstance(exc, CounterError) else str(exc))
            return
        self._status(_("Report saved to {path}").format(path=path))

    def action_export(self) -> None:
        from counter.services.export import export_day

        station = self.app.station
        recipient = station.config.section("export")["age_recipient"] or None
        try:
            path, _bundle = export_day(station, self.day, self.target_dir, recipient=recipient,
                                       require_encryption=True, clerk_id=self.app.state.session.clerk.clerk_id if self.app.state.session else None)
        except CounterError as exc:
            self._status(exc.localized(_))
            return
        self._status(_("Bundle written to {path}").format(path=path))


def _hour_axis(by_hour: list[int]) -> str:
    busy = [h for h, n in enumerate(by_hour) if n]
    if not busy:
        return "00h … 23h"
    peak = max(range(24), key=lambda h: by_hour[h])
    return f"00h … 23h · {_('busiest hour')} {peak:02d}h ({by_hour[peak]})"
