"""Recognise the blank backs of duplex scans.

A blank back is rarely white: paper is grey or yellowed, the scanner adds noise, dust and
JPEG artefacts, the printed front shows through thin paper, and the scanner lid draws dark
bands along the edges. :func:`is_blank` looks for *ink*: marks much darker than the paper
around them, big enough to be a pen stroke, away from the edges of the scan.
"""

from __future__ import annotations

import cv2
import numpy as np

from bordereau.ocr.types import PageImage

WORK_DPI = 100  # pages are reduced to about this before measuring (darkest pixel kept)
PAPER_DPI = 25  # the paper level is estimated on a copy averaged down to about this
INK_CONTRAST = 70  # grey levels under the local paper: ink, never show-through
PAPER_WINDOW_MM = 15.0  # marks narrower than this are measured against the paper around
SMOOTH_MM = 0.1  # Gaussian sigma taming scanner noise before anything else
EDGE_MM = 1.5  # marks touching this frame along the scan edges are scanner borders
DUST_MM, DUST_MM2 = 1.5, 1.0  # smaller across and in area: a dust speck
MAX_BLANK_INK_MM2 = 5.0  # a page with less ink than this is blank
MIN_PAPER_SHARE = 0.5  # a page where paper shows on less than this is not blank
STAPLE_CORNER_MM = 40.0  # staples sit this close to a corner (centre, along both edges)
STAPLE_WIDTH_MM, STAPLE_LENGTH_MM = 2.0, 16.0  # a thin straight mark at most this big


def is_blank(page: PageImage) -> tuple[bool, float]:
    """Whether ``page`` is a blank back, and the measure it was judged on.

    The measure is the *ink area* in mm². Scanner noise is first smoothed (Gaussian, sigma
    0.1 mm), then the page is reduced to about 100 dpi keeping the darkest pixel of each
    block, so that a thin stroke survives (a bilevel page is averaged down instead, which
    drops its lone noise pixels). The paper level around
    every point is a grey closing 15 mm wide of a copy averaged down to 25 dpi: it follows
    grey or yellowed paper and lighting gradients, and leaves out every mark narrower than
    15 mm. A pixel is ink when it is at least 70 grey levels under that paper level: black
    print, ballpoint and pencil are, show-through of the front side (10 to 50 levels, even
    the front's 12 mm markers seen through the paper) is not. Connected marks are then
    dropped when they touch a 1.5 mm frame along the scan edges (the dark bands and
    corners a scanner lid leaves), when they are dust (under 1.5 mm across and 1 mm²), or
    when they look like a punched hole (a round blob 4.5-8.5 mm wide near an edge) or a
staple (a thin straight mark, at most 2 x 16 mm, within 40 mm of a corner). The
    remaining marks add up to the ink area; the page is blank under 5 mm², about a 10 mm
    pen stroke: a few handwritten words make 10 mm² or more, one of our forms thousands.

    A page where paper shows on less than half the area (a black or very dark scan) is
    never blank; its measure is then its dark area in mm².
    """
    grey, dpi = _reduce(np.asarray(page.pixels, dtype=np.uint8), page.dpi, page.bilevel)
    mm2_per_px = (25.4 / dpi) ** 2
    paper = _paper_level(grey, dpi)
    paper_shows = paper > 100
    if paper_shows.mean() < MIN_PAPER_SHARE:
        return False, round(float((~paper_shows).sum() * mm2_per_px), 2)
    ink = (paper.astype(np.int16) - grey.astype(np.int16)) >= INK_CONTRAST
    area_mm2 = _ink_area_px(ink, dpi) * mm2_per_px
    return area_mm2 < MAX_BLANK_INK_MM2, round(area_mm2, 2)


