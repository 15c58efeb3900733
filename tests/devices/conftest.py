from __future__ import annotations

import pytest

from tests.devices.pcscd import Pcscd, missing


@pytest.fixture(scope="session")
def pcscd():
    """A real pcscd with the vpcd driver, for the whole session; stopped at the end."""
    reason = missing()
    if reason:
        pytest.skip(f"real PC/SC stack unavailable: {reason}")
    daemon = Pcscd()
    daemon.start()
    yield daemon
    daemon.cleanup()


@pytest.fixture
def stack(pcscd):
    """pcscd running with its reader, and no card left in it after the test."""
    if pcscd.proc is None or pcscd.proc.poll() is not None or "Virtual PCD 00 00" not in pcscd.readers():
        pcscd.restart()
    cards = []

    def insert(card, **options):
        from devices.sim.vpcd import VpcdCard

        sim = VpcdCard(card, port=pcscd.port, **options).start()
        cards.append(sim)
        return sim

    pcscd.insert = insert
    yield pcscd
    for sim in cards:
        sim.stop()
    if pcscd.proc is not None and pcscd.proc.poll() is None:
        pcscd.wait_card(False)


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory):
    from devices.sim.pki import load_or_create

    directory = tmp_path_factory.mktemp("pki")
    pki = load_or_create(directory / "keys")
    trust = directory / "csca"
    pki.write_csca(trust)
    return pki, trust
