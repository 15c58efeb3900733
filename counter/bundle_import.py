"""`counter hq import FILE`: a day bundle enters HQ through the same ingest path as network sync.

The bundle is checked in full (every byte, the manifest signature by the key HQ
enrolled for the station, the chain and the day's figures), then its journal
segment goes to `counter.hq.ingest.ingest_batch` as an ordinary sync batch. So
a second import, or a later network sync of the same entries, is recognised as
duplicates, and a bundle that does not follow what HQ holds hits the gap rule.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

# Not counter.cli.common's JsonFlag: importing counter.cli from here would be circular
# (counter.cli registers counter.cli.hq, which registers this module's command).
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text")]


def _unverified_manifest(members: dict[str, bytes]) -> dict:
    try:
        manifest = json.loads(members["manifest.json"])
        who = {"station_id": manifest["station_id"], "key_id": str(manifest["key_id"])}
    except (ValueError, KeyError, TypeError):
        from counter.export import BundleError

        raise BundleError("manifest.json does not name a station and key") from None
    from counter.station import is_station_id

    if not is_station_id(manifest["station_id"]):  # matched whole: "S1\n" is not station S1
        from counter.export import BundleError

        raise BundleError("manifest.json names no valid station id")
    return who


def enrolled_key(store, station_id: str, key_id: str) -> bytes:
    from counter import identity
    from counter.hq.ingest import KeyRejected, UnknownStation

    with store.transaction() as tx:
        if tx.one("SELECT 1 FROM hq_stations WHERE station_id = ?", (station_id,)) is None:
            # Said at HQ, by HQ's operator: not the sync refusal's "run 'counter hq enroll' there".
            raise UnknownStation("station {sid} is not enrolled at this HQ; enrol its key first: counter hq enroll"
                                 " --station-id {sid} --public-key STATION.pub", sid=station_id)
        row = tx.one("SELECT public_key FROM hq_station_keys WHERE station_id = ? AND key_id = ?",
                     (station_id, key_id))
    if row is None:
        raise KeyRejected("key {kid} is not enrolled for station {sid}", kid=key_id, sid=station_id)
    return identity.unb64(row[0])


def import_bundle(store, data: bytes, *, identity_text: str | None = None, now=None):
    """Verify a bundle against HQ's enrolled key and ingest its journal segment; returns (manifest, ack)."""
    from counter import export
    from counter.hq.ingest import ingest_batch
    from counter.sync_protocol import utc_now_text

    plain = data
    if export.is_encrypted(data):
        if not identity_text:
            raise export.BundleError("the bundle is encrypted; pass the district's age identity with --identity FILE")
        plain = export.decrypt(data, identity_text)
    who = _unverified_manifest(export.untar_members(plain))
    public = enrolled_key(store, who["station_id"], who["key_id"])
    verified = export.verify_bundle(plain, public)
    batch = verified.batch()
    # sent_at is the station clock at export time; HQ compares it with its own clock to flag
    # skewed stations, which means nothing for a file carried by hand days later.
    batch["sent_at"] = utc_now_text(now)
    return verified.manifest, ingest_batch(store, batch, now=now)


def _db_checked(value: str) -> str:
    from counter.cli.hq import _no_password_on_argv  # the same rule as every `counter hq` command

    return _no_password_on_argv(value)


def register(hq_app: typer.Typer) -> None:
    """Add `import` to the `counter hq` app."""

    @hq_app.command("import")
    def import_cmd(
        file: Annotated[Path, typer.Argument(help="A day bundle written by 'counter export'")],
        db: Annotated[str, typer.Option("--db", envvar="COUNTER_HQ_DB", callback=_db_checked,
                                        help="sqlite:///path/hq.db (embedded) or postgresql://user@host/db")],
        key_dir: Annotated[Path, typer.Option("--key-dir", envvar="COUNTER_HQ_KEY_DIR",
                                              help="Directory of HQ's key pair (signs the ack)")],
        identity_file: Annotated[Path | None, typer.Option(
            "--identity", help="The district's age identity file, for an encrypted bundle")] = None,
        json_out: JsonFlag = False,
    ) -> None:
        """Verify a day bundle and store its journal entries, exactly as a network sync would."""
        from counter.cli.common import print_json
        from counter.cli.hq import _store
        from counter.export import read_bundle_files

        data, identity_text = read_bundle_files(file, identity_file)
        from counter.cli.common import fail
        from counter.export import BundleError

        store = _store(db, key_dir)
        try:
            manifest, ack = import_bundle(store, data, identity_text=identity_text)
        except BundleError as exc:  # worded as 'counter export verify' words it: which file, and why
            fail(f"{file}: rejected: {exc}", 1)
        finally:
            store.close()
        if json_out:
            print_json({"business_day": manifest["business_day"], "station_id": manifest["station_id"],
                        "first_seq": manifest["first_seq"], "last_seq": manifest["last_seq"], **ack.as_dict()})
            return
        print(f"station {manifest['station_id']} day {manifest['business_day']}: seq {manifest['first_seq']}-"
              f"{manifest['last_seq']}, {ack.inserted} new, {ack.duplicates} already held;"
              f" HQ holds up to seq {ack.acked_seq}")
