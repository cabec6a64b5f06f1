"""Turn whatever a scanner wrote (PDF, TIFF, PNG, JPEG) into 8-bit greyscale pages.

:func:`iter_pages` yields, lazily, one :class:`PageImage` per page or a :class:`PageLoadError`
with a French reason: for the whole file (``index`` None: empty, truncated, protected, not
an image) or for one page, and then the following pages are still read. Nothing escapes.

PDF pages go through PDFium. A page that is one image covering the page (what scanners
write) is decoded from the embedded image, without resampling: PDFium applies the filter
(DCT, CCITT, JBIG2, Flate...), ``/Decode``, ``BlackIs1``, image masks and the colour space,
then the image matrix and ``/Rotate`` are applied by exact quarter turns and flips. Other
pages (vector, several images, skewed or partial placement) are rendered at the images' own
resolution, or 300 dpi. Invisible text (OCR layers of "searchable" PDFs) is ignored. TIFF,
PNG and JPEG go through Pillow (JPEG decoded luminance-only; EXIF/TIFF orientation applied).

The resolution comes from the file (PDF: image pixels / page size) unless it implies an
impossible paper size (72 or 96 dpi written by software); it is then estimated from an A4
page (``dpi_known=False``). Pages under 140 dpi are refused; over 630 dpi, reduced to 600 or less.
"""

from __future__ import annotations

import logging
import math
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from bordereau.errors import os_reason
from bordereau.ocr.entries import (
    ACCEPTED,
    SUFFIXES,
    Kind,
    entry_problem,
    open_regular,
    sniff_path,
)
from bordereau.ocr.entries import collect_inputs as collect_inputs
from bordereau.ocr.guards import page_too_large, too_many_pixels
from bordereau.ocr.page_checks import (
    MAX_DPI,
    MIN_DPI,
    PageError,
    finish,
    guarded,
    refuse,
)
from bordereau.ocr.page_checks import estimate_dpi as estimate_dpi
from bordereau.ocr.raster import iter_raster
from bordereau.ocr.types import PageImage, PageLoadError

log = logging.getLogger(__name__)

RENDER_DPI = 300.0
_Matrix = tuple[float, float, float, float, float, float]


def iter_pages(path: Path) -> Iterator[PageImage | PageLoadError]:
    """Yield every page of ``path`` in order, or the reason it cannot be read (French)."""
    opened = open_source(path)
    if isinstance(opened, PageLoadError):
        yield opened
    elif isinstance(opened, OpenPdf):
        try:
            if opened.pages == 0:
                yield no_page(path)
            yield from (pdf_page(opened, index) for index in range(opened.pages))
        finally:
            opened.document.close()
    else:
        yield from iter_raster(path, opened)


@dataclass
class OpenPdf:
    """A PDF opened once (PDFium): its pages, whether it has form fields, and whether it
    ends with ``%%EOF`` (else it was cut short). The caller closes ``document``."""

    path: Path
    document: pdfium.PdfDocument
    complete: bool
    identity: tuple[int, ...]  # device, inode, size, modification time: the same file?

    @property
    def pages(self) -> int:
        return len(self.document)

    @property
    def has_form(self) -> bool:
        """Whether the PDF has an AcroForm (``forms generate --fillable`` writes one)."""
        return bool(self.document.get_formtype() != pdfium_c.FORMTYPE_NONE)


def open_source(path: Path) -> OpenPdf | Kind | PageLoadError:
    """A PDF opened, the kind of any other image file, or why the file cannot be read."""
    kind = guarded(path, None, "fichier illisible", _kind, path)
    if kind != "pdf":
        return kind
    opened = guarded(path, None, "fichier PDF illisible", _open_pdf, path)
    if isinstance(opened, PageLoadError):
        return opened
    found = path.stat()
    identity = (found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns)
    return OpenPdf(path, *opened, identity)


def no_page(path: Path) -> PageLoadError:
    return PageLoadError(source=path, index=None, reason="PDF sans aucune page")


def pdf_page(opened: OpenPdf, index: int) -> PageImage | PageLoadError:
    """One page of an opened PDF, decoded, or why it cannot be."""
    reading = (opened.path, opened.document, index, opened.complete)
    return guarded(opened.path, index, "page PDF illisible", _pdf_page, *reading)


