"""Write page images the way office scanners do: PDF, TIFF, PNG and JPEG files.

Scanner PDFs hold one full-page image per page, sized so that image pixels / page size is
the scan resolution; the image is JPEG (``DCTDecode``), CCITT Group 4 (``CCITTFaxDecode``),
JBIG2 (``JBIG2Decode``) or ``FlateDecode``. :func:`write_scan` writes those and the usual
multi-page TIFFs and one-file-per-page PNG/JPEG. :func:`write_pdf` gives finer control for
tests of the reader's fallbacks: a ``/Rotate`` entry, an image drawn turned by its matrix,
a vector overlay, several images on a page, pages of different sizes.

The PDF is written by hand (a few objects and an xref table) so that every dictionary entry
is exactly what a scanner would write. G4 data comes from libtiff through Pillow; JBIG2 is
a generic region coded with MMR (T.6, the Group 4 code), a legal JBIG2 encoding that needs
no JBIG2 encoder library (none is packaged for Debian 12 or on PyPI).
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

import cv2
import numpy as np
from PIL import Image, TiffImagePlugin

ScanFormat = Literal[
    "pdf-jpeg",
    "pdf-g4",
    "pdf-jbig2",
    "pdf-flate",
    "tiff-g4",
    "tiff-lzw",
    "tiff-jpeg",
    "png",
    "jpeg",
]
Encoding = Literal["jpeg", "g4", "jbig2", "flate"]
SCAN_FORMATS: tuple[ScanFormat, ...] = get_args(ScanFormat)
BILEVEL_FORMATS: frozenset[ScanFormat] = frozenset({"pdf-g4", "pdf-jbig2", "tiff-g4"})
LOSSY_FORMATS: frozenset[ScanFormat] = frozenset({"pdf-jpeg", "tiff-jpeg", "jpeg"})


@dataclass(frozen=True)
class RawImage:
    """An image XObject: its encoded stream and the dictionary entries that describe it."""

    data: bytes
    width: int
    height: int
    entries: str  # PDF syntax, e.g. "/ColorSpace /DeviceGray /BitsPerComponent 8"


@dataclass(frozen=True)
class Placed:
    """An image drawn with the matrix ``[a b c d e f]`` (points, PDF user space)."""

    image: RawImage
    matrix: tuple[float, float, float, float, float, float]


@dataclass(frozen=True)
class PdfPage:
    """One PDF page: its size in points, what is drawn on it, and its ``/Rotate`` entry."""

    width_pt: float
    height_pt: float
    images: Sequence[Placed]
    rotate: int = 0
    vector: bool = False  # also draw a line and a word of text over the images
    ocr_layer: bool = False  # add invisible text, as "searchable PDF" scanners do
    extra: dict[str, str] = field(default_factory=dict)  # more page-dictionary entries


def binarize(pixels: np.ndarray, dpi: float) -> np.ndarray:
    """Black-and-white the way a scanner's "text" mode does; True marks black pixels.

    A pixel is black when it is darker than the mean of its neighbourhood (about 8 mm
    across) by 25 grey levels and darker than 170, or darker than 110 in any case: uneven
    lighting does not blacken whole areas, paper noise and show-through of the other side
    stay white, pencil and solid fills stay black.
    """
    grey = _grey(pixels)
    window = max(3, round(8 * dpi / 25.4) | 1)
    local = cv2.blur(grey, (window, window), borderType=cv2.BORDER_REPLICATE).astype(np.int16)
    g = grey.astype(np.int16)
    black: np.ndarray = ((g < local - 25) & (g < 170)) | (g < 110)
    return black


def encode_image(
    pixels: np.ndarray, encoding: Encoding, dpi: float, *, jpeg_quality: int = 75
) -> RawImage:
    """Encode one page image as a scanner would embed it in a PDF."""
    pixels = _checked(pixels)
    height, width = pixels.shape[:2]
    colour = "/DeviceRGB" if pixels.ndim == 3 else "/DeviceGray"
    if encoding == "jpeg":
        data = _jpeg(pixels, jpeg_quality)
        entries = f"/ColorSpace {colour} /BitsPerComponent 8 /Filter /DCTDecode"
    elif encoding == "flate":
        data = zlib.compress(np.ascontiguousarray(pixels).tobytes(), 6)
        entries = f"/ColorSpace {colour} /BitsPerComponent 8 /Filter /FlateDecode"
    elif encoding == "g4":
        data = g4_strip(binarize(pixels, dpi))
        entries = (
            "/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode "
            f"/DecodeParms << /K -1 /Columns {width} /Rows {height} /BlackIs1 false >>"
        )
    else:
        data = jbig2_mmr(binarize(pixels, dpi), dpi)
        entries = "/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /JBIG2Decode"
    return RawImage(data, width, height, entries)


def scan_page(
    pixels: np.ndarray,
    encoding: Encoding,
    dpi: float,
    *,
    rotate: int = 0,
    turn: int = 0,
    vector: bool = False,
    jpeg_quality: int = 75,
) -> PdfPage:
    """A scanner page that displays ``pixels`` upright.

    ``rotate`` (0/90/180/270) stores the page turned and adds ``/Rotate`` to undo it, as
    scanners do for landscape-fed sheets; ``turn`` (0-3 quarter turns) stores the image
    turned counter-clockwise and draws it with a rotating matrix instead.
    """
    if rotate % 90 or turn not in range(4):
        raise ValueError(f"rotate must be a multiple of 90 and turn 0-3, not {rotate}, {turn}")
    stored = np.rot90(_checked(pixels), (rotate // 90) % 4)  # undone by /Rotate (clockwise)
    h_px, w_px = stored.shape[:2]
    w_pt, h_pt = w_px * 72 / dpi, h_px * 72 / dpi
    image = encode_image(
        np.ascontiguousarray(np.rot90(stored, turn)), encoding, dpi, jpeg_quality=jpeg_quality
    )
    return PdfPage(w_pt, h_pt, [Placed(image, turned_matrix(turn, w_pt, h_pt))], rotate, vector)


def turned_matrix(turn: int, w: float, h: float) -> tuple[float, float, float, float, float, float]:
    """The matrix that draws ``np.rot90(picture, turn)`` upright on a ``w`` x ``h`` page."""
    matrices = {
        0: (w, 0.0, 0.0, h, 0.0, 0.0),
        1: (0.0, -h, w, 0.0, 0.0, h),
        2: (-w, 0.0, 0.0, -h, w, h),
        3: (0.0, h, -w, 0.0, w, 0.0),
    }
    return matrices[turn % 4]


def write_pdf(pages: Sequence[PdfPage], path: Path) -> Path:
    """Write ``pages`` as a PDF of the kind scanners produce; return ``path``."""
    objects: list[bytes] = [b"", b""]  # 1: catalog, 2: page tree (filled in at the end)
    kids: list[int] = []
    for page in pages:
        names = []
        for number, placed in enumerate(page.images):
            img = placed.image
            head = (
                f"<< /Type /XObject /Subtype /Image /Width {img.width} /Height {img.height} "
                f"{img.entries} /Length {len(img.data)} >>\nstream\n"
            )
            objects.append(head.encode() + img.data + b"\nendstream")
            names.append(f"/Im{number} {len(objects)} 0 R")
        ops = "".join(
            "q " + " ".join(f"{v:.4f}" for v in p.matrix) + f" cm /Im{n} Do Q\n"
            for n, p in enumerate(page.images)
        )
        fonts = ""
        if page.vector:
            ops += "q 0 0 0 RG 1.5 w 36 30 m 180 30 l S BT /F1 9 Tf 36 36 Td (Copie) Tj ET Q\n"
        if page.ocr_layer:
            ops += "BT 3 Tr /F1 10 Tf 40 700 Td (Fiche de suivi) Tj 0 -14 Td (Lyon) Tj ET\n"
        if page.vector or page.ocr_layer:
            objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
            fonts = f" /Font << /F1 {len(objects)} 0 R >>"
        content = zlib.compress(ops.encode())
        objects.append(
            f"<< /Length {len(content)} /Filter /FlateDecode >>\nstream\n".encode()
            + content
            + b"\nendstream"
        )
        extra = "".join(f" {key} {value}" for key, value in page.extra.items())
        rotate = f" /Rotate {page.rotate}" if page.rotate else ""
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {page.width_pt:.4f} "
            f"{page.height_pt:.4f}]{rotate} /Resources << /XObject << {' '.join(names)} >>"
            f"{fonts} /ProcSet [/PDF /Text /ImageB /ImageC] >> /Contents {len(objects)} 0 R"
            f"{extra} >>".encode()
        )
        kids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    refs = " ".join(f"{k} 0 R" for k in kids)
    objects[1] = f"<< /Type /Pages /Kids [{refs}] /Count {len(kids)} >>".encode()
    objects.append(b"<< /Producer (bordereau scan simulator) /Creator (Scanner) >>")
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    path.write_bytes(bytes(out))
    return path


def write_scan(
    pages: Sequence[np.ndarray],
    path: Path,
    fmt: ScanFormat,
    dpi: float,
    *,
    jpeg_quality: int = 75,
) -> list[Path]:
    """Write ``pages`` (8-bit grey ``(h, w)`` or RGB ``(h, w, 3)`` arrays) as a scanner would.

    PDF and TIFF formats write one multi-page file at ``path``; ``png`` and ``jpeg`` write
    one file per page next to it, named ``<stem>-001.png`` and so on. Bilevel formats
    (``pdf-g4``, ``pdf-jbig2``, ``tiff-g4``) binarise with :func:`binarize`. Returns the
    files written, in page order.
    """
    if not pages:
        raise ValueError("write_scan needs at least one page")
    if not 50 <= dpi <= 2400:
        raise ValueError(f"dpi {dpi} is outside 50-2400")
    if fmt not in SCAN_FORMATS:
        raise ValueError(f"unknown scan format {fmt!r}; expected one of {SCAN_FORMATS}")
    arrays = [_checked(p) for p in pages]
    if fmt.startswith("pdf-"):
        encoding: Encoding = fmt.removeprefix("pdf-")  # type: ignore[assignment]
        scans = [scan_page(a, encoding, dpi, jpeg_quality=jpeg_quality) for a in arrays]
        return [write_pdf(scans, path)]
    if fmt.startswith("tiff-"):
        return [_write_tiff(arrays, path, fmt, dpi, jpeg_quality)]
    suffix = ".png" if fmt == "png" else ".jpg"
    if fmt == "jpeg" and path.suffix.lower() in (".jpg", ".jpeg"):
        suffix = path.suffix
    written = []
    for number, array in enumerate(arrays, start=1):
        target = path.with_name(f"{path.stem}-{number:03d}{suffix}")
        image = Image.fromarray(array)
        if fmt == "png":
            # zlib's fastest level, as scanners write: the same pixels as the default
            # level 6, files about 20 % larger, written four times faster (noisy scans)
            image.save(target, "PNG", dpi=(dpi, dpi), compress_level=1)
        else:
            image.save(target, "JPEG", quality=jpeg_quality, dpi=(round(dpi), round(dpi)))
        written.append(target)
    return written


def g4_strip(black: np.ndarray) -> bytes:
    """CCITT Group 4 data (one strip, ends with EOFB) for a bilevel image, True = black."""
    height = black.shape[0]
    buffer = io.BytesIO()
    # Pillow stores mode "1" pixel value 1 as bit 1, and libtiff codes bit 1 as a black run.
    Image.fromarray(np.ascontiguousarray(black)).save(
        buffer, "TIFF", compression="group4", tiffinfo={278: height}
    )
    with Image.open(buffer) as tiff:
        assert isinstance(tiff, TiffImagePlugin.TiffImageFile)
        offsets, counts = tiff.tag_v2[273], tiff.tag_v2[279]
    if len(offsets) != 1:
        raise RuntimeError("libtiff wrote several strips; expected one")
    return buffer.getvalue()[offsets[0] : offsets[0] + counts[0]]


def jbig2_mmr(black: np.ndarray, dpi: float) -> bytes:
    """A JBIG2 stream as embedded in PDF (no file header): one MMR-coded generic region."""
    height, width = black.shape
    ppm = round(dpi / 0.0254)

    def segment(number: int, kind: int, data: bytes) -> bytes:
        # number, flags (type, 1-byte page association), no referred-to segments, page 1
        return struct.pack(">IBBBI", number, kind, 0, 1, len(data)) + data

    page_info = struct.pack(">IIIIBH", width, height, ppm, ppm, 0x01, 0)
    region = struct.pack(">IIIIB", width, height, 0, 0, 0) + b"\x01"  # MMR = 1
    return (
        segment(0, 48, page_info)  # page information
        + segment(1, 39, region + g4_strip(black))  # immediate lossless generic region
        + segment(2, 49, b"")  # end of page
    )


def _write_tiff(arrays: list[np.ndarray], path: Path, fmt: str, dpi: float, quality: int) -> Path:
    if fmt == "tiff-g4":
        images = [Image.fromarray(~binarize(a, dpi)) for a in arrays]  # mode "1", white = 1
        options: dict[str, object] = {"compression": "group4"}
    elif fmt == "tiff-lzw":
        images = [Image.fromarray(a) for a in arrays]
        options = {"compression": "tiff_lzw"}
    else:
        images = [Image.fromarray(a) for a in arrays]
        options = {"compression": "jpeg", "quality": quality}
    images[0].save(path, "TIFF", save_all=True, append_images=images[1:], dpi=(dpi, dpi), **options)
    return path


def _jpeg(pixels: np.ndarray, quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _grey(pixels: np.ndarray) -> np.ndarray:
    if pixels.ndim == 3:
        return np.asarray(cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY))
    return pixels


def _checked(pixels: np.ndarray) -> np.ndarray:
    if pixels.dtype != np.uint8 or not (
        pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[2] == 3)
    ):
        raise ValueError(
            f"page images must be uint8 (h, w) or (h, w, 3), not {pixels.dtype} {pixels.shape}"
        )
    if pixels.shape[0] < 8 or pixels.shape[1] < 8:
        raise ValueError(f"page image too small: {pixels.shape}")
    return pixels
