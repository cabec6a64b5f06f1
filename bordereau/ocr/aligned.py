"""An upright page in layout coordinates, and the ink measures every reader shares."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from bordereau.forms.manifest import Box

FAINT_LEVEL = 0.86  # a pixel under this share of the paper level is at least a faint mark
SPECK_MM, SPECK_MM2 = 0.8, 0.4  # marks smaller across and in area than this are specks


@dataclass(frozen=True)
class AlignedPage:
    """A scan warped onto its layout: pixel (x, y) is layout mm (x, y) * ``px_per_mm``."""

    image: np.ndarray  # uint8 greyscale, 0 black, 255 white
    px_per_mm: float
    paper: float  # grey level of the blank paper on this page

    def px(self, box: Box, inset_mm: float = 0.0) -> tuple[int, int, int, int]:
        """Pixel bounds (x0, y0, x1, y1) of a box, shrunk by ``inset_mm`` on every side."""
        x, y, w, h = box
        k = self.px_per_mm
        x0, y0 = round((x + inset_mm) * k), round((y + inset_mm) * k)
        x1, y1 = round((x + w - inset_mm) * k), round((y + h - inset_mm) * k)
        height, width = self.image.shape
        return max(0, x0), max(0, y0), min(width, max(x1, x0 + 1)), min(height, max(y1, y0 + 1))

    def crop(self, box: Box, inset_mm: float = 0.0) -> np.ndarray:
        """The pixels of a box (a view, do not modify)."""
        x0, y0, x1, y1 = self.px(box, inset_mm)
        return self.image[y0:y1, x0:x1]

    def ink_threshold(self) -> float:
        """Grey level below which a pixel counts as ink (pen, pencil or print)."""
        return self.paper * 0.72

    def ink(self, region: np.ndarray) -> np.ndarray:
        """Boolean ink mask of a region."""
        mask: np.ndarray = region < self.ink_threshold()
        return mask

    def faint(self, region: np.ndarray) -> np.ndarray:
        """Boolean mask of every mark, faint ones included (pencil, a light scan)."""
        mask: np.ndarray = region < self.paper * FAINT_LEVEL
        return mask

    def has_faint_marks(self, region: np.ndarray, min_mm2: float) -> bool:
        """Whether ``region`` holds marks of ``min_mm2`` or more, faint ones included and
        specks of dust left out: a pencil or light-pen stroke the ink test misses (an
        "empty" comb cell, an "empty" checkbox)."""
        mask = self.faint(region)
        return (mask.sum() >= min_mm2 * self.px_per_mm**2  # too few pixels: no components
                and mark_area_mm2(mask, self.px_per_mm) >= min_mm2)


def _marks(mask: np.ndarray, px_per_mm: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each mark of a boolean mask: its area in pixels, whether it is a speck, and its
    centre's row."""
    _, _, stats, centres = cv2.connectedComponentsWithStats(mask.astype(np.uint8),
                                                            connectivity=8)
    w, h, area = stats[1:, 2], stats[1:, 3], stats[1:, 4]
    speck = (np.maximum(w, h) / px_per_mm < SPECK_MM) & (area / px_per_mm**2 < SPECK_MM2)
    return area, speck, centres[1:, 1]


def mark_area_mm2(mask: np.ndarray, px_per_mm: float) -> float:
    """Area in mm² of the marks of a boolean mask, specks of dust and noise left out."""
    area, speck, _ = _marks(mask, px_per_mm)
    return float(area[~speck].sum() / px_per_mm**2)


def specks_in_a_line(mask: np.ndarray, px_per_mm: float, line_mm: float) -> int:
    """The most specks of a boolean mask whose centres lie within one band ``line_mm``
    high: a line of handwriting a bilevel scan broke into specks (a pencil under a fax's
    fixed threshold) leaves them along its line; dust lies anywhere."""
    return area_and_specks(mask, px_per_mm, line_mm)[1]


def area_and_specks(mask: np.ndarray, px_per_mm: float, line_mm: float) -> tuple[float, int]:
    """:func:`mark_area_mm2` and :func:`specks_in_a_line` of one mask, its marks found once."""
    area, speck, rows = _marks(mask, px_per_mm)
    y = np.sort(rows[speck])
    in_a_line = 0
    if y.size:
        ends = np.searchsorted(y, y + line_mm * px_per_mm, side="right")
        in_a_line = int((ends - np.arange(y.size)).max())
    return float(area[~speck].sum() / px_per_mm**2), in_a_line


def paper_level(image: np.ndarray) -> float:
    """The blank paper's grey level: a high percentile, robust to print and dark borders."""
    sample = image[:: max(1, image.shape[0] // 300), :: max(1, image.shape[1] // 300)]
    return float(max(120.0, np.percentile(sample, 90)))


def grow(box: Box, margin_mm: float) -> Box:
    """The box enlarged by ``margin_mm`` on every side."""
    x, y, w, h = box
    return (x - margin_mm, y - margin_mm, w + 2 * margin_mm, h + 2 * margin_mm)


def flatten(image: np.ndarray, px_per_mm: float) -> np.ndarray:
    """Even out the paper: divide by the local paper level (a closing bigger than any pen
    stroke, at low resolution), so uneven lighting, phone vignetting or yellowed paper
    look like white paper to every reader."""
    scale = 2.0 / px_per_mm  # work at 2 px/mm
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))  # 4.5 mm: wider than strokes
    paper = cv2.GaussianBlur(cv2.dilate(small, kernel), (0, 0), 3)
    paper = cv2.resize(np.maximum(paper, 1), (image.shape[1], image.shape[0]),
                       interpolation=cv2.INTER_LINEAR)
    # image * 255 / paper in 8 bits (saturated, rounded): no float copy of the page
    result: np.ndarray = cv2.divide(image, paper, scale=255.0)
    return result
