"""Whether the reader found writing in a field, from what it kept of its reading.

A field with ink is never silently kept empty: a handwritten comment is kept as an image
(status ``image``, transcription optional), and a reviewer must say « vide » on purpose to
record an empty value where ink was found.
"""

from __future__ import annotations

from typing import Any

from bordereau.ocr.freetext import WRITTEN_MM2

FREE_TEXT_INK = 0.004  # readings stored before ``ink_mm2``: share of ink of the box

COMB_EMPTY_INK = 0.012  # as ``ocr.combs.EMPTY_BELOW``: a cell under this share of ink is empty
IMAGE_REASON = "commentaire manuscrit gardé en image (transcription facultative)"


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def ink_found(kind: str, raw: dict[str, Any] | None) -> bool:
    """True when the reading ``raw`` (a ``FieldReading`` dump) saw writing in the field."""
    details = (raw or {}).get("details") or {}
    if kind == "free_text":
        return (_number(details.get("ink_mm2")) >= WRITTEN_MM2
                or _number(details.get("ink")) > FREE_TEXT_INK or bool((raw or {}).get("review")))
    if kind == "label_zone":
        return False  # the sticker is evidence, not a value
    boxes = details.get("boxes")
    if isinstance(boxes, dict):
        return any(isinstance(b, dict) and b.get("state") in {"marked", "uncertain"}
                   for b in boxes.values())
    cells = details.get("cells")
    if isinstance(cells, list):
        return any(isinstance(c, dict) and (c.get("char") or c.get("faint") or _number(
            c.get("ink")) >= COMB_EMPTY_INK) for c in cells)
    return False


def comment_kept_as_image(kind: str, raw: dict[str, Any] | None) -> bool:
    """A handwritten comment: kept as an image, not sent to the review queue."""
    return kind == "free_text" and ink_found(kind, raw)
