"""Read scan files as a stream: pages in parallel, results handed back file by file.

A :class:`PageReaders` keeps a pool of reading processes (or reads in this process with
one worker) for as long as it is open, so a long-running caller (a batch, the hot folder,
a queue worker) loads the models once. :meth:`PageReaders.stream` keeps at most a few
pages in flight whatever the size of the batch, and yields each file's page results, in
input order, as soon as its last page is read: the caller stores one file while the next
ones are being read, and memory does not grow with the batch.

A PDF is opened once here (PDFium), for its page count and to see whether it has form
fields (only then does pypdf read them, ``ocr/fillable.py``); its pages are sent to the
reading processes by reference (file, page number) and each process decodes its own
pages, so no page's pixels are ever held, pickled or copied in this process. Other image
files (TIFF, PNG, JPEG) are decoded here and sent as pixels.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from types import TracebackType

import cv2
from threadpoolctl import threadpool_limits

from bordereau import logs
from bordereau.errors import MissingToolError
from bordereau.home import Home
from bordereau.ocr.engine import EngineSpec
from bordereau.ocr.guards import guard_worker
from bordereau.ocr.page_reader import Context, PageResult, read_page
from bordereau.ocr.pages import OpenPdf, iter_pages, no_page, open_source, pdf_page
from bordereau.ocr.types import PageImage, PageLoadError, PageOutcome

Progress = Callable[[int, int], None]  # (pages done, pages seen so far)
IN_FLIGHT_PER_WORKER = 2  # pages decoded ahead per process: enough to keep every core busy
log = logging.getLogger(__name__)
STATES = {"read": "lue", "blank": "blanche", "refused": "refusée"}
STAGES = {"decode": "décodage", "blank": "test de page blanche", "identify": "identification",
          "align": "redressement", "read": "lecture des champs"}

_CONTEXT: Context | None = None
_PDF: OpenPdf | None = None  # the PDF a reading process last decoded a page of, kept open


def _init_worker(home: Path, keep_images: bool, keep_crops: bool, engine: EngineSpec) -> None:
    global _CONTEXT
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    guard_worker()  # dies with its parent, memory capped
    _CONTEXT = Context(home, keep_images, engine, keep_crops)


def single_threaded() -> Callable[[], None]:
    """One thread for OpenCV, BLAS and OpenMP in this process (and the processes it forks
    from now on) while pages are read, by reading processes or, with one worker, here;
    returns what restores the previous settings.

    The pool already runs one process per core, and extra threads only spin against each
    other (on this 2-core machine they cost 40 % of the CPU time of a page). It is set in
    the parent before the pool forks: changing OpenCV's thread pool in a forked child
    whose parent had used it deadlocks."""
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    limits = threadpool_limits(1)

    def restore() -> None:
        limits.restore_original_limits()
        cv2.setNumThreads(threads)

    return restore


def _ready() -> None:
    """Nothing: submitted once so that the pool forks its processes at once."""


def _work(page: PageImage) -> PageResult:
    assert _CONTEXT is not None
    return safe_read(page, _CONTEXT)


def _work_pdf(path: Path, index: int, identity: tuple[int, ...]) -> PageResult:
    """Decode page ``index`` of the PDF at ``path`` in this reading process, and read it."""
    assert _CONTEXT is not None
    start = time.perf_counter()
    page = _pdf_page_here(path, index, identity)
    decoding = time.perf_counter() - start
    result = load_error(page) if isinstance(page, PageLoadError) else safe_read(page, _CONTEXT)
    del page
    result.seconds["decode"] = decoding
    return result


def _pdf_page_here(path: Path, index: int, identity: tuple[int, ...]
                   ) -> PageImage | PageLoadError:
    """A page of ``path``, from the document this process keeps open (opened on the first
    page of each file it is sent; again when the file at that path is another one, as in a
    hot folder where a scanner reuses a name)."""
    global _PDF
    if _PDF is None or _PDF.path != path or _PDF.identity != identity:
        if _PDF is not None:
            _PDF.document.close()
            _PDF = None
        opened = open_source(path)
        if not isinstance(opened, OpenPdf):  # the file changed since it was opened
            reason = opened.reason if isinstance(opened, PageLoadError) else "page PDF illisible"
            return PageLoadError(source=path, index=index, reason=reason)
        _PDF = opened
    return pdf_page(_PDF, index)


def safe_read(page: PageImage, ctx: Context) -> PageResult:
    """Read one page; any failure becomes a refused page with its reason (French)."""
    try:
        return read_page(page, ctx)
    except MissingToolError:
        raise  # an installation problem, not a page problem: stop and say what is missing
    except Exception as exc:  # one bad page never aborts the batch; the log gets the trace
        return PageResult(PageOutcome(source=page.source, index=page.index, state="refused",
                                      reason=f"page illisible (erreur interne : "
                                             f"{type(exc).__name__})"),
                          error=(type(exc).__name__, logs.safe_traceback(exc)))


def log_page(result: PageResult, decode_seconds: float) -> None:
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


def load_error(error: PageLoadError) -> PageResult:
    """A page (or a whole file) that could not be decoded, as a refused page."""
    return PageResult(PageOutcome(source=error.source, index=error.index or 0, state="refused",
                                  reason=error.reason))


class PageReaders:
    """Reading processes for one establishment, open for as long as the caller needs."""

    def __init__(self, home: Home, workers: int | None = None, keep_images: bool = False,
                 keep_crops: bool = False, engine: EngineSpec | None = None) -> None:
        self.home = home
        self.workers = workers or os.cpu_count() or 1
        self.keep_images = keep_images
        self.keep_crops = keep_crops
        self.engine = engine or EngineSpec.from_environment()
        self._pool: ProcessPoolExecutor | None = None
        self._ctx: Context | None = None
        self._typed_ctx: Context | None = None  # fillable PDFs are read in this process
        self._restore: Callable[[], None] | None = None

    def __enter__(self) -> PageReaders:
        self._restore = single_threaded()  # one reader per core: extra threads only spin
        if self.workers == 1:
            self._ctx = Context(self.home.root, self.keep_images, self.engine, self.keep_crops)
        else:
            self._pool = ProcessPoolExecutor(
                self.workers, initializer=_init_worker,
                initargs=(self.home.root, self.keep_images, self.keep_crops, self.engine))
            # What this process has loaded is shared with the forked readers until written
            # to: frozen, their garbage collector never walks (and so never copies) it.
            gc.freeze()
            try:
                self._pool.submit(_ready).result()  # every process forks now
            finally:
                gc.unfreeze()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close(cancel=error is not None)

    def close(self, cancel: bool = False) -> None:
        """Stop the reading processes (dropping queued pages when ``cancel``)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=cancel)
            self._pool = None
        if self._restore is not None:
            self._restore()
            self._restore = None
        self._ctx = None
        self._typed_ctx = None

    def stream(self, files: Iterable[Path], progress: Progress | None = None
               ) -> Iterator[tuple[Path, list[PageResult]]]:
        """Each file with its page results (in page order), files in the given order."""
        state = _Stream(progress)
        pending: dict[Future[PageResult], tuple[int, float]] = {}  # -> file, decoding s
        for number, path in enumerate(files):
            state.start(number, path)
            opened = open_source(path)
            if isinstance(opened, OpenPdf):
                try:
                    yield from self._pdf(number, opened, state, pending)
                finally:
                    opened.document.close()
            else:  # an image file decoded here, or why the file cannot be read
                items = iter([opened]) if isinstance(opened, PageLoadError) else iter_pages(path)
                for item, decoding in _timed(items):
                    state.item(number)
                    if isinstance(item, PageLoadError):
                        state.done(number, load_error(item), decoding)
                    elif self._pool is None:
                        state.done(number, self._read_here(item), decoding)
                    else:
                        self._submit(pending, state, number, decoding, _work, item)
                        del item  # the worker has its copy: keep no page here
                    yield from state.ready()
            state.finish(number)
            yield from state.ready()
        while pending:
            self._collect(pending, state)
            yield from state.ready()

    def _pdf(self, number: int, opened: OpenPdf, state: _Stream,
             pending: dict[Future[PageResult], tuple[int, float]]
             ) -> Iterator[tuple[Path, list[PageResult]]]:
        """Read every page of an opened PDF: from its fields when it was filled on screen
        (issue 13), else each page decoded where it is read."""
        typed = self._read_typed(opened) if opened.has_form else None
        for result in typed or []:
            state.item(number)
            state.done(number, result, 0.0)
        if typed is not None:
            return
        if opened.pages == 0:
            state.item(number)
            state.done(number, load_error(no_page(opened.path)), 0.0)
        for index in range(opened.pages):
            state.item(number)
            if self._pool is None:
                start = time.perf_counter()
                page = pdf_page(opened, index)
                decoding = time.perf_counter() - start
                result = (load_error(page) if isinstance(page, PageLoadError)
                          else self._read_here(page))
                del page
                state.done(number, result, decoding)
            else:
                self._submit(pending, state, number, 0.0, _work_pdf, opened.path, index,
                             opened.identity)
            yield from state.ready()

    def _read_here(self, page: PageImage) -> PageResult:
        assert self._ctx is not None, "PageReaders used outside its with block"
        return safe_read(page, self._ctx)

    def _submit(self, pending: dict[Future[PageResult], tuple[int, float]], state: _Stream,
                number: int, decoding: float, work: Callable[..., PageResult],
                *args: object) -> None:
        """Hand one page to the pool, then wait while the window of pages is full."""
        assert self._pool is not None
        pending[self._pool.submit(work, *args)] = (number, decoding)
        while len(pending) >= IN_FLIGHT_PER_WORKER * self.workers:
            self._collect(pending, state)

    def _read_typed(self, opened: OpenPdf) -> list[PageResult] | None:
        """The pages of a fillable PDF of ours, read from its fields (``ocr/fillable.py``);
        None for any other file, or when its fields cannot be read (the scanner path then
        reads it and says what is wrong)."""
        from bordereau.ocr.fillable import read_typed_file, typed_pages  # pypdf: only here

        pages = typed_pages(opened.path)
        if pages is None:
            return None
        if self._typed_ctx is None:
            self._typed_ctx = Context(self.home.root, self.keep_images, self.engine,
                                      self.keep_crops)
        try:
            return read_typed_file(opened.path, pages, self._typed_ctx, opened.document)
        except MissingToolError:
            raise
        except Exception as exc:  # PDFium disagrees with pypdf
            log.debug("%s : lecture des champs impossible (%s)", opened.path.name, exc)
            return None

    @staticmethod
    def _collect(pending: dict[Future[PageResult], tuple[int, float]], state: _Stream) -> None:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            state.done(*_with_result(pending.pop(future), future.result()))


