"""A small ESC/POS decoder for tests: walks the bytes command by command.

It knows the commands our receipts use (and fails loudly on anything else), so
a test can say what the printer would do: which text it prints, decoded with
the model's encoding only where Kanji mode is on, which raster images it gets,
whether it cuts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image


@dataclass
class Raster:
    width: int  # dots
    height: int
    data: bytes

    def image(self) -> Image.Image:
        img = Image.frombytes("1", (self.width, self.height), self.data)
        # ESC/POS: 1 = black; PIL "1": 1 = white
        return img.point(lambda v: 255 - v, mode="1")

    def black_pixels(self) -> int:
        return sum(bin(b).count("1") for b in self.data)


@dataclass
class Parsed:
    lines: list[str] = field(default_factory=list)  # printed text lines, decoded
    rasters: list[Raster] = field(default_factory=list)
    qr_payloads: list[bytes] = field(default_factory=list)  # GS ( k stored data
    qr_printed: int = 0
    cuts: list[str] = field(default_factory=list)
    kanji_on: int = 0
    kanji_off: int = 0
    inits: int = 0
    events: list[tuple] = field(default_factory=list)  # ("text", str) / ("raster", i) / ...
    undecodable: list[bytes] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class ParseError(AssertionError):
    pass


def parse(data: bytes, encoding: str) -> Parsed:
    out = Parsed()
    i, n = 0, len(data)
    kanji = False
    line = bytearray()
    kanji_mask: list[bool] = []  # per byte of `line`: sent while Kanji mode was on

    def flush() -> None:
        out.lines.append(_decode(bytes(line), kanji_mask, encoding, out))
        out.events.append(("text", out.lines[-1]))
        line.clear()
        kanji_mask.clear()

    def need(k: int) -> None:
        if i + k > n:
            raise ParseError(f"truncated command at byte {i}")

    while i < n:
        b = data[i]
        if b == 0x1B:  # ESC
            need(2)
            c = data[i + 1]
            if c == 0x40:  # ESC @
                out.inits += 1
                kanji = False
                i += 2
            elif c in (0x61, 0x45, 0x21, 0x64, 0x4D, 0x32):  # ESC a n / ESC E n / ESC ! n / ESC d n / ESC M n
                need(3)
                if c == 0x64:
                    if line:
                        flush()
                    out.events.append(("feed", data[i + 2]))
                i += 3 if c != 0x32 else 2
            else:
                raise ParseError(f"unknown ESC command 0x{c:02x} at byte {i}")
        elif b == 0x1C:  # FS
            need(2)
            c = data[i + 1]
            if c == 0x26:
                kanji = True
                out.kanji_on += 1
            elif c == 0x2E:
                kanji = False
                out.kanji_off += 1
            else:
                raise ParseError(f"unknown FS command 0x{c:02x} at byte {i}")
            i += 2
        elif b == 0x1D:  # GS
            need(2)
            c = data[i + 1]
            if c == 0x21:  # GS ! n
                i += 3
            elif c == 0x76:  # GS v 0 m xL xH yL yH d...
                need(8)
                if data[i + 2] != 0x30:
                    raise ParseError("GS v with a function other than 0")
                wb = data[i + 4] | data[i + 5] << 8
                h = data[i + 6] | data[i + 7] << 8
                size = wb * h
                need(8 + size)
                if line:
                    flush()
                out.rasters.append(Raster(wb * 8, h, bytes(data[i + 8:i + 8 + size])))
                out.events.append(("raster", len(out.rasters) - 1))
                i += 8 + size
            elif c == 0x28 and i + 2 < n and data[i + 2] == 0x6B:  # GS ( k pL pH cn fn ...
                need(7)
                length = data[i + 3] | data[i + 4] << 8
                need(5 + length)
                cn, fn = data[i + 5], data[i + 6]
                body = bytes(data[i + 7:i + 5 + length])
                if cn == 0x31 and fn == 0x50:
                    out.qr_payloads.append(body[1:])  # m = '0' then the data
                elif cn == 0x31 and fn == 0x51:
                    out.qr_printed += 1
                    out.events.append(("qr", len(out.qr_payloads) - 1))
                i += 5 + length
            elif c == 0x56:  # GS V m [n]
                need(3)
                m = data[i + 2]
                if m in (0, 0x30):
                    out.cuts.append("full")
                    i += 3
                elif m in (1, 0x31):
                    out.cuts.append("partial")
                    i += 3
                elif m in (65, 66):
                    need(4)
                    out.cuts.append("full" if m == 65 else "partial")
                    i += 4
                else:
                    raise ParseError(f"unknown GS V mode {m}")
                out.events.append(("cut", out.cuts[-1]))
            else:
                raise ParseError(f"unknown GS command 0x{c:02x} at byte {i}")
        elif b == 0x0A:  # LF
            flush()
            i += 1
        elif b < 0x20:
            raise ParseError(f"unexpected control byte 0x{b:02x} at byte {i}")
        else:
            line.append(b)
            kanji_mask.append(kanji)
            i += 1
    if line:
        flush()
    return out


def _decode(raw: bytes, mask: list[bool], encoding: str, out: Parsed) -> str:
    """Bytes >= 0x80 only mean a character in Kanji mode; outside it they are an error here."""
    text, j = [], 0
    while j < len(raw):
        if raw[j] < 0x80:
            text.append(chr(raw[j]))
            j += 1
            continue
        if not mask[j]:
            out.undecodable.append(raw[j:j + 1])
            text.append("\ufffd")
            j += 1
            continue
        for k in (2, 4):
            try:
                text.append(raw[j:j + k].decode(encoding))
                j += k
                break
            except UnicodeDecodeError:
                continue
        else:
            out.undecodable.append(raw[j:j + 2])
            text.append("\ufffd")
            j += 2
    return "".join(text)
