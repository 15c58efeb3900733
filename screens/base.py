"""What every counter screen shares: bindings localised per instance, the status bar."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Static

from counter.i18n import _


class LocalizedBindings:
    """Binding descriptions are English msgids (marked with N_); translate them when the screen is
    built, so the language chosen at start (--lang) applies, not the one at import time."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, bindings in list(self._bindings.key_to_bindings.items()):
            self._bindings.key_to_bindings[key] = [
                replace(b, description=_(b.description) if b.description else "",
                        tooltip=_(b.tooltip) if b.tooltip else "")
                for b in bindings
            ]


class StatusBar(Static):
    """Device and sync status, one line above the footer. The app owns the texts; the device and sync
    workers call app.set_device_status / app.set_sync_status, which update every StatusBar."""

    DEFAULT_CSS = """
    StatusBar { dock: bottom; margin-bottom: 1; height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def on_mount(self) -> None:
        self.refresh_status()

    def set_device_status(self, text: str) -> None:
        self.app.device_status = text
        self.refresh_status()

    def set_sync_status(self, text: str) -> None:
        self.app.sync_status = text
        self.refresh_status()

    def refresh_status(self) -> None:
        app = self.app
        device = getattr(app, "device_status", "") or _("not connected")
        sync = getattr(app, "sync_status", "") or _("not configured")
        printer = getattr(app, "printer_status", "") or _("preview only")
        self.update(f"{_('Card reader')}: {device}  │  {_('Printer')}: {printer}  │  {_('Sync')}: {sync}")
