"""Machine print in comb cells: the typed values of a fillable PDF, printed then scanned.

A value typed into the fillable twin (``forms.fillable``) prints as one Helvetica-Bold
12 pt character centred in each cell, at a place the generator computes
(``forms.fillable.glyph_origin``). The recognisers were trained on handwriting and stay
just under the thresholds that protect handwriting (0.99 per identity cell) on such
print. This module recognises the print as print: each character the generator can type
is drawn, by the generator's own placement, in the faces a reader prints Helvetica-Bold
with (PDFium's built-in substitute, and the substitutes poppler and others take from the
system: DejaVu Sans Bold, Liberation Sans Bold), rendered by PDFium at 600 dpi once, by
``scripts/print_glyphs.py`` (the reading processes hold no PDF drawing code), and scaled
to the page's resolution here. A cell is machine print when

- one template matches it closely (normalised correlation ≥ ``MATCH_MIN``) at the place
  the generator prints it (within ``SHIFT_MM``), at the size it prints it (no scaling:
  the page is already aligned to its layout);
- no ink in the cell lies outside the matched glyph (a pen stroke, a correction);

and it is sure of its character when that character also beats every other character the
cell may hold by ``MARGIN``.

Handwriting fails at least one of these: its size, place, slant and stroke vary. The
comb reader (``ocr.combs``) asks only about cells its recognisers left under the field's
threshold, and raises a cell to ``PRINTED_CONFIDENCE`` only when the print matches **and**
agrees with the character read: the thresholds themselves never change.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from bordereau.forms.manifest import Box
from bordereau.ocr.aligned import AlignedPage, mark_area_mm2

SOURCE = "imprimé"  # a cell's source once its print confirmed it
PRINTED_CONFIDENCE = 0.995  # a cell read by a recogniser and confirmed as print
MATCH_MIN = 0.95  # correlation of the cell with the character's template
MARGIN = 0.04  # ... ahead of every other character the cell may hold
SHIFT_MM = 0.6  # how far from its printed place a glyph is looked for
STRAY_MM2 = 0.5  # ink outside the matched glyph (grown by GROW_MM) that is not print
GROW_MM = 0.35
INSET_MM = 0.35  # the cell's printed outline left out
INK_LEVEL = 0.72  # AlignedPage.ink's level: a pixel darker than this share of the paper
BLUR_MM = 0.08  # both the scan and the templates, so rasterisation does not matter
TYPED_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-'"  # what a comb cell can be typed
TEMPLATE_FILE = Path(__file__).parent / "models" / "print-glyphs.npz"  # scripts/print_glyphs.py
TEMPLATE_DPI = 600  # the templates are drawn at this resolution, scaled to the page's


@dataclass(frozen=True)
class Template:
    """One character of one face, as it prints in a cell at one resolution."""

    char: str
    face: str
    image: np.ndarray  # float32 darkness (0 paper, 1 ink), blurred
    mask: np.ndarray  # uint8 255 where the glyph's ink is (grown by GROW_MM)
    dx: float  # top-left corner of ``image`` from the cell's centre, in pixels
    dy: float
    area: int  # pixels an ink test counts in the glyph


@dataclass(frozen=True)
class PrintMatch:
    """The best printed character in a cell, and how sure the match is."""

    char: str
    score: float  # correlation with its template
    runner_up: float  # best correlation of any other character the cell may hold
    stray_mm2: float  # ink outside the matched glyph
    ink_ratio: float  # the cell's ink over the glyph's: stroke width and size

    @property
    def is_print(self) -> bool:
        """The cell holds machine print (of this character, or of a close one)."""
        return self.score >= MATCH_MIN and self.stray_mm2 < STRAY_MM2

    @property
    def sure(self) -> bool:
        """Machine print of this very character, clearly ahead of any other."""
        return self.is_print and self.score - self.runner_up >= MARGIN


@cache
def _drawn() -> list[tuple[str, str, np.ndarray, tuple[float, float]]]:
    """(character, face, darkness 0-255 at TEMPLATE_DPI, top-left from the cell centre
    in mm) of every glyph drawn by ``scripts/print_glyphs.py``."""
    with np.load(TEMPLATE_FILE) as data:
        pixels, shapes, offsets = data["pixels"], data["shapes"], data["offsets_mm"]
        chars, faces = data["chars"], data["faces"]
    found, start = [], 0
    for n, (h, w) in enumerate(shapes):
        glyph = pixels[start:start + h * w].reshape(h, w)
        start += h * w
        found.append((str(chars[n]), str(faces[n]), glyph, (float(offsets[n][0]),
                                                            float(offsets[n][1]))))
    return found


def _blur(darkness: np.ndarray, px_per_mm: float) -> np.ndarray:
    blurred: np.ndarray = cv2.GaussianBlur(darkness, (0, 0), max(0.5, BLUR_MM * px_per_mm))
    return blurred


@cache
def templates(px_per_mm: float) -> tuple[Template, ...]:
    """Every typable character in every face, as printed in a comb cell at ``px_per_mm``
    (cached: a page's resolution is one of a few)."""
    k = px_per_mm
    scale = k / (TEMPLATE_DPI / 25.4)
    margin = round(GROW_MM * k) + 1
    grow = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin - 1, 2 * margin - 1))
    found = []
    for char, face, drawn, (ox, oy) in _drawn():
        size = (max(1, round(drawn.shape[1] * scale)), max(1, round(drawn.shape[0] * scale)))
        small = cv2.resize(drawn.astype(np.float32) / 255.0, size,
                           interpolation=cv2.INTER_AREA)
        glyph = cv2.copyMakeBorder(small, margin, margin, margin, margin,
                                   cv2.BORDER_CONSTANT, value=0.0)
        mask = cv2.dilate((glyph > 0.3).astype(np.uint8) * 255, grow)
        found.append(Template(char, face, _blur(glyph, k), mask, ox * k - margin,
                              oy * k - margin, int((glyph > 1 - INK_LEVEL).sum())))
    return tuple(found)


