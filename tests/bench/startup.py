"""Benchmark: start-up of the UI-free commands against `python -c pass`, in the same run.

The goal (issue 11) is at most 2x. With --before DIR, the same commands are timed from another checkout
too (e.g. /work/main before the fast path), against the same baseline.

Two figures per command: the median wall time, and the median CPU time (user + system) of the process,
which other work on a shared machine disturbs far less. Bytecode is cached in a temporary
PYTHONPYCACHEPREFIX, as an installed wheel has its .pyc files (even where PYTHONDONTWRITEBYTECODE is set).

Run: python3 tests/bench/startup.py [--runs N] [--before DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
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


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_rounds(cmds: dict[str, tuple[list[str], dict, Path, bool]], runs: int
                ) -> tuple[dict[str, float], dict[str, float]]:
    """Median wall and CPU time of each command, interleaved round by round so load hits all alike."""
    wall: dict[str, list[float]] = {name: [] for name in cmds}
    cpu: dict[str, list[float]] = {name: [] for name in cmds}
    for _ in range(runs + 1):  # the first round writes the bytecode cache and is not counted
        for name, (cmd, env, cwd, check) in cmds.items():
            start, start_cpu = time.perf_counter(), _children_cpu()
            subprocess.run(cmd, check=check, capture_output=True, env=env, cwd=cwd)
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(_children_cpu() - start_cpu)
    return ({name: statistics.median(values[1:]) for name, values in wall.items()},
            {name: statistics.median(values[1:]) for name, values in cpu.items()})


def command_lines(repo: Path, station: Path, check: bool, pycache: Path
                  ) -> dict[str, tuple[list[str], dict, Path, bool]]:
    # COLUMNS fixed so --help is laid out the same way in every run
    env = {**cached_env(pycache), "PYTHONPATH": str(repo), "COLUMNS": "80"}
    return {name: ([sys.executable, "-m", "counter", *args], env, repo, check)
            for name, args in commands(station).items()}


def cached_env(pycache: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(pycache)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--before", type=Path, help="another checkout to time the same commands from")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        station, pycache = Path(tmp) / "st", Path(tmp) / "pycache"
        env = {**cached_env(pycache), "PYTHONPATH": str(REPO)}
        subprocess.run([sys.executable, "-m", "counter", "init", "--data-dir", str(station), "--station-id",
                        "BENCH-1", "--district", "210102", "--office", "bench"],
                       check=True, capture_output=True, env=env, cwd=REPO)
        cmds = {"baseline": ([sys.executable, "-c", "pass"], env, REPO, True)}
        cmds |= command_lines(REPO, station, check=True, pycache=pycache)
        if args.before:
            # check=False: an older checkout may not know --version (a usage error, after the same imports)
            cmds |= {f"before {name}": cmd for name, cmd in
                     command_lines(args.before.resolve(), station, check=False, pycache=pycache).items()}
        wall, cpu = time_rounds(cmds, args.runs)
    for title, times in (("wall", wall), ("cpu", cpu)):
        baseline = times.pop("baseline")
        after = {name: t for name, t in times.items() if not name.startswith("before ")}
        before = {name.removeprefix("before "): t for name, t in times.items() if name.startswith("before ")}
        print(f"{title}: python -c pass (median of {args.runs}): {baseline * 1000:.0f} ms")
        print(f"{'command':<16} {'ms':>6} {'ratio':>6}" + (f" {'before ms':>10} {'before ratio':>13}" if before else ""))
        for name, seconds in after.items():
            line = f"{name:<16} {seconds * 1000:>6.0f} {seconds / baseline:>6.2f}"
            if before:
                line += f" {before[name] * 1000:>10.0f} {before[name] / baseline:>13.2f}"
            print(line)
        worst = max(after.values()) / baseline
        print(f"{title}: worst ratio {worst:.2f} (goal <= {GOAL:.0f}): {'met' if worst <= GOAL else 'NOT met'}")


if __name__ == "__main__":
    main()