def _kind(path: Path) -> Kind:
    """The file's format from its first bytes; the extension only words the error."""
    problem = entry_problem(path)
    if problem is not None:
        raise PageError(problem)
    try:
        if path.stat().st_size == 0:
            raise PageError("fichier vide")
        kind = sniff_path(path)
    except OSError as error:
        raise PageError(f"fichier illisible ({os_reason(error)})") from error
    expected = SUFFIXES.get(path.suffix.lower())
    if kind is None and expected is None:
        raise PageError(f"format non pris en charge ({ACCEPTED})")
    if kind is None:
        name = str(expected).upper()
        with open_regular(path) as handle:
            control = re.search(rb"[\x00-\x08\x0e-\x1f]", handle.read(512))
        content = "non reconnu" if control else "du texte"
        raise PageError(f"fichier {name} illisible : ce n'est pas un {name} (contenu : {content})")
    if expected not in (None, kind):
        log.info("%s : contenu %s malgré l'extension", path.name, kind.upper())
    return kind


# --- PDF ---------------------------------------------------------------------------------


def _open_pdf(path: Path) -> tuple[pdfium.PdfDocument, bool]:
    """The document, and whether the file ends with ``%%EOF`` (else it was cut short)."""
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - 1024))
        complete = b"%%EOF" in handle.read()
    try:
        return pdfium.PdfDocument(path), complete
    except pdfium.PdfiumError as error:
        reason = {
            pdfium_c.FPDF_ERR_PASSWORD: "PDF protégé par mot de passe",
            pdfium_c.FPDF_ERR_SECURITY: "PDF chiffré d'une façon non prise en charge",
        }.get(getattr(error, "err_code", None), "")
        damage = "endommagé ?" if complete else "tronqué ?"
        raise PageError(reason or f"fichier PDF illisible ({damage})") from error


def _pdf_page(
    path: Path, document: pdfium.PdfDocument, index: int, complete: bool
) -> PageImage | PageLoadError:
    page = document[index]
    try:
        width_pt, height_pt = page.get_size()
        refuse(page_too_large(width_pt * 25.4 / 72, height_pt * 25.4 / 72))
        pixels, dpi, bilevel = _pdf_pixels(page, complete)
    finally:
        page.close()
    return finish(path, index, pixels, dpi, bilevel)


def _pdf_pixels(page: pdfium.PdfPage, complete: bool) -> tuple[np.ndarray, float, bool]:
    objects = [obj for obj in page.get_objects(max_depth=0) if not _invisible_text(obj)]
    images = [obj for obj in objects if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE]
    for image in images:
        _check_stream(image, complete)
    bilevel = bool(images) and all(i.get_metadata().bits_per_pixel == 1 for i in images)
    if len(objects) == 1 and len(images) == 1:
        direct = _embedded(page, images[0])
        if direct is not None:
            return direct[0], direct[1], bilevel
    dpi = max((_image_dpi(image) for image in images), default=RENDER_DPI)
    dpi = min(max(dpi, MIN_DPI), MAX_DPI)
    width, height = page.get_size()
    refuse(too_many_pixels(math.ceil(width * dpi / 72), math.ceil(height * dpi / 72)))
    bitmap = page.render(scale=dpi / 72, grayscale=True, may_draw_forms=False, no_smoothimage=True)
    width, height = page.get_size()  # as displayed; PDFium rounds the bitmap size up
    pixels = _bitmap_grey(bitmap)[: round(height * dpi / 72), : round(width * dpi / 72)]
    return np.ascontiguousarray(pixels), dpi, bilevel


def _embedded(page: pdfium.PdfPage, image: pdfium.PdfImage) -> tuple[np.ndarray, float] | None:
    """The page's only image, decoded and turned upright; None when it must be rendered."""
    left, bottom, right, top = page.get_cropbox()
    bounds = image.get_bounds()
    slack = max(1.5, 0.005 * max(right - left, top - bottom))
    if any(abs(a - b) > slack for a, b in zip(bounds, (left, bottom, right, top), strict=True)):
        return None
    m = image.get_matrix()
    matrix: _Matrix = (m.a, m.b, m.c, m.d, m.e, m.f)
    refuse(too_many_pixels(*image.get_px_size()))
    try:
        if image.get_metadata().colorspace == pdfium_c.FPDF_COLORSPACE_UNKNOWN:
            # an image mask: PDFium paints it in the fill colour, its matrix applied
            pixels, matrix = _mask_grey(image.get_bitmap(render=True)), (1, 0, 0, 1, 0, 0)
        else:
            pixels = _bitmap_grey(image.get_bitmap(render=False))
    except pdfium.PdfiumError as error:
        raise PageError("image de la page illisible (données endommagées)") from error
    upright = _orient(pixels, matrix, page.get_rotation())
    if upright is None:
        return None
    width_pt, height_pt = right - left, top - bottom
    if page.get_rotation() % 180:
        width_pt, height_pt = height_pt, width_pt
    dpi_x = upright.shape[1] * 72 / width_pt
    dpi_y = upright.shape[0] * 72 / height_pt
    if abs(dpi_x - dpi_y) > 0.015 * dpi_x:
        return None  # non-square pixels: rendering resamples them
    return upright, (dpi_x + dpi_y) / 2


