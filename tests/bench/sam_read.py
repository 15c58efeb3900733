"""Benchmark: presenting a resident ID card to IdentityDocument through our simulated SAM reader.

Real pyserial on a real pty at 115200 baud 8N1; the simulator paces every answer at the baud rate
(bytes x 10 bits / baud), as a serial line would. For each sample card: the frames exchanged and the
wall time from the card entering the field to the CardWatcher's CardRead event, against the
transfer floor measured from the bytes actually moved in the same run: bytes x 10 / baud.
Also the time of one read_card() (find, select, read) alone, without the poll that notices the card.

    python3 tests/bench/sam_read.py [--rounds 5] [--poll 0.1]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from devices.sam import SamReader  # noqa: E402
from devices.sim.sam_cards import SAM_SAMPLES  # noqa: E402
from devices.sim.sam_reader import SamSimulator  # noqa: E402
from devices.watcher import CardRead, CardWatcher  # noqa: E402

BAUD = 115200


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--poll", type=float, default=0.1, help="sam_poll_seconds of the watcher")
    args = parser.parse_args()

    sim = SamSimulator(baud=BAUD).start()
    print(f"simulated SAM reader on {sim.port}, {BAUD} baud 8N1, watcher poll {args.poll * 1000:.0f} ms")
    print(f"{'card':<16}{'frames':>7}{'bytes':>7}{'floor ms':>10}{'read ms':>9}{'ratio':>7}"
          f"{'present→doc ms':>16}{'ratio':>7}")
    # read_card alone
    reader = SamReader(sim.port, BAUD)
    totals = []
    for card in SAM_SAMPLES:
        reads, floors, frames_n, moved = [], [], 0, 0
        for _ in range(args.rounds):
            sim.present(card)
            reader.status(0, None)  # the poll that notices the new presentation
            link = reader._link
            before_bytes = link.bytes_moved
            t = time.perf_counter()
            result = reader.read_card()
            reads.append((time.perf_counter() - t) * 1000)
            moved = link.bytes_moved - before_bytes
            floors.append(moved * 10 / BAUD * 1000)
            frames_n = result.apdus
            sim.take_away()
        totals.append((card, frames_n, moved, statistics.median(floors), statistics.median(reads)))
    reader.close()

    # present -> CardRead through the watcher
    got = threading.Event()
    stamp: dict = {}

    def on_event(event):
        if isinstance(event, CardRead):
            stamp["t"] = time.perf_counter()
            got.set()

    watcher = CardWatcher(SamReader(sim.port, BAUD), on_event, poll_interval=args.poll).start()
    time.sleep(3 * args.poll)
    for card, frames_n, moved, floor, read_ms in totals:
        waits = []
        for _ in range(args.rounds):
            got.clear()
            t = time.perf_counter()
            sim.present(card)
            if not got.wait(10):
                print(f"{card}: no CardRead in 10 s", file=sys.stderr)
                return 1
            waits.append((stamp["t"] - t) * 1000)
            sim.take_away()
            time.sleep(args.poll * (2 + random.random()))  # no phase lock with the poll
        wait_ms = statistics.median(waits)
        print(f"{card:<16}{frames_n:>7}{moved:>7}{floor:>10.1f}{read_ms:>9.1f}{read_ms / floor:>7.2f}"
              f"{wait_ms:>16.1f}{wait_ms / floor:>7.2f}")
    watcher.stop()
    sim.stop()
    print("floor: the bytes of find + select + read (both directions) x 10 bits / baud; "
          "present→doc adds up to one poll interval before the card is noticed")
    print("the simulator paces its answers at the baud rate, but a pty does not delay the host's 30 command bytes, "
          "so a ratio near 1.0 is the floor; a real reader adds its SAM's own work, which is not modelled")
    return 0


if __name__ == "__main__":
    sys.exit(main())
