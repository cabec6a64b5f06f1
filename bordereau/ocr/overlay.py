"""Debug overlays: draw on each page what the reader saw (``scan read --debug DIR``).

For a read page: the upright page in colour, the corner markers where they were found,
every checkbox coloured by its state, every comb cell with the character read, and each
field's value and confidence (green trusted, orange sent to review). Fields sent to review
also get their own crop. Refused and blank pages are drawn with their reason.
"""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path, PurePosixPath

import cv2
import numpy as np
import reportlab
from PIL import Image, ImageDraw, ImageFont

from bordereau.files import private_dir, write_private
from bordereau.forms.manifest import Box, Layout
from bordereau.ocr.page_reader import PageResult, crop_png
from bordereau.ocr.types import FieldReading

GREEN, ORANGE, RED, GREY, PURPLE, BLUE = ((0, 150, 0), (230, 120, 0), (210, 0, 0),
                                          (150, 150, 150), (140, 0, 170), (0, 90, 220))
STATE_COLOURS = {"empty": GREY, "marked": GREEN, "filled": PURPLE, "uncertain": ORANGE}


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"), size)


def _rect(draw: ImageDraw.ImageDraw, box: Box, k: float, colour: tuple[int, int, int],
          width: int = 2) -> None:
    x, y, w, h = box
    draw.rectangle([x * k, y * k, (x + w) * k, (y + h) * k], outline=colour, width=width)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def _describe(reading: FieldReading) -> str:
    value = reading.value
    if isinstance(value, list):
        value = ",".join(value)
    return f"{value if value is not None else 'vide'} ({reading.confidence:.2f})"


def draw_read_page(result: PageResult, layout: Layout) -> Image.Image:
    """The overlay of one read page."""
    assert result.aligned is not None and result.code is not None
    k = result.px_per_mm
    image = Image.fromarray(cv2.cvtColor(result.aligned, cv2.COLOR_GRAY2RGB))
    draw = ImageDraw.Draw(image)
    small = _font(max(10, round(1.6 * k)))
    page = layout.pages[result.code.page - 1]
    found = result.detection.markers if result.detection else {}
    for anchor in page.anchors:
        (cx, cy), s = anchor.center_mm, anchor.size_mm
        colour = GREEN if anchor.id in found else RED
        _rect(draw, (cx - s / 2 - 1, cy - s / 2 - 1, s + 2, s + 2), k, colour, 4)
        draw.text(((cx + s / 2 + 1.5) * k, (cy - 2) * k), f"repère {anchor.id}", fill=colour,
                  font=small)
    readings = {r.id: r for r in result.readings}
    for field in layout.fields_on(result.code.page):
        reading = readings.get(field.id)
        if reading is None:
            continue
        colour = ORANGE if reading.review else GREEN
        boxes = reading.details.get("boxes", {})
        for choice in field.choices or ():
            state = boxes.get(choice.code, {}).get("state", "empty") if isinstance(
                boxes, dict) else "empty"
            _rect(draw, choice.box_mm, k, STATE_COLOURS.get(state, GREY))
        if field.box_mm and field.kind == "boolean":
            state = boxes.get("true", {}).get("state", "empty") if isinstance(boxes, dict) else ""
            _rect(draw, field.box_mm, k, STATE_COLOURS.get(state, GREY))
        cells = reading.details.get("cells", [])
        for box, cell in zip(field.cells_mm or (), cells if isinstance(cells, list) else [],
                             strict=False):
            _rect(draw, box, k, BLUE if cell.get("char") else GREY, 1)
            if cell.get("char"):
                draw.text(((box[0] + 0.4) * k, (box[1] + box[3] + 0.2) * k, ),
                          str(cell["char"]), fill=BLUE, font=small)
        anchor_box = (field.choices[0].box_mm if field.choices else
                      (field.cells_mm or (field.box_mm,))[0])
        if anchor_box is None:
            continue
        if field.box_mm and field.kind in {"label_zone", "free_text"}:
            _rect(draw, field.box_mm, k, colour)
        x, y = anchor_box[0], anchor_box[1]
        draw.text((x * k, (y - 2.4) * k), _describe(reading), fill=colour, font=small)
    return image


def draw_other_page(pixels: np.ndarray, reason: str) -> Image.Image:
    """A refused or blank page, smaller, with its reason written on it."""
    scale = 1200 / max(pixels.shape)
    small = cv2.resize(pixels, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    image = Image.fromarray(cv2.cvtColor(small, cv2.COLOR_GRAY2RGB))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, image.width, 40], fill=(255, 255, 255))
    draw.text((8, 10), reason, fill=RED, font=_font(16))
    return image


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def write_debug(result: PageResult, layout: Layout | None, folder: Path,
                pixels: np.ndarray | None = None) -> list[Path]:
    """Write the overlay (and review crops) of one page; returns the files written.

    The images keep the input's folder structure (``outcome.name``, relative to the folder
    read): ``lyon/lot-1/scan-01.pdf`` page 1 → ``folder/lyon/lot-1/scan-01-p001.png``."""
    outcome = result.outcome
    name = PurePosixPath(outcome.name or outcome.source.name)
    private_dir(folder)  # crops show names and IPPs: owner-only, like the home
    for part in name.parent.parts:
        if part != "..":
            folder = folder / _slug(part)
            private_dir(folder)
    stem = f"{_slug(name.stem)}-p{outcome.index + 1:03d}"
    written = []
    if outcome.state == "read" and layout is not None and result.aligned is not None:
        path = folder / f"{stem}.png"
        write_private(path, _png(draw_read_page(result, layout)))
        written.append(path)
        for reading in result.readings:
            if not reading.review:
                continue
            field = layout.field(reading.id)
            box = field.bounds()
            crop = folder / f"{stem}-{_slug(reading.id)}.png"
            write_private(crop, crop_png(result.aligned, result.px_per_mm, box))
            written.append(crop)
    elif pixels is not None:
        path = folder / f"{stem}.png"
        note = f"{outcome.state} : {outcome.reason or ''}"
        write_private(path, _png(draw_other_page(pixels, note)))
        written.append(path)
    return written
