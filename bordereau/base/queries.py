"""Read-only views of the base: ingestion status, records, the JSON export."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from bordereau.base.engine import Database
from bordereau.base.schema import Page, Patient, Reading, Record, ScanFile, Sheet
from bordereau.base.store import check_store
from bordereau.errors import NotFoundError


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
            Reading.status == "pending", Sheet.status == "waiting_review")) or 0
        waiting = []
        for sheet in session.scalars(select(Sheet).where(Sheet.status == "waiting_pages")
                                     .order_by(Sheet.serial)):
            found = {p.page_number for p in sheet.pages if p.state == "read"}
            waiting.append({"serial": sheet.serial, "missing": [
                n for n in range(1, sheet.pages_expected + 1) if n not in found]})
        files = session.scalar(select(func.count()).select_from(ScanFile)) or 0
    return {
        "files": files,
        "pages": {state: pages.get(state, 0) for state in ("read", "blank", "refused")},
        "pages_total": sum(pages.values()),
        "refused": refused,
        "sheets": {state: sheets.get(state, 0)
                   for state in ("committed", "waiting_review", "waiting_pages")},
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
        return summary


def export_json(db: Database) -> list[dict[str, Any]]:
    """Every committed sheet (current version) in the documented export form."""
    with db.session() as session:
        rows = session.execute(select(Record, Sheet, Patient).join(Sheet).join(Patient)
                               .where(Record.current.is_(True)).order_by(Sheet.serial)).all()
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
