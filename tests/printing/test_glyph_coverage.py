"""No tofu: one character from every CJK block is drawn (a real glyph, not .notdef), comes back from
pdftotext, and inks the receipt raster; Extension I, which no installed font has, is refused at print
time with the character, its code point and what to install, while the job stays queued for retry."""

from __future__ import annotations

import dataclasses
import subprocess

import pytest
from PIL import Image, ImageDraw, ImageFont

from counter.services import printing as ps
from printing import fonts
from printing.certificate import render_certificate
from printing.models import load_model
from printing.receipt import raster_line
from tests.printing.conftest import replace

# one character per block; the late URO additions (9FA6-9FFF, Unicode 8-14) get three
CORPUS = {
    "URO 9FA6 (Unicode 8)": "\u9FA6",
    "URO 9FEF (Unicode 11)": "\u9FEF",
    "URO 9FFF (Unicode 14)": "\u9FFF",
    "Extension A": "\u4DAE",
    "Extension B": "\U00020BB7",
    "Extension C": "\U0002A700",
    "Extension D": "\U0002B740",
    "Extension E": "\U0002B820",
    "Extension F": "\U0002CEB0",
    "Extension G": "\U00030000",
    "Extension H": "\U00031350",
    "Compatibility Ideographs": "\uF900",
    "Compatibility Ideographs Supplement": "\U0002F800",
}
EXTENSION_I = "\U0002EBF0"  # Unicode 15.1: in no font Debian bookworm ships


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=60).stdout


def _drawn(font: fonts.FontFile, ch: str) -> Image.Image:
    face = ImageFont.truetype(str(fonts.font_path(font)), size=48, index=font.subfont_index)
    img = Image.new("L", (64, 64), 255)
    ImageDraw.Draw(img).text((32, 32), ch, font=face, fill=0, anchor="mm")
    return img


@pytest.mark.parametrize("block", list(CORPUS))
def test_the_glyph_is_drawn_not_notdef(block):
    ch = CORPUS[block]
    font = fonts.font_for(ch)
    assert font is not None, f"{block}: no font in the chain has U+{ord(ch):04X}"
    glyph = fonts.ttfont(font).face.charToGlyph[ord(ch)]
    assert glyph != 0
    drawn = _drawn(font, ch)
    # .notdef is what the same face draws for a character it has not (Extension I)
    notdef = _drawn(font, EXTENSION_I)
    assert drawn.tobytes() != notdef.tobytes()
    assert sum(1 for v in drawn.tobytes() if v < 128) > 30  # inked, not blank


def test_babelstone_han_fills_what_hanamin_lacks():
    for ch in (CORPUS["URO 9FEF (Unicode 11)"], CORPUS["Extension G"], CORPUS["Extension H"]):
        assert fonts.font_for(ch) is fonts.BABELSTONE
    assert fonts.font_for(CORPUS["Extension B"]).filename == "HanaMinB.ttf"  # HanaMin still first for B


def test_every_block_survives_the_certificate_pdf(tmp_path, certificate):
    corpus = "".join(CORPUS.values())
    path = tmp_path / "corpus.pdf"
    # a name has no compatibility ideographs, but a certificate's wording (an address) can: both
    path.write_bytes(render_certificate(replace(certificate, subject_name="阿依古丽·" + corpus,
                                                body=["居住于沈阳市和平区" + corpus + "街1号。"])))
    text = run("pdftotext", "-enc", "UTF-8", str(path), "-")
    for block, ch in CORPUS.items():
        assert ch in text, f"{block}: U+{ord(ch):04X} not given back by pdftotext"
    fonts_listed = run("pdffonts", str(path))
    assert "BabelStone" in fonts_listed and "HanaMinB" in fonts_listed


@pytest.mark.parametrize("block", list(CORPUS))
def test_the_receipt_raster_of_every_block_is_inked(block):
    ch = CORPUS[block]
    model = load_model("generic-80")
    img = raster_line("申请人：" + ch, model)
    from printing import textenc

    col = textenc.display_width("申请人：", model)
    cell = model.cell_dots
    ink = sum(1 for x in range(col * cell, (col + 2) * cell) for y in range(img.height) if img.getpixel((x, y)) == 0)
    assert ink > 15, f"{block}: the receipt cell of U+{ord(ch):04X} is blank"  # a blank cell has 0


def test_extension_i_has_no_font_and_the_refusal_says_what_to_install():
    assert fonts.missing_glyphs("沈阳" + EXTENSION_I) == [EXTENSION_I]
    with pytest.raises(fonts.GlyphMissing) as caught:
        fonts.require_glyphs("沈阳" + EXTENSION_I)
    message = str(caught.value)
    assert "U+2EBF0" in message and "Extension I" in message and fonts.ENV_FONT_DIRS in message
    fonts.require_glyphs("".join(CORPUS.values()))  # the corpus itself passes


def _kinds(station):
    return [r[0] for r in station.db.conn.execute("SELECT kind FROM journal ORDER BY seq")]


def test_a_certificate_with_an_unprintable_character_is_refused_and_stays_queued(station, certificate, tmp_path):
    from counter.i18n import set_language
    from counter.services import printing as output

    cert = replace(certificate, body=["居住于沈阳市和平区" + EXTENSION_I + "街1号。"], verification="")
    with pytest.raises(ps.PrintJobError):
        ps.print_certificate(station, cert, "clerk-1", tmp_path / "certs")
    assert not (tmp_path / "certs").exists() or not any((tmp_path / "certs").iterdir())  # no tofu PDF written
    failed = station.db.conn.execute(
        "SELECT payload FROM journal WHERE kind = 'print.failed' ORDER BY seq DESC LIMIT 1").fetchone()[0]
    assert "U+2EBF0" in failed and EXTENSION_I not in failed  # the code point, not the text around it
    job = ps.list_jobs(station)[0]
    assert job["state"] != "printed"  # still queued: retried once the font is installed
    again = ps.retry_job(station, job["job_id"], "clerk-1", tmp_path / "certs")
    assert not again.confirmed and again.missing_glyphs == (EXTENSION_I,)
    assert again.as_dict()["missing_glyphs"] == ["U+2EBF0"]
    set_language("zh_CN")
    try:
        delivery = output.deliver(station, cert, "clerk-1")
    finally:
        set_language("zh_CN")
    assert not delivery.printed and delivery.job_id
    assert EXTENSION_I in delivery.message and "U+2EBF0" in delivery.message and "COUNTER_FONT_DIRS" in delivery.message


def test_a_receipt_with_an_unprintable_character_is_refused_before_the_printer(station, receipt):

    before = len(list((station.data_dir / "printer").rglob("*"))) if (station.data_dir / "printer").exists() else 0
    result = ps.print_receipt(station, dataclasses.replace(
        receipt, lines=[("居住地址：", "沈阳市和平区" + EXTENSION_I + "街1号")]), "clerk-1")
    assert not result.confirmed and result.state == "failed" and result.missing_glyphs == (EXTENSION_I,)
    assert "U+2EBF0" in result.message
    after = len(list((station.data_dir / "printer").rglob("*"))) if (station.data_dir / "printer").exists() else 0
    assert after <= before + 1  # at most the simulated printer's state file: no job bytes went out
    assert _kinds(station)[-2:] == ["print.queued", "print.failed"]
