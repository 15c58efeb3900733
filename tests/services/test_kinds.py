"""db/kinds.py: every kind the station writes is declared, and its payload has the declared shape."""

from __future__ import annotations

import json
import re
import typing

from db import kinds
from tests.conftest import REPO


def _declared_keys(shape) -> set[str]:
    return set(typing.get_type_hints(shape))


def test_every_entry_the_services_write_matches_its_declared_payload(station, clerk):
    from counter.services.seed import seed

    seed(station, 120, clerk=clerk, rng_seed=11)
    seen = set()
    for kind, payload in station.db.conn.execute("SELECT kind, payload FROM journal"):
        data = json.loads(payload)
        shape = kinds.payload_type(kind)
        assert shape is not None, f"{kind} is not declared in db/kinds.py"
        assert kinds.missing_keys(kind, data) == [], kind
        if shape is not kinds.DayClosed:  # the day's figures are merged in at its top level
            assert set(data) <= _declared_keys(shape), (kind, set(data) - _declared_keys(shape))
        seen.add(kind)
    assert {kinds.STATION_INITIALIZED, kinds.PERSON_REGISTERED, kinds.CLERK_ADDED} <= seen
    assert sum(1 for k in seen if kinds.service_of(k)) >= 5


def test_service_kinds():
    assert kinds.service_kind("permit_extend") == "service.permit_extend"
    assert kinds.service_of("service.permit_extend") == "permit_extend"
    assert kinds.service_of(kinds.SERVICE_VOIDED) is None
    assert kinds.service_of(kinds.PRINT_QUEUED) is None
    assert kinds.payload_type("service.permit_extend") is kinds.ServiceDone
    assert kinds.payload_type("no.such_kind") is None


def test_no_kind_is_spelled_as_a_literal_outside_kinds():
    """The code names kinds through db.kinds; a string "clerk.added" elsewhere is a second definition.

    (Whole Python string tokens; a kind inside an SQL text is not one.)"""
    import io
    import tokenize

    literals = {v for k, v in vars(kinds).items() if k.isupper() and isinstance(v, str) and "." in v}
    offenders = []
    for room in ("counter", "db", "screens"):
        for path in (REPO / room).rglob("*.py"):
            if path == REPO / "db" / "kinds.py":
                continue
            tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
            for tok in tokens:
                if tok.type == tokenize.STRING and tok.string[1:-1] in literals and tok.string[0] in "\"'":
                    offenders.append(f"{path.relative_to(REPO)}:{tok.start[0]} {tok.string}")
    assert offenders == []


def test_kinds_is_a_pure_leaf():
    text = (REPO / "db" / "kinds.py").read_text(encoding="utf-8")
    imports = re.findall(r"^(?:from|import)\s+([\w.]+)", text, re.M)
    assert set(imports) <= {"typing"}
