"""Counter services: one function per clerk action (use cases). No textual import here."""

from counter.services.engine import Outcome, perform, prefill

__all__ = ["Outcome", "perform", "prefill"]
