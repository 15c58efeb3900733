"""The cache of checked station.toml files (counter/config.py): used only for the very content it was
checked with, and `counter journal verify` still refuses what it always refused."""

from __future__ import annotations

import marshal
import os
import sqlite3
import subprocess
import sys

import pytest

from counter import config, config_schema
from counter.config import CHECKED_FILE, load_config
from counter.errors import ConfigError
from tests.conftest import REPO, cli_env

BASE = ('[station]\nid = "T-1"\ndistrict = "210102"\noffice = "和平区·𠮷"\n'
        '[security]\nmax_failed_pins = 3\n[printer]\ntimeout_seconds = 2\n')


def _write(directory, text: str = BASE):
    (directory / "station.toml").write_text(text, encoding="utf-8")
    return directory / "station.toml"


def test_a_checked_file_is_cached_private_and_gives_the_same_values(tmp_path):
    path = _write(tmp_path)
    first = load_config(tmp_path).data
    cache = tmp_path / CHECKED_FILE
    assert (cache.stat().st_mode & 0o777) == 0o600
    assert load_config(tmp_path).data == first == config_schema.parse(path.read_text(encoding="utf-8"), path)
    assert isinstance(load_config(tmp_path).data["printer"]["timeout_seconds"], float)
    assert load_config(tmp_path).settings.station.office == "和平区·𠮷"


def test_the_cache_is_what_a_second_load_uses(tmp_path):
    """A load with a cache of this content takes its values (here doctored, to tell them apart)."""
    _write(tmp_path)
    load_config(tmp_path)
    cache = tmp_path / CHECKED_FILE
    key, inputs, data = marshal.loads(cache.read_bytes())
    data["station"]["office"] = "from the cache"
    cache.write_bytes(marshal.dumps((key, inputs, data)))
    assert load_config(tmp_path).office == "from the cache"


