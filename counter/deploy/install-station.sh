#!/usr/bin/env bash
# Install the counter workstation on Debian: one command.
#   sudo bash counter/deploy/install-station.sh [--wheel counter-X.whl] [--user NAME] [--prefix DIR] [--dry-run]
# Installs the Debian packages of counter/system-packages.txt (and pcscd and pyscard's build tools),
# /opt/counter (a venv with the wheel and pyscard), /usr/local/bin/counter, the account the clerks'
# session runs as (default counter, in group dialout for the SAM reader), its data directory
# /var/lib/counter (0700), and the nightly counter-backup.timer. The TUI syncs in the background.
source "$(dirname "$0")/common.sh"
usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; }
EXTRA_ARGS=()
parse_common "$@"
STATION_USER=counter
set -- "${EXTRA_ARGS[@]+"${EXTRA_ARGS[@]}"}"
while [ $# -gt 0 ]; do
    case "$1" in
        --user) STATION_USER="${2:?--user needs a name}"; shift 2 ;;
        *) die "unknown option $1; see --help" ;;
    esac
done

if [ -z "$PREFIX" ]; then
    run bash "$REPO/counter/install-system-packages.sh" "$REPO/counter/system-packages.txt"
    run apt-get install -y --no-install-recommends pcscd gcc swig libpcsclite-dev python3-dev
else
    say "Debian packages (skipped under --prefix): $(grep -v '^#' "$REPO/counter/system-packages.txt" | xargs)"
fi
find_wheel
install_venv "[pcsc]"
run install -d -m 0755 "$PREFIX/usr/local/bin"
run ln -sf /opt/counter/bin/counter "$PREFIX/usr/local/bin/counter"
system_user "$STATION_USER" /var/lib/counter
if [ -z "$PREFIX" ]; then run usermod -aG dialout "$STATION_USER"; fi
private_dir "$PREFIX/var/lib/counter" "$STATION_USER"
private_dir "$PREFIX/var/backups/counter" "$STATION_USER"
run install -d -m 0755 "$PREFIX/etc/counter"
private_file_once "$REPO/counter/deploy/station.env.example" "$PREFIX/etc/counter/station.env" "$STATION_USER"
install_unit counter-backup.service
install_unit counter-backup.timer
if [ "$STATION_USER" != counter ] && [ "$DRY_RUN" = 0 ]; then
    sed -i "s/^User=counter$/User=$STATION_USER/; s/^Group=counter$/Group=$STATION_USER/" \
        "$PREFIX/etc/systemd/system/counter-backup.service"
fi
systemctl_do daemon-reload
systemctl_do enable counter-backup.timer
say "next, as $STATION_USER: counter init --data-dir /var/lib/counter --station-id ID --district CODE --office NAME"
say "      (or, replacing a PC: counter init --data-dir /var/lib/counter --restore-from-hq URL ...)"
say "      then set [export] age_recipient in /var/lib/counter/station.toml (backups and bundles are encrypted to it)"
