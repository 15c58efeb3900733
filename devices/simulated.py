"""An in-process reader with our simulated cards: the demo's reader, no PC/SC stack needed.

    reader = SimulatedReader()
    reader.insert("sscard-ayigul")   # a sample id from devices.sim.samples, or a CardOS
    reader.remove()
"""

from __future__ import annotations

import threading
import time

from devices.errors import NO_CARD, CardError, CardRemoved
from devices.reader import ApduBackend, SlotStatus

READER_NAME = "Simulated reader"


class _SimTransport:
    def __init__(self, reader: SimulatedReader, card, card_id: int):
        self.reader = reader
        self.card = card
        self.card_id = card_id
        self.atr = card.atr
        self.extended_length = True
        self.count = 0

    def transmit(self, apdu: bytes) -> bytes:
        reader = self.reader
        if reader.apdu_delay:
            time.sleep(reader.apdu_delay)  # a stand-in for the wire's latency in the demo
        with reader._cond:
            if reader._card_id != self.card_id or reader._card is None:
                raise CardRemoved("simulated card removed")
            self.count += 1
            if reader._pull_after is not None and self.count > reader._pull_after:
                reader._remove_locked()
                raise CardRemoved("simulated card pulled mid-read")
            return self.card.process(apdu)

    def close(self) -> None:
        pass


class SimulatedReader(ApduBackend):
    kind = "simulated"

    def __init__(self, apdu_delay: float = 0.0, pki=None):
        self.apdu_delay = apdu_delay
        self._pki = pki
        self._cond = threading.Condition()
        self._card = None
        self._card_id = 0
        self._sample_id: str | None = None
        self._pull_after: int | None = None

    # --- what the clerk does ----------------------------------------------------------

    def insert(self, sample_or_card, *, pull_after: int | None = None) -> None:
        """Insert a sample (by id) or a CardOS; pull_after=N removes it after N APDUs (tests)."""
        from devices.sim import samples

        if isinstance(sample_or_card, str):
            card = samples.card_for(samples.get(sample_or_card), self.pki)
            sample_id = sample_or_card
        else:
            card, sample_id = sample_or_card, None
        card.power_on()
        with self._cond:
            self._card = card
            self._card_id += 1
            self._sample_id = sample_id
            self._pull_after = pull_after
            self._cond.notify_all()

    def remove(self) -> None:
        with self._cond:
            self._remove_locked()

    def _remove_locked(self) -> None:
        if self._card is not None:
            self._card = None
            self._card_id += 1
            self._sample_id = None
            self._cond.notify_all()

    @property
    def inserted(self) -> str | None:
        return self._sample_id

    @property
    def pki(self):
        if self._pki is None:
            from devices.sim.samples import shared_pki

            self._pki = shared_pki()
        return self._pki

    @property
    def trusted_cscas(self) -> list:
        return [self.pki.csca_cert]

    # --- backend ----------------------------------------------------------------

    def _status_locked(self) -> SlotStatus:
        card = self._card
        return SlotStatus(READER_NAME, card is not None, card.atr if card else b"", self._card_id)

    def status(self, timeout: float, known: SlotStatus | None = None) -> SlotStatus:
        with self._cond:
            current = self._status_locked()
            if known is None or current != known:
                return current
            self._cond.wait(timeout)
            return self._status_locked()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def connect(self):
        with self._cond:
            if self._card is None:
                raise CardError(NO_CARD)
            self._card.power_on()
            return _SimTransport(self, self._card, self._card_id), READER_NAME

    def readers(self) -> list[str]:
        return [READER_NAME]
