"""counter hq init|migrate|serve|enroll|rekey|revoke|release|status|alarms|conflicts|verify|rebuild|duplicates|overdue|backup|import"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from counter.cli.common import JsonFlag, fail, new_app, print_json

app = new_app("Headquarters: the service that receives every station's journal.")

def _no_password_on_argv(value: str) -> str:
    """A password in --db shows in `ps` and the shell history: it belongs in PGPASSFILE or a service file."""
    from urllib.parse import urlparse

    try:
        password = urlparse(value).password if value else None
    except ValueError:
        password = None
    if password and any(password in arg for arg in sys.argv[1:]):
        fail("--db holds a password, which every user sees in 'ps': put it in a libpq password file (PGPASSFILE,"
             " ~/.pgpass) or a service file (PGSERVICEFILE, postgresql:///?service=NAME), or set COUNTER_HQ_DB", 2)
    return value


DbUrl = Annotated[str, typer.Option("--db", envvar="COUNTER_HQ_DB", callback=_no_password_on_argv,
                                    help="sqlite:///path/hq.db (embedded) or postgresql://user@host/db")]
KeyDir = Annotated[Path, typer.Option("--key-dir", envvar="COUNTER_HQ_KEY_DIR",
                                      help="Directory of HQ's key pair (hq.key, hq.pub)")]
StationId = Annotated[str, typer.Option("--station-id", help="The station's id")]


def _store(url: str, key_dir: Path | None = None):
    from counter.hq import admin
    from counter.hq.store import open_store

    store = open_store(url, admin.load_key(key_dir) if key_dir else None)
    store.require_schema()
    return store


@app.command("init")
def init(db: DbUrl, key_dir: KeyDir) -> None:
    """Create the HQ schema and HQ's Ed25519 key pair (KEY_DIR/hq.key 0600, KEY_DIR/hq.pub)."""
    from counter.hq import admin
    from counter.hq.store import open_store, redact

    store = open_store(db)
    if store.schema_version() is not None:  # a bad URL or an unreachable database fails here, before any key
        store.pending_migrations()  # is written, and so does a database newer than this software
    key, made = admin.init_keys(key_dir)
    store.hq_key = key
    created = store.init_schema()
    from counter.hq import auth

    auth.ensure_schema(store)
    print(f"schema {'created' if created else 'already present'} in {redact(db)}")
    print(f"HQ key {key.key_id} {'created' if made else 'kept'}; give stations {key_dir / admin.HQ_PUB}")


@app.command("migrate")
def migrate(db: DbUrl, dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Only list the migrations this database needs")] = False,
        json_out: JsonFlag = False) -> None:
    """Bring the HQ database to this software's schema version (back it up first); refuses a newer one."""
    from counter.hq.store import SCHEMA_VERSION, open_store, redact

    store = open_store(db)
    before = store.schema_version()
    if before is None:
        fail(f"the HQ database at {redact(db)} has no schema; run 'counter hq init' first")
    pending = store.pending_migrations()
    report = {"database": redact(db), "from_version": before, "to_version": SCHEMA_VERSION,
              "migrations": [f"{m.version:04d} {m.summary}" for m in pending], "applied": not dry_run}
    if dry_run:
        if json_out:
            print_json(report)
            return
        print(f"schema {before}; this software needs {SCHEMA_VERSION}")
        for line in report["migrations"] or ["nothing to do"]:
            print(f"  {line}")
        return

    def progress(m) -> None:
        if not json_out:
            print(f"  {m.version:04d} {m.summary}: done")

    if not json_out:
        print(f"schema {before} -> {SCHEMA_VERSION}" if pending else f"schema {before} is current; nothing to do")
    store.migrate(progress)
    if json_out:
        print_json(report)


