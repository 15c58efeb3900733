"""A private pcscd with vsmartcard-vpcd on a free port, for real-stack tests and benchmarks.

pcscd runs in the foreground (-f, no --auto-exit) with its own reader.conf.d, so
the vpcd port is ours. Readiness is waited for on pcscd's own state (context
available, reader listed via PnP notifications), never with fixed sleeps.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
READER = "Virtual PCD 00 00"


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
        self._log = self.log.open("ab")
        self.proc = subprocess.Popen(["pcscd", "-f", "-c", str(conf)], stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        _wait(self._service_up, timeout, "pcscd to accept clients")
        if readers:
            self.wait_reader(timeout)

    def _service_up(self) -> bool:
        from smartcard import scard

        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"pcscd exited with {self.proc.returncode}; see {self.log}")
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
