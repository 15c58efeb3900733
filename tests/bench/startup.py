"""Benchmark: start-up of the UI-free commands against `python -c pass`, in the same run.

The goal (issue 11) is at most 2x. With --before DIR, the same commands are timed from another checkout
too (e.g. /work/main before the fast path), against the same baseline.

Run: python3 tests/bench/startup.py [--runs N] [--before DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GOAL = 2.0


def commands(station: Path) -> dict[str, list[str]]:
    return {
        "--version": ["--version"],
        "--help": ["--help"],
        "id check": ["id", "check", "11010519491231002X"],
        "journal verify": ["journal", "verify", "--data-dir", str(station)],
    }


def time_rounds(cmds: dict[str, tuple[list[str], dict, Path, bool]], runs: int) -> dict[str, float]:
    """Median wall time of each command, the commands interleaved round by round so load hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for _ in range(runs):
        for name, (cmd, env, cwd, check) in cmds.items():
            start = time.perf_counter()
            subprocess.run(cmd, check=check, capture_output=True, env=env, cwd=cwd)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def command_lines(repo: Path, station: Path, check: bool) -> dict[str, tuple[list[str], dict, Path, bool]]:
    # COLUMNS fixed so --help is laid out the same way in every run
    env = {**os.environ, "PYTHONPATH": str(repo), "COLUMNS": "80"}
    return {name: ([sys.executable, "-m", "counter", *args], env, repo, check)
            for name, args in commands(station).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--before", type=Path, help="another checkout to time the same commands from")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        station = Path(tmp) / "st"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        subprocess.run([sys.executable, "-m", "counter", "init", "--data-dir", str(station), "--station-id",
                        "BENCH-1", "--district", "210102", "--office", "bench"],
                       check=True, capture_output=True, env=env, cwd=REPO)
        cmds = {"baseline": ([sys.executable, "-c", "pass"], env, REPO, True)}
        cmds |= command_lines(REPO, station, check=True)
        if args.before:
            # check=False: an older checkout may not know --version (a usage error, after the same imports)
            cmds |= {f"before {name}": cmd for name, cmd in
                     command_lines(args.before.resolve(), station, check=False).items()}
        times = time_rounds(cmds, args.runs)
    baseline = times.pop("baseline")
    after = {name: t for name, t in times.items() if not name.startswith("before ")}
    before = {name.removeprefix("before "): t for name, t in times.items() if name.startswith("before ")}
    print(f"python -c pass (median of {args.runs}): {baseline * 1000:.0f} ms")
    print(f"{'command':<16} {'ms':>6} {'ratio':>6}" + (f" {'before ms':>10} {'before ratio':>13}" if before else ""))
    for name, seconds in after.items():
        line = f"{name:<16} {seconds * 1000:>6.0f} {seconds / baseline:>6.1f}"
        if before:
            line += f" {before[name] * 1000:>10.0f} {before[name] / baseline:>13.1f}"
        print(line)
    worst = max(after.values()) / baseline
    print(f"worst ratio {worst:.1f} (goal <= {GOAL:.0f}): {'met' if worst <= GOAL else 'NOT met'}")


if __name__ == "__main__":
    main()
