"""What every counter screen shares: bindings localised per instance, the status bar."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Static

from counter.i18n import N_, _

SIMULATED_READER_NAME = N_("Simulated reader")  # devices.simulated.READER_NAME, the name it reports


def reader_label(reader: str) -> str:
    """A real reader keeps the name its driver gives; the simulated one is ours, so it is translated."""
    return _(SIMULATED_READER_NAME) if reader == SIMULATED_READER_NAME else reader


class LocalizedBindings:
    """Binding descriptions are English msgids (marked with N_); translate them when the screen is
    built, so the language chosen at start (--lang) applies, not the one at import time."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, bindings in list(self._bindings.key_to_bindings.items()):
            self._bindings.key_to_bindings[key] = [_localize(b) for b in bindings]


def _localize(binding):
    if binding.id and binding.id.startswith("svc_"):
        # service keys: the title comes from the form spec, in the UI language
        from counter.forms import spec as form_specs
        from counter.i18n import language

        spec = form_specs.catalogue().specs.get(binding.id[4:])
        if spec is not None:
            title = spec.text(language())
            return replace(binding, description=title, tooltip=title)
    return replace(binding, description=_(binding.description) if binding.description else "",
                   tooltip=_(binding.tooltip) if binding.tooltip else "")


class StatusBar(Static):
    """Device and sync status, one line above the footer. The texts are app.state.devices; the App's
    handlers of the workers' messages update them and refresh every StatusBar."""

    DEFAULT_CSS = """
    StatusBar { dock: bottom; margin-bottom: 1; height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def on_mount(self) -> None:
        self.refresh_status()

    def refresh_status(self) -> None:
        states = self.app.state.devices
        device = states.reader or _("not connected")
        sync = states.sync or _("not configured")
        printer = states.printer or _("not checked")
        line = f"{_('Card reader')}: {device}  │  {_('Printer')}: {printer}  │  {_('Sync')}: {sync}"
        if states.register:  # said once F3 asked HQ: online, or offline (local data only)
            line += f"  │  {_('District register')}: {states.register}"
        self.update(line)
