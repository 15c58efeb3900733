"""Masking the personal data that journal payloads hold, for default output (`counter journal show`).

Masked:
- citizen ID numbers (18 or 15 characters), under any key or inside any text: first 6 and last 4 kept;
- passport and other document numbers (`id_number`, `passport_number`, `document_number`, `mrz`,
  `mrz_key` keys): first and last character kept;
- phone numbers (`phone` keys, and mainland mobile numbers inside any text): first 3 and last 4 kept;
- addresses (`household_address`, `current_address`, `address`): the first 6 characters kept (province,
  city), the rest starred;
- dates of birth (`birth_date`): the year kept.

Names, sex, ethnicity and service data stay readable: the journal is how a supervisor finds an entry.
"""

from __future__ import annotations

import re
from typing import Any

from counter.domain.citizen_id import mask as mask_citizen_id

_CITIZEN_ID = re.compile(r"(?<![0-9A-Za-z])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
DOCUMENT_KEYS = frozenset({"id_number", "passport_number", "document_number", "mrz", "mrz_key"})
PHONE_KEYS = frozenset({"phone", "mobile"})
ADDRESS_KEYS = frozenset({"household_address", "current_address", "address"})
BIRTH_KEYS = frozenset({"birth_date"})


def _keep_ends(text: str, head: int, tail: int) -> str:
    if len(text) <= head + tail:
        return "*" * len(text)
    return text[:head] + "*" * (len(text) - head - tail) + text[len(text) - tail:]


def mask_text(text: str) -> str:
    """Citizen ID numbers and mobile numbers inside free text."""
    text = _CITIZEN_ID.sub(lambda m: mask_citizen_id(m.group(0)), text)
    return _MOBILE.sub(lambda m: _keep_ends(m.group(0), 3, 4), text)


def _mask_value(key: str | None, value: str) -> str:
    if key in DOCUMENT_KEYS:
        return mask_citizen_id(value) if _CITIZEN_ID.fullmatch(value) else _keep_ends(value, 1, 1)
    if key in PHONE_KEYS:
        return _keep_ends(value, 3, 4)
    if key in ADDRESS_KEYS:
        return _keep_ends(value, 6, 0)
    if key in BIRTH_KEYS:
        return value[:4] + re.sub(r"[0-9]", "*", value[4:])
    return mask_text(value)


def mask_payload(value: Any, key: str | None = None) -> Any:
    """A copy of a payload (dicts, lists, strings) with the personal data above masked."""
    if isinstance(value, dict):
        return {k: mask_payload(v, k if isinstance(k, str) else None) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_payload(v, key) for v in value]
    if isinstance(value, str):
        return _mask_value(key, value)
    if isinstance(value, int) and not isinstance(value, bool) and key in DOCUMENT_KEYS | PHONE_KEYS:
        return _mask_value(key, str(value))
    return value
