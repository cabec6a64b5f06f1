"""Read PDFs filled on screen (``forms generate --fillable``) from their form fields.

The reading stream (``ocr/stream.py``) asks :func:`typed_pages` of every input file; a PDF
whose AcroForm has fields of ours (named ``bdx-…``, see ``forms.fillable``) is read here by
:func:`read_typed_file`, one :class:`PageResult` per page, exactly what the scanner path
returns (crops included), so the pipeline assembles sheets, applies the trust thresholds
and the sheet rules, and the base stores and queues them the same way. Every other file
goes on to the scanner path.

Each page is rendered (PDFium, with its fields) and identified by its signed page code
through the scanner path's own ``align_page``: a page whose code was altered, that comes
from another establishment or that is not one of our forms is refused with the same
reason as a scan. The page's fields must all carry the serial of its code (a page of one
sheet with the fields of another is refused). Values are then taken from the fields (no
recognition) and checked as untrusted input (``ocr.typed``).

Ink on the PDF: when a page carries annotations drawn with a reader's pen, text-box or
stamp tools, the page is also read by the scanner path (at 300 dpi); a field left empty
on screen takes what the ink gives, a typed field keeps its typed value. Ink added by
rewriting the page content itself (rare: editors, not readers) is not looked for. A
filled PDF that was printed and scanned is an image: it goes through the scanner path.
"""

from __future__ import annotations

import logging
import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import pypdfium2 as pdfium
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, NameObject

from bordereau.forms.fillable import PREFIX
from bordereau.ocr.entries import sniff_path
from bordereau.ocr.identify import Refused
from bordereau.ocr.page_reader import (
    Context,
    PageResult,
    align_page,
    read_fields,
    read_page,
    with_crops,
)
from bordereau.ocr.typed import RawValue, is_typed, typed_reading
from bordereau.ocr.types import PageImage, PageOutcome

log = logging.getLogger(__name__)
RENDER_DPI, INK_DPI = 200.0, 300.0
NAME = re.compile(r"^bdx-(\d{6,12})-([a-z0-9_-]{1,120})$")
NOT_INK = frozenset({"/Widget", "/Link", "/Popup"})


@dataclass
class TypedPage:
    """What the AcroForm says about one page: its fields' raw values and serials."""

    values: dict[str, RawValue] = field(default_factory=dict)
    serials: set[str] = field(default_factory=set)
    ink: bool = False  # annotations drawn over the page (pen, text box, stamp...)


def _text(value: object) -> RawValue:
    """A field value as text: strings as they are, names without "/", the rest refused."""
    if value is None:
        return None
    if isinstance(value, NameObject):
        return str(value)[1:]
    if isinstance(value, str):  # TextStringObject
        return str(value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return "\x00"  # an array or a dictionary where a value was expected: refused by checks


def _widget_value(annot: DictionaryObject) -> tuple[str, RawValue] | None:
    """The field name and raw value of one widget (its own, or its radio group's)."""
    owner = annot
    if "/T" not in annot and "/Parent" in annot:
        parent = annot["/Parent"].get_object()
        if not isinstance(parent, DictionaryObject):
            return None
        owner = parent
    name = owner.get("/T")
    if not isinstance(name, str) or not name.startswith(PREFIX):
        return None
    value = owner.get("/V")
    if value is None and owner.get("/FT") == "/Btn" and "/Kids" not in owner:
        value = annot.get("/AS")
    return str(name), _text(value)


def typed_pages(path: Path) -> list[TypedPage] | None:
    """The fields of each page when ``path`` is a PDF with fields of ours, else None."""
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)  # a damaged scan is the scanner path's to report
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _typed_pages(path)
    finally:
        pypdf_log.setLevel(level)


