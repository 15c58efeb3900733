"""ICAO 9303 Part 11 BAC and 3DES secure messaging: pure functions, no I/O.

Tested against the worked examples in Doc 9303 Part 11 Appendix D.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from devices import tlv
from devices.mrz import MrzKey, make_key

ENC = 1
MAC = 2
ZERO_IV = bytes(8)


class SecureMessagingError(Exception):
    """A response whose MAC or structure is wrong: the channel can no longer be trusted."""


def adjust_parity(key: bytes) -> bytes:
    """DES keys carry odd parity in the low bit of each byte."""
    out = bytearray()
    for b in key:
        b &= 0xFE
        out.append(b | (bin(b).count("1") % 2 == 0))
    return bytes(out)


def key_seed(mrz_information: str) -> bytes:
    return hashlib.sha1(mrz_information.encode("ascii")).digest()[:16]


def derive_key(seed: bytes, counter: int) -> bytes:
    """K = SHA-1(seed || counter)[:16], parity-adjusted, for 2-key 3DES."""
    return adjust_parity(hashlib.sha1(seed + counter.to_bytes(4, "big")).digest()[:16])


def bac_keys(document_number: str, birth_date: str, expiry_date: str) -> tuple[bytes, bytes]:
    """(K_enc, K_mac) for BAC from the MRZ: dates YYMMDD; 16-byte keys."""
    seed = key_seed(make_key(document_number, birth_date, expiry_date).seed_text())
    return derive_key(seed, ENC), derive_key(seed, MAC)


def bac_keys_for(key: MrzKey) -> tuple[bytes, bytes]:
    seed = key_seed(key.seed_text())
    return derive_key(seed, ENC), derive_key(seed, MAC)


def pad(data: bytes) -> bytes:
    """ISO/IEC 9797-1 padding method 2."""
    data = data + b"\x80"
    return data + bytes(-len(data) % 8)


def unpad(data: bytes) -> bytes:
    end = data.rstrip(b"\x00")
    if not end.endswith(b"\x80"):
        raise SecureMessagingError("bad padding")
    return end[:-1]


def _tdes(key: bytes) -> TripleDES:
    # 2-key 3DES as K1 K2 K1 (cryptography wants the 24-byte form)
    return TripleDES(key + key[:8] if len(key) == 16 else key)


def tdes_encrypt(key: bytes, data: bytes, iv: bytes = ZERO_IV) -> bytes:
    enc = Cipher(_tdes(key), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def tdes_decrypt(key: bytes, data: bytes, iv: bytes = ZERO_IV) -> bytes:
    dec = Cipher(_tdes(key), modes.CBC(iv)).decryptor()
    return dec.update(data) + dec.finalize()


def _des_ecb(key8: bytes, block: bytes, decrypt: bool = False) -> bytes:
    # TripleDES with one 8-byte key is single DES
    c = Cipher(TripleDES(key8 * 3), modes.ECB())
    op = c.decryptor() if decrypt else c.encryptor()
    return op.update(block) + op.finalize()


def retail_mac(key: bytes, data: bytes, *, padded: bool = False) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 (retail MAC) with DES, padding method 2 unless already padded."""
    msg = data if padded else pad(data)
    if len(msg) % 8:
        raise ValueError("retail MAC input must be a multiple of 8 bytes")
    k1, k2 = key[:8], key[8:16]
    # CBC-MAC with single DES under K1 over every block, then the final block through D(K2), E(K1)
    cbc = Cipher(TripleDES(k1 * 3), modes.CBC(ZERO_IV)).encryptor()
    h = (cbc.update(msg) + cbc.finalize())[-8:]
    h = _des_ecb(k2, h, decrypt=True)
    return _des_ecb(k1, h)


# --- BAC mutual authentication (Part 11, 4.3) ------------------------------------


def bac_command(k_enc: bytes, k_mac: bytes, rnd_ic: bytes, rnd_ifd: bytes, k_ifd: bytes) -> bytes:
    """EXTERNAL AUTHENTICATE data: E_IFD || M_IFD."""
    e_ifd = tdes_encrypt(k_enc, rnd_ifd + rnd_ic + k_ifd)
    return e_ifd + retail_mac(k_mac, e_ifd)


def bac_session(k_enc: bytes, k_mac: bytes, rnd_ic: bytes, rnd_ifd: bytes, k_ifd: bytes,
                response: bytes) -> SecureMessaging:
    """Check the card's answer E_IC || M_IC and derive the session keys and SSC."""
    if len(response) != 40:
        raise SecureMessagingError("BAC response has the wrong length")
    e_ic, m_ic = response[:32], response[32:]
    if not hmac.compare_digest(retail_mac(k_mac, e_ic), m_ic):
        raise SecureMessagingError("BAC response MAC does not verify")
    r = tdes_decrypt(k_enc, e_ic)
    if r[:8] != rnd_ic or r[8:16] != rnd_ifd:
        raise SecureMessagingError("BAC response does not echo our challenge")
    k_ic = r[16:32]
    seed = bytes(a ^ b for a, b in zip(k_ifd, k_ic, strict=True))
    ssc = int.from_bytes(rnd_ic[4:8] + rnd_ifd[4:8], "big")
    return SecureMessaging(derive_key(seed, ENC), derive_key(seed, MAC), ssc)


