"""Opening a station's card reader backend by its configured kind.

Apart from devices.reader so the protocol module never imports its implementations
(pcsc and simulated import reader for ApduBackend and SlotStatus).
"""

from __future__ import annotations

from devices.reader import ReaderBackend


def open_backend(kind: str = "pcsc", reader_name: str = "", **options) -> ReaderBackend:
    """The backend for a station's [reader] kind: "pcsc" or "simulated"."""
    if kind == "pcsc":
        from devices.pcsc import PcscBackend

        return PcscBackend(reader_name)
    if kind == "simulated":
        from devices.simulated import SimulatedReader

        return SimulatedReader(**options)
    raise ValueError(f"unknown reader kind {kind!r}; use pcsc or simulated")
