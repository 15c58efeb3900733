"""A progress bar on stderr with count and time left; silent when stderr is not a terminal."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, label: str, stream=None):
        self.total, self.label, self.done = max(total, 0), label, 0
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.live = self.total > 0 and getattr(self.stream, "isatty", lambda: False)()
        self._last = 0.0

    def advance(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if self.live and (now - self._last > 0.1 or self.done >= self.total):
            self._last = now
            self.stream.write("\r" + self.line(now))
            self.stream.flush()

    def line(self, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        share = min(1.0, self.done / self.total) if self.total else 1.0
        elapsed = now - self.started
        left = elapsed / share - elapsed if share > 0 else 0.0
        bar = "#" * int(share * 30)
        return f"{self.label} [{bar:<30}] {self.done}/{self.total} {share:4.0%} ~{left:.0f} s left"

    def close(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()
