"""Benchmark: card insert -> IdentityDocument through the real pcscd + vpcd stack.

For each profile on our simulator: APDU count and milliseconds from the moment
the card is inserted (vpcd connection made) to the CardWatcher's CardRead event
(face included). Baseline in the same run: one SELECT APDU round trip through
the same stack. Run from the repo root:

    python3 tests/bench/card_read.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from devices.pcsc import PcscBackend  # noqa: E402
from devices.sim import samples  # noqa: E402
from devices.sim.pki import generate  # noqa: E402
from devices.sim.vpcd import VpcdCard  # noqa: E402
from devices.watcher import CardRead, CardWatcher, ReaderError, ReaderReady  # noqa: E402
from tests.devices.pcscd import Pcscd, missing  # noqa: E402

CASES = [
    ("icao TD3 passport, JPEG face, extended length", "passport-deu", {}),
    ("icao TD1 ID card, JPEG 2000 face, extended length", "idcard-td1", {}),
    ("icao TD3 passport, short APDUs only", "passport-deu", {"extended": False}),
    ("sscard social security card", "sscard-ji", {}),
]


def baseline_select(pcscd: Pcscd, rounds: int) -> float:
    """Median ms of one SELECT APDU round trip (pyscard -> pcscd -> vpcd -> our card and back)."""
    from smartcard.pcsc.PCSCReader import PCSCReader

    sim = VpcdCard(samples.card_for(samples.get("passport-deu")), port=pcscd.port).start()
    try:
        pcscd.wait_card(True)
        conn = PCSCReader("Virtual PCD 00 00").createConnection()
        conn.connect()
        select = [0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01]
        times = []
        for _ in range(max(20, rounds * 10)):
            t = time.perf_counter()
            _, sw1, _ = conn.transmit(select)
            times.append((time.perf_counter() - t) * 1000)
            assert sw1 == 0x90
        conn.disconnect()
        return statistics.median(times)
    finally:
        sim.stop()
        pcscd.wait_card(False)


def measure(pcscd: Pcscd, sample_id: str, options: dict, rounds: int, pki) -> tuple[int, float, float]:
    sample = samples.get(sample_id)
    done = threading.Event()
    box: dict = {}

    def on_event(event):
        if "-v" in sys.argv:
            print("  event", type(event).__name__, getattr(event, "state", ""), file=sys.stderr)
        if isinstance(event, CardRead):
            box["read"] = (event, time.perf_counter())
            done.set()
        elif isinstance(event, ReaderError):
            box["error"] = event
            done.set()
        elif isinstance(event, ReaderReady):
            box["ready"] = True

    watcher = CardWatcher(PcscBackend(), on_event, csca_certs=[pki.csca_cert]).start()
    totals, reads = [], []
    apdus = 0
    try:
        for _ in range(rounds):
            done.clear()
            box.pop("read", None)
            if sample.mrz_key:
                watcher.set_mrz_key(sample.mrz_key)  # typed or scanned before the card goes in
            card = samples.card_for(sample, pki, **options)
            sim = VpcdCard(card, port=pcscd.port, reconnect=False)
            inserted = {}
            sim.on_insert = lambda: inserted.setdefault("t", time.perf_counter())  # noqa: B023
            sim.start()
            if not done.wait(30) or "error" in box:
                raise RuntimeError(f"{sample_id}: {box.get('error')}")
            event, t_read = box["read"]
            assert event.document.face_image or sample.profile == "sscard"
            totals.append((t_read - inserted["t"]) * 1000)
            reads.append(event.elapsed_ms)
            apdus = event.apdus
            sim.stop()
            pcscd.wait_card(False)
    finally:
        watcher.stop()
    return apdus, statistics.median(totals), statistics.median(reads)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("-v", action="store_true")
    args = parser.parse_args()
    reason = missing()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    pki = generate("Bench")
    pcscd = Pcscd()
    pcscd.start()
    try:
        base = baseline_select(pcscd, args.rounds)
        print(f"baseline: one SELECT APDU round trip through pcscd+vpcd: {base:.1f} ms (median)")
        print(f"{'profile':<52} {'APDUs':>5} {'insert->doc ms':>15} {'read ms':>8} {'ratio':>7} {'per APDU':>9}")
        for label, sample_id, options in CASES:
            apdus, total, read = measure(pcscd, sample_id, options, args.rounds, pki)
            print(f"{label:<52} {apdus:>5} {total:>15.1f} {read:>8.1f} {total / base:>6.1f}x {read / apdus:>7.1f}ms")
        print(f"(median of {args.rounds} rounds; ratio = insert->document / baseline SELECT; "
              "read ms = connect to document, without pcscd's card-detection delay)")
    finally:
        pcscd.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
