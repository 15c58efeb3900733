"""db.chain.entry_hasher (HQ's ingest) computes exactly db.chain.entry_hash's digest, whatever the entry holds."""

import random
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from db.chain import GENESIS_HASH, canonical_json, entry_hash, entry_hasher

BASE = {"seq": 1, "uuid": "0b7a3c2e-1f4d-4a8b-9c6e-2d5f7a9b1c3e", "business_day": "2026-03-02",
        "device_time_utc": "2026-03-02T08:00:00.000000Z", "monotonic_ns": 123456789, "boot_id": "boot",
        "clerk_id": "C001", "kind": "person.registered", "schema_ver": 1,
        "payload": canonical_json({"name": "𠮷田·阿依古丽", "id_number": "11010519491231002X"}),
        "prev_hash": GENESIS_HASH, "hash": "f" * 64}

TEXTS = ["", "𠮷", "\ud842\udfb7".encode("utf-16", "surrogatepass").decode("utf-16"), "阿依古丽·买买提",
         'quote " backslash \\ slash /', "tab\tnew\nline\r", "\x00\x01\x1f\x7f", "\u2028\u2029", "é\u0301",
         "😀" * 3, " leading and trailing ", "{\"json\": [1, 2]}"]
VALUES = [*TEXTS, 0, -1, 2**63 - 1, 2**70, None, True, False, 1.5, -0.0, 1e300, [1, "𠮷"], {"b": 1, "a": [None]}]


def _same(station_id: str, e: dict) -> None:
    assert entry_hasher(station_id)(e) == entry_hash(station_id, e)


def test_the_bench_generators_entries_hash_the_same():
    from tests.bench.register import journals

    entries, _ = journals(60, 2, random.Random(7))
    for sid, rows in entries.items():
        digest = entry_hasher(sid)
        assert all(digest(e) == e["hash"] == entry_hash(sid, e) for e in rows)


@pytest.mark.parametrize("field", [f for f in BASE if f not in ("hash",)])
def test_every_field_with_every_kind_of_value(field):
    for value in VALUES:
        e = dict(BASE, **{field: value})
        if field in ("payload", "prev_hash") and not isinstance(value, str):
            with pytest.raises(AttributeError):  # both call .encode() on it
                entry_hash("ST-01", e)
            with pytest.raises(AttributeError):
                entry_hasher("ST-01")(e)
            continue
        _same("ST-01", e)
        _same("站点𠮷", e)


def test_a_changed_field_changes_the_digest():
    digest = entry_hasher("ST-01")
    seen = {digest(BASE)}
    for field in ("uuid", "business_day", "device_time_utc", "boot_id", "clerk_id", "kind", "payload", "prev_hash"):
        seen.add(digest(dict(BASE, **{field: BASE[field] + "x" if field != "clerk_id" else None})))
    seen.add(digest(dict(BASE, seq=2)))
    seen.add(digest(dict(BASE, monotonic_ns=1)))
    seen.add(digest(dict(BASE, schema_ver=2)))
    assert len(seen) == 12


def test_lone_surrogates_fail_alike():
    for field in ("uuid", "payload", "clerk_id", "kind"):
        e = dict(BASE, **{field: "x\ud842"})
        with pytest.raises(UnicodeEncodeError):
            entry_hash("ST-01", e)
        with pytest.raises(UnicodeEncodeError):
            entry_hasher("ST-01")(e)


def test_a_missing_field_fails_alike():
    e = dict(BASE)
    del e["kind"]
    with pytest.raises(KeyError):
        entry_hash("ST-01", e)
    with pytest.raises(KeyError):
        entry_hasher("ST-01")(e)


text = st.text(st.characters(codec="utf-8"), max_size=40)
value = st.one_of(text, st.integers(), st.none(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False))


@settings(max_examples=300, deadline=None)
@given(station=st.text(st.characters(codec="utf-8"), min_size=1, max_size=12), seq=st.integers(1, 2**63),
       header=st.fixed_dictionaries({f: value for f in ("uuid", "business_day", "device_time_utc", "monotonic_ns",
                                                        "boot_id", "clerk_id", "kind", "schema_ver")}),
       payload=text, prev=text)
def test_any_entry(station, seq, header, payload, prev):
    _same(station, {"seq": seq, **header, "payload": payload, "prev_hash": prev, "hash": "0" * 64,
                    "uuid": header["uuid"] if header["uuid"] is not None else str(uuid.UUID(int=seq))})