def test_an_edited_file_is_checked_again_even_with_its_size_and_time_kept(tmp_path):
    path = _write(tmp_path)
    load_config(tmp_path)
    before = path.stat()
    path.write_text(BASE.replace("max_failed_pins = 3", "max_failed_pins = 0"), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert str(err.value).startswith(f"{path}: [security] max_failed_pins is 0; it must be from 1 to 100")
    path.write_text(BASE, encoding="utf-8")  # and back: the cache of the good content still holds it
    assert load_config(tmp_path).settings.security.max_failed_pins == 3


def test_a_changed_input_of_the_check_invalidates_the_cache(tmp_path):
    _write(tmp_path)
    load_config(tmp_path)
    cache = tmp_path / CHECKED_FILE
    key, inputs, data = marshal.loads(cache.read_bytes())
    rules = tmp_path / "rules.py"  # stands for a rule module or template of the check
    rules.write_text("A = 1\n")
    st = rules.stat()
    data["station"]["office"] = "from the cache"
    cache.write_bytes(marshal.dumps((key, [*inputs, (str(rules), st.st_mtime_ns, st.st_size)], data)))
    assert load_config(tmp_path).office == "from the cache"
    rules.write_text("A = 22\n")
    assert load_config(tmp_path).office == "和平区·𠮷"


@pytest.mark.parametrize("spoil", ["other-code", "readable", "garbage", "empty"])
def test_a_cache_of_other_code_or_not_private_or_spoilt_is_ignored(tmp_path, spoil):
    _write(tmp_path)
    load_config(tmp_path)
    cache = tmp_path / CHECKED_FILE
    key, inputs, data = marshal.loads(cache.read_bytes())
    data["station"]["office"] = "from the cache"
    if spoil == "other-code":
        key = (key[0], key[1], "0.0.0-other", key[3])
    blob = {"garbage": b"\x00not marshal", "empty": b""}.get(spoil, marshal.dumps((key, inputs, data)))
    cache.write_bytes(blob)
    if spoil == "readable":
        os.chmod(cache, 0o644)
    assert load_config(tmp_path).office == "和平区·𠮷"


def test_a_station_directory_that_cannot_be_written_still_loads(tmp_path):
    _write(tmp_path)
    (tmp_path / CHECKED_FILE).mkdir()  # in the way of the cache (as a read-only directory would be)
    assert load_config(tmp_path).settings.security.max_failed_pins == 3


CHECK_PROBE = """
import sys
from pathlib import Path
before = set(sys.modules)
from counter import config_schema
text = Path(sys.argv[1]).read_text(encoding="utf-8")
config_schema.parse(text, Path(sys.argv[1]))
ours = ("counter", "devices", "db", "screens", "printing", "templates")
print(",".join(sorted(m for m in set(sys.modules) - before if m.split(".")[0] in ours)))
"""


def test_every_module_the_check_runs_is_an_input_of_the_cache(tmp_path):
    """A rule moved into a new module must join CHECK_MODULES, or the cache would outlive its change."""
    path = _write(tmp_path, BASE.replace("[station]\n", '[station]\ntimezone = "Asia/Urumqi"\n')
                  + '[reader]\nkind = "simulated"\n[sync]\nhq_url = "https://hq.example"\n')
    out = subprocess.run([sys.executable, "-c", CHECK_PROBE, str(path)], capture_output=True, text=True,
                         env=cli_env(), cwd=REPO, timeout=60)
    assert out.returncode == 0, out.stderr
    loaded = set(out.stdout.strip().split(","))
    packages = {m for m in loaded if sys.modules.get(m) is not None and hasattr(sys.modules[m], "__path__")}
    assert "counter.domain.citizen_id" in loaded
    assert sorted(loaded - packages - set(config_schema.CHECK_MODULES)) == []
    inputs = config_schema.check_inputs()
    assert all(os.path.exists(p) for p in inputs) and config.__file__ in inputs


def _verify(directory):
    return subprocess.run([sys.executable, "-m", "counter", "journal", "verify", "--data-dir", str(directory)],
                          capture_output=True, text=True, env=cli_env(), cwd=REPO, timeout=60)


@pytest.fixture
def verified_station(tmp_path):
    """A station whose journal verify has run once: its station.toml is in the cache."""
    from counter.station import Station

    station = Station.init(tmp_path / "st", "T-1", "210102", "和平区政务服务中心")
    station.record("clerk.added", {"clerk_id": "𠮷田", "name": "𠮷田", "role": "clerk", "pin_hash": "x"})
    station.close()
    out = _verify(tmp_path / "st")
    assert out.returncode == 0 and out.stdout.startswith("journal intact: 2 entries"), out.stderr
    assert (tmp_path / "st" / CHECKED_FILE).exists()
    return tmp_path / "st"


def test_verify_after_an_edit_refuses_the_config_naming_file_and_key(verified_station):
    path = verified_station / "station.toml"
    path.write_text(path.read_text(encoding="utf-8") + "[sync]\nbatch_size = 0\n", encoding="utf-8")
    out = _verify(verified_station)
    assert out.returncode == 2
    assert out.stderr == f"error: {path}: [sync] batch_size is 0; it must be from 1 to 10000\n"


def test_verify_with_a_cached_config_still_catches_an_edited_row(verified_station):
    conn = sqlite3.connect(verified_station / "station.db", isolation_level=None)
    conn.execute("DROP TRIGGER journal_no_update")
    conn.execute("UPDATE journal SET payload = replace(payload, '𠮷田', '吉田') WHERE seq = 2")
    conn.close()
    out = _verify(verified_station)
    assert out.returncode == 1
    assert out.stderr == "journal broken at seq 2: hash does not match the entry's content (row edited)\n"


def test_verify_with_a_cached_config_still_catches_a_bad_signature(verified_station):
    from counter.keys import b64

    conn = sqlite3.connect(verified_station / "station.db", isolation_level=None)
    conn.execute("UPDATE journal_head SET signature = ?", (b64(bytes(64)),))
    conn.close()
    out = _verify(verified_station)
    assert out.returncode == 1
    assert out.stderr == "journal broken at seq 2: the journal head's signature is not valid for this station's key\n"
