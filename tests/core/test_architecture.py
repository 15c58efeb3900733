"""The architecture's import rules hold: the import-linter contracts in pyproject.toml, and no import cycles.

Both read the real source tree (lazy imports inside functions included), so a new import that
breaks a layer or closes a circle fails here, naming the modules.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import grimp

from tests.conftest import REPO

PACKAGES = ("counter", "db", "devices", "printing", "screens")
CONTRACT_IDS = {"layers", "no-ui-below", "core-without-ui", "screens-through-services", "adapters-without-db",
                "pure-domain", "acyclic"}


def import_cycles(packages=PACKAGES) -> list[list[str]]:
    """Every strongly connected group of two or more modules in the import graph (Tarjan, iterative)."""
    graph = grimp.build_graph(*packages, include_external_packages=False, cache_dir=None)
    imports = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in sorted(imports):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            successors = imports[node]
            if i < len(successors):
                work.append((node, i + 1))
                nxt = successors[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    cycles.append(sorted(group))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return cycles


def test_the_import_graph_has_no_cycles():
    assert import_cycles() == []


def test_the_cycle_finder_finds_a_cycle(tmp_path, monkeypatch):
    """The finder itself, on a package with one circle (a -> b -> a, lazily) and one clean module."""
    pkg = tmp_path / "circlepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from circlepkg import b\n")
    (pkg / "b.py").write_text("def f():\n    from circlepkg import a\n")
    (pkg / "c.py").write_text("from circlepkg import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles(("circlepkg",)) == [["circlepkg.a", "circlepkg.b"]]


def _lint_imports() -> Path:
    found = Path(sys.executable).with_name("lint-imports")
    return found if found.exists() else Path(shutil.which("lint-imports") or "lint-imports")


def test_lint_imports_keeps_every_contract():
    result = subprocess.run([str(_lint_imports()), "--no-cache", "--config", str(REPO / "pyproject.toml")],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(CONTRACT_IDS)} kept, 0 broken." in result.stdout, result.stdout


def test_lint_imports_fails_on_a_broken_rule(tmp_path):
    """The contracts are live: the same config on a copy of the tree with db importing textual is refused."""
    for name in PACKAGES:
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    with open(tmp_path / "db" / "connection.py", "a") as fh:
        fh.write("\n\ndef _bad():\n    import textual  # noqa: F401\n")
    result = subprocess.run([str(_lint_imports()), "--no-cache", "--contract", "no-ui-below"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300, env={"PYTHONPATH": str(tmp_path),
                                                                               "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "db.connection -> textual" in result.stdout, result.stdout
