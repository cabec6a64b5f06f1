"""Ground truth of simulated scans: what was written on each sheet, and what each page is.

``values`` plans an :class:`Answer` per field; ``fill`` records how it was drawn; ``batch``
assembles a :class:`BatchTruth` and writes it as ``truth.json`` beside the scan files.
Values use exactly the reader's output form (``bordereau.ocr.types.FieldValue``):
single_choice -> code, multi_choice -> list of codes, boolean -> true/false, comb fields ->
string, date -> ``YYYY-MM-DD`` / ``YYYY-MM`` / ``YYYY``, nothing written -> null.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bordereau.forms.model import FieldKind, FormKind
from bordereau.ocr.types import FieldValue, PageState

TRUTH_VERSION = 1

Split = Literal["train", "calib", "eval", "unseen"]
"""Which glyph sources a simulation draws from (see ``bordereau.heldout``): ``calib`` is
the training side's validation slice (digits the networks never learnt from, training
fonts), used to calibrate trust thresholds; ``eval`` the held-out data; ``unseen`` the npm
style-validation families (``heldout.STYLE_VALIDATION_FAMILIES``: digits and letters in
styles neither network was trained on; needs ``scripts/fetch_training_fonts.py``)."""

Expect = Literal["read", "review", "lost"]
"""``read``: written cleanly, a good reader gets it right; ``review``: deliberately
ambiguous (two marks in a single choice, a half-filled box, an overwritten digit), a good
reader sends it to review; ``lost``: written, but the (bilevel) scan kept almost none of
its ink (a light pencil under a G4 threshold: ``simulate/legibility.py``), nothing is
there to read."""

BoxIntent = Literal["check", "cancel", "half"]
"""What the writer meant to do in one checkbox: cross it, black it out to cancel it (the
form's instructions), or leave an ambiguous half-filled box."""

MarkStyle = Literal[
    "cross", "tick", "slash", "heavy", "pencil", "off_centre", "fill", "scribble", "half"
]

Ambiguity = Literal["two_marks", "half_filled", "overwritten_glyph", "stray_glyph"]

AnomalyKind = Literal[
    "activity_before_inclusion",
    "inclusion_before_birth",
    "deceased_without_date",
    "death_date_without_deceased",
    "death_before_birth",
    "date_in_future",
    "confirmed_without_disease",
    "age_value_without_period",
    "nir_bad_key",
    "label_ipp_mismatch",
]
"""Deliberate inconsistencies between clean readings, for the sheet rules to catch."""

PageReason = Literal["foreign_establishment", "tampered_code", "not_a_form", "corrupted_file"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PatientLabel(_Model):
    """What a printed patient sticker says, and how its IPP is encoded."""

    nom: str
    prenom: str
    date_naissance: str
    sexe: str
    ipp: str
    symbology: Literal["code128", "datamatrix", "qr"]


class Answer(_Model):
    """One field as planned by ``values`` (and completed by ``fill``)."""

    kind: FieldKind
    value: FieldValue = None
    expect: Expect = "read"
    ambiguity: Ambiguity | None = None
    candidates: list[FieldValue] = Field(default_factory=list)
    cells: str | None = None
    """Comb fields: one character per cell, a space for an empty cell."""
    overwritten: dict[int, str] = Field(default_factory=dict)
    """Comb fields: cell index -> the character written first and overwritten."""
    boxes: dict[str, BoxIntent] = Field(default_factory=dict)
    """Choice fields: code -> intent; boolean fields use the key ``"true"``."""
    marks: dict[str, MarkStyle] = Field(default_factory=dict)
    """Filled in by ``fill``: code -> how the box was actually marked."""
    text: str | None = None
    label: PatientLabel | None = None

    @property
    def written(self) -> bool:
        """True when anything is drawn in the field."""
        return bool((self.cells and self.cells.strip()) or self.boxes or self.text or self.label)


class Anomaly(_Model):
    """A deliberate inconsistency the reader's sheet rules should flag."""

    kind: AnomalyKind
    fields: list[str]


class WriterInfo(_Model):
    """Who filled the sheet: pen and handwriting sources (for per-source figures)."""

    pen: Literal["black", "blue", "pencil"]
    ink: int
    stroke_mm: float
    font: str
    digit_sources: list[str]
    mark_style: MarkStyle


class SheetTruth(_Model):
    """One filled sheet (all pages sharing a serial)."""

    serial: str
    kind: FormKind
    version: int
    site: str
    layout_id: str
    establishment: str
    pages: int
    split: Split
    writer: WriterInfo
    fields: dict[str, Answer]
    anomalies: list[Anomaly] = Field(default_factory=list)
    pages_missing: list[int] = Field(default_factory=list)
    """Pages never scanned (the reader should report the sheet incomplete)."""
    pages_late: list[int] = Field(default_factory=list)
    """Pages scanned only in a later file (the sheet completes once it is read)."""


class ScanParams(_Model):
    """The concrete scanner effects applied to one page (sampled from a profile)."""

    profile: str
    dpi: float
    rotation: Literal[0, 90, 180, 270] = 0
    skew_deg: float = 0.0
    scale: float = 1.0
    perspective: float = 0.0
    offset_mm: tuple[float, float] = (0.0, 0.0)
    background: int = 255
    edge_shadow: bool = False
    yellow: float = 0.0
    uneven_light: float = 0.0
    brightness: float = 0.0
    contrast: float = 1.0
    gamma: float = 1.0
    blur_sigma: float = 0.0
    noise_sigma: float = 0.0
    jpeg_quality: int | None = None
    binarise: int | None = None
    cut_corner: Literal["top_left", "top_right", "bottom_left", "bottom_right"] | None = None


class PageTruth(_Model):
    """One output page, in file order."""

    file: str
    index: int | None
    """0-based page index in the file; null for a file that cannot be decoded at all."""
    state: PageState
    reason: PageReason | None = None
    serial: str | None = None
    page: int | None = None
    kind: FormKind | None = None
    side: Literal["front", "back"] = "front"
    conditions: list[str] = Field(default_factory=list)
    """What is special about it: ``marker_missing``, ``late``, ``shuffled``..."""
    scan: ScanParams | None = None
    transform: list[list[float]] | None = None
    """3x3 homography from layout millimetres to this page's pixels (forms only)."""


class FileTruth(_Model):
    file: str
    fmt: str
    pages: int
    dpi: float
    corrupted: bool = False


class BatchTruth(_Model):
    """The whole ``truth.json``."""

    truth_version: int = TRUTH_VERSION
    centre: str
    home: str
    seed: int
    split: Split
    profile: str | None
    fmt: str
    duplex: bool
    shuffle: bool
    today: str
    sheets: list[SheetTruth]
    pages: list[PageTruth]
    files: list[FileTruth]

    def relocated(self, folder: str) -> BatchTruth:
        """A copy whose file names are prefixed with ``folder/`` (to merge batches)."""
        return self.model_copy(
            update={
                "pages": [p.model_copy(update={"file": f"{folder}/{p.file}"}) for p in self.pages],
                "files": [f.model_copy(update={"file": f"{folder}/{f.file}"}) for f in self.files],
            }
        )

    def sheet(self, serial: str) -> SheetTruth:
        """The sheet with this serial (KeyError if absent)."""
        for sheet in self.sheets:
            if sheet.serial == serial:
                return sheet
        raise KeyError(serial)


class TruthSet(_Model):
    """Several batches under one folder (``samples/scans/truth.json``); every ``file`` is
    relative to that folder."""

    truth_version: int = TRUTH_VERSION
    batches: list[BatchTruth]
