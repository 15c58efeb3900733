# Shared by install-station.sh and install-hq.sh (sourced, not run).
# Everything goes under $PREFIX ("" = the real system); --dry-run prints each step instead of doing it.
set -euo pipefail

PREFIX=""
DRY_RUN=0
WHEEL=""
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

say() { printf '%s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
run() {
    if [ "$DRY_RUN" = 1 ]; then printf 'would run: %s\n' "$*"; else "$@"; fi
}

parse_common() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --prefix) PREFIX="${2:?--prefix needs a directory}"; shift 2 ;;
            --wheel) WHEEL="${2:?--wheel needs a file}"; shift 2 ;;
            --dry-run) DRY_RUN=1; shift ;;
            -h|--help) usage; exit 0 ;;
            *) EXTRA_ARGS+=("$1"); shift ;;
        esac
    done
    if [ -z "$PREFIX" ] && [ "$DRY_RUN" = 0 ] && [ "$(id -u)" != 0 ]; then
        die "run as root (sudo), or with --prefix DIR to install into a directory tree"
    fi
}

# The wheel: given, or built from this checkout (so what is installed is what the tests built).
find_wheel() {
    if [ -n "$WHEEL" ]; then
        [ -f "$WHEEL" ] || die "--wheel $WHEEL does not exist"
        return
    fi
    local out
    out="$(mktemp -d)"
    say "building the wheel from $REPO"
    python3 -m pip wheel --no-deps -q -w "$out" "$REPO" || die "building the wheel failed"
    WHEEL="$(ls "$out"/counter-*.whl)"
}

install_venv() {
    local venv="$PREFIX/opt/counter"
    say "venv $venv from $(basename "$WHEEL")"
    run mkdir -p "$venv"
    [ -x "$venv/bin/python" ] || run python3 -m venv "$venv"
    run "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade "$WHEEL$1"
    run chmod 0755 "$venv"
}

# A system user with no shell and no home of its own (the data dir is its home).
system_user() {
    local user="$1" home="$2"
    if [ -n "$PREFIX" ]; then say "system user $user (skipped under --prefix)"; return; fi
    if id "$user" >/dev/null 2>&1; then say "system user $user exists"; return; fi
    run useradd --system --home-dir "$home" --no-create-home --shell /usr/sbin/nologin "$user"
}

private_dir() {  # private_dir DIR OWNER
    run install -d -m 0700 "$1"
    if [ -z "$PREFIX" ]; then run chown "$2:$2" "$1"; fi
}

# A 0600 file from a template, never overwritten (it holds the site's settings and secrets).
private_file_once() {  # private_file_once SRC DEST OWNER
    if [ -e "$2" ]; then say "$2 exists: kept"; return; fi
    run install -m 0600 "$1" "$2"
    if [ -z "$PREFIX" ]; then run chown "$3:$3" "$2"; fi
}

install_unit() {  # install_unit NAME
    run install -d -m 0755 "$PREFIX/etc/systemd/system"
    run install -m 0644 "$REPO/counter/deploy/systemd/$1" "$PREFIX/etc/systemd/system/$1"
}

systemctl_do() {
    if [ -n "$PREFIX" ]; then say "systemctl $* (skipped under --prefix)"; return; fi
    if ! command -v systemctl >/dev/null || [ ! -d /run/systemd/system ]; then
        say "systemd is not running here: run 'systemctl $*' on the target"; return
    fi
    run systemctl "$@"
}
