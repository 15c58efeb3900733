"""Receipts: rendered bytes decoded command by command (tests/printing/escpos_parser.py)."""

from __future__ import annotations

import pytest
from escpos.printer import Dummy, File
from PIL import Image
from pyzbar.pyzbar import decode as zbar_decode

from printing import textenc
from printing.models import load_model, model_names
from printing.receipt import raster_line, render_receipt
from tests.printing.conftest import ENTITLEMENTS, NAME, replace
from tests.printing.escpos_parser import parse

MODELS = ["generic-80", "generic-58", "gb18030-80", "big5-80"]


def test_every_shipped_model_loads():
    assert set(MODELS) <= set(model_names())
    for name in model_names():
        model = load_model(name)
        assert model.columns * model.cell_dots == model.dots


@pytest.mark.parametrize("name", MODELS)
def test_receipt_contents_decode(receipt, name):
    model = load_model(name)
    data = render_receipt(receipt, model)
    p = parse(data, model.encoding)
    text = p.text
    assert p.inits == 1 and not p.undecodable
    # what a clerk expects on the slip (wrapped lines joined back for long values)
    flat = text.replace("\n", "").replace(" ", "")
    if name == "big5-80":
        # simplified labels (业务, 编号...) are outside Big5: those lines are images, every one inked
        expected_text = ["受理窗口：DEMO-01", "·法律援助"]
        assert len(p.rasters) > 10 and all(r.black_pixels() > 50 for r in p.rasters)
    else:
        expected_text = ["和平区政务服务中心", "受理编号：A20261121-0001", "身份证号：210102********1241",
                         "领证日期：2026-12-12", "收费：" + ("¥" if name == "gb18030-80" else "￥") + "0.00（免费）", "受理窗口：DEMO-01",
                         "受理时间：2026-11-2110:32", "经办人：王小明", "领取居住证", "业务类型：居住证申领"]
        expected_text += [f"·{item}" for item in ENTITLEMENTS]
    for expected in expected_text:
        assert expected in flat, (name, expected)
    # no character was replaced by '?'
    assert "?" not in text and "\ufffd" not in text
    # the decoded lines fit the paper, counted in display columns
    for line in p.lines:
        assert textenc.display_width(line, model) <= model.columns, line
    # Kanji mode switched on and off around double-byte text
    assert p.kanji_on > 0 and p.kanji_on == p.kanji_off
    # the name line with 𠮷 is a raster image as wide as the paper
    assert p.rasters, "the line with 𠮷 must be sent as an image"
    assert all(r.width == model.dots for r in p.rasters)
    assert not any(NAME in line for line in p.lines)
    if model.cut != "none":
        assert p.cuts == [model.cut]
    else:
        assert p.cuts == []


@pytest.mark.parametrize("name", ["generic-80", "gb18030-80", "big5-80"])
def test_native_qr_carries_the_payload(receipt, name):
    model = load_model(name)
    p = parse(render_receipt(receipt, model), model.encoding)
    assert p.qr_payloads == [b"CNTR1:TEST-PAYLOAD"] and p.qr_printed == 1


def test_raster_qr_scans(receipt):
    model = load_model("generic-58")
    p = parse(render_receipt(receipt, model), model.encoding)
    assert p.qr_payloads == []
    found = []
    for raster in p.rasters:
        found += [s.data for s in zbar_decode(raster.image().convert("L"))]
    assert found == [b"CNTR1:TEST-PAYLOAD"]


def _cell_ink(img: Image.Image, x0: int, x1: int) -> int:
    return sum(1 for x in range(x0, x1) for y in range(img.height) if img.getpixel((x, y)) == 0)


def test_rare_character_raster_has_the_glyph():
    model = load_model("generic-80")
    line = "申请人：" + NAME
    img = raster_line(line, model)
    col = textenc.display_width("申请人：", model)
    cell = model.cell_dots
    ink = _cell_ink(img, col * cell, (col + 2) * cell)
    assert ink > 40, "𠮷 must be drawn, not left blank"
    # and it is not the empty box of a font that lacks it: the same cell with a space is empty
    blank = raster_line("申请人：" + "  " + NAME[1:], model)
    assert _cell_ink(blank, col * cell, (col + 2) * cell) == 0
    # the glyph differs from the neighbouring 田 (a .notdef box would look the same everywhere)
    tian = img.crop(((col + 2) * cell, 0, (col + 4) * cell, img.height))
    ji = img.crop((col * cell, 0, (col + 2) * cell, img.height))
    assert tian.tobytes() != ji.tobytes()


def test_full_width_punctuation_and_yen_are_native():
    """A line of only full-width punctuation: python-escpos' MagicEncode turns it into '?'."""
    for name, yen in (("generic-80", b"\xa3\xa4"), ("generic-58", b"\xa3\xa4"), ("big5-80", b"\xa2\x44")):
        model = load_model(name)
        text = "，。：；（）《》、…—￥¥"
        data = textenc.encode_native(text, model)
        assert data.startswith(model.kanji_on) and data.endswith(model.kanji_off)
        body = data[len(model.kanji_on):-len(model.kanji_off)]
        assert body.count(yen) == 2, name  # both yen signs go out as the model's own yen
        assert b"?" not in body
        assert textenc.display_width(text, model) == 2 * len(text)


