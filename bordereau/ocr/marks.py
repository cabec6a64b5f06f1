"""Checkboxes: three states judged per box from its own ink measures.

Each box is measured inside an inset that excludes its printed outline: the share of ink
pixels, and the share that stays ink after an erosion by a 1 mm square (``solid``): pen
strokes (crosses, ticks, slashes, even heavy felt-tip crosses) vanish under it, a box
blackened on purpose does not. A box is ``empty``, ``marked`` or ``filled`` (fully
blackened: "cancelled", as the form's instructions say), with uncertain bands between the
states that go to review — a half-filled box, a speck that might be a faint mark.
There is no page-wide threshold: a page full of cancelled boxes does not move the decision
for its neighbours (the failure measured on OMRChecker, a peer project).
The bands were set on simulated scans of the training split (see docs/reading.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from bordereau.forms.manifest import Box, FieldLayout
from bordereau.ocr.aligned import AlignedPage
from bordereau.ocr.types import FieldReading

BoxState = Literal["empty", "marked", "filled", "uncertain"]

INSET_MM = 0.55
SOLID_KERNEL_MM = 1.0
FAINT_BOX_MM2 = 1.0  # faint marks of this area in a box "empty" by the ink test: maybe a
# pencil tick too light for it, never trusted as blank (the comb cells' rule, ocr.combs)


@dataclass(frozen=True)
class Bands:
    """Decision bands (measured on flattened pages of the training split, 4,680 boxes:
    empty boxes keep no ink at all, the faintest pencil cross 0.016; crosses keep at most
    0.17 solid, half-filled boxes 0.31 to 0.46, cancelled boxes 1.0)."""

    empty_below: float = 0.006
    marked_from: float = 0.012
    marked_solid_below: float = 0.22
    filled_solid_from: float = 0.75
    filled_ink_from: float = 0.85


BANDS = Bands()


@dataclass(frozen=True)
class BoxMeasure:
    """What one checkbox looks like."""

    ink: float  # share of ink pixels inside the inset
    solid: float  # share of pixels still ink after a 1 mm erosion
    state: BoxState
    confidence: float
    faint: bool = False  # empty by the ink test, but with faint marks in it

    def as_dict(self) -> dict[str, object]:
        found: dict[str, object] = {"ink": round(self.ink, 4), "solid": round(self.solid, 4),
                                    "state": self.state, "confidence": round(self.confidence, 4)}
        if self.faint:
            found["faint"] = True
        return found


def classify(ink: float, solid: float, bands: Bands = BANDS) -> tuple[BoxState, float]:
    """The state of a box and a confidence in [0, 1] from its two measures."""
    if ink < bands.empty_below:
        return "empty", float(np.clip(1.0 - 0.5 * ink / bands.empty_below, 0.5, 1.0))
    if ink < bands.marked_from:
        return "uncertain", 0.2
    if solid >= bands.filled_solid_from and ink >= bands.filled_ink_from:
        return "filled", float(np.clip(0.6 + 0.4 * (solid - bands.filled_solid_from)
                                       / (1 - bands.filled_solid_from), 0.6, 1.0))
    if solid < bands.marked_solid_below:
        presence = min(1.0, (ink - bands.marked_from) / bands.marked_from)
        stroke = 1.0 - solid / bands.marked_solid_below
        return "marked", float(np.clip(0.5 + 0.5 * min(presence, stroke), 0.5, 1.0))
    return "uncertain", 0.3


def measure(page: AlignedPage, box: Box, bands: Bands = BANDS) -> BoxMeasure:
    """Measure and classify one checkbox. A box the ink test calls empty but that holds
    faint marks (``FAINT_BOX_MM2``; specks of dust left out) is uncertain: a light pencil
    tick must not be trusted as "not ticked"."""
    region = page.crop(box, INSET_MM)
    mask = page.ink(region)
    if mask.size == 0:
        return BoxMeasure(0.0, 0.0, "uncertain", 0.0)
    ink = float(mask.mean())
    side = max(3, round(SOLID_KERNEL_MM * page.px_per_mm)) | 1
    solid = float(cv2.erode(mask.astype(np.uint8), np.ones((side, side), np.uint8)).mean())
    state, confidence = classify(ink, solid, bands)
    if state == "empty" and page.has_faint_marks(region, FAINT_BOX_MM2):
        return BoxMeasure(ink, solid, "uncertain", 0.2, faint=True)
    return BoxMeasure(ink, solid, state, confidence)


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
        if any(measures[c].faint for c in uncertain):
            reason += " (trait pâle : crayon ou stylo léger ?)"
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
