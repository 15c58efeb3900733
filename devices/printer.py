"""Receipt-printer transports: USB, serial, network, file, CUPS (python-escpos) and a simulated printer.

Each transport sends bytes and reads DLE EOT status with a timeout; the bytes
are parsed by devices.printer_status. `send_job` is the whole print: check the
status, send, then ask again so the job is *confirmed*, or say why not.
"""

from __future__ import annotations

import json
import os
import select
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from devices.printer_kinds import KINDS
from devices.printer_status import (
    DLE_EOT,
    NO_ANSWER,
    PAPER_OUT,
    UNKNOWN,
    PrinterStatus,
    cups_status,
    parse_status,
    status_bytes,
)


class PrinterError(Exception):
    """The printer cannot be used now; the message says what to do. Never contains document data."""


@dataclass(frozen=True)
class PrinterSettings:
    kind: str
    target: str = ""
    timeout_seconds: float = 3.0
    baudrate: int = 9600
    usb_in_ep: int = 0x82
    usb_out_ep: int = 0x01
    status_query: bool = True  # False for one-way printers that never answer DLE EOT
    simulated_dir: Path | None = None  # where the simulated printer writes its jobs and state


@dataclass(frozen=True)
class JobOutcome:
    confirmed: bool  # the printer took the job and reports it fine afterwards
    message: str
    status: PrinterStatus


# --- transports ---------------------------------------------------------------------


class Transport:
    """Send bytes; answer DLE EOT queries. Subclasses wrap a python-escpos printer."""

    can_query = True

    def __init__(self, settings: PrinterSettings):
        self.settings = settings

    def open(self) -> None: ...

    def close(self) -> None: ...

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    def read_reply(self, timeout: float) -> bytes | None:
        raise NotImplementedError

    def drain(self) -> None:
        """Drop unsolicited bytes (automatic status back) so a reply is read for its query."""
        while self.read_reply(0.0):
            pass

    def query(self, n: int) -> bytes | None:
        self.write(DLE_EOT + bytes([n]))
        return self.read_reply(self.settings.timeout_seconds)

    def status(self) -> PrinterStatus:
        if not self.can_query or not self.settings.status_query:
            return PrinterStatus(UNKNOWN, None, "unknown")
        self.drain()
        replies: dict[int, bytes | None] = {1: self.query(1)}
        if replies[1]:
            for n in (2, 3, 4):
                replies[n] = self.query(n)
        return parse_status(replies)

    def __enter__(self) -> Transport:
        return self  # open_transport has opened it

    def __exit__(self, *exc) -> None:
        self.close()


class EscposTransport(Transport):
    """A transport that wraps a python-escpos printer object in `self.printer`."""

    printer = None

    def close(self) -> None:
        if self.printer is not None:
            self.printer.close()

    def write(self, data: bytes) -> None:
        try:
            self.printer._raw(data)
            self._flush()
        except Exception as exc:
            raise PrinterError(f"sending to the printer failed ({_reason(exc)})") from None

    def _flush(self) -> None:
        pass


class NetworkTransport(EscposTransport):
    """Raw TCP (port 9100 by default): target "host" or "host:port"."""

    def open(self) -> None:
        from escpos.printer import Network

        host, _, port = self.settings.target.rpartition(":") if ":" in self.settings.target else (
            self.settings.target, "", "9100")
        if not host:
            raise PrinterError("[printer] target must be host or host:port for a network printer")
        try:
            self.printer = Network(host, int(port), timeout=self.settings.timeout_seconds)
            self.printer.open()
        except Exception as exc:
            raise PrinterError(f"cannot connect to the printer at {host}:{port} ({_reason(exc)}); "
                               "check power, network and [printer] target") from None

    def close(self) -> None:
        dev = getattr(self.printer, "device", None)
        if dev:
            dev.close()

    def read_reply(self, timeout: float) -> bytes | None:
        sock = self.printer.device
        ready, _, _ = select.select([sock], [], [], timeout)
        if not ready:
            return None
        try:
            data = sock.recv(1)
        except OSError:
            return None
        return data or None


class SerialTransport(EscposTransport):
    """RS-232 or USB-serial: target "/dev/ttyUSB0"; [printer] baudrate."""

    def open(self) -> None:
        from escpos.printer import Serial

        try:
            self.printer = Serial(self.settings.target, baudrate=self.settings.baudrate,
                                  timeout=self.settings.timeout_seconds, dsrdtr=False)
            self.printer.open()
        except Exception as exc:
            raise PrinterError(f"cannot open serial printer {self.settings.target} ({_reason(exc)})") from None

    def _flush(self) -> None:
        self.printer.device.flush()

    def read_reply(self, timeout: float) -> bytes | None:
        dev = self.printer.device
        dev.timeout = timeout
        data = dev.read(1)
        return data or None