def test_magic_encode_baseline_loses_characters():
    """Why we encode ourselves: python-escpos 3.1 prints '?' for these (see PITFALLS.md)."""
    d = Dummy()
    d.text("，。：（）\n")
    d.text("\U00020BB7\n")
    assert b"?" in d.output


def test_width_rules_and_wrap():
    model = load_model("generic-80")
    assert textenc.display_width("AB", model) == 2
    assert textenc.display_width("居住", model) == 4
    assert textenc.display_width("·", model) == 2  # GBK A1A4 prints as a full-width character
    assert textenc.display_width("\U00020BB7", model) == 2
    lines = textenc.wrap("居" * 30, 48, model)
    assert [textenc.display_width(line, model) for line in lines] == [48, 12]
    # closing punctuation never starts a line
    lines = textenc.wrap("居" * 23 + "。", 46, model)
    assert not lines[1].startswith("。") and "".join(lines) == "居" * 23 + "。"
    # a Latin word moves whole
    assert textenc.wrap("中文 Residence permit", 16, model) == ["中文 Residence", "permit"]


def test_gb18030_four_byte_model_prints_extension_a_natively():
    gbk = load_model("generic-80")
    full = load_model("gb18030-80")
    assert textenc.native_bytes("䶮", gbk) is None  # not in the GBK font: raster
    assert textenc.native_bytes("䶮", full) == "䶮".encode("gb18030")
    assert textenc.native_bytes("\U00020BB7", full) is None  # extension B: raster everywhere


def test_copy_is_marked(receipt):
    model = load_model("generic-80")
    original = parse(render_receipt(receipt, model), model.encoding)
    copy = parse(render_receipt(replace(receipt, copy_number=2), model), model.encoding)
    assert "副本" not in original.text
    assert sum("副本 COPY 2" in line for line in copy.lines) == 2  # top and bottom


def test_rendering_is_deterministic(receipt):
    assert render_receipt(receipt, "generic-80") == render_receipt(receipt, "generic-80")


def test_control_characters_never_reach_the_printer(receipt):
    model = load_model("generic-80")
    evil = replace(receipt, applicant_name="张三\x1b@\x1dV\x00")
    p = parse(render_receipt(evil, model), model.encoding)
    assert p.inits == 1 and len(p.cuts) == 1
    assert any("张三@V" in line for line in p.lines)


def test_bytes_through_python_escpos_file(tmp_path, receipt):
    """The same bytes, written by python-escpos' File printer, decode the same."""
    model = load_model("generic-80")
    data = render_receipt(receipt, model)
    out = tmp_path / "printer.bin"
    printer = File(str(out))
    printer._raw(data)
    printer.close()
    assert parse(out.read_bytes(), model.encoding).lines == parse(data, model.encoding).lines


def test_long_title_on_58mm_stays_on_one_line(receipt):
    """Double size would need 36 of 32 columns: the title keeps double height, normal width."""
    model = load_model("generic-58")
    data = render_receipt(receipt, model)
    p = parse(data, model.encoding)
    assert any(line.strip() == "居住证申领受理回执" for line in p.lines)
    assert b"\x1d!\x01" in data  # GS ! 1: double height only


def test_preview_lines_match_the_printed_layout(receipt):
    from printing.receipt import preview_lines

    model = load_model("generic-80")
    lines = preview_lines(receipt, model)
    printed = parse(render_receipt(receipt, model), model.encoding).lines
    assert any(NAME in line for line in lines)  # the raster line shows as its text
    assert "[QR]" in "".join(lines)
    for line in printed:
        if line.strip() and "居住证申领受理回执" not in line:
            assert line in [x.replace("¥", "￥") for x in lines]  # the printer's own yen sign


def test_raster_data_never_spells_a_realtime_command():
    """A printer executes DLE EOT / DLE ENQ / DLE DC4 even inside image data."""
    from printing.receipt import _Builder

    model = load_model("generic-80")
    row = bytes([0x10, 0x04, 0x01, 0x10, 0x05, 0x02, 0x10, 0x14, 0x01]) + bytes(model.dots // 8 - 9)
    img = Image.frombytes("1", (model.dots, 1), row).point(lambda v: 255 - v, mode="1")  # 1 = black in ESC/POS
    out = _Builder(model)
    out.image(img)
    p = parse(out.output(), model.encoding)
    data = p.rasters[0].data
    for seq in (b"\x10\x04", b"\x10\x05", b"\x10\x14"):
        assert seq not in data
    assert p.rasters[0].black_pixels() >= bin(int.from_bytes(row, "big")).count("1") - 8


def test_newer_ideographs_and_private_use_reach_the_font_check_not_the_bin():
    """Extension H and I are unassigned to Python 3.11's Unicode 14 data: cleaning must not drop them (the
    glyph check then prints them or refuses the document by name)."""
    from printing.textenc import clean

    ext_h, ext_i, private = "\U00031350", "\U0002EBF0", "\ue000"
    assert clean(f"{ext_h}{ext_i}{private}明\x1b\u202e\t!") == f"{ext_h}{ext_i}{private}明 !"
