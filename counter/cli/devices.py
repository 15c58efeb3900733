"""counter devices: read a card, check the devices in, run a simulated card for tests and training."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from counter.cli.catalog import missing_extra
from counter.cli.common import DataDir, JsonFlag, fail, known_clerk, new_app, open_station, print_json

app = new_app("Card readers and device check-in.")

# exit codes of `counter devices read`, by state
EXIT_CODES = {"no_service": 3, "no_reader": 3, "no_card": 3, "mrz_key_required": 4, "mrz_mismatch": 4,
              "card_removed": 5, "card_error": 5, "unsupported_card": 6,
              "sam_not_ready": 3, "reader_silent": 3, "read_failed": 5, "present_again": 5, "card_auth_failed": 6}


def _reader_section(data_dir: Path | None) -> dict:
    """The station's [reader] section if there is a station, else the defaults."""
    from counter.config import CONFIG_FILE, load_config, resolve_data_dir
    from counter.config_schema import SCHEMA

    directory = resolve_data_dir(data_dir)
    if (directory / CONFIG_FILE).exists():
        return dict(load_config(directory).section("reader"))
    return {key: default for key, (_, default) in SCHEMA["reader"].items()}


@app.command("readers")
def readers_cmd(data_dir: DataDir = None, json_out: JsonFlag = False) -> None:
    """List the PC/SC readers pcscd sees, and the SAM reader of reader.sam_port with its SAM id."""
    from devices.backends import open_backend
    from devices.errors import CardError
    from devices.sam import open_sam

    section = _reader_section(data_dir)
    sam = open_sam(section)
    names: list[str] = []
    pcsc_error = None
    try:
        backend = open_backend(section["kind"] if section["kind"] != "none" else "pcsc", section["reader_name"])
        names = backend.readers()
    except CardError as exc:
        if sam is None:
            fail(exc.message, EXIT_CODES.get(exc.state, 1))
        pcsc_error = exc.message
    except ModuleNotFoundError as exc:
        message = missing_extra(exc)
        if message is None:
            raise
        if sam is None:
            fail(message, 3)
        pcsc_error = message
    sam_info = None
    if sam is not None:
        try:
            info = sam.info()
        finally:
            sam.close()
        sam_info = {"port": info.port, "sam_id": info.sam_id, "status": info.status, "detail": info.detail}
    if json_out:
        print_json({"kind": section["kind"], "readers": names, "sam": sam_info})
        return
    for name in names:
        print(name)
    if pcsc_error:
        print(f"PC/SC: {pcsc_error}", file=sys.stderr)
    if sam_info is not None:
        print(f"SAM {sam_info['port']}: {sam_info['status']}" + (f" (SAM {sam_info['sam_id']})" if sam_info["sam_id"] else "")
              + (f" - {sam_info['detail']}" if sam_info["detail"] else ""))
    if not names and sam_info is None:
        print("no readers", file=sys.stderr)


