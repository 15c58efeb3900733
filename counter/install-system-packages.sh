#!/usr/bin/env bash
# Install the Debian packages listed in the given files (one per line, # comments) that are missing.
# Uses sudo unless run as root; does nothing where apt-get is absent.
# Waits for the dpkg/apt lock (another apt, unattended-upgrades) instead of failing at once;
# COUNTER_APT_LOCK_TIMEOUT sets how long, in seconds (default 600).
set -euo pipefail
command -v apt-get >/dev/null 2>&1 || exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
mapfile -t wanted < <(cat "$@" | grep -vE '^\s*(#|$)')
missing=()
for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    timeout="${COUNTER_APT_LOCK_TIMEOUT:-600}"
    lock=(-o "DPkg::Lock::Timeout=$timeout")
    deadline=$(( $(date +%s) + timeout ))
    # DPkg::Lock::Timeout covers dpkg's locks only: `apt-get update` gives up at once on the lists
    # lock, so it is retried while another apt holds that lock, until the same deadline.
    waited=""
    until err="$($sudo apt-get "${lock[@]}" update -qq 2>&1 >/dev/null)"; do
        if ! grep -q "Could not get lock" <<<"$err" || [ "$(date +%s)" -ge "$deadline" ]; then
            printf '%s\n' "$err" >&2
            exit 100
        fi
        [ -n "$waited" ] || echo "waiting for another apt to release its lock (up to ${timeout}s)"
        waited=1
        sleep 2
    done
    [ -z "$err" ] || printf '%s\n' "$err" >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get "${lock[@]}" install -y -qq "${missing[@]}" >/dev/null
fi
