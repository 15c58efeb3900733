"""Print jobs through the service: journal entries, projections, retry, reprint, re-rendering."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from counter.services import printing as ps
from db import rebuild
from devices.printer import set_simulated_condition
from printing.receipt import render_receipt
from tests.printing.conftest import NAME, replace
from tests.printing.escpos_parser import parse
from tests.printing.fake_printer import NetworkPrinter

ROOT = Path(__file__).resolve().parents[2]


def kinds(station) -> list[str]:
    return [r[0] for r in station.db.conn.execute("SELECT kind FROM journal WHERE kind LIKE 'print.%' ORDER BY seq")]


def jobs_dir(station) -> Path:
    return ps.simulated_dir(station)


def test_print_receipt_is_journaled_and_masked(station, receipt):
    full = replace(receipt, masked_id="210102199003071241", verification="")
    result = ps.print_receipt(station, full, "clerk-1")
    assert result.confirmed and result.state == "printed"
    assert kinds(station) == ["print.queued", "print.printed"]
    queued = json.loads(station.db.conn.execute(
        "SELECT payload FROM journal WHERE kind = 'print.queued'").fetchone()[0])
    assert queued["document"]["masked_id"] == "210102********1241"
    assert "210102199003071241" not in json.dumps(queued)
    assert queued["document"]["applicant_name"] == NAME
    assert queued["document"]["verification"].startswith("CNTR1:")  # signed when not given
    # what the simulated printer received decodes to the receipt
    job_file = sorted(jobs_dir(station).glob("job-*.bin"))[-1]
    p = parse(job_file.read_bytes(), "gb18030")
    assert "210102********1241" in p.text and p.rasters and p.qr_payloads
    job = ps.get_job(station, result.job_id)
    assert (job["state"], job["attempts"], job["copies"], job["clerk_id"]) == ("printed", 1, 0, "clerk-1")


def test_out_of_paper_stays_queued_then_retry_and_reprint(station, receipt):
    set_simulated_condition(jobs_dir(station), paper="out")
    result = ps.print_receipt(station, receipt, "clerk-1")
    assert not result.confirmed and result.state == "failed"
    assert "out of paper" in result.message
    assert [j["job_id"] for j in ps.list_jobs(station)] == [result.job_id]
    assert not list(jobs_dir(station).glob("job-*.bin"))

    set_simulated_condition(jobs_dir(station), paper="ok")
    retried = ps.retry_job(station, result.job_id, "clerk-1")
    assert retried.confirmed and retried.copy_number == 0
    assert ps.list_jobs(station) == []

    again = ps.reprint_job(station, result.job_id, "clerk-2")
    assert again.confirmed and again.copy_number == 1
    second = ps.reprint_job(station, result.job_id, "clerk-2")
    assert second.copy_number == 2
    assert kinds(station) == ["print.queued", "print.failed", "print.printed", "print.reprinted", "print.reprinted"]
    files = sorted(jobs_dir(station).glob("job-*.bin"))
    texts = [parse(f.read_bytes(), "gb18030").text for f in files]
    assert "副本" not in texts[0] and "副本 COPY 1" in texts[1] and "副本 COPY 2" in texts[2]
    job = ps.get_job(station, result.job_id)
    assert (job["state"], job["attempts"], job["copies"]) == ("printed", 4, 2)


def test_retry_and_reprint_refuse_the_wrong_state(station, receipt):
    import pytest

    set_simulated_condition(jobs_dir(station), answers=False)
    failed = ps.print_receipt(station, receipt, None)
    assert failed.state == "failed" and "does not answer" in failed.message
    with pytest.raises(ps.PrintJobError, match="not been printed"):
        ps.reprint_job(station, failed.job_id, None)
    set_simulated_condition(jobs_dir(station), answers=True)
    assert ps.retry_job(station, failed.job_id, None).confirmed
    with pytest.raises(ps.PrintJobError, match="already printed"):
        ps.retry_job(station, failed.job_id, None)
    with pytest.raises(ps.PrintJobError, match="no print job"):
        ps.retry_job(station, "nope", None)


def test_unconfirmed_network_job_stays_queued(station, receipt):
    server = NetworkPrinter(answer_limit=4)
    try:
        printer = station.config.section("printer")
        printer.update(kind="network", target=server.target, timeout_seconds=0.3)
        result = ps.print_receipt(station, receipt, None)
        assert result.state == "unconfirmed" and not result.confirmed
        assert ps.list_jobs(station)[0]["state"] == "unconfirmed"
    finally:
        server.close()


def test_document_rerenders_from_the_journal(station, receipt):
    result = ps.print_receipt(station, receipt, None)
    printed = sorted(jobs_dir(station).glob("job-*.bin"))[-1].read_bytes()
    doc = ps.job_document(station, result.job_id)
    assert render_receipt(doc, ps.printer_model(station)) == printed


def test_projection_rebuild_matches(station, receipt):
    set_simulated_condition(jobs_dir(station), paper="out")
    job = ps.print_receipt(station, receipt, None).job_id
    set_simulated_condition(jobs_dir(station), paper="ok")
    ps.retry_job(station, job, None)
    ps.reprint_job(station, job, None)
    before = rebuild.checksum(station.db)
    rebuild.rebuild(station.db)
    assert rebuild.checksum(station.db) == before
    assert station.verify_journal().ok


def test_print_certificate_writes_pdf_and_journals(station, certificate, tmp_path):
    path = ps.print_certificate(station, replace(certificate, verification=""), "clerk-1", tmp_path / "certs")
    assert path.read_bytes().startswith(b"%PDF")
    job = ps.list_jobs(station, outstanding_only=False)[0]
    assert job["doc_type"] == "certificate" and job["output"] == str(path)
    copy = ps.reprint_job(station, job["job_id"], "clerk-1")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", copy.output, "-"], capture_output=True, text=True).stdout
    assert "副本 COPY 1" in text and NAME in text
    # the payload in the QR verifies and carries the masked number only
    token = ps.job_document(station, job["job_id"]).verification
    claims = ps.verify_payload(token, ps.trusted_keys(station.data_dir, station))
    assert claims.masked_id == "210102********1241"


def test_certificate_write_failure_stays_queued(station, certificate, tmp_path):
    import pytest

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(ps.PrintJobError, match="stays queued"):
        ps.print_certificate(station, certificate, None, blocker)
    assert ps.list_jobs(station)[0]["state"] == "failed"


def test_check_printer_for_device_checkin(station):
    info = ps.check_printer(station)
    assert {"kind", "model", "state", "online", "paper", "message"} <= set(info)
    assert (info["kind"], info["state"], info["online"], info["paper"]) == ("simulated", "ready", True, "ok")
    set_simulated_condition(jobs_dir(station), paper="near_end")
    assert ps.check_printer(station)["state"] == "paper_near_end"
    set_simulated_condition(jobs_dir(station), answers=False)
    info = ps.check_printer(station)
    assert info["state"] == "no_answer" and info["online"] is None and info["paper"] == "unknown"


def _cli(station, *args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "counter", *args, "--data-dir", str(station.data_dir)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_cli_print_commands(station, tmp_path):
    out = tmp_path / "test.bin"
    r = _cli(station, "print", "test", "--to", str(out), "--model", "generic-58")
    assert r.returncode == 0, r.stderr
    p = parse(out.read_bytes(), "gbk")
    assert p.rasters and "?" not in p.text and "\ufffd" not in p.text
    r = _cli(station, "print", "simulate", "--paper", "out")
    assert r.returncode == 0, r.stderr
    r = _cli(station, "print", "status")
    assert r.returncode == 1 and "out of paper" in r.stdout
    r = _cli(station, "print", "test")
    assert r.returncode == 1 and "failed" in r.stderr and r.stdout == ""
    r = _cli(station, "print", "queue", "--json")
    job = json.loads(r.stdout)[0]["job_id"]
    # one line, saying what to do (was 'job X: failed: ...' on stdout)
    assert r.returncode == 0
    failed_line = _cli(station, "print", "test").stderr
    assert failed_line.startswith("error: job ") and failed_line.count("\n") == 1
    assert " failed: printer is out of paper" in failed_line and "; it stays in the queue: counter print retry " in failed_line
    _cli(station, "print", "simulate", "--paper", "ok")
    r = _cli(station, "print", "retry", job)
    assert r.returncode == 0 and r.stdout == f"job {job}: printed\n"  # not 'printed: printed'
    r = _cli(station, "print", "reprint", job)
    assert r.returncode == 0 and "COPY 1" in r.stdout


def test_print_and_cert_commands_do_not_import_textual(station):
    code = (
        "import sys\n"
        "from counter.cli import main\n"
        "try:\n"
        f"    main(['print', 'status', '--data-dir', {str(station.data_dir)!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "assert 'textual' not in sys.modules, 'textual imported'\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
