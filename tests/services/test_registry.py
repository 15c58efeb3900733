"""One service registry, from the form specs: the day report, export summary and receipt agree with them."""

from __future__ import annotations

import tomllib

from counter.forms import registry
from counter.forms import spec as forms
from tests.conftest import REPO


def test_the_registry_is_the_form_specs():
    specs = forms.catalogue().specs
    assert set(registry.services()) == set(specs) and len(specs) == 17
    for sid, service in registry.services().items():
        assert service.label("zh_CN") == specs[sid].title["zh"]
        assert service.label("en") == specs[sid].title["en"]
        assert service.menu_key == specs[sid].menu_key
    assert registry.certificate_services() == ("proof_of_life", "residence_certificate")


def test_the_day_report_names_a_service_as_its_form_does():
    assert registry.label("permit_extend") == "居住证延期（签注）"  # it said 居住证延期 before
    assert registry.label("no_such_service") == "no_such_service"


def test_the_receipt_layout_no_longer_names_the_form_services():
    layout = tomllib.loads((REPO / "templates" / "receipts" / "acceptance.toml").read_text(encoding="utf-8"))
    assert set(layout["service_names"]) & set(registry.services()) == set()


def test_a_receipt_prints_the_forms_name(station, clerk):
    from counter.services import documents
    from counter.services.seed import seed
    from printing.receipt import preview_lines

    seed(station, 40, clerk=clerk, rng_seed=3)
    row = station.db.conn.execute("SELECT seq FROM journal WHERE kind = 'service.permit_apply' LIMIT 1").fetchone()
    if row is None:
        row = station.db.conn.execute("SELECT seq FROM journal WHERE kind LIKE 'service.%' "
                                      "AND kind NOT IN ('service.voided', 'service.corrected') LIMIT 1").fetchone()
    from db import journal

    entry = journal.get(station.db, row[0])
    receipt = documents.from_entry(station, entry)
    service = entry.data["service"]
    assert receipt.service_name == registry.label(service)
    assert any(registry.label(service) in line for line in preview_lines(receipt, "generic-80"))
