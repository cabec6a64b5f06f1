"""Hand-made checkbox marks: crosses, ticks, slashes, heavy and light marks, cancel fills.

Every mark is drawn as pen strokes in page pixels around a box ``(x, y, w, h)``; sizes and
jitters are fractions of the box so that the same mark looks the same at any dpi.
"""

from __future__ import annotations

import random

import numpy as np
import numpy.typing as npt

from bordereau.simulate.handwriting import Pen, Writer, curve, stroke
from bordereau.simulate.truth import BoxIntent, MarkStyle

PxBox = tuple[float, float, float, float]


def choose_style(intent: BoxIntent, writer: Writer, rng: random.Random) -> MarkStyle:
    """How this writer marks a box this time (mostly their habit, sometimes not)."""
    if intent == "cancel":
        return rng.choice(["fill", "scribble"])
    if intent == "half":
        return "half"
    if writer.pen.colour == "pencil":
        return "pencil"
    roll = rng.random()
    if roll < 0.1:
        return "off_centre"
    if roll < 0.14:
        return "heavy"
    if roll < 0.22:
        return rng.choice(["cross", "tick", "slash"])
    return writer.mark_style


def _pt(box: PxBox, u: float, v: float) -> tuple[float, float]:
    x, y, w, h = box
    return (x + u * w, y + v * h)


def _j(rng: random.Random, amount: float) -> float:
    return rng.uniform(-amount, amount)


def _cross(
    page: npt.NDArray[np.uint8],
    box: PxBox,
    pen: Pen,
    width: float,
    rng: random.Random,
    reach: float = 0.1,
    strength: float = 1.0,
) -> None:
    """Two strokes corner to corner; ``reach`` < 0 stops inside, > 0 overshoots."""
    a, b = -reach, 1 + reach
    for (u0, v0), (u1, v1) in (((a, a), (b, b)), ((b, a), (a, b))):
        start = _pt(box, u0 + _j(rng, 0.08), v0 + _j(rng, 0.08))
        end = _pt(box, u1 + _j(rng, 0.08), v1 + _j(rng, 0.08))
        stroke(
            page, curve(start, end, _j(rng, 0.08) * box[2], rng), width, pen, rng, strength=strength
        )


def _tick(
    page: npt.NDArray[np.uint8], box: PxBox, pen: Pen, width: float, rng: random.Random
) -> None:
    knee = (0.38 + _j(rng, 0.06), 0.82 + _j(rng, 0.06))
    start = (0.1 + _j(rng, 0.06), 0.48 + _j(rng, 0.08))
    end = (0.95 + _j(rng, 0.12), -0.15 + _j(rng, 0.12))
    down = curve(_pt(box, *start), _pt(box, *knee), _j(rng, 0.05) * box[2], rng, 6)
    up = curve(_pt(box, *knee), _pt(box, *end), _j(rng, 0.1) * box[2], rng, 10)
    stroke(page, np.vstack([down, up[1:]]), width, pen, rng)


def _slash(
    page: npt.NDArray[np.uint8], box: PxBox, pen: Pen, width: float, rng: random.Random
) -> None:
    start = _pt(box, 0.05 + _j(rng, 0.08), 0.95 + _j(rng, 0.08))
    end = _pt(box, 0.95 + _j(rng, 0.1), 0.05 + _j(rng, 0.1))
    stroke(page, curve(start, end, _j(rng, 0.08) * box[2], rng), width, pen, rng)


def _zigzag(
    page: npt.NDArray[np.uint8],
    box: PxBox,
    pen: Pen,
    width: float,
    rng: random.Random,
    cover: float,
    overflow: float,
) -> None:
    """Back-and-forth strokes filling the top ``cover`` share of the box."""
    h = box[3]
    step = max(width * 0.6, 1.0)
    rows = max(2, int(h * cover / step) + 1)
    pts = []
    for i in range(rows + 1):
        v = -overflow + (cover + overflow) * i / rows
        left, right = -overflow + _j(rng, 0.05), 1 + overflow + _j(rng, 0.05)
        pts.append(_pt(box, left if i % 2 else right, v))
    stroke(page, pts, width * 1.4, pen, rng)


def draw_mark(
    page: npt.NDArray[np.uint8],
    box: PxBox,
    style: MarkStyle,
    writer: Writer,
    rng: random.Random,
    dpi: float,
) -> None:
    """Draw one mark of ``style`` in (or around) a checkbox."""
    pen = writer.pen
    width = max(pen.stroke_mm * dpi / 25.4, 1.0)
    if style == "cross":
        _cross(page, box, pen, width, rng, reach=rng.uniform(-0.12, 0.12))
    elif style == "tick":
        _tick(page, box, pen, width, rng)
    elif style == "slash":
        _slash(page, box, pen, width, rng)
    elif style == "heavy":
        heavy = Pen(pen.colour, max(pen.ink - 10, 0), pen.stroke_mm)
        reach = rng.uniform(0.25, 0.6)
        _cross(page, box, heavy, width * 1.35, rng, reach=reach)
        if rng.random() < 0.3:  # gone over twice
            _cross(page, box, heavy, width, rng, reach=reach)
    elif style == "pencil":
        light = Pen("pencil", max(pen.ink, 100), min(pen.stroke_mm, 0.3))
        _cross(page, box, light, width, rng, reach=0.0, strength=rng.uniform(0.75, 0.95))
    elif style == "off_centre":
        x, y, w, h = box
        shifted = (x + w * _j(rng, 0.3), y + h * _j(rng, 0.3), w, h)
        _cross(page, shifted, pen, width, rng, reach=-0.05)
    elif style in {"fill", "scribble"}:
        overflow = rng.uniform(0.02, 0.15)
        _zigzag(page, box, pen, width, rng, cover=1.0, overflow=overflow)
        if style == "fill":  # gone over until solid
            _zigzag(page, box, pen, width * 1.2, rng, cover=1.0, overflow=overflow / 2)
        else:
            x, y, w, h = box
            rotated = (x + w * 0.02, y + h * 0.02, w * 0.96, h * 0.96)
            _zigzag(page, rotated, pen, width, rng, cover=1.0, overflow=0.0)
    elif style == "half":
        _zigzag(page, box, pen, width, rng, cover=rng.uniform(0.35, 0.55), overflow=0.0)
    else:
        raise ValueError(f"unknown mark style {style!r}")
