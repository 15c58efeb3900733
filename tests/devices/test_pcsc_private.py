"""The suite's pcscd is private: a pcscd already running on the machine neither stops it nor answers for it."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO
from tests.devices.pcscd import SOCKET_ENV, SYSTEM_RUN, missing

pytestmark = pytest.mark.pcsc

OURS = """
from tests.devices.pcscd import Pcscd, isolate
import os
daemon = Pcscd()
try:
    daemon.start()
    print(os.environ["PCSCLITE_CSOCK_NAME"])
    print("|".join(daemon.readers()))
finally:
    daemon.cleanup()
"""

THEIRS = """
from smartcard import scard
hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
assert hresult == scard.SCARD_S_SUCCESS, hresult
hresult, names = scard.SCardListReaders(ctx, [])
print("|".join(names if hresult == scard.SCARD_S_SUCCESS else []))
"""


@pytest.fixture
def machine_pcscd(tmp_path):
    """A pcscd of the machine's at /run/pcscd, with no readers (started here unless one runs already)."""
    if missing():
        pytest.skip(missing())
    if (SYSTEM_RUN / "pcscd.comm").exists():
        yield None
        return
    conf = tmp_path / "no-readers"
    conf.mkdir()
    proc = subprocess.Popen(["pcscd", "-f", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while not (SYSTEM_RUN / "pcscd.comm").exists():
        assert proc.poll() is None and time.monotonic() < deadline, "the machine's pcscd did not start"
        time.sleep(0.05)  # polling interval while waiting for the socket, not a synchronisation delay
    yield proc
    proc.terminate()
    proc.wait(10)


def _python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO,
                          timeout=60)


def test_private_pcscd_runs_beside_the_machines_and_answers_alone(machine_pcscd):
    env = {k: v for k, v in os.environ.items() if k != SOCKET_ENV}
    env["PYTHONPATH"] = str(REPO)
    ours = _python(OURS, env)
    assert ours.returncode == 0, ours.stderr
    sock, readers = ours.stdout.splitlines()
    assert sock != str(SYSTEM_RUN / "pcscd.comm")
    assert "Virtual PCD 00 00" in readers.split("|")
    # The machine's daemon is untouched: still running, still on its own socket.
    if machine_pcscd is not None:
        assert machine_pcscd.poll() is None
        theirs = _python(THEIRS, {**env, SOCKET_ENV: str(SYSTEM_RUN / "pcscd.comm")})
        assert theirs.returncode == 0, theirs.stderr
        assert "Virtual PCD" not in theirs.stdout
    assert (SYSTEM_RUN / "pcscd.comm").exists()


def test_the_suite_never_talks_to_the_machines_pcscd():
    assert os.environ[SOCKET_ENV] != str(SYSTEM_RUN / "pcscd.comm")