def _with_result(where: tuple[int, float], result: PageResult
                 ) -> tuple[int, PageResult, float]:
    return where[0], result, where[1]


def _timed(items: Iterator[PageImage | PageLoadError]
           ) -> Iterator[tuple[PageImage | PageLoadError, float]]:
    """Every page (or load error) with the seconds spent decoding it."""
    while True:
        start = time.perf_counter()
        item = next(items, None)
        if item is None:
            return
        yield item, time.perf_counter() - start


class _Stream:
    """Bookkeeping of one stream: which files are complete, what to hand back next."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.seen = 0
        self.read = 0
        self.paths: dict[int, Path] = {}
        self.results: dict[int, list[PageResult]] = {}
        self.items: dict[int, int] = {}  # pages decoded (or failed) so far, per file
        self.finished: set[int] = set()
        self.next = 0

    def start(self, number: int, path: Path) -> None:
        self.paths[number] = path
        self.results[number] = []
        self.items[number] = 0

    def item(self, number: int) -> None:
        self.seen += 1
        self.items[number] += 1

    def done(self, number: int, result: PageResult, decoding: float) -> None:
        log_page(result, decoding)
        self.results[number].append(result)
        self.read += 1
        if self.progress:
            self.progress(self.read, self.seen)

    def finish(self, number: int) -> None:
        self.finished.add(number)

    def ready(self) -> Iterator[tuple[Path, list[PageResult]]]:
        """The files, in order, whose every page is read (each handed back once)."""
        while (self.next in self.finished
               and len(self.results[self.next]) == self.items[self.next]):
            number = self.next
            self.next += 1
            results = sorted(self.results.pop(number), key=lambda r: r.outcome.index)
            del self.items[number]
            self.finished.discard(number)
            yield self.paths.pop(number), results
