"""Typed values passed between the reading stages.

``pages`` yields :class:`PageImage` (or :class:`PageLoadError`); ``identify`` and ``align``
turn a page into an aligned page of a known sheet; the field readers return
:class:`FieldReading`; the pipeline assembles :class:`SheetReading` and one
:class:`PageOutcome` per input page. All are pydantic models so a stage can be tested
alone and its output written as JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from bordereau.forms.model import FieldKind, FormKind

FieldValue = str | list[str] | bool | None
PageState = Literal["read", "blank", "refused"]


class PageImage(BaseModel):
    """One page of an input file, decoded to 8-bit greyscale (0 = black, 255 = white)."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    source: Path
    index: int = Field(ge=0, description="0-based page index inside the source file")
    pixels: np.ndarray
    dpi: float = Field(gt=0, description="resolution, from the file or estimated")
    dpi_known: bool = True
    bilevel: bool = False

    @property
    def label(self) -> str:
        """How messages name this page: file name and 1-based page number."""
        return f"{self.source.name}, page {self.index + 1}"


class PageLoadError(BaseModel):
    """A page (or a whole file, ``index`` None) that could not be decoded."""

    model_config = ConfigDict(frozen=True)

    source: Path
    index: int | None
    reason: str  # French
    ignored: bool = False  # a file that is not a scan (README, JSON): left out, not refused


class FieldReading(BaseModel):
    """What the machine read in one field, and how sure it is."""

    id: str
    kind: FieldKind
    value: FieldValue = None
    confidence: float = Field(ge=0.0, le=1.0)
    review: bool
    reason: str | None = None  # French; set whenever review is True
    page: int = 1
    details: dict[str, object] = Field(default_factory=dict)

    def public(self) -> dict[str, object]:
        """The ``{"value", "confidence", "review", "reason"}`` object of ``scan read --json``."""
        return {
            "value": self.value,
            "confidence": round(self.confidence, 4),
            "review": self.review,
            "reason": self.reason,
        }


class SheetReading(BaseModel):
    """Every field of one sheet (all pages sharing a serial)."""

    serial: str
    kind: FormKind
    version: int
    centre: str
    layout_id: str
    pages_found: list[int]
    pages_missing: list[int]
    fields: dict[str, FieldReading]


class PageOutcome(BaseModel):
    """The one visible state every input page ends in."""

    source: Path
    index: int
    state: PageState
    serial: str | None = None
    page: int | None = None
    reason: str | None = None  # French; set when state is not "read" or review is needed
    residual_mm: float | None = None
    rotation: int | None = None
    name: str = ""  # the file as reports name it (relative to the folder given), "" unset
