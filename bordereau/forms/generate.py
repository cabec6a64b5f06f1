"""Draw a layout manifest as a print-ready A4 PDF, one signed copy per serial.

Everything static on a page (frames, labels, cells, markers) is drawn once as a PDF form
XObject and reused by every copy; only the QR codes and the serial text are drawn per
sheet. That keeps files small and generation fast (see benchmarks/bench_generate.py).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import segno
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from bordereau.errors import OutputError, UsageError
from bordereau.files import check_output
from bordereau.forms import fonts
from bordereau.forms.codes import PageCode, establishment_fingerprint, format_serial, page_code
from bordereau.forms.fillable import add_fields
from bordereau.forms.manifest import Box, FieldLayout, Layout, LineOp, PageLayout, RectOp, TextOp
from bordereau.forms.markers import ARUCO_DICT

CELL_LINE = 0.2  # mm, comb cells and checkboxes
CELL_GREY = 0.15


@dataclass(frozen=True)
class GenerationResult:
    """What a generation run produced."""

    output: Path
    layout_id: str
    serials: range
    pages: int
    annexes: tuple[Layout, ...] = ()


@cache
def marker_bits(marker_id: int) -> np.ndarray:
    """The 6x6 black/white grid (1 = black) of an ArUco DICT_4X4_50 marker with its border."""
    dictionary = cv2.aruco.getPredefinedDictionary(ARUCO_DICT)
    image = cv2.aruco.generateImageMarker(dictionary, marker_id, 6, borderBits=1)
    bits: np.ndarray = (image == 0).astype(np.uint8)
    return bits


def _y(y_mm: float) -> float:
    return float((297.0 - y_mm) * mm)


def _fill_grid(canvas: Canvas, grid: np.ndarray, x_mm: float, y_mm: float, size_mm: float) -> None:
    """Fill the black modules of a square grid, merging horizontal runs into one rect."""
    module = size_mm / grid.shape[0]
    path = canvas.beginPath()
    for row, line in enumerate(grid):
        col = 0
        width = len(line)
        while col < width:
            if line[col]:
                start = col
                while col < width and line[col]:
                    col += 1
                path.rect(
                    (x_mm + start * module) * mm,
                    _y(y_mm + (row + 1) * module),
                    (col - start) * module * mm,
                    module * mm,
                )
            else:
                col += 1
    canvas.drawPath(path, fill=1, stroke=0)


def _rect(
    canvas: Canvas,
    box: Box,
    line_mm: float,
    grey: float | None = CELL_GREY,
    fill: float | None = None,
    dashed: bool = False,
    radius: float = 0.0,
) -> None:
    x, y, w, h = box
    canvas.setLineWidth(line_mm * mm)
    if grey is not None:
        canvas.setStrokeGray(grey)
    if fill is not None:
        canvas.setFillGray(fill)
    canvas.setDash(3, 2) if dashed else canvas.setDash()
    args = (x * mm, _y(y + h), w * mm, h * mm)
    stroke, filled = int(grey is not None), int(fill is not None)
    if radius:
        canvas.roundRect(*args, radius * mm, stroke=stroke, fill=filled)
    else:
        canvas.rect(*args, stroke=stroke, fill=filled)
    canvas.setFillGray(0)
    canvas.setStrokeGray(0)
    canvas.setDash()


def _draw_text(canvas: Canvas, op: TextOp, values: dict[str, str] | None = None) -> None:
    text = op.text.format(**values) if op.stamp and values else op.text
    canvas.setFont(fonts.font_name(op.style), op.size)
    canvas.setFillGray(op.grey)
    x, y = op.x * mm, _y(op.y)
    if op.align == "right":
        canvas.drawRightString(x, y, text)
    elif op.align == "center":
        canvas.drawCentredString(x, y, text)
    else:
        canvas.drawString(x, y, text)
    canvas.setFillGray(0)


def _draw_field(canvas: Canvas, field: FieldLayout) -> None:
    if field.cells_mm:
        for cell in field.cells_mm:
            _rect(canvas, cell, CELL_LINE)
    if field.choices:
        for choice in field.choices:
            _rect(canvas, choice.box_mm, CELL_LINE)
    if field.box_mm:
        if field.kind == "label_zone":
            _rect(canvas, field.box_mm, 0.25, grey=0.45, dashed=True, radius=2.0)
        elif field.kind == "free_text":
            _rect(canvas, field.box_mm, 0.25, grey=0.35)
        else:
            _rect(canvas, field.box_mm, CELL_LINE)


def _draw_static(canvas: Canvas, layout: Layout, page: PageLayout) -> None:
    for op in page.drawing:
        if isinstance(op, TextOp):
            if not op.stamp:
                _draw_text(canvas, op)
        elif isinstance(op, RectOp):
            _rect(
                canvas, op.box_mm, op.line_width, op.stroke_grey, op.fill_grey, op.dashed, op.radius
            )
        elif isinstance(op, LineOp):
            canvas.setLineWidth(op.line_width * mm)
            canvas.setStrokeGray(op.grey)
            canvas.line(op.start[0] * mm, _y(op.start[1]), op.end[0] * mm, _y(op.end[1]))
            canvas.setStrokeGray(0)
    for field in layout.fields_on(page.number):
        _draw_field(canvas, field)
    for anchor in page.anchors:
        cx, cy = anchor.center_mm
        half = anchor.size_mm / 2
        _fill_grid(canvas, marker_bits(anchor.id), cx - half, cy - half, anchor.size_mm)


def _draw_stamps(canvas: Canvas, page: PageLayout, code: PageCode) -> None:
    values = {
        "serial": format_serial(code.serial),
        "page": str(code.page),
        "pages": str(code.pages),
    }
    for op in page.drawing:
        if isinstance(op, TextOp) and op.stamp:
            _draw_text(canvas, op, values)
    qr = segno.make(code.payload(), error="m", micro=False)
    grid = np.array([list(row) for row in qr.matrix], dtype=np.uint8)
    for zone in page.codes:
        x, y, w, _ = zone.box_mm
        _fill_grid(canvas, grid, x, y, w)


def generate(layout: Layout, secret: bytes, serials: range, output: Path,
             annexes: Sequence[Layout] = (), fillable: bool = False) -> GenerationResult:
    """Write one sheet of ``layout`` per serial to ``output`` (atomically), its page codes
    signed with the establishment's ``secret``, each followed by one sheet of every annex
    layout printed with the same serial; with ``fillable``, the same pages with form fields
    to fill on screen (``forms.fillable``; not with annexes). Reserving the serials and
    keeping the snapshots are the caller's (``Establishment.print_forms``)."""
    if not serials:
        raise UsageError("Le nombre d’exemplaires doit être au moins 1.")
    if fillable and annexes:
        raise UsageError("Les annexes ne sont pas encore disponibles en PDF à remplir à "
                         "l’écran : générer les annexes sans --fillable.")
    check_output(output, ".pdf")
    fonts.register_fonts()
    establishment = establishment_fingerprint(secret)
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    canvas = Canvas(str(tmp), pagesize=(210 * mm, 297 * mm), pageCompression=1)
    canvas.setTitle(f"Bordereaux SDM-MR — {layout.form.title} — {layout.form.centre.site_name}")
    canvas.setAuthor("bordereau")
    canvas.setSubject(
        f"Mise en page {layout.form.layout_id}, numéros "
        f"{format_serial(serials.start)} à {format_serial(serials.stop - 1)}"
    )
    canvas.setCreator("bordereau")
    sheets = (layout, *annexes)
    names: list[list[str]] = []
    for n, sheet in enumerate(sheets):
        names.append([])
        for page in sheet.pages:
            name = f"page{page.number}" if n == 0 else f"annexe{n}page{page.number}"
            canvas.beginForm(name)
            _draw_static(canvas, sheet, page)
            canvas.endForm()
            names[-1].append(name)
    for serial in serials:
        for sheet, sheet_names in zip(sheets, names, strict=True):
            for page, name in zip(sheet.pages, sheet_names, strict=True):
                canvas.doForm(name)
                code = page_code(sheet, establishment, secret, serial, page.number)
                _draw_stamps(canvas, page, code)
                canvas.showPage()
    try:
        canvas.save()
        if fillable:
            add_fields(tmp, layout, serials)
        tmp.replace(output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{output} : écriture impossible ({exc.strerror}).") from exc
    return GenerationResult(
        output=output,
        layout_id=layout.form.layout_id,
        serials=serials,
        pages=sum(sheet.form.pages for sheet in sheets) * len(serials),
        annexes=tuple(annexes),
    )
