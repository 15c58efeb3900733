"""Figures of the code's layout, for a git revision and the working tree side by side.

    .venv/bin/python tests/bench/layout.py [--before REV]   (default REV: the merge base with main)

Prints, for each: the number of import cycles (groups of modules that import each other, lazy imports
included, over counter, db, devices, printing and screens), the import-linter contracts kept and
broken (the working tree's [tool.importlinter] applied to both), the largest file and the longest
function (lines, over those packages).
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("counter", "db", "devices", "printing", "screens")

CYCLES_PROBE = """
import json, sys
sys.path.append(sys.argv[1])
from tests.core.test_architecture import import_cycles
print(json.dumps(import_cycles()))
"""


def _sizes(tree: Path) -> dict:
    largest = ("", 0)
    longest = ("", 0)
    for package in PACKAGES:
        for path in sorted((tree / package).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            rel = path.relative_to(tree).as_posix()
            lines = text.count("\n")
            if lines > largest[1]:
                largest = (rel, lines)
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = node.end_lineno - node.lineno + 1
                    if length > longest[1]:
                        longest = (f"{rel}:{node.lineno} {node.name}()", length)
    return {"largest_file": largest, "longest_function": longest}


def _contracts(tree: Path) -> str:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache", "--config", str(ROOT / "pyproject.toml")], cwd=tree,
                            capture_output=True, text=True, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"})
    found = re.search(r"Contracts: (\d+) kept, (\d+) broken", result.stdout)
    broken = re.findall(r"^(.+) BROKEN$", result.stdout, re.M)
    return f"{found.group(1)} kept, {found.group(2)} broken" + (f" ({'; '.join(broken)})" if broken else "")


def _cycles(tree: Path) -> list:
    result = subprocess.run([sys.executable, "-c", CYCLES_PROBE, str(ROOT)], cwd=tree, capture_output=True,
                            text=True, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"}, check=True)
    return json.loads(result.stdout)


def figures(tree: Path) -> dict:
    return {"import_cycles": _cycles(tree), "contracts": _contracts(tree), **_sizes(tree)}


def _export(rev: str, into: Path) -> None:
    data = subprocess.run(["git", "archive", rev, *PACKAGES, "templates"], cwd=ROOT, capture_output=True,
                          check=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="git revision to compare with (default: merge base with main)")
    args = parser.parse_args()
    rev = args.before or subprocess.run(["git", "merge-base", "HEAD", "main"], cwd=ROOT, capture_output=True,
                                        text=True, check=True).stdout.strip()
    tmp = Path(tempfile.mkdtemp(prefix="layout-"))
    try:
        _export(rev, tmp)
        rows = {f"before ({rev[:10]})": figures(tmp), "after (working tree)": figures(ROOT)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for label, f in rows.items():
        print(label)
        print(f"  import cycles:    {len(f['import_cycles'])}")
        for group in f["import_cycles"]:
            print(f"                    {' <-> '.join(group)}")
        print(f"  contracts:        {f['contracts']}")
        print(f"  largest file:     {f['largest_file'][0]} ({f['largest_file'][1]} lines)")
        print(f"  longest function: {f['longest_function'][0]} ({f['longest_function'][1]} lines)")


if __name__ == "__main__":
    main()
