"""Small message types the screens exchange (one module, posting-style)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class CardRead(Message):
    """A card was read: post to the App from any thread (post_message is thread-safe)."""

    document: object  # devices.identity.IdentityDocument


@dataclass
class ServiceCompleted(Message):
    """A service was confirmed and recorded; the person file refreshes."""

    person_id: str
    seq: int
