"""HQ's business flags are those ingest computed before its per-batch shortcuts; the payload check's fast
path (msgspec) gives json.loads' verdict on any text."""

import json
import sys
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from counter.hq.ingest import CLOCK_TOLERANCE_S, _flagger, _payload_flag, business_flags
from counter.sync.protocol import parse_utc, utc_now_text
from db.journal import SCHEMA_VER


def reference(payload: str) -> str | None:
    """The check as ingest made it before the fast path."""
    try:
        return None if isinstance(json.loads(payload), dict) else "payload_not_object"
    except ValueError:
        return "payload_not_json"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12)
# what a corrupted or hand-made payload is made of: JSON's punctuation, number and literal characters,
# escapes, control and non-BMP characters, a lone surrogate
pieces = st.sampled_from(list('{}[],:"\\ \t\n\r\x0c.eE+-0123456789tfnrulasxU/') + [
    "\x00", "\x01", "\x1f", "\x7f", "\u2028", "\ufeff", "𠮷", "\ud842", "\\u", "\\ud800", "\\ud842\\udfb7", "NaN",
    "Infinity", "-Infinity", "true", "null", "1e999", "01", "-0", "1.", ".5"])


@st.composite
def payloads(draw):
    text = json.dumps(draw(json_values), ensure_ascii=draw(st.booleans()),
                      separators=draw(st.sampled_from([(",", ":"), (", ", ": ")])))
    if draw(st.booleans()):
        text = json.dumps({"k": json.loads(text)}, ensure_ascii=False)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        how = draw(st.sampled_from(["insert", "replace", "delete"]))
        piece = draw(pieces)
        if how == "insert":
            text = text[:at] + piece + text[at:]
        elif how == "replace":
            text = text[:at] + piece + text[at + 1:]
        else:
            text = text[:at] + text[at + 1:]
    return text


@settings(max_examples=2000, deadline=None)
@given(payloads())
@example('{"a":NaN}')
@example('{"a":1e999}')
@example('{"a":"\\ud800"}')
@example('{"a":"\x01"}')
@example('\ufeff{}')
@example('{"a":1} x')
@example('{"a":"x\ud842"}')
def test_fast_path_agrees_with_json_loads(payload):
    assert _payload_flag(payload, sys.get_int_max_str_digits()) == reference(payload)


def test_an_integer_longer_than_pythons_limit_is_not_json_as_before():
    limit = sys.get_int_max_str_digits()
    for digits in (limit, limit + 1, limit + 500):
        payload = '{"n":' + "1" * digits + "}"
        assert _payload_flag(payload, limit) == reference(payload)
    assert _payload_flag('{"n":' + "1" * (limit + 1) + "}", limit) == "payload_not_json"


def test_deep_nesting_is_left_to_json_loads():
    for depth in (10, 399, 400, 600):
        payload = '{"a":' + "[" * depth + "]" * depth + "}"
        assert _payload_flag(payload, sys.get_int_max_str_digits()) == reference(payload)


def reference_flags(entry: dict, server_now: datetime, batch_offset_s: float) -> list[str]:
    """business_flags as ingest computed them before it worked out per batch what it could."""
    import re

    flags = []
    try:
        if not isinstance(json.loads(entry["payload"]), dict):
            flags.append("payload_not_object")
    except ValueError:
        flags.append("payload_not_json")
    if not re.match(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$", entry["kind"]):
        flags.append("kind_malformed")
    if entry["schema_ver"] != SCHEMA_VER:
        flags.append("unknown_schema_ver")
    if not re.match(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", entry["uuid"]):
        flags.append("uuid_malformed")
    try:
        date.fromisoformat(entry["business_day"])
    except ValueError:
        flags.append("business_day_malformed")
    try:
        if (parse_utc(entry["device_time_utc"]) - server_now).total_seconds() > CLOCK_TOLERANCE_S:
            flags.append("device_time_in_future")
    except ValueError:
        flags.append("device_time_malformed")
    if abs(batch_offset_s) > CLOCK_TOLERANCE_S:
        flags.append("station_clock_offset")
    return flags


NOW = datetime(2026, 3, 2, 8, 0, 0, 123456, tzinfo=UTC)
TIMES = [utc_now_text(NOW + timedelta(seconds=s, microseconds=u)) for s in (-86400, 0, 299, 300, 301)
         for u in (-1, 0, 1)] + [
    "2026-03-02T08:05:00Z", "2026-03-02T08:05:01.5Z", "2026-03-02T16:05:00+08:00Z", "2026-03-02T08:05:00+00:00",
    "2026-03-02 08:06:00Z", "2026-03-02Z", "20260302T080600Z", "Z", "", "2026-02-30T08:00:00Z", "now", "𠮷Z",
    "2026-03-02T08:05:00.123456789Z", "9999-12-31T23:59:59.999999Z"]


@pytest.mark.parametrize("offset_s", [0.0, 300.0, -300.5, 4000.0])
@pytest.mark.parametrize("server_now", [NOW, NOW.astimezone(timezone(timedelta(hours=8)))])
def test_flags_are_the_same_as_before_for_every_field(offset_s, server_now):
    base = {"payload": '{"a":1}', "kind": "person.registered", "schema_ver": SCHEMA_VER,
            "uuid": "0b7a3c2e-1f4d-4a8b-9c6e-2d5f7a9b1c3e", "business_day": "2026-03-02",
            "device_time_utc": TIMES[0]}
    variants = [{"device_time_utc": t} for t in TIMES] + [
        {"payload": p} for p in ("[1]", "nope", "", '{"a":NaN}', "null", '"{}"')] + [
        {"kind": k} for k in ("person", "Person.registered", "a.b", "a.b.c", "a.", "𠮷.b", "")] + [
        {"schema_ver": v} for v in (0, 2, -1)] + [
        {"uuid": u} for u in ("", "0B7A3C2E-1F4D-4A8B-9C6E-2D5F7A9B1C3E", "0b7a3c2e1f4d4a8b9c6e2d5f7a9b1c3e")] + [
        {"business_day": d} for d in ("2026-02-30", "2026-3-2", "20260302", "", "2026-03-02T00:00")]
    flagger = _flagger(server_now, offset_s)
    for change in variants:
        entry = dict(base, **change)
        assert business_flags(entry, server_now, offset_s) == reference_flags(entry, server_now, offset_s), change
        assert flagger(entry) == reference_flags(entry, server_now, offset_s), change
