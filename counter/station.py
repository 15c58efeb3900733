"""The station: its config, database, key and the one way to record an action."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from counter import files, journal_check, keys
from counter.config import CONFIG_FILE, DB_FILE, StationConfig, load_config
from counter.domain.citizen_id import validate_area_code
from counter.domain.station_id import check_station_id
from counter.errors import ConfigError, CounterError, StationExists, ValidationError
from db import journal, kinds
from db.connection import Database, DatabaseError, open_database
from db.projectors import core as core_reads


def business_day_at(now_utc: datetime, tz: str, last_closed: str | None) -> str:
    """The business day for a moment: the local date, or the day after the last closed day."""
    day = now_utc.astimezone(ZoneInfo(tz)).date()
    if last_closed is not None:
        closed = date.fromisoformat(last_closed)
        if day <= closed:
            day = closed + timedelta(days=1)
    return day.isoformat()


def format_local(stamp: str | datetime | None, tz: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Every time shown is in the station's time zone; stored times are UTC (naive means UTC)."""
    if stamp is None or stamp == "":
        return ""
    t = stamp if isinstance(stamp, datetime) else datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(ZoneInfo(tz)).strftime(fmt)


@dataclass
class Station:
    data_dir: Path
    config: StationConfig
    db: Database
    key: keys.SigningKey
    # One-line warnings for the operator found on opening (e.g. a key others can read); no personal data.
    notices: list[str] = field(default_factory=list)

    # --- opening ---------------------------------------------------------------

    @classmethod
    def open(cls, data_dir: Path, *, create: bool = False) -> Station:
        config = load_config(data_dir)
        try:
            # The database and its WAL/SHM hold personal data: 0600 (SQLite gives -wal/-shm the
            # database's mode), also for a station made before files were created private.
            for name in (DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm"):
                files.private_file(data_dir / name, create=False)
            db = open_database(data_dir / DB_FILE, create=create)
        except DatabaseError as exc:
            raise CounterError(str(exc)) from None
        from counter.sync import key_rotation

        key_rotation.finish_pending(data_dir, db)
        key = keys.load_private(data_dir / journal_check.KEY_FILE)
        return cls(data_dir, config, db, key, journal_check.key_notices(data_dir))

    @classmethod
    def init(cls, data_dir: Path, station_id: str, district: str, office: str, *, demo: bool = False,
             **overrides: dict) -> Station:
        """`demo`: a station made by `counter demo`, said so in its first journal entry (see is_demo)."""
        if (data_dir / CONFIG_FILE).exists() or (data_dir / DB_FILE).exists():
            raise StationExists("a station already exists in {dir}; choose another --data-dir", dir=data_dir)
        check_station_id(station_id)
        try:
            validate_area_code(district)
        except ValidationError as exc:
            raise ConfigError(str(exc)) from None
        if not office.strip():
            raise ConfigError("office name must not be empty")
        raw = {"station": {"id": station_id, "district": district, "office": office.strip()}}
        for section, values in overrides.items():
            raw.setdefault(section, {}).update(values)
        from counter.config_schema import validate  # the whole check: not on the start-up path

        path = data_dir / CONFIG_FILE
        data = validate(raw, path)
        # Personal data lives here: only the station's user may read it.
        try:
            old_mode = data_dir.stat().st_mode & 0o777 if data_dir.is_dir() else None
            tightened = files.private_dir(data_dir, tighten=True)
        except OSError as exc:  # a file in the way, no permission: one line, nothing made
            raise ConfigError("cannot create the data directory {dir}: {why}", dir=data_dir,
                              why="a file of that name is in the way" if isinstance(exc, FileExistsError)
                              else exc.strerror or type(exc).__name__) from None
        try:
            keys.generate_keypair(data_dir / "keys" / "station.key", data_dir / "keys" / "station.pub")
            config = StationConfig(path=path, data=data)
            config.save()
            files.private_file(data_dir / DB_FILE)  # 0600 before SQLite writes a byte
            station = cls.open(data_dir, create=True)
        except BaseException:
            # no half-made station: remove what this call created
            for p in (path, data_dir / DB_FILE, data_dir / f"{DB_FILE}-wal", data_dir / f"{DB_FILE}-shm"):
                p.unlink(missing_ok=True)
            shutil.rmtree(data_dir / "keys", ignore_errors=True)
            raise
        station.record(kinds.STATION_INITIALIZED, {
            "station_id": station_id, "district": district, "office": office.strip(),
            "key_id": station.key.key_id, "public_key": keys.b64(station.key.public_raw),
            **({"demo": True} if demo else {}),
        })
        if tightened:
            station.notices.append(f"{data_dir} was readable by others (mode {old_mode:o}); "
                                   "now 0700: it holds personal data")
        return station

    def close(self) -> None:
        self.db.conn.close()

    def is_demo(self) -> bool:
        """Made by `counter demo`: its signed first entry says so (a config flag could be set by hand)."""
        first = journal.get(self.db, 1)
        return first is not None and first.kind == kinds.STATION_INITIALIZED and first.data.get("demo") is True

    # --- identity ----------------------------------------------------------------

    @property
    def station_id(self) -> str:
        return self.config.station_id

    def verify_signature(self, message: bytes, signature: str) -> bool:
        """With the current key, or a retired one (`counter keys rotate` keeps them in keys/retired/)."""
        return journal_check.signed_by_station(self.data_dir, self.key, message, signature)

    # --- time --------------------------------------------------------------------

    def last_closed_day(self, db: Database | None = None) -> str | None:
        return core_reads.last_closed_day(db or self.db)

    def business_day(self, now: datetime | None = None) -> str:
        return business_day_at(now or datetime.now(UTC), self.config.timezone, self.last_closed_day())

    def local_now(self) -> datetime:
        return datetime.now(ZoneInfo(self.config.timezone))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.config.timezone)

    def local_time(self, stamp: str | datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """A stored UTC time (ISO text, 'Z' or offset; or an aware datetime) as the station's local time."""
        return format_local(stamp, self.config.timezone, fmt)

    # --- the one way to record an action ------------------------------------------

    def record(self, kind: str, payload: dict, clerk_id: str | None = None,
               extra: journal.ExtraWrite | None = None, now: datetime | None = None) -> journal.Entry:
        """Append a journal entry and its projections in one transaction."""
        moment = now or datetime.now(UTC)
        return journal.append(
            self.db,
            station_id=self.station_id,
            kind=kind,
            payload=payload,
            clerk_id=clerk_id,
            business_day=lambda db: business_day_at(moment, self.config.timezone, self.last_closed_day(db)),
            signer=self.key.sign,
            extra=extra,
            now=moment,
        )

    def verify_journal(self, acked: tuple[int, str] | None = None) -> journal.VerifyResult:
        return journal.verify(self.db, self.station_id, self.verify_signature, acked=acked)

