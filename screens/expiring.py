"""Expiring permits: the clerk's call list. Enter marks the highlighted holder contacted; e writes the
SMS gateway's CSV, p the printable list (both 0600 in DATA_DIR/exports); every one is journaled.

Usage (the home screen's F7): `self.app.push_screen(ExpiringScreen())`.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from counter import expiring as E
from counter.errors import CounterError
from counter.i18n import N_, _
from counter.services import engine
from screens.base import LocalizedBindings


class ExpiringScreen(LocalizedBindings, Screen):
    BINDINGS = [
        Binding("enter", "contacted", N_("Mark contacted"), id="mark_contacted", priority=True,
                tooltip=N_("Mark the highlighted holder contacted")),
        Binding("e", "export_sms", N_("SMS file"), id="export_sms", tooltip=N_("Write the SMS gateway's CSV")),
        Binding("p", "print_list", N_("Print list"), id="print_list", tooltip=N_("Write the list as a PDF")),
        Binding("escape", "app.pop_screen", N_("Back"), id="back", tooltip=N_("Back")),
    ]
    DEFAULT_CSS = """
    #expiring { padding: 0 2; }
    #expiring-title { text-style: bold; margin: 1 0; }
    #expiring-status { margin-top: 1; color: $success; }
    #expiring-table { height: 1fr; }
    """

    def __init__(self, days: int | None = None, *, out_dir: Path | None = None):
        super().__init__()
        self.days = days
        self.out_dir = out_dir
        self.items: list[E.Expiring] = []

    @property
    def clerk_id(self) -> str | None:
        session = self.app.state.session
        return session.clerk.clerk_id if session else None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="expiring"):
            yield Static("", id="expiring-title")
            yield DataTable(id="expiring-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="expiring-status")
        yield Footer()

    def on_mount(self) -> None:
        station = self.app.station
        if self.days is None:
            self.days = engine.policy_of(station).expiry_notice_days
        table = self.query_one(DataTable)
        table.add_columns(_("Expires"), _("Days left"), _("Name"), _("ID number"), _("Phone"), _("Contacted"))
        self.load()
        E.record_listed(station, self.clerk_id, self.days, self.items, "screen")
        table.focus()

    def load(self) -> None:
        station = self.app.station
        self.items = E.expiring(station, self.days, engine.business_date(station))
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for i in self.items:
            table.add_row(i.valid_until, str(i.days_left), i.name, i.id_masked, i.phone or "—",
                          "✓" if i.contacted else "", key=i.permit_id)
        if self.items:
            table.move_cursor(row=min(row, len(self.items) - 1))
        contacted = sum(1 for i in self.items if i.contacted)
        self.query_one("#expiring-title", Static).update(
            _("Permits expiring within {days} days: {n} ({contacted} contacted)").format(
                days=self.days, n=len(self.items), contacted=contacted))

    def _status(self, text: str) -> None:
        self.query_one("#expiring-status", Static).update(text)

    def action_contacted(self) -> None:
        if not self.items:
            return
        item = self.items[self.query_one(DataTable).cursor_row]
        if item.contacted:
            self._status(_("{name} was already marked contacted").format(name=item.name))
            return
        E.mark_contacted(self.app.station, item, self.clerk_id)
        self.load()
        self._status(_("{name} marked contacted").format(name=item.name))

    @property
    def target_dir(self) -> Path:
        from counter import files

        path = self.out_dir or self.app.station.data_dir / "exports"
        path.mkdir(mode=0o700, exist_ok=True)
        files.private_dir(path)
        return path

    def action_export_sms(self) -> None:
        station = self.app.station
        path = self.target_dir / f"sms-expiring-{station.station_id}-{engine.business_date(station)}.csv"
        try:
            skipped = E.export_sms(station, self.items, path, self.clerk_id, self.days)
        except (CounterError, OSError) as exc:
            self._status(exc.localized(_) if isinstance(exc, CounterError) else str(exc))
            return
        self._status(_("SMS file written to {path} ({skipped} without a mobile number left out)").format(
            path=path, skipped=skipped))

    def action_print_list(self) -> None:
        station = self.app.station
        today = engine.business_date(station)
        path = self.target_dir / f"expiring-{station.station_id}-{today}.pdf"
        try:
            E.print_list(station, self.items, path, self.clerk_id, self.days, today)
        except (CounterError, OSError) as exc:
            self._status(exc.localized(_) if isinstance(exc, CounterError) else str(exc))
            return
        self._status(_("List written to {path}").format(path=path))
