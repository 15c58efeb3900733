"""The register's HTTP routes on a real `counter hq serve`, both backends: signed with the clerk's id,
bounded, one-line refusals, never a 5xx, every call recorded."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
import pytest

from counter.request_signing import sign_request
from tests.register.helpers import YOSHIDA, new_station, push, service


def _get(server, station, path: str, clerk: str | None = "C-7") -> httpx.Response:
    url = f"{server.url}{path}"
    key = station.key
    headers = sign_request(key.private, key.key_id, "GET", url, b"", now=datetime.now(UTC), clerk_id=clerk)
    return httpx.get(url, headers=headers, timeout=10)


def _post(server, station, path: str, body: dict, clerk: str | None = "C-7") -> httpx.Response:
    url = f"{server.url}{path}"
    data = json.dumps(body).encode()
    key = station.key
    headers = {"content-type": "application/json",
               **sign_request(key.private, key.key_id, "POST", url, data, now=datetime.now(UTC), clerk_id=clerk)}
    return httpx.post(url, content=data, headers=headers, timeout=10)


@pytest.fixture
def district(store, tmp_path, hq_server):
    a, ca = new_station(tmp_path, "HP-01", store)
    b, _ = new_station(tmp_path, "HP-02", store)
    y = service(a, "residence_registration", ca, YOSHIDA)
    app = service(a, "permit_apply", ca, {"validity_years": "1", "proof": "1"}, person_id=y.person_id)
    push(store, a)
    server = hq_server()
    yield server, b, y.person_id, app.number
    a.close()
    b.close()


def _log(store):
    with store.transaction() as tx:
        return tx.all("SELECT station_id, clerk_id, action, ref, results FROM hq_register_access ORDER BY access_id")


def test_search_open_and_recheck_over_http_are_signed_and_recorded(district, store):
    server, b, pid, permit = district
    r = _get(server, b, f"/v1/register/persons?q={quote('jt')}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["truncated"] is False
    (hit,) = body["results"]
    assert hit["name"] == "𠮷田" and hit["id_masked"] == "110105********002X" and hit["station_id"] == "HP-01"
    assert "11010519491231002X" not in r.text
    r = _get(server, b, f"/v1/register/persons?q={quote('𠮷田 1949-12-31')}&limit=1")
    assert [h["ref"] for h in r.json()["results"]] == [pid]

    opened = _post(server, b, "/v1/register/open", {"ref": hit["ref"], "purpose": "permit_collect"})
    assert opened.status_code == 200, opened.text
    f = opened.json()
    assert f["person"]["id_number"] == "11010519491231002X"
    assert [e["kind"] for e in f["entries"]] == ["person.registered", "service.residence_registration",
                                                "service.permit_apply"]
    recheck = _get(server, b, f"/v1/register/permits/{permit}")
    assert recheck.status_code == 200
    assert recheck.json()["status"] == "accepted" and recheck.json()["last"]["station_id"] == "HP-01"
    assert _get(server, b, "/v1/register/permits/A210102-HP-09-20260101-00001X").json()["error"] == "not_found"
    assert _post(server, b, "/v1/register/open", {"ref": "f" * 32}).status_code == 404
    assert [row[:3] for row in _log(store)] == [("HP-02", "C-7", a) for a in
                                                 ("search", "search", "open", "permit", "permit", "open")]
    assert _log(store)[2][3:] == (pid, 1)


@pytest.mark.parametrize(("path", "status", "word", "says"), [
    ("/v1/register/persons?q=1234", 400, "malformed", "not an ID number"),
    ("/v1/register/persons?q=21010219880314212Y", 400, "malformed", "17 digits then a digit or X"),
    ("/v1/register/persons?q=210102198803142127", 400, "malformed", "check character"),
    ("/v1/register/persons?q=", 400, "malformed", "empty"),
    ("/v1/register/persons?q=%ED%A0%80", 400, "malformed", ""),  # a lone surrogate, CESU-style
    ("/v1/register/persons?q=zw&limit=51", 400, "malformed", "limit"),
    ("/v1/register/persons?q=zw&limit=0", 400, "malformed", "limit"),
    ("/v1/register/persons?q=" + "a" * 401, 400, "malformed", "q"),
    ("/v1/register/permits/..%2F..", 404, "not_found", ""),
    ("/v1/register/permits/" + "A" * 65, 400, "malformed", "number"),
])
def test_bad_queries_get_one_line_and_no_5xx(district, path, status, word, says):
    server, b, _, _ = district
    r = _get(server, b, path)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] == word and "\n" not in body["message"] and says in body["message"]


def test_unsigned_clerkless_forged_and_replayed_requests_are_refused(district):
    server, b, pid, _ = district
    assert httpx.get(f"{server.url}/v1/register/persons?q=jt").status_code == 401
    r = _get(server, b, "/v1/register/persons?q=jt", clerk=None)
    assert r.status_code == 401 and "clerk" in r.json()["message"]
    # the clerk header added after signing is not covered by the signature
    url = f"{server.url}/v1/register/persons?q=jt"
    headers = sign_request(b.key.private, b.key.key_id, "GET", url, b"", now=datetime.now(UTC))
    assert httpx.get(url, headers={**headers, "Counter-Clerk": "C-1"}).status_code == 401
    # a signed search replayed, and one whose query was changed after signing
    signed = sign_request(b.key.private, b.key.key_id, "GET", url, b"", now=datetime.now(UTC), clerk_id="C-7")
    assert httpx.get(url, headers=signed).status_code == 200
    assert httpx.get(url, headers=signed).status_code == 401
    fresh = sign_request(b.key.private, b.key.key_id, "GET", url, b"", now=datetime.now(UTC), clerk_id="C-7")
    assert httpx.get(url.replace("q=jt", "q=zw"), headers=fresh).status_code == 401
    body = json.dumps({"ref": pid}).encode()
    ourl = f"{server.url}/v1/register/open"
    h = sign_request(b.key.private, b.key.key_id, "POST", ourl, body, now=datetime.now(UTC), clerk_id="C-7")
    assert httpx.post(ourl, content=json.dumps({"ref": "0" * 32}).encode(),
                      headers={"content-type": "application/json", **h}).status_code == 401


def test_lookups_are_rate_limited_like_batches(store, tmp_path, server_factory, hq_url):
    b, _ = new_station(tmp_path, "HP-02", store)
    server = server_factory(hq_url, extra_args=("--rate-limit", "3/minute"))
    codes = [_get(server, b, "/v1/register/persons?q=zw").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    r = _get(server, b, "/v1/register/persons?q=zw")
    assert r.json()["error"] == "rate_limited" and int(r.headers["Retry-After"]) >= 1
    b.close()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
