"""Small message types the screens exchange."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class SignedIn(Message):
    session: object  # counter.clerks.Session


@dataclass
class Unlocked(Message):
    pass
