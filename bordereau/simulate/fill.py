"""Draw planned answers onto a rasterised form page, in pixel space, from the manifest.

``render_pages`` turns a generated PDF into grey page images at the scan resolution
(pypdfium2); ``fill_page`` writes one page's answers into them: one handwritten character
per comb cell, hand-made checkbox marks, the patient sticker, comment lines. Nothing is
drawn for an empty answer. It records in each answer how its boxes were marked.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Generator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bordereau.forms.manifest import Box, FieldLayout, Layout
from bordereau.simulate.handwriting import (
    Writer,
    font_glyph,
    glyph_for,
    place_glyph,
)
from bordereau.simulate.label import stick_label
from bordereau.simulate.marks import PxBox, choose_style, draw_mark
from bordereau.simulate.truth import Answer

MM_PER_INCH = 25.4


def to_px(box: Box, dpi: float) -> PxBox:
    """A manifest box (mm from the top-left) in page pixels."""
    k = dpi / MM_PER_INCH
    x, y, w, h = box
    return (x * k, y * k, w * k, h * k)


def render_pages(
    pdf: Path, dpi: float, pages: range | None = None
) -> Generator[npt.NDArray[np.uint8], None, None]:
    """The PDF's pages as 8-bit grey images at ``dpi`` (white 255)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    try:
        for index in pages if pages is not None else range(len(document)):
            bitmap = document[index].render(scale=dpi / 72.0, grayscale=True)
            array = np.array(bitmap.to_numpy(), dtype=np.uint8)
            bitmap.close()
            yield array[:, :, 0] if array.ndim == 3 else array
    finally:
        document.close()


def _write_comb(
    page: npt.NDArray[np.uint8],
    field: FieldLayout,
    answer: Answer,
    writer: Writer,
    rng: random.Random,
    dpi: float,
) -> None:
    assert field.cells_mm is not None and answer.cells is not None
    for index, (cell, char) in enumerate(zip(field.cells_mm, answer.cells, strict=False)):
        if char == " ":
            continue
        x, y, w, h = to_px(cell, dpi)
        sloppy = rng.random() < writer.sloppy_rate
        size = writer.size * rng.uniform(0.9, 1.1) * (rng.uniform(1.1, 1.3) if sloppy else 1.0)
        cap = h * min(size, 0.95)
        drift = 0.3 if sloppy else 0.08 * (0.5 + writer.jitter)
        cx = x + w / 2 + rng.uniform(-drift, drift) * w
        base = y + (h + cap) / 2 + rng.uniform(-0.06, 0.06) * h * (1 + writer.jitter)
        angle = rng.gauss(0, 2 + 3 * writer.jitter)
        first = answer.overwritten.get(index)
        if first is not None:  # written once, then written over without erasing
            place_glyph(
                page, glyph_for(first, writer, rng), cap, cx, base, writer, rng, max_width=w * 0.8
            )
            cx += rng.uniform(-0.08, 0.08) * w
        place_glyph(
            page,
            glyph_for(char, writer, rng),
            cap,
            cx,
            base,
            writer,
            rng,
            angle_deg=angle,
            max_width=w * (0.95 if sloppy else 0.8),
        )


def _write_marks(
    page: npt.NDArray[np.uint8],
    field: FieldLayout,
    answer: Answer,
    writer: Writer,
    rng: random.Random,
    dpi: float,
) -> None:
    boxes = {c.code: c.box_mm for c in field.choices or ()}
    if field.box_mm is not None:
        boxes["true"] = field.box_mm
    # cancelled boxes are blackened first, the right box crossed afterwards
    for code, intent in sorted(answer.boxes.items(), key=lambda kv: kv[1] != "cancel"):
        style = choose_style(intent, writer, rng)
        draw_mark(page, to_px(boxes[code], dpi), style, writer, rng, dpi)
        answer.marks[code] = style


def plain_text(text: str) -> str:
    """The text without accents (for a font that has none)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _write_text(
    page: npt.NDArray[np.uint8],
    field: FieldLayout,
    answer: Answer,
    writer: Writer,
    rng: random.Random,
    dpi: float,
) -> None:
    """Lines of handwriting in a free-text box; fixes the truth if accents were dropped."""
    assert field.box_mm is not None and answer.text is not None
    if any(font_glyph(writer.font, c) is None for c in set(answer.text) - {" "}):
        answer.text = plain_text(answer.text)
        answer.value = answer.text
    x, y, w, h = to_px(field.box_mm, dpi)
    cap = 4.4 * dpi / MM_PER_INCH * writer.size / 0.62  # capitals about 4 mm high
    line_gap = cap * 2.1
    left = x + cap * 0.8
    pen_x, base = left, y + cap * 1.8
    slope = rng.uniform(-0.015, 0.015)
    for word in answer.text.split(" "):
        glyphs = [glyph_for(c, writer, rng) for c in word]
        widths = [g.ink.shape[1] * cap / max(g.base_row - g.cap_row, 1.0) for g in glyphs]
        advance = sum(widths) + cap * 0.12 * len(word)
        if pen_x + advance > x + w - cap and pen_x > left:
            pen_x, base = left + rng.uniform(0, cap * 0.4), base + line_gap
        if base > y + h - cap * 0.3:
            break
        for glyph, width in zip(glyphs, widths, strict=True):
            drift = (pen_x - left) * slope
            place_glyph(page, glyph, cap, pen_x + width / 2, base + drift, writer, rng)
            pen_x += width + cap * rng.uniform(0.06, 0.18)
        pen_x += cap * rng.uniform(0.5, 0.8)


def fill_page(
    page: npt.NDArray[np.uint8],
    layout: Layout,
    number: int,
    answers: dict[str, Answer],
    writer: Writer,
    rng: random.Random,
    dpi: float,
) -> None:
    """Write page ``number``'s answers onto ``page`` (in place)."""
    for field in layout.fields_on(number):
        answer = answers.get(field.id)
        if answer is None or not answer.written:
            continue
        if field.kind == "label_zone":
            if answer.label is not None and field.box_mm is not None:
                stick_label(page, to_px(field.box_mm, dpi), answer.label, dpi, rng)
        elif field.kind == "free_text":
            _write_text(page, field, answer, writer, rng, dpi)
        elif answer.cells is not None and field.cells_mm:
            _write_comb(page, field, answer, writer, rng, dpi)
        elif answer.boxes:
            _write_marks(page, field, answer, writer, rng, dpi)
