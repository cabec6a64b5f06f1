"""Scan input: every format a scanner writes is read back page by page, in order, at the
right resolution; PDF fallbacks match PDFium's rendering; damaged files give a French reason
and never stop the other files."""

from __future__ import annotations

import inspect
import io
import shutil
import subprocess
import zlib
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from bordereau.establishment import Establishment
from bordereau.ocr.pages import collect_inputs, estimate_dpi, iter_pages
from bordereau.ocr.types import PageImage, PageLoadError
from bordereau.simulate.scanfile import (
    BILEVEL_FORMATS,
    LOSSY_FORMATS,
    SCAN_FORMATS,
    PdfPage,
    Placed,
    RawImage,
    ScanFormat,
    binarize,
    jbig2_mmr,
    scan_page,
    turned_matrix,
    write_pdf,
    write_scan,
)
from tests.conftest import LYON

FILTERS = {"pdf-jpeg": "/DCTDecode", "pdf-g4": "/CCITTFaxDecode", "pdf-jbig2": "/JBIG2Decode",
           "pdf-flate": "/FlateDecode"}


def render(pdf: Path, dpi: float) -> list[np.ndarray]:
    """What a viewer shows: PDFium's greyscale rendering of every page."""
    document = pdfium.PdfDocument(pdf)
    pages = []
    for page in document:
        shown = np.array(page.render(scale=dpi / 72, no_smoothimage=True).to_pil().convert("L"))
        width, height = page.get_size()  # PDFium rounds the bitmap size up
        pages.append(shown[: round(height * dpi / 72), : round(width * dpi / 72)])
    document.close()
    return pages


def read(paths: list[Path]) -> list[PageImage | PageLoadError]:
    return [item for path in paths for item in iter_pages(path)]


def images(items: list[PageImage | PageLoadError]) -> list[PageImage]:
    assert all(isinstance(item, PageImage) for item in items), items
    return [item for item in items if isinstance(item, PageImage)]


@pytest.fixture(scope="module")
def form_rgb(tmp_path_factory: pytest.TempPathFactory) -> dict[int, np.ndarray]:
    """A real generated form page rendered in colour at 150, 300 and 600 dpi."""
    folder = tmp_path_factory.mktemp("form")
    Establishment(folder / "home").print_forms(LYON, "suivi", 1, folder / "suivi.pdf")
    document = pdfium.PdfDocument(folder / "suivi.pdf")
    pages = {dpi: document[0].render(scale=dpi / 72).to_numpy()[:, :, 2::-1].copy()
             for dpi in (150, 300, 600)}
    document.close()
    return pages


def grey(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))


