"""CardWatcher over the in-process simulated reader: the events the app reacts to."""

from __future__ import annotations

import pytest

from devices.errors import CARD_REMOVED, MRZ_MISMATCH, UNSUPPORTED_CARD
from devices.sim import samples
from devices.simulated import SimulatedReader
from devices.watcher import (
    CardInserted,
    CardRead,
    CardRemoved,
    CardWatcher,
    MrzKeyRequired,
    ReaderError,
    ReaderReady,
)
from tests.devices.events import Events


@pytest.fixture
def sim():
    reader = SimulatedReader()
    events = Events()
    watcher = CardWatcher(reader, events).start()
    events.until(ReaderReady)
    yield reader, watcher, events
    watcher.stop()
    assert not watcher.alive


def test_insert_read_remove(sim):
    reader, _, events = sim
    reader.insert("sscard-ayigul")
    assert isinstance(events.next(), CardInserted)
    read = events.next()
    assert isinstance(read, CardRead)
    assert read.document.name == "阿依古丽·买买提"
    assert read.apdus == 5
    reader.remove()
    assert isinstance(events.next(), CardRemoved)


def test_emrtd_waits_for_the_mrz_key_then_reads(sim):
    reader, watcher, events = sim
    reader.insert("idcard-td1")
    events.until(MrzKeyRequired)
    watcher.set_mrz_key(samples.get("idcard-td1").mrz_key)
    read = events.until(CardRead)
    assert read.document.doc_type == "emrtd_td1"
    assert read.document.authenticity == "verified"


def test_wrong_mrz_key_then_the_right_one(sim):
    reader, watcher, events = sim
    watcher.set_mrz_key(samples.get("passport-chn").mrz_key)  # typed before inserting: applies to it
    reader.insert("passport-deu")
    error = events.until(ReaderError)
    assert error.state == MRZ_MISMATCH
    assert error.message.startswith("MRZ does not match this document")
    watcher.set_mrz_key(samples.get("passport-deu").mrz_key)
    assert events.until(CardRead).document.surname == "MUELLER"


def test_card_pulled_mid_read_then_reinserted_reads_cleanly(sim):
    reader, watcher, events = sim
    watcher.set_mrz_key(samples.get("passport-chn").mrz_key)
    reader.insert("passport-chn", pull_after=5)  # out during secure messaging
    error = events.until(ReaderError)
    assert error.state == CARD_REMOVED and error.retryable
    events.until(CardRemoved)
    reader.insert("passport-chn")  # same passport back: no need to type the MRZ again
    read = events.until(CardRead)
    assert read.document.name == "欧阳䶮"


def test_carried_key_on_a_different_document_asks_again(sim):
    reader, watcher, events = sim
    watcher.set_mrz_key(samples.get("passport-chn").mrz_key)
    reader.insert("passport-chn", pull_after=4)
    events.until(CardRemoved)
    reader.insert("passport-deu")
    events.until(MrzKeyRequired)


def test_unknown_card_and_retry(sim):
    reader, watcher, events = sim
    reader.insert("unknown-card")
    assert events.until(ReaderError).state == UNSUPPORTED_CARD
    reader.insert("sscard-ji")  # swapped without a removal being seen
    assert events.until(CardRead).document.name == "𠮷永康"
    watcher.retry()
    assert events.until(CardRead).document.name == "𠮷永康"


def test_a_failing_callback_does_not_stop_the_watcher():
    reader = SimulatedReader()
    events = Events()

    def handler(event):
        events(event)
        if isinstance(event, CardInserted):
            raise RuntimeError("handler bug")

    watcher = CardWatcher(reader, handler).start()
    try:
        reader.insert("sscard-ji")
        events.until(CardRead)
        assert watcher.alive
    finally:
        watcher.stop()


def test_open_watcher_for_a_demo_station_reader_section():
    from devices.simulated import SimulatedReader
    from devices.watcher import open_watcher

    events = Events()
    watcher = open_watcher({"kind": "simulated", "reader_name": "", "csca_dir": ""}, events)
    assert isinstance(watcher.backend, SimulatedReader)
    watcher.start()
    try:
        events.until(ReaderReady)
        watcher.backend.insert("passport-forged")
        events.until(MrzKeyRequired)
        watcher.set_mrz_key(samples.get("passport-forged").mrz_key)
        doc = events.until(CardRead).document
        assert doc.authenticity == "failed"  # the app asks for a supervisor
        watcher.backend.insert("idcard-td1")
        events.until(MrzKeyRequired)
        watcher.set_mrz_key(samples.get("idcard-td1").mrz_key)
        assert events.until(CardRead).document.authenticity == "verified"  # the demo CSCA is trusted
    finally:
        watcher.stop()
