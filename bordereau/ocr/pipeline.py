"""Read a batch of scans: pages in parallel across the machine's cores, then sheets.

Every input page ends in exactly one state (read, blank, refused with a reason) and the
result lists them all; one bad page, file or image never aborts the batch.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from bordereau import clock
from bordereau.forms.codes import PageCode
from bordereau.forms.manifest import Layout
from bordereau.home import Home
from bordereau.ocr import posterior
from bordereau.ocr.engine import EngineSpec
from bordereau.ocr.entries import shown
from bordereau.ocr.inputs import InputNames
from bordereau.ocr.page_reader import PageResult
from bordereau.ocr.pages import collect_inputs
from bordereau.ocr.rules import check_sheet, thesaurus_of
from bordereau.ocr.stream import PageReaders
from bordereau.ocr.stream import Progress as Progress
from bordereau.ocr.trust import apply_thresholds
from bordereau.ocr.types import FieldReading, PageLoadError, PageOutcome, SheetReading

log = logging.getLogger(__name__)


class ReadOptions(BaseModel):
    """How to read a batch."""

    model_config = ConfigDict(frozen=True)

    workers: int | None = None  # None: one per core; 1: in this process
    keep_images: bool = False  # keep upright pages (debug overlays, crops for the base)
    debug_dir: Path | None = None  # write an overlay per page (implies keep_images)
    today: dt.date | None = None
    thresholds: dict[str, float] | None = None  # trust thresholds (None: the shipped ones)
    engine: EngineSpec = Field(default_factory=EngineSpec.from_environment)  # OCR engine


class ReadResult(BaseModel):
    """What ``scan read`` prints, plus the page results for callers that store them."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    sheets: list[SheetReading]
    pages: list[PageOutcome]
    results: list[PageResult] = []
    skipped: list[PageLoadError] = []  # files that are not scans (README, JSON...): no page
    names: dict[Path, str] = {}  # how reports name each file and skipped file

    def to_public(self) -> dict[str, object]:
        """The documented ``scan read --json`` object."""
        return {
            "sheets": [
                {
                    "serial": s.serial, "kind": s.kind, "version": s.version,
                    "centre": s.centre, "layout_id": s.layout_id,
                    "pages_found": s.pages_found, "pages_missing": s.pages_missing,
                    "fields": {k: v.public() for k, v in s.fields.items()},
                }
                for s in self.sheets
            ],
            "pages": [
                {
                    "source": shown(p.name or p.source), "index": p.index, "state": p.state,
                    "serial": p.serial, "page": p.page, "reason": p.reason,
                    "residual_mm": p.residual_mm,
                }
                for p in self.pages
            ],
            "skipped": [
                {"source": shown(self.names.get(s.source, str(s.source))), "reason": s.reason}
                for s in self.skipped
            ],
        }


def read_pages(paths: Sequence[Path], home: Home, options: ReadOptions,
               progress: Progress | None = None, *,
               on_skip: Callable[[PageLoadError], None] | None = None,
               names: InputNames | None = None) -> list[PageResult]:
    """Read every page of every input, in parallel; results in input order.

    Files that are not scans (text, JSON...) have no page: they go to ``on_skip`` (see
    :func:`collect_inputs`). Each outcome is named by ``names`` (default: relative to the
    deepest folder holding ``paths``)."""
    files = collect_inputs(paths, on_skip=on_skip)
    name = names or InputNames(paths)
    results: list[PageResult] = []
    with PageReaders(home, options.workers, options.keep_images,
                     engine=options.engine) as readers:
        for _, file_results in readers.stream(files, progress):
            for result in file_results:
                result.outcome.name = name(result.outcome.source)
            results.extend(file_results)
    return results


def _missing_reading(field_id: str, kind: str, page: int) -> FieldReading:
    return FieldReading(id=field_id, kind=kind, value=None, confidence=0.0,
                        review=True, reason=f"page {page} manquante", page=page)


