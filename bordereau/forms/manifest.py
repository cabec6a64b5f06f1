"""The layout manifest: the single description of a form's geometry.

The generator draws from it and the reader reads with it. Its JSON form (``forms layout
--json``) is a contract that users' scripts rely on; ``MANIFEST_VERSION`` goes up when it
changes. Coordinates are millimetres from the top-left corner of the page; a box is
``[x, y, w, h]``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from bordereau.forms.model import FieldKind, FormKind

MANIFEST_VERSION = 1

Point = tuple[float, float]
Box = tuple[float, float, float, float]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Anchor(_Frozen):
    """An ArUco marker (DICT_4X4_50) printed in a page corner."""

    id: int
    center_mm: Point
    size_mm: float


class CodeZone(_Frozen):
    """Where the page's QR code is printed (the symbol, without its quiet zone)."""

    kind: Literal["qr"] = "qr"
    box_mm: Box
    corner: Literal["top_right", "bottom_left"]


class TextOp(_Frozen):
    """Printed text. ``y`` is the baseline. With ``stamp``, ``{serial}``, ``{page}`` and
    ``{pages}`` are filled in per sheet. Not part of the contract: may change freely."""

    op: Literal["text"] = "text"
    x: float
    y: float
    text: str
    size: float
    style: Literal["regular", "bold", "italic"] = "regular"
    grey: float = 0.0
    align: Literal["left", "right", "center"] = "left"
    stamp: bool = False


class RectOp(_Frozen):
    """A printed rectangle (frames, section bars). Not part of the contract."""

    op: Literal["rect"] = "rect"
    box_mm: Box
    line_width: float = 0.3
    stroke_grey: float | None = 0.0
    fill_grey: float | None = None
    dashed: bool = False
    radius: float = 0.0


class LineOp(_Frozen):
    """A printed line segment. Not part of the contract."""

    op: Literal["line"] = "line"
    start: Point
    end: Point
    line_width: float = 0.3
    grey: float = 0.0


DrawOp = Annotated[TextOp | RectOp | LineOp, Field(discriminator="op")]


class PageLayout(_Frozen):
    """One page: its anchors, its code zones and what else is printed on it."""

    number: int
    anchors: tuple[Anchor, ...]
    codes: tuple[CodeZone, ...]
    drawing: tuple[DrawOp, ...] = ()


class Choice(_Frozen):
    """One checkbox of a choice field."""

    code: str
    system: str
    label: str
    box_mm: Box


class FieldLayout(_Frozen):
    """One field and where it is on the page."""

    id: str
    label: str
    page: int
    kind: FieldKind
    required: bool
    section: str
    optional_section: bool = False
    required_if_used: bool = False  # required once anything in its optional section is filled
    value_set: str | None = None
    choices: tuple[Choice, ...] | None = None
    box_mm: Box | None = None
    cells_mm: tuple[Box, ...] | None = None
    cell_classes: str | None = None  # one of D (digit), L (letter), A (either) per cell

    def bounds(self) -> Box:
        """The smallest box around everything of this field."""
        if self.box_mm:
            return self.box_mm
        boxes = list(self.cells_mm or ()) + [c.box_mm for c in self.choices or ()]
        x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
        x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
        return (x0, y0, round(x1 - x0, 2), round(y1 - y0, 2))


class CentreInfo(_Frozen):
    """The centre the form was made for."""

    site_code: str
    site_name: str
    finess: str
    snapshot: str


class FormInfo(_Frozen):
    kind: FormKind
    version: int
    title: str
    sdm_version: str
    page_size_mm: Point = (210.0, 297.0)
    pages: int
    centre: CentreInfo
    layout_id: str = ""


class Layout(_Frozen):
    """The whole manifest of one form for one centre."""

    manifest_version: int = MANIFEST_VERSION
    form: FormInfo
    pages: tuple[PageLayout, ...]
    fields: tuple[FieldLayout, ...]

    def field(self, field_id: str) -> FieldLayout:
        """The field with this id (KeyError if absent)."""
        for field in self.fields:
            if field.id == field_id:
                return field
        raise KeyError(field_id)

    def fields_on(self, page: int) -> list[FieldLayout]:
        """The fields printed on this page number (1-based)."""
        return [f for f in self.fields if f.page == page]

    def to_json(self, indent: int | None = 2) -> str:
        """The manifest as JSON text."""
        return self.model_dump_json(indent=indent)

    def with_id(self) -> Layout:
        """Return a copy whose ``form.layout_id`` is the digest of everything else."""
        body = self.model_copy(update={"form": self.form.model_copy(update={"layout_id": ""})})
        canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:8].upper()
        return self.model_copy(update={"form": self.form.model_copy(update={"layout_id": digest})})
