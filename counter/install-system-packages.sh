#!/usr/bin/env bash
# Install the Debian packages listed in the given files (one per line, # comments) that are missing.
# Uses sudo unless run as root; does nothing where apt-get is absent.
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
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
