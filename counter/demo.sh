#!/usr/bin/env bash
# Start the counter on a throwaway demo station, from a fresh clone: installs the Debian packages
# the counter needs, makes .venv, installs the counter into it, and runs `counter demo`.
# Usage: bash counter/demo.sh [--lang en] [--data-dir DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
bash counter/install-system-packages.sh counter/system-packages.txt
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q .
exec .venv/bin/counter demo "$@"
