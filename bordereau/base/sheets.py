"""The state of a stored sheet, recomputed whenever a page arrives or a reviewer decides.

waiting_pages (a page is missing) -> waiting_review (some field pending) -> committed.
Machine readings are re-checked on the whole sheet each time; human decisions are kept as
they are (a rule failing on a value a reviewer chose is taken as acknowledged).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from bordereau.base.records import commit_sheet, identity_problems
from bordereau.base.schema import Reading, Sheet
from bordereau.forms.manifest import Layout
from bordereau.ocr.pipeline import finish_sheet
from bordereau.ocr.rules import check_sheet
from bordereau.ocr.types import FieldReading

DECIDED = ("accepted", "corrected")


def current_value(row: Reading) -> Any:
    """The value a reading stands for now: the reviewer's if decided, else the machine's."""
    return row.final if row.status in DECIDED else row.value


def _flag(row: Reading, reason: str) -> None:
    row.status = "pending"
    if not row.reason:
        row.reason = reason
    elif reason not in row.reason:
        row.reason = f"{row.reason} ; {reason}"


def _recheck_final(rows: dict[str, Reading], layout: Layout, today: dt.date | None) -> None:
    """Run the sheet rules on the values as they stand (some decided by people)."""
    readings = {
        field_id: FieldReading(id=field_id, kind=row.kind,
                               value=current_value(row), confidence=1.0, review=False,
                               page=row.page_number)
        for field_id, row in rows.items()
    }
    check_sheet(readings, layout, today)
    for field_id, reading in readings.items():
        row = rows[field_id]
        if reading.review and row.status == "trusted" and reading.reason:
            _flag(row, reading.reason)


def refresh_sheet(session: Session, sheet: Sheet, layout: Layout, by: str,
                  today: dt.date | None = None, recheck: bool = False) -> None:
    """Recompute a sheet's readings and status; commit it when nothing is left to decide."""
    rows = {row.field_id: row for row in sheet.readings}
    found = {p.page_number for p in sheet.pages if p.state == "read" and p.page_number}
    if not recheck:
        raws = [FieldReading.model_validate(row.raw) for row in rows.values()]
        reasons = {p.page_number: p.reason for p in sheet.pages
                   if p.state == "read" and p.page_number and p.reason}
        fields, missing = finish_sheet(layout, raws, found, reasons, today)
        for field_id, reading in fields.items():
            row = rows.get(field_id)
            if row is None or row.status in DECIDED:
                continue
            row.value, row.confidence = reading.value, reading.confidence
            row.reason = reading.reason
            row.status = "pending" if reading.review else "trusted"
    else:
        missing = [n for n in range(1, layout.form.pages + 1) if n not in found]
    if missing:
        sheet.status = "waiting_pages"
        return
    if recheck and not any(row.status == "pending" for row in rows.values()):
        _recheck_final(rows, layout, today)
    values = {fid: current_value(row) for fid, row in rows.items()}
    for field_id, problem in identity_problems(session, sheet.kind, values,
                                               sheet.id).items():
        row = rows.get(field_id)
        if row is not None and row.status not in DECIDED:
            _flag(row, problem)
    if any(row.status == "pending" for row in rows.values()):
        sheet.status = "waiting_review"
        return
    pages = [{"file": p.file.sha256, "index": p.index, "page": p.page_number}
             for p in sorted(sheet.pages, key=lambda p: p.page_number or 0)
             if p.state == "read"]
    ordered = {f.id: values.get(f.id) for f in layout.fields}
    commit_sheet(session, sheet, layout, ordered, pages, by)