@app.command("read")
def read_cmd(
    data_dir: DataDir = None,
    json_out: JsonFlag = False,
    mrz_key: Annotated[str | None, typer.Option(
        "--mrz-key", help="For passports and ID cards: DOCNO:YYMMDD:YYMMDD (birth, expiry) or the whole MRZ")] = None,
    reader: Annotated[str | None, typer.Option("--reader", help="Part of the reader's name (default: reader.reader_name in station.toml)")] = None,
    csca_dir: Annotated[Path | None, typer.Option(
        "--csca-dir", help="CSCA certificates for passive authentication (default: reader.csca_dir in station.toml)")] = None,
    simulated: Annotated[str | None, typer.Option(
        "--simulated", help="Read a sample card in-process instead of a reader (see 'devices samples')")] = None,
    wait: Annotated[float, typer.Option("--wait", min=0, help="Seconds to wait for a card to be inserted")] = 0.0,
    sam: Annotated[str | None, typer.Option(
        "--sam", help="Read the resident ID card through the SAM reader on this serial port (e.g. /dev/ttyACM0)")] = None,
) -> None:
    """Read the card in the reader and print its IdentityDocument (face as length and sha256)."""
    from devices.backends import open_backend
    from devices.errors import NO_CARD, CardError
    from devices.lds import load_csca_dir
    from devices.mrz import MrzError, parse_key_text

    key = None
    if mrz_key:
        try:
            key = parse_key_text(mrz_key)
        except MrzError as exc:
            fail(f"--mrz-key: {exc}", 2)
    section = _reader_section(data_dir)
    trust_dir = str(csca_dir) if csca_dir else section.get("csca_dir") or ""
    if sam is not None:
        _read_sam(sam, int(section.get("sam_baud") or 115200), wait, json_out)
        return
    try:
        if simulated:
            from devices.sim import samples

            backend = open_backend("simulated")
            try:
                backend.insert(simulated)
            except KeyError as exc:
                fail(str(exc.args[0]), 2)
            if key is None and samples.get(simulated).mrz_key is not None:
                key = samples.get(simulated).mrz_key  # the sample's MRZ, as a clerk would scan it
        else:
            kind = section["kind"] if section["kind"] in ("pcsc",) else "pcsc"
            backend = open_backend(kind, reader if reader is not None else section["reader_name"])
        try:
            slot = backend.status(wait, None)
            if not slot.card_present and wait > 0:
                slot = backend.status(wait, slot)
            if not slot.card_present:
                raise CardError(NO_CARD)
            result = backend.read_card(mrz_key=key, csca_certs=load_csca_dir(trust_dir) + backend.trusted_cscas)
        finally:
            backend.close()
    except CardError as exc:
        fail(exc.message if not exc.detail else f"{exc.message} ({exc.detail})", EXIT_CODES.get(exc.state, 1))
    except ModuleNotFoundError as exc:
        message = missing_extra(exc)
        if message is None:
            raise
        fail(message, 3)
    out = result.document.summary()
    out["apdus"] = result.apdus
    out["elapsed_ms"] = result.elapsed_ms
    out["reader"] = result.reader
    if out["authenticity"] == "failed":
        print("warning: passive authentication FAILED; do not trust this document's data", file=sys.stderr)
    if json_out:
        print_json(out)
        return
    for name, value in out.items():
        if name == "mrz" and value:
            value = value.replace("\n", " / ")
        print(f"{name}: {value}")


def _read_sam(port: str, baud: int, wait: float, json_out: bool) -> None:
    """`devices read --sam PORT`: find, select, read; the photo as its sha256 only."""
    import time

    from devices.errors import NO_CARD, CardError
    from devices.resident_id import PHOTO_NOTE, ethnicity_label
    from devices.sam import SamReader

    reader = SamReader(port, baud)
    try:
        deadline = time.monotonic() + wait
        while not reader.find():
            if time.monotonic() >= deadline:
                raise CardError(NO_CARD)
            time.sleep(0.2)
        result = reader.read_card()
    except CardError as exc:
        fail(exc.message if not exc.detail else f"{exc.message} ({exc.detail})", EXIT_CODES.get(exc.state, 1))
    finally:
        reader.close()
    doc = result.document
    out = doc.summary()
    out["ethnicity_name"] = ethnicity_label(doc.ethnicity) if doc.ethnicity else None
    out["expired"] = doc.expired(date.today())
    out["photo"] = PHOTO_NOTE if doc.photo_sha256 else None
    out["frames"] = result.apdus
    out["elapsed_ms"] = result.elapsed_ms
    out["reader"] = result.reader
    for key in ("face_image", "dg_hashes", "mrz"):
        out.pop(key, None)
    if doc.authenticity == "failed":
        print(f"warning: suspect card: {doc.authenticity_detail}; a supervisor must approve it", file=sys.stderr)
    if out["expired"]:
        print(f"warning: the document expired on {doc.expiry_date.isoformat()}", file=sys.stderr)
    if json_out:
        print_json(out)
        return
    for name, value in out.items():
        print(f"{name}: {value}")


@app.command("check")
def check_cmd(
    data_dir: DataDir = None,
    json_out: JsonFlag = False,
    clerk: Annotated[str | None, typer.Option("--clerk-id", help="Record the check-in for this clerk")] = None,
) -> None:
    """Check the reader, a card in it and the printer; record the result in the journal."""
    from counter.services.checkin import run_checkin

    station = open_station(data_dir)
    try:
        result = run_checkin(station, known_clerk(station, clerk))
    finally:
        station.close()
    if json_out:
        print_json(result)
    else:
        for line in describe(result):
            print(line)
    if not result["ok"]:
        raise typer.Exit(1)


