"""Checkboxes: three states judged per box from its own ink measures.

Each box is measured inside an inset that excludes its printed outline: the share of ink
pixels, and how evenly that ink covers the box (the emptiest cell of a 3x3 grid). A box is
``empty``, ``marked`` (cross, tick, slash) or ``filled`` (fully blackened: "cancelled", as
the form's instructions say), with uncertain bands between the states that go to review.
There is no page-wide threshold: a page full of cancelled boxes does not move the decision
for its neighbours (the failure measured on OMRChecker, see ../shared/peers.md §5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from bordereau.forms.manifest import Box, FieldLayout
from bordereau.ocr.aligned import AlignedPage
from bordereau.ocr.types import FieldReading

BoxState = Literal["empty", "marked", "filled", "uncertain"]

INSET_MM = 0.55


@dataclass(frozen=True)
class Bands:
    """Decision bands on the ink share (calibrated, see scripts/calibrate.py)."""

    empty_below: float = 0.035
    marked_from: float = 0.075
    filled_from: float = 0.70
    marked_below: float = 0.55
    even_filled: float = 0.45  # the emptiest grid cell of a filled box has at least this
    even_marked: float = 0.25  # ... and of a mark at most this


BANDS = Bands()


@dataclass(frozen=True)
class BoxMeasure:
    """What one checkbox looks like."""

    ink: float  # share of ink pixels inside the inset
    evenness: float  # ink share of the emptiest cell of a 3x3 grid
    state: BoxState
    confidence: float

    def as_dict(self) -> dict[str, object]:
        return {"ink": round(self.ink, 4), "evenness": round(self.evenness, 4),
                "state": self.state, "confidence": round(self.confidence, 4)}


def _margin(value: float, low: float, high: float) -> float:
    """How far inside [low, high] a value sits, 0 at an edge, 1 well inside."""
    span = max(high - low, 1e-6)
    return float(np.clip(min(value - low, high - value) / (span / 2), 0.0, 1.0))


def classify(ink: float, evenness: float, bands: Bands = BANDS) -> tuple[BoxState, float]:
    """The state of a box and a confidence in [0, 1] from its two measures."""
    if ink < bands.empty_below:
        return "empty", float(np.clip(1.0 - ink / bands.empty_below * 0.5, 0.5, 1.0))
    if ink < bands.marked_from:
        return "uncertain", 0.3 * _margin(ink, bands.empty_below, bands.marked_from)
    if ink >= bands.filled_from and evenness >= bands.even_filled:
        confidence = min(1.0, 0.6 + (ink - bands.filled_from) / (1 - bands.filled_from) * 0.4)
        return "filled", confidence
    if ink < bands.marked_below and evenness <= bands.even_marked:
        low = _margin(ink, bands.empty_below, 2 * bands.marked_below)
        even = 1.0 - evenness / max(bands.even_marked, 1e-6) * 0.5
        return "marked", float(np.clip(0.55 + 0.45 * min(low * 2, 1.0) * even, 0.0, 1.0))
    return "uncertain", 0.3


def measure(page: AlignedPage, box: Box, bands: Bands = BANDS) -> BoxMeasure:
    """Measure and classify one checkbox."""
    region = page.crop(box, INSET_MM)
    mask = page.ink(region)
    if mask.size == 0:
        return BoxMeasure(0.0, 0.0, "uncertain", 0.0)
    ink = float(mask.mean())
    rows = np.array_split(mask, 3, axis=0)
    cells = [part for row in rows for part in np.array_split(row, 3, axis=1)]
    evenness = float(min(cell.mean() if cell.size else 0.0 for cell in cells))
    state, confidence = classify(ink, evenness, bands)
    return BoxMeasure(ink, evenness, state, confidence)


def read_choice(page: AlignedPage, field: FieldLayout) -> FieldReading:
    """Read a single_choice, multi_choice or boolean field."""
    boxes = ([(c.code, c.box_mm) for c in field.choices] if field.choices
             else [("true", field.box_mm)] if field.box_mm else [])
    measures = {code: measure(page, box) for code, box in boxes}
    details: dict[str, object] = {"boxes": {c: m.as_dict() for c, m in measures.items()}}
    marked = [c for c, m in measures.items() if m.state == "marked"]
    uncertain = [c for c, m in measures.items() if m.state == "uncertain"]
    cancelled = [c for c, m in measures.items() if m.state == "filled"]
    if cancelled:
        details["cancelled"] = cancelled
    confidence = min((m.confidence for m in measures.values()), default=0.0)
    reason = None
    if uncertain:
        labels = ", ".join(_label(field, c) for c in uncertain)
        reason = f"case(s) douteuse(s) : {labels}"
    if field.kind == "boolean":
        value: str | list[str] | bool | None = bool(marked)
    elif field.kind == "multi_choice":
        value = marked or None
    else:
        value = marked[0] if len(marked) == 1 else None
        if len(marked) > 1:
            labels = ", ".join(_label(field, c) for c in marked)
            reason = f"plusieurs cases cochées pour une seule réponse ({labels})"
            confidence = 0.0
    return FieldReading(id=field.id, kind=field.kind, value=value, confidence=confidence,
                        review=reason is not None, reason=reason, page=field.page,
                        details=details)


def _label(field: FieldLayout, code: str) -> str:
    for choice in field.choices or ():
        if choice.code == code:
            return f"« {choice.label} »"
    return "« Oui »"
