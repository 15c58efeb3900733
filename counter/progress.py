"""A progress line for long CLI work: count, percent, rate and time left, on stderr.

Drawn in place only when stderr is a terminal; otherwise one line at the end, so logs and
tests see the figures without carriage returns.
"""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, label: str, stream=None, min_interval_s: float = 0.2):
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.monotonic()
        self.last_draw = 0.0
        self.done = self.total = 0
        self.min_interval_s = min_interval_s

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        if self.total:
            left = (self.total - self.done) / rate if rate else 0.0
            return (f"{self.label}: {self.done:,}/{self.total:,} ({100 * self.done / self.total:.0f}%),"
                    f" {rate:,.0f}/s, {left:.0f} s left")
        return f"{self.label}: {self.done:,}, {rate:,.0f}/s"

    def update(self, done: int, total: int = 0) -> None:
        self.done, self.total = done, total or self.total
        now = time.monotonic()
        if self.tty and (now - self.last_draw >= self.min_interval_s or (self.total and done >= self.total)):
            self.stream.write("\r" + self.line() + "\033[K")
            self.stream.flush()
            self.last_draw = now

    def close(self) -> None:
        if not self.done and not self.total:
            return
        if self.tty:
            self.stream.write("\r" + self.line() + "\033[K\n")
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()