def _check_can_listen(host: str, port: int) -> None:
    """One clear line for a busy port or a bad address (uvicorn would log 'ERROR: [Errno 98]' and exit 3)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        fail(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}")
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port or stop what uses it")


@app.command("serve")
def serve(
    db: DbUrl,
    key_dir: KeyDir,
    host: Annotated[str, typer.Option("--host", help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port")] = 8765,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Server processes (PostgreSQL only)")] = 1,
    log_level: Annotated[str, typer.Option(
        "--log-level", help="uvicorn log level: critical, error, warning, info, debug or trace")] = "warning",
    tls_cert: Annotated[Path | None, typer.Option(
        "--tls-cert", help="Serve https:// with this certificate (PEM, chain first); needs --tls-key")] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="The private key (PEM) of --tls-cert")] = None,
    max_body_bytes: Annotated[int, typer.Option(
        "--max-body-bytes", help="Largest request body; larger ones get 413 before they are read")] = 8 * 1024 * 1024,
    header_timeout: Annotated[float, typer.Option(
        "--header-timeout", help="Seconds for a request's line and headers to arrive, else the connection is closed")]
        = 10.0,
    body_timeout: Annotated[float, typer.Option(
        "--body-timeout", help="Seconds for a request's body to arrive, else 408 and the connection is closed")] = 30.0,
    rate_limit: Annotated[str, typer.Option(
        "--rate-limit", help="Requests per station and client address, e.g. '20/second;600/minute' (429 beyond)")]
        = "20/second;600/minute",
    signin_rate: Annotated[str, typer.Option(
        "--signin-rate", help="Failed dashboard sign-ins per client address, e.g. '10/minute;100/hour'"
                              " (429 with Retry-After beyond, whatever the name tried)")] = "10/minute;100/hour",
    alarm_window: Annotated[float, typer.Option(
        "--alarm-window", help="Seconds within which identical alarms are one row with a count")] = 3600.0,
    trusted_proxy: Annotated[list[str] | None, typer.Option(
        "--trusted-proxy", help="A reverse proxy (address or network; repeat for more) whose X-Forwarded-For"
                                " names the client; from any other peer the header is ignored (default: none)")]
        = None,
    log_format: Annotated[str, typer.Option(
        "--log-format", help="Log lines as 'text' or 'json', each with a UTC timestamp, on stderr")] = "text",
    min_protocol: Annotated[int, typer.Option(
        "--min-protocol", min=1, max=1000,
        help="Refuse stations speaking an older sync protocol (426, told to upgrade)")] = 1,
) -> None:
    """Run the HQ API on uvicorn (OpenAPI spec at /openapi.json; no /docs); https:// with --tls-cert and --tls-key."""
    import os

    import uvicorn

    from counter.hq.limits import LIMITS_ENV, Limits

    if log_level not in ("critical", "error", "warning", "info", "debug", "trace"):
        fail(f"--log-level must be critical, error, warning, info, debug or trace, not {log_level}", 2)
    if log_format not in ("text", "json"):
        fail(f"--log-format must be text or json, not {log_format}", 2)
    from counter.hq.monitoring import MULTIPROC_ENV, log_config
    from counter.hq.server import MIN_PROTOCOL_ENV

    os.environ[MIN_PROTOCOL_ENV] = str(min_protocol)
    tls = _tls_options(tls_cert, tls_key)
    limits = Limits(max_body_bytes=max_body_bytes, header_timeout_s=header_timeout, body_timeout_s=body_timeout,
                    rate=rate_limit, alarm_window_s=alarm_window, signin_rate=signin_rate,
                    trusted_proxies=tuple(trusted_proxy or ())).check()
    os.environ[LIMITS_ENV] = limits.to_env()  # for the header timeout, and for every worker process
    # proxy_headers off: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 (create_app decides)
    server_options = {"http": "counter.hq.limits:HeaderTimeoutH11Protocol", "log_level": log_level,
                      "proxy_headers": False,
                      "log_config": log_config(log_format, log_level), **tls}

    store = _store(db, key_dir)  # fail fast with one line on a bad URL, key or schema
    from counter.hq import auth

    auth.ensure_schema(store)  # here, once, before any worker starts
    _check_can_listen(host, port)
    if workers > 1:
        if store.dialect != "postgresql":
            fail("--workers > 1 needs PostgreSQL; the embedded SQLite backend is for one process")
        os.environ["COUNTER_HQ_DB"], os.environ["COUNTER_HQ_KEY_DIR"] = db, str(key_dir)
        if not os.environ.get(MULTIPROC_ENV):  # the workers' metrics, summed at scrape (prometheus-client)
            import tempfile

            os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="counter-hq-metrics-")
        store.close()
        uvicorn.run("counter.hq.server:app_from_env", factory=True, host=host, port=port, workers=workers,
                    **server_options)
        return
    from counter.hq.server import create_app

    uvicorn.run(create_app(store, limits), host=host, port=port, **server_options)


