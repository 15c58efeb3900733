"""The window's state: one typed object on the App (app.state), read by the screens instead of probing
App attributes with getattr/hasattr."""

from __future__ import annotations

from dataclasses import dataclass, field

from counter.services import clerks


@dataclass
class DeviceStates:
    """The status line's three words, as the background workers last reported them ("" = no word yet)."""

    reader: str = ""
    printer: str = ""
    sync: str = ""
    register: str = ""  # the district register at HQ, once a lookup asked it ("" = not asked yet)
    printer_state: str | None = None  # the last printer state code: a change is announced once
    reader_texts: dict[str, str] = field(default_factory=dict)  # each reader's last word, side by side


@dataclass
class WindowState:
    session: clerks.Session | None = None  # the signed-in clerk
    ticket: str = ""  # the queue ticket of the customer at the window
    demo: bool = False  # a demo station: the sign-in screen shows the demo clerks
    demo_cards: bool = False  # sample cards (F2): demo stations and the simulated reader kind
    devices: DeviceStates = field(default_factory=DeviceStates)
    last_confirm_ms: float | None = None  # the last confirm's time to its document (keystroke benchmark)
