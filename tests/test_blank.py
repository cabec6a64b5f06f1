"""Blank backs of duplex scans are blank whatever the paper, the scanner and the front side
showing through; a form page, or a back with only a few handwritten words, is not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest

from bordereau.establishment import Establishment
from bordereau.ocr.blank import MAX_BLANK_INK_MM2, is_blank
from bordereau.ocr.pages import iter_pages
from bordereau.ocr.types import PageImage
from bordereau.simulate.scanfile import ScanFormat, write_scan
from tests.conftest import LYON

MM = 25.4
Paper = np.ndarray  # float32 grey page being built, 255 = white


@pytest.fixture(scope="module")
def fronts(tmp_path_factory: pytest.TempPathFactory) -> dict[int, np.ndarray]:
    """The printed side: a real generated form page, grey, at 150, 300 and 600 dpi."""
    folder = tmp_path_factory.mktemp("form")
    Establishment(folder / "home").print_forms(LYON, "suivi", 1, folder / "suivi.pdf")
    document = pdfium.PdfDocument(folder / "suivi.pdf")
    pages = {dpi: np.array(document[0].render(scale=dpi / 72, grayscale=True).to_pil()
                           .convert("L")) for dpi in (150, 300, 600)}
    document.close()
    return pages


def page_of(pixels: np.ndarray, dpi: int, *, bilevel: bool = False) -> PageImage:
    return PageImage(source=Path("dos.pdf"), index=1, pixels=pixels, dpi=dpi, bilevel=bilevel)


def px(mm: float, dpi: int) -> int:
    return max(1, round(mm / MM * dpi))


def paper(shape: tuple[int, ...], rng: np.random.Generator, level: float = 240,
          noise: float = 5) -> Paper:
    return np.asarray(level + rng.normal(0, noise, shape[:2]), dtype=np.float32)


def done(sheet: Paper) -> np.ndarray:
    return np.asarray(np.clip(sheet, 0, 255).round(), dtype=np.uint8)


def show_through(sheet: Paper, front: np.ndarray, strength: float) -> Paper:
    """The front side seen through the paper: mirrored, blurred, at most ``strength`` darker."""
    k = max(3, sheet.shape[1] // 400 | 1)
    seen = cv2.GaussianBlur(front[:, ::-1].astype(np.float32), (k, k), 0)
    return sheet - strength * (255 - seen) / 255


def dust(sheet: Paper, dpi: int, rng: np.random.Generator, count: int = 40) -> Paper:
    height, width = sheet.shape
    for _ in range(count):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.circle(sheet, centre, px(rng.uniform(0.1, 0.35), dpi), float(rng.uniform(30, 120)), -1)
    return sheet


def scanner_edges(sheet: Paper, dpi: int) -> Paper:
    """Dark bands along two edges and a dark wedge where a skewed sheet left a corner bare."""
    height, width = sheet.shape
    sheet[:, : px(3, dpi)] = 20
    sheet[: px(2, dpi), :] = 35
    wedge = np.array([[width - 1, height - 1], [width - 1, height - px(30, dpi)],
                      [width - px(5, dpi), height - 1]], np.int32)
    cv2.fillPoly(sheet, [wedge], 15.0)
    return sheet


def shadow_and_holes(sheet: Paper, dpi: int) -> Paper:
    """Lighting falling off by 50 levels across the page, and two punched holes."""
    height, width = sheet.shape
    sheet -= 50 * np.linspace(0, 1, width, dtype=np.float32)[None, :] ** 2
    for y in (height // 2 - px(40, dpi), height // 2 + px(40, dpi)):
        cv2.circle(sheet, (px(12, dpi), y), px(3, dpi), 25.0, -1)
    return sheet


def jpeg(pixels: np.ndarray, quality: int) -> np.ndarray:
    _, data = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return np.asarray(cv2.imdecode(data, cv2.IMREAD_GRAYSCALE))


def handwriting(sheet: Paper, dpi: int, words: tuple[str, ...], ink: float = 45) -> Paper:
    """A few words in a script font, 0.45 mm ballpoint strokes, about 4 mm tall."""
    mask = np.zeros(sheet.shape, np.uint8)
    for line, word in enumerate(words):
        origin = (px(60, dpi), px(120 + 9 * line, dpi))
        cv2.putText(mask, word, origin, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, px(4, dpi) / 22, 255,
                    px(0.45, dpi), cv2.LINE_AA)
    alpha = mask.astype(np.float32) / 255
    return sheet * (1 - alpha) + ink * alpha


def scribble(sheet: Paper, dpi: int, rng: np.random.Generator, length_mm: float = 12) -> Paper:
    """A short wandering pen stroke, like a tick or a crossed-out letter."""
    points, angle = [np.array([80.0, 150.0])], rng.uniform(0, 2 * np.pi)
    for _ in range(int(length_mm / 0.5)):
        angle += rng.normal(0, 0.4)
        points.append(points[-1] + 0.5 * np.array([np.cos(angle), np.sin(angle)]))
    mask = np.zeros(sheet.shape, np.uint8)
    line = np.round(np.array(points) / MM * dpi).astype(np.int32)
    cv2.polylines(mask, [line], False, 255, px(0.45, dpi), cv2.LINE_AA)
    alpha = mask.astype(np.float32) / 255
    return sheet * (1 - alpha) + 50 * alpha


def staple(sheet: Paper, dpi: int) -> Paper:
    """A staple seen from the back, top left: its two folded legs, dark metal, and the soft
    shadow the scanner light casts beside them."""
    for (x0, y0), (x1, y1) in (((9.0, 14.0), (13.5, 9.5)), ((14.5, 8.5), (19.0, 4.0))):
        start, end = (px(x0, dpi), px(y0, dpi)), (px(x1, dpi), px(y1, dpi))
        shade = (start[0] + px(0.6, dpi), start[1] + px(0.6, dpi))
        cv2.line(sheet, shade, (end[0] + px(0.6, dpi), end[1] + px(0.6, dpi)), 170.0,
                 px(1.2, dpi), cv2.LINE_AA)
        cv2.line(sheet, start, end, 40.0, px(0.7, dpi), cv2.LINE_AA)
    return sheet


Make = Callable[[np.ndarray, int, np.random.Generator], np.ndarray]
BLANK_BACKS: dict[str, Make] = {
    "white, noisy": lambda f, d, r: done(paper(f.shape, r, 250, 8)),
    "grey paper, dark exposure": lambda f, d, r: done(paper(f.shape, r, 190, 6)),
    "dust specks": lambda f, d, r: done(dust(paper(f.shape, r), d, r)),
    "show-through": lambda f, d, r: done(show_through(paper(f.shape, r), f, 50)),
    "dark scanner edges": lambda f, d, r: done(scanner_edges(paper(f.shape, r), d)),
    "shadow and punched holes": lambda f, d, r: done(shadow_and_holes(paper(f.shape, r), d)),
    "a staple and its shadow": lambda f, d, r: jpeg(done(staple(show_through(
        paper(f.shape, r, 236), f, 40), d)), 60),
    "everything, JPEG q40": lambda f, d, r: jpeg(done(scanner_edges(shadow_and_holes(
        show_through(dust(paper(f.shape, r, 232, 6), d, r), f, 45), d), d)), 40),
}
WRITTEN_BACKS: dict[str, Make] = {
    "a few handwritten words": lambda f, d, r: done(handwriting(paper(f.shape, r), d,
                                                                ("RAS", "vu le 12/03"))),
    "one word over show-through, JPEG": lambda f, d, r: jpeg(done(handwriting(
        show_through(paper(f.shape, r, 235), f, 40), d, ("ok",))), 50),
    "a 12 mm pen stroke": lambda f, d, r: done(scribble(paper(f.shape, r), d, r)),
    "a word beside a staple": lambda f, d, r: done(handwriting(staple(paper(f.shape, r), d),
                                                               d, ("RAS",))),
}


@pytest.mark.parametrize("dpi", [150, 300])
@pytest.mark.parametrize("kind", BLANK_BACKS)
def test_blank_backs_are_blank(fronts: dict[int, np.ndarray], kind: str, dpi: int) -> None:
    pixels = BLANK_BACKS[kind](fronts[dpi], dpi, np.random.default_rng(dpi))
    blank, ink = is_blank(page_of(pixels, dpi))
    assert blank and ink < MAX_BLANK_INK_MM2 / 2, (kind, ink)


@pytest.mark.parametrize("dpi", [150, 300])
@pytest.mark.parametrize("kind", WRITTEN_BACKS)
def test_a_few_handwritten_marks_are_not_blank(fronts: dict[int, np.ndarray], kind: str,
                                               dpi: int) -> None:
    pixels = WRITTEN_BACKS[kind](fronts[dpi], dpi, np.random.default_rng(dpi))
    blank, ink = is_blank(page_of(pixels, dpi))
    assert not blank and ink > 1.5 * MAX_BLANK_INK_MM2, (kind, ink)


def test_600_dpi(fronts: dict[int, np.ndarray]) -> None:
    rng = np.random.default_rng(600)
    back = BLANK_BACKS["everything, JPEG q40"](fronts[600], 600, rng)
    written = WRITTEN_BACKS["a 12 mm pen stroke"](fronts[600], 600, rng)
    assert is_blank(page_of(back, 600))[0]
    assert not is_blank(page_of(written, 600))[0]
    assert not is_blank(page_of(fronts[600], 600))[0]


@pytest.mark.parametrize("dpi", [150, 300, 600])
def test_form_pages_are_not_blank(fronts: dict[int, np.ndarray], dpi: int) -> None:
    noisy = done(fronts[dpi] + np.random.default_rng(0).normal(0, 5, fronts[dpi].shape))
    blank, ink = is_blank(page_of(noisy, dpi))
    assert not blank and ink > 1000  # square millimetres of print


@pytest.mark.parametrize("fmt", ["pdf-jpeg", "pdf-g4", "tiff-g4", "png"])
def test_through_the_scan_formats(tmp_path: Path, fronts: dict[int, np.ndarray],
                                  fmt: ScanFormat) -> None:
    """Duplex scan written as a scanner would: yellowed colour paper or bilevel G4."""
    rng = np.random.default_rng(1)
    front = fronts[300]
    back = show_through(paper(front.shape, rng, 0, 4), front, 40)
    yellowed = done(np.stack([back + 250, back + 238, back + 200], axis=-1))  # RGB
    writing = done(handwriting(show_through(paper(front.shape, rng), front, 40), 300, ("RAS",)))
    written = write_scan([front, yellowed, writing], tmp_path / "duplex.pdf", fmt, 300)
    pages = [item for path in written for item in iter_pages(path)]
    assert all(isinstance(page, PageImage) for page in pages)
    verdicts = [is_blank(page)[0] for page in pages if isinstance(page, PageImage)]
    assert verdicts == [False, True, False]


def test_a_black_scan_is_not_blank() -> None:
    """Lid open, nothing on the glass: not a blank back, it must be looked at."""
    black = done(paper((3508, 2480), np.random.default_rng(2), 25, 5))
    blank, dark_mm2 = is_blank(page_of(black, 300))
    assert not blank and dark_mm2 > 60000


def test_bilevel_noise_is_not_ink() -> None:
    rng = np.random.default_rng(3)
    for dpi in (300, 600):
        shape = (px(297, dpi), px(210, dpi))
        salt = np.where(rng.random(shape) < 0.002, 0, 255).astype(np.uint8)
        assert is_blank(page_of(salt, dpi, bilevel=True))[0]
