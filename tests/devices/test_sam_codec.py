"""The SAM frame codec and the text-block decoding, against frames worked out by hand.

Each expected frame below is written out byte by byte from the rules in
shared/reference/resident-id-card-reader.md: preamble AA AA AA 96 69, LEN big-endian counting
every byte after it (checksum included), CHK = XOR of LEN_HI .. last data byte.
"""

from __future__ import annotations

from datetime import date

import pytest

from devices import sam_codec as codec
from devices.errors import UNSUPPORTED_CARD, CardError
from devices.identity import FAILED, FOREIGN_PERMANENT_ID, HMT_RESIDENCE_PERMIT, RESIDENT_ID, VERIFIED
from devices.resident_id import RESIDENT_FIELDS, decode, encode_fields, ethnicity_label

# by hand: 00 ^ 03 ^ 20 ^ 01 = 22
FIND = bytes.fromhex("AAAAAA9669 0003 2001 22")
# 00 ^ 03 ^ 20 ^ 02 = 21
SELECT = bytes.fromhex("AAAAAA9669 0003 2002 21")
# 00 ^ 03 ^ 30 ^ 01 = 32
READ = bytes.fromhex("AAAAAA9669 0003 3001 32")
# 00 ^ 03 ^ 11 ^ FF = ED
SAM_STATUS = bytes.fromhex("AAAAAA9669 0003 11FF ED")
# reader: 00 ^ 04 ^ 00 ^ 00 ^ 9F = 9B
FOUND = bytes.fromhex("AAAAAA9669 0004 00009F 9B")
# 00 ^ 04 ^ 80 = 84
NO_CARD = bytes.fromhex("AAAAAA9669 0004 000080 84")
# 00 ^ 04 ^ 90 = 94
OK = bytes.fromhex("AAAAAA9669 0004 000090 94")


def test_commands_match_the_hand_built_frames():
    assert codec.command(codec.FIND_CARD) == FIND
    assert codec.command(codec.SELECT_CARD) == SELECT
    assert codec.command(codec.READ_TEXT_PHOTO) == READ
    assert codec.command(codec.SAM_STATUS) == SAM_STATUS
    assert codec.response(codec.SW_FOUND) == FOUND
    assert codec.response(codec.SW_NO_CARD) == NO_CARD


def test_parse_hand_built_responses():
    assert codec.parse(FOUND).sw3 == 0x9F
    assert codec.parse(NO_CARD).sw3 == 0x80
    assert codec.parse(OK).data == b""
    assert codec.parse(FIND).cmd == (0x20, 0x01)


def test_long_read_answer_length_is_big_endian():
    # 3 status bytes + 4 length bytes + 256 text + 1024 photo + 1 checksum = 1288 = 0x0508
    frame = codec.response(codec.SW_OK, codec.read_data(bytes(256), bytes(1024)))
    assert frame[5:7] == bytes.fromhex("0508")
    assert len(frame) == 1295
    assert frame[7:14] == bytes.fromhex("000090 0100 0400")
    blocks = codec.split_read(codec.parse(frame).data)
    assert (len(blocks.text), len(blocks.photo), blocks.fingerprint_length) == (256, 1024, 0)


def test_resync_after_stray_bytes_and_split_preamble():
    decoder = codec.FrameDecoder()
    assert decoder.feed(b"\x00\xffgarbage\xaa") == []
    assert decoder.feed(b"\xaa\xaa\x96") == []  # the preamble split over three reads
    assert decoder.feed(FOUND[4:9]) == []  # a partial frame waits
    frames = decoder.feed(FOUND[9:] + b"\x55" + NO_CARD)
    assert [f.sw3 for f in frames] == [0x9F, 0x80]
    assert decoder.skipped == 9 + 1  # "\x00\xffgarbage" and the 0x55 between frames
    assert decoder.pending == 0


def test_partial_frame_byte_by_byte():
    decoder = codec.FrameDecoder()
    out = []
    for b in OK:
        out += decoder.feed(bytes([b]))
    assert [f.sw3 for f in out] == [0x90]


def test_checksum_and_length_errors_are_reported_and_skipped():
    decoder = codec.FrameDecoder()
    bad_sum = FOUND[:-1] + b"\x00"
    bad_len = bytes.fromhex("AAAAAA9669 FFFF")
    frames = decoder.feed(bad_sum + bad_len + OK)
    assert frames[0] == codec.BadFrame("checksum")
    assert frames[1] == codec.BadFrame("length")
    assert frames[2].sw3 == 0x90
    with pytest.raises(codec.FrameError):
        codec.parse(bad_sum)
    with pytest.raises(codec.FrameError):
        codec.parse(OK + b"\x00")


def test_fingerprint_block_is_skipped_unread():
    data = (256).to_bytes(2, "big") + (1024).to_bytes(2, "big") + (1024).to_bytes(2, "big") \
        + b"T" * 256 + b"P" * 1024 + b"F" * 1024
    blocks = codec.split_read(data, with_fingerprint=True)
    assert blocks.text == b"T" * 256 and blocks.photo == b"P" * 1024 and blocks.fingerprint_length == 1024
    assert b"F" not in blocks.text + blocks.photo


