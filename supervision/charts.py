"""Bar charts as inline SVG: the same markup shows on the page and prints in the PDF (WeasyPrint draws SVG)."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

ROW, LABEL, BAR, VALUE = 22, 230, 300, 70
LABEL_CHARS = 17  # CJK glyphs of 12 px that fit in LABEL


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…"


def bar_chart(rows: list[tuple[str, float]], *, maximum: float | None = None, suffix: str = "",
              title: str = "") -> SafeString:
    """Horizontal bars, one per (label, value); an empty list draws nothing."""
    if not rows:
        return mark_safe("")
    top = maximum or max(value for _, value in rows) or 1
    height = ROW * len(rows) + 6
    width = LABEL + BAR + VALUE
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="bars" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="Noto Sans CJK SC, sans-serif" font-size="12">'
             f'<title>{escape(title)}</title>']
    for number, (label, value) in enumerate(rows):
        y = 3 + number * ROW
        length = max(0.0, min(1.0, value / top)) * BAR
        shown = f"{value:g}{suffix}"
        parts.append(f'<text x="{LABEL - 6}" y="{y + 15}" text-anchor="end">{escape(_short(label))}</text>'
                     f'<rect x="{LABEL}" y="{y + 3}" width="{length:.1f}" height="{ROW - 8}" fill="#1f5fa8"/>'
                     f'<text x="{LABEL + length + 4:.1f}" y="{y + 15}">{escape(shown)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))