def match_cell(page: AlignedPage, box: Box, allowed: str) -> PrintMatch | None:
    """The printed character among ``allowed`` that best explains the cell's ink, or
    None when the cell has no template of that kind."""
    k = page.px_per_mm
    x, y, w, h = box
    chosen = [t for t in templates(round(k, 3)) if t.char in allowed]
    if not chosen:
        return None
    x0, y0, x1, y1 = page.px(box, INSET_MM)
    region = page.image[y0:y1, x0:x1].astype(np.float32)
    paper = max(page.paper, 1.0)
    darkness = np.clip((paper - region) / paper, 0.0, 1.0)
    shift = max(1, round(SHIFT_MM * k))
    pad = max(t.image.shape[0] for t in chosen) + shift
    padded = cv2.copyMakeBorder(darkness, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0.0)
    smooth = _blur(padded, k)
    ink = cv2.copyMakeBorder(page.ink(page.image[y0:y1, x0:x1]).astype(np.uint8), pad, pad,
                             pad, pad, cv2.BORDER_CONSTANT, value=0)
    cx, cy = (x + w / 2) * k - x0 + pad, (y + h / 2) * k - y0 + pad
    best: dict[str, tuple[float, Template, tuple[int, int]]] = {}
    for template in chosen:
        th, tw = template.image.shape
        ex, ey = round(cx + template.dx), round(cy + template.dy)
        window = smooth[max(0, ey - shift):ey + th + shift, max(0, ex - shift):ex + tw + shift]
        if window.shape[0] < th or window.shape[1] < tw or not window.any():
            continue
        scores = cv2.matchTemplate(window, template.image, cv2.TM_CCOEFF_NORMED)
        _, score, _, (mx, my) = cv2.minMaxLoc(scores)
        at = (max(0, ex - shift) + mx, max(0, ey - shift) + my)
        if template.char not in best or score > best[template.char][0]:
            best[template.char] = (float(score), template, at)
    if not best:
        return None
    ranked = sorted(best.items(), key=lambda kv: -kv[1][0])
    char, (score, template, (ax, ay)) = ranked[0]
    runner_up = ranked[1][1][0] if len(ranked) > 1 else 0.0
    th, tw = template.image.shape
    stray = ink.copy()
    stray[ay:ay + th, ax:ax + tw][template.mask > 0] = 0
    return PrintMatch(char, score, runner_up, mark_area_mm2(stray > 0, k),
                      float(ink.sum()) / max(1, template.area))
