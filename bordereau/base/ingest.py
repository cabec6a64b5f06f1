"""Ingest scans into the base: store files, pages, sheets and readings, commit what is sure.

Files are content-addressed (SHA-256): the same bytes ingested twice change nothing. Each
new file is copied into the scan store (``scans/`` in the home, owner-only), read with the
reading pipeline, and stored in one transaction per batch. Sheets whose fields are all
trusted are committed at once; the others wait for review; sheets with a page missing wait
for it (a later scan of that page completes the sheet).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

import cv2
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from bordereau.base.engine import Database
from bordereau.base.mixing import copy_reason, flag_identity_page, late_reason, other_patient
from bordereau.base.schema import Page, Reading, ScanFile, Sheet, utcnow
from bordereau.base.sheets import refresh_sheet
from bordereau.base.store import Damage, ScanStore, check_store
from bordereau.ocr.engine import EngineSpec
from bordereau.ocr.entries import open_regular, os_reason, shown
from bordereau.ocr.inputs import InputNames, require_inputs
from bordereau.ocr.page_reader import PageResult, crop_png
from bordereau.ocr.pages import collect_inputs
from bordereau.ocr.pipeline import Progress, ReadOptions, read_pages, refuse_duplicate
from bordereau.ocr.types import PageLoadError

log = logging.getLogger(__name__)
PAGE_IMAGE_PX_PER_MM = 4.0  # the whole page kept for reviewers, about 100 dpi


class IngestedFile(BaseModel):
    """What became of one input file."""

    path: str
    sha256: str | None
    already: bool = False
    pages: int = 0
    reason: str | None = None  # French, for a file that could not be taken


class IngestReport(BaseModel):
    """The result of ``scan ingest``."""

    files: list[IngestedFile]
    pages: dict[str, int]  # state -> count (this run)
    refused: list[dict[str, object]]  # {"file", "page", "reason"}
    sheets: dict[str, list[str]]  # status -> serials touched by this run
    store: list[Damage] = []  # damaged copies in the scan store (repaired or not)
    partial: bool = Field(False, exclude=True)  # a file was refused (not merely ignored)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open_regular(path) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _hash_or_refuse(path: Path, report: IngestReport) -> str | None:
    """The file's SHA-256, or None with the French reason in ``report`` (gone, unreadable)."""
    try:
        return sha256_of(path)
    except OSError as error:
        reason = f"« {shown(path.name)} » refusé : fichier illisible ({os_reason(error)})"
        report.files.append(IngestedFile(path=shown(path), sha256=None, reason=reason))
        report.partial = True
        return None


def _store(db: Database, path: Path, sha: str) -> str:
    return ScanStore(db.home.root).put(path, sha)


def _check_store(session: Session, db: Database, report: IngestReport) -> dict[str, Damage]:
    """Clean after killed copies and find damaged copies, by the stored name."""
    ScanStore(db.home.root).clean_temporaries()
    damaged = {d.stored_as: d for d in check_store(session, db.home.root)}
    report.store = list(damaged.values())
    return damaged


def _repair(db: Database, path: Path, known: ScanFile, damaged: dict[str, Damage]) -> None:
    """Re-copy a damaged stored copy from the same original, given again."""
    damage = damaged.get(known.stored_as)
    if damage is not None:
        known.stored_as = _store(db, path, known.sha256)
        damage.repaired = True


def _page_png(result: PageResult) -> bytes | None:
    if result.aligned is None:
        return None
    scale = PAGE_IMAGE_PX_PER_MM / result.px_per_mm
    small = cv2.resize(result.aligned, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".png", small)
    return data.tobytes() if ok else None


