"""Print-job state, projected from print.* journal entries.

print.queued     {job_id, doc_type, doc_kind, number, printer, document}
print.printed    {job_id, copy_number, message, output}   the original (or a retried copy) came out
print.reprinted  {job_id, copy_number, message, output}   a copy (副本/COPY n) came out
print.failed     {job_id, copy_number, result, message}    result: "failed" | "unconfirmed"
"""

from __future__ import annotations

from db import kinds
from db.entry import Entry
from db.projections import projection_tables, projector

projection_tables("print_jobs")


@projector(kinds.PRINT_QUEUED)
def _queued(db, e: Entry, d: dict) -> None:
    db.conn.execute(
        "INSERT INTO print_jobs (job_id, doc_type, doc_kind, number, state, printer, clerk_id, business_day,"
        " queued_seq, queued_at, updated_seq, updated_at, pending_copy)"
        " VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)",
        (d["job_id"], d["doc_type"], d["doc_kind"], d["number"], d.get("printer", ""), e.clerk_id,
         e.business_day, e.seq, e.device_time_utc, e.seq, e.device_time_utc,
         int((d.get("document") or {}).get("copy_number") or 0)),
    )


@projector(kinds.PRINT_PRINTED, kinds.PRINT_REPRINTED)
def _printed(db, e: Entry, d: dict) -> None:
    copy = int(d.get("copy_number", 0))
    db.conn.execute(
        "UPDATE print_jobs SET state = 'printed', attempts = attempts + 1, copies = max(copies, ?),"
        " pending_copy = 0, message = ?, output = coalesce(?, output), updated_seq = ?, updated_at = ?"
        " WHERE job_id = ?",
        (copy, d.get("message", ""), d.get("output"), e.seq, e.device_time_utc, d["job_id"]),
    )


@projector(kinds.PRINT_FAILED)
def _failed(db, e: Entry, d: dict) -> None:
    state = "unconfirmed" if d.get("result") == "unconfirmed" else "failed"
    db.conn.execute(
        "UPDATE print_jobs SET state = ?, attempts = attempts + 1, pending_copy = ?, message = ?,"
        " updated_seq = ?, updated_at = ? WHERE job_id = ?",
        (state, int(d.get("copy_number", 0)), d.get("message", ""), e.seq, e.device_time_utc, d["job_id"]),
    )


# --- reads ------------------------------------------------------------------------------------


def print_job(db, job_id: str) -> dict | None:
    cursor = db.conn.execute("SELECT * FROM print_jobs WHERE job_id = ?", (job_id,))
    row = cursor.fetchone()
    return dict(zip([c[0] for c in cursor.description], row, strict=True)) if row else None


def print_jobs(db, *, outstanding_only: bool = True, limit: int = 200) -> list[dict]:
    """Jobs newest first; with outstanding_only, those not printed (queued, failed, unconfirmed)."""
    sql = "SELECT * FROM print_jobs"
    if outstanding_only:
        sql += " WHERE state != 'printed'"
    cursor = db.conn.execute(sql + " ORDER BY queued_seq DESC LIMIT ?", (limit,))
    cols = [c[0] for c in cursor.description]
    return [dict(zip(cols, row, strict=True)) for row in cursor.fetchall()]
