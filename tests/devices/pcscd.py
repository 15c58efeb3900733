"""A private pcscd with vsmartcard-vpcd on a free port, for real-stack tests and benchmarks.

pcscd runs in the foreground (-f, no --auto-exit) with its own reader.conf.d, so
the vpcd port is ours. Readiness is waited for on pcscd's own state (context
available, reader listed via PnP notifications), never with fixed sleeps.

It is private: it runs in its own mount namespace (`unshare -m`) where /run/pcscd
is a directory of ours, so a pcscd already running on the machine (its pid file,
its socket) neither stops it nor answers in its place. Our clients (this process,
and every CLI it starts) reach it through pcsc-lite's PCSCLITE_CSOCK_NAME, which
`isolate()` sets for the whole test process before pyscard's first call.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
READER = "Virtual PCD 00 00"
SOCKET_ENV = "PCSCLITE_CSOCK_NAME"  # read once per process by libpcsclite, at its first call
SYSTEM_RUN = Path("/run/pcscd")


def isolate() -> Path:
    """Point this process's PC/SC clients (and its children) at our private pcscd's socket.

    Call before anything in the process talks to pcscd: libpcsclite reads the variable once.
    With no private pcscd started, clients find no service, rather than a pcscd of the machine's."""
    if not os.environ.get(SOCKET_ENV):
        run = Path(tempfile.mkdtemp(prefix="counter-pcscd-run-"))
        atexit.register(shutil.rmtree, run, True)
        os.environ[SOCKET_ENV] = str(run / "pcscd.comm")
    sock = Path(os.environ[SOCKET_ENV])
    sock.parent.mkdir(parents=True, exist_ok=True)
    return sock


def _private_command() -> list[str] | None:
    """The prefix that runs pcscd with our directory as its /run/pcscd, or None if it cannot."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    flags = ["--mount"] if os.geteuid() == 0 else ["--map-root-user", "--mount"]
    probe = subprocess.run([unshare, *flags, "true"], capture_output=True)
    return [unshare, *flags] if probe.returncode == 0 else None


def _other_pcscd() -> str | None:
    """A pcscd of the machine's (not started by us), described in a few words, or None."""
    pid = SYSTEM_RUN / "pcscd.pid"
    try:
        return f"pid {int(pid.read_text().split()[0])} ({pid})"
    except (OSError, ValueError, IndexError):
        pass
    return f"listening on {SYSTEM_RUN / 'pcscd.comm'}" if (SYSTEM_RUN / "pcscd.comm").exists() else None


def missing() -> str | None:
    """Why the real stack cannot run here, or None."""
    if shutil.which("pcscd") is None:
        return "pcscd is not installed (apt-get install pcscd)"
    if not VPCD_DRIVER.exists():
        return "vsmartcard-vpcd is not installed (apt-get install vsmartcard-vpcd)"
    return None


def free_port_pair() -> int:
    """A port p with p and p+1 free (vpcd opens one per virtual slot)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port > 65000:
            continue
        try:
            with socket.socket() as s2:
                s2.bind(("0.0.0.0", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port pair")


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.02)  # polling interval while waiting on a condition, not a synchronisation delay


class Pcscd:
    def __init__(self, port: int | None = None):
        self.port = port or free_port_pair()
        self.dir = Path(tempfile.mkdtemp(prefix="counter-pcscd-"))
        self.with_vpcd = self.dir / "with-vpcd"
        self.without = self.dir / "no-readers"
        self.with_vpcd.mkdir()
        self.without.mkdir()
        (self.with_vpcd / "vpcd").write_text(
            f'FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:0x{self.port:04X}\n'
            f"LIBPATH {VPCD_DRIVER}\nCHANNELID 0x{self.port:04X}\n")
        self.proc: subprocess.Popen | None = None
        self.log = self.dir / "pcscd.log"

    def start(self, readers: bool = True, timeout: float = 15.0) -> None:
        conf = self.with_vpcd if readers else self.without
        sock = isolate()
        for leftover in (sock, sock.parent / "pcscd.pid"):
            leftover.unlink(missing_ok=True)
        prefix = _private_command()
        if prefix is not None:
            # Our directory becomes /run/pcscd in pcscd's own mount namespace only; the socket it
            # creates there is the file our clients name in PCSCLITE_CSOCK_NAME.
            script = 'mkdir -p "$1" && mount --bind "$2" "$1" && shift 2 && exec "$@"'
            command = [*prefix, "sh", "-c", script, "sh", str(SYSTEM_RUN), str(sock.parent)]
        elif (other := _other_pcscd()) is not None:
            raise RuntimeError(f"another pcscd is running ({other}) and a private one cannot be started here "
                               "(unshare -m is not permitted): stop that pcscd, or allow mount namespaces")
        else:
            # No namespace, but no other daemon either: ours takes the machine's place for the run.
            sock.symlink_to(SYSTEM_RUN / "pcscd.comm")
            command = []
        self._log = self.log.open("ab")
        self.proc = subprocess.Popen([*command, "pcscd", "-f", "-c", str(conf)], stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        _wait(self._service_up, timeout, "pcscd to accept clients")
        if readers:
            self.wait_reader(timeout)

    def _service_up(self) -> bool:
        from smartcard import scard

        if self.proc is None:
            return False
        if self.proc.poll() is not None:
            raise RuntimeError(f"pcscd exited with {self.proc.returncode}; see {self.log}")
        # Only our daemon's socket counts: a pcscd of the machine's answers elsewhere.
        if not isolate().exists():
            return False
        hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            return False
        scard.SCardReleaseContext(ctx)
        return True

    def readers(self) -> list[str]:
        from smartcard import scard

        hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            return []
        try:
            hresult, names = scard.SCardListReaders(ctx, [])
            return list(names) if hresult == scard.SCARD_S_SUCCESS else []
        finally:
            scard.SCardReleaseContext(ctx)

    def wait_reader(self, timeout: float = 15.0) -> None:
        """Block on pcscd's reader-list notifications until the vpcd reader is there."""
        from smartcard import scard

        deadline = time.monotonic() + timeout
        hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        try:
            while READER not in self.readers():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("timed out waiting for the vpcd reader")
                _, states = scard.SCardGetStatusChange(ctx, 0, [("\\\\?PnP?\\Notification", 0)])
                known = states[0][1] & ~scard.SCARD_STATE_CHANGED if states else 0
                scard.SCardGetStatusChange(ctx, int(min(left, 1.0) * 1000), [("\\\\?PnP?\\Notification", known)])
        finally:
            scard.SCardReleaseContext(ctx)

    def wait_card(self, present: bool, timeout: float = 10.0) -> None:
        """Block on the reader's state changes until a card is (or is not) present."""
        from smartcard import scard

        deadline = time.monotonic() + timeout
        hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            raise RuntimeError("pcscd is not running")
        try:
            state = scard.SCARD_STATE_UNAWARE
            while True:
                hresult, states = scard.SCardGetStatusChange(ctx, 0, [(READER, state)])
                event = states[0][1]
                if bool(event & scard.SCARD_STATE_PRESENT) == present and not event & scard.SCARD_STATE_MUTE:
                    return
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"timed out waiting for card present={present}")
                state = event & ~scard.SCARD_STATE_CHANGED
                scard.SCardGetStatusChange(ctx, int(min(left, 1.0) * 1000), [(READER, state)])
        finally:
            scard.SCardReleaseContext(ctx)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def restart(self, readers: bool = True) -> None:
        self.stop()
        self.start(readers=readers)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
