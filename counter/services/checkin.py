"""Device check-in: readers present, a card test read, printer status; recorded in the journal.

The result is the payload of a "devices.checked_in" journal entry. It holds no
personal data: a card in the reader is only identified (which profile answers),
never read.
"""

from __future__ import annotations

from typing import Any

from counter.station import Station

CHECKIN_KIND = "devices.checked_in"
NOT_CHECKED = "not checked"


def check_reader(section: dict[str, Any], backend=None) -> tuple[dict, dict]:
    """(reader result, card result) for a station's [reader] section."""
    from devices.errors import NO_READER, CardError
    from devices.lds import load_csca_dir

    kind = section.get("kind", "pcsc")
    if kind == "none":
        return ({"kind": kind, "ok": True, "status": "not_configured", "readers": []},
                {"ok": True, "status": NOT_CHECKED})
    csca_dir = section.get("csca_dir") or ""
    reader: dict[str, Any] = {"kind": kind, "readers": [], "csca_dir": csca_dir,
                              "csca_certificates": len(load_csca_dir(csca_dir)) if csca_dir else 0}
    own_backend = backend is None
    if backend is None:
        from devices.backends import open_backend

        try:
            backend = open_backend(kind, section.get("reader_name", ""))
        except ImportError:
            reader.update(ok=False, status="no_service", message="pyscard is not installed (pip install counter[pcsc])")
            return reader, {"ok": True, "status": NOT_CHECKED}
    try:
        try:
            names = backend.readers()
        except CardError as exc:
            reader.update(ok=False, status=exc.state, message=exc.message, detail=exc.detail)
            return reader, {"ok": True, "status": NOT_CHECKED}
        reader["readers"] = names
        if not names:
            from devices.errors import MESSAGES

            reader.update(ok=False, status=NO_READER, message=MESSAGES[NO_READER])
            return reader, {"ok": True, "status": NOT_CHECKED}
        try:
            slot = backend.status(0.0)
        except CardError as exc:
            reader.update(ok=False, status=exc.state, message=exc.message, detail=exc.detail)
            return reader, {"ok": True, "status": NOT_CHECKED}
        reader.update(ok=True, status="ok", reader=slot.reader)
        if not slot.card_present:
            return reader, {"ok": True, "status": "no_card", "present": False}
        try:
            profile, apdus = backend.identify_card()
        except CardError as exc:
            return reader, {"ok": False, "status": exc.state, "present": True, "message": exc.message,
                            "detail": exc.detail}
        return reader, {"ok": True, "status": "ok", "present": True, "profile": profile, "apdus": apdus}
    finally:
        if own_backend:
            backend.close()


def check_sam(section: dict[str, Any], sam_backend=None) -> dict | None:
    """The SAM reader's id and status, when [reader] sam_port is set (None otherwise)."""
    own = sam_backend is None
    if own:
        from devices.sam import open_sam

        sam_backend = open_sam(section)
        if sam_backend is None:
            return None
    try:
        info = sam_backend.info()
    finally:
        if own:
            sam_backend.close()
    result = {"ok": info.status == "ready", "status": info.status, "port": info.port, "sam_id": info.sam_id}
    if info.status != "ready":
        from devices.errors import MESSAGES

        result.update(message=MESSAGES.get(info.status, info.status), detail=info.detail)
    return result


def check_printer_guarded(station: Station) -> dict:
    """The printer helper's check_printer(station), if that module is installed."""
    try:
        from counter.services.printing import check_printer
    except ModuleNotFoundError as exc:
        if exc.name not in ("counter.services.printing",):
            raise
        return {"ok": None, "status": NOT_CHECKED}
    try:
        result = dict(check_printer(station))
    except Exception as exc:  # a printer fault is a check-in result, not a crash
        return {"ok": False, "status": "error", "message": f"printer check failed: {type(exc).__name__}"}
    # check_printer reports `printable` and `state`; check-in speaks `ok` and `status`
    result.setdefault("ok", bool(result.get("printable")))
    result.setdefault("status", result.get("state") or ("ok" if result["ok"] else "error"))
    return result


def run_checkin(station: Station, clerk_id: str | None = None, *, reader_backend=None, sam_backend=None) -> dict:
    """Check the devices, record a devices.checked_in entry, return its payload plus its seq.

    reader_backend: the app's live simulated reader (the demo); PC/SC check-ins open their own context.
    """
    reader, card = check_reader(station.config.section("reader"), reader_backend)
    sam = check_sam(station.config.section("reader"), sam_backend)
    printer = check_printer_guarded(station)
    ok = bool(reader.get("ok")) and bool(card.get("ok")) and printer.get("ok") is not False
    payload = {"ok": ok, "reader": reader, "card": card, "printer": printer}
    if sam is not None:  # the SAM reader: its id and status (no card is read)
        payload["sam"] = sam
        payload["ok"] = ok and sam["ok"]
    entry = station.record(CHECKIN_KIND, payload, clerk_id=clerk_id)
    return {**payload, "seq": entry.seq}


def checked_in_today(station: Station) -> bool:
    """Whether this business day already has a device check-in (the first sign-in of the day runs one)."""
    row = station.db.conn.execute("SELECT 1 FROM device_checkins WHERE business_day = ? LIMIT 1",
                                  (station.business_day(),)).fetchone()
    return row is not None
