"""How long `bash counter/demo.sh` takes to the sign-in screen, in a real pseudo-terminal (100x30).

Run 0 may install (a fresh clone); the next runs are second starts, which must not install. The baseline,
in the same run, is the old behaviour: an install on every start (COUNTER_DEMO_REINSTALL=1).
Usage: .venv/bin/python tests/bench/demo_start.py [--runs N]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READY = "演示柜员".encode()  # the sign-in screen's demo hint


def start_to_sign_in(env_extra: dict[str, str] | None = None, timeout: float = 300.0) -> float:
    return run_demo(env_extra, timeout)[0]


def run_demo(env_extra: dict[str, str] | None = None, timeout: float = 300.0) -> tuple[float, bytes]:
    """(seconds to the sign-in screen, what the terminal received until then); quits with Ctrl+Q."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", **(env_extra or {})}
    started = time.perf_counter()
    proc = subprocess.Popen(["bash", "counter/demo.sh"], cwd=ROOT, stdin=slave, stdout=slave, stderr=slave,
                            env=env, start_new_session=True)
    os.close(slave)
    seen = b""
    elapsed = None
    try:
        while time.perf_counter() - started < timeout:
            ready, _w, _x = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                seen = (seen + chunk)[-200000:]
                if READY in seen:
                    elapsed = time.perf_counter() - started
                    break
            if proc.poll() is not None:
                break
        if elapsed is None:
            raise SystemExit(f"the demo did not reach the sign-in screen; last output: {seen[-400:]!r}")
        os.write(master, b"\x11")  # Ctrl+Q on the sign-in screen quits
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        return elapsed, seen
    finally:
        # drain and close so that the child never blocks on a full pty
        try:
            while select.select([master], [], [], 0.1)[0] and os.read(master, 65536):
                pass
        except OSError:
            pass
        os.close(master)
        if proc.poll() is None:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    first = start_to_sign_in()
    seconds = [start_to_sign_in() for _ in range(args.runs)]
    baseline = start_to_sign_in({"COUNTER_DEMO_REINSTALL": "1"})
    median = statistics.median(seconds)
    print(f"demo start to sign-in, first run (installs if needed): {first:.2f} s")
    print(f"demo second start to sign-in: median {median:.2f} s over {args.runs} "
          f"(min {min(seconds):.2f}, max {max(seconds):.2f}); target <= 2 s")
    print(f"baseline, installing on every start: {baseline:.2f} s; ratio {baseline / median:.1f}x")
    sys.exit(0 if median <= 2.0 else 1)


if __name__ == "__main__":
    main()
