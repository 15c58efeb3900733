"""counter backup | restore (a station), and `counter hq backup` (see counter.cli.hq)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from counter.cli.common import DataDir, JsonFlag, fail, open_station, print_json
from counter.config import resolve_data_dir


def register(app: typer.Typer) -> None:
    @app.command("backup")
    def backup(
        out: Annotated[Path, typer.Option("--out", help="The backup file to write (.tar.age when encrypted)")],
        include_keys: Annotated[bool, typer.Option(
            "--include-keys", help="Also put the private station keys in the backup (needed to restore without"
                                   " 'counter hq rekey')")] = False,
        encrypt_to: Annotated[str | None, typer.Option(
            "--encrypt-to", help="age X25519 recipient (age1...); default: export.age_recipient in station.toml")]
            = None,
        no_encrypt: Annotated[bool, typer.Option(
            "--no-encrypt", help="Write the backup unencrypted (it holds personal data)")] = False,
        data_dir: DataDir = None,
        json_out: JsonFlag = False,
    ) -> None:
        """Back up the live station (SQLite online backup), encrypted to the district's age key."""
        from counter.backup import backup_station
        from counter.progress import Progress

        station = open_station(data_dir)
        recipient = None if no_encrypt else (encrypt_to or station.config.section("export")["age_recipient"] or None)
        if not recipient and not no_encrypt:
            fail("refusing to write a plaintext backup (it holds personal data): set export.age_recipient in"
                 " station.toml, pass --encrypt-to age1..., or --no-encrypt", 2)
        bar = Progress("database pages")
        made = backup_station(station, out, recipient=recipient, include_keys=include_keys, progress=bar.update)
        bar.close()
        if json_out:
            print_json({"file": str(made.path), "bytes": made.bytes, "head_seq": made.head_seq,
                        "includes_keys": made.includes_keys, "encrypted": made.encrypted})
            return
        print(f"{made.path}: station {station.station_id} up to seq {made.head_seq}, {made.bytes} bytes"
              f"{', encrypted' if made.encrypted else ', NOT encrypted'}"
              f"{', with the private keys' if made.includes_keys else ', without the private keys'}")

    @app.command("restore")
    def restore(
        backup_file: Annotated[Path | None, typer.Argument(help="A file made by 'counter backup'")] = None,
        identity: Annotated[Path | None, typer.Option(
            "--identity", help="The district's age identity file, for an encrypted backup")] = None,
        catch_up: Annotated[bool, typer.Option(
            "--catch-up", help="Only fetch from HQ what it holds beyond this station's journal")] = False,
        data_dir: DataDir = None,
        json_out: JsonFlag = False,
    ) -> None:
        """Restore a station backup into an empty data dir and catch up from HQ (no fork)."""
        from counter.backup import RestoredBackup, catch_up_from_hq, restore_station
        from counter.progress import Progress

        bar = Progress("entries from HQ")
        if catch_up:
            if backup_file is not None:
                fail("--catch-up works on the station in --data-dir; give no backup file", 2)
            station = open_station(data_dir)
            from db import journal

            result = RestoredBackup(station.data_dir, station.station_id, journal.head(station.db)[0])
            try:
                catch_up_from_hq(station, result, bar.update)
            finally:
                station.close()
        else:
            if backup_file is None:
                fail("name the backup: counter restore FILE --data-dir DIR", 2)
            try:
                data = backup_file.read_bytes()
                identity_text = identity.read_text(encoding="utf-8") if identity else None
            except OSError as exc:
                fail(f"cannot read {exc.filename}: {exc.strerror}")
            directory = resolve_data_dir(data_dir)
            result = restore_station(data, directory, identity_text=identity_text, progress=bar.update)
        bar.close()
        if json_out:
            print_json(result.__dict__ | {"data_dir": str(result.data_dir)})
            return
        print(f"station {result.station_id} in {result.data_dir}: the backup holds the journal up to seq"
              f" {result.backup_seq}")
        if result.new_key_id:
            print(f"the backup has no private key: this PC has a new key {result.new_key_id}. At HQ run 'counter hq"
                  f" rekey {result.station_id} --public-key {result.data_dir / 'keys' / 'station.pub'} ...', then"
                  f" 'counter restore --catch-up' here BEFORE anyone works at this station", file=sys.stderr)
        elif result.caught_up and result.hq_seq is not None:
            if result.fetched:
                print(f"the backup was older than HQ's ack: fetched and verified {result.fetched} entries from HQ,"
                      f" now at seq {result.hq_seq}; projections rebuilt")
            else:
                print(f"HQ holds nothing beyond the backup (seq {result.hq_seq})")
        if result.note:
            print(f"note: {result.note}")
