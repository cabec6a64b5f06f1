"""Draw the glyph templates of the machine-print reader (``bordereau/ocr/printed.py``).

    .venv/bin/python scripts/print_glyphs.py [OUT]  # default bordereau/ocr/models/print-glyphs.npz

Every character a comb cell can be typed (``printed.TYPED_CHARS``) is placed in a
5 x 6.5 mm cell exactly as the fillable PDF places it (``forms.fillable.glyph_origin``:
centred by its Helvetica-Bold width, capitals centred vertically), in the faces readers
print Helvetica-Bold with: the standard font itself, not embedded (PDFium draws it with its
built-in substitute, as it prints the fillable PDF); DejaVu Sans Bold and Liberation Sans
Bold (what poppler and others take from the system), each as it is and, when much wider,
narrowed to Helvetica-Bold's width of "m" (what poppler does with a substitute). PDFium
renders the page at 600 dpi; each glyph is kept as a tight crop with the place of its
top-left corner from the cell's centre in mm, and the reader scales it to the page's
resolution. Drawn once, here, so that the reading processes need no PDF drawing code.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from bordereau.forms.fillable import COMB_FONT, FONTS, PT_PER_MM, TEXT_PT, glyph_origin
from bordereau.ocr.printed import TEMPLATE_DPI, TEMPLATE_FILE, TYPED_CHARS

CELL_MM = (5.0, 6.5)  # the comb cells of every layout
NARROWED_BELOW = 0.9  # poppler narrows a substitute whose "m" is wider than 1/0.9 times
SYSTEM_FACES = (  # faces readers substitute for Helvetica-Bold (the first found of each)
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",),
    ("/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
)


def faces() -> list[tuple[str, float, str]]:
    """(reportlab font name, horizontal scale in %, label) of every face."""
    found = [(FONTS[COMB_FONT], 100.0, "standard")]
    for candidates in SYSTEM_FACES:
        path = next((Path(p) for p in candidates if Path(p).is_file()), None)
        if path is None:
            print(f"not installed: {candidates[0]}")
            continue
        name = f"bdx-{path.stem}"
        pdfmetrics.registerFont(TTFont(name, str(path)))
        found.append((name, 100.0, path.stem))
        ratio = pdfmetrics.stringWidth("m", FONTS[COMB_FONT], 1) / pdfmetrics.stringWidth(
            "m", name, 1)
        if ratio < NARROWED_BELOW:
            found.append((name, 100.0 * ratio, f"{path.stem} narrowed"))
    return found


def sheet(rows: list[tuple[str, float, str]]) -> bytes:
    """A PDF page: one row per face, one cell per typable character."""
    w, h = CELL_MM[0] * PT_PER_MM, CELL_MM[1] * PT_PER_MM
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=(w * len(TYPED_CHARS), h * len(rows)))
    for row, (font, scale, _) in enumerate(rows):
        for col, char in enumerate(TYPED_CHARS):
            x, base = glyph_origin(char, w, h)
            text = page.beginText(col * w + x, h * (len(rows) - 1 - row) + base)
            text.setFont(font, TEXT_PT)
            text.setHorizScale(scale)
            text.textOut(char)
            page.drawText(text)
    page.showPage()
    page.save()
    return buffer.getvalue()


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else TEMPLATE_FILE
    rows = faces()
    document = pdfium.PdfDocument(sheet(rows))
    bitmap = document[0].render(scale=TEMPLATE_DPI / 72, grayscale=True)
    pixels = np.array(bitmap.to_numpy(), dtype=np.uint8)
    document.close()
    darkness = 255 - (pixels[:, :, 0] if pixels.ndim == 3 else pixels)
    k = TEMPLATE_DPI / 25.4
    glyphs, shapes, offsets, chars, labels = [], [], [], [], []
    for row, (_, _, label) in enumerate(rows):
        for col, char in enumerate(TYPED_CHARS):
            x0, y0 = round(col * CELL_MM[0] * k), round(row * CELL_MM[1] * k)
            x1, y1 = round((col + 1) * CELL_MM[0] * k), round((row + 1) * CELL_MM[1] * k)
            cell = darkness[y0:y1, x0:x1]
            ys, xs = np.nonzero(cell > 8)
            crop = cell[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
            glyphs.append(crop.ravel())
            shapes.append(crop.shape)
            offsets.append(((xs.min() - (x1 - x0) / 2) / k, (ys.min() - (y1 - y0) / 2) / k))
            chars.append(char)
            labels.append(label)
    np.savez_compressed(out, pixels=np.concatenate(glyphs),
                        shapes=np.array(shapes, np.int32), offsets_mm=np.array(offsets),
                        chars=np.array(chars), faces=np.array(labels))
    print(f"{out}: {len(chars)} glyphs, faces {sorted(set(labels))}")


if __name__ == "__main__":
    main()
