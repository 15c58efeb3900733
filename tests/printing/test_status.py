"""Printer status: DLE EOT replies parsed by our code, over real loopback transports."""

from __future__ import annotations

import time

import pytest

from devices.printer import PrinterError, PrinterSettings, read_status, send_job
from devices.printer_status import (
    COVER_OPEN,
    ERROR,
    NO_ANSWER,
    OFFLINE,
    PAPER_NEAR_END,
    PAPER_OUT,
    READY,
    cups_status,
    parse_status,
)
from tests.printing.fake_printer import NetworkPrinter, PtyPrinter


def b(x: int) -> bytes:
    return bytes([x])


# Fixtures from the Epson DLE EOT bit tables: fixed bits 1 and 4 set (0x12) on every reply.
@pytest.mark.parametrize("replies, state, online, paper", [
    ({1: b(0x12), 2: b(0x12), 3: b(0x12), 4: b(0x12)}, READY, True, "ok"),
    ({1: b(0x12), 2: b(0x12), 3: b(0x12), 4: b(0x1E)}, PAPER_NEAR_END, True, "near_end"),  # bits 2,3
    ({1: b(0x1A), 2: b(0x32), 3: b(0x12), 4: b(0x7E)}, PAPER_OUT, False, "out"),  # offline, bit 5, bits 5,6
    ({1: b(0x1A), 2: b(0x12), 3: b(0x12), 4: b(0x72)}, PAPER_OUT, False, "out"),  # roll sensor alone
    ({1: b(0x1A), 2: b(0x16), 3: b(0x12), 4: b(0x12)}, COVER_OPEN, False, "ok"),  # bit 2: cover open
    ({1: b(0x1A), 2: b(0x52), 3: b(0x1A), 4: b(0x12)}, ERROR, False, "ok"),  # error, autocutter
    ({1: b(0x1A), 2: b(0x12), 3: b(0x12), 4: b(0x12)}, OFFLINE, False, "ok"),
    ({1: None}, NO_ANSWER, None, "unknown"),
    ({1: b""}, NO_ANSWER, None, "unknown"),
    ({1: b(0xFF), 2: b(0x12), 3: b(0x12), 4: b(0x12)}, ERROR, None, "unknown"),  # not a status byte
])
def test_parse_status(replies, state, online, paper):
    status = parse_status(replies)
    assert (status.state, status.online, status.paper) == (state, online, paper)


def test_no_answer_is_never_ready():
    status = parse_status({1: None})
    assert not status.printable and "does not answer" in status.message


def test_cutter_error_detail():
    status = parse_status({1: b(0x1A), 2: b(0x52), 3: b(0x1A), 4: b(0x12)})
    assert "autocutter" in status.message


@pytest.mark.parametrize("state, reasons, expected", [
    (3, [], READY), (3, ["media-low-warning"], PAPER_NEAR_END), (5, ["media-empty-error"], PAPER_OUT),
    (4, ["cover-open"], COVER_OPEN), (5, ["offline-report"], OFFLINE), (None, [], NO_ANSWER),
])
def test_cups_state_reasons(state, reasons, expected):
    assert cups_status(state, reasons).state == expected


def net(target: str, timeout: float = 0.5) -> PrinterSettings:
    return PrinterSettings(kind="network", target=target, timeout_seconds=timeout)


@pytest.fixture
def printer():
    servers = []

    def make(**kw) -> NetworkPrinter:
        server = NetworkPrinter(**kw)
        servers.append(server)
        return server

    yield make
    for s in servers:
        s.close()


def test_network_status_ready_and_paper_states(printer):
    assert read_status(net(printer().target)).state == READY
    assert read_status(net(printer(condition={"paper": "near_end"}).target)).state == PAPER_NEAR_END
    out = read_status(net(printer(condition={"paper": "out"}).target))
    assert out.state == PAPER_OUT and out.paper == "out" and out.online is False
    assert read_status(net(printer(condition={"cover_open": True}).target)).state == COVER_OPEN


def test_network_printer_that_does_not_answer(printer):
    server = printer()
    server.silent = True
    started = time.monotonic()
    status = read_status(net(server.target, timeout=0.3))
    assert status.state == NO_ANSWER and status.paper == "unknown" and not status.printable
    assert time.monotonic() - started < 2


def test_network_connection_refused():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    status = read_status(net(f"127.0.0.1:{port}"))
    assert status.state == NO_ANSWER and "cannot connect" in status.detail


def test_send_job_over_network_confirmed(printer):
    server = printer()
    data = b"\x1b@hello\n\x1dV\x01"
    outcome = send_job(net(server.target), data)
    assert outcome.confirmed and outcome.status.state == READY
    time.sleep(0.1)
    assert bytes(server.received) == data
    assert server.queries == [1, 2, 3, 4, 1, 2, 3, 4]  # before and after the job


def test_send_job_refused_when_out_of_paper(printer):
    server = printer(condition={"paper": "out"})
    with pytest.raises(PrinterError, match="out of paper"):
        send_job(net(server.target), b"\x1b@x\n")
    time.sleep(0.1)
    assert bytes(server.received) == b""  # nothing was sent


def test_send_job_unconfirmed_when_printer_goes_silent(printer):
    server = printer(answer_limit=4)  # answers the check before the job, then nothing
    outcome = send_job(net(server.target, timeout=0.3), b"\x1b@x\n")
    assert not outcome.confirmed and outcome.status.state == NO_ANSWER
    assert "did not confirm" in outcome.message


def test_pty_device_file_status_and_job():
    """kind = "file" on a character device (like /dev/usb/lp0): status is read back with a timeout."""
    pty = PtyPrinter()
    try:
        settings = PrinterSettings(kind="file", target=pty.path, timeout_seconds=0.5)
        assert read_status(settings).state == READY
        outcome = send_job(settings, b"\x1b@pty\n")
        assert outcome.confirmed
        time.sleep(0.1)
        assert bytes(pty.received) == b"\x1b@pty\n"
        pty.condition["paper"] = "out"
        assert read_status(settings).state == PAPER_OUT
        pty.silent = True
        assert read_status(settings).state == NO_ANSWER
    finally:
        pty.close()


def test_pty_serial_transport():
    """kind = "serial" through pyserial on a pty."""
    pty = PtyPrinter(condition={"paper": "near_end"})
    try:
        settings = PrinterSettings(kind="serial", target=pty.path, timeout_seconds=0.5, baudrate=19200)
        assert read_status(settings).state == PAPER_NEAR_END
        assert send_job(settings, b"\x1b@serial\n").confirmed
        time.sleep(0.1)
        assert bytes(pty.received) == b"\x1b@serial\n"
    finally:
        pty.close()


def test_python_escpos_reports_adequate_paper_when_silent():
    """The pitfall we avoid: python-escpos 3.1 paper_status() says 2 ("adequate") for a silent printer."""
    from escpos.printer import Serial

    pty = PtyPrinter()
    pty.silent = True
    try:
        legacy = Serial(pty.path, timeout=0.2, dsrdtr=False)
        legacy.open()
        assert legacy.paper_status() == 2
        legacy.close()
        ours = read_status(PrinterSettings(kind="serial", target=pty.path, timeout_seconds=0.2))
        assert ours.state == NO_ANSWER and ours.paper == "unknown"
    finally:
        pty.close()


def test_plain_file_has_no_status(tmp_path):
    out = tmp_path / "receipts.bin"
    settings = PrinterSettings(kind="file", target=str(out))
    outcome = send_job(settings, b"\x1b@file\n")
    assert outcome.confirmed and outcome.status.state == "unknown"
    assert out.read_bytes() == b"\x1b@file\n"
