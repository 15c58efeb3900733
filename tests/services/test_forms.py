"""Form specs: every shipped spec loads; a broken one is reported with file and line, the rest still load."""

import hashlib
import shutil
from importlib import resources

from counter.forms.spec import load_catalogue, parse_spec

SERVICES = {"residence_registration", "lodging_registration", "accommodation_registration", "permit_apply", "permit_extend", "permit_change",
            "permit_replace", "permit_cancel", "permit_collect", "residence_certificate", "proof_of_life",
            "criminal_record_request", "change_address", "change_employer", "change_phone", "name_correction",
            "registration_end"}


def _copy_forms(tmp_path):
    src = resources.files("templates") / "forms"
    dst = tmp_path / "forms"
    dst.mkdir()
    for item in src.iterdir():
        if item.name.endswith(".toml"):
            (dst / item.name).write_bytes(item.read_bytes())
    return dst


def test_every_shipped_spec_loads_with_labels_and_help():
    cat = load_catalogue()
    assert cat.errors == {}
    assert set(cat.specs) == SERVICES
    keys = [s.menu_key for s in cat.specs.values()]
    assert len(set(keys)) == len(keys)
    for spec in cat.specs.values():
        raw = (resources.files("templates") / "forms" / f"{spec.id}.toml").read_bytes()
        assert spec.sha256 == hashlib.sha256(raw).hexdigest()
        for f in spec.fields.values():
            assert f.label["zh"] and f.label["en"] and f.help["zh"] and f.help["en"]


def test_syntax_error_is_reported_with_file_and_line_and_others_still_load(tmp_path):
    forms = _copy_forms(tmp_path)
    path = forms / "proof_of_life.toml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[5] = 'group = "certificate'  # unterminated string on line 6
    path.write_text("\n".join(lines), encoding="utf-8")
    cat = load_catalogue(forms)
    err = cat.errors["proof_of_life"]
    assert err.line == 6 and str(err).startswith(f"{path}:6:")
    assert "proof_of_life" not in cat.specs and len(cat.specs) == len(SERVICES) - 1


def test_structure_error_names_the_field_and_its_line(tmp_path):
    forms = _copy_forms(tmp_path)
    path = forms / "change_phone.toml"
    text = path.read_text(encoding="utf-8").replace('type = "phone"', 'type = "telephone"')
    path.write_text(text, encoding="utf-8")
    err = load_catalogue(forms).errors["change_phone"]
    want = next(n for n, line in enumerate(text.splitlines(), 1) if 'id = "new_phone"' in line)
    assert err.line == want
    assert "field 'new_phone': unknown type 'telephone'" in err.message


def test_unknown_step_field_and_missing_labels_are_refused():
    base = b'id = "x"\nversion = "1"\ntitle = { zh = "x", en = "x" }\ndocument = "receipt"\n'
    spec = base + b'[[steps]]\nid = "s"\ntitle = { zh = "s", en = "s" }\nfields = ["nope"]\n' \
        b'[[fields]]\nid = "a"\nlabel = { zh = "a", en = "a" }\ntype = "text"\n'
    import pytest

    from counter.forms.spec import SpecInvalid

    with pytest.raises(SpecInvalid, match="unknown field 'nope'"):
        parse_spec(spec, "x.toml")
    with pytest.raises(SpecInvalid, match="label needs zh and en"):
        parse_spec(base + b'[[steps]]\nid = "s"\ntitle = { zh = "s", en = "s" }\nfields = ["a"]\n'
                   b'[[fields]]\nid = "a"\nlabel = { zh = "a" }\ntype = "text"\n', "x.toml")
    assert shutil  # imported for _copy_forms users


def test_doc_type_typed_as_its_number_or_label_still_means_citizen_id():
    # "1" (the help says 1=居民身份证) or the label: the ID number is checked as a citizen ID, the
    # ethnicity is required, not waved through as a passport number
    from datetime import date

    import pytest

    from counter.domain.policy import Policy
    from counter.forms.clean import Context, FormInvalid, clean

    spec = load_catalogue().get("residence_registration")
    ctx = Context(date(2026, 3, 2), Policy())
    base = {"id_number": "210102198803142121", "name": "张三", "sex": "2", "birth_date": "1988-03-14",
            "nationality": "CHN", "current_address": "沈阳市和平区南京北街1号", "arrival_date": "0",
            "stay_reason": "1"}
    for typed in ("1", "居民身份证", "Citizen ID", "citizen_id", ""):
        with pytest.raises(FormInvalid) as caught:
            clean(spec, {**base, "doc_type": typed}, ctx)
        assert set(caught.value.errors) >= {"id_number", "ethnicity", "household_address"}, typed
        assert "check character" in caught.value.errors["id_number"].template
    values = clean(spec, {**base, "doc_type": "1", "id_number": "21010219880314212X", "ethnicity": "01",
                          "household_address": "辽宁省沈阳市和平区"}, ctx)
    assert values["doc_type"] == "citizen_id" and values["id_number"] == "21010219880314212X"
    # a passport (2) takes a passport number and needs no ethnicity
    values = clean(spec, {**base, "doc_type": "2", "id_number": "E12345678", "nationality": "KOR"}, ctx)
    assert values["doc_type"] == "passport"


def test_a_german_mrz_nationality_d_becomes_deu_on_the_form():
    # ICAO 9303 writes Germany as "D<<"; the form wants ISO 3166 alpha-3 and refused the card's own value
    from dataclasses import replace
    from datetime import date

    import pytest

    from counter.demo_cards import SAMPLE_CARDS
    from counter.domain.fields import check_nationality
    from counter.domain.policy import Policy
    from counter.errors import ValidationError
    from counter.forms.clean import Context, clean_field
    from counter.services.cards import card_prefill

    passport = next(c for c in SAMPLE_CARDS if c.nationality == "KOR")
    assert card_prefill(replace(passport, nationality="D"))["nationality"] == "DEU"
    assert card_prefill(passport)["nationality"] == "KOR"
    spec = load_catalogue().get("lodging_registration").fields["nationality"]
    ctx = Context(date(2026, 3, 2), Policy())
    for typed in ("D", "d", "D<<", "deu"):
        assert clean_field(spec, typed, ctx) == "DEU"
    for bad in ("DE", "CHN1", "中国"):
        with pytest.raises(ValidationError, match="3-letter"):
            check_nationality(bad)


def test_the_locked_identity_fields_come_from_the_specs():
    """`identity = true` in a form spec is the one definition: the engine locks those fields of a person on
    file, records them in person.registered and keeps them out of the service entry."""
    from counter.forms.spec import catalogue
    from db.projectors.services import PERSON_COLUMNS

    specs = catalogue().specs
    filing = [spec for spec in specs.values() if spec.person == "any"]
    assert filing, "no form files a new person"
    for spec in filing:  # a form that files a new person marks who the person is
        assert {"doc_type", "id_number", "name"} <= set(spec.identity_fields), spec.id
    for spec in specs.values():
        assert set(spec.identity_fields) <= set(PERSON_COLUMNS), spec.id