# --- secure messaging (Part 11, 9.8) -------------------------------------------


def encode_le(le: int, extended: bool) -> bytes:
    """Le as in DO97 or an APDU: 0 means the maximum (256 short, 65536 extended)."""
    if extended or le > 256:
        return b"\x00\x00" if le >= 65536 else le.to_bytes(2, "big")
    return b"\x00" if le == 256 else bytes([le])


@dataclass
class SecureMessaging:
    ks_enc: bytes
    ks_mac: bytes
    ssc: int

    def _ssc_bytes(self) -> bytes:
        return self.ssc.to_bytes(8, "big")

    def wrap(self, apdu: bytes) -> bytes:
        """Protect a plain command APDU (short or extended); returns the protected APDU."""
        cla, ins, p1, p2 = apdu[:4]
        data, le, extended = parse_command(apdu)
        self.ssc = (self.ssc + 1) % (1 << 64)
        header = pad(bytes([cla | 0x0C, ins, p1, p2]))
        do87 = b""
        if data:
            do87 = tlv.tlv(0x87, b"\x01" + tdes_encrypt(self.ks_enc, pad(data)))
        do97 = tlv.tlv(0x97, encode_le(le, extended)) if le is not None else b""
        mac = retail_mac(self.ks_mac, self._ssc_bytes() + header + do87 + do97)
        body = do87 + do97 + tlv.tlv(0x8E, mac)
        ext = extended or len(body) > 255
        if ext:
            return bytes([cla | 0x0C, ins, p1, p2, 0]) + len(body).to_bytes(2, "big") + body + b"\x00\x00"
        return bytes([cla | 0x0C, ins, p1, p2, len(body)]) + body + b"\x00"

    def unwrap(self, response: bytes) -> tuple[bytes, int]:
        """Check and decrypt a protected response (data + SW); returns (plain data, SW from DO99)."""
        self.ssc = (self.ssc + 1) % (1 << 64)
        if len(response) < 2:
            raise SecureMessagingError("response too short")
        body, outer_sw = response[:-2], int.from_bytes(response[-2:], "big")
        if not body:
            # the card answered in plain: an error status before SM processing, e.g. 6982
            return b"", outer_sw
        objects = list(tlv.iter_tlv(body))
        macced = b""
        do87 = do99 = mac = None
        for tag, value in objects:
            if tag == 0x87:
                do87 = value
                macced += tlv.tlv(tag, value)
            elif tag == 0x99:
                do99 = value
                macced += tlv.tlv(tag, value)
            elif tag == 0x8E:
                mac = value
        if mac is None or do99 is None:
            raise SecureMessagingError("response lacks DO99 or DO8E")
        if not hmac.compare_digest(retail_mac(self.ks_mac, self._ssc_bytes() + macced), mac):
            raise SecureMessagingError("response MAC does not verify")
        plain = b""
        if do87 is not None:
            if not do87 or do87[0] != 0x01:
                raise SecureMessagingError("DO87 without padding indicator 01")
            plain = unpad(tdes_decrypt(self.ks_enc, do87[1:]))
        return plain, int.from_bytes(do99, "big")


def parse_command(apdu: bytes) -> tuple[bytes, int | None, bool]:
    """(data, Le or None, extended?) of a command APDU in any of the ISO 7816-3 cases."""
    body = apdu[4:]
    if not body:
        return b"", None, False
    if len(body) == 1:
        return b"", body[0] or 256, False
    if body[0] != 0 or len(body) == 1 + body[0] or len(body) == 2 + body[0]:
        lc = body[0]
        if len(body) == 1 + lc:
            return body[1:], None, False
        if len(body) == 2 + lc:
            return body[1:1 + lc], body[-1] or 256, False
    # extended forms start with 00
    if len(body) == 3:
        return b"", int.from_bytes(body[1:3], "big") or 65536, True
    lc = int.from_bytes(body[1:3], "big")
    data = body[3:3 + lc]
    rest = body[3 + lc:]
    if len(rest) == 0:
        return data, None, True
    if len(rest) == 2:
        return data, int.from_bytes(rest, "big") or 65536, True
    raise ValueError("malformed command APDU")


def max_sm_read(response_limit: int) -> int:
    """The largest plaintext READ BINARY length whose protected response fits response_limit bytes."""
    n = response_limit
    while n > 0:
        enc = (n // 8 + 1) * 8
        do87 = 1 + len(tlv.encode_length(enc + 1)) + 1 + enc
        if do87 + 4 + 10 <= response_limit:
            return n
        n -= 1
    return 0
