#!/usr/bin/env bash
# Start the counter on a throwaway demo station, from a fresh clone: installs the Debian packages
# the counter needs, makes .venv, installs the counter into it (editable: source changes need no
# reinstall), and runs `counter demo`. The install runs only when something it depends on changed
# (pyproject.toml, the Debian package list, the Python version), so a second start is quick.
# COUNTER_DEMO_REINSTALL=1 installs again anyway.
# Usage: bash counter/demo.sh [--lang en] [--data-dir DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -t 0 ] || [ ! -t 1 ] || [ ! -t 2 ]; then
    # Textual draws the screen on stderr and reads keys from stdin; through a pipe (| tee, 2>&1 | less)
    # it cannot ask the terminal's size, draws at 80x24 and its escape codes end up in the file
    echo "counter/demo.sh: run it in a real terminal, without pipes or redirection (the counter draws on the terminal itself)" >&2
    exit 2
fi
stamp=.venv/.counter-demo-installed
# the venv's own interpreter, not `python3` on PATH: asking it is instant (a pyenv shim takes 70 ms), and a
# Python upgrade that breaks or changes the venv changes its answer
installed() { echo "$(cat pyproject.toml counter/system-packages.txt | sha256sum | cut -d' ' -f1) $(.venv/bin/python --version 2>&1)"; }
if [ "${COUNTER_DEMO_REINSTALL:-}" = 1 ] || [ ! -x .venv/bin/counter ] || [ "$(cat "$stamp" 2>/dev/null)" != "$(installed)" ]; then
    bash counter/install-system-packages.sh counter/system-packages.txt
    [ -x .venv/bin/python ] || python3 -m venv .venv
    echo "installing the counter into .venv (once; again only when pyproject.toml changes)"
    # pip's log goes to a file: a machine's index settings can print a hundred warnings around the screen;
    # it is shown when the install fails
    if ! .venv/bin/python -m pip install -q -e . > .venv/pip-install.log 2>&1; then
        cat .venv/pip-install.log >&2
        echo "counter/demo.sh: installing the counter failed (pip's log is above and in .venv/pip-install.log)" >&2
        exit 1
    fi
    installed > "$stamp"
fi
exec .venv/bin/counter demo "$@"
