"""Read-only views of the base: ingestion status, records, the JSON export."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select

from bordereau.base.engine import Database
from bordereau.base.ink import comment_kept_as_image
from bordereau.base.schema import Page, Patient, Reading, Record, ScanFile, Sheet
from bordereau.base.sheets import CLINICIAN, DECIDED
from bordereau.base.states import PageState, ReadingStatus, SheetStatus
from bordereau.base.store import check_store
from bordereau.errors import NotFoundError, OutputError
from bordereau.files import DIR_MODE, FILE_MODE


def status(db: Database, deep: bool = False) -> dict[str, Any]:
    """Counts by state of every page ever ingested, and of every sheet; the damaged copies
    of the scan store (by size, by hash with ``deep``)."""
    with db.session() as session:
        damaged = check_store(session, db.home.root, deep)
        pages = Counter(dict(session.execute(
            select(Page.state, func.count()).group_by(Page.state)).all()))
        refused = [
            {"file": name, "page": index + 1, "reason": reason}
            for name, index, reason in session.execute(
                select(ScanFile.name, Page.index, Page.reason).join(ScanFile)
                .where(Page.state == "refused").order_by(ScanFile.id, Page.index))
        ]
        sheets = Counter(dict(session.execute(
            select(Sheet.status, func.count()).group_by(Sheet.status)).all()))
        pending = session.scalar(select(func.count()).select_from(Reading).join(Sheet).where(
            Reading.status == ReadingStatus.PENDING,
            Sheet.status == SheetStatus.WAITING_REVIEW)) or 0
        waiting = []
        for sheet in session.scalars(select(Sheet).where(Sheet.status == SheetStatus.WAITING_PAGES)
                                     .order_by(Sheet.serial)):
            found = {p.page_number for p in sheet.pages if p.state == PageState.READ}
            waiting.append({"serial": sheet.serial, "missing": [
                n for n in range(1, sheet.pages_expected + 1) if n not in found]})
        files = session.scalar(select(func.count()).select_from(ScanFile)) or 0
    return {
        "files": files,
        "pages": {str(state): pages.get(state, 0) for state in PageState},
        "pages_total": sum(pages.values()),
        "refused": refused,
        "sheets": {str(state): sheets.get(state, 0)
                   for state in (SheetStatus.COMMITTED, SheetStatus.WAITING_REVIEW,
                                 SheetStatus.WAITING_PAGES)},
        "review_items": pending,
        "waiting_pages": waiting,
        "store": [damage.model_dump() for damage in damaged],
    }


def _record_summary(record: Record, sheet: Sheet, patient: Patient) -> dict[str, Any]:
    return {
        "id": record.id, "serial": sheet.serial, "kind": record.kind,
        "version": record.version, "centre": sheet.centre, "patient_ipp": patient.ipp,
        "committed_at": record.committed_at.isoformat(timespec="seconds"),
        "committed_by": record.committed_by,
    }


def list_records(db: Database) -> list[dict[str, Any]]:
    """The current version of every committed record."""
    with db.session() as session:
        rows = session.execute(select(Record, Sheet, Patient).join(Sheet).join(Patient)
                               .where(Record.current.is_(True)).order_by(Record.id)).all()
        return [_record_summary(r, s, p) for r, s, p in rows]


def show_record(db: Database, record_id: int) -> dict[str, Any]:
    """One record (any version) with its values, coded items and source pages."""
    with db.session() as session:
        row = session.execute(select(Record, Sheet, Patient).join(Sheet).join(Patient)
                              .where(Record.id == record_id)).first()
        if row is None:
            raise NotFoundError(f"Enregistrement {record_id} introuvable.")
        record, sheet, patient = row
        summary = _record_summary(record, sheet, patient)
        summary["current"] = record.current
        summary["fields"] = record.values
        summary["items"] = [
            {"entity": i.entity, "rank": i.rank, "item": i.item, "code": i.code,
             "system": i.system, "display": i.display, "text": i.text}
            for i in record.items
        ]
        summary["pages"] = record.pages
        summary["images"] = comment_images(db, sheet)
        return summary


def comment_images(db: Database, sheet: Sheet) -> list[dict[str, Any]]:
    """The handwritten comments of a sheet, kept as images (transcribed or not)."""
    layout = db.home.layout(sheet.layout_id)
    return [
        {"field_id": row.field_id, "item": row.id, "label": layout.field(row.field_id).label,
         "transcribed": row.status in DECIDED and bool(row.final)}
        for row in sorted(sheet.readings, key=lambda r: r.position)
        if comment_kept_as_image(row.kind, row.raw)
    ]


def followup(db: Database) -> dict[str, int]:
    """What the report says of the work left to people: comments kept as images (and how
    many were transcribed), sheets waiting for a clinician's answer."""
    with db.session() as session:
        rows = session.execute(select(Reading.kind, Reading.status, Reading.raw, Reading.final,
                                      Reading.sheet_id)
                               .where(or_(Reading.kind == "free_text",
                                          Reading.status == CLINICIAN))).all()
    comments = [r for r in rows if comment_kept_as_image(r.kind, r.raw)]
    return {
        "comments_as_images": len(comments),
        "comments_transcribed": sum(r.status in DECIDED and bool(r.final) for r in comments),
        "sheets_awaiting_clinician": len({r.sheet_id for r in rows if r.status == CLINICIAN}),
    }


def write_comment_images(db: Database, images: list[dict[str, Any]],
                         folder: Path) -> dict[int, str]:
    """Write the comment images listed (``show_record``'s ``images``) into ``folder``,
    owner-only; returns the file written for each item."""
    written: dict[int, str] = {}
    try:
        folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        with db.session() as session:
            for image in images:
                crop = session.scalar(select(Reading.crop).where(Reading.id == image["item"]))
                if not crop:
                    continue
                target = folder / f"commentaire-{image['item']}.png"
                target.touch(mode=FILE_MODE, exist_ok=True)
                target.chmod(FILE_MODE)
                target.write_bytes(crop)
                written[image["item"]] = str(target)
    except OSError as exc:
        raise OutputError(f"{folder} : écriture impossible ({exc.strerror}).") from exc
    return written


def export_json(db: Database, exclude_patients: frozenset[int] = frozenset(),
                ) -> list[dict[str, Any]]:
    """Every committed sheet (current version) in the documented export form, but those
    of ``exclude_patients``."""
    with db.session() as session:
        rows = session.execute(select(Record, Sheet, Patient).join(Sheet).join(Patient)
                               .where(Record.current.is_(True),
                                      Record.patient_id.not_in(exclude_patients))
                               .order_by(Sheet.serial)).all()
        return [
            {
                "serial": sheet.serial, "kind": sheet.kind, "centre": sheet.centre,
                "committed_at": record.committed_at.isoformat(timespec="seconds"),
                "fields": record.values,
                "record": {"id": record.id, "version": record.version,
                           "patient_ipp": patient.ipp},
            }
            for record, sheet, patient in rows
        ]
