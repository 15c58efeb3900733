"""BER-TLV as used by ISO 7816 and the ICAO LDS: pure parse and encode."""

from __future__ import annotations

from collections.abc import Iterator


class TlvError(ValueError):
    pass


def encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def encode_tag(tag: int) -> bytes:
    return tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")


def tlv(tag: int, value: bytes) -> bytes:
    return encode_tag(tag) + encode_length(len(value)) + value


def read_tag(data: bytes, pos: int) -> tuple[int, int]:
    """The tag at pos as an int (multi-byte tags kept whole, e.g. 0x5F1F) and the next position."""
    if pos >= len(data):
        raise TlvError("truncated tag")
    first = data[pos]
    tag = first
    pos += 1
    if first & 0x1F == 0x1F:
        while True:
            if pos >= len(data):
                raise TlvError("truncated tag")
            b = data[pos]
            tag = (tag << 8) | b
            pos += 1
            if not b & 0x80:
                break
    return tag, pos


def read_length(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise TlvError("truncated length")
    first = data[pos]
    pos += 1
    if first < 0x80:
        return first, pos
    count = first & 0x7F
    if count == 0 or count > 4:
        raise TlvError(f"unsupported length form {first:02X}")
    if pos + count > len(data):
        raise TlvError("truncated length")
    return int.from_bytes(data[pos:pos + count], "big"), pos + count


def header(data: bytes) -> tuple[int, int, int]:
    """(tag, header size, value length) of the TLV at the start; for sizing a file from its first bytes."""
    tag, pos = read_tag(data, 0)
    length, pos = read_length(data, pos)
    return tag, pos, length


def iter_tlv(data: bytes) -> Iterator[tuple[int, bytes]]:
    pos = 0
    while pos < len(data):
        if data[pos] in (0x00, 0xFF):  # padding between objects is allowed
            pos += 1
            continue
        tag, pos = read_tag(data, pos)
        length, pos = read_length(data, pos)
        if pos + length > len(data):
            raise TlvError(f"value of tag {tag:X} runs past the end")
        yield tag, data[pos:pos + length]
        pos += length


def parse(data: bytes) -> dict[int, bytes]:
    """First occurrence of each tag at this level."""
    out: dict[int, bytes] = {}
    for tag, value in iter_tlv(data):
        out.setdefault(tag, value)
    return out


def unwrap(data: bytes, expected_tag: int) -> bytes:
    """The value of the single outer TLV, checking its tag."""
    tag, pos = read_tag(data, 0)
    if tag != expected_tag:
        raise TlvError(f"expected tag {expected_tag:X}, found {tag:X}")
    length, pos = read_length(data, pos)
    if pos + length > len(data):
        raise TlvError("value runs past the end")
    return data[pos:pos + length]


def find(data: bytes, tag: int) -> bytes | None:
    """Depth-first search for a tag through constructed objects."""
    for t, value in iter_tlv(data):
        if t == tag:
            return value
        first = t.to_bytes(max(1, (t.bit_length() + 7) // 8), "big")[0]
        if first & 0x20:  # constructed
            try:
                hit = find(value, tag)
            except TlvError:
                hit = None
            if hit is not None:
                return hit
    return None
