"""Test-time augmentation veto: a digit the network reads differently when its cell is
nudged is not trusted.

A single network can misread a hand it never saw with full confidence (a 2 read 9 at
0.9999); a small change of the crop — the grid placed two pixels off, the ink turned by
4°, its strokes thinner or thicker, the glyph a tenth smaller or larger — often shows it.
For every comb field about to be trusted on its own reading (no reason to review it,
confidence at or above its threshold, ``ocr.trust.limit_for``), each cell the digit
network read alone is read again in the fixed set of ``VARIANTS`` below, all the page's
cells in one batch. A cell is *unstable* when the best class of any variant is not the
digit read. The unstable cells are kept in the reading's details (``tta``); at the end
of the sheet (``veto``) a field that has any is sent to review with a French reason.
The check only ever sends a field to review: it never changes a confidence, a value or
a trusted field's reason. Whether it runs is ``tta.veto`` in ``ocr/models/calibration.json``
(``BORDEREAU_TTA=1`` or ``0`` overrides it), measured in docs/reading.md.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from typing import Any

import cv2
import numpy as np

from bordereau.forms.manifest import FieldLayout
from bordereau.ocr.aligned import AlignedPage
from bordereau.ocr.combs import READ_INSET_MM, DigitModel
from bordereau.ocr.trust import calibration, limit_for
from bordereau.ocr.types import FieldReading

SHIFT_PX = 2  # the grid placed this many pixels off, along both axes, both ways
# The variants, fixed before any measurement: (name, parameter).
VARIANTS: tuple[tuple[str, float], ...] = (
    ("shift", SHIFT_PX), ("shift", -SHIFT_PX),
    ("rotate", 4.0), ("rotate", -4.0),
    ("erode", 0.1), ("dilate", 0.1),  # the ink's strokes 0.1 mm thinner / thicker a side
    ("scale", 0.9), ("scale", 1.1),
)
DIGIT_KINDS = frozenset({"digits", "date", "orpha_code", "alphanumeric"})
ENVIRONMENT = "BORDEREAU_TTA"


@cache
def _configured() -> bool:
    return bool(calibration().get("tta", {}).get("veto"))


def enabled() -> bool:
    """Whether the check runs: ``BORDEREAU_TTA`` (1 / 0) if set, else the shipped setting."""
    forced = os.environ.get(ENVIRONMENT, "").strip()
    if forced in {"0", "1"}:
        return forced == "1"
    return _configured()


def _kernel(px_per_mm: float, mm: float) -> np.ndarray:
    radius = max(1, round(mm * px_per_mm))
    return np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)


def variants(surround: np.ndarray, px_per_mm: float, paper: float = 255.0) -> list[np.ndarray]:
    """The cell crop in each of ``VARIANTS``; ``surround`` is the crop read with
    ``SHIFT_PX`` more pixels of the page on every side (the shifted windows come from it)."""
    m = SHIFT_PX
    h, w = surround.shape[0] - 2 * m, surround.shape[1] - 2 * m
    crop = np.ascontiguousarray(surround[m:m + h, m:m + w])
    fill = float(np.clip(paper, 0, 255))
    found = []
    for name, value in VARIANTS:
        if name == "shift":
            d = m + int(value)
            found.append(np.ascontiguousarray(surround[d:d + h, d:d + w]))
        elif name in {"rotate", "scale"}:
            angle, factor = (value, 1.0) if name == "rotate" else (0.0, value)
            matrix = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, factor)
            found.append(cv2.warpAffine(crop, matrix, (w, h), flags=cv2.INTER_LINEAR,
                                        borderMode=cv2.BORDER_CONSTANT, borderValue=fill))
        elif name == "erode":  # ink is dark: thinner strokes are a grey-level dilation
            found.append(cv2.dilate(crop, _kernel(px_per_mm, value)))
        else:
            found.append(cv2.erode(crop, _kernel(px_per_mm, value)))
    return found


def probabilities(digits: DigitModel, surrounds: Sequence[np.ndarray], px_per_mm: float,
                  paper: float = 255.0) -> np.ndarray:
    """The network's probabilities, shape (cells, variants, 11), in one batched call."""
    if not surrounds:
        return np.zeros((0, len(VARIANTS), 11), np.float32)
    crops = [v for s in surrounds for v in variants(s, px_per_mm, paper)]
    return np.asarray(digits.predict(crops)).reshape(len(surrounds), len(VARIANTS), -1)


def unstable(digits: DigitModel, surrounds: Sequence[np.ndarray], read: Sequence[int],
             px_per_mm: float, paper: float = 255.0) -> list[int]:
    """For each cell (its surround and the digit read in it), the number of variants
    whose best class is not that digit."""
    best = probabilities(digits, surrounds, px_per_mm, paper).argmax(axis=2)
    return [int((row != digit).sum()) for row, digit in zip(best, read, strict=True)]