class UsbTransport(EscposTransport):
    """USB printer class device through libusb: target "VID:PID" in hex, e.g. "04b8:0e15"."""

    def open(self) -> None:
        from escpos.printer import Usb

        try:
            vid, pid = (int(x, 16) for x in self.settings.target.split(":"))
        except ValueError:
            raise PrinterError("[printer] target must be VID:PID in hex (e.g. 04b8:0e15) for a USB printer") from None
        try:
            self.printer = Usb(vid, pid, timeout=int(self.settings.timeout_seconds * 1000),
                               in_ep=self.settings.usb_in_ep, out_ep=self.settings.usb_out_ep)
            self.printer.open()
        except Exception as exc:
            raise PrinterError(f"cannot open USB printer {self.settings.target} ({_reason(exc)})") from None


    def read_reply(self, timeout: float) -> bytes | None:
        try:
            data = self.printer.device.read(self.settings.usb_in_ep, 16, max(1, int(timeout * 1000)))
        except Exception:  # usb.core.USBTimeoutError and friends
            return None
        return bytes(data[-1:]) or None


class FileTransport(Transport):
    """A device node (/dev/usb/lp0, a serial tty) or a plain file; status only from a device node."""

    def open(self) -> None:
        path = Path(self.settings.target)
        if not self.settings.target:
            raise PrinterError("[printer] target must be a file or device path for kind = \"file\"")
        try:
            self.is_device = path.exists() and stat.S_ISCHR(path.stat().st_mode)
            if self.is_device:
                self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
            else:
                self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as exc:
            raise PrinterError(f"cannot open {path} ({_reason(exc)})") from None
        self.can_query = self.is_device

    def close(self) -> None:
        if getattr(self, "fd", None) is not None:
            os.close(self.fd)
            self.fd = None

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        deadline = time.monotonic() + max(self.settings.timeout_seconds, 1.0) * 10
        try:
            while view:
                try:
                    n = os.write(self.fd, view)
                    view = view[n:]
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise PrinterError("the printer does not take data; check it and retry") from None
                    select.select([], [self.fd], [], 0.5)
            if not self.is_device:
                os.fsync(self.fd)
        except OSError as exc:
            raise PrinterError(f"writing to {self.settings.target} failed ({_reason(exc)})") from None

    def read_reply(self, timeout: float) -> bytes | None:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return None
        try:
            data = os.read(self.fd, 1)
        except (BlockingIOError, OSError):
            return None
        return data or None


class CupsTransport(Transport):
    """A CUPS raw queue (target = queue name); status from the queue's printer-state-reasons."""

    def open(self) -> None:
        try:
            import cups
        except ImportError:
            raise PrinterError("kind = \"cups\" needs pycups: pip install 'counter[cups]'") from None
        try:
            self.conn = cups.Connection()
        except Exception as exc:
            raise PrinterError(f"cannot reach the CUPS server ({_reason(exc)})") from None
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data

    def read_reply(self, timeout: float) -> bytes | None:
        return None

    def status(self) -> PrinterStatus:
        try:
            attrs = self.conn.getPrinterAttributes(self.settings.target,
                                                   requested_attributes=["printer-state", "printer-state-reasons"])
        except Exception:
            return PrinterStatus(NO_ANSWER, None, "unknown", detail=f"no CUPS queue {self.settings.target}")
        return cups_status(attrs.get("printer-state"), [r for r in attrs.get("printer-state-reasons", []) if r != "none"])

    def submit(self, title: str) -> int:
        import tempfile

        with tempfile.NamedTemporaryFile(suffix=".bin") as fh:
            fh.write(self.data)
            fh.flush()
            try:
                return self.conn.printFile(self.settings.target, fh.name, title, {"raw": "true"})
            except Exception as exc:
                raise PrinterError(f"CUPS refused the job ({_reason(exc)})") from None


