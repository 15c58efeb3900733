#!/usr/bin/env bash
# Install everything the test suite needs (Debian and Python packages), then run it.
# Usage: bash tests/run.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash counter/install-system-packages.sh counter/system-packages.txt tests/system-packages.txt
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip > .venv/pip-upgrade.log 2>&1 || cat .venv/pip-upgrade.log >&2
# pip's log goes to a file (a machine's index settings can print pages of warnings); shown when it fails
if ! .venv/bin/python -m pip install -q -e '.[pcsc,test]' > .venv/pip-install.log 2>&1; then
    cat .venv/pip-install.log >&2
    echo "tests/run.sh: installing the test dependencies failed (pip's log is above and in .venv/pip-install.log)" >&2
    exit 1
fi
exec .venv/bin/python -m pytest "$@"
