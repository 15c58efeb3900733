#!/usr/bin/env bash
# Install counter's HQ service on Debian: one command.
#   sudo bash counter/deploy/install-hq.sh [--wheel counter-X.whl] [--prefix DIR] [--dry-run]
# Makes /opt/counter (a venv with the wheel), the system user counter-hq, /var/lib/counter-hq (0700:
# the SQLite database, if used), /etc/counter-hq (0700: hq.env, HQ's key pair, TLS files, pgpass),
# and the counter-hq.service unit (not started until hq.env is filled in). See README, "HQ".
source "$(dirname "$0")/common.sh"
usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; }
EXTRA_ARGS=()
parse_common "$@"
[ ${#EXTRA_ARGS[@]} = 0 ] || die "unknown option ${EXTRA_ARGS[0]}; see --help"

find_wheel
install_venv ""
system_user counter-hq /var/lib/counter-hq
private_dir "$PREFIX/var/lib/counter-hq" counter-hq
private_dir "$PREFIX/etc/counter-hq" counter-hq
private_file_once "$REPO/counter/deploy/hq.env.example" "$PREFIX/etc/counter-hq/hq.env" counter-hq
install_unit counter-hq.service
systemctl_do daemon-reload
systemctl_do enable counter-hq.service
say "next: edit $PREFIX/etc/counter-hq/hq.env, then: systemd-run --uid=counter-hq -p EnvironmentFile=/etc/counter-hq/hq.env --wait --pipe /opt/counter/bin/counter hq init"
say "      then: systemctl start counter-hq; curl -s http://127.0.0.1:8765/v1/health/ready"
