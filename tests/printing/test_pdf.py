"""Certificate PDFs checked with poppler: fonts embedded, text extractable, glyphs drawn, QR scannable."""

from __future__ import annotations

import html
import re
import subprocess

import pytest
from PIL import Image
from pyzbar.pyzbar import decode as zbar_decode

from printing import pdf
from printing.certificate import certificate_kinds, render_certificate
from tests.printing.conftest import NAME, replace

JI = "\U00020BB7"


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=60).stdout


@pytest.fixture
def cert_pdf(tmp_path, certificate):
    path = tmp_path / "cert.pdf"
    path.write_bytes(render_certificate(replace(certificate, subject_name=NAME + "䶮")))
    return path


def test_every_font_is_embedded(cert_pdf):
    lines = run("pdffonts", str(cert_pdf)).splitlines()[2:]
    assert lines, "the PDF has fonts"
    for line in lines:
        cols = line.split()
        emb, sub, uni = cols[-5], cols[-4], cols[-3]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), line
    assert not any("Helvetica" in line for line in lines)
    assert any("UMing" in line for line in lines)  # the Song/Ming face
    assert any("HanaMinB" in line for line in lines)  # the fallback that has 𠮷


def test_text_extracts_with_rare_characters_and_middle_dot(cert_pdf):
    text = run("pdftotext", "-enc", "UTF-8", str(cert_pdf), "-")
    assert NAME + "䶮" in text  # 𠮷 extracted as U+20BB7, not U+20BB (reportlab's ToUnicode bug, fixed)
    assert "\u20bb" not in text
    assert "居住证明" in text and "210102199003071241" in text and "和平区政务服务中心" in text


def test_tounicode_cmap_uses_surrogate_pairs():
    from reportlab.pdfbase import ttfonts

    pdf.fix_tounicode()
    cmap = ttfonts.makeToUnicodeCMap("X", [0x7530, 0x20BB7])
    assert "<00> <7530>" in cmap and "<01> <D842DFB7>" in cmap and "20BB7" not in cmap


def _word_boxes(path) -> list[tuple[str, float, float, float, float]]:
    out = run("pdftotext", "-bbox", str(path), "-")
    boxes = []
    for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', out):
        boxes.append((html.unescape(m.group(5)), *map(float, m.groups()[:4])))
    return boxes


def _ink(path, box, dpi=144) -> int:
    """Dark pixels inside a box (PDF points, top-left origin) of page 1 rendered by pdftoppm."""
    prefix = str(path) + "-page"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", "1", "-l", "1", "-singlefile", str(path), prefix],
                   check=True, timeout=60)
    scale = dpi / 72
    with Image.open(prefix + ".png") as img:
        x0, y0, x1, y1 = (round(v * scale) for v in box)
        crop = img.convert("L").crop((x0, y0, x1, y1))
        return sum(1 for v in crop.tobytes() if v < 128)


def test_rare_glyph_is_drawn_not_notdef(cert_pdf, tmp_path):
    words = [w for w in _word_boxes(cert_pdf) if w[0].startswith(JI)]
    assert words, "the name is on the page"
    word, x0, y0, x1, y1 = words[0]
    size = y1 - y0
    ink = _ink(cert_pdf, (x0, y0, x0 + size, y1))
    assert ink > 40
    # the same character in the main face alone (no fallback) is .notdef: it looks different
    probe = tmp_path / "notdef.pdf"
    canvas = pdf.new_canvas(str(probe))
    canvas.setFont(pdf.MAIN_FONT, 12)
    canvas.drawString(x0, 842 - y1 + 3, JI)
    canvas.save()
    notdef = _ink(probe, (x0, y0, x0 + size, y1))
    assert ink > notdef + 20  # here: 82 dark pixels against the empty box's 36


def test_qr_decodes_and_is_the_payload(tmp_path, certificate):
    path = tmp_path / "qr.pdf"
    payload = "CNTR1:" + "ABCDEFGHIJ0123456789$%*+-./:" * 4
    path.write_bytes(render_certificate(replace(certificate, verification=payload)))
    prefix = str(tmp_path / "page")
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(path), prefix], check=True, timeout=60)
    with Image.open(prefix + ".png") as img:
        found = [s.data.decode() for s in zbar_decode(img)]
    assert found == [payload]


def test_output_is_deterministic(certificate):
    assert render_certificate(certificate) == render_certificate(certificate)


def test_copy_mark_and_cjk_wrapping(tmp_path, certificate):
    long_body = ["兹证明" + NAME + "自二〇二四年三月起在本辖区连续居住，已按《辽宁省实有人口服务管理办法》规定办理居住登记，"
                 "居住地址为沈阳市和平区南京北街一号二单元三〇一室。特此证明。"]
    path = tmp_path / "copy.pdf"
    path.write_bytes(render_certificate(replace(certificate, copy_number=1, body=long_body)))
    text = run("pdftotext", "-enc", "UTF-8", str(path), "-")
    assert "副本 COPY 1" in text
    body_lines = [line for line in text.splitlines() if "辽宁" in line or "南京北街" in line or "连续居住" in line]
    assert len(body_lines) >= 2  # the long paragraph wrapped across lines
    assert "".join(text.split()).count("辽宁省实有人口服务管理办法") == 1


def test_every_certificate_layout_renders(certificate):
    for kind in certificate_kinds():
        data = render_certificate(replace(certificate, kind=kind))
        assert data.startswith(b"%PDF")


def test_pdf_helper_draws_fallback_runs(tmp_path):
    """The reusable helper a daily report can use: one line, mixed fonts, all embedded."""
    path = tmp_path / "report.pdf"
    canvas = pdf.new_canvas(str(path), title="日报")
    width = pdf.draw_text(canvas, 72, 760, "日报：" + NAME + " 3 件", 12)
    canvas.showPage()
    canvas.save()
    assert width > 0
    assert "日报：" + NAME + " 3 件" in run("pdftotext", "-enc", "UTF-8", str(path), "-")
    assert "Helvetica" not in run("pdffonts", str(path))
