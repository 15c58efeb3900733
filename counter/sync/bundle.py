"""The day bundle: one signed file per station and business day, how it is made and how it is checked.

The file is an uncompressed POSIX tar with exactly these members, in order:

- manifest.json     station, district, day, seq range, head hash, file hashes, software version,
                    the day's figures and the sync batch header (sync_protocol.Batch minus entries)
- manifest.sig      Ed25519 signature (base64url) by the station key over
                    b"counter/day-bundle/v1\\n" + the manifest's bytes
- journal.jsonl.gz  the journal segment, one canonical-JSON entry per line, the same entry
                    encoding as a sync batch (gzip: a day travels over poor networks)
- summary.csv       the figures as a table (UTF-8 with BOM, so spreadsheet software reads Chinese)
- report.pdf        the daily reconciliation report

The journal segment of day D runs from the first entry of D (or the entry after the
previous day's close, whichever is earlier) to D's own close entry, so bundles of
consecutive days leave no gap. The close entry carries the figures the supervisor
closed on; a verifier recomputes them from the segment, which proves no entry of
the day is missing. Every byte of the archive is checked: a verifier re-serialises
the members with the same writer and requires the identical file.

Optionally the whole tar is encrypted to the district's age X25519 recipient (pyrage).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import signal
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from counter import files, keys
from counter.domain import day_figures as figures_rules
from counter.errors import CounterError
from counter.forms import registry
from counter.sync.protocol import Batch, ProtocolError, checkpoint_message
from db import journal
from db.entry import ENTRY_SCHEMA

FORMAT = "counter-day-bundle"
FORMAT_VERSION = 1
SIGN_DOMAIN = b"counter/day-bundle/v1\n"
MEMBERS = ("manifest.json", "manifest.sig", "journal.jsonl.gz", "summary.csv", "report.pdf")
AGE_MAGIC = b"age-encryption.org/v1\n"
FAULT_ENV = "COUNTER_EXPORT_FAULT"  # test-only: 'mid-write' or 'before-rename' kills the process there


class BundleError(CounterError):
    """A bundle that must not be trusted; the message says why."""


SUMMARY_FIGURES = ("entries", "transactions", "receipts_printed", "receipts_reprinted", "receipts_voided",
                   "certificates_issued", "print_jobs_failed", "print_jobs_unprinted", "late_registrations",
                   "corrections")


def summary_csv(station_id: str, district: str, figures: dict, at_close: dict,
                clerk_names: dict[str, str]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["section", "key", "label", "value"])
    w.writerow(["day", "station_id", "", station_id])
    w.writerow(["day", "district", "", district])
    w.writerow(["day", "business_day", "", figures["business_day"]])
    for key in SUMMARY_FIGURES:
        w.writerow(["figure", key, "", figures[key]])
    for key in ("unsynced_entries", "permits_expiring_30d"):
        value = at_close.get(key)
        w.writerow(["at_close", key, "", "" if value is None else value])
    for service, n in figures["by_service"].items():
        w.writerow(["service", service, registry.label(service), n])
    for hour, n in enumerate(figures["by_hour"]):
        w.writerow(["hour", f"{hour:02d}", "", n])
    for clerk_id, n in figures["by_clerk"].items():
        w.writerow(["clerk", clerk_id, clerk_names.get(clerk_id, ""), n])
    return buf.getvalue().encode("utf-8-sig")


def parse_summary(data: bytes) -> dict[tuple[str, str], str]:
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error):
        raise BundleError("summary.csv is not UTF-8 CSV") from None
    if not rows or rows[0] != ["section", "key", "label", "value"]:
        raise BundleError("summary.csv does not have the expected header")
    return {(r[0], r[1]): r[3] for r in rows[1:] if len(r) == 4}


# --- the archive -----------------------------------------------------------------------------

def tar_members(members: list[tuple[str, bytes]]) -> bytes:
    """A canonical tar: fixed order, owner, mode and time, so the same members give the same bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode, info.type = len(data), 0, 0o644, tarfile.REGTYPE
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def untar_members(data: bytes) -> dict[str, bytes]:
    """The members of a canonical bundle tar; anything else is refused."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            infos = tar.getmembers()
            names = tuple(i.name for i in infos)
            if names != MEMBERS:
                raise BundleError("the archive holds ({names}) where a day bundle holds ({want}): the file was"
                                  " altered, damaged or is not a day bundle", names=", ".join(names) or "nothing",
                                  want=", ".join(MEMBERS))
            members = {}
            for info in infos:
                if not info.isreg():
                    raise BundleError("archive member {name} is not a regular file", name=info.name)
                members[info.name] = tar.extractfile(info).read()
    except (tarfile.TarError, EOFError, OSError, UnicodeDecodeError) as exc:
        raise BundleError("the file is not a readable bundle archive ({why})", why=str(exc) or type(exc).__name__) \
            from None
    if tar_members([(n, members[n]) for n in MEMBERS]) != data:
        raise BundleError("the archive's bytes differ from its canonical form: the file was altered or damaged")
    return members


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_message(manifest_bytes: bytes) -> bytes:
    return SIGN_DOMAIN + manifest_bytes


# --- building ----------------------------------------------------------------------------------

@dataclass
class Bundle:
    file_name: str
    data: bytes
    manifest: dict
    encrypted: bool


def bundle_name(station_id: str, day: str, encrypted: bool) -> str:
    return f"counter-day-{station_id}-{day}.tar" + (".age" if encrypted else "")


def encrypt(data: bytes, recipient: str) -> bytes:
    import pyrage

    try:
        target = pyrage.x25519.Recipient.from_str(recipient.strip())
    except Exception:
        raise CounterError("{r!r} is not an age X25519 recipient (age1...)", exit_code=2, r=recipient) from None
    return pyrage.encrypt(data, [target])


def decrypt(data: bytes, identity_text: str) -> bytes:
    import pyrage

    identities = []
    for line in identity_text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            try:
                identities.append(pyrage.x25519.Identity.from_str(line))
            except Exception:
                raise CounterError("the identity file holds a line that is not an age X25519 identity",
                                   exit_code=2) from None
    if not identities:
        raise CounterError("the identity file holds no age identity (AGE-SECRET-KEY-1...)", exit_code=2)
    try:
        return pyrage.decrypt(data, identities)
    except Exception:
        raise BundleError("the bundle cannot be decrypted with this identity, or the encrypted file was altered") \
            from None


# --- writing atomically --------------------------------------------------------------------------

def _fault(point: str) -> None:
    if os.environ.get(FAULT_ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)


def write_atomic(path: Path, data: bytes, *, before_rename: Callable[[], None] | None = None) -> None:
    """counter.files.write_atomic (0600, a crash leaves the old file or none), errors as one line."""
    directory = path.parent
    if path.is_dir():
        raise CounterError("{path} is a directory; give a file name", exit_code=2, path=path)
    if directory.exists() and not directory.is_dir():
        raise CounterError("cannot write {path}: {dir} is not a directory", exit_code=2, path=path, dir=directory)
    try:
        files.write_atomic(path, data, before_rename=before_rename, fault=_fault)
    except OSError as exc:  # permissions, a full disk: one line, and no temp file left
        raise CounterError("cannot write {path}: {why}", path=path, why=exc.strerror or str(exc) or type(exc).__name__) from None



# --- verifying ---------------------------------------------------------------------------------

@dataclass
class VerifiedBundle:
    manifest: dict
    entries: list[dict]
    members: dict[str, bytes] = field(repr=False)
    encrypted: bool = False

    def batch(self) -> dict:
        """The sync batch this bundle carries, for counter.hq.ingest.ingest_batch."""
        return {**self.manifest["batch"], "entries": self.entries}


def is_encrypted(data: bytes) -> bool:
    return data.startswith(AGE_MAGIC)


def verify_bundle(data: bytes, public_key, *, identity_text: str | None = None) -> VerifiedBundle:
    """Check every byte of a bundle; raise BundleError with the first reason it must not be trusted.

    `public_key` is the station's Ed25519 public key (cryptography object or raw bytes).
    """

    encrypted = is_encrypted(data)
    if encrypted:
        if not identity_text:
            raise BundleError("the bundle is encrypted; pass the district's age identity with --identity FILE")
        data = decrypt(data, identity_text)
    members = untar_members(data)
    manifest_bytes = members["manifest.json"]
    try:
        signature = members["manifest.sig"].decode("ascii")
    except UnicodeDecodeError:
        raise BundleError("manifest.sig is not a base64url signature") from None
    raw_public = public_key if isinstance(public_key, bytes) else keys.raw_public(public_key)
    if not keys.verify(raw_public, manifest_message(manifest_bytes), signature):
        raise BundleError("the manifest's signature does not verify with station key {kid}: the manifest was"
                          " altered or signed by another key", kid=keys.key_id_of(raw_public))
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError:
        raise BundleError("manifest.json is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT \
            or manifest.get("format_version") != FORMAT_VERSION:
        raise BundleError("this is not a {fmt} version {v} bundle", fmt=FORMAT, v=FORMAT_VERSION)
    try:
        return _check_contents(manifest, members, raw_public, encrypted)
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        raise BundleError("the manifest or journal lacks a required field ({what})", what=str(exc)) from None


def _check_contents(manifest: dict, members: dict[str, bytes], raw_public: bytes, encrypted: bool) -> VerifiedBundle:
    if manifest["key_id"] != keys.key_id_of(raw_public):
        raise BundleError("the manifest names key {kid}, not the station key given", kid=manifest["key_id"])
    for name in MEMBERS[2:]:
        want = manifest["files"].get(name, {})
        if want.get("sha256") != sha256(members[name]) or want.get("bytes") != len(members[name]):
            raise BundleError("{name} does not match the hash in the signed manifest", name=name)
    try:
        jsonl = gzip.decompress(members["journal.jsonl.gz"])
    except (OSError, EOFError):
        raise BundleError("journal.jsonl.gz cannot be decompressed") from None
    if sha256(jsonl) != manifest["journal_jsonl_sha256"]:
        raise BundleError("the journal's content does not match the signed manifest")
    try:
        entries = [json.loads(line) for line in jsonl.decode("utf-8").splitlines()]
        batch = Batch.from_dict({**manifest["batch"], "entries": entries})
    except (ValueError, ProtocolError) as exc:
        raise BundleError("the journal is not a valid batch: {why}", why=str(exc)) from None
    _check_batch(manifest, batch, raw_public)
    _check_figures(manifest, entries, members["summary.csv"])
    return VerifiedBundle(manifest, entries, members, encrypted)


def _check_batch(manifest: dict, batch, raw_public: bytes) -> None:
    sid = manifest["station_id"]
    for key in ("station_id", "first_seq", "last_seq", "prev_hash", "head_hash"):
        if getattr(batch, key) != manifest[key]:
            raise BundleError("the batch header's {key} differs from the manifest's", key=key)
    prev = batch.prev_hash
    for e in batch.entries:
        problem = _unstorable(e)
        if problem:
            raise BundleError("journal entry seq {seq} cannot be stored: {problem}", seq=e["seq"], problem=problem)
        if e["prev_hash"] != prev:
            raise BundleError("journal chain broken at seq {seq}: prev_hash does not link", seq=e["seq"])
        if journal.entry_hash(sid, e) != e["hash"]:
            raise BundleError("journal entry seq {seq} does not match its hash", seq=e["seq"])
        prev = e["hash"]
    if batch.first_seq == 1 and batch.prev_hash != journal.GENESIS_HASH:
        raise BundleError("the journal starts at seq 1 but does not start from the genesis hash")
    if not keys.verify(raw_public, checkpoint_message(sid, batch.last_seq, batch.head_hash), batch.signature):
        raise BundleError("the journal checkpoint signature does not verify with the station key")


def _unstorable(entry: dict) -> str | None:
    """What in a well-shaped entry HQ's store cannot hold (HQ's sync endpoint refuses the same with 400)."""
    for column in ENTRY_SCHEMA:
        value = entry[column.name]
        if value is None:
            continue
        if column.type is int and not column.low <= value <= column.high:
            return f"{column.name} is outside {column.low}..{column.high}"
        if column.type is str:
            try:
                value.encode()
            except UnicodeEncodeError:
                return f"{column.name} holds a lone UTF-16 surrogate, which is not text"
            if "\x00" in value:
                return f"{column.name} holds a NUL character"
    return None


def _check_figures(manifest: dict, entries: list[dict], summary: bytes) -> None:
    day = manifest["business_day"]
    job_types = manifest["print_job_types"]
    if manifest["closed"]:
        close = entries[-1]
        payload = json.loads(close["payload"])
        if payload.get("print_job_types", {}) != job_types:
            raise BundleError("the manifest's print job types differ from those recorded at the close")
    figures = figures_rules.day_figures(entries, day, manifest["timezone"], job_types,
                                        certificates=registry.certificate_services())
    if manifest["closed"]:
        if close["kind"] != figures_rules.CLOSE_KIND or payload.get("business_day") != day \
                or close["seq"] != manifest["close_seq"]:
            raise BundleError("a closed day's journal must end with its close entry")
        recorded = {k: payload.get(k) for k in figures}
        if recorded != figures:
            raise BundleError("the figures recomputed from the journal differ from those recorded at the close:"
                              " entries of the day are missing or altered")
    if manifest["figures"] != figures:
        raise BundleError("the manifest's figures differ from those recomputed from the journal")
    table = parse_summary(summary)
    for key in SUMMARY_FIGURES:
        if table.get(("figure", key)) != str(figures[key]):
            raise BundleError("summary.csv's {key} differs from the journal", key=key)


def read_bundle_files(bundle: Path, identity: Path | None) -> tuple[bytes, str | None]:
    """The bundle's bytes and, for an encrypted one, the district's age identity text."""
    try:
        data = bundle.read_bytes()
        identity_text = identity.read_text(encoding="utf-8") if identity else None
    except OSError as exc:
        raise CounterError("cannot read {path}: {why}", path=exc.filename or bundle, why=exc.strerror) from None
    return data, identity_text


def load_trusted_key(station_key: Path | None, data_dir: Path | None):
    """The station public key to verify against: a PEM file, or the station in a data directory."""
    if station_key is not None:
        return keys.load_public(station_key)
    from counter.config import resolve_data_dir

    directory = resolve_data_dir(data_dir)
    pub = directory / "keys" / "station.pub"
    if not pub.exists():
        raise CounterError("no station key: pass --station-key FILE (the station's station.pub) or --data-dir",
                           exit_code=2)
    return keys.load_public(pub)
