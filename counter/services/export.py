"""The export of a day: the station's day bundle (counter.sync.bundle) built from its journal, written and journaled.

The journal segment of day D runs from the first entry of D (or the entry after the
previous day's close, whichever is earlier) to D's own close entry, so bundles of
consecutive days leave no gap. The close entry carries the figures the supervisor
closed on; the bundle is refused when the figures recomputed from the segment differ.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

from counter import __version__, keys
from counter.domain import day_figures as figures_rules
from counter.errors import CounterError
from counter.forms import registry
from counter.services import dayclose
from counter.sync.bundle import (
    FORMAT,
    FORMAT_VERSION,
    MEMBERS,
    Bundle,
    bundle_name,
    encrypt,
    manifest_message,
    sha256,
    summary_csv,
    tar_members,
    write_atomic,
)
from db import journal, kinds
from db.projectors import core as core_reads

# --- reading the station ---------------------------------------------------------------------

def segment(station, day: str, *, allow_open: bool) -> tuple[int, int, int | None]:
    """(first_seq, last_seq, close_seq or None) of the journal segment exported for `day`."""
    closure = core_reads.closure(station.db, day)
    if closure is None and not allow_open:
        raise CounterError(
            "day {day} is not closed: its figures are not final and entries may still be added; close it with"
            " 'counter day close --date {day}', or pass --allow-open for a provisional export", exit_code=2, day=day)
    previous = core_reads.last_close_before(station.db, day)
    first_of_day = journal.first_seq_of_day(station.db, day)
    start = (previous or 0) + 1
    if first_of_day is not None:
        start = min(start, first_of_day)
    end = closure[0] if closure else journal.head(station.db)[0]
    if end < start:
        raise CounterError("day {day} has no journal entries to export", day=day)
    return start, end, closure[0] if closure else None


def journal_lines(station, first_seq: int, last_seq: int) -> tuple[bytes, list[dict], str]:
    """The segment as JSONL bytes, the entry dicts and the hash before it; the chain is checked on the way."""
    prev_entry = journal.get(station.db, first_seq - 1) if first_seq > 1 else None
    prev = prev_entry.hash if prev_entry else journal.GENESIS_HASH
    start_prev = prev
    out: list[str] = []
    dicts: list[dict] = []
    for e in journal.entries(station.db, first_seq - 1, last_seq):
        d = e.as_dict()
        if e.prev_hash != prev or journal.entry_hash(station.station_id, d) != e.hash:
            raise CounterError("journal broken at seq {seq}; run 'counter journal verify' before exporting",
                               seq=e.seq)
        prev = e.hash
        out.append(journal.canonical_json(d))
        dicts.append(d)
    if len(dicts) != last_seq - first_seq + 1:
        raise CounterError("journal entries {a}-{b} are incomplete; run 'counter journal verify'",
                           a=first_seq, b=last_seq)
    return ("\n".join(out) + "\n").encode(), dicts, start_prev


def build_bundle(station, day: str, *, allow_open: bool = False, recipient: str | None = None,
                 now: datetime | None = None) -> Bundle:
    from counter.sync.protocol import PROTOCOL_VERSION, checkpoint_message, utc_now_text
    from printing.report import render_day_report

    day = figures_rules.parse_day(day)
    first_seq, last_seq, close_seq = segment(station, day, allow_open=allow_open)
    jsonl, entries, prev_hash = journal_lines(station, first_seq, last_seq)
    head_hash = entries[-1]["hash"]
    if close_seq is not None:
        job_types = json.loads(entries[-1]["payload"]).get("print_job_types", {})
    else:
        job_types = dayclose.earlier_job_types(station, dayclose.day_entries(station, day))
    figures = figures_rules.day_figures(entries, day, station.config.timezone, job_types,
                                        certificates=registry.certificate_services())
    rec = dayclose.reconcile(station, day, figures=figures)
    if close_seq is not None:
        close = entries[-1]
        recorded = {k: json.loads(close["payload"]).get(k) for k in figures}
        if recorded != figures:
            raise CounterError("the figures of {day} recomputed from the journal differ from those recorded at"
                               " its close; run 'counter journal verify'", day=day)
        at_close = json.loads(close["payload"]).get("at_close", {})
    else:
        at_close = {"head_seq": rec.head_seq, "acked_seq": rec.acked_seq, "unsynced_entries": rec.unsynced,
                    "permits_expiring_30d": rec.permits_expiring}
    sent_at = utc_now_text(now)
    batch = {
        "version": PROTOCOL_VERSION, "station_id": station.station_id, "key_id": station.key.key_id,
        "first_seq": first_seq, "last_seq": last_seq, "prev_hash": prev_hash, "head_hash": head_hash,
        "signature": station.key.sign(checkpoint_message(station.station_id, last_seq, head_hash)),
        "sent_at": sent_at,
    }
    journal_gz = gzip.compress(jsonl, compresslevel=6, mtime=0)
    summary = summary_csv(station.station_id, station.config.district, figures, at_close, rec.clerk_names)
    from counter.services.printing import refusing_unprintable

    with refusing_unprintable():  # before anything is written: no bundle with a blank box in its report
        report = render_day_report(dayclose.report_data(rec, figures=figures, at_close=at_close,
                                                        seq_range=(first_seq, last_seq)))
    files = {"journal.jsonl.gz": journal_gz, "summary.csv": summary, "report.pdf": report}
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "station_id": station.station_id, "district": station.config.district, "office": station.config.office,
        "timezone": station.config.timezone, "business_day": day,
        "closed": close_seq is not None, "close_seq": close_seq,
        "first_seq": first_seq, "last_seq": last_seq, "entry_count": len(entries),
        "prev_hash": prev_hash, "head_hash": head_hash,
        "key_id": station.key.key_id, "public_key": keys.b64(station.key.public_raw),
        "batch": batch,
        "journal_jsonl_sha256": sha256(jsonl),
        "files": {name: {"sha256": sha256(data), "bytes": len(data)} for name, data in files.items()},
        "figures": figures, "at_close": at_close, "print_job_types": job_types,
        "software": {"name": "counter", "version": __version__},
        "created_at": sent_at,
    }
    manifest_bytes = (json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()
    signature = station.key.sign(manifest_message(manifest_bytes)).encode("ascii")
    data = tar_members([("manifest.json", manifest_bytes), ("manifest.sig", signature),
                        *((n, files[n]) for n in MEMBERS[2:])])
    if recipient:
        data = encrypt(data, recipient)
    return Bundle(bundle_name(station.station_id, day, bool(recipient)), data, manifest, bool(recipient))



PLAINTEXT_REFUSED = ("refusing to write a plaintext bundle (it holds personal data): set [export] age_recipient"
                     " in station.toml to the district's age key, pass --encrypt-to age1..., or --no-encrypt to"
                     " write it unencrypted")


def export_day(station, day: str, out_dir: Path, *, allow_open: bool = False, recipient: str | None = None,
               clerk_id: str | None = None, require_encryption: bool = False) -> tuple[Path, Bundle]:
    """Build, write and journal the export of `day`; returns the file written.

    `require_encryption` (the CLI and the TUI): without a recipient nothing is written."""
    if Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise CounterError("--out {out} is not a directory; give the directory to write the bundle into",
                           exit_code=2, out=out_dir)
    bundle = build_bundle(station, day, allow_open=allow_open, recipient=recipient)
    if require_encryption and not recipient:
        raise CounterError(PLAINTEXT_REFUSED, exit_code=2)
    path = Path(out_dir) / bundle.file_name
    write_atomic(path, bundle.data)
    m = bundle.manifest
    station.record(kinds.DAY_EXPORTED, {
        "business_day": m["business_day"], "file_name": bundle.file_name, "sha256": sha256(bundle.data),
        "bytes": len(bundle.data), "first_seq": m["first_seq"], "last_seq": m["last_seq"],
        "closed": m["closed"], "encrypted": bundle.encrypted,
    }, clerk_id=clerk_id)
    return path, bundle


