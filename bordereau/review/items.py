"""What the review queue hands out: items, decisions, and the conflict between reviewers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from bordereau.base.states import ReadingStatus
from bordereau.errors import BordereauError, ExitCode
from bordereau.review.evidence import Suggestion

OPEN_STATUSES = (ReadingStatus.PENDING, ReadingStatus.IMAGE, ReadingStatus.CLINICIAN)


class ConflictError(BordereauError):
    """Another reviewer holds or already decided the item."""

    exit_code = ExitCode.CONFLICT


class Item(BaseModel):
    """One queued (or decided) field, as lists and the application show it."""

    id: int
    serial: str
    sheet_kind: str
    sheet_status: str
    field_id: str
    label: str
    kind: str
    page: int
    value: Any
    shown: str  # the value as a reviewer would type it
    confidence: float
    reason: str | None
    status: str
    final: Any = None
    claimed_by: str | None = None
    ink: bool = False  # the reader saw writing in the field: never emptied by default
    required: bool = False  # required on this sheet (always, or its section is used)
    suggestions: list[Suggestion] = []  # values the rest of the sheet suggests (one key each)
    notes: list[str] = []  # facts shown with the item (the disease name of an ORPHA code…)

    @property
    def open(self) -> bool:
        """Still to decide: doubtful, a comment kept as an image, or asked of the clinician."""
        return self.status in OPEN_STATUSES


class Decision(BaseModel):
    """What a decision did."""

    item: Item
    action: str
    sheet_status: str
    record_id: int | None = None
    record_version: int | None = None
    cleared: list[int] = []  # items of the sheet the re-check settled after this decision


def empty_value(value: Any, kind: str) -> bool:
    """Whether a field's value of this kind is no value."""
    return value in (None, [], "") or (kind == "boolean" and value is False)


def aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment


