"""Handwritten fields a bilevel scan kept (almost) none of.

A light pencil under a G4 scanner's fixed threshold can vanish from the scan: what is left
(a few specks) is nothing a reader, or a person, could read. Such fields are marked
``expect="lost"`` in the truth: the benchmark counts them apart, neither right nor wrong
(a reader that reads them as empty makes no error it could have avoided on that scan).

The page is scanned a second time without its handwriting, with the same scanner
parameters and seed (``degrade.scan`` is deterministic for a seed): the pixels where the
two scans differ are the handwriting the scan kept.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from bordereau.forms.manifest import Layout
from bordereau.simulate.degrade import scan
from bordereau.simulate.scanfile import binarize
from bordereau.simulate.truth import Answer, ScanParams

Image = npt.NDArray[np.uint8]
# kept under 8 % of its ink: nothing legible is left (measured on fax scans of annexes:
# erased fields kept 0-4 %, every field still read kept 13 % or more)
LOST_SHARE = 0.08
DARKER = 40  # grey levels darker than the same pixel without handwriting: ink
MARGIN_MM = 1.0  # strokes overflow their cells a little


def _ink(written: Image, blank: Image) -> Image:
    return np.asarray(written.astype(np.int16) < blank.astype(np.int16) - DARKER)


def _count(mask: Image, corners: npt.NDArray[np.float64]) -> int:
    """Ink pixels of ``mask`` inside the bounding rectangle of ``corners`` (pixels)."""
    x0, y0 = np.floor(corners.min(axis=0)).astype(int)
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int)
    h, w = mask.shape
    return int(mask[max(y0, 0):min(y1, h), max(x0, 0):min(x1, w)].sum())


def lost_fields(layout: Layout, number: int, answers: dict[str, Answer], blank: Image,
                written: Image, params: ScanParams, seed: int, page_dpi: float,
                bilevel_file: bool) -> list[str]:
    """The handwritten fields of page ``number`` whose ink the scan of ``written`` (the
    page ``blank`` filled in, scanned with ``params`` and ``seed``) lost; only a bilevel
    scan (a fixed threshold, or a G4/JBIG2 file) can lose a whole field."""
    if params.binarise is None and not bilevel_file:
        return []
    fields = [f for f in layout.fields_on(number) if f.kind != "label_zone"
              and (a := answers.get(f.id)) is not None and a.written]
    if not fields:
        return []
    kept, matrix = scan(written, params, seed)
    without, _ = scan(blank, params, seed)
    if bilevel_file:  # the file's encoder binarises again (scanfile.encode_image)
        kept = np.where(binarize(kept, params.dpi), 0, 255).astype(np.uint8)
        without = np.where(binarize(without, params.dpi), 0, 255).astype(np.uint8)
    before, after = _ink(written, blank), _ink(kept, without)
    scale = (params.dpi / page_dpi) ** 2
    lost = []
    for field in fields:
        x, y, w, h = field.bounds()
        x, y, w, h = x - MARGIN_MM, y - MARGIN_MM, w + 2 * MARGIN_MM, h + 2 * MARGIN_MM
        box = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float64)
        ink = _count(before, box * page_dpi / 25.4)
        on_scan = np.asarray(cv2.perspectiveTransform(box.reshape(-1, 1, 2), matrix),
                             np.float64).reshape(-1, 2)
        if ink and _count(after, on_scan) < LOST_SHARE * ink * scale:
            lost.append(field.id)
    return lost
