"""Print-job state, projected from print.* journal entries.

print.queued     {job_id, doc_type, doc_kind, number, printer, document}
print.printed    {job_id, copy_number, message, output}   the original (or a retried copy) came out
print.reprinted  {job_id, copy_number, message, output}   a copy (副本/COPY n) came out
print.failed     {job_id, copy_number, result, message}    result: "failed" | "unconfirmed"
"""

from __future__ import annotations

from db.entry import Entry
from db.projections import projection_tables, projector

projection_tables("print_jobs")


@projector("print.queued")
def _queued(db, e: Entry, d: dict) -> None:
    db.conn.execute(
        "INSERT INTO print_jobs (job_id, doc_type, doc_kind, number, state, printer, clerk_id, business_day,"
        " queued_seq, queued_at, updated_seq, updated_at, pending_copy)"
        " VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)",
        (d["job_id"], d["doc_type"], d["doc_kind"], d["number"], d.get("printer", ""), e.clerk_id,
         e.business_day, e.seq, e.device_time_utc, e.seq, e.device_time_utc,
         int((d.get("document") or {}).get("copy_number") or 0)),
    )


@projector("print.printed", "print.reprinted")
def _printed(db, e: Entry, d: dict) -> None:
    copy = int(d.get("copy_number", 0))
    db.conn.execute(
        "UPDATE print_jobs SET state = 'printed', attempts = attempts + 1, copies = max(copies, ?),"
        " pending_copy = 0, message = ?, output = coalesce(?, output), updated_seq = ?, updated_at = ?"
        " WHERE job_id = ?",
        (copy, d.get("message", ""), d.get("output"), e.seq, e.device_time_utc, d["job_id"]),
    )


@projector("print.failed")
def _failed(db, e: Entry, d: dict) -> None:
    state = "unconfirmed" if d.get("result") == "unconfirmed" else "failed"
    db.conn.execute(
        "UPDATE print_jobs SET state = ?, attempts = attempts + 1, pending_copy = ?, message = ?,"
        " updated_seq = ?, updated_at = ? WHERE job_id = ?",
        (state, int(d.get("copy_number", 0)), d.get("message", ""), e.seq, e.device_time_utc, d["job_id"]),
    )
