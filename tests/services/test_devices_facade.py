"""counter.services.devices, the screens' one door to devices/: a real simulated reader behind a real
CardWatcher thread, the demo's samples and MRZ keys."""

from __future__ import annotations

import queue
import subprocess
import sys

import pytest

from counter.services import devices


def test_no_reader_configured_opens_no_watcher():
    assert devices.open_card_watcher({"kind": "none"}, lambda event: None) is None
    assert devices.simulated_reader(None) is None


def test_a_simulated_reader_reads_the_next_sample_through_the_watcher():
    events: queue.Queue = queue.Queue()
    watcher = devices.open_card_watcher({"kind": "simulated"}, events.put)
    try:
        reader = devices.simulated_reader(watcher)
        assert reader is not None
        devices.insert_sample(reader, 0)  # the first sample: a social security card
        while not isinstance(event := events.get(timeout=10), devices.CardRead):
            assert not isinstance(event, devices.ReaderError), event
        assert not devices.authenticity_failed(event.document)
        assert devices.sample_mrz_text(reader) == ""  # not a passport
        ids = devices.sample_ids()
        devices.insert_sample(reader, ids.index("passport-deu") + len(ids))  # wraps round
        assert reader.inserted == "passport-deu"
        key = devices.parse_mrz_key(devices.sample_mrz_text(reader))
        assert devices.sample_mrz_text(reader) == f"{key.document_number}:{key.birth_date}:{key.expiry_date}"
    finally:
        watcher.stop()


def test_a_wrong_mrz_key_is_an_mrz_error():
    with pytest.raises(devices.MrzError):
        devices.parse_mrz_key("C01X00T47:850101")


def test_the_facade_brings_no_textual():
    code = "import sys, counter.services.devices; print('textual' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