def _typed_pages(path: Path) -> list[TypedPage] | None:
    try:
        if sniff_path(path) != "pdf":
            return None
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            return None
        form = cast(DictionaryObject, reader.trailer["/Root"].get_object()).get("/AcroForm")
        if form is None:
            return None
        pages = []
        for page in reader.pages:
            typed = TypedPage()
            for ref in page.get("/Annots") or []:
                annot = ref.get_object()
                if not isinstance(annot, DictionaryObject):
                    continue
                if annot.get("/Subtype") not in NOT_INK:
                    typed.ink = True
                found = _widget_value(annot) if annot.get("/Subtype") == "/Widget" else None
                if found is None:
                    continue
                name, value = found
                match = NAME.match(name)
                typed.serials.add(match.group(1) if match else "?")
                typed.values[name] = value
            pages.append(typed)
    except Exception as exc:  # a damaged PDF: the scanner path says what is wrong with it
        log.debug("%s : champs de formulaire illisibles (%s)", path.name, exc)
        return None
    return pages if any(p.values for p in pages) else None


def _render(page: pdfium.PdfPage, dpi: float) -> np.ndarray:
    bitmap = page.render(scale=dpi / 72, grayscale=True, may_draw_forms=True)
    array = np.asarray(bitmap.to_numpy())
    grey = array[:, :, 0] if array.ndim == 3 else array
    return np.ascontiguousarray(grey, dtype=np.uint8)


def _refused(image: PageImage, reason: str, serial: str | None = None,
             page: int | None = None) -> PageOutcome:
    return PageOutcome(source=image.source, index=image.index, state="refused", reason=reason,
                       serial=serial, page=page)


def read_typed_page(image: PageImage, typed: TypedPage, ctx: Context) -> PageResult:
    """One page of a fillable PDF: identified like a scan, values from its fields."""
    if not typed.values:
        return read_page(image, ctx)  # no field of ours: a page like any other
    seconds: dict[str, float] = {}
    aligned = align_page(image, ctx, seconds)
    if isinstance(aligned, Refused):
        code = aligned.code
        return PageResult(_refused(image, aligned.reason, code.sheet if code else None,
                                   code.page if code else None),
                          detection=aligned.detection, seconds=seconds)
    located = aligned.located
    code = located.code
    if typed.serials != {code.sheet}:
        others = ", ".join(sorted(typed.serials - {code.sheet}))
        reason = (f"page refusée : champs de saisie d’un autre bordereau (n° {others}) sur la "
                  f"page {code.page} du bordereau {code.sheet}")
        return PageResult(_refused(image, reason, code.sheet, code.page), seconds=seconds)
    start = time.perf_counter()
    fields = located.layout.fields_on(located.page_number)
    readings = [typed_reading(f, code.sheet, typed.values) for f in fields]
    if typed.ink:  # fields left empty on screen take what the ink on the page says
        inked = read_fields(aligned, located, ctx)
        readings = [r if is_typed(r) else i for r, i in zip(readings, inked, strict=True)]
    seconds["read"] = time.perf_counter() - start
    transform = located.transform
    outcome = PageOutcome(source=image.source, index=image.index, state="read",
                          serial=code.sheet, page=code.page, reason=located.review_reason,
                          residual_mm=round(transform.residual_mm, 3),
                          rotation=transform.rotation)
    result = PageResult(outcome, code, readings, located.review_reason,
                        aligned.image if ctx.keep_images else None, aligned.px_per_mm,
                        aligned.detection, seconds=seconds)
    return with_crops(result, aligned, located, ctx)


def read_typed_file(path: Path, pages: list[TypedPage], ctx: Context,
                    document: pdfium.PdfDocument | None = None) -> list[PageResult]:
    """Every page of a fillable PDF, in order (``document``: the file already opened by
    the caller, who closes it)."""
    own = document is None
    pdf = pdfium.PdfDocument(path) if document is None else document
    results = []
    try:
        pdf.init_forms()
        for index, typed in enumerate(pages):
            page = pdf[index]
            try:
                dpi = INK_DPI if typed.ink or not typed.values else RENDER_DPI
                image = PageImage(source=path, index=index, pixels=_render(page, dpi), dpi=dpi)
            finally:
                page.close()
            results.append(read_typed_page(image, typed, ctx))
            outcome = results[-1].outcome
            log.info("%s, page %d : %s (champs saisis)%s", path.name, index + 1, outcome.state,
                     f" — {outcome.reason}" if outcome.reason else "")
    finally:
        if own:
            pdf.close()
    return results
