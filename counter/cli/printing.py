"""counter print ... | counter cert ...: receipts, print jobs, certificates and their verification."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from counter.cli.common import DataDir, JsonFlag, fail, known_clerk, new_app, open_station, print_json

print_app = new_app("Receipt printer: test page, status, and the queue of print jobs.")
cert_app = new_app("Certificates: sample PDF and verification of signed QR payloads.")

Clerk = Annotated[str | None, typer.Option("--clerk", help="Clerk id recorded with the journal entry")]


def _show_result(result, json_out: bool) -> None:
    if json_out:
        print_json(result.as_dict())
    else:
        copy = f" (副本/COPY {result.copy_number})" if result.copy_number else ""
        where = f" -> {result.output}" if result.output else ""
        detail = f": {result.message}" if result.message and result.message != result.state else ""
        if not result.confirmed:  # an error like any other: one line on stderr
            fail(f"job {result.job_id} {result.state}{copy}{detail}; it stays in the queue:"
                 f" counter print retry {result.job_id}")
        print(f"job {result.job_id}: {result.state}{copy}{detail}{where}")
    if not result.confirmed:
        raise typer.Exit(1)


@print_app.command("test")
def print_test(
    to: Annotated[Path | None, typer.Option("--to", help="Write the ESC/POS bytes to FILE instead of printing")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Printer model profile (default: printer.model in station.toml)")] = None,
    clerk: Clerk = None,
    data_dir: DataDir = None,
    json_out: JsonFlag = False,
) -> None:
    """Print a test receipt (a name with 𠮷, full-width punctuation, ¥, a signed QR code)."""
    from counter.services import printing as ps

    station = open_station(data_dir)
    clerk = known_clerk(station, clerk)
    receipt = ps.test_receipt(station)
    if to is not None:
        from printing.models import ModelError, load_model
        from printing.receipt import render_receipt

        try:
            profile = load_model(model) if model else ps.printer_model(station)
        except ModelError as exc:
            fail(str(exc), 2)
        data = render_receipt(receipt, profile)
        try:
            to.write_bytes(data)
        except OSError as exc:
            fail(f"cannot write {to}: {exc.strerror or exc}")
        if json_out:
            print_json({"file": str(to), "bytes": len(data), "model": profile.name})
        else:
            print(f"wrote {len(data)} bytes of ESC/POS for {profile.name} to {to}")
        return
    if model:
        fail("--model only applies with --to; the printer's model is [printer] model in station.toml", 2)
    _show_result(ps.print_receipt(station, receipt, clerk), json_out)


@print_app.command("status")
def print_status(data_dir: DataDir = None, json_out: JsonFlag = False) -> None:
    """Ask the printer for its status (DLE EOT); exit 1 when it cannot print now."""
    from counter.services import printing as ps

    station = open_station(data_dir)
    info = ps.check_printer(station)
    if json_out:
        print_json(info)
    else:
        print(f"printer: {info['kind']} ({info['model']})")
        print(f"state: {info['state']}")
        online = {True: "yes", False: "no", None: "unknown"}[info["online"]]
        print(f"online: {online}")
        print(f"paper: {info['paper']}")
        print(info["message"])
    if not info["printable"]:
        raise typer.Exit(1)


@print_app.command("queue")
def print_queue(
    all_jobs: Annotated[bool, typer.Option("--all", help="Include printed jobs")] = False,
    data_dir: DataDir = None,
    json_out: JsonFlag = False,
) -> None:
    """List print jobs that are not printed (failed, unconfirmed, queued), newest first."""
    from counter.services import printing as ps

    station = open_station(data_dir)
    jobs = ps.list_jobs(station, outstanding_only=not all_jobs)
    if json_out:
        print_json(jobs)
        return
    if not jobs:
        print("no print jobs waiting" if not all_jobs else "no print jobs")
        return
    for job in jobs:
        copies = f" copies={job['copies']}" if job["copies"] else ""
        print(f"{job['job_id']}  {job['queued_at'][:19]}  {job['doc_type']:<11} {job['number']:<24} "
              f"{job['state']:<11} attempts={job['attempts']}{copies}  {job['message']}")


@print_app.command("retry")
def print_retry(
    job_id: Annotated[str, typer.Argument(help="Job id from 'counter print queue'")],
    clerk: Clerk = None,
    data_dir: DataDir = None,
    json_out: JsonFlag = False,
) -> None:
    """Print a failed or unconfirmed job again."""
    from counter.services import printing as ps

    station = open_station(data_dir)
    _show_result(ps.retry_job(station, job_id, known_clerk(station, clerk)), json_out)


@print_app.command("reprint")
def print_reprint(
    job_id: Annotated[str, typer.Argument(help="Job id from 'counter print queue --all'")],
    clerk: Clerk = None,
    data_dir: DataDir = None,
    json_out: JsonFlag = False,
) -> None:
    """Print another copy of a printed job, marked 副本/COPY n."""
    from counter.services import printing as ps

    station = open_station(data_dir)
    _show_result(ps.reprint_job(station, job_id, known_clerk(station, clerk)), json_out)


@print_app.command("simulate")
def print_simulate(
    paper: Annotated[str | None, typer.Option("--paper", help="ok, near_end or out")] = None,
    cover_open: Annotated[bool | None, typer.Option("--cover-open/--cover-closed", help="Cover open or closed")] = None,
    online: Annotated[bool | None, typer.Option("--online/--offline", help="Printer online or offline")] = None,
    answers: Annotated[bool | None, typer.Option("--answers/--silent", help="Answer status queries or not")] = None,
    data_dir: DataDir = None,
    json_out: JsonFlag = False,
) -> None:
    """Set the simulated printer's condition (demo and tests): out of paper, cover open, silent..."""
    from counter.services import printing as ps
    from devices.printer import set_simulated_condition

    station = open_station(data_dir)
    if station.config.section("printer")["kind"] != "simulated":
        fail("this station's printer is not simulated ([printer] kind)", 2)
    changes = {k: v for k, v in {"paper": paper, "cover_open": cover_open, "online": online,
                                 "answers": answers}.items() if v is not None}
    try:
        cond = set_simulated_condition(ps.simulated_dir(station), **changes)
    except ValueError as exc:
        fail(str(exc), 2)
    if json_out:
        print_json(cond)
    else:
        print(", ".join(f"{k}={v}" for k, v in cond.items()))