def two_pages(form: np.ndarray) -> list[np.ndarray]:
    """Two different pages: the form, and the form upside down with a big mark."""
    second = np.ascontiguousarray(form[::-1, ::-1])
    height, width = second.shape[:2]
    cv2.rectangle(second, (width // 3, height // 3), (width // 2, height // 2), (0, 0, 0), -1)
    return [form, second]


def expected(page: np.ndarray, fmt: ScanFormat, dpi: float) -> np.ndarray:
    flat = grey(page) if page.ndim == 3 else page
    if fmt in BILEVEL_FORMATS:
        return np.where(binarize(flat, dpi), 0, 255).astype(np.uint8)
    return flat


@pytest.mark.parametrize("dpi", [150, 300, 600])
@pytest.mark.parametrize("fmt", SCAN_FORMATS)
def test_every_format_round_trips(
    tmp_path: Path, form_rgb: dict[int, np.ndarray], fmt: ScanFormat, dpi: int
) -> None:
    # colour at 150 and 300 dpi, grey at 600 dpi (what office scanners offer)
    sources = two_pages(form_rgb[dpi] if dpi < 600 else grey(form_rgb[dpi]))
    written = write_scan(sources, tmp_path / "scan.pdf", fmt, dpi)
    assert len(written) == (2 if fmt in ("png", "jpeg") else 1)
    pages = images(read(written))
    assert [p.index for p in pages] == ([0, 1] if len(written) == 1 else [0, 0])
    for page, source in zip(pages, sources, strict=True):
        want = expected(source, fmt, dpi)
        assert page.pixels.dtype == np.uint8 and page.pixels.shape == want.shape
        assert page.dpi == pytest.approx(dpi, abs=0.01) and page.dpi_known
        assert page.bilevel == (fmt in BILEVEL_FORMATS)
        diff = np.abs(page.pixels.astype(np.int16) - want)
        if fmt in LOSSY_FORMATS:
            assert diff.mean() < 2.5 and np.percentile(diff, 99.9) < 80
        else:
            assert diff.max() <= 1  # RGB to grey rounding differs by one between libraries
    # right order: each page is much nearer its own source than the other one
    first, second = (expected(s, fmt, dpi).astype(np.int16) for s in sources)
    assert np.abs(pages[0].pixels - first).mean() < np.abs(pages[0].pixels - second).mean() / 4


@pytest.mark.parametrize("fmt", ["pdf-jpeg", "pdf-g4", "pdf-jbig2", "pdf-flate"])
def test_pdfs_look_like_scanner_output(tmp_path: Path, form_rgb: dict[int, np.ndarray],
                                       fmt: ScanFormat) -> None:
    page = grey(form_rgb[150])
    (path,) = write_scan([page, page, page], tmp_path / "scan.pdf", fmt, 150)
    reader = PdfReader(path)
    assert len(reader.pages) == 3
    for pdf_page in reader.pages:
        (xobject,) = pdf_page["/Resources"]["/XObject"].values()  # type: ignore[index]
        image = xobject.get_object()
        assert image["/Filter"] == FILTERS[fmt]
        assert (image["/Width"], image["/Height"]) == (page.shape[1], page.shape[0])
        assert float(pdf_page.mediabox.width) == pytest.approx(page.shape[1] * 72 / 150, abs=0.01)
        assert float(pdf_page.mediabox.height) == pytest.approx(page.shape[0] * 72 / 150, abs=0.01)
    # a viewer shows the page (PDFium smooths images even at their own resolution)
    for shown in render(path, 150):
        diff = shown[: page.shape[0], : page.shape[1]].astype(int) - expected(page, fmt, 150)
        assert np.abs(diff).mean() < 8


def test_g4_and_jbig2_are_standard(tmp_path: Path, form_rgb: dict[int, np.ndarray]) -> None:
    """Independent decoders agree: pypdf + libtiff for G4, jbig2dec for JBIG2."""
    page = grey(form_rgb[150])
    black = binarize(page, 150)
    (path,) = write_scan([page], tmp_path / "g4.pdf", "pdf-g4", 150)
    extracted = PdfReader(path).pages[0].images[0].image
    assert extracted is not None
    assert np.array_equal(np.asarray(extracted.convert("L")) < 128, black)
    assert shutil.which("jbig2dec"), "jbig2dec missing: ./dev.sh setup installs it (Debian)"
    (tmp_path / "page.jb2").write_bytes(jbig2_mmr(black, 150))
    subprocess.run(["jbig2dec", "--embedded", "-t", "png", "-o", str(tmp_path / "out.png"),
                    str(tmp_path / "page.jb2")], check=True, capture_output=True)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out.png").convert("L")) < 128, black)


def test_rotate_entries_and_turned_images_come_out_upright(
    tmp_path: Path, form_rgb: dict[int, np.ndarray]
) -> None:
    page = grey(form_rgb[150])
    combos = [(rotate, turn) for rotate in (0, 90, 180, 270) for turn in range(4)]
    for encoding in ("flate", "g4"):
        path = write_pdf([scan_page(page, encoding, 150, rotate=r, turn=t) for r, t in combos],
                         tmp_path / f"{encoding}.pdf")
        want = page if encoding == "flate" else expected(page, "pdf-g4", 150)
        for item, shown in zip(read([path]), render(path, 150), strict=True):
            assert isinstance(item, PageImage) and item.dpi == pytest.approx(150, abs=0.01)
            assert np.array_equal(item.pixels, want), (encoding, combos[item.index])
            # viewers show the same page (PDFium smooths; a wrong turn would differ by ~50)
            assert np.abs(shown[: want.shape[0], : want.shape[1]].astype(int) - want).mean() < 8


def test_pages_that_must_be_rendered_match_pdfium(tmp_path: Path,
                                                  form_rgb: dict[int, np.ndarray]) -> None:
    page = grey(form_rgb[300])
    h, w = page.shape
    half = scan_page(page[: h // 2], "flate", 300).images[0].image
    rest = scan_page(page[h // 2 :], "flate", 300).images[0].image
    wpt, hpt = w * 72 / 300, h * 72 / 300
    two_images = PdfPage(wpt, hpt, [Placed(half, (wpt, 0, 0, hpt / 2, 0, hpt / 2)),
                                    Placed(rest, (wpt, 0, 0, hpt - hpt / 2, 0, 0))])
    small = cv2.resize(page, (w // 2, h // 2), interpolation=cv2.INTER_AREA)  # A5 at 200 dpi
    skew = cv2.getRotationMatrix2D((0, 0), 0.8, 1.0)
    skewed = PdfPage(wpt, hpt, [Placed(half, (wpt * skew[0, 0], wpt * skew[1, 0], -hpt / 2 *
                                              skew[0, 1], hpt / 2 * skew[1, 1], 20, 300))])
    pages = [scan_page(page, "jpeg", 300, vector=True), two_images,
             scan_page(small, "g4", 200, rotate=90), skewed]
    path = write_pdf(pages, tmp_path / "mixed.pdf")
    read_back = images(read([path]))
    assert [p.dpi for p in read_back] == pytest.approx([300, 300, 200, 300])
    assert [p.bilevel for p in read_back] == [False, False, True, False]
    for item in (read_back[0], read_back[1], read_back[3]):  # rendered by PDFium
        shown = render(path, item.dpi)[item.index]
        assert item.pixels.shape == shown.shape
        assert np.abs(item.pixels.astype(int) - shown).mean() < 0.1
    # a rendering, not the pixels themselves: a row or column may shift by one
    assert np.abs(read_back[1].pixels.astype(int) - page).mean() < 6
    # the smaller page in the same file is still one image: decoded exactly, turned upright
    assert np.array_equal(read_back[2].pixels, expected(small, "pdf-g4", 200))


def decode_cases(page: np.ndarray) -> dict[str, RawImage]:
    """Image dictionaries as scanners and PDF tools write them; all show ``page`` (0/255)."""
    h, w = page.shape
    black = page < 128

    def flate(array: np.ndarray, entries: str) -> RawImage:
        return RawImage(zlib.compress(np.ascontiguousarray(array).tobytes()), w, h,
                        entries + " /Filter /FlateDecode")

    def bits(mask: np.ndarray) -> np.ndarray:
        return np.packbits(mask, axis=1)

    g4_parms = f"/DecodeParms << /K -1 /Columns {w} /Rows {h} /BlackIs1 true >>"
    from bordereau.simulate.scanfile import g4_strip

    return {
        "grey, /Decode [1 0]": flate(255 - page, "/ColorSpace /DeviceGray /BitsPerComponent 8 "
                                     "/Decode [1 0]"),
        "1-bit": flate(bits(~black), "/ColorSpace /DeviceGray /BitsPerComponent 1"),
        "1-bit, /Decode [1 0]": flate(bits(black), "/ColorSpace /DeviceGray /BitsPerComponent 1 "
                                      "/Decode [1 0]"),
        "G4, BlackIs1": RawImage(g4_strip(~black), w, h, "/ColorSpace /DeviceGray "
                                 f"/BitsPerComponent 1 /Filter /CCITTFaxDecode {g4_parms}"),
        "image mask": flate(bits(~black), "/ImageMask true"),
        "indexed": flate(black.astype(np.uint8), "/ColorSpace [/Indexed /DeviceRGB 1 "
                         "<FFFFFF000000>] /BitsPerComponent 8"),
        "indexed 1-bit": flate(bits(black), "/ColorSpace [/Indexed /DeviceRGB 1 <FFFFFF000000>] "
                               "/BitsPerComponent 1"),
        "CMYK": flate(np.stack([black * 255] * 4, -1).astype(np.uint8),
                      "/ColorSpace /DeviceCMYK /BitsPerComponent 8"),
        "grey 16-bit": flate(page.astype(">u2") * 257, "/ColorSpace /DeviceGray "
                             "/BitsPerComponent 16"),
        "PNG predictor": flate(np.hstack([np.zeros((h, 1), np.uint8), page]),
                               f"/ColorSpace /DeviceGray /BitsPerComponent 8 /DecodeParms "
                               f"<< /Predictor 15 /Columns {w} >>"),
    }


def test_decode_arrays_blackis1_masks_and_colour_spaces(tmp_path: Path,
                                                        form_rgb: dict[int, np.ndarray]) -> None:
    page = expected(grey(form_rgb[150]), "pdf-g4", 150)
    wpt, hpt = page.shape[1] * 72 / 150, page.shape[0] * 72 / 150
    cases = decode_cases(page)
    pages = [PdfPage(wpt, hpt, [Placed(image, turned_matrix(0, wpt, hpt))])
             for image in cases.values()]
    read_back = read([write_pdf(pages, tmp_path / "cases.pdf")])
    for name, item in zip(cases, read_back, strict=True):
        assert isinstance(item, PageImage), name
        assert item.dpi == pytest.approx(150, abs=0.01), name
        assert np.abs(item.pixels.astype(int) - page).mean() < 0.5, name
    assert [i.bilevel for i in images(read_back)] == [
        False, True, True, True, True, False, True, False, False, False]


def test_searchable_pdf_text_layer_is_ignored(tmp_path: Path,
                                              form_rgb: dict[int, np.ndarray]) -> None:
    page = grey(form_rgb[150])
    scan = scan_page(page, "flate", 150)
    path = write_pdf([PdfPage(scan.width_pt, scan.height_pt, scan.images, ocr_layer=True)],
                     tmp_path / "ocr.pdf")
    (item,) = images(read([path]))
    assert np.array_equal(item.pixels, page)  # the embedded image itself, not a rendering


def test_damaged_files_give_one_french_reason_and_the_batch_goes_on(
    tmp_path: Path, form_rgb: dict[int, np.ndarray]
) -> None:
    page = grey(form_rgb[150])
    (good,) = write_scan([page, page], tmp_path / "good.pdf", "pdf-jpeg", 150)
    data = good.read_bytes()
    (tmp_path / "truncated.pdf").write_bytes(data[: len(data) * 2 // 3])
    (tmp_path / "empty.pdf").write_bytes(b"")
    (tmp_path / "text.pdf").write_text("Compte rendu de consultation\n", encoding="utf-8")
    (tmp_path / "random.png").write_bytes(bytes(range(256)) * 4)
    writer = PdfWriter(clone_from=good)
    writer.encrypt("secret", algorithm="RC4-128")
    writer.write(tmp_path / "locked.pdf")
    owner_only = PdfWriter(clone_from=good)
    owner_only.encrypt("", "proprietaire", algorithm="RC4-128")
    owner_only.write(tmp_path / "owner.pdf")
    (tiff,) = write_scan([page, page, page], tmp_path / "scan.tif", "tiff-lzw", 150)
    tiff_data = tiff.read_bytes()
    (tmp_path / "cut.tif").write_bytes(tiff_data[: len(tiff_data) // 2])
    (jpeg,) = write_scan([page], tmp_path / "photo.jpg", "jpeg", 150)
    (tmp_path / "cut.jpg").write_bytes(jpeg.read_bytes()[:5000])
    names = ["truncated.pdf", "empty.pdf", "good.pdf", "text.pdf", "random.png", "locked.pdf",
             "owner.pdf", "cut.tif", "cut.jpg"]
    outcome = {name: [(i.index, i.reason if isinstance(i, PageLoadError) else "ok")
                      for i in iter_pages(tmp_path / name)] for name in names}
    assert outcome == {
        "truncated.pdf": [(None, "fichier PDF illisible (tronqué ?)")],
        "empty.pdf": [(None, "fichier vide")],
        "good.pdf": [(0, "ok"), (1, "ok")],
        "text.pdf": [(None, "fichier PDF illisible : ce n'est pas un PDF (contenu : du texte)")],
        "random.png": [
            (None, "fichier PNG illisible : ce n'est pas un PNG (contenu : non reconnu)")],
        "locked.pdf": [(None, "PDF protégé par mot de passe")],
        "owner.pdf": [(0, "ok"), (1, "ok")],
        "cut.tif": [(0, "ok"), (1, "page TIFF illisible")],
        "cut.jpg": [(0, "image JPEG illisible (tronquée ou endommagée ?)")],
    }


def test_a_bad_page_does_not_stop_the_following_pages(tmp_path: Path,
                                                      form_rgb: dict[int, np.ndarray]) -> None:
    page = grey(form_rgb[150])
    good = scan_page(page, "jpeg", 150)
    image = good.images[0].image
    cut = RawImage(image.data[: len(image.data) // 2], image.width, image.height, image.entries)
    bad = PdfPage(good.width_pt, good.height_pt, [Placed(cut, good.images[0].matrix)])
    path = write_pdf([good, bad, good], tmp_path / "one-bad-page.pdf")
    assert inspect.isgenerator(iter_pages(path))  # lazy: big batches are not decoded up front
    outcome = [(i.index, getattr(i, "reason", "ok")) for i in iter_pages(path)]
    assert outcome == [(0, "ok"), (1, "image JPEG de la page incomplète (fichier tronqué ?)"),
                       (2, "ok")]


def test_resolution_from_metadata_or_estimated(tmp_path: Path,
                                               form_rgb: dict[int, np.ndarray]) -> None:
    page = grey(form_rgb[300])
    at_200 = cv2.resize(page, (1654, 2339), interpolation=cv2.INTER_AREA)
    Image.fromarray(at_200).save(tmp_path / "no-dpi.png")
    Image.fromarray(page).save(tmp_path / "software.jpg", dpi=(72, 72))
    Image.fromarray(page).save(tmp_path / "dpcm.tif", resolution=118.11, resolution_unit=3)
    Image.fromarray(page[::3, ::3]).save(tmp_path / "fax.png", dpi=(100, 100))
    Image.fromarray(np.kron(page, np.ones((4, 4), np.uint8))).save(tmp_path / "huge.png",
                                                                    dpi=(1200, 1200))
    found = {name: next(iter_pages(tmp_path / name)) for name in
             ("no-dpi.png", "software.jpg", "dpcm.tif", "fax.png", "huge.png")}
    summary = {name: (i.dpi, i.dpi_known, i.pixels.shape) if isinstance(i, PageImage) else
               i.reason for name, i in found.items()}
    assert summary == {
        "no-dpi.png": (200.0, False, (2339, 1654)),
        "software.jpg": (300.0, False, page.shape),
        "dpcm.tif": (300.0, True, page.shape),
        "fax.png": "résolution trop faible (100 dpi) : numérisez entre 150 et 600 dpi",
        "huge.png": (600.0, True, (page.shape[0] * 2, page.shape[1] * 2)),
    }
    assert estimate_dpi(3300, 2550) == 300.0  # US Letter at 300 dpi


def test_exif_orientation_is_applied(tmp_path: Path, form_rgb: dict[int, np.ndarray]) -> None:
    page = grey(form_rgb[150])
    exif = Image.Exif()
    exif[0x0112] = 6  # "turn 90 degrees clockwise to display"
    Image.fromarray(np.ascontiguousarray(np.rot90(page, 1))).save(
        tmp_path / "phone.jpg", exif=exif, dpi=(150, 150), quality=90)
    (item,) = images(read([tmp_path / "phone.jpg"]))
    assert item.pixels.shape == page.shape and item.dpi_known
    assert np.abs(item.pixels.astype(int) - page).mean() < 2


def test_collect_inputs_walks_folders_and_reports_unsupported_files(tmp_path: Path) -> None:
    batch = tmp_path / "lot"
    (batch / "sub").mkdir(parents=True)
    (batch / ".cache").mkdir()
    page = np.full((2339, 1654), 250, np.uint8)
    write_scan([page], batch / "scan-10.pdf", "pdf-g4", 200)
    write_scan([page], batch / "scan-2.pdf", "pdf-g4", 200)
    write_scan([page], batch / "sub" / "photo.jpg", "jpeg", 200)
    write_scan([page], batch / "fax.TIF", "tiff-g4", 200)
    (batch / "notes.docx").write_bytes(b"PK\x03\x04")
    (batch / "broken.pdf").write_text("pas un PDF", encoding="utf-8")
    (batch / ".hidden.pdf").write_bytes(b"%PDF-1.4")
    (batch / ".cache" / "x.pdf").write_bytes(b"%PDF-1.4")
    (batch / "Thumbs.db").write_bytes(b"\0")
    named = tmp_path / "scan-sans-extension"
    shutil.copy(batch / "scan-2.pdf", named)
    skipped: list[PageLoadError] = []
    found = collect_inputs([batch, named, batch / "scan-2.pdf", tmp_path / "absent.pdf"],
                           on_skip=skipped.append)
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "lot/broken.pdf", "lot/fax.TIF", "lot/scan-2.pdf", "lot/scan-10.pdf",
        "lot/sub/photo-001.jpg", "scan-sans-extension"]
    assert [s.reason for s in skipped] == [
        "« lot/notes.docx » ignoré : format non pris en charge (formats acceptés : PDF, TIFF, "
        "PNG, JPEG)", f"« absent.pdf » refusé : introuvable ({tmp_path / 'absent.pdf'})"]
    outcome = [(p.name, getattr(item, "reason", "ok")) for p in found for item in iter_pages(p)]
    assert outcome == [
        ("broken.pdf", "fichier PDF illisible : ce n'est pas un PDF (contenu : du texte)"),
        ("fax.TIF", "ok"), ("scan-2.pdf", "ok"), ("scan-10.pdf", "ok"),
        ("photo-001.jpg", "ok"), ("scan-sans-extension", "ok")]


def test_write_scan_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one page"):
        write_scan([], tmp_path / "x.pdf", "pdf-jpeg", 300)
    with pytest.raises(ValueError, match="uint8"):
        write_scan([np.zeros((100, 100), np.float32)], tmp_path / "x.pdf", "pdf-jpeg", 300)
    with pytest.raises(ValueError, match="unknown scan format"):
        write_scan([np.zeros((100, 100), np.uint8)], tmp_path / "x.pdf", "gif", 300)  # type: ignore[arg-type]
    assert not any(tmp_path.iterdir())


def test_jpeg_quality_is_honoured(tmp_path: Path, form_rgb: dict[int, np.ndarray]) -> None:
    page = grey(form_rgb[150])
    sizes = [write_scan([page], tmp_path / f"q{q}.jpg", "jpeg", 150, jpeg_quality=q)[0]
             .stat().st_size for q in (30, 95)]
    assert sizes[0] < sizes[1]
    assert Image.open(io.BytesIO((tmp_path / "q30-001.jpg").read_bytes())).info["dpi"] == (150, 150)


def test_unusual_image_modes(tmp_path: Path, form_rgb: dict[int, np.ndarray]) -> None:
    page = grey(form_rgb[150])
    rgba = np.dstack([form_rgb[150], np.full(page.shape, 255, np.uint8)])
    rgba[:100, :, 3] = 0  # transparent band: paper
    want_rgba = page.copy()
    want_rgba[:100] = 255
    samples = {
        "grey16.png": (Image.fromarray(page.astype(np.uint16) * 257), page),
        "palette.png": (Image.fromarray(page).convert("P"), page),
        "alpha.png": (Image.fromarray(rgba, "RGBA"), want_rgba),
        "bilevel.png": (Image.fromarray(page > 127), np.where(page > 127, 255, 0)),
        "cmyk.tif": (Image.fromarray(255 - page).convert("CMYK"), None),
    }
    for name, (image, want) in samples.items():
        image.save(tmp_path / name, dpi=(150, 150))
        (item,) = images(read([tmp_path / name]))
        assert item.dpi == 150 and item.pixels.shape == page.shape, name
        if want is not None:
            assert np.abs(item.pixels.astype(int) - want).max() <= 1, name
    assert images(read([tmp_path / "bilevel.png"]))[0].bilevel