def mean_differs(found: np.ndarray, read: Sequence[int]) -> list[bool]:
    """For each cell, whether the best class of the variants' mean probabilities is not
    the digit read (a weaker rule than any variant's, measured beside it)."""
    if not len(found):
        return []
    return [bool(b != d) for b, d in zip(found.mean(axis=1).argmax(axis=1), read, strict=True)]


def _surround(page: AlignedPage, field: FieldLayout, n: int) -> np.ndarray | None:
    boxes = field.cells_mm or ()
    x0, y0, x1, y1 = page.px(boxes[n], READ_INSET_MM)
    height, width = page.image.shape
    m = SHIFT_PX
    if x0 < m or y0 < m or x1 + m > width or y1 + m > height or x1 - x0 < 4 or y1 - y0 < 4:
        return None
    return page.image[y0 - m:y1 + m, x0 - m:x1 + m]


def candidate(reading: FieldReading) -> bool:
    """A comb field about to be trusted on its own reading, by the shipped thresholds."""
    return (reading.kind in DIGIT_KINDS and not reading.review and reading.value is not None
            and reading.confidence >= limit_for(reading.id, reading.kind))


def check_page(page: AlignedPage, fields: dict[str, FieldLayout],
               readings: Sequence[FieldReading], digits: DigitModel) -> None:
    """Read again, in every variant, the digit cells of the page's candidate fields, and
    keep in each one's details (``tta``) its unstable cells (numbered from 1)."""
    todo: list[tuple[FieldReading, int]] = []
    surrounds, read = [], []
    for reading in readings:
        field = fields.get(reading.id)
        cells = reading.details.get("cells")
        if field is None or not isinstance(cells, list) or not candidate(reading):
            continue
        for n, cell in enumerate(cells):
            char = str(cell.get("char", ""))
            if cell.get("source") != "chiffres" or not char.isdigit():
                continue
            surround = _surround(page, field, n)
            if surround is not None:
                todo.append((reading, n))
                surrounds.append(surround)
                read.append(int(char))
    found = probabilities(digits, surrounds, page.px_per_mm, page.paper)
    against = [np.flatnonzero(row != d) for row, d in zip(found.argmax(axis=2), read,
                                                          strict=True)]
    means = mean_differs(found, read)
    checked: dict[str, dict[str, Any]] = {}
    for (reading, n), which, mean in zip(todo, against, means, strict=True):
        kept = checked.setdefault(reading.id, {"cells": [], "unstable": [], "unstable_mean": [],
                                               "against": {}})
        kept["cells"].append(n + 1)
        if which.size:  # the variants that read the cell otherwise, by name
            kept["unstable"].append(n + 1)
            kept["against"][str(n + 1)] = [variant_name(int(v)) for v in which]
        if mean:
            kept["unstable_mean"].append(n + 1)
    for reading in readings:
        if reading.id in checked:
            reading.details["tta"] = checked[reading.id]


def variant_name(index: int) -> str:
    """``shift+2``, ``rotate-4``, ``erode``, ``scale1.1``: how the details name a variant."""
    name, value = VARIANTS[index]
    if name in {"erode", "dilate"}:
        return name
    return f"{name}{value:+g}" if name in {"shift", "rotate"} else f"{name}{value:g}"


def reason(cells: Sequence[int]) -> str:
    """The French reason of a field sent to review by the check."""
    if len(cells) == 1:
        return f"lecture instable du chiffre n° {cells[0]} : à vérifier"
    listed = ", ".join(str(c) for c in cells[:-1]) + f" et {cells[-1]}"
    return f"lecture instable des chiffres n° {listed} : à vérifier"


def veto(readings: dict[str, FieldReading]) -> list[str]:
    """Send to review every trusted field with an unstable cell; the ids sent. Nothing
    else changes (confidence, value), and a field already in review keeps its reason."""
    sent = []
    for reading in readings.values():
        found = reading.details.get("tta")
        if not isinstance(found, dict):
            continue
        signals = reading.details.get("trust")
        if isinstance(signals, dict):  # for the benchmarks (bench_tta.py)
            signals["tta_checked"] = float(len(found.get("cells", [])))
            signals["tta_unstable"] = float(len(found.get("unstable", [])))
            signals["tta_unstable_mean"] = float(len(found.get("unstable_mean", [])))
            against = found.get("against", {})
            for names in against.values():
                for name in names:
                    key = f"tta_against_{name}"
                    signals[key] = signals.get(key, 0.0) + 1.0
            signals["tta_most_against"] = float(max(map(len, against.values()), default=0))
        if reading.review or not found.get("unstable"):
            continue
        reading.review = True
        reading.reason = reason([int(c) for c in found["unstable"]])
        sent.append(reading.id)
    return sent
