"""Scan images in the terminal: Unicode half-blocks everywhere, real pixels where possible.

The half-block renderer draws two image pixels per character cell: the upper one as the
foreground colour of ``▀`` and the lower one as its background, so any terminal with
colours (a plain one over SSH included) shows the scan. A wide crop is cut into strips
stacked under each other (cut where there is no ink) rather than shrunk until it is
unreadable. Terminals with a graphics protocol (Kitty, Sixel) can show real pixels through
the optional ``textual-image`` package; :func:`graphics_protocol` says which one to use.
It must be called before the Textual application starts (it queries the terminal).
"""

from __future__ import annotations

import itertools
import math
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style

Protocol = Literal["sixel", "tgp", "halfblocks"]
ENV = "BORDEREAU_IMAGES"  # auto | sixel | kitty | blocs
PX_PER_MM = 4.0  # whole pages are stored upright at 4 px/mm
MARGIN_MM = 2.0  # field crops keep this much of the page around the field
GAMMA = 1.7  # darkens the grey of thin strokes that downscaling leaves
QUANT = 8  # colour quantisation step (fewer distinct styles to draw)
Box = tuple[int, int, int, int]  # x, y, width, height in pixels


def decode(png: bytes | None) -> np.ndarray | None:
    """A PNG as an RGB array (None for no or broken data)."""
    if not png:
        return None
    data = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    if data is None:
        return None
    rgb: np.ndarray = np.ascontiguousarray(data[:, :, ::-1])
    return rgb


def _resize(image: np.ndarray, scale: float) -> np.ndarray:
    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(2, round(height * scale)))
    method = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small: np.ndarray = cv2.resize(image, size, interpolation=method)
    darker = 255.0 * (small.astype(np.float32) / 255.0) ** GAMMA
    result: np.ndarray = np.clip(darker, 0, 255).astype(np.uint8)
    return result