def describe(result: dict) -> list[str]:
    reader, card, printer = result["reader"], result["card"], result["printer"]
    names = ", ".join(reader.get("readers") or []) or "-"
    lines = [f"reader: {reader.get('status')} ({reader.get('kind')}; {names})"]
    if reader.get("message"):
        lines.append(f"  {reader['message']}")
    if reader.get("csca_dir"):
        lines.append(f"  CSCA certificates: {reader.get('csca_certificates', 0)} in {reader['csca_dir']}")
    sam = result.get("sam")
    if sam:
        lines.append(f"SAM reader: {sam['status']} ({sam['port']}" + (f"; SAM {sam['sam_id']})" if sam["sam_id"] else ")"))
        if sam.get("message"):
            lines.append(f"  {sam['message']}")
    card_line = f"card: {card.get('status')}"
    if card.get("profile"):
        card_line += f" ({card['profile']}, {card.get('apdus')} APDUs)"
    lines.append(card_line)
    lines.append(f"printer: {printer.get('status')}" + (f" - {printer['message']}" if printer.get("message") else ""))
    lines.append(f"ok: {'yes' if result['ok'] else 'NO'} (journal seq {result.get('seq')})")
    return lines


@app.command("samples")
def samples_cmd(json_out: JsonFlag = False) -> None:
    """List the sample cards of the demo, of --simulated and of the simulated SAM reader (invented people)."""
    from devices.sim import samples

    rows = [{"id": s.sample_id, "profile": s.profile, "label": s.label,
             "mrz_key": _key_text(s.mrz_key) if s.mrz_key else None} for s in samples.SAMPLES.values()]
    from devices.sim.sam_cards import SAM_SAMPLES

    # the simulated SAM reader's cards (the demo's F2 after the PC/SC samples)
    rows += [{"id": c.sample_id, "profile": "sam", "label": c.label, "mrz_key": None} for c in SAM_SAMPLES.values()]
    if json_out:
        print_json(rows)
        return
    for row in rows:
        extra = f"  --mrz-key {row['mrz_key']}" if row["mrz_key"] else ""
        print(f"{row['id']:<18} {row['profile']:<8} {row['label']}{extra}")


def _key_text(key) -> str:
    return f"{key.document_number}:{key.birth_date}:{key.expiry_date}"


def _parse_date(value: str | None, what: str) -> date | None:
    if value is None:
        return None
    try:
        if len(value) == 6 and value.isdigit():
            from devices.mrz import yymmdd_to_date

            parsed = yymmdd_to_date(value, future=what == "--expiry")
            if parsed is None:
                raise ValueError
            return parsed
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{what} must be a date YYYY-MM-DD (or YYMMDD)", 2)


