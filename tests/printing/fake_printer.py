"""Loopback printers for tests: a TCP server on 127.0.0.1 and a pty, both answering DLE EOT.

They behave like a printer on the wire: a status query that arrives as its own write
(10 04 n) is answered with the status byte for the current condition; every other
byte is print data. Real sockets and real ttys, no mocks.
"""

from __future__ import annotations

import os
import select
import socket
import threading
import tty

from devices.printer_status import DLE_EOT, status_bytes


class _Answering:
    def __init__(self, condition: dict | None = None, answer_limit: int | None = None):
        self.condition = {"online": True, "paper": "ok", "cover_open": False, "error": False, **(condition or {})}
        self.silent = False
        self.answer_limit = answer_limit  # stop answering after this many queries (job sent, then silence)
        self.received = bytearray()
        self.queries: list[int] = []
        self._stop = threading.Event()

    def _handle(self, chunk: bytes) -> bytes | None:
        # A query arrives as its own write; when the OS joins it to the end of the job's
        # bytes, it is still the last three bytes.
        if len(chunk) >= 3 and chunk[-3:-1] == DLE_EOT and chunk[-1] in (1, 2, 3, 4):
            self.received += chunk[:-3]
            n = chunk[-1]
            self.queries.append(n)
            if self.silent or (self.answer_limit is not None and len(self.queries) > self.answer_limit):
                return None
            return status_bytes(**self.condition)[n]
        self.received += chunk
        return None


class NetworkPrinter(_Answering):
    """Raw TCP printer (like port 9100) on 127.0.0.1 with an ephemeral port."""

    def __init__(self, condition: dict | None = None, answer_limit: int | None = None):
        super().__init__(condition, answer_limit)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.sock], [], [], 0.05)
            if not ready:
                continue
            conn, _ = self.sock.accept()
            with conn:
                while not self._stop.is_set():
                    r, _, _ = select.select([conn], [], [], 0.05)
                    if not r:
                        continue
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    reply = self._handle(chunk)
                    if reply:
                        conn.sendall(reply)

    def close(self) -> None:
        self._stop.set()
        self.thread.join(2)
        self.sock.close()


class PtyPrinter(_Answering):
    """A printer behind a serial-like tty: the test talks to the pty's master side."""

    def __init__(self, condition: dict | None = None, answer_limit: int | None = None):
        super().__init__(condition, answer_limit)
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # no echo, no newline translation: bytes as on a serial line
        self.path = os.ttyname(self.slave)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            r, _, _ = select.select([self.master], [], [], 0.05)
            if not r:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            reply = self._handle(chunk)
            if reply:
                os.write(self.master, reply)

    def close(self) -> None:
        self._stop.set()
        self.thread.join(2)
        os.close(self.master)
        os.close(self.slave)
