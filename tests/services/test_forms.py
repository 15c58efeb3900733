"""Form specs: every shipped spec loads; a broken one is reported with file and line, the rest still load."""

import hashlib
import shutil
from importlib import resources

from counter.forms import load_catalogue, parse_spec

SERVICES = {"residence_registration", "lodging_registration", "permit_apply", "permit_extend", "permit_change",
            "permit_replace", "permit_cancel", "permit_collect", "residence_certificate", "proof_of_life",
            "criminal_record_request", "change_address", "change_employer", "change_phone", "name_correction"}


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

    from counter.forms import SpecInvalid

    with pytest.raises(SpecInvalid, match="unknown field 'nope'"):
        parse_spec(spec, "x.toml")
    with pytest.raises(SpecInvalid, match="label needs zh and en"):
        parse_spec(base + b'[[steps]]\nid = "s"\ntitle = { zh = "s", en = "s" }\nfields = ["a"]\n'
                   b'[[fields]]\nid = "a"\nlabel = { zh = "a" }\ntype = "text"\n', "x.toml")
    assert shutil  # imported for _copy_forms users
