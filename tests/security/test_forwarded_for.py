"""X-Forwarded-For at the HQ sign-in limit: ignored from an untrusted peer (a forged header does not dodge
the per-address limit), believed from a trusted reverse proxy (each client behind it counts for itself:
an office is not locked out as one), the right-most untrusted address in it being the client. Real
`counter hq serve` processes on loopback; the audit records the address that was counted."""

from __future__ import annotations

import httpx
import pytest

from counter.errors import ConfigError
from counter.hq import admin, staff
from counter.hq.limits import Limits
from counter.hq.store import open_store
from tests.conftest import run_cli
from tests.sync.fixtures import HQServer

NAME, PASSWORD = "张科长", "correct horse battery"


def hq(tmp_path, *extra: str):
    key, _ = admin.init_keys(tmp_path / "keys")
    url = f"sqlite:///{tmp_path / 'hq.db'}"
    store = open_store(url, key)
    store.init_schema()
    staff.add_user(store, NAME, "admin", PASSWORD)
    return store, HQServer(url, tmp_path / "keys", extra_args=("--signin-rate", "3/minute", *extra)).start()


def guess(server, forwarded: str | None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    r = httpx.post(f"{server.url}/dash/login", data={"name": NAME, "password": "wrong password!", "csrf": "x"},
                   cookies={"counter_dash_login": "x"}, headers=headers)
    return r.status_code


def clients(store) -> list[str]:
    with store.transaction() as tx:
        return sorted({r[0] for r in tx.all("SELECT client FROM hq_staff_audit WHERE action LIKE 'sign_in%'")})


def test_a_forged_header_from_an_untrusted_peer_is_ignored(tmp_path):
    store, server = hq(tmp_path)  # no --trusted-proxy: the default
    try:
        # a guesser that makes up a new address for every try is still one address, its own
        assert [guess(server, f"203.0.113.{i}") for i in range(3)] == [401, 401, 401]
        assert guess(server, "203.0.113.99") == 429
        assert guess(server, None) == 429
        assert clients(store) == ["127.0.0.1"]
    finally:
        server.stop()


def test_behind_a_trusted_proxy_each_client_counts_for_itself(tmp_path):
    store, server = hq(tmp_path, "--trusted-proxy", "127.0.0.0/8", "--trusted-proxy", "10.1.0.0/16")
    try:
        assert [guess(server, "198.51.100.7") for _ in range(3)] == [401, 401, 401]
        assert guess(server, "198.51.100.7") == 429
        # a colleague behind the same proxy is not locked out
        assert guess(server, "198.51.100.8") == 401
        # the client's own forged left-most entry is not believed: the proxies appended the real one, and
        # the right-most address that is no trusted proxy (10.1.2.3 is one, a second proxy hop) is the client
        assert guess(server, "192.0.2.1, 198.51.100.7, 10.1.2.3") == 429
        assert clients(store) == ["198.51.100.7", "198.51.100.8"]
    finally:
        server.stop()


def test_a_trusted_proxy_that_is_not_an_address_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match="not an IP address or network"):
        Limits(trusted_proxies=("proxy.example",)).check()
    assert Limits(trusted_proxies=("10.0.0.7", "10.0.0.0/8")).check().trusted_proxies == ("10.0.0.7/32",
                                                                                          "10.0.0.0/8")
    r = run_cli("hq", "serve", "--db", f"sqlite:///{tmp_path / 'hq.db'}", "--key-dir", str(tmp_path / "k"),
                "--trusted-proxy", "proxy.example")
    assert r.returncode != 0 and "--trusted-proxy 'proxy.example' is not an IP address" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
