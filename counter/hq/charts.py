"""SVG charts for the dashboard, drawn here (no script, no CDN): horizontal bars and a tile map of
China's provincial-level divisions. They draw only published figures; a suppressed one reads "*"."""

from __future__ import annotations

from html import escape

from counter.domain.language import is_chinese
from counter.domain.stats import PROVINCES

# Tile-grid positions (column, row): each province one square, placed roughly where it lies.
TILES: dict[str, tuple[int, int]] = {
    "23": (9, 0), "22": (9, 1), "21": (8, 1), "12": (7, 1), "11": (6, 1), "15": (5, 1),
    "65": (1, 2), "62": (2, 2), "64": (3, 2), "14": (5, 2), "13": (6, 2), "37": (7, 2),
    "54": (1, 3), "63": (2, 3), "61": (4, 3), "41": (5, 3), "34": (6, 3), "32": (7, 3), "31": (8, 3),
    "51": (3, 4), "50": (4, 4), "42": (5, 4), "36": (6, 4), "33": (7, 4),
    "53": (3, 5), "52": (4, 5), "43": (5, 5), "35": (7, 5), "71": (8, 5),
    "45": (5, 6), "44": (6, 6), "81": (7, 6), "46": (5, 7), "82": (6, 7),
}


def bars(title: str, items: list[tuple[str, int | None]], *, label_width: int = 150, width: int = 560) -> str:
    row = 24
    height = 34 + row * max(1, len(items))
    peak = max([n for _, n in items if n is not None] or [1]) or 1
    span = width - label_width - 70
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}"'
           f' width="{width}" height="{height}" aria-label="{escape(title)}">',
           f'<text x="0" y="16" class="chart-title">{escape(title)}</text>']
    for i, (label, n) in enumerate(items):
        y = 30 + i * row
        out.append(f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" class="bar-label">{escape(label)}</text>')
        if n is None:
            out.append(f'<rect x="{label_width}" y="{y + 3}" width="{span}" height="{row - 8}" class="bar-hidden"/>')
            out.append(f'<text x="{label_width + 6}" y="{y + 15}" class="bar-value">*</text>')
        else:
            w = round(span * n / peak, 1)
            out.append(f'<rect x="{label_width}" y="{y + 3}" width="{w}" height="{row - 8}" class="bar"/>')
            out.append(f'<text x="{label_width + w + 6}" y="{y + 15}" class="bar-value">{n}</text>')
    out.append("</svg>")
    return "".join(out)


def _tile_name(name: str, x: float, y: float, size: int, zh: bool) -> str:
    """A province's name inside its tile, whole: English names of two words on two lines, a long single word
    (Heilongjiang) fitted to the tile's width with textLength, instead of being cut."""
    if zh:
        return f'<text x="{x}" y="{y + 21}" text-anchor="middle" class="tile-name">{escape(name)}</text>'
    inner = size - 6
    lines = name.split(" ", 1) if " " in name else [name]
    out = []
    for i, line in enumerate(lines):
        top = y + (16 if len(lines) == 2 else 21) + 11 * i
        fit = f' textLength="{inner}" lengthAdjust="spacingAndGlyphs"' if len(line) * 6 > inner else ""
        out.append(f'<text x="{x}" y="{top}" text-anchor="middle" class="tile-name"{fit}>{escape(line)}</text>')
    return "".join(out)


def province_map(title: str, counts: dict[str, int | None], lang: str) -> str:
    """A tile map: one square per province, shaded by its published count; * where suppressed."""
    size, gap = 60, 4
    zh = is_chinese(lang)
    width, height = 10 * (size + gap) + 10, 8 * (size + gap) + 40
    peak = max([n for n in counts.values() if n] or [1])
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart map" role="img" viewBox="0 0 {width} {height}"'
           f' width="{width}" height="{height}" aria-label="{escape(title)}">',
           f'<text x="0" y="16" class="chart-title">{escape(title)}</text>']
    for code, (col, row) in TILES.items():
        x, y = col * (size + gap), 28 + row * (size + gap)
        n = counts.get(code, 0)
        level = 0
        if n is None:
            shade, text = "tile-hidden", "*"
        else:
            level = 0 if not n else 1 + min(4, int(5 * n / (peak + 1)))
            shade, text = f"tile tile-{level}", str(n)
        name = PROVINCES[code][0 if zh else 1]
        out.append(f'<g class="province{" on-dark" if level >= 4 else ""}" data-code="{code}">'
                   f'<title>{escape(name)}: {text}</title>'
                   f'<rect x="{x}" y="{y}" width="{size}" height="{size}" rx="4" class="{shade}"/>'
                   f'{_tile_name(name, x + size / 2, y, size, zh)}'
                   f'<text x="{x + size / 2}" y="{y + 46}" text-anchor="middle" class="tile-value">{text}</text></g>')
    out.append("</svg>")
    return "".join(out)
