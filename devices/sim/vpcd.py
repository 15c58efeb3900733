"""Our card on Debian's vsmartcard-vpcd driver: the vpcd wire protocol, card side.

vpcd (inside pcscd) listens on TCP; a connected client is a card in the virtual
reader, a closed connection is a removed card. Each message is a 2-byte
big-endian length and a payload; a 1-byte payload is a control (00 power off,
01 power on, 02 reset, 04 get ATR), anything else an APDU answered with data+SW.

vpcd listens on every interface: never install it on a production station.
"""

from __future__ import annotations

import socket
import threading

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 35963  # the first virtual slot, "Virtual PCD 00 00"

POWER_OFF, POWER_ON, RESET, GET_ATR = 0, 1, 2, 4


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


class VpcdCard:
    """Runs one card OS against vpcd until stopped; reconnects when pcscd restarts.

    pull_after=N closes the connection after N APDUs, as a card pulled out mid-read.
    """

    def __init__(self, card, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *,
                 pull_after: int | None = None, reconnect: bool = True):
        self.card = card
        self.host, self.port = host, port
        self.pull_after = pull_after
        self.reconnect = reconnect
        self.apdus = 0
        self.connected = threading.Event()
        self.stopped = threading.Event()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.on_insert = None  # called (from the card thread) each time the card connects

    def start(self) -> VpcdCard:
        self._thread = threading.Thread(target=self.run, name="vpcd-card", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        self.stopped.set()
        sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
            except OSError:
                # vpcd not listening yet (pcscd starting, or still closing the last card): retry
                self.stopped.wait(0.05)
                continue
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = sock
            self.connected.set()
            if self.on_insert:
                self.on_insert()
            pulled = self._serve(sock)
            self.connected.clear()
            self._sock = None
            try:
                sock.close()
            except OSError:
                pass
            if pulled or not self.reconnect:
                return

    def _serve(self, sock: socket.socket) -> bool:
        """Answer vpcd until the connection ends; True if we pulled the card ourselves."""
        while not self.stopped.is_set():
            try:
                head = _recv_exact(sock, 2)
                if head is None:
                    return False
                payload = _recv_exact(sock, int.from_bytes(head, "big"))
                if payload is None:
                    return False
            except OSError:
                return False
            if len(payload) == 1:
                control = payload[0]
                if control in (POWER_ON, RESET):
                    self.card.power_on()
                elif control == GET_ATR:
                    self._send(sock, self.card.atr)
                continue
            if self.pull_after is not None and self.apdus >= self.pull_after:
                return True
            self.apdus += 1
            self._send(sock, self.card.process(payload))
        return False

    @staticmethod
    def _send(sock: socket.socket, data: bytes) -> None:
        try:
            sock.sendall(len(data).to_bytes(2, "big") + data)
        except OSError:
            pass
