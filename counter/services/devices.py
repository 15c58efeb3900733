"""The screens' one door to the devices: the card watcher, the demo's sample cards, MRZ keys.

screens/ import this module, never devices/ (the import rules: screens > counter > devices). No textual
import here. The watcher's callback runs on the watcher's own thread: a Textual app posts a message
from it (post_message is thread-safe) and never blocks on a card.
"""

from __future__ import annotations

from collections.abc import Callable

from devices.identity import FAILED
from devices.mrz import MrzError, MrzKey, parse_key_text
from devices.watcher import (
    CardInserted,
    CardRead,
    CardRemoved,
    CardWatcher,
    MrzKeyRequired,
    ReaderError,
    ReaderReady,
    WatcherEvent,
)


def open_card_watcher(reader_section: dict, on_event: Callable[[WatcherEvent], None]) -> CardWatcher | None:
    """A started watcher for the station's [reader] section, or None when kind = "none" (no reader).
    Raises whatever the backend raises when the reader cannot start: the caller shows it as a status."""
    if reader_section["kind"] == "none":
        return None
    from devices.watcher import open_watcher

    watcher = open_watcher(reader_section, on_event)
    watcher.start()
    return watcher


def simulated_reader(watcher: CardWatcher | None):
    """The in-process simulated reader behind a watcher (demo stations), or None for a real reader."""
    backend = watcher.backend if watcher is not None else None
    return backend if backend is not None and hasattr(backend, "insert") else None


def sam_reader(watcher):
    """The SAM reader (resident ID card) a watcher group polls, if [reader] sam_port is set, else None."""
    from devices.sam import SamReader

    for backend in getattr(watcher, "backends", ()):
        if isinstance(backend, SamReader):
            return backend
    return None


def _demo_samples(watcher) -> list[str]:
    """The demo's F2 cycle: the in-process APDU cards, then the simulated SAM reader's cards."""
    ids = sample_ids()
    sam = sam_reader(watcher)
    if sam is not None and sam.simulator is not None:
        from devices.sim.sam_cards import SAM_SAMPLES

        ids += list(SAM_SAMPLES)
    return ids


def insert_demo_sample(watcher, index: int) -> bool:
    """Demo: take any card away, then present sample number `index` (wrapping round) to the reader it
    belongs to. False when the station has no simulated reader."""
    from devices.sim.samples import SAMPLES

    reader = simulated_reader(watcher)
    if reader is None:
        return False
    ids = _demo_samples(watcher)
    sample = ids[index % len(ids)]
    take_card_away(watcher)
    if sample in SAMPLES:
        reader.insert(sample)
    else:
        sam_reader(watcher).simulator.present(sample)
    return True


def take_card_away(watcher) -> bool:
    """Demo: take the card out of (or away from) every simulated reader, even mid-read."""
    reader, sam = simulated_reader(watcher), sam_reader(watcher)
    sam_sim = sam.simulator if sam is not None else None
    if reader is None and sam_sim is None:
        return False
    if reader is not None:
        reader.remove()
    if sam_sim is not None:
        sam_sim.take_away()
    return True


def sample_ids() -> list[str]:
    """The demo's sample cards, in menu order."""
    from devices.sim.samples import SAMPLES

    return list(SAMPLES)


def insert_sample(reader, index: int) -> None:
    """Demo: 'insert' sample card number `index` (wrapping round) into a simulated reader."""
    ids = sample_ids()
    reader.remove()
    reader.insert(ids[index % len(ids)])


def sample_mrz_text(reader) -> str:
    """The MRZ key printed on the data page of the sample in a simulated reader, typed as a clerk would
    ("NUMBER:YYMMDD:YYMMDD"); "" when no passport sample is inserted."""
    from devices.sim.samples import SAMPLES

    if reader is None or not reader.inserted:
        return ""
    key = SAMPLES[reader.inserted].mrz_key
    return f"{key.document_number}:{key.birth_date}:{key.expiry_date}" if key is not None else ""


def parse_mrz_key(text: str) -> MrzKey:
    """A typed or scanned MRZ key; MrzError (an English msgid) when it does not check."""
    return parse_key_text(text)


def authenticity_failed(document) -> bool:
    """The card's data failed passive authentication: a supervisor must approve before it is used."""
    return document.authenticity == FAILED


__all__ = ["CardInserted", "CardRead", "CardRemoved", "CardWatcher", "MrzError", "MrzKey", "MrzKeyRequired",
           "ReaderError", "ReaderReady", "WatcherEvent", "authenticity_failed", "insert_demo_sample", "insert_sample",
           "open_card_watcher", "parse_mrz_key", "sam_reader", "sample_ids", "sample_mrz_text", "simulated_reader",
           "take_card_away"]
