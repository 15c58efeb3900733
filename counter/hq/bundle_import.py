"""A day bundle (`counter hq import FILE`) enters HQ through the same ingest path as network sync.

The bundle is checked in full (every byte, the manifest signature by the key HQ
enrolled for the station, the chain and the day's figures), then its journal
segment goes to `counter.hq.ingest.ingest_batch` as an ordinary sync batch. So
a second import, or a later network sync of the same entries, is recognised as
duplicates, and a bundle that does not follow what HQ holds hits the gap rule.
"""

from __future__ import annotations

import json


def _unverified_manifest(members: dict[str, bytes]) -> dict:
    try:
        manifest = json.loads(members["manifest.json"])
        who = {"station_id": manifest["station_id"], "key_id": str(manifest["key_id"])}
    except (ValueError, KeyError, TypeError):
        from counter.sync.bundle import BundleError

        raise BundleError("manifest.json does not name a station and key") from None
    from counter.domain.station_id import is_station_id

    if not is_station_id(manifest["station_id"]):  # matched whole: "S1\n" is not station S1
        from counter.sync.bundle import BundleError

        raise BundleError("manifest.json names no valid station id")
    return who


def enrolled_key(store, station_id: str, key_id: str) -> bytes:
    from counter import keys
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
    return keys.unb64(row[0])


def import_bundle(store, data: bytes, *, identity_text: str | None = None, now=None):
    """Verify a bundle against HQ's enrolled key and ingest its journal segment; returns (manifest, ack)."""
    from counter.hq.ingest import ingest_batch
    from counter.sync import bundle
    from counter.sync.protocol import utc_now_text

    plain = data
    if bundle.is_encrypted(data):
        if not identity_text:
            raise bundle.BundleError("the bundle is encrypted; pass the district's age identity with --identity FILE")
        plain = bundle.decrypt(data, identity_text)
    who = _unverified_manifest(bundle.untar_members(plain))
    public = enrolled_key(store, who["station_id"], who["key_id"])
    verified = bundle.verify_bundle(plain, public)
    batch = verified.batch()
    # sent_at is the station clock at export time; HQ compares it with its own clock to flag
    # skewed stations, which means nothing for a file carried by hand days later.
    batch["sent_at"] = utc_now_text(now)
    return verified.manifest, ingest_batch(store, batch, now=now)
