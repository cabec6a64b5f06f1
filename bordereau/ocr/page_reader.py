"""Read one page: blank test, identification, alignment, every field of the page.

This is what each worker process runs. It knows nothing of other pages: the pipeline
groups pages into sheets and applies the sheet-wide rules afterwards. ``align_page`` (find
and verify the page code, warp the scan upright onto its layout) is shared with training.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np

from bordereau.forms.codes import PageCode
from bordereau.forms.model import CHOICE_KINDS, COMB_KINDS
from bordereau.home import Home
from bordereau.ocr import tta
from bordereau.ocr.align import Detection, detect, warp
from bordereau.ocr.aligned import AlignedPage, flatten, paper_level
from bordereau.ocr.blank import is_blank
from bordereau.ocr.combs import DigitModel, LetterModel, read_comb
from bordereau.ocr.engine import EngineSpec, OcrEngine
from bordereau.ocr.engines import make_engine
from bordereau.ocr.freetext import read_free_text
from bordereau.ocr.identify import Located, Refused, locate
from bordereau.ocr.label import read_label
from bordereau.ocr.marks import read_choice
from bordereau.ocr.types import FieldReading, PageImage, PageOutcome

MIN_PX_PER_MM, MAX_PX_PER_MM = 150 / 25.4, 300 / 25.4
PAGE_IMAGE_PX_PER_MM = 4.0  # the whole page kept for reviewers, about 100 dpi


@dataclass
class PageResult:
    """Everything one page gave, sent back from a worker (picklable)."""

    outcome: PageOutcome
    code: PageCode | None = None
    readings: list[FieldReading] = field(default_factory=list)
    review_reason: str | None = None
    aligned: np.ndarray | None = None  # upright page, only when debugging or keeping crops
    px_per_mm: float = 0.0
    detection: Detection | None = None
    thumbnail: np.ndarray | None = None  # the scan, small, for overlays of unread pages
    seconds: dict[str, float] = field(default_factory=dict)  # time spent in each stage
    error: tuple[str, str] | None = None  # internal error: type name, safe traceback
    page_png: bytes | None = None  # the upright page at about 100 dpi, for reviewers
    crops: dict[str, bytes] = field(default_factory=dict)  # field id -> PNG of its box


class Context:
    """What a worker process loads once: the home, its layouts, the readers."""

    def __init__(self, home_path: Path, keep_images: bool = False,
                 engine: EngineSpec | None = None, keep_crops: bool = False) -> None:
        self.home = Home.open(home_path, create=False)
        self.keep_images = keep_images
        self.engine_spec = engine or EngineSpec()
        self.keep_crops = keep_crops  # PNGs of the page and of every field, for the base

    @property
    def digits(self) -> DigitModel:
        """The home's adapted digit model (``models adapt``) when it has one, else the
        shipped one; looked up at each use (a ``stat``; loaded once per version), so a
        long-running reader (``scan watch``, ``scan worker``) takes up a model installed
        or reverted while it runs from its next page."""
        from bordereau.ocr.adapt import home_recognizer

        return home_recognizer(self.home.root)

    @property
    def letters(self) -> LetterModel:
        """The home's own letter model (``models/letters-cnn.npz``) when it has one, else
        the shipped one; looked up at each use like :attr:`digits`."""
        from bordereau.ocr.adapt import home_letters

        return home_letters(self.home.root)

    @cached_property
    def engine(self) -> OcrEngine:
        return make_engine(self.engine_spec)


@dataclass(frozen=True)
class LocatedPage(AlignedPage):
    """An upright page that knows which page of which sheet it is, and how it was found."""

    located: Located
    detection: Detection


def align_page(page: PageImage, ctx: Context,
               seconds: dict[str, float] | None = None) -> LocatedPage | Refused:
    """Find and verify the page code, then warp the scan upright onto the page's layout;
    or the French reason the page must not be read. ``seconds`` receives the time spent
    identifying and aligning."""
    seconds = {} if seconds is None else seconds
    start = time.perf_counter()
    detection = detect(page.pixels, page.dpi)
    located = locate(detection, ctx.home)
    seconds["identify"] = time.perf_counter() - start
    if not isinstance(located, Located):
        return replace(located, detection=detection)
    start = time.perf_counter()
    px_per_mm = float(np.clip(page.dpi / 25.4, MIN_PX_PER_MM, MAX_PX_PER_MM))
    upright = flatten(warp(page.pixels, located.transform, px_per_mm), px_per_mm)
    seconds["align"] = time.perf_counter() - start
    return LocatedPage(upright, px_per_mm, paper_level(upright), located, detection)


def read_fields(aligned: AlignedPage, located: Located, ctx: Context) -> list[FieldReading]:
    """Read every field of the located page from its upright image."""
    readings = []
    layouts = located.layout.fields_on(located.page_number)
    for field_layout in layouts:
        if field_layout.kind in CHOICE_KINDS or field_layout.kind == "boolean":
            reading = read_choice(aligned, field_layout)
        elif field_layout.kind in COMB_KINDS:
            reading = read_comb(aligned, field_layout, ctx.digits, ctx.engine, ctx.letters)
        elif field_layout.kind == "label_zone":
            reading = read_label(aligned, field_layout, ctx.engine)
        else:
            reading = read_free_text(aligned, field_layout)
        readings.append(reading)
    if tta.enabled():
        tta.check_page(aligned, {f.id: f for f in layouts}, readings, ctx.digits)
    return readings


def read_page(page: PageImage, ctx: Context) -> PageResult:
    """Blank, refused or read: the one state of this page, with its readings."""
    base = {"source": page.source, "index": page.index}
    thumbnail = _thumbnail(page.pixels) if ctx.keep_images else None
    start = time.perf_counter()
    blank, _ = is_blank(page)
    seconds = {"blank": time.perf_counter() - start}
    if blank:
        return PageResult(PageOutcome(**base, state="blank", reason="page blanche"),
                          thumbnail=thumbnail, seconds=seconds)
    aligned = align_page(page, ctx, seconds)
    if isinstance(aligned, Refused):
        code = aligned.code
        return PageResult(
            PageOutcome(**base, state="refused", reason=aligned.reason,
                        serial=code.sheet if code else None, page=code.page if code else None),
            detection=aligned.detection, thumbnail=thumbnail, seconds=seconds)
    located = aligned.located
    start = time.perf_counter()
    readings = read_fields(aligned, located, ctx)
    seconds["read"] = time.perf_counter() - start
    transform = located.transform
    outcome = PageOutcome(**base, state="read", serial=located.code.sheet,
                          page=located.code.page, reason=located.review_reason,
                          residual_mm=round(transform.residual_mm, 3),
                          rotation=transform.rotation)
    result = PageResult(outcome, located.code, readings, located.review_reason,
                        aligned.image if ctx.keep_images else None, aligned.px_per_mm,
                        aligned.detection, seconds=seconds)
    return with_crops(result, aligned, located, ctx)


def with_crops(result: PageResult, aligned: AlignedPage, located: Located,
               ctx: Context) -> PageResult:
    """Add, when the context keeps them, the reduced page and every field's crop (PNGs for
    the base: the reading processes never send back whole pages)."""
    if ctx.keep_crops:
        result.page_png = page_png(aligned.image, aligned.px_per_mm)
        result.crops = {r.id: crop_png(aligned.image, aligned.px_per_mm,
                                       located.layout.field(r.id).bounds())
                        for r in result.readings}
    return result


def _thumbnail(pixels: np.ndarray) -> np.ndarray:
    scale = min(1.0, 1200 / max(pixels.shape))
    small: np.ndarray = cv2.resize(pixels, None, fx=scale, fy=scale,
                                   interpolation=cv2.INTER_AREA)
    return small


def page_png(upright: np.ndarray, px_per_mm: float) -> bytes | None:
    """The whole upright page, reduced to about 100 dpi, as PNG (what reviewers see)."""
    scale = PAGE_IMAGE_PX_PER_MM / px_per_mm
    small = cv2.resize(upright, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".png", small)
    return data.tobytes() if ok else None


def crop_png(image: np.ndarray, px_per_mm: float, box: tuple[float, float, float, float],
             margin_mm: float = 2.0) -> bytes:
    """A PNG of a box of the upright page (with some context around it)."""
    x, y, w, h = box
    k = px_per_mm
    x0, y0 = max(0, round((x - margin_mm) * k)), max(0, round((y - margin_mm) * k))
    x1 = min(image.shape[1], round((x + w + margin_mm) * k))
    y1 = min(image.shape[0], round((y + h + margin_mm) * k))
    ok, data = cv2.imencode(".png", image[y0:y1, x0:x1])
    return data.tobytes() if ok else b""