class HalfBlocks:
    """A Rich renderable drawing an RGB array with two pixels per cell (▀, fg over bg)."""

    def __init__(self, pixels: np.ndarray, gaps: Iterable[int] = ()) -> None:
        if pixels.shape[0] % 2:
            pad = np.full((1, *pixels.shape[1:]), 255, np.uint8)
            pixels = np.concatenate([pixels, pad])
        self.pixels = (pixels // QUANT * QUANT).astype(np.uint8)
        self.gaps = set(gaps)  # cell rows left blank (between the strips of a wide crop)
        self.width = int(pixels.shape[1])
        self.height = int(self.pixels.shape[0] // 2)
        self._styles: dict[bytes, Style] = {}

    def _style(self, top: np.ndarray, bottom: np.ndarray) -> Style:
        key = top.tobytes() + bottom.tobytes()
        style = self._styles.get(key)
        if style is None:
            style = Style(color=f"rgb({top[0]},{top[1]},{top[2]})",
                          bgcolor=f"rgb({bottom[0]},{bottom[1]},{bottom[2]})")
            self._styles[key] = style
        return style

    def lines(self) -> Iterator[list[Segment]]:
        for row in range(self.height):
            if row in self.gaps:
                yield [Segment(" " * self.width)]
                continue
            top, bottom = self.pixels[2 * row], self.pixels[2 * row + 1]
            segments: list[Segment] = []
            run, style = 0, None
            for x in range(self.width):
                cell = self._style(top[x], bottom[x])
                if cell is not style and run:
                    segments.append(Segment("▀" * run, style))
                    run = 0
                style = cell
                run += 1
            if run:
                segments.append(Segment("▀" * run, style))
            yield segments

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for segments in self.lines():
            yield from segments
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width, self.width)


@dataclass(frozen=True)
class Fit:
    """How a crop is drawn in a cell area: its scale and the strips it is cut into."""

    scale: float
    strips: int
    rows: int  # cell rows used, gaps between strips included


def fit(width: int, height: int, cols: int, rows: int, max_scale: float = 0.6,
        max_strips: int = 3) -> Fit:
    """The largest scale (at most ``max_scale``) at which the image fits the area."""
    cols, rows = max(cols, 4), max(rows, 1)
    best = Fit(0.0, 1, 1)
    for strips in range(1, max_strips + 1):
        scale = min(max_scale, strips * cols / width)
        # Each strip is ceil(h * scale / 2) rows, one blank row between strips.
        while scale > 0.01:
            used = strips * math.ceil(height * scale / 2) + strips - 1
            if used <= rows and math.ceil(width * scale / strips) <= cols:
                break
            scale *= 0.97
        used = strips * math.ceil(height * scale / 2) + strips - 1
        if scale > best.scale * 1.15:  # another strip only when clearly larger
            best = Fit(scale, strips, used)
        if scale >= max_scale:
            break
    return best


def _cuts(image: np.ndarray, strips: int) -> list[int]:
    """Columns where to cut a wide image: near equal parts, on the palest column."""
    width = image.shape[1]
    ink = 255 - image.mean(axis=(0, 2)) if image.ndim == 3 else 255 - image.mean(axis=0)
    cuts = [0]
    window = max(2, width // (strips * 6))
    for part in range(1, strips):
        ideal = width * part // strips
        lo, hi = max(cuts[-1] + 1, ideal - window), min(width - 1, ideal + window)
        cuts.append(lo + int(np.argmin(ink[lo:hi])) if hi > lo else ideal)
    cuts.append(width)
    return cuts


def blocks(image: np.ndarray, cols: int, rows: int, max_scale: float = 1.0,
           max_strips: int = 3) -> HalfBlocks:
    """An image drawn to fit ``cols`` x ``rows`` cells, cut into strips if it is wide."""
    height, width = image.shape[:2]
    plan = fit(width, height, cols, rows, max_scale, max_strips)
    if plan.strips == 1:
        return HalfBlocks(_resize(image, plan.scale))
    cuts = _cuts(image, plan.strips)
    widest = max(b - a for a, b in itertools.pairwise(cuts))
    scale = min(plan.scale, (cols - 0.5) / widest)  # cuts are not exactly even
    parts = [_resize(image[:, a:b], scale) for a, b in itertools.pairwise(cuts)]
    strip_width = max(p.shape[1] for p in parts)
    blank = np.full((2, strip_width, 3), 255, np.uint8)
    stacked: list[np.ndarray] = []
    gaps: list[int] = []
    rows = 0
    for n, part in enumerate(parts):
        if part.shape[0] % 2:
            part = np.concatenate([part, blank[:1, : part.shape[1]]])
        pad = np.full((part.shape[0], strip_width - part.shape[1], 3), 255, np.uint8)
        if n:
            stacked.append(blank)
            gaps.append(rows)
            rows += 1
        stacked.append(np.concatenate([part, pad], axis=1))
        rows += part.shape[0] // 2
    return HalfBlocks(np.concatenate(stacked), gaps)


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of True."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(np.int8), [0]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _bands(image: np.ndarray) -> list[tuple[int, int]]:
    """Rows of handwriting in a text box: (top, bottom) of each band of ink, printed
    border lines ignored."""
    grey = image.mean(axis=2) if image.ndim == 3 else image.astype(float)
    mask = grey < 150
    share = mask.mean(axis=1)
    across = share > 0.5
    thin = max(3, image.shape[0] // 100)
    for start, stop in _runs(across):
        if stop - start <= thin:
            share[start:stop] = 0.0  # a printed line across the box, not writing
    inked = share > max(0.01, 0.12 * float(share.max(initial=0.0)))  # the body of a line
    bands: list[tuple[int, int]] = []
    gap = max(2, image.shape[0] // 60)
    for y in np.flatnonzero(inked):
        if bands and y - bands[-1][1] <= gap:
            bands[-1] = (bands[-1][0], int(y))
        else:
            bands.append((int(y), int(y)))
    return [(max(0, a - max(3, (b - a) // 3)), min(image.shape[0], b + max(3, (b - a) // 3) + 1))
            for a, b in bands if b - a >= max(3, image.shape[0] // 40)]  # room for ascenders


def text_blocks(image: np.ndarray, cols: int, scale: float) -> HalfBlocks:
    """Handwritten text drawn line by line at ``scale``: each written line cut, where it is
    too wide, into strips read in order (line 1 part 1, line 1 part 2, line 2…), so a
    comment is legible at any terminal width; the whole is as tall as it needs (scroll)."""
    bands = _bands(image) or [(0, image.shape[0])]
    parts: list[np.ndarray] = []
    for top, bottom in bands:
        line = image[top:bottom]
        ink = (line.mean(axis=2) if line.ndim == 3 else line) < 150
        columns = np.flatnonzero(ink.any(axis=0))
        if columns.size:
            line = line[:, max(0, columns[0] - 4):columns[-1] + 5]
        pieces = max(1, math.ceil(line.shape[1] * scale / max(cols - 1, 4)))
        cuts = _cuts(line, pieces)
        for a, b in itertools.pairwise(cuts):
            part = _resize(line[:, a:b], min(scale, (cols - 0.5) / max(1, b - a)))
            if part.ndim == 2:
                part = np.stack([part] * 3, axis=2)
            if part.shape[0] % 2:
                part = np.concatenate([part, np.full((1, *part.shape[1:]), 255, np.uint8)])
            parts.append(part)
    width = max(p.shape[1] for p in parts)
    blank = np.full((2, width, 3), 255, np.uint8)
    stacked: list[np.ndarray] = []
    gaps: list[int] = []
    rows = 0
    for n, part in enumerate(parts):
        pad = np.full((part.shape[0], width - part.shape[1], 3), 255, np.uint8)
        if n:
            stacked.append(blank)
            gaps.append(rows)
            rows += 1
        stacked.append(np.concatenate([part, pad], axis=1))
        rows += part.shape[0] // 2
    return HalfBlocks(np.concatenate(stacked), gaps)


def thumbnail(image: np.ndarray, cols: int, rows: int) -> HalfBlocks:
    """An image shrunk (or enlarged) to exactly ``cols`` x ``rows`` cells, centred."""
    height, width = image.shape[:2]
    scale = min(cols / width, 2 * rows / height)
    small = _resize(image, scale)[: 2 * rows, :cols]
    canvas = np.full((2 * rows, cols, 3), 255, np.uint8)
    top, left = (2 * rows - small.shape[0]) // 2, (cols - small.shape[1]) // 2
    canvas[top:top + small.shape[0], left:left + small.shape[1]] = small
    return HalfBlocks(canvas)


def px_per_mm(image: np.ndarray, bounds_mm: tuple[float, float, float, float]) -> float:
    """The resolution of a field crop (crops keep a margin of MARGIN_MM around the field)."""
    return float(image.shape[1]) / (bounds_mm[2] + 2 * MARGIN_MM)


def region(image: np.ndarray, bounds_mm: tuple[float, float, float, float],
           box_mm: tuple[float, float, float, float], margin_mm: float = 0.8) -> np.ndarray:
    """The part of a field crop showing ``box_mm`` (page millimetres), e.g. one checkbox."""
    k = px_per_mm(image, bounds_mm)
    ox, oy = bounds_mm[0] - MARGIN_MM, bounds_mm[1] - MARGIN_MM
    x, y, w, h = box_mm
    x0, y0 = max(0, round((x - margin_mm - ox) * k)), max(0, round((y - margin_mm - oy) * k))
    x1 = min(image.shape[1], round((x + w + margin_mm - ox) * k))
    y1 = min(image.shape[0], round((y + h + margin_mm - oy) * k))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return np.full((4, 4, 3), 255, np.uint8)
    return image[y0:y1, x0:x1]


def page_blocks(png: bytes | None, box_mm: tuple[float, float, float, float], cols: int,
                zoom: float = 1.0) -> tuple[HalfBlocks, Box] | None:
    """The whole page at ``cols`` cells wide (times ``zoom``), the field's box drawn in red.

    Also returns the box in cells (x, y, width, height) to scroll it into view.
    """
    image = decode(png)
    if image is None:
        return None
    scale = max(cols, 8) * zoom / image.shape[1]
    small = _resize(image, scale).copy()
    k = PX_PER_MM * scale
    x, y, w, h = box_mm
    x0, y0 = max(0, round(x * k) - 1), max(0, round(y * k) - 1)
    x1 = min(small.shape[1] - 1, round((x + w) * k) + 1)
    y1 = min(small.shape[0] - 1, round((y + h) * k) + 1)
    red = np.array([220, 30, 30], np.uint8)
    small[y0, x0:x1 + 1] = red
    small[y1, x0:x1 + 1] = red
    small[y0:y1 + 1, x0] = red
    small[y0:y1 + 1, x1] = red
    return HalfBlocks(small), (x0, y0 // 2, x1 - x0 + 1, (y1 - y0) // 2 + 1)


def graphics_protocol() -> Protocol:
    """Which way to draw images in this terminal (queries it: call before Textual starts).

    ``BORDEREAU_IMAGES`` forces a choice: ``blocs`` (half-blocks), ``sixel``, ``kitty``;
    ``auto`` (the default) asks the terminal through ``textual-image`` when it is installed.
    """
    wanted = os.environ.get(ENV, "auto").strip().lower()
    if wanted in {"blocs", "blocks", "halfblocks", "non", "no"}:
        return "halfblocks"
    if not (sys.__stdout__ and sys.__stdout__.isatty() and sys.__stdin__
            and sys.__stdin__.isatty()):
        return "halfblocks"
    if os.environ.get("TMUX") and wanted == "auto":
        return "halfblocks"  # tmux passes neither protocol through reliably
    try:
        # Importing textual-image queries the terminal once (protocols, cell size).
        from textual_image import renderable
        from textual_image._terminal import get_cell_size
        from textual_image.renderable.sixel import Image as SixelImage
        from textual_image.renderable.tgp import Image as TGPImage
    except ImportError:
        return "halfblocks"
    get_cell_size()
    if wanted == "sixel":
        return "sixel"
    if wanted in {"kitty", "tgp"}:
        return "tgp"
    if renderable.Image is SixelImage:
        return "sixel"
    if renderable.Image is TGPImage:
        return "tgp"
    return "halfblocks"
