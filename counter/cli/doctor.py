"""counter doctor"""

from __future__ import annotations

import typer

from counter.cli.common import DataDir, JsonFlag, print_json
from counter.config import resolve_data_dir


def doctor(data_dir: DataDir = None, json_out: JsonFlag = False) -> None:
    """Check this machine for the station: permissions, virtual readers, pcscd, fonts, printer, HQ, clock, disk.

    One line per check, with its fix when something is wrong; exit 1 if any check is an error."""
    from counter.doctor import ERROR, run_checks

    checks = run_checks(resolve_data_dir(data_dir))
    if json_out:
        print_json({"ok": not any(c.status == ERROR for c in checks), "checks": [c.as_dict() for c in checks]})
    else:
        for check in checks:
            print(check.line())
    if any(c.status == ERROR for c in checks):
        raise typer.Exit(1)