def _reduce(grey: np.ndarray, dpi: float, bilevel: bool) -> tuple[np.ndarray, float]:
    """The page at about WORK_DPI, smoothed, each pixel the darkest of its block."""
    height, width = grey.shape
    if bilevel:  # averaging drops lone noise pixels; strokes are wider than a block
        factor = max(1, int(dpi // WORK_DPI))
        size = (max(1, width // factor), max(1, height // factor))
        return np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_AREA)), dpi / factor
    if dpi > 400:  # averaging 2x2 is cheaper than smoothing at 600 dpi
        grey = cv2.resize(grey, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
        dpi /= 2
    grey = cv2.GaussianBlur(grey, (0, 0), SMOOTH_MM / 25.4 * dpi)
    factor = max(1, int(dpi // WORK_DPI))
    if factor > 1:
        grey = cv2.erode(grey, np.ones((factor, factor), np.uint8))
        grey = grey[factor // 2 :: factor, factor // 2 :: factor]
    return np.asarray(grey), dpi / factor


def _paper_level(grey: np.ndarray, dpi: float) -> np.ndarray:
    height, width = grey.shape
    step = max(1, round(dpi / PAPER_DPI))
    coarse = cv2.resize(
        grey, (max(1, width // step), max(1, height // step)), interpolation=cv2.INTER_AREA
    )
    window = max(3, round(PAPER_WINDOW_MM / 25.4 * dpi / step) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (window, window))
    closed = cv2.morphologyEx(coarse, cv2.MORPH_CLOSE, kernel, borderType=cv2.BORDER_REPLICATE)
    return np.asarray(cv2.resize(closed, (width, height), interpolation=cv2.INTER_LINEAR))


def _ink_area_px(ink: np.ndarray, dpi: float) -> int:
    """Pixels of the marks that count as ink (see :func:`is_blank`)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8),
                                                                connectivity=8)
    if count <= 1:
        return 0
    stats = stats[1:]
    px_per_mm = dpi / 25.4
    height, width = ink.shape
    edge = max(1, round(EDGE_MM * px_per_mm))
    x, y, w, h, area = (stats[:, i] for i in range(5))
    touches_edge = (x < edge) | (y < edge) | (x + w > width - edge) | (y + h > height - edge)
    dust = (np.maximum(w, h) / px_per_mm < DUST_MM) & (area / px_per_mm**2 < DUST_MM2)
    keep = ~touches_edge & ~dust & ~_punched_holes(stats, ink.shape, px_per_mm)
    keep &= ~_staples(stats, labels, px_per_mm)
    return int(area[keep].sum())


def _staples(stats: np.ndarray, labels: np.ndarray, px_per_mm: float) -> np.ndarray:
    """Thin straight marks (at most 2 x 16 mm) near a corner: a staple or its shadow."""
    height, width = labels.shape
    x, y, w, h = (stats[:, i].astype(np.float64) for i in range(4))
    cx, cy = (x + w / 2) / px_per_mm, (y + h / 2) / px_per_mm
    near_x = np.minimum(cx, width / px_per_mm - cx) < STAPLE_CORNER_MM
    near_y = np.minimum(cy, height / px_per_mm - cy) < STAPLE_CORNER_MM
    small = np.maximum(w, h) / px_per_mm <= STAPLE_LENGTH_MM
    result = np.zeros(len(stats), bool)
    for n in np.flatnonzero(near_x & near_y & small):
        x0, y0, x1, y1 = int(x[n]), int(y[n]), int(x[n] + w[n]), int(y[n] + h[n])
        ys, xs = np.nonzero(labels[y0:y1, x0:x1] == n + 1)
        points = np.column_stack([xs, ys]).astype(np.float32)
        (_, _), (a, b), _ = cv2.minAreaRect(points)
        thin, long = min(a, b) / px_per_mm, max(a, b) / px_per_mm
        result[n] = thin <= STAPLE_WIDTH_MM and long <= STAPLE_LENGTH_MM and long >= 3 * thin
    return result


def _punched_holes(stats: np.ndarray, shape: tuple[int, ...], px_per_mm: float) -> np.ndarray:
    """Round filled blobs 4.5-8.5 mm wide whose centre is within 25 mm of an edge."""
    x, y, w, h, area = (stats[:, i].astype(np.float64) for i in range(5))
    size_mm = np.maximum(w, h) / px_per_mm
    round_blob = (np.minimum(w, h) >= 0.8 * np.maximum(w, h)) & (area >= 0.6 * w * h)
    cx, cy = (x + w / 2) / px_per_mm, (y + h / 2) / px_per_mm
    height_mm, width_mm = shape[0] / px_per_mm, shape[1] / px_per_mm
    near_edge = np.minimum.reduce([cx, cy, width_mm - cx, height_mm - cy]) < 25
    result: np.ndarray = round_blob & (size_mm >= 4.5) & (size_mm <= 8.5) & near_edge
    return result
