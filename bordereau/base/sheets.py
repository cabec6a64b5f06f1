"""The state of a stored sheet, recomputed whenever a page arrives or a reviewer decides.

waiting_pages (a page is missing) -> waiting_review (some field pending) -> committed.
Machine readings are re-checked on the whole sheet each time, with the values reviewers
decided pinned: a correction clears the items flagged only because of the corrected value
and rewrites the others' reasons. Human decisions are kept as they are (a rule failing on a
value a reviewer chose is taken as acknowledged, but still flags the machine's values it
involves).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from bordereau.base.ink import IMAGE_REASON, comment_kept_as_image
from bordereau.base.records import commit_sheet, identity_problems
from bordereau.base.schema import Reading, Sheet
from bordereau.base.states import PageState, ReadingStatus, SheetStatus
from bordereau.forms.manifest import Layout
from bordereau.ocr.pipeline import finish_sheet
from bordereau.ocr.types import FieldReading

DECIDED = (ReadingStatus.ACCEPTED, ReadingStatus.CORRECTED)
IMAGE = ReadingStatus.IMAGE  # a handwritten comment kept as an image (transcription optional)
CLINICIAN = ReadingStatus.CLINICIAN  # « à compléter » : blank on paper or two marks
WAITING = (ReadingStatus.PENDING, CLINICIAN)  # a sheet with any of these is not committed
KEPT = (*DECIDED, CLINICIAN)  # statuses a re-check of the sheet never changes


def current_value(row: Reading) -> Any:
    """The value a reading stands for now: the reviewer's if decided, else the machine's."""
    return row.final if row.status in DECIDED else row.value


def _put(row: Reading, name: str, value: Any) -> None:
    """Set a column only when its value changes: a row left as it was stays out of the
    session's dirty set, so the flushes of a decision (autoflush before each query, the
    seal's) do not go over the sheet's every reading for nothing."""
    old = getattr(row, name)
    if type(old) is not type(value) or old != value:
        setattr(row, name, value)


def _flag(row: Reading, reason: str) -> None:
    _put(row, "status", ReadingStatus.PENDING)
    if not row.reason:
        _put(row, "reason", reason)
    elif reason not in row.reason:
        row.reason = f"{row.reason} ; {reason}"


def _pinned(row: Reading) -> FieldReading:
    """The reading as the rules should see it: a reviewer's decision is final and sure."""
    raw = FieldReading.model_validate(row.raw)
    if row.status in DECIDED:
        return raw.model_copy(update={"value": row.final, "confidence": 1.0, "review": False,
                                      "reason": None})
    return raw


def _settle(row: Reading, reading: FieldReading) -> None:
    """Apply a machine reading (after the sheet rules) to a row no reviewer decided."""
    _put(row, "value", reading.value)
    _put(row, "confidence", reading.confidence)
    if comment_kept_as_image(row.kind, row.raw):
        _put(row, "status", IMAGE)
        _put(row, "reason", IMAGE_REASON)
        return
    _put(row, "reason", reading.reason)
    _put(row, "status", ReadingStatus.PENDING if reading.review else ReadingStatus.TRUSTED)


def refresh_sheet(session: Session, sheet: Sheet, layout: Layout, by: str,
                  today: dt.date | None = None) -> None:
    """Recompute a sheet's readings and status; commit it when nothing is left to decide."""
    rows = {row.field_id: row for row in sheet.readings}
    found = {p.page_number for p in sheet.pages if p.state == PageState.READ and p.page_number}
    # The rules run again on the whole sheet, decided values pinned: a correction clears
    # the items flagged only because of it and rewrites the others' reasons.
    raws = [_pinned(row) for row in rows.values()]
    reasons = {p.page_number: p.reason for p in sheet.pages
               if p.state == PageState.READ and p.page_number and p.reason}
    fields, missing = finish_sheet(layout, raws, found, reasons, today)
    for field_id, reading in fields.items():
        row = rows.get(field_id)
        if row is not None and row.status not in KEPT:
            _settle(row, reading)
    if missing:
        sheet.status = SheetStatus.WAITING_PAGES
        return
    values = {fid: current_value(row) for fid, row in rows.items()}
    for field_id, problem in identity_problems(session, sheet.kind, values,
                                               sheet.id).items():
        row = rows.get(field_id)
        if row is not None and row.status not in KEPT:
            _flag(row, problem)
    if any(row.status in WAITING for row in rows.values()):
        sheet.status = SheetStatus.WAITING_REVIEW
        return
    pages = [{"file": p.file.sha256, "index": p.index, "page": p.page_number}
             for p in sorted(sheet.pages, key=lambda p: p.page_number or 0)
             if p.state == "read"]
    ordered = {f.id: values.get(f.id) for f in layout.fields}
    commit_sheet(session, sheet, layout, ordered, pages, by)
