"""Read a batch of scans: pages in parallel across the machine's cores, then sheets.

Every input page ends in exactly one state (read, blank, refused with a reason) and the
result lists them all; one bad page, file or image never aborts the batch.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from bordereau import logs
from bordereau.errors import MissingToolError
from bordereau.forms.codes import PageCode
from bordereau.forms.manifest import Layout
from bordereau.home import Home
from bordereau.ocr.engine import EngineSpec
from bordereau.ocr.entries import shown
from bordereau.ocr.guards import guard_worker
from bordereau.ocr.inputs import InputNames
from bordereau.ocr.page_reader import Context, PageResult, read_page
from bordereau.ocr.pages import collect_inputs, iter_pages
from bordereau.ocr.rules import check_sheet
from bordereau.ocr.trust import apply_thresholds
from bordereau.ocr.types import FieldReading, PageImage, PageLoadError, PageOutcome, SheetReading

Progress = Callable[[int, int], None]  # (pages done, pages seen so far)
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


_CONTEXT: Context | None = None


def _init_worker(home: Path, keep_images: bool, engine: EngineSpec) -> None:
    global _CONTEXT
    guard_worker()  # dies with its parent, memory capped
    _CONTEXT = Context(home, keep_images, engine)


def _work(page: PageImage) -> PageResult:
    assert _CONTEXT is not None
    return _safe_read(page, _CONTEXT)


def _safe_read(page: PageImage, ctx: Context) -> PageResult:
    try:
        return read_page(page, ctx)
    except MissingToolError:
        raise  # an installation problem, not a page problem: stop and say what is missing
    except Exception as exc:  # one bad page never aborts the batch; the log gets the trace
        return PageResult(PageOutcome(source=page.source, index=page.index, state="refused",
                                      reason=f"page illisible (erreur interne : "
                                             f"{type(exc).__name__})"),
                          error=(type(exc).__name__, logs.safe_traceback(exc)))


STATES = {"read": "lue", "blank": "blanche", "refused": "refusée"}
STAGES = {"decode": "décodage", "blank": "test de page blanche", "identify": "identification",
          "align": "redressement", "read": "lecture des champs"}


def _log_page(result: PageResult, decode_seconds: float) -> None:
    """Log one page's state and stage timings (never a value read), or its internal error."""
    outcome = result.outcome
    where = f"{outcome.source.name}, page {outcome.index + 1}"
    if result.error is not None:
        logs.internal_error(log, where, *result.error)
    seconds = {"decode": decode_seconds, **result.seconds}
    stages = ", ".join(f"{STAGES[k]} {v:.3f} s" for k, v in seconds.items() if k in STAGES)
    sheet = f" (bordereau {outcome.serial}, page {outcome.page})" if outcome.serial else ""
    log.info("%s : %s%s — %s", where, STATES[outcome.state], sheet, stages)
    if result.readings:
        review = sum(1 for r in result.readings if r.review)
        log.debug("%s : %d champ(s) lu(s), %d douteux", where, len(result.readings), review)


def _load_errors(error: PageLoadError) -> PageResult:
    return PageResult(PageOutcome(source=error.source, index=error.index or 0, state="refused",
                                  reason=error.reason))


def _inputs(files: list[Path]) -> Iterator[tuple[PageImage | PageLoadError, float]]:
    """Every page (or load error) with the seconds spent decoding it."""
    for path in files:
        pages = iter_pages(path)
        while True:
            start = time.perf_counter()
            item = next(pages, None)
            if item is None:
                break
            yield item, time.perf_counter() - start


def read_pages(paths: Sequence[Path], home: Home, options: ReadOptions,
               progress: Progress | None = None, *,
               on_skip: Callable[[PageLoadError], None] | None = None,
               names: InputNames | None = None) -> list[PageResult]:
    """Read every page of every input, in parallel; results in input order.

    Files that are not scans (text, JSON...) have no page: they go to ``on_skip`` (see
    :func:`collect_inputs`). Each outcome is named by ``names`` (default: relative to the
    deepest folder holding ``paths``)."""
    workers = options.workers or os.cpu_count() or 1
    results: list[PageResult] = []
    seen = 0
    files = collect_inputs(paths, on_skip=on_skip)

    def tick() -> None:
        if progress:
            progress(len(results), seen)

    if workers == 1:
        ctx = Context(home.root, options.keep_images, options.engine)
        for item, decoding in _inputs(files):
            seen += 1
            results.append(_load_errors(item) if isinstance(item, PageLoadError)
                           else _safe_read(item, ctx))
            _log_page(results[-1], decoding)
            tick()
    else:
        with ProcessPoolExecutor(workers, initializer=_init_worker,
                                 initargs=(home.root, options.keep_images,
                                           options.engine)) as pool:
            pending: dict[Future[PageResult], float] = {}  # -> seconds spent decoding

            def collect(done: Iterable[Future[PageResult]]) -> None:
                for future in done:
                    results.append(future.result())
                    _log_page(results[-1], pending.pop(future))
                tick()

            for item, decoding in _inputs(files):
                seen += 1
                if isinstance(item, PageLoadError):
                    results.append(_load_errors(item))
                    _log_page(results[-1], decoding)
                    tick()
                    continue
                pending[pool.submit(_work, item)] = decoding
                if len(pending) >= 2 * workers:
                    collect(wait(pending, return_when=FIRST_COMPLETED).done)
            for future in list(pending):
                collect([future])
    order = {p: n for n, p in enumerate(files)}
    results.sort(key=lambda r: (order.get(r.outcome.source, len(order)), r.outcome.index))
    name = names or InputNames(paths)
    for result in results:
        result.outcome.name = name(result.outcome.source)
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
