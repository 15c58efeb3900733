"""The SAM reader backend with real pyserial on a real pty, against our simulated reader."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest

from devices import sam_codec as codec
from devices.errors import (
    CARD_AUTH_FAILED,
    CARD_REMOVED,
    MESSAGES,
    NO_READER,
    PRESENT_AGAIN,
    READ_FAILED,
    READER_SILENT,
    SAM_NOT_READY,
)
from devices.errors import CardError as CardErrorExc
from devices.identity import FAILED, FOREIGN_PERMANENT_ID, HMT_RESIDENCE_PERMIT, RESIDENT_ID
from devices.sam import SW3_STATES, SamReader
from devices.sim.sam_reader import SamSimulator
from devices.watcher import CardRead, CardWatcher, ReaderError, ReaderReady


@pytest.fixture
def sim():
    s = SamSimulator().start()
    yield s
    s.stop()


@pytest.fixture
def reader(sim):
    r = SamReader(sim.port, timeout=0.5)
    yield r
    r.close()


def _read(sim, reader, card):
    sim.present(card)
    assert reader.status(0.05, None).card_present
    return reader.read_card()


def test_reads_the_surrogate_pair_card_over_pyserial(sim, reader):
    import serial

    result = _read(sim, reader, "sam-ji")
    assert isinstance(reader._link._serial, serial.Serial)  # real pyserial on the pty slave
    assert reader._link._serial.baudrate == 115200 and reader._link._serial.bytesize == 8
    doc = result.document
    assert doc.name == "𠮷祥云" and doc.doc_type == RESIDENT_ID
    assert doc.address.startswith("辽宁省沈阳市和平区南京北街𠮷祥里")
    assert result.apdus == 3  # find, select, read
    assert sim.commands[-3:] == [codec.FIND_CARD, codec.SELECT_CARD, codec.READ_TEXT_PHOTO]


@pytest.mark.parametrize("card, check", [
    ("sam-ayigul", lambda d: d.name == "阿依古丽·吐尔逊" and d.ethnicity == "05"),
    ("sam-yan", lambda d: d.name == "刘䶮"),
    ("sam-expired", lambda d: d.expired(date(2026, 12, 1))),
    ("sam-longterm", lambda d: d.long_term and d.expiry_date is None),
    ("sam-foreigner", lambda d: d.doc_type == FOREIGN_PERMANENT_ID and d.nationality == "DEU"),
    ("sam-hmt", lambda d: d.doc_type == HMT_RESIDENCE_PERMIT and d.travel_permit_number == "H12345678"),
    ("sam-badcheck", lambda d: d.authenticity == FAILED),
])
def test_every_sample_card(sim, reader, card, check):
    assert check(_read(sim, reader, card).document)


def test_same_card_must_be_presented_again(sim, reader):
    first = _read(sim, reader, "sam-yan")
    # the reader no longer finds it; the backend keeps it as the same presentation
    slot = reader.status(0.05, None)
    assert slot.card_present and reader.status(0.05, slot) == slot
    with pytest.raises(CardErrorExc) as exc:
        reader.read_card()
    assert exc.value.state == PRESENT_AGAIN and exc.value.message == "take the card away and present it again"
    sim.take_away()
    sim.present("sam-yan")
    again = reader.status(0.05, slot)
    assert again.card_present and again.card_id != slot.card_id
    assert reader.read_card().document == first.document


def test_no_card(sim, reader):
    assert not reader.status(0.05, None).card_present
    with pytest.raises(CardErrorExc) as exc:
        reader.read_card()
    assert exc.value.state == CARD_REMOVED


def test_sam_not_ready(sim, reader):
    sim.sam_not_ready = True
    sim.present("sam-ji")
    with pytest.raises(CardErrorExc) as exc:
        reader.status(0.05, None)
    assert exc.value.state == SAM_NOT_READY and "SW3 60" in exc.value.detail
    assert reader.info().status == SAM_NOT_READY
    sim.sam_not_ready = False
    info = reader.info()
    assert info.status == "ready" and info.sam_id == "05.02-00123456-0987654321-1122334455"


def test_card_taken_away_mid_read(sim, reader):
    sim.present("sam-ji")
    reader.status(0.05, None)
    sim.pull_mid_read = True
    with pytest.raises(CardErrorExc) as exc:
        reader.read_card()
    assert exc.value.state == READ_FAILED and "SW3 41" in exc.value.detail
    assert not reader.status(0.05, None).card_present


def test_card_taken_away_between_find_and_select(sim, reader):
    sim.present("sam-ji")
    reader.status(0.05, None)
    sim.take_away()
    with pytest.raises(CardErrorExc) as exc:
        reader.read_card()
    assert exc.value.state == CARD_REMOVED


def test_checksum_error_on_the_wire_is_resent(sim, reader):
    sim.present("sam-ji")
    reader.status(0.05, None)
    sim.corrupt_next = 1  # the find answer of the read arrives garbled: the link asks again
    result = reader.read_card()
    assert result.document.name == "𠮷祥云" and result.apdus == 4


def test_persistent_checksum_errors_fail_the_read(sim, reader):
    sim.present("sam-ji")
    reader.status(0.05, None)
    sim.corrupt_next = 10
    with pytest.raises(CardErrorExc) as exc:
        reader.read_card()
    assert exc.value.state == READ_FAILED and "checksum" in exc.value.detail


def test_reader_that_stops_answering(sim, reader):
    sim.silent = True
    start = time.monotonic()
    with pytest.raises(CardErrorExc) as exc:
        reader.status(0.05, None)
    assert exc.value.state == READER_SILENT
    assert time.monotonic() - start < 2  # the timeout, not a hang
    sim.silent = False
    assert reader.status(0.05, None).card_present is False  # reopens and goes on


def test_missing_port_is_no_reader():
    r = SamReader("/dev/ttyACM-does-not-exist")
    with pytest.raises(CardErrorExc) as exc:
        r.status(0.05, None)
    assert exc.value.state == NO_READER and "/dev/ttyACM-does-not-exist" in exc.value.detail


def test_every_sw3_state_has_text_in_both_languages():
    from counter.i18n import catalog

    zh = catalog("zh_CN")
    for state in set(SW3_STATES.values()) | {PRESENT_AGAIN, READER_SILENT}:
        assert zh.get(MESSAGES[state]), state  # a zh_CN translation exists; en is the msgid


def test_auth_failure_maps_to_its_state():
    from devices.sam import sw3_error

    assert sw3_error(0x31, "read").state == CARD_AUTH_FAILED
    assert sw3_error(0x66, "read").state == SAM_NOT_READY


def test_watcher_polls_the_sam_reader_and_reads_each_presentation(sim):
    events: list = []
    got = threading.Event()

    def on_event(event):
        events.append(event)
        if isinstance(event, CardRead):
            got.set()

    watcher = CardWatcher(SamReader(sim.port, timeout=0.5), on_event, poll_interval=0.05).start()
    try:
        sim.present("sam-ayigul")
        assert got.wait(5)
        got.clear()
        time.sleep(0.3)  # polls go on; the card read is not read again
        assert sum(isinstance(e, CardRead) for e in events) == 1
        sim.take_away()
        sim.present("sam-hmt")
        assert got.wait(5)
    finally:
        watcher.stop()
    reads = [e.document.name for e in events if isinstance(e, CardRead)]
    assert reads == ["阿依古丽·吐尔逊", "陈家明"]
    assert isinstance(events[0], ReaderReady) and not any(isinstance(e, ReaderError) for e in events)


def test_open_watcher_watches_the_pcsc_and_the_sam_reader_together(sim):
    from devices.watcher import WatcherGroup, open_watcher

    reads: dict[str, str] = {}
    done = threading.Event()

    def on_event(event):
        if isinstance(event, CardRead):
            reads[event.reader] = event.document.name
            if len(reads) == 2:
                done.set()

    group = open_watcher({"kind": "simulated", "reader_name": "", "csca_dir": "", "sam_port": sim.port,
                          "sam_baud": 115200, "sam_poll_seconds": 0.05}, on_event)
    assert isinstance(group, WatcherGroup) and [b.kind for b in group.backends][1] == "sam"
    group.start()
    try:
        group.backend.insert("sscard-ji")  # the in-process PC/SC sample
        sim.present("sam-yan")
        assert done.wait(10), reads
    finally:
        group.stop()
    assert reads[f"SAM {sim.port}"] == "刘䶮" and "𠮷永康" in reads.values()


def test_a_retry_of_a_card_read_already_says_present_again(sim):
    events: list = []
    got = threading.Event()

    def on_event(event):
        events.append(event)
        if isinstance(event, ReaderError):
            got.set()

    watcher = CardWatcher(SamReader(sim.port, timeout=0.5), on_event, poll_interval=0.05).start()
    try:
        sim.present("sam-ji")
        deadline = time.monotonic() + 5
        while not any(isinstance(e, CardRead) for e in events) and time.monotonic() < deadline:
            time.sleep(0.02)
        watcher.retry()
        assert got.wait(5)
    finally:
        watcher.stop()
    error = next(e for e in events if isinstance(e, ReaderError))
    assert error.state == PRESENT_AGAIN and error.message == "take the card away and present it again"


def test_a_port_held_by_another_program_says_so(sim, reader):
    reader.status(0.05, None)  # holds the port (pyserial exclusive lock)
    other = SamReader(sim.port)
    with pytest.raises(CardErrorExc) as exc:
        other.status(0.05, None)
    assert exc.value.state == NO_READER and "in use by another program" in exc.value.message
