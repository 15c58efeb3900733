"""Building the files of a simulated eMRTD from a person's data."""

from __future__ import annotations

import hashlib
import io
import random
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from devices import lds, mrz
from devices.icao import FILES
from devices.sim.icao_card import IcaoCard
from devices.sim.pki import TestPki, build_sod
from devices.tlv import tlv


@dataclass(frozen=True)
class IcaoHolder:
    td: str  # "TD1" or "TD3"
    document_number: str
    surname: str
    given_names: str
    nationality: str
    issuing_state: str
    birth_date: date
    sex: str
    expiry_date: date
    doc_code: str = ""
    national_name: str | None = None  # DG11 full name in national characters
    personal_number: str | None = None  # DG11 personal number (e.g. the citizen ID)
    place_of_birth: str | None = None
    face_format: str = "jpeg"  # "jpeg" or "jp2"
    face_seed: int = 1
    extra: dict = field(default_factory=dict)

    @property
    def mrz_text(self) -> str:
        compose = mrz.compose_td1 if self.td == "TD1" else mrz.compose_td3
        code = self.doc_code or ("I" if self.td == "TD1" else "P")
        return compose(code, self.issuing_state, self.surname, self.given_names, self.document_number,
                       self.nationality, self.birth_date.strftime("%y%m%d"), self.sex,
                       self.expiry_date.strftime("%y%m%d"))

    @property
    def mrz_key(self) -> mrz.MrzKey:
        return mrz.parse(self.mrz_text).key


@cache
def face_image(seed: int, image_format: str) -> tuple[bytes, int, int]:
    """A synthetic portrait (not a real person), sized like a real DG2 face (~10-20 KB)."""
    from PIL import Image, ImageDraw, ImageFilter

    width, height = 240, 320
    rnd = random.Random(seed)
    img = Image.new("RGB", (width, height), (200 + rnd.randint(0, 40), 210, 230))
    draw = ImageDraw.Draw(img)
    skin = (225 - rnd.randint(0, 60), 190 - rnd.randint(0, 50), 160 - rnd.randint(0, 40))
    draw.ellipse((60, 50, 180, 210), fill=skin)
    draw.rectangle((40, 230, 200, 320), fill=(rnd.randint(0, 120), rnd.randint(0, 120), rnd.randint(60, 160)))
    draw.ellipse((88, 110, 108, 122), fill=(40, 30, 30))
    draw.ellipse((132, 110, 152, 122), fill=(40, 30, 30))
    draw.arc((95, 150, 145, 180), 10, 170, fill=(120, 40, 40), width=3)
    noise = Image.effect_noise((width, height), 18 + seed % 5).convert("RGB")
    img = Image.blend(img, noise, 0.12).filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    if image_format == "jp2":
        img.save(out, "JPEG2000", quality_mode="rates", quality_layers=[20])
    else:
        img.save(out, "JPEG", quality=95)
    return out.getvalue(), width, height


def icao_files(holder: IcaoHolder, pki: TestPki | None, *, tamper: bool = False) -> dict[int, bytes]:
    """File identifier -> bytes for EF.COM, DG1, DG2, DG11 (if any) and EF.SOD (if a PKI is given)."""
    dg1 = tlv(lds.TAG_DG1, tlv(0x5F1F, holder.mrz_text.replace("\n", "").encode("ascii")))
    image, width, height = face_image(holder.face_seed, holder.face_format)
    dg2 = lds.build_dg2(image, holder.face_format, width, height)
    groups = {1: dg1, 2: dg2}
    tags = [lds.TAG_DG1, lds.TAG_DG2]
    if holder.national_name or holder.personal_number or holder.place_of_birth:
        body = b""
        tag_list = b""
        for tag, value in ((0x5F0E, holder.national_name), (0x5F10, holder.personal_number),
                           (0x5F11, holder.place_of_birth)):
            if value:
                body += tlv(tag, value.encode("utf-8"))
                tag_list += tag.to_bytes(2, "big")
        groups[11] = tlv(lds.TAG_DG11, tlv(0x5C, tag_list) + body)
        tags.append(lds.TAG_DG11)
    com = tlv(lds.TAG_COM, tlv(0x5F01, b"0107") + tlv(0x5F36, b"040000") + tlv(0x5C, bytes(tags)))
    files = {FILES["COM"][1]: com}
    files.update({FILES[n][1]: data for n, data in groups.items()})
    if pki is not None:
        files[FILES["SOD"][1]] = build_sod(pki, groups)
    if tamper:
        # altered after signing, as a forged data page would be: passive authentication must fail
        mrz_text = holder.mrz_text.replace("\n", "")
        at = 60 if holder.td == "TD1" else 5  # first letter of the surname: no check digit covers it
        forged = mrz_text[:at] + ("X" if mrz_text[at] != "X" else "Y") + mrz_text[at + 1:]
        files[FILES[1][1]] = tlv(lds.TAG_DG1, tlv(0x5F1F, forged.encode("ascii")))
    return files


def icao_card(holder: IcaoHolder, pki: TestPki | None, *, tamper: bool = False, extended: bool = True) -> IcaoCard:
    return IcaoCard(icao_files(holder, pki, tamper=tamper), holder.mrz_key, extended=extended)


def fingerprint(files: dict[int, bytes]) -> str:
    return hashlib.sha256(b"".join(files[k] for k in sorted(files))).hexdigest()[:16]