def _orient(pixels: np.ndarray, matrix: _Matrix, rotate: int) -> np.ndarray | None:
    """Apply an axis-aligned image matrix and the page rotation by quarter turns and flips."""
    a, b, c, d, _, _ = matrix
    col, row = (a, -b), (-c, d)  # display directions (y down) of growing column and row
    for _ in range((rotate // 90) % 4):  # /Rotate turns the display clockwise
        col, row = (-col[1], col[0]), (-row[1], row[0])
    for x, y in (col, row):
        if min(abs(x), abs(y)) > 1e-3 * max(abs(x), abs(y)):
            return None  # skewed: let PDFium resample it
    if abs(row[0]) > abs(row[1]):  # rows run horizontally on the page: transpose
        pixels, col, row = pixels.T, row, col
    if row[1] < 0:
        pixels = pixels[::-1]
    if col[0] < 0:
        pixels = pixels[:, ::-1]
    return np.ascontiguousarray(pixels)


def _image_dpi(image: pdfium.PdfImage) -> float:
    """The finer of the image's two resolutions as drawn (its matrix scales the unit square)."""
    m = image.get_matrix()
    width_px, height_px = image.get_px_size()
    sizes_in = (math.hypot(m.a, m.b) / 72, math.hypot(m.c, m.d) / 72)
    return max(
        (px / size for px, size in zip((width_px, height_px), sizes_in, strict=True) if size > 0),
        default=RENDER_DPI,
    )


def _invisible_text(obj: pdfium.PdfObject) -> bool:
    mode = pdfium_c.FPDFTextObj_GetTextRenderMode
    return bool(obj.type == pdfium_c.FPDF_PAGEOBJ_TEXT and mode(obj.raw) == 3)  # invisible


def _check_stream(image: pdfium.PdfImage, complete: bool) -> None:
    """Refuse image data cut short, which PDFium would silently draw half grey."""
    filters = image.get_filters()
    if filters == ["DCTDecode"]:
        raw = bytes(image.get_data(decode_simple=False))
        if b"\xff\xd9" not in raw[-64:]:
            raise PageError("image JPEG de la page incomplète (fichier tronqué ?)")
    elif filters == ["FlateDecode"] and not complete:
        inflater = zlib.decompressobj()
        try:
            inflater.decompress(bytes(image.get_data(decode_simple=False)))
        except zlib.error as error:
            raise PageError("image de la page endommagée (fichier tronqué ?)") from error
        if not inflater.eof:
            raise PageError("image de la page incomplète (fichier tronqué ?)")


def _bitmap_grey(bitmap: pdfium.PdfBitmap) -> np.ndarray:
    array = np.asarray(bitmap.to_numpy())  # PDFium writes grey, BGR or BGRx
    if array.ndim == 2 or array.shape[2] == 1:
        return np.array(array.reshape(array.shape[:2]), dtype=np.uint8)
    code = cv2.COLOR_BGR2GRAY if array.shape[2] == 3 else cv2.COLOR_BGRA2GRAY
    return np.asarray(cv2.cvtColor(np.ascontiguousarray(array), code))


def _mask_grey(bitmap: pdfium.PdfBitmap) -> np.ndarray:
    """A BGRA rendering laid on white paper."""
    array = np.asarray(bitmap.to_numpy())
    alpha = array[:, :, 3].astype(np.uint32)
    grey = cv2.cvtColor(np.ascontiguousarray(array), cv2.COLOR_BGRA2GRAY).astype(np.uint32)
    return np.asarray((grey * alpha + 255 * (255 - alpha) + 127) // 255, dtype=np.uint8)


