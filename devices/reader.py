"""Reader backends: where cards come from, separate from the card profiles.

A backend answers two questions: what is in the slot now (`status`), and what
does the card in it say (`read_card`). APDU backends (PC/SC, the in-process
simulator) share ApduBackend.read_card, which runs the profiles. A future SAM
serial reader for the Chinese resident ID card is another backend whose
read_card speaks its frame protocol and returns the same IdentityDocument.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from devices.apdu import CardChannel, Transport
from devices.identity import IdentityDocument
from devices.mrz import MrzKey


@dataclass(frozen=True)
class SlotStatus:
    reader: str
    card_present: bool
    atr: bytes = b""
    card_id: int = 0  # changes with every insertion, so remove-and-reinsert between polls is seen
    problem: str | None = None  # a devices.errors state, e.g. unsupported_card for a mute card


@dataclass(frozen=True)
class ReadResult:
    document: IdentityDocument
    apdus: int
    elapsed_ms: float
    reader: str


class ReaderBackend(Protocol):
    kind: str

    def status(self, timeout: float, known: SlotStatus | None = None) -> SlotStatus:
        """The slot's state, waiting up to timeout seconds for it to differ from `known`.

        Raises CardError(NO_SERVICE / NO_READER) when there is no slot to look at."""

    def wake(self) -> None:
        """Make a waiting status() return early (from another thread)."""

    def read_card(self, *, mrz_key: MrzKey | None = None, csca_certs: list | None = None) -> ReadResult: ...

    def identify_card(self) -> tuple[str, int]:
        """(profile name, APDUs) of the present card, without reading personal data."""

    def readers(self) -> list[str]: ...

    def close(self) -> None: ...

    @property
    def trusted_cscas(self) -> list: ...


class ApduBackend:
    """Shared by every backend whose cards speak ISO 7816 APDUs."""

    kind = "apdu"

    def connect(self) -> tuple[Transport, str]:
        raise NotImplementedError

    def read_card(self, *, mrz_key: MrzKey | None = None, csca_certs: list | None = None) -> ReadResult:
        from devices.profiles import read_document

        start = time.perf_counter()
        transport, reader = self.connect()
        channel = CardChannel(transport)
        try:
            document = read_document(channel, mrz_key=mrz_key, csca_certs=csca_certs)
        finally:
            transport.close()
        return ReadResult(document, channel.apdu_count, round((time.perf_counter() - start) * 1000, 1), reader)

    def identify_card(self) -> tuple[str, int]:
        from devices.profiles import identify

        transport, _ = self.connect()
        channel = CardChannel(transport)
        try:
            return identify(channel).name, channel.apdu_count
        finally:
            transport.close()

    @property
    def trusted_cscas(self) -> list:
        return []

    def wake(self) -> None:
        pass

    def close(self) -> None:
        pass
