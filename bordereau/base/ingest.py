"""Ingest scans into the base: store files, pages, sheets and readings, commit what is sure.

Files are content-addressed (SHA-256): the same bytes ingested twice change nothing. Each
new file is read by the reading processes (which send back the crops of its fields and a
reduced page image, never the whole page), copied into the scan store (``scans/`` in the
home, owner-only) and stored in its own transaction as soon as its last page is read; the
write lock is held only for that write, never while reading. Sheets whose fields are all
trusted are committed at once; the others wait for review; sheets with a page missing wait
for it (a later scan of that page completes the sheet).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bordereau.base.engine import Database
from bordereau.base.schema import Page, Reading, ScanFile, Sheet
from bordereau.base.sheets import refresh_sheet
from bordereau.files import DIR_MODE, FILE_MODE
from bordereau.ocr.page_reader import PageResult
from bordereau.ocr.pages import collect_inputs
from bordereau.ocr.pipeline import refuse_duplicate
from bordereau.ocr.stream import PageReaders, Progress
from bordereau.ocr.types import PageLoadError


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


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _store(db: Database, path: Path, sha: str) -> str:
    store = db.home.root / "scans"
    store.mkdir(mode=DIR_MODE, exist_ok=True)
    target = store / f"{sha}{path.suffix.lower()}"
    if not target.exists():
        shutil.copyfile(path, target)
        target.chmod(FILE_MODE)
    return target.name


class Ingestor:
    """Put scans into the base of one establishment."""

    def __init__(self, db: Database, user: str, today: dt.date | None = None) -> None:
        self.db = db
        self.user = user
        self.today = today

    def ingest(self, paths: Sequence[Path], workers: int | None = None,
               progress: Progress | None = None) -> IngestReport:
        """Ingest files and folders; returns what happened to every file and page.

        Files stream through reading: each one is stored and committed in its own short
        write as soon as its last page is read, while the next ones are being read.
        """
        skipped: list[PageLoadError] = []
        files = collect_inputs(paths, on_skip=skipped.append)
        report = IngestReport(files=[], pages={}, refused=[], sheets={})
        for error in skipped:
            report.files.append(IngestedFile(path=str(error.source), sha256=None,
                                             reason=error.reason))
        fresh = self.new_files(files, report)
        statuses: dict[str, str] = {}
        with PageReaders(self.db.home, workers, keep_crops=True) as readers:
            for path, results in readers.stream(fresh, progress):
                self.store_file(path, fresh[path], results, report, statuses)
        report.sheets = sheets_by_status(statuses)
        return report

    def new_files(self, files: Sequence[Path], report: IngestReport) -> dict[Path, str]:
        """The files whose bytes the base does not hold yet (with their SHA-256); the
        others are reported as already ingested."""
        fresh: dict[Path, str] = {}
        with self.db.session() as session:
            for path in files:
                sha = sha256_of(path)
                known = session.scalars(select(ScanFile).where(ScanFile.sha256 == sha)).first()
                if known is not None or sha in fresh.values():
                    report.files.append(IngestedFile(path=str(path), sha256=sha, already=True,
                                                     pages=len(known.pages) if known else 0))
                else:
                    fresh[path] = sha
        return fresh

    def stored_pages(self, sha: str) -> list[tuple[int, str, str | None]] | None:
        """(index, state, reason) of every page of a stored file; None if not stored."""
        with self.db.session() as session:
            known = session.scalars(select(ScanFile).where(ScanFile.sha256 == sha)).first()
            if known is None:
                return None
            return [(p.index, p.state, p.reason) for p in known.pages]

    def store_file(self, path: Path, sha: str, results: list[PageResult],
                   report: IngestReport, statuses: dict[str, str],
                   also: Callable[[Session], bool] | None = None,
                   name: str | None = None) -> bool:
        """Store one read file, its pages and what they change, in one transaction (under
        the write lock only for that time). False when the base already had it (another
        process stored the same bytes meanwhile), or when ``also`` — run in the same
        transaction before the file is stored — says not to store it."""
        for attempt in range(3):
            try:
                with self.db.writing(), self.db.session() as session:
                    known = session.scalars(select(ScanFile.id)
                                            .where(ScanFile.sha256 == sha)).first()
                    if also is not None and not also(session):
                        session.commit()
                        return False
                    if known is not None:
                        session.commit()
                        report.files.append(IngestedFile(path=str(path), sha256=sha,
                                                         already=True, pages=len(results)))
                        return False
                    touched = self._store_pages(session, path, sha, results, name)
                    session.commit()
                break
            except IntegrityError:  # a concurrent writer created the same file or sheet
                if attempt == 2:
                    raise
        statuses.update(touched)
        report.files.append(IngestedFile(path=str(path), sha256=sha, pages=len(results)))
        for result in results:
            outcome = result.outcome
            report.pages[outcome.state] = report.pages.get(outcome.state, 0) + 1
            if outcome.state == "refused":
                report.refused.append({"file": str(path), "page": outcome.index + 1,
                                       "reason": outcome.reason})
        return True

    def _store_pages(self, session: Session, path: Path, sha: str,
                     results: list[PageResult], name: str | None = None) -> dict[str, str]:
        """Add the file, its pages and readings; refresh the sheets they belong to.
        Returns the status of every sheet touched."""
        file_row = ScanFile(sha256=sha, name=(name or str(path))[-255:],
                            size=path.stat().st_size,
                            stored_as=_store(self.db, path, sha), ingested_by=self.user)
        session.add(file_row)
        session.flush()
        touched: dict[str, Sheet] = {}
        for result in results:
            outcome = result.outcome
            sheet = self._sheet_for(session, result)  # may refuse the page: decided first
            page = Page(file_id=file_row.id, index=outcome.index, state=outcome.state,
                        reason=outcome.reason, serial=outcome.serial,
                        page_number=outcome.page, residual_mm=outcome.residual_mm,
                        rotation=outcome.rotation, image=result.page_png)
            session.add(page)
            if sheet is not None:
                self._attach(session, sheet, page, result)
                touched[sheet.serial] = sheet
            session.flush()
        for sheet in touched.values():
            refresh_sheet(session, sheet, self.db.home.layout(sheet.layout_id), self.user,
                          self.today)
        return {serial: sheet.status for serial, sheet in touched.items()}

    def _sheet_for(self, session: Session, result: PageResult) -> Sheet | None:
        """The sheet a read page belongs to (created on first sight, locked against a
        reviewer's concurrent decision); None, with the page refused, for a second copy of
        a page or a page of a sheet already committed."""
        code = result.code
        if result.outcome.state != "read" or code is None:
            return None
        sheet = session.scalars(select(Sheet).where(Sheet.serial == code.sheet)
                                .with_for_update()).first()
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
        layout = self.db.home.layout(code.layout_id)
        order = {f.id: n for n, f in enumerate(layout.fields)}
        for reading in result.readings:
            session.add(Reading(
                sheet_id=sheet.id, page=page, field_id=reading.id, kind=reading.kind,
                page_number=code.page, position=order[reading.id],
                raw=reading.model_dump(mode="json"), value=reading.value,
                confidence=reading.confidence, reason=reading.reason,
                status="pending" if reading.review else "trusted",
                crop=result.crops.get(reading.id)))
        session.flush()
        session.refresh(sheet)


def sheets_by_status(statuses: dict[str, str]) -> dict[str, list[str]]:
    """The report's ``sheets``: status -> serials (each sheet under its latest status)."""
    grouped: dict[str, list[str]] = {}
    for serial, status in statuses.items():
        grouped.setdefault(status, []).append(serial)
    return grouped
