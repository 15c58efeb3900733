"""station.toml as typed, frozen sections, every range and choice checked at load naming file and key."""

from __future__ import annotations

import pytest

from counter.config import load_config
from counter.config_schema import KEYS
from counter.domain.language import LANGS, pick, text_key
from counter.errors import ConfigError

BASE = '[station]\nid = "T-1"\ndistrict = "210102"\noffice = "和平区政务服务中心"\n'


def _write(tmp_path, extra: str = ""):
    (tmp_path / "station.toml").write_text(BASE + extra, encoding="utf-8")
    return tmp_path / "station.toml"


def test_settings_are_typed_and_frozen(tmp_path):
    _write(tmp_path, "[security]\nmax_failed_pins = 3\n[printer]\ntimeout_seconds = 2\n")
    settings = load_config(tmp_path).settings
    assert settings.security.max_failed_pins == 3
    assert settings.printer.timeout_seconds == 2.0 and isinstance(settings.printer.timeout_seconds, float)
    assert settings.station.office == "和平区政务服务中心"
    assert settings.policy.registration_deadline_days >= 0  # from templates/policy/default.toml
    with pytest.raises(AttributeError):
        settings.security.max_failed_pins = 100
    with pytest.raises(AttributeError):
        settings.security = None


def test_the_default_time_zone_is_not_looked_up_but_loads_and_another_is_checked(tmp_path):
    from zoneinfo import ZoneInfo

    assert str(ZoneInfo(KEYS["station"]["timezone"].default)) == "Asia/Shanghai"  # tzdata is a dependency
    path = _write(tmp_path)
    path.write_text(BASE.replace('[station]\n', '[station]\ntimezone = "Asia/Shanghia"\n'), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert str(err.value) == f"{path}: [station] timezone Asia/Shanghia is not a known time zone"
    path.write_text(BASE.replace('[station]\n', '[station]\ntimezone = "Asia/Urumqi"\n'), encoding="utf-8")
    assert load_config(tmp_path).settings.station.timezone == "Asia/Urumqi"


RANGED = [(section, name, key.rule.low, key.rule.high) for section, keys in KEYS.items()
          for name, key in keys.items() if key.rule.low is not None and section != "policy"]


def test_ranges_are_declared():
    assert len(RANGED) >= 10


@pytest.mark.parametrize(("section", "key", "low", "high"), RANGED, ids=[f"{s}.{k}" for s, k, _, _ in RANGED])
def test_a_value_out_of_range_names_file_and_key(tmp_path, section, key, low, high):
    kind = KEYS[section][key].kind
    for bad in ((low - 1, high + 1) if kind is int else (round(low - 0.01, 6), float(high) + 1)):
        path = _write(tmp_path, f"[{section}]\n{key} = {bad}\n")
        with pytest.raises(ConfigError) as err:
            load_config(tmp_path)
        assert str(err.value).startswith(f"{path}: [{section}] {key} is {bad}; it must be from {low} to {high}")
    _write(tmp_path, f"[{section}]\n{key} = {high}\n")
    assert getattr(getattr(load_config(tmp_path).settings, section), key) == high


@pytest.mark.parametrize(("section", "key", "value", "allowed"), [
    ("station", "lang", '"fr"', "zh_CN, en"),
    ("reader", "kind", '"usb"', "pcsc, simulated, none"),
    ("printer", "model", '"generic-99"', "big5-80, gb18030-80, generic-58, generic-80"),
    ("printer", "kind", '"laser"', "file"),
])
def test_a_value_not_among_its_choices_names_them(tmp_path, section, key, value, allowed):
    path = tmp_path / "station.toml"
    text = BASE.replace('[station]\n', f'[station]\n{key} = {value}\n') if section == "station" else \
        BASE + f"[{section}]\n{key} = {value}\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert str(err.value).startswith(f"{path}: [{section}] {key} is {value.replace(chr(34), chr(39))}; it must be one of")
    assert allowed in str(err.value)


def test_the_cli_says_it_in_one_line(tmp_path, cli):
    from counter.station import Station

    Station.init(tmp_path / "st", "T-1", "210102", "x").close()
    with (tmp_path / "st" / "station.toml").open("a", encoding="utf-8") as fh:
        fh.write("[printer]\nmodel = \"generic-99\"\n")
    out = cli("journal", "verify", "--data-dir", str(tmp_path / "st"))
    assert out.returncode == 2  # a configuration error
    assert out.stderr.count("\n") == 1
    assert out.stderr.startswith(f"error: {tmp_path / 'st' / 'station.toml'}: [printer] model is 'generic-99'")


def test_pick_takes_the_languages_text_or_the_other():
    assert pick({"zh": "居住证", "en": "residence permit"}, "zh_CN") == "居住证"
    assert pick({"zh": "居住证", "en": "residence permit"}, "en") == "residence permit"
    assert pick({"zh": "居住证", "en": ""}, "en") == "居住证"
    assert pick({"zh": "𠮷野家"}, "en") == "𠮷野家"
    assert pick({}, "en") == ""
    assert [text_key(lang) for lang in LANGS] == ["zh", "en"]
    with pytest.raises(ValueError):
        pick({"zh": "x"}, "fr")


def test_one_langs_in_the_code():
    """LANGS is defined once (counter/domain/language.py); the others import it."""
    import re

    from tests.conftest import REPO

    defining = [str(p.relative_to(REPO)) for room in ("counter", "screens", "db", "printing")
                for p in (REPO / room).rglob("*.py")
                if re.search(r"^LANGS\s*=", p.read_text(encoding="utf-8"), re.M)]
    assert defining == ["counter/domain/language.py"]


def test_no_language_test_is_spelled_by_hand():
    """`lang.startswith("zh")` copies are gone: texts go through pick() (devices/ may not import counter)."""
    import re

    from tests.conftest import REPO

    pattern = re.compile(r"""startswith\(\s*["']zh["']\s*\)""")
    offenders = [str(p.relative_to(REPO)) for room in ("counter", "screens", "db", "printing")
                 for p in (REPO / room).rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_a_station_toml_not_in_utf8_is_named_in_one_line(tmp_path, cli):
    """Saved in GBK (an editor's default on a Chinese Windows): it was a UnicodeDecodeError traceback."""
    from counter.station import Station

    Station.init(tmp_path / "st", "T-1", "210102", "x").close()
    path = tmp_path / "st" / "station.toml"
    assert cli("journal", "verify", "--data-dir", str(tmp_path / "st")).returncode == 0  # good, and now cached
    text = path.read_text(encoding="utf-8").replace('office = "x"', 'office = "测试"')
    assert "测试" in text
    content = text.encode("gbk")
    path.write_bytes(content)
    offset = content.index("测试".encode("gbk"))
    out = cli("journal", "verify", "--data-dir", str(tmp_path / "st"))
    assert out.returncode == 2  # a configuration error
    assert out.stderr == (f"error: {path} is not UTF-8 (byte {offset} cannot be decoded); save it as UTF-8 and"
                          " try again\n")
    with pytest.raises(ConfigError, match="save it as UTF-8"):
        load_config(tmp_path / "st")