class Ingestor:
    """Put scans into the base of one establishment."""

    def __init__(self, db: Database, user: str, today: dt.date | None = None,
                 engine: EngineSpec | None = None) -> None:
        self.db = db
        self.user = user
        self.today = today
        self.engine = engine or EngineSpec.from_environment()
        self._reopened: dict[str, Sheet] = {}  # sheets a photocopy sends back to review

    def ingest(self, paths: Sequence[Path], workers: int | None = None,
               progress: Progress | None = None) -> IngestReport:
        """Ingest files and folders; returns what happened to every file and page.

        A path that does not exist stops everything before anything is read (the same
        error as ``scan read``); files are named relative to the folder given."""
        require_inputs(paths)
        names = InputNames(paths)
        skipped: list[PageLoadError] = []
        files = collect_inputs(paths, on_skip=skipped.append)
        report = IngestReport(files=[], pages={}, refused=[], sheets={})
        for error in skipped:
            report.files.append(IngestedFile(path=shown(names(error.source)), sha256=None,
                                             reason=error.reason))
            report.partial = report.partial or not error.ignored
        with self.db.batch():
            fresh: dict[Path, str] = {}
            with self.db.session() as session:
                damaged = _check_store(session, self.db, report)
                for path in files:
                    sha = _hash_or_refuse(path, report)
                    if sha is None:
                        continue
                    known = session.scalars(select(ScanFile).where(ScanFile.sha256 == sha)).first()
                    if known is not None:
                        _repair(self.db, path, known, damaged)
                    if known is not None or sha in fresh.values():
                        report.files.append(IngestedFile(path=shown(names(path)), sha256=sha,
                                                         already=True,
                                                         pages=len(known.pages) if known else 0))
                    else:
                        fresh[path] = sha
                session.commit()  # the repaired copies' names
            if not fresh:
                return report
            options = ReadOptions(workers=workers, keep_images=True, today=self.today,
                                  engine=self.engine)
            results = read_pages(list(fresh), self.db.home, options, progress, names=names)
            with self.db.session() as session:
                self._store_batch(session, fresh, results, report, names)
                session.commit()
        log.info("intégration : %d fichier(s) nouveau(x), %d déjà intégré(s) ; pages %s ; "
                 "bordereaux %s", len(fresh), sum(f.already for f in report.files),
                 report.pages, {k: len(v) for k, v in report.sheets.items()})
        return report

    def _store_batch(self, session: Session, fresh: dict[Path, str],
                     results: list[PageResult], report: IngestReport,
                     names: InputNames) -> None:
        rows: dict[Path, ScanFile] = {}
        for path, sha in fresh.items():
            row = ScanFile(sha256=sha, name=shown(path)[-255:], size=path.stat().st_size,
                           stored_as=_store(self.db, path, sha), ingested_by=self.user)
            session.add(row)
            rows[path] = row
        session.flush()
        touched: dict[str, Sheet] = {}
        for result in results:
            outcome = result.outcome
            file_row = rows.get(outcome.source)
            if file_row is None:  # a file that failed as a whole, before any page
                continue
            sheet = self._sheet_for(session, result)  # may refuse the page: decided first
            page = Page(file_id=file_row.id, index=outcome.index, state=outcome.state,
                        reason=outcome.reason, serial=outcome.serial,
                        page_number=outcome.page, residual_mm=outcome.residual_mm,
                        rotation=outcome.rotation, image=_page_png(result))
            session.add(page)
            if sheet is not None:
                self._attach(session, sheet, page, result)
                touched[sheet.serial] = sheet
            session.flush()
        touched.update(self._reopened)
        self._reopened.clear()
        for sheet in touched.values():
            refresh_sheet(session, sheet, self.db.home.layout(sheet.layout_id), self.user,
                          self.today)
            report.sheets.setdefault(sheet.status, []).append(sheet.serial)
        for path in fresh:
            pages = [r.outcome for r in results if r.outcome.source == path]
            report.files.append(IngestedFile(path=shown(names(path)), sha256=fresh[path],
                                             pages=len(pages)))
            for outcome in pages:
                report.pages[outcome.state] = report.pages.get(outcome.state, 0) + 1
                if outcome.state == "refused":
                    report.refused.append({"file": outcome.name, "page": outcome.index + 1,
                                           "reason": outcome.reason})

    def _sheet_for(self, session: Session, result: PageResult) -> Sheet | None:
        """The sheet a read page belongs to (created on first sight); None, with the page
        refused, for a second copy of a page or a page of a sheet already committed."""
        code = result.code
        if result.outcome.state != "read" or code is None:
            return None
        sheet = session.scalars(select(Sheet).where(Sheet.serial == code.sheet)).first()
        if sheet is None:
            sheet = Sheet(serial=code.sheet, kind=code.kind, version=code.version,
                          layout_id=code.layout_id, centre=code.site,
                          pages_expected=code.pages, status="waiting_pages")
            session.add(sheet)
            session.flush()
        earlier = next((p for p in sheet.pages if p.page_number == code.page
                        and p.state == "read"), None)
        if earlier is not None:
            refuse_duplicate(result.outcome, code, earlier.file.name, earlier.index)
            if other_patient(result.readings, earlier, list(sheet.readings)):
                result.outcome.reason = copy_reason(code.page, code.sheet)
                if sheet.status != "committed":
                    flag_identity_page(earlier, shown(result.outcome.source.name),
                                       result.outcome.index)
                    self._reopened[sheet.serial] = sheet
            return None
        if sheet.status == "committed":
            result.outcome.state = "refused"
            result.outcome.reason = f"bordereau {code.sheet} déjà enregistré : page ignorée"
            return None
        return sheet

    def _attach(self, session: Session, sheet: Sheet, page: Page, result: PageResult) -> None:
        """Attach a read page and its readings to its sheet."""
        code = result.code
        assert code is not None
        page.sheet = sheet
        late = late_reason(sheet, page, utcnow())
        if late is not None:  # far from the sheet's first pages: a reviewer confirms
            page.reason = result.outcome.reason = page.reason or late
        layout = self.db.home.layout(code.layout_id)
        order = {f.id: n for n, f in enumerate(layout.fields)}
        for reading in result.readings:
            field = layout.field(reading.id)
            box = field.bounds()
            crop = (crop_png(result.aligned, result.px_per_mm, box)
                    if result.aligned is not None else None)
            session.add(Reading(
                sheet_id=sheet.id, page=page, field_id=reading.id, kind=reading.kind,
                page_number=code.page, position=order[reading.id],
                raw=reading.model_dump(mode="json"), value=reading.value,
                confidence=reading.confidence, reason=reading.reason,
                status="pending" if reading.review else "trusted", crop=crop))
        session.flush()
        session.refresh(sheet)
