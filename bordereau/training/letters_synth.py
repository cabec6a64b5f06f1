"""Synthetic comb-cell scans of hand-printed capitals, for the letter recogniser.

Used by ``scripts/train_letters.py``, ``benchmarks/bench_letters.py`` and the tests, never
at run time. No package ships handwritten capitals, so the letters are handwriting *fonts*
(``bordereau.heldout`` decides which ones may be used for what) made to look written by
strong augmentation: stroke width set to a random pen width, slant, rotation, elastic
distortion, size and position in the cell (an apostrophe high up, a hyphen at mid-height:
each glyph keeps its cap line and baseline). The cell is then scanned by
``digits_synth.scan`` (border slivers, misaligned crop, blur, uneven light, noise, JPEG).
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from bordereau.forms.widgets import CELL_H, CELL_W
from bordereau.simulate.handwriting import Glyph, font_glyph
from bordereau.training import digits_synth as synth

FloatArray = npt.NDArray[np.float32]
Rng = np.random.Generator

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CHARS = LETTERS + "-'"
DIGIT_CLASS = "23456789"  # 0 and 1 are left out: O/0 and I/1 share one hand-printed shape
REJECT_SYMBOLS = "#+*%&@=/"
# no "dash" (the hyphen class), no cross (an X) and no bare hatching (an E): hatching is
# always over a letter; overwritten letters and symbols are drawn by ``reject_canvas``
REJECT_KINDS = {"empty": 0.2, "speck": 0.25, "hatch": 0.25, "filled": 0.3}


def char_glyph(path: Path, char: str) -> Glyph | None:
    """``char`` set in a font, with its cap line and baseline (None when the font lacks it)."""
    return font_glyph(path, char)


def _stroke_px(ink: FloatArray) -> float:
    """A stroke width estimate: twice the ink area over the length of its outline."""
    mask = (ink > 0.5).astype(np.uint8)
    area = float(mask.sum())
    if area == 0:
        return 0.0
    edge = float((mask - cv2.erode(mask, np.ones((3, 3), np.uint8))).sum())
    return 2.0 * area / max(edge, 1.0)


def set_stroke(canvas: FloatArray, target_px: float) -> FloatArray:
    """Thicken or thin the strokes towards ``target_px`` pixels (a random pen width)."""
    current = _stroke_px(canvas)
    if current <= 0:
        return canvas
    return synth.change_stroke(canvas, round((target_px - current) / 2))


def elastic(canvas: FloatArray, rng: Rng, amount_px: float, smooth_px: float) -> FloatArray:
    """A smooth random displacement field (the wobble of a hand, not of a font)."""
    if amount_px <= 0:
        return canvas
    h, w = canvas.shape
    fields = []
    for _ in range(2):
        noise = rng.standard_normal((h, w)).astype(np.float32)
        field = cv2.GaussianBlur(noise, (0, 0), smooth_px)
        fields.append(field / (float(field.std()) + 1e-6) * amount_px)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    out = cv2.remap(canvas, xs + fields[0], ys + fields[1], cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
    return np.asarray(out, np.float32)


def place_char(glyph: Glyph, rng: Rng, cap_mm: tuple[float, float] = (2.8, 5.9)) -> FloatArray:
    """Write a font glyph into a cell canvas as a person would print it in the cell."""
    res = synth.RES
    ink = glyph.ink
    gh, gw = ink.shape
    cap = rng.uniform(*cap_mm) * res
    scale = cap / max(glyph.base_row - glyph.cap_row, 1.0)
    scale = min(scale, rng.uniform(0.7, 0.98) * CELL_W * res / gw)  # a wide M still fits
    scale = min(scale, 0.98 * CELL_H * res / gh)
    angle = math.radians(rng.normal(0.0, 4.0))
    shear = rng.normal(0.04, 0.13)  # slant, mostly to the right
    linear = (
        np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
        @ np.array([[rng.uniform(0.75, 1.25), -shear], [0.0, 1.0]])
        * scale
    )
    cap_px = (glyph.base_row - glyph.cap_row) * scale
    room = max(0.0, (CELL_W * res - gw * scale) / 2)
    cx = synth.CANVAS_W / 2 + rng.uniform(-1, 1) * min(room + 0.1 * res, 0.9 * res)
    base = synth.CANVAS_H / 2 + cap_px / 2 + rng.normal(0.0, 0.35) * res
    base = min(base, synth.CANVAS_H / 2 + CELL_H * res / 2 - 0.1 * res)
    shift = np.array([cx, base]) - linear @ np.array([(gw - 1) / 2, glyph.base_row])
    matrix = np.hstack([linear, shift[:, None]])
    if scale < 1:
        ink = np.asarray(cv2.GaussianBlur(ink, (0, 0), 0.5 / scale), np.float32)
    canvas = cv2.warpAffine(ink, matrix, (synth.CANVAS_W, synth.CANVAS_H), flags=cv2.INTER_LINEAR)
    canvas = np.clip((canvas - 0.3) / 0.35, 0.0, 1.0).astype(np.float32)  # pen edges
    canvas = set_stroke(canvas, rng.uniform(0.2, 0.65) * res)
    canvas = elastic(canvas, rng, rng.uniform(0.0, 0.4) * res, rng.uniform(0.5, 1.0) * res)
    return np.clip(canvas, 0.0, 1.0)


def digit_canvas(rng: Rng, digits: list[Glyph], digit_inks: list[FloatArray]) -> FloatArray:
    """A cell holding a digit 2-9: from a font with its metrics, or an ink map (MNIST)."""
    if digit_inks and (not digits or rng.random() < 0.5):
        return synth.place_glyph(digit_inks[int(rng.integers(len(digit_inks)))], rng)
    return place_char(digits[int(rng.integers(len(digits)))], rng)


def reject_canvas(rng: Rng, letters: list[Glyph], symbols: list[Glyph]) -> FloatArray:
    """A cell holding something that is not one character: two letters written over each
    other, a symbol, nothing, specks, hatching over a letter, a filled patch."""
    roll = rng.random()
    if roll < 0.25 and letters:
        first, second = (letters[int(rng.integers(len(letters)))] for _ in range(2))
        return np.maximum(place_char(first, rng), place_char(second, rng))
    if roll < 0.4 and symbols:
        return place_char(symbols[int(rng.integers(len(symbols)))], rng)
    inks = [synth.crop_ink(g.ink) for g in letters[:: max(1, len(letters) // 60)]]
    return synth.reject_canvas(rng, inks, [], kinds=REJECT_KINDS, covered=1.0)