def finish_sheet(layout: Layout, readings: list[FieldReading], pages_found: set[int],
                 page_reasons: dict[int, str], today: dt.date | None = None,
                 thresholds: dict[str, float] | None = None,
                 ) -> tuple[dict[str, FieldReading], list[int]]:
    """One sheet's final readings: page-level doubts, missing pages, trust thresholds and
    the sheet rules applied; returns the readings in layout order and the missing pages."""
    start = time.perf_counter()
    fields: dict[str, FieldReading] = {}
    for reading in readings:
        reason = page_reasons.get(reading.page)
        if reason and not reading.review:
            reading.review, reading.reason = True, reason
        fields[reading.id] = reading
    missing = [n for n in range(1, layout.form.pages + 1) if n not in pages_found]
    for field in layout.fields:
        if field.page in missing:
            fields[field.id] = _missing_reading(field.id, field.kind, field.page)
    posterior.apply(fields, today or clock.today(), thesaurus_of(layout))
    apply_thresholds(fields, thresholds)
    check_sheet(fields, layout, today)
    review = sum(1 for f in fields.values() if f.review)
    log.info("bordereau (%s) : règles %.3f s, %d champ(s), %d à vérifier, %d page(s) "
             "manquante(s)", layout.form.kind, time.perf_counter() - start, len(fields),
             review, len(missing))
    return {f.id: fields[f.id] for f in layout.fields if f.id in fields}, missing


def assemble(results: list[PageResult], home: Home,
             today: dt.date | None = None,
             thresholds: dict[str, float] | None = None) -> list[SheetReading]:
    """Group read pages into sheets, refuse duplicates, apply rules and trust thresholds."""
    by_serial: dict[str, dict[int, PageResult]] = {}
    for result in results:
        outcome, code = result.outcome, result.code
        if outcome.state != "read" or code is None:
            continue
        pages = by_serial.setdefault(code.sheet, {})
        if code.page in pages:
            first = pages[code.page].outcome
            refuse_duplicate(outcome, code, first.name or first.source.name, first.index)
            continue
        pages[code.page] = result
    sheets = []
    for serial in sorted(by_serial):
        pages = by_serial[serial]
        code = next(iter(pages.values())).code
        assert code is not None
        layout: Layout = home.layout(code.layout_id)
        readings = [r for result in pages.values() for r in result.readings]
        reasons = {n: r.review_reason for n, r in pages.items() if r.review_reason}
        fields, missing = finish_sheet(layout, readings, set(pages), reasons, today, thresholds)
        sheets.append(SheetReading(
            serial=serial, kind=layout.form.kind, version=layout.form.version,
            centre=layout.form.centre.site_code, layout_id=layout.form.layout_id,
            pages_found=sorted(pages), pages_missing=missing, fields=fields))
    return sheets


def refuse_duplicate(outcome: PageOutcome, code: PageCode, source: str, index: int) -> None:
    """Refuse a second copy of a page already read (``source``, page ``index``): the first
    copy wins, in one batch (``assemble``) as against the base (``base.ingest``)."""
    outcome.state = "refused"
    outcome.reason = (f"page en double : la page {code.page} du bordereau {code.sheet} a "
                      f"déjà été lue ({source}, page {index + 1})")


def read_batch(paths: Sequence[Path], home: Home, options: ReadOptions | None = None,
               progress: Progress | None = None) -> ReadResult:
    """Read scans into sheets and page outcomes (nothing is stored)."""
    options = options or ReadOptions()
    if options.debug_dir is not None and not options.keep_images:
        options = options.model_copy(update={"keep_images": True})
    skipped: list[PageLoadError] = []
    names = InputNames(paths)
    results = read_pages(paths, home, options, progress, on_skip=skipped.append, names=names)
    sheets = assemble(results, home, options.today, options.thresholds)
    if options.debug_dir is not None:
        from bordereau.ocr.overlay import write_debug

        for result in results:
            layout = home.layout(result.code.layout_id) if result.code else None
            write_debug(result, layout if result.outcome.state == "read" else None,
                        options.debug_dir, result.thumbnail)
    return ReadResult(sheets=sheets, pages=[r.outcome for r in results], results=results,
                      skipped=skipped, names={s.source: names(s.source) for s in skipped})
