#!/usr/bin/env bash
# Install everything the test suite needs (Debian and Python packages), then run it.
# Usage: bash tests/run.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash counter/install-system-packages.sh counter/system-packages.txt tests/system-packages.txt
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[pcsc,test]'
exec .venv/bin/python -m pytest "$@"
