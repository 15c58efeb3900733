"""A simulated ICAO 9303 eMRTD: LDS1 application with BAC and 3DES secure messaging.

Implements what a reader needs and a real chip enforces: files are readable only
after BAC, every command after BAC must be protected (a bad MAC ends the session),
READ BINARY by short file identifier, extended length if announced in the ATR.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable

from devices import tlv
from devices.icao import AID, FILES
from devices.icao_crypto import (
    SecureMessaging,
    SecureMessagingError,
    bac_keys_for,
    derive_key,
    pad,
    parse_command,
    retail_mac,
    tdes_decrypt,
    tdes_encrypt,
    unpad,
)
from devices.mrz import MrzKey
from devices.sim.base import (
    SW_AUTH_FAILED,
    SW_EOF,
    SW_INS,
    SW_NOT_FOUND,
    SW_OFFSET,
    SW_OK,
    SW_SECURITY,
    SW_SM_MISSING,
    SW_SM_WRONG,
    SW_WRONG_LENGTH,
    SW_WRONG_P1P2,
    CardOS,
    make_atr,
)

# card capabilities 73 xx xx 40: third software function byte announces extended Lc/Le
_HISTORICAL_EXTENDED = bytes.fromhex("8073802140")
_HISTORICAL_SHORT = bytes.fromhex("8073802100")


class IcaoCard(CardOS):
    def __init__(self, files: dict[int, bytes], mrz_key: MrzKey, *, extended: bool = True,
                 rng: Callable[[int], bytes] = os.urandom):
        """files: file identifier (0x011E, 0x0101, ...) -> contents."""
        self.files = files
        self.k_enc, self.k_mac = bac_keys_for(mrz_key)
        self.extended = extended
        self.atr = make_atr(_HISTORICAL_EXTENDED if extended else _HISTORICAL_SHORT, t1=True)
        self.rng = rng
        self.sfi_to_fid = {sfi: fid for sfi, fid in FILES.values()}
        self.power_on()

    def power_on(self) -> None:
        self.selected_app = False
        self.current: int | None = None
        self.rnd_ic: bytes | None = None
        self.sm: SecureMessaging | None = None

    # --- dispatch ---------------------------------------------------------------

    def process(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            return SW_WRONG_LENGTH
        if apdu[0] & 0x0C == 0x0C:
            return self._protected(apdu)
        if self.sm is not None:
            # a plain command after BAC: real chips answer 6987/6988 and drop the session
            self.sm = None
            return SW_SM_MISSING
        return super().process(apdu)

    def handle(self, cla, ins, p1, p2, data, le, extended):
        if ins == 0xA4 and p1 == 0x04:
            if data == AID:
                self.selected_app = True
                self.current = None
                return SW_OK
            self.selected_app = False
            return SW_NOT_FOUND
        if not self.selected_app:
            return SW_NOT_FOUND if ins == 0xA4 else SW_SECURITY
        if ins == 0x84:
            if le != 8:
                return SW_WRONG_LENGTH
            self.rnd_ic = self.rng(8)
            return self.rnd_ic + SW_OK
        if ins == 0x82:
            return self._external_authenticate(data)
        if ins in (0xA4, 0xB0):
            return SW_SECURITY  # files are protected by BAC
        return SW_INS

    def _external_authenticate(self, data: bytes) -> bytes:
        rnd_ic, self.rnd_ic = self.rnd_ic, None
        if rnd_ic is None or len(data) != 40:
            return SW_SECURITY
        e_ifd, m_ifd = data[:32], data[32:]
        if not hmac.compare_digest(retail_mac(self.k_mac, e_ifd), m_ifd):
            return SW_AUTH_FAILED
        s = tdes_decrypt(self.k_enc, e_ifd)
        rnd_ifd, k_ifd = s[:8], s[16:32]
        if s[8:16] != rnd_ic:
            return SW_AUTH_FAILED
        k_ic = self.rng(16)
        e_ic = tdes_encrypt(self.k_enc, rnd_ic + rnd_ifd + k_ic)
        seed = bytes(a ^ b for a, b in zip(k_ifd, k_ic, strict=True))
        self.sm = SecureMessaging(derive_key(seed, 1), derive_key(seed, 2),
                                  int.from_bytes(rnd_ic[4:] + rnd_ifd[4:], "big"))
        return e_ic + retail_mac(self.k_mac, e_ic) + SW_OK

    # --- secure messaging, card side ----------------------------------------------

    def _protected(self, apdu: bytes) -> bytes:
        sm = self.sm
        if sm is None:
            return SW_SM_MISSING
        try:
            body, _le, _ext = parse_command(apdu)
            sm.ssc = (sm.ssc + 1) % (1 << 64)
            objects = dict(tlv.iter_tlv(body))
            mac_input = pad(apdu[:4])
            for tag in (0x87, 0x97):
                if tag in objects:
                    mac_input += tlv.tlv(tag, objects[tag])
            mac = objects.get(0x8E)
            if mac is None or not hmac.compare_digest(
                    retail_mac(sm.ks_mac, sm.ssc.to_bytes(8, "big") + mac_input), mac):
                raise SecureMessagingError("command MAC")
            data = unpad(tdes_decrypt(sm.ks_enc, objects[0x87][1:])) if 0x87 in objects else b""
            le = None
            if 0x97 in objects:
                raw = objects[0x97]
                le = int.from_bytes(raw, "big") or (65536 if len(raw) == 2 else 256)
        except (SecureMessagingError, tlv.TlvError, ValueError, KeyError, IndexError):
            self.sm = None
            return SW_SM_WRONG
        answer = self._execute(apdu[1], apdu[2], apdu[3], data, le)
        plain, sw = answer[:-2], answer[-2:]
        sm.ssc = (sm.ssc + 1) % (1 << 64)
        do87 = tlv.tlv(0x87, b"\x01" + tdes_encrypt(sm.ks_enc, pad(plain))) if plain else b""
        do99 = tlv.tlv(0x99, sw)
        mac = retail_mac(sm.ks_mac, sm.ssc.to_bytes(8, "big") + do87 + do99)
        return do87 + do99 + tlv.tlv(0x8E, mac) + SW_OK

    def _execute(self, ins: int, p1: int, p2: int, data: bytes, le: int | None) -> bytes:
        if ins == 0xA4:
            if p1 == 0x02 and len(data) == 2:
                fid = int.from_bytes(data, "big")
                if fid in self.files:
                    self.current = fid
                    return SW_OK
                return SW_NOT_FOUND
            return SW_WRONG_P1P2
        if ins == 0xB0:
            if p1 & 0x80:
                fid = self.sfi_to_fid.get(p1 & 0x1F)
                if fid is None or fid not in self.files:
                    return SW_NOT_FOUND
                self.current = fid
                offset = p2
            else:
                if self.current is None:
                    return SW_SECURITY
                offset = (p1 << 8) | p2
            content = self.files[self.current]
            if offset > len(content):
                return SW_OFFSET
            want = le or 256
            if want > 256 and not self.extended:
                return SW_WRONG_LENGTH
            chunk = content[offset:offset + want]
            return chunk + (SW_EOF if len(chunk) < want else SW_OK)
        return SW_INS