def _tls_options(cert: Path | None, key: Path | None) -> dict:
    """uvicorn's ssl_certfile/ssl_keyfile, checked first so a bad pair is one line, not a traceback."""
    import ssl

    if cert is None and key is None:
        return {}
    if cert is None or key is None:
        fail("--tls-cert and --tls-key go together; give both", 2)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    for path in (cert, key):
        if not path.is_file():
            fail(f"cannot read {path}; check --tls-cert and --tls-key")
    try:
        context.load_cert_chain(str(cert), str(key))
    except (ssl.SSLError, OSError):
        fail(f"--tls-cert {cert} and --tls-key {key} are not a matching PEM certificate and key")
    return {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}


@app.command("enroll")
def enroll(
    db: DbUrl,
    station_id: StationId,
    public_key: Annotated[Path, typer.Option("--public-key", help="The station's DATA_DIR/keys/station.pub")],
) -> None:
    """Enrol a station's public key; a station's earlier key stops being accepted for new batches."""
    from counter.hq import admin

    try:
        pem = public_key.read_bytes()
    except OSError:
        fail(f"cannot read public key file {public_key}")
    key_id = admin.enroll(_store(db), station_id, pem, str(public_key))
    print(f"station {station_id} enrolled with key {key_id}")


@app.command("rekey")
def rekey(
    station_id: Annotated[str, typer.Argument(help="The station whose PC is replaced")],
    db: DbUrl,
    public_key: Annotated[Path, typer.Option("--public-key", help="The new PC's keys/station.pub")],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the record (e.g. 'disk failed, ticket 4711')")],
    approved_by: Annotated[str, typer.Option("--approved-by", help="The supervisor who approved the replacement")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Replace a station's PC: retire its keys at HQ's acked seq and enrol the new PC's key."""

    from counter.hq import admin

    try:
        pem = public_key.read_bytes()
    except OSError:
        fail(f"cannot read public key file {public_key}")
    store = _store(db)
    current = {r["station_id"]: r for r in admin.status(store)}.get(station_id)
    if current is None:
        fail(f"station {station_id} is not enrolled; a new station is enrolled with 'counter hq enroll'")
    if not yes:
        if not sys.stdin.isatty():
            fail("confirm with --yes (no terminal to ask on)", 2)
        typer.confirm(f"Retire every key of {station_id} at seq {current['acked_seq']}? Entries its old PC made"
                      " after that are lost", abort=True)
    done = admin.rekey(store, station_id, pem, reason=reason, approved_by=approved_by, where=str(public_key))
    print(f"station {station_id}: key {done.new_key_id} enrolled; retired {', '.join(done.old_key_ids) or 'no key'}"
          f" at seq {done.retired_seq} (approved by {' '.join(approved_by.split())})")
    print(f"next, on the new PC: counter init --restore-from-hq URL --station-id {station_id} --hq-public-key hq.pub")


@app.command("backup")
def backup(db: DbUrl, out: Annotated[Path, typer.Option("--out", help="The new backup file (0600)")]) -> None:
    """Copy the embedded SQLite HQ database online into a new file (PostgreSQL: use pg_dump)."""
    from counter.backup import backup_hq_sqlite
    from counter.hq.store import open_store
    from counter.progress import Progress

    bar = Progress("database pages")
    size = backup_hq_sqlite(open_store(db), out, bar.update)
    bar.close()
    print(f"{out}: {size} bytes; keep it with a copy of the HQ key directory (hq.key), encrypted")


@app.command("revoke")
def revoke(db: DbUrl, station_id: StationId) -> None:
    """Revoke a station's keys: HQ refuses its batches until a new key is enrolled."""
    from counter.hq import admin

    count = admin.revoke(_store(db), station_id)
    print(f"station {station_id}: {count} key(s) revoked")


@app.command("release")
def release(db: DbUrl, station_id: StationId) -> None:
    """Lift a station's quarantine after its fork was investigated."""
    from counter.hq import admin

    admin.release(_store(db), station_id)
    print(f"station {station_id} released from quarantine")


@app.command("status")
def status(db: DbUrl, json_out: JsonFlag = False) -> None:
    """Per station: acked seq, head hash, last contact, clock offset, alarms, active key, quarantine."""
    from counter.hq import admin

    rows = admin.status(_store(db))
    if json_out:
        print_json(rows)
        return
    if not rows:
        print("no stations enrolled")
        return
    print(f"{'station':<20} {'acked_seq':>9} {'head':<16} {'last contact':<27} {'clock':>8} {'alarms':>6}"
          f" {'key':<16} state")
    for r in rows:
        state = f"QUARANTINED ({r['quarantine_reason']})" if r["quarantined"] else "ok"
        clock = "-" if r["clock_offset_s"] is None else f"{r['clock_offset_s']:+.0f}s"
        if r.get("conflicts"):
            state += f", {r['conflicts']} open permit conflict(s): counter hq conflicts"
        print(f"{r['station_id']:<20} {r['acked_seq']:>9} {r['head_hash'][:16]:<16} {r['last_contact'] or 'never':<27}"
              f" {clock:>8} {r['alarms']:>6} {r['active_key_id'] or 'none':<16} {state}")


@app.command("alarms")
def alarms(db: DbUrl, station_id: Annotated[str | None, typer.Option("--station-id", help="Only this station")] = None,
           json_out: JsonFlag = False) -> None:
    """List alarms (forks, broken chains, bad signatures, clock offsets)."""
    from counter.hq import admin

    rows = admin.alarms(_store(db), station_id)
    if json_out:
        print_json(rows)
        return
    if not rows:
        print("no alarms")
        return
    for r in rows:
        times = f" (x{r['count']}, last {r['last_at']})" if r["count"] > 1 else ""
        print(f"{r['created_at']} {r['station_id']:<20} {r['kind']:<14} {r['detail']}{times}")


@app.command("verify")
def verify(db: DbUrl, station_id: Annotated[str | None, typer.Option("--station-id", help="Only this station")] = None,
           json_out: JsonFlag = False) -> None:
    """Re-verify every stored chain and batch signature; exit 1 if any station fails."""
    from counter.hq import admin

    store = _store(db)
    ids = [station_id] if station_id else [r["station_id"] for r in admin.status(store)]
    reports = [admin.verify_station(store, sid) for sid in ids]
    if json_out:
        print_json([r.__dict__ for r in reports])
    else:
        for r in reports:
            print(f"{r.station_id:<20} {'ok' if r.ok else 'BROKEN'} {r.count} entries" + (f": {r.reason}" if r.reason else ""))
    raise typer.Exit(0 if all(r.ok for r in reports) else 1)


@app.command("rebuild")
def rebuild(db: DbUrl, json_out: JsonFlag = False) -> None:
    """Recompute the district register from the stored journals; prints its checksum before and after."""
    from counter.hq.register import rebuild as register_rebuild

    store = _store(db)
    before = register_rebuild.checksum(store)
    if json_out:
        count = register_rebuild.rebuild(store)
    else:
        print(f"checksum before: {before}")
        with typer.progressbar(length=1, label="replaying entries", show_pos=True, show_eta=True,
                               file=sys.stderr) as bar:
            def progress(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            count = register_rebuild.rebuild(store, progress)
    after = register_rebuild.checksum(store)
    if json_out:
        print_json({"entries": count, "checksum_before": before, "checksum_after": after, "same": before == after})
        return
    print(f"checksum after:  {after}")
    print(f"{count} entries replayed; the register is {'unchanged' if before == after else 'CHANGED'}")


@app.command("duplicates")
def duplicates(db: DbUrl, json_out: JsonFlag = False) -> None:
    """Files that may be wrong twice over: one ID number under different names, or one name, birth date and
    household area under different numbers (masked numbers; each file names its station)."""
    from counter.hq.register import duplicates as register_duplicates

    found = register_duplicates.duplicates(_store(db))
    if json_out:
        print_json(found)
        return
    if not found["same_number"] and not found["same_person"]:
        print("no duplicates")
        return
    for group in found["same_number"]:
        files = "; ".join(f"{f['name']} at {f['station_id']}" for f in group["files"])
        print(f"same number {group['id_masked']} ({group['doc_type']}), different names: {files}")
    for group in found["same_person"]:
        files = "; ".join(f"{f['id_masked']} at {f['station_id']}" for f in group["files"])
        print(f"same person? {group['name']} born {group['birth_date']}, household area {group['household_area']},"
              f" different numbers: {files}")


@app.command("overdue")
def overdue(db: DbUrl, since: Annotated[str | None, typer.Option(
        "--since", help="only reports filed from this day (YYYY-MM-DD)")] = None, json_out: JsonFlag = False) -> None:
    """Houses and entities of the whole district with late reports (art. 14), for 限期改正 (art. 22)."""
    from datetime import date

    from counter.hq.register import overdue as register_overdue

    if since is not None:
        try:
            date.fromisoformat(since)
        except ValueError:
            fail(f"--since {since!r} is not a date (YYYY-MM-DD)", 2)
    found = register_overdue.overdue(_store(db), since)
    if json_out:
        print_json(found)
        return
    for o in found:
        print(f"{o['reporter_kind']:<6}  {o['reporter_code']}  {o['late_rows']} late rows in {o['late_reports']}"
              f" reports  last {o['last_late_on']}  {o['name']}")
    print(f"{len(found)} reporters with late reports in the district", file=sys.stderr)


conflicts_app = new_app("Permits two windows acted on without seeing each other's entry, and their resolution.",
                        invoke_without_command=True)
conflicts_app.info.no_args_is_help = False
app.add_typer(conflicts_app, name="conflicts")


@conflicts_app.callback()
def conflicts(ctx: typer.Context,
              db: Annotated[str | None, typer.Option("--db", envvar="COUNTER_HQ_DB", callback=_no_password_on_argv,
                                                     help="sqlite:///path/hq.db or postgresql://user@host/db")] = None,
              open_only: Annotated[bool, typer.Option("--open", help="Only open conflicts")] = False,
              json_out: JsonFlag = False) -> None:
    """Permits two windows acted on without seeing each other's entry (both entries are stored)."""
    if ctx.invoked_subcommand:
        return
    if not db:
        fail("--db URL (or COUNTER_HQ_DB) is needed", 2)
    from counter.hq.register import conflicts as register_conflicts

    rows = register_conflicts.all_conflicts(_store(db), "open" if open_only else None)
    if json_out:
        print_json(rows)
        return
    if not rows:
        print("no conflicts")
        return
    for r in rows:
        first, second = r["entries"]
        line = (f"#{r['conflict_id']} {r['detected_at']} {r['kind']:<13} permit {r['permit']}: A {first['station_id']}"
                f" seq {first['seq']} {first['kind']} / B {second['station_id']} seq {second['seq']} {second['kind']}"
                f" [{r['status']}]")
        res = r.get("resolution")
        if res:
            line += f" keep {_KEPT[res['keep']]} ({res['resolved_by']}, {res['resolved_at']}: {res['reason']})"
        print(line)


_KEPT = {"first": "A", "second": "B", "both": "both"}


@conflicts_app.command("resolve")
def conflicts_resolve(
    conflict_id: Annotated[int, typer.Argument(help="the conflict's id (#N in 'counter hq conflicts')")],
    db: DbUrl,
    keep: Annotated[str, typer.Option("--keep", help="A (the entry that reached HQ first), B (the second) or both")],
    reason: Annotated[str, typer.Option("--reason", help="why: both stations' supervisors read it")],
    by: Annotated[str, typer.Option("--by", help="the HQ admin account deciding (counter hq user add --role admin)")],
    json_out: JsonFlag = False,
) -> None:
    """Resolve an open conflict: which entry stands. Both stations learn it in their next ack; the window
    whose entry was not kept voids it there (the journals are never edited)."""
    from counter.hq.register import conflicts as register_conflicts

    row = register_conflicts.resolve_conflict(_store(db), conflict_id, keep, reason, by)
    if json_out:
        print_json(row)
        return
    res = row["resolution"]
    first, second = row["entries"]
    set_aside = {"first": [first], "second": [second], "both": []}[{"first": "second", "second": "first",
                                                                    "both": "both"}[res["keep"]]]
    print(f"conflict #{conflict_id} resolved by {res['resolved_by']} at {res['resolved_at']}: keep"
          f" {_KEPT[res['keep']]}" + "".join(f"; {e['station_id']} is to void its seq {e['seq']} ({e['kind']})"
                                             for e in set_aside))


@app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="A day bundle written by 'counter export'")],
    db: DbUrl,
    key_dir: Annotated[Path, typer.Option("--key-dir", envvar="COUNTER_HQ_KEY_DIR",
                                          help="Directory of HQ's key pair (signs the ack)")],
    identity_file: Annotated[Path | None, typer.Option(
        "--identity", help="The district's age identity file, for an encrypted bundle")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Verify a day bundle and store its journal entries, exactly as a network sync would."""
    from counter.hq.bundle_import import import_bundle
    from counter.sync.bundle import BundleError, read_bundle_files

    data, identity_text = read_bundle_files(file, identity_file)
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


@app.command("stats")
def stats(
    db: DbUrl,
    by: Annotated[str | None, typer.Option("--by", help="dimensions, comma-separated: station, week, month, origin,"
                                           " province, age, sex, stay, education, occupation, housing, reason,"
                                           " kind (default station)")] = None,
    flow: Annotated[str | None, typer.Option("--flow", help="instead of --by: inflow (registrations started) and"
                                             " outflow (registrations ended) across the district per week or month")]
    = None,
    date_from: Annotated[str | None, typer.Option("--from", help="first day (YYYY-MM-DD; default: --to)")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="last day (default: today)")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="JSON: cells, totals and footnote")] = False,
    csv_out: Annotated[bool, typer.Option("--csv", help="CSV (UTF-8 with BOM) with the footnote")] = False,
    xlsx_out: Annotated[bool, typer.Option("--xlsx", help="Excel workbook; needs --out")] = False,
    pdf_out: Annotated[bool, typer.Option("--pdf", help="A4 PDF report with charts; needs --out")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="write to this file (0600) instead of stdout")] = None,
    min_cell: Annotated[int | None, typer.Option("--min-cell", help="suppress cells under this count; at least the"
                                                 " policy's stats_min_cell (5)")] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh_CN or en")] = "zh_CN",
) -> None:
    """District figures across all stations (by station, week or month and any other dimension).

    Brings the statistics up to date with the journals received first (with a progress bar)."""
    from datetime import date as date_type
    from zoneinfo import ZoneInfo

    from counter import stats as S
    from counter.cli.common import check_lang
    from counter.cli.progress import Progress
    from counter.cli.stats import emit, parse_day, pick_format, published
    from counter.domain.language import is_chinese
    from counter.hq import stats as hq_stats

    fmt = pick_format(json_out, csv_out, xlsx_out, pdf_out)
    check_lang(lang)
    if by is not None:
        S.parse_dimensions(by)  # a bad --by is one line before the database is opened
    policy = hq_stats.default_policy()
    if min_cell is not None and min_cell < policy.stats_min_cell:
        fail(f"--min-cell {min_cell} is under the policy's {policy.stats_min_cell}; small cells would single people out", 2)
    from datetime import datetime

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    to = parse_day(date_to, "--to", today)
    start = parse_day(date_from, "--from", to)
    if start > to:
        fail(f"--from {start} is after --to {to}", 2)
    assert isinstance(to, date_type)
    store = _store(db)
    bar = Progress(hq_stats.pending(store), "folding journals")
    hq_stats.refresh(store, bar.advance)
    bar.close()
    with store.transaction() as tx:
        pub = published(tx, by, flow, start, to, min_cell or policy.stats_min_cell, policy.stats_age_bands, lang,
                        "全区 District" if is_chinese(lang) else "District", "station")
    emit(S.render(pub, fmt), fmt, out)


user_app = new_app("District staff accounts for the HQ dashboard (/dash).")
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="the staff member's sign-in name")],
    db: DbUrl,
    role: Annotated[str, typer.Option("--role", help="viewer (the pages) or admin (also the audit page)")] = "viewer",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from the first line"
                                                 " of standard input instead of asking twice")] = False,
) -> None:
    """Add a dashboard account; the password (12 characters or more) is stored as an Argon2id hash."""

    from counter.hq import staff

    if role not in staff.ROLES:
        fail(f"--role must be viewer or admin, not {role}", 2)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        if not sys.stdin.isatty():
            fail("cannot ask for the password: standard input is not a terminal; pass --password-stdin", 2)
        import getpass

        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            fail("the two passwords differ; nothing was changed", 2)
    made = staff.add_user(_store(db), name, role, password)
    print(f"added {made.role} {made.name}; they sign in at /dash/login")


@user_app.command("list")
def user_list(db: DbUrl, json_out: JsonFlag = False) -> None:
    """The dashboard accounts, their roles and lockouts (never a password hash)."""
    from counter.hq import staff

    users = staff.list_users(_store(db))
    if json_out:
        print_json(users)
        return
    for u in users:
        locked = f"  locked until {u['locked_until']}" if u["locked_until"] else ""
        print(f"{u['name']}  {u['role']}{locked}")


@user_app.command("unlock")
def user_unlock(name: Annotated[str, typer.Argument(help="the staff member's sign-in name")], db: DbUrl) -> None:
    """End an account's lockout after too many wrong passwords."""
    from counter.hq import staff

    staff.unlock(_store(db), name)
    print(f"unlocked {name}")
