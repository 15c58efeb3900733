"""Choosing a card profile by ATR, else by probing application identifiers."""

from __future__ import annotations

from devices.apdu import CardChannel, historical_bytes
from devices.errors import UNSUPPORTED_CARD, CardError
from devices.icao import IcaoProfile
from devices.identity import IdentityDocument
from devices.mrz import MrzKey
from devices.sscard import ATR_HISTORICAL, SocialSecurityProfile


def profiles() -> list:
    return [IcaoProfile(), SocialSecurityProfile()]


def _atr_hint(atr: bytes) -> str | None:
    if historical_bytes(atr) == ATR_HISTORICAL:
        return "sscard"
    return None


def identify(channel: CardChannel):
    """The profile whose application the card has selected now; UNSUPPORTED_CARD if none."""
    candidates = profiles()
    hint = _atr_hint(channel.atr)
    if hint:
        candidates.sort(key=lambda p: p.name != hint)
    for profile in candidates:
        if profile.probe(channel):
            return profile
    raise CardError(UNSUPPORTED_CARD)


def read_document(channel: CardChannel, *, mrz_key: MrzKey | None = None,
                  csca_certs: list | None = None) -> IdentityDocument:
    profile = identify(channel)
    return profile.read(channel, mrz_key=mrz_key, csca_certs=csca_certs, selected=True)