class SimulatedTransport(Transport):
    """The demo printer: jobs go to files in `simulated_dir`; its condition is a small JSON file,
    answered through the same DLE EOT bytes a real printer sends."""

    STATE_FILE = "state.json"

    def open(self) -> None:
        if self.settings.simulated_dir is None:
            raise PrinterError("the simulated printer needs a directory")
        self.dir = self.settings.simulated_dir
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)

    def condition(self) -> dict:
        return read_simulated_condition(self.dir)

    def write(self, data: bytes) -> None:
        if data.startswith(DLE_EOT) and len(data) == 3:
            self._pending = data[2]
            return
        cond = self.condition()
        if not cond["online"] or cond["paper"] == "out" or cond["cover_open"]:
            raise PrinterError("the printer did not take the job")
        jobs = sorted(self.dir.glob("job-*.bin"))
        number = int(jobs[-1].stem.split("-")[1]) + 1 if jobs else 1
        tmp = self.dir / f".job-{number:05d}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # a receipt carries a person's name: 0600 whatever the umask
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, self.dir / f"job-{number:05d}.bin")
        self.last_job = self.dir / f"job-{number:05d}.bin"

    def read_reply(self, timeout: float) -> bytes | None:
        n = getattr(self, "_pending", None)
        self._pending = None
        if n is None:
            return None
        cond = self.condition()
        if not cond["answers"]:
            return None
        return status_bytes(online=cond["online"], cover_open=cond["cover_open"], paper=cond["paper"],
                            error=cond["error"])[n]


def read_simulated_condition(directory: Path) -> dict:
    cond = {"online": True, "paper": "ok", "cover_open": False, "error": False, "answers": True}
    path = directory / SimulatedTransport.STATE_FILE
    if path.exists():
        cond.update(json.loads(path.read_text(encoding="utf-8")))
    return cond


def set_simulated_condition(directory: Path, **changes) -> dict:
    """Tell the simulated printer to run out of paper, open its cover, stop answering..."""
    allowed = {"online": bool, "paper": str, "cover_open": bool, "error": bool, "answers": bool}
    for key, value in changes.items():
        if key not in allowed or not isinstance(value, allowed[key]):
            raise ValueError(f"unknown simulated printer setting {key}={value!r}")
    if changes.get("paper", "ok") not in ("ok", "near_end", "out"):
        raise ValueError("paper must be ok, near_end or out")
    directory.mkdir(parents=True, exist_ok=True)
    cond = read_simulated_condition(directory)
    cond.update(changes)
    tmp = directory / ".state.tmp"
    tmp.write_text(json.dumps(cond), encoding="utf-8")
    os.replace(tmp, directory / SimulatedTransport.STATE_FILE)
    return cond


TRANSPORTS: dict[str, type[Transport]] = {
    "network": NetworkTransport,
    "serial": SerialTransport,
    "usb": UsbTransport,
    "file": FileTransport,
    "cups": CupsTransport,
    "simulated": SimulatedTransport,
}


def open_transport(settings: PrinterSettings) -> Transport:
    if settings.kind == "none":
        raise PrinterError("no printer configured ([printer] kind = \"none\")")
    try:
        cls = TRANSPORTS[settings.kind]
    except KeyError:
        raise PrinterError(f"[printer] kind {settings.kind!r} is not one of {', '.join(KINDS)}") from None
    transport = cls(settings)
    transport.open()
    return transport


def read_status(settings: PrinterSettings) -> PrinterStatus:
    """The printer's status now; a printer that cannot be opened reports NO_ANSWER with the reason."""
    if settings.kind == "none":
        from devices.printer_status import DISABLED

        return PrinterStatus(DISABLED, None, "unknown")
    try:
        with open_transport(settings) as transport:
            return transport.status()
    except PrinterError as exc:
        return PrinterStatus(NO_ANSWER, None, "unknown", detail=str(exc))


def send_job(settings: PrinterSettings, data: bytes, title: str = "counter") -> JobOutcome:
    """Check, send, confirm. Raises PrinterError when nothing was sent; returns an unconfirmed
    outcome when the bytes went out but the printer did not confirm them."""
    with open_transport(settings) as transport:
        before = transport.status()
        if not before.printable:
            raise PrinterError(before.message)
        transport.write(data)
        if isinstance(transport, CupsTransport):
            job_id = transport.submit(title)
            return JobOutcome(True, f"queued in CUPS as job {job_id}", transport.status())
        after = transport.status()
        if after.state == UNKNOWN:
            return JobOutcome(True, "written; this output cannot report status", after)
        if after.state == NO_ANSWER:
            return JobOutcome(False, "sent, but the printer did not confirm it; check the printout, "
                                     "then retry or reprint", after)
        if after.state == PAPER_OUT:
            return JobOutcome(False, "the paper ran out while printing; load a new roll and reprint", after)
        if not after.printable:
            return JobOutcome(False, f"sent, but then: {after.message}", after)
        return JobOutcome(True, "printed", after)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]