@app.command("simulate-card")
def simulate_card(
    profile: Annotated[str, typer.Option("--profile", help="icao, sscard or unknown")] = "icao",
    sample: Annotated[str | None, typer.Option("--sample", help="Start from this sample (see 'devices samples')")] = None,
    doc_number: Annotated[str | None, typer.Option("--doc-number", help="icao: document number")] = None,
    surname: Annotated[str | None, typer.Option("--surname", help="icao: surname (MRZ letters)")] = None,
    given_names: Annotated[str | None, typer.Option("--given-names", help="icao: given names")] = None,
    nationality: Annotated[str | None, typer.Option("--nationality", help="icao: ISO 3166 alpha-3")] = None,
    td1: Annotated[bool, typer.Option("--td1", help="icao: an ID card (TD1) instead of a passport (TD3)")] = False,
    face: Annotated[str | None, typer.Option("--face", help="icao: jpeg or jp2")] = None,
    national_name: Annotated[str | None, typer.Option("--national-name", help="icao: DG11 name in national characters")] = None,
    name: Annotated[str | None, typer.Option("--name", help="sscard: the holder's name")] = None,
    citizen_id: Annotated[str | None, typer.Option("--citizen-id", help="sscard: citizen ID number; icao: DG11 personal number")] = None,
    ethnicity: Annotated[str | None, typer.Option("--ethnicity", help="sscard: GB/T 3304 code, e.g. 01")] = None,
    birthplace: Annotated[str | None, typer.Option("--birthplace", help="sscard: GB/T 2260 area code")] = None,
    sex: Annotated[str | None, typer.Option("--sex", help="M or F")] = None,
    birth: Annotated[str | None, typer.Option("--birth", help="birth date YYYY-MM-DD")] = None,
    expiry: Annotated[str | None, typer.Option("--expiry", help="expiry date YYYY-MM-DD")] = None,
    host: Annotated[str, typer.Option("--host", help="Where vpcd (in pcscd) listens")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="vpcd port: 35963 is 'Virtual PCD 00 00'")] = 35963,
    pki_dir: Annotated[Path | None, typer.Option(
        "--pki-dir", help="Keep the test CSCA and signer here; point reader.csca_dir at it")] = None,
    tamper: Annotated[bool, typer.Option("--tamper", help="icao: alter DG1 after signing (PA must FAIL)")] = False,
    short_only: Annotated[bool, typer.Option("--short-only", help="icao: no extended-length APDUs")] = False,
    pull_after: Annotated[int | None, typer.Option("--pull-after", help="Pull the card out after N APDUs")] = None,
    once: Annotated[bool, typer.Option("--once", help="Exit when the card is removed instead of reinserting")] = False,
) -> None:
    """Run one of our virtual cards in vpcd (vsmartcard-vpcd) under a real pcscd, until Ctrl-C.

    For tests and training only: vpcd listens on TCP on every interface, so it must never be
    installed on a production station.
    """
    from dataclasses import replace

    from devices.sim import samples
    from devices.sim.vpcd import VpcdCard

    if profile not in ("icao", "sscard", "unknown"):
        fail("--profile must be icao, sscard or unknown", 2)
    default = {"icao": "idcard-td1" if td1 else "passport-deu", "sscard": "sscard-ji", "unknown": "unknown-card"}
    try:
        base = samples.get(sample or default[profile])
    except KeyError as exc:
        fail(str(exc.args[0]), 2)
    if base.profile != profile:
        fail(f"sample {base.sample_id} is a {base.profile} card, not {profile}", 2)
    holder = base.holder
    birth_date, expiry_date = _parse_date(birth, "--birth"), _parse_date(expiry, "--expiry")
    pki = None
    if profile == "icao":
        from devices.sim.pki import load_or_create

        changes = {k: v for k, v in {
            "document_number": doc_number and doc_number.upper(), "surname": surname and surname.upper(),
            "given_names": given_names and given_names.upper(), "nationality": nationality and nationality.upper(),
            "issuing_state": nationality and nationality.upper(), "face_format": face, "sex": sex,
            "national_name": national_name, "personal_number": citizen_id, "birth_date": birth_date,
            "expiry_date": expiry_date}.items() if v}
        if td1 and holder.td != "TD1":
            changes["td"] = "TD1"
        holder = replace(holder, **changes)
        if holder.face_format not in ("jpeg", "jp2"):
            fail("--face must be jpeg or jp2", 2)
        try:
            holder.mrz_key  # noqa: B018  (validates the MRZ the data makes)
        except ValueError as exc:
            fail(f"the card data makes no valid MRZ: {exc}", 2)
        if pki_dir is None:
            import platformdirs

            pki_dir = Path(platformdirs.user_cache_dir("counter", appauthor=False)) / "sim-pki"
        pki = load_or_create(pki_dir)
        card = samples.card_for(replace(base, holder=holder, tamper=tamper or base.tamper), pki,
                                extended=not short_only)
    elif profile == "sscard":
        changes = {k: v for k, v in {"name": name, "citizen_id": citizen_id, "ethnicity": ethnicity,
                                     "birthplace": birthplace, "sex": sex, "birth_date": birth_date,
                                     "expiry_date": expiry_date}.items() if v}
        holder = replace(holder, **changes)
        try:
            card = samples.card_for(replace(base, holder=holder))
        except ValueError as exc:
            fail(str(exc), 2)
    else:
        card = samples.card_for(base)
    sim = VpcdCard(card, host, port, pull_after=pull_after, reconnect=not once)
    print(f"simulated {profile} card for vpcd at {host}:{port}; Ctrl-C to remove it", flush=True)
    if pki is not None:
        print(f"test CSCA: {pki_dir / 'csca.pem'} (set [reader] csca_dir = \"{pki_dir}\")", flush=True)
        print(f"mrz key: {_key_text(holder.mrz_key)}", flush=True)
    try:
        sim.run()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
