"""The documents a finished service hands to printing: plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Receipt:
    """An acceptance receipt (受理回执) for one service."""

    service: str  # e.g. "permit_apply"
    title: str  # e.g. "居住证申领受理回执"
    office: str
    station_id: str
    clerk_name: str
    issued_at: str  # local time, "2026-11-21 10:32"
    applicant_name: str
    masked_id: str  # 320583********123X, never the full number
    number: str  # application number
    lines: list[tuple[str, str]] = field(default_factory=list)  # extra label/value rows
    next_steps: str = ""  # e.g. "请于 2026-12-12 起凭本回执领取居住证"
    collection_date: str | None = None
    fee: str | None = "0.00"  # None: no fee line (a void or correction receipt)
    fee_note: str = "免费"
    entitlements: list[str] = field(default_factory=list)
    verification: str = ""  # signed QR payload (ASCII)
    copy_number: int = 0  # 0 = original; n = n-th reprint (副本/COPY)
    service_name: str = ""  # the service's name from its form spec; empty: the layout's service_names


@dataclass(frozen=True)
class Certificate:
    """A certificate (证明) issued at the counter, rendered as an A4 PDF."""

    kind: str  # "residence_certificate" | "proof_of_life"
    title: str  # e.g. "居住证明"
    number: str
    subject_name: str
    subject_id_number: str  # full number: the certificate is the person's own
    subject_sex: str = ""
    subject_birth_date: str = ""
    body: list[str] = field(default_factory=list)  # paragraphs, already worded
    office: str = ""
    station_id: str = ""
    issue_date: str = ""
    valid_until: str | None = None
    verification: str = ""
    copy_number: int = 0