def test_sam_id_text():
    data = bytes([5, 2]) + (123456).to_bytes(4, "little") + (987654321).to_bytes(4, "little") \
        + (1122334455).to_bytes(4, "little") + b"\0\0"
    assert codec.sam_id_text(data) == "05.02-00123456-0987654321-1122334455"


# --- text blocks, built by hand ------------------------------------------------------------------


def _utf16(text: str, units: int) -> bytes:
    raw = text.encode("utf-16-le")
    return raw + b" \x00" * (units - len(raw) // 2)


def _resident_block(name: str, number: str, until: str = "20390508", mark: str = " ", ethnicity: str = "01",
                    extra: bytes = b"") -> bytes:
    block = (_utf16(name, 15) + _utf16("1", 1) + _utf16(ethnicity, 2) + _utf16("19860912", 8)
             + _utf16("辽宁省沈阳市和平区", 35) + _utf16(number, 18) + _utf16("沈阳市公安局和平分局", 15)
             + _utf16("20190508", 8) + _utf16(until, 8))
    block += extra or _utf16("", 9 + 2 + 3)
    block += _utf16(mark, 1) + _utf16("", 3)
    assert len(block) == 256
    return block


def test_surrogate_pair_name_comes_out_whole():
    # 𠮷 is U+20BB7: UTF-16 D842 DFB7, little-endian 42 D8 B7 DF
    block = _resident_block("𠮷祥云", "210102198609121579")
    assert block[:4] == bytes.fromhex("42D8B7DF")
    doc = decode(block, b"WLT" + bytes(1021))
    assert doc.name == "𠮷祥云"
    assert doc.doc_type == RESIDENT_ID and doc.document_number == doc.citizen_id == "210102198609121579"
    assert doc.sex == "M" and doc.birth_date == date(1986, 9, 12) and doc.ethnicity == "01"
    assert doc.address == "辽宁省沈阳市和平区" and doc.issuing_authority == "沈阳市公安局和平分局"
    assert doc.valid_from == date(2019, 5, 8) and doc.expiry_date == date(2039, 5, 8) and not doc.long_term
    assert doc.authenticity == VERIFIED
    assert doc.face_image is None and len(doc.photo_sha256) == 64
    assert "WLT" not in repr(doc) and doc.summary()["face_image"] is None


def test_minority_name_with_middle_dot_and_ethnicity_name():
    doc = decode(_resident_block("阿依古丽·吐尔逊", "210102198609121579", ethnicity="05"))
    assert doc.name == "阿依古丽·吐尔逊"
    assert ethnicity_label(doc.ethnicity) == "维吾尔族" and ethnicity_label("05", "en") == "Uygur"


def test_long_term_validity():
    doc = decode(_resident_block("李秀英", "210102198609121579", until="长期"))
    assert doc.long_term and doc.expiry_date is None and not doc.expired(date(2099, 1, 1))


def test_expired_card():
    doc = decode(_resident_block("张伟", "210102198609121579", until="20250601"))
    assert doc.expired(date(2026, 12, 1)) and not doc.expired(date(2025, 6, 1))


def test_bad_check_character_marks_the_card_suspect():
    doc = decode(_resident_block("王强", "210102198609121570"))
    assert doc.authenticity == FAILED and "GB 11643" in doc.authenticity_detail


def test_hmt_permit_layout():
    extra = _utf16("H12345678", 9) + _utf16("03", 2) + _utf16("", 3)
    doc = decode(_resident_block("陈家明", "810000198609121572", mark="J", ethnicity="", extra=extra))
    assert doc.doc_type == HMT_RESIDENCE_PERMIT
    assert doc.travel_permit_number == "H12345678" and doc.issue_count == 3
    assert doc.citizen_id == "810000198609121572" and doc.authenticity == VERIFIED


def test_foreigner_layout():
    block = (_utf16("MUELLER, ANNA MARIA", 60) + _utf16("2", 1) + _utf16("DEU310079081227", 15)
             + _utf16("DEU", 3) + _utf16("穆勒安娜", 15) + _utf16("20210401", 8) + _utf16("20310401", 8)
             + _utf16("19790812", 8) + _utf16("20", 2) + _utf16("1500", 4) + _utf16("I", 1) + _utf16("", 3))
    assert len(block) == 256
    doc = decode(block)
    assert doc.doc_type == FOREIGN_PERMANENT_ID and doc.document_number == "DEU310079081227"
    assert doc.name == "穆勒安娜" and doc.other_names == "MUELLER, ANNA MARIA"
    assert doc.nationality == "DEU" and doc.sex == "F" and doc.birth_date == date(1979, 8, 12)
    assert doc.citizen_id is None and doc.expiry_date == date(2031, 4, 1)


def test_unknown_mark_is_an_unsupported_card():
    with pytest.raises(CardError) as exc:
        decode(_resident_block("某某", "210102198609121579", mark="Y"))
    assert exc.value.state == UNSUPPORTED_CARD


def test_encode_fields_round_trip_and_width_check():
    values = {"name": "𠮷" * 7, "number": "210102198609121579", "mark": " "}
    assert len(encode_fields(values, RESIDENT_FIELDS)) == 256
    with pytest.raises(ValueError):
        encode_fields({"name": "𠮷" * 8}, RESIDENT_FIELDS)  # 16 UTF-16 units in a 15-unit field
