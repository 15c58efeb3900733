"""Sample residents for the demo and tests: the cards a clerk can "insert" with a key.

All people, numbers and faces are invented. Citizen ID numbers carry valid
check characters so they pass the domain rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from devices.sim.documents import IcaoHolder
from devices.sim.sscard_card import SscardHolder


def citizen_id(area: str, birth: date, order: int) -> str:
    body = f"{area}{birth:%Y%m%d}{order:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


@dataclass(frozen=True)
class Sample:
    sample_id: str
    label: str  # what the demo shows on the "insert card" menu (no ID numbers)
    profile: str  # "sscard", "icao" or "unknown"
    holder: SscardHolder | IcaoHolder | None = None
    tamper: bool = False  # an eMRTD altered after signing: passive authentication FAILS

    @property
    def mrz_key(self):
        return self.holder.mrz_key if isinstance(self.holder, IcaoHolder) else None


_SAMPLES = [
    Sample("sscard-ji", "社保卡 𠮷永康", "sscard", SscardHolder(
        citizen_id=citizen_id("210102", date(1988, 4, 17), 135), name="𠮷永康", sex="M", ethnicity="01",
        birthplace="210102", birth_date=date(1988, 4, 17), card_number="L21000135")),
    Sample("sscard-ayigul", "社保卡 阿依古丽·买买提", "sscard", SscardHolder(
        citizen_id=citizen_id("650102", date(1995, 11, 3), 246), name="阿依古丽·买买提", sex="F",
        ethnicity="05", birthplace="650102", birth_date=date(1995, 11, 3), card_number="X65002460")),
    Sample("sscard-yan", "社保卡 李䶮", "sscard", SscardHolder(
        citizen_id=citizen_id("320583", date(2001, 2, 28), 62), name="李䶮", sex="F", ethnicity="01",
        birthplace="320583", birth_date=date(2001, 2, 28), card_number="S32000628")),
    Sample("passport-deu", "Passport (TD3) MÜLLER, foreign", "icao", IcaoHolder(
        td="TD3", document_number="C01X00T47", surname="MUELLER", given_names="ANNA MARIA", nationality="D",
        issuing_state="D", birth_date=date(1979, 8, 12), sex="F", expiry_date=date(2031, 6, 30),
        face_format="jpeg", face_seed=11)),
    Sample("passport-chn", "护照 (TD3) 欧阳䶮", "icao", IcaoHolder(
        td="TD3", document_number="E12345678", surname="OUYANG", given_names="YAN", nationality="CHN",
        issuing_state="CHN", birth_date=date(1990, 6, 1), sex="M", expiry_date=date(2030, 5, 31),
        national_name="欧阳䶮", personal_number=citizen_id("110101", date(1990, 6, 1), 17),
        place_of_birth="北京", face_format="jpeg", face_seed=12)),
    Sample("idcard-td1", "ID card (TD1) ERIKSSON", "icao", IcaoHolder(
        td="TD1", document_number="D23145890", surname="ERIKSSON", given_names="ANNA MARIA",
        nationality="UTO", issuing_state="UTO", birth_date=date(1974, 8, 12), sex="F",
        expiry_date=date(2032, 4, 15), face_format="jp2", face_seed=13)),
    Sample("passport-forged", "Passport (TD3) altered data page", "icao", IcaoHolder(
        td="TD3", document_number="F00000017", surname="SMITH", given_names="JOHN", nationality="GBR",
        issuing_state="GBR", birth_date=date(1985, 1, 20), sex="M", expiry_date=date(2029, 9, 9),
        face_seed=14), tamper=True),
    Sample("unknown-card", "Bank card (not an identity document)", "unknown"),
]

SAMPLES: dict[str, Sample] = {s.sample_id: s for s in _SAMPLES}


def get(sample_id: str) -> Sample:
    try:
        return SAMPLES[sample_id]
    except KeyError:
        raise KeyError(f"unknown sample {sample_id!r}; choose one of {', '.join(SAMPLES)}") from None


@cache
def shared_pki():
    """One test CSCA per process for in-process cards (the demo trusts it)."""
    from devices.sim.pki import generate

    return generate("Counter demo")


def card_for(sample: Sample, pki=None, *, extended: bool = True):
    """A fresh card OS for a sample."""
    from devices.sim.base import UnknownCard
    from devices.sim.documents import icao_card
    from devices.sim.sscard_card import SscardCard

    if sample.profile == "sscard":
        return SscardCard(sample.holder)
    if sample.profile == "icao":
        return icao_card(sample.holder, pki or shared_pki(), tamper=sample.tamper, extended=extended)
    return UnknownCard()
