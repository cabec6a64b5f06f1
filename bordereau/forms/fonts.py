"""The fonts every form is set in, and text measuring and wrapping in millimetres.

Bitstream Vera ships inside reportlab, so layouts measure the same on every machine and
every printed PDF embeds the same glyphs (French letters, œ, typographic apostrophes).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import reportlab
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

PT_PER_MM = 72.0 / 25.4

FONT_FILES = {
    "regular": ("BordereauSans", "Vera.ttf"),
    "bold": ("BordereauSans-Bold", "VeraBd.ttf"),
    "italic": ("BordereauSans-Italic", "VeraIt.ttf"),
}


@cache
def register_fonts() -> None:
    """Register the three faces with reportlab (once per process)."""
    folder = Path(reportlab.__file__).parent / "fonts"
    for name, filename in FONT_FILES.values():
        pdfmetrics.registerFont(TTFont(name, str(folder / filename)))


def font_name(style: str) -> str:
    """The registered reportlab name of a style ("regular", "bold", "italic")."""
    register_fonts()
    return FONT_FILES[style][0]


def text_width(text: str, size_pt: float, style: str = "regular") -> float:
    """Width of ``text`` in millimetres."""
    return float(pdfmetrics.stringWidth(text, font_name(style), size_pt)) / PT_PER_MM


def wrap(text: str, width_mm: float, size_pt: float, style: str = "regular") -> list[str]:
    """Split ``text`` into lines no wider than ``width_mm``."""
    lines: list[str] = simpleSplit(text, font_name(style), size_pt, width_mm * PT_PER_MM)
    return lines or [""]


def line_height(size_pt: float) -> float:
    """Leading, in millimetres, for a font size in points."""
    return size_pt * 1.2 / PT_PER_MM
