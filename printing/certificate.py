"""Certificate -> A4 PDF bytes (reportlab), from a layout in templates/certificates/<kind>.toml.

Song/Ming face embedded and subset, per-glyph fallback for rare characters,
CJK line breaking, deterministic bytes, and the signed verification QR.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import tomllib
from importlib import resources

from printing import pdf
from printing.documents import Certificate


class CertificateLayoutError(ValueError):
    """A certificate layout is unknown or malformed (a template bug)."""


@functools.cache
def load_certificate_layout(name: str) -> dict:
    item = resources.files("templates").joinpath("certificates", f"{name}.toml")
    if not name.replace("_", "").isalnum() or not item.is_file():
        raise CertificateLayoutError(f"no certificate layout for {name!r}")
    return tomllib.loads(item.read_text(encoding="utf-8"))


def certificate_kinds() -> list[str]:
    folder = resources.files("templates").joinpath("certificates")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def _fmt(template: str, values: dict) -> str:
    try:
        return template.format_map(values)
    except (KeyError, IndexError, ValueError) as exc:
        raise CertificateLayoutError(f"certificate template {template!r} refers to an unknown field ({exc})") from None


def render_certificate(cert: Certificate, layout: str | None = None) -> bytes:
    """The certificate as PDF bytes; the same certificate always gives the same bytes."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer, Table

    spec = load_certificate_layout(layout or cert.kind)
    values = {k: ("" if v is None else v) for k, v in dataclasses.asdict(cert).items()}
    title_style = pdf.paragraph_style("title", 26, alignment=TA_CENTER, spaceAfter=4 * mm)
    right_style = pdf.paragraph_style("right", 11, alignment=TA_RIGHT)
    label_style = pdf.paragraph_style("label", 12)
    body_style = pdf.paragraph_style("body", 14, leading=26, firstLineIndent=28)
    small_style = pdf.paragraph_style("small", 9, leading=13, textColor=colors.HexColor("#333333"))
    center_small = pdf.paragraph_style("center_small", 9, alignment=TA_CENTER)
    copy_style = pdf.paragraph_style("copy", 14, alignment=TA_RIGHT, textColor=colors.HexColor("#B00000"))

    title = cert.title or spec["title"]
    story = []
    if cert.copy_number > 0:
        story.append(pdf.paragraph(_fmt(spec.get("copy_mark", "副本 COPY {copy_number}"), values), copy_style))
    story += [Spacer(1, 12 * mm), pdf.paragraph(title, title_style),
              pdf.paragraph(spec.get("number_label", "No. ") + cert.number, right_style), Spacer(1, 6 * mm)]

    rows = []
    for label, template in spec.get("subject_rows", []):
        value = _fmt(template, values)
        if value:
            rows.append([pdf.paragraph(label, label_style), pdf.paragraph(value, label_style)])
    if rows:
        table = Table(rows, colWidths=[38 * mm, 120 * mm])
        table.setStyle(pdf.table_style([
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
        ]))
        story += [table, Spacer(1, 8 * mm)]

    body = list(cert.body) or [_fmt(p, values) for p in spec.get("default_body", [])]
    story += [pdf.paragraph(p, body_style) for p in body]
    if cert.valid_until and spec.get("validity"):
        story.append(pdf.paragraph(_fmt(spec["validity"], values), body_style))
    story.append(Spacer(1, 14 * mm))

    issuer_lines = [pdf.paragraph(_fmt(spec.get("issuer", "{office}"), values), right_style),
                    pdf.paragraph(spec.get("seal_note", ""), right_style),
                    pdf.paragraph(spec.get("date_label", "") + cert.issue_date, right_style)]
    qr_cell = []
    if cert.verification:
        qr_cell = [pdf.qr_flowable(cert.verification, 38 * mm), pdf.paragraph(spec.get("qr_caption", ""), center_small)]
    bottom = Table([[qr_cell, issuer_lines]], colWidths=[48 * mm, 110 * mm])
    bottom.setStyle(pdf.table_style([("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))
    story += [bottom, Spacer(1, 8 * mm)]
    if spec.get("footer"):
        story.append(pdf.paragraph(_fmt(spec["footer"], values), small_style))

    buf = io.BytesIO()
    doc = pdf.doc_template(buf, title=f"{title} {cert.number}", author=cert.office,
                           leftMargin=25 * mm, rightMargin=25 * mm, topMargin=20 * mm, bottomMargin=20 * mm)
    doc.build(story)
    return buf.getvalue()
