"""Resource guards: oversized pages and decompression bombs are refused before decoding;
a reading worker cannot take the machine's memory."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image
from reportlab.pdfgen import canvas

from bordereau.ocr.guards import guard_worker
from bordereau.ocr.pages import iter_pages
from bordereau.ocr.types import PageImage
from tests.bad_inputs import bomb_png


def outcomes(path: Path) -> list[str]:
    return ["ok" if isinstance(item, PageImage) else item.reason for item in iter_pages(path)]


def test_a_huge_vector_pdf_page_is_refused_before_rendering(tmp_path: Path) -> None:
    path = tmp_path / "affiche.pdf"
    pdf = canvas.Canvas(str(path), pagesize=(14400, 14400))  # the largest page PDF allows
    pdf.line(0, 0, 14400, 14400)
    pdf.showPage()
    pdf.setPageSize((595, 842))
    pdf.drawString(100, 700, "page A4 normale")
    pdf.showPage()
    pdf.save()
    result = outcomes(path)
    assert result[0] == ("page trop grande (5080 × 5080 mm, au plus 500 mm de côté) : ce "
                         "n'est pas un bordereau")
    assert result[1] == "ok"


def test_a_decompression_bomb_is_refused_without_being_decoded(tmp_path: Path) -> None:
    path = tmp_path / "bombe.png"
    path.write_bytes(bomb_png(40000, 40000))
    assert path.stat().st_size < 1_000_000
    (reason,) = outcomes(path)
    assert reason == ("image trop grande (1600 millions de pixels, au plus 150 millions) : "
                      "refusée sans être décodée")
    path.write_bytes(bomb_png(13000, 13000))  # past our limit, under Pillow's own
    (reason,) = outcomes(path)
    assert reason == ("image trop grande (13000 × 13000 pixels, au plus 150 millions) : "
                      "refusée sans être décodée")


def test_an_oversized_tiff_page_is_refused_and_the_other_pages_read(tmp_path: Path) -> None:
    path = tmp_path / "lot.tif"
    page = Image.new("L", (1654, 2339), 255)
    huge = Image.new("1", (13000, 13000), 1)
    page.save(path, save_all=True, append_images=[huge, page], compression="tiff_lzw",
              dpi=(200, 200))
    result = outcomes(path)
    assert result[0] == "ok" and result[2] == "ok"
    assert result[1].startswith("image trop grande (13000 × 13000 pixels")


def _allocate(size: int) -> str:
    try:
        block = np.empty(size, dtype=np.uint8)  # address space, not touched memory
    except MemoryError:
        return "refusé"
    return f"alloué {block.size}"


def test_a_reading_worker_cannot_take_the_machines_memory() -> None:
    with ProcessPoolExecutor(1, initializer=guard_worker) as pool:
        assert pool.submit(_allocate, 6 << 30).result() == "refusé"
        assert pool.submit(_allocate, 200 << 20).result() == f"alloué {200 << 20}"
