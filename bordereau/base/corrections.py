"""The digit cells a reviewer decided: training data written by the establishment's staff.

A comb field a person accepted or corrected says which digit each of its cells holds.
Each reading keeps the crop of its field (``Reading.crop``: the upright page around the
field's bounds, 2 mm of margin, at the page's reading resolution, as PNG); with the
layout's cell geometry it gives back each cell exactly as the reader cropped it. Only
cells the readers saw ink in are kept (a cell read empty never reached the network), and
a field whose inked cells do not line up with the decided value is left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from sqlalchemy import select

from bordereau.base.engine import Database
from bordereau.base.schema import Reading, Sheet
from bordereau.base.states import ReadingStatus
from bordereau.forms.manifest import Box, FieldLayout
from bordereau.home import Home
from bordereau.ocr.combs import READ_INSET_MM

DIGIT_KINDS = ("digits", "date", "orpha_code", "alphanumeric")
CROP_MARGIN_MM = 2.0  # as ocr.page_reader.crop_png keeps them


@dataclass(frozen=True)
class DecidedCell:
    """One digit cell as the reader saw it, and the digit a person decided it holds."""

    serial: str
    field_id: str
    index: int  # the cell's position in the comb
    label: int
    image: npt.NDArray[np.uint8]  # the cell crop (greyscale), as the recogniser got it


def date_chars(value: str) -> list[str]:
    """The eight cells JJ MM AAAA of a decided ISO date (``YYYY``, ``YYYY-MM`` too)."""
    parts = value.split("-")
    year = parts[0]
    month = parts[1] if len(parts) > 1 else "  "
    day = parts[2] if len(parts) > 2 else "  "
    return [c.strip() for c in day + month + year]


def cell_labels(kind: str, classes: str, final: Any,
                cells: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """(cell, digit) for each inked digit cell of a decided field; [] when the decided
    value cannot be lined up with the cells the reader saw ink in."""
    if not isinstance(final, str) or not cells:
        return []
    inked = [n for n, c in enumerate(cells) if c.get("char")]
    count = len(cells)
    if kind == "date":
        chars = date_chars(final)
        if len(chars) != count:
            return []
    else:
        text = final.replace(" ", "")
        if len(text) == count:
            chars = list(text)
        elif inked and inked == list(range(inked[0], inked[0] + len(text))):
            chars = [""] * count
            for n, char in zip(inked, text, strict=True):
                chars[n] = char
        else:
            return []
    if any(not chars[n] for n in inked):
        return []  # ink where the decided value has nothing: a stray mark, or shifted
    digit_cell = ("D" * count) if kind != "alphanumeric" else classes
    return [(n, int(chars[n])) for n in inked
            if chars[n].isdigit() and digit_cell[n] == "D"]


def _scale(crop: npt.NDArray[np.uint8], bounds: Box) -> float | None:
    """The crop's pixels per millimetre (the page's reading dpi), or None when the crop
    was cut by the page's edge."""
    _, _, w, h = bounds
    across = crop.shape[1] / (w + 2 * CROP_MARGIN_MM)
    down = crop.shape[0] / (h + 2 * CROP_MARGIN_MM)
    if abs(across - down) > 0.03 * across:
        return None
    return float(round(across * 25.4) / 25.4)  # readings are made at a whole dpi


def cell_images(png: bytes, field: FieldLayout) -> list[npt.NDArray[np.uint8]] | None:
    """Each cell of a comb field cut from its stored crop, as ``ocr.combs`` cuts it."""
    decoded = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    if decoded is None or not field.cells_mm:
        return None
    crop = np.asarray(decoded, np.uint8)
    bounds = field.bounds()
    k = _scale(crop, bounds)
    if k is None:
        return None
    left, top = round((bounds[0] - CROP_MARGIN_MM) * k), round((bounds[1] - CROP_MARGIN_MM) * k)
    images = []
    for x, y, w, h in field.cells_mm:
        x0, y0 = round((x + READ_INSET_MM) * k) - left, round((y + READ_INSET_MM) * k) - top
        x1 = round((x + w - READ_INSET_MM) * k) - left
        y1 = round((y + h - READ_INSET_MM) * k) - top
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = min(crop.shape[1], max(x1, x0 + 1)), min(crop.shape[0], max(y1, y0 + 1))
        images.append(np.ascontiguousarray(crop[y0:y1, x0:x1]))
    return images


def decided_digit_cells(db: Database, home: Home) -> Iterator[DecidedCell]:
    """Every inked digit cell of the comb fields a person accepted or corrected."""
    query = (select(Sheet.serial, Sheet.layout_id, Reading.field_id, Reading.kind,
                    Reading.final, Reading.raw, Reading.crop)
             .join(Sheet, Reading.sheet_id == Sheet.id)
             .where(Reading.status.in_([ReadingStatus.ACCEPTED, ReadingStatus.CORRECTED]),
                    Reading.decided_by.is_not(None), Reading.kind.in_(DIGIT_KINDS))
             .order_by(Sheet.serial, Reading.position))
    with db.session() as session:
        rows = session.execute(query).all()
    for serial, layout_id, field_id, kind, final, raw, crop in rows:
        if not crop:
            continue
        field = home.layout(layout_id).field(field_id)
        cells = (raw or {}).get("details", {}).get("cells") or []
        labels = cell_labels(kind, field.cell_classes or "", final, cells)
        images = cell_images(crop, field) if labels else None
        if images is None or len(images) != len(cells):
            continue
        for n, digit in labels:
            yield DecidedCell(serial, field_id, n, digit, images[n])