@cert_app.command("sample")
def cert_sample(
    out: Annotated[Path, typer.Option("--out", help="Where to write the PDF")],
    data_dir: DataDir = None,
) -> None:
    """Write a sample residence certificate (居住证明) for a name with 𠮷, with a signed QR code."""
    from counter import files
    from counter.services import printing as ps
    from printing.certificate import render_certificate

    station = open_station(data_dir)
    data = render_certificate(ps.sample_certificate(station))
    try:
        files.write_atomic(out, data)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    print(f"wrote {out} ({len(data)} bytes)")


@cert_app.command("verify")
def cert_verify(
    payload: Annotated[str | None, typer.Argument(help="The QR payload text (CNTR1:...)")] = None,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Read the QR code from this PDF instead")] = None,
    data_dir: DataDir = None,
    json_out: JsonFlag = False,
) -> None:
    """Check a verification payload against this station's key and DATA_DIR/keys/trusted/*.pub.

    Exit 0 when valid; exit 1 with the reason when invalid, altered or signed by an unknown key.
    """
    from counter.config import resolve_data_dir
    from counter.services import printing as ps

    if (payload is None) == (pdf is None):
        fail("give either PAYLOAD or --pdf FILE", 2)
    station = open_station(data_dir)
    keys = ps.trusted_keys(resolve_data_dir(data_dir), station)
    if pdf is not None:
        found = [p for p in ps.qr_payloads_from_pdf(pdf) if p.startswith("CNTR1:")]
        if not found:
            _invalid(json_out, f"no verification QR code found in {pdf}")
        payload = found[0]
    try:
        claims = ps.verify_payload(payload, keys)
    except ps.VerificationFailed as exc:
        _invalid(json_out, str(exc))
    if json_out:
        print_json({"valid": True, **claims.as_dict()})
        return
    print(f"valid: signed by station {claims.station_id} (key {claims.key_id})")
    print(f"document: {claims.kind} {claims.number}")
    print(f"subject: {claims.masked_id}")
    print(f"issued: {claims.issue_date}")


def _invalid(json_out: bool, reason: str) -> None:
    if json_out:
        print_json({"valid": False, "reason": reason})
        raise typer.Exit(1)
    fail(f"invalid: {reason}")


def register(app: typer.Typer) -> None:
    app.add_typer(print_app, name="print")
    app.add_typer(cert_app, name="cert")
