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

    def __init__(self, day: str, warnings: list[str], figures: str = "", position: str = ""):
        super().__init__()
        self.day = day
        self.warning_lines = warnings
        self.figures_text = figures
        self.position = position  # "1/3" when closing several open days, oldest first

    def compose(self) -> ComposeResult:
        with Vertical(id="close-box", classes="dialog"):
            title = _("Close business day {day}").format(day=self.day)
            yield Static(f"{title} ({self.position})" if self.position else title, classes="title")
            if self.figures_text:
                yield Static(self.figures_text, id="close-figures")
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
        Binding("left", "other_day(-1)", N_("Earlier day"), id="earlier_day", tooltip=N_("Show the earlier open day")),
        Binding("right", "other_day(1)", N_("Later day"), id="later_day", tooltip=N_("Show the later open day")),
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
            yield Static("", id="dayclose-open-days")
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

    def _open_days(self) -> list[str]:
        today = self.app.station.local_now().date().isoformat()
        return [d for d in dayclose.open_days(self.app.station) if d <= today]

    def action_refresh(self) -> None:
        station = self.app.station
        open_days = self._open_days()
        # a seeded or long-unattended station: start at the oldest open day, the one to close first
        day = self.day or (open_days[0] if open_days else station.business_day())
        # after a close the business day moves on; keep showing the day we closed
        self.day = day
        rec = self.rec = dayclose.reconcile(station, day)
        f = rec.figures
        # every time shown is in the station's time zone (closed_at is stored in UTC)
        state = _("closed by {name} at {time}").format(
            name=rec.closed_by, time=station.local_time(rec.closed_at)) if rec.closed else _("open")
        if open_days:
            listed = ", ".join(f"[b]{d}[/b]" if d == day else d for d in open_days)
            self.query_one("#dayclose-open-days", Static).update(
                _("Open days (oldest first): {days}").format(days=listed) + "  ← →")
        else:
            self.query_one("#dayclose-open-days", Static).update(_("No open days"))
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

    def action_other_day(self, step: int) -> None:
        """Show the earlier or later open day (closed days stay reachable from the CLI: counter day show)."""
        days = self._open_days()
        if self.day not in days:
            days = sorted({*days, self.day})
        i = days.index(self.day) + step
        if 0 <= i < len(days):
            self.day = days[i]
            self._status("")
            self.action_refresh()

    def _figures_text(self, rec) -> str:
        f = rec.figures
        return " · ".join(f"{label} {value}" for label, value in (
            (_("Transactions"), f["transactions"]), (_("Receipts printed"), f["receipts_printed"]),
            (_("Receipts reprinted"), f["receipts_reprinted"]), (_("Voided"), f["receipts_voided"]),
            (_("Corrections"), f["corrections"]), (_("Late registrations"), f["late_registrations"])))

    def action_close_day(self) -> None:
        """Close the shown day, and first every earlier open day, oldest first, one confirmation each."""
        station = self.app.station
        try:
            queue = dayclose.days_to_close(station, self.day)
        except CounterError as exc:
            self._status(exc.localized(_))
            return
        self._close_next(queue, 0)

    def _close_next(self, queue: list[str], done: int) -> None:
        if not queue:
            return
        day = queue[0]
        try:
            dayclose.check_can_close(self.app.station, day)
        except CounterError as exc:
            self._status(exc.localized(_))
            return
        rec = dayclose.reconcile(self.app.station, day)
        warnings = [_(t).format(**p) for t, p in rec.warnings()]
        position = f"{done + 1}/{done + len(queue)}" if done + len(queue) > 1 else ""

        def after(closed: bool | None) -> None:
            self.day = day
            self._after_close(closed)
            if closed:
                self._close_next(queue[1:], done + 1)

        self.app.push_screen(CloseDayDialog(day, warnings, self._figures_text(rec), position), after)

    def _after_close(self, closed: bool | None) -> None:
        self.action_refresh()
        if closed:
            self._status(_("Day {day} closed; new entries go to {next}").format(
                day=self.day, next=self.app.station.business_day()))

    def action_save_report(self) -> None:
        from counter.sync.bundle import write_atomic

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
