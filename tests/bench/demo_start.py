"""How long `bash counter/demo.sh` takes to the sign-in screen, in a real pseudo-terminal (100x30).

Run 0 may install (a fresh clone); the next runs are second starts, which must not install. The baseline,
in the same run, is the old behaviour: an install on every start (COUNTER_DEMO_REINSTALL=1).
--before REF also starts the code of git REF (e.g. main), exported to a temporary directory and run with
this checkout's .venv, alternating with this checkout's runs so that both see the same load: wall and CPU
time per start, before and after.
Usage: .venv/bin/python tests/bench/demo_start.py [--runs N] [--before REF]
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


def start_to_sign_in(env_extra: dict[str, str] | None = None, timeout: float = 300.0, root: Path = ROOT) -> float:
    return run_demo(env_extra, timeout, root)[0]


def run_demo(env_extra: dict[str, str] | None = None, timeout: float = 300.0,
             root: Path = ROOT) -> tuple[float, bytes]:
    """(seconds to the sign-in screen, what the terminal received until then); quits with Ctrl+Q."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", **(env_extra or {})}
    started = time.perf_counter()
    proc = subprocess.Popen(["bash", "counter/demo.sh"], cwd=root, stdin=slave, stdout=slave, stderr=slave,
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
        deadline = time.monotonic() + 20
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if proc.poll() is None:
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


def cpu_seconds() -> float:
    """CPU time of the finished children so far (user + system): the cost on an idle machine."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def export_ref(ref: str, into: Path) -> tuple[Path, dict[str, str]]:
    """REF's tree in `into`, sharing this checkout's .venv (whose editable install points here: PYTHONPATH
    puts REF's packages first); the env that runs it."""
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    (into / ".venv").symlink_to(ROOT / ".venv")
    return into, {"PYTHONPATH": str(into)}


def timed_start(root: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds to the sign-in screen, CPU seconds of the whole start and quit)."""
    cpu = cpu_seconds()
    wall = start_to_sign_in(env, root=root)
    return wall, cpu_seconds() - cpu


def compare(ref: str, runs: int) -> None:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="demo-start-before-") as tmp:
        before_root, before_env = export_ref(ref, Path(tmp))
        start_to_sign_in()  # warm both (bytecode caches)
        start_to_sign_in(before_env, root=before_root)
        before, after = [], []
        for _ in range(runs):
            before.append(timed_start(before_root, before_env))
            after.append(timed_start(ROOT, {}))
    for label, figures in ((f"before ({ref})", before), ("after (this checkout)", after)):
        wall = statistics.median(w for w, _c in figures)
        cpu = statistics.median(c for _w, c in figures)
        print(f"{label}: second start to sign-in median {wall:.2f} s wall, {cpu:.2f} s CPU per start "
              f"(start, sign-in screen, quit) over {runs}")
    ratio_wall = statistics.median(w for w, _c in before) / statistics.median(w for w, _c in after)
    ratio_cpu = statistics.median(c for _w, c in before) / statistics.median(c for _w, c in after)
    print(f"ratio before/after: wall {ratio_wall:.1f}x, CPU {ratio_cpu:.1f}x; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", metavar="REF", help="also time git REF's code, alternating with this one")
    args = parser.parse_args()
    if args.before:
        compare(args.before, args.runs)
    first = start_to_sign_in()
    cpu_before = cpu_seconds()
    seconds = [start_to_sign_in() for _ in range(args.runs)]
    cpu_per_start = (cpu_seconds() - cpu_before) / args.runs
    baseline = start_to_sign_in({"COUNTER_DEMO_REINSTALL": "1"})
    median = statistics.median(seconds)
    print(f"demo start to sign-in, first run (installs if needed): {first:.2f} s")
    print(f"demo second start to sign-in: median {median:.2f} s over {args.runs} "
          f"(min {min(seconds):.2f}, max {max(seconds):.2f}); target <= 2 s")
    print(f"CPU time per second start (start, sign-in screen, quit): {cpu_per_start:.2f} s; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"baseline, installing on every start: {baseline:.2f} s; ratio {baseline / median:.1f}x")
    sys.exit(0 if median <= 2.0 else 1)


if __name__ == "__main__":
    main()
