"""Station configuration (DIR/station.toml): where it lives, loading it checked, and StationConfig.

The sections, their rules and `validate` are in counter/config_schema.py (typing's Annotated, tomllib),
imported only when a station.toml is checked: `counter journal verify` loads the configuration at every
start, and a file this code has already checked is taken from a cache beside it (see `load_config`).
"""

from __future__ import annotations

import marshal
import os
import sys
from pathlib import Path

from counter.errors import ConfigError

TYPE_CHECKING = False  # typing's own costs `counter journal verify` a tenth of its start-up
if TYPE_CHECKING:
    from typing import Any

    from counter.config_schema import Settings

ENV_DATA_DIR = "COUNTER_DATA_DIR"
CONFIG_FILE = "station.toml"
DB_FILE = "station.db"
CHECKED_FILE = ".station.toml.checked"
_CHECKED_FORMAT = 1  # bump when what the cache holds changes shape


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("counter", appauthor=False))


def resolve_data_dir(option: str | Path | None) -> Path:
    """--data-dir, else $COUNTER_DATA_DIR, else the platform's user data directory."""
    if option:
        return Path(option).expanduser()
    env = os.environ.get(ENV_DATA_DIR)
    return Path(env).expanduser() if env else default_data_dir()


class StationConfig:
    """station.toml as loaded and checked: `data` holds every key of every section."""

    def __init__(self, path: Path, data: dict[str, dict[str, Any]] | None = None) -> None:
        self.path = path
        self.data = data if data is not None else {}

    @property
    def station_id(self) -> str:
        return self.data["station"]["id"]

    @property
    def district(self) -> str:
        return self.data["station"]["district"]

    @property
    def office(self) -> str:
        return self.data["station"]["office"]

    @property
    def timezone(self) -> str:
        return self.data["station"]["timezone"]

    @property
    def lang(self) -> str:
        return self.data["station"]["lang"]

    def section(self, name: str) -> dict[str, Any]:
        """The section's values as a mutable dict (for `counter hq enroll` and the like, then save())."""
        return self.data[name]

    @property
    def settings(self) -> Settings:
        """The configuration typed and frozen, one object per section (built from the checked data)."""
        from counter.config_schema import SECTIONS, Settings

        return Settings(**{name: cls(**self.data[name]) for name, cls in SECTIONS.items()})

    @property
    def policy(self) -> dict[str, Any]:
        return self.data["policy"]

    def save(self) -> None:
        """Write atomically: a crash leaves the old file or the new one, never half of one."""
        import tomli_w

        from counter import files
        from counter.config_schema import strip_defaults

        files.write_atomic(self.path, tomli_w.dumps(strip_defaults(self.data)).encode())


def load_config(data_dir: Path) -> StationConfig:
    """DIR/station.toml, the whole file checked (a bad value is refused, naming file and key).

    A file this code has already found good is not parsed and checked again: `counter journal verify`
    runs often, and tomllib with the checks (and typing, which they need) would be a third of its start-up.
    The checked values are kept beside it (CHECKED_FILE, 0600) with the file's whole content, and used
    only while that content, this code and what the check reads (counter/config_schema.py:
    `check_inputs`) are unchanged; an edited file is always checked again.
    """
    path = data_dir / CONFIG_FILE
    if not path.exists():
        raise ConfigError("no station at {dir}; run 'counter init --data-dir {dir} ...' first", dir=data_dir)
    content = path.read_bytes()
    key = _checked_key(content)
    data = _read_checked(data_dir / CHECKED_FILE, key)
    if data is None:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as exc:  # GBK, say, from an editor's default: not a traceback
            raise ConfigError("{path} is not UTF-8 (byte {offset} cannot be decoded); save it as UTF-8 and try"
                              " again", path=path, offset=exc.start) from None
        from counter import config_schema

        text = text.replace("\r\n", "\n").replace("\r", "\n")  # as text mode reads it
        data = config_schema.parse(text, path)
        _write_checked(data_dir / CHECKED_FILE, key, data)
    return StationConfig(path=path, data=data)


def _checked_key(content: bytes) -> tuple:
    from counter import __version__

    return (_CHECKED_FORMAT, sys.version, __version__, content)


def _read_checked(file: Path, key: tuple) -> dict | None:
    """The values checked for exactly `key`, or None (no cache, another content or code, a stale input)."""
    try:
        with open(os.open(file, os.O_RDONLY | os.O_NOFOLLOW), "rb") as fh:
            st = os.fstat(fh.fileno())
            if st.st_uid != os.geteuid() or st.st_mode & 0o077:
                return None  # trusted only as this user wrote it, private: marshal is not for foreign data
            stored_key, inputs, data = marshal.loads(fh.read())
        if stored_key != key:
            return None
        for name, mtime_ns, size in inputs:
            st = os.stat(name)
            if (st.st_mtime_ns, st.st_size) != (mtime_ns, size):
                return None
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None


def _write_checked(file: Path, key: tuple, data: dict) -> None:
    from counter import config_schema, files

    try:
        inputs = [(name, (st := os.stat(name)).st_mtime_ns, st.st_size) for name in config_schema.check_inputs()]
        files.write_atomic(file, marshal.dumps((key, inputs, data)))
    except (OSError, ValueError):
        pass  # a station directory this user cannot write (or a value marshal cannot hold): checked each time
