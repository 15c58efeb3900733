"""Collecting CardWatcher events in tests: block until the expected event, no sleeps."""

from __future__ import annotations

import queue


class Events:
    def __init__(self):
        self.queue: queue.Queue = queue.Queue()
        self.seen: list = []

    def __call__(self, event) -> None:
        self.queue.put(event)

    def next(self, timeout: float = 10.0):
        event = self.queue.get(timeout=timeout)
        self.seen.append(event)
        return event

    def until(self, kind, timeout: float = 15.0, **fields):
        """Skip events until one of type `kind` (with matching fields) arrives; returns it."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind.__name__} {fields} within {timeout}s; saw {self.names()}")
            try:
                event = self.next(left)
            except queue.Empty:
                raise AssertionError(f"no {kind.__name__} {fields} within {timeout}s; saw {self.names()}") from None
            if isinstance(event, kind) and all(getattr(event, k) == v for k, v in fields.items()):
                return event

    def names(self) -> list[str]:
        return [type(e).__name__ + (f"({e.state})" if hasattr(e, "state") else "") for e in self.seen]
