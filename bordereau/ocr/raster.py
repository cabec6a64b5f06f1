"""TIFF, PNG and JPEG pages through Pillow (``ocr.pages`` dispatches to here).

JPEG is decoded luminance-only; the EXIF/TIFF orientation is applied; non-square fax pixels
are made square; every TIFF page is a page (APNG/MPO frames are not).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from bordereau.ocr.decoder_messages import damage, tiff_messages
from bordereau.ocr.entries import Kind
from bordereau.ocr.guards import MAX_PIXELS, too_many_pixels
from bordereau.ocr.page_checks import PageError, finish, guarded, refuse
from bordereau.ocr.types import PageImage, PageLoadError


def iter_raster(path: Path, kind: Kind) -> Iterator[PageImage | PageLoadError]:
    label = {"tiff": "TIFF", "png": "PNG", "jpeg": "JPEG"}[kind]
    image = guarded(path, None, f"fichier {label} illisible", _open_image, path)
    if isinstance(image, PageLoadError):
        yield image
        return
    with image:
        index = 0
        while index == 0 or kind == "tiff":  # only TIFF pages are pages; APNG/MPO frames are not
            found = guarded(path, index, f"page {label} illisible", _seek, image, index)
            if found is not True:
                if isinstance(found, PageLoadError):
                    yield found
                break
            reason = f"image {label} illisible (tronquée ou endommagée ?)"
            yield guarded(path, index, reason, _raster_page, path, index, image, kind)
            index += 1


def _open_image(path: Path) -> Image.Image:
    """Pillow's lazy open (headers only); its bomb check worded like ours."""
    try:
        return Image.open(path)
    except Image.DecompressionBombError as error:
        found = re.search(r"\((\d+) pixels\)", str(error))
        count = f"{int(found.group(1)) // 1_000_000} millions de" if found else "trop de"
        raise PageError(f"image trop grande ({count} pixels, au plus "
                         f"{MAX_PIXELS // 1_000_000} millions) : refusée sans être "
                         "décodée") from error


def _seek(image: Image.Image, index: int) -> bool:
    try:
        image.seek(index)
    except EOFError:
        return False
    return True


def _raster_page(
    path: Path, index: int, image: Image.Image, kind: Kind
) -> PageImage | PageLoadError:
    refuse(too_many_pixels(*image.size))  # before anything is decoded
    if kind == "jpeg" and image.mode in ("RGB", "YCbCr"):
        image.draft("L", image.size)  # libjpeg decodes the luminance only
    bilevel = image.mode == "1"
    with tiff_messages() as messages:
        image.load()
    if kind == "tiff" and damage(messages):
        raise PageError("page TIFF endommagée (données d'image incorrectes) : la numériser "
                         "de nouveau")
    pixels = _pil_grey(image)
    tags = getattr(image, "tag_v2", None) if kind == "tiff" else None
    orientation = tags.get(274, 1) if tags is not None else image.getexif().get(0x0112, 1)
    found = image.info.get("dpi")
    dpi_x, dpi_y = (float(found[0]), float(found[1])) if found else (0.0, 0.0)
    if orientation in (5, 6, 7, 8):
        dpi_x, dpi_y = dpi_y, dpi_x
    pixels = _apply_orientation(pixels, int(orientation))
    dpi: float | None = None
    if dpi_x > 0 and dpi_y > 0:
        if abs(dpi_x - dpi_y) > 0.015 * dpi_x:  # non-square pixels (fax): make them square
            height = round(pixels.shape[0] * dpi_x / dpi_y)
            interpolation = cv2.INTER_NEAREST if bilevel else cv2.INTER_LINEAR
            pixels = cv2.resize(pixels, (pixels.shape[1], height), interpolation=interpolation)
        dpi = dpi_x
    return finish(path, index, pixels, dpi, bilevel)


def _pil_grey(image: Image.Image) -> np.ndarray:
    if image.mode == "L":
        return np.array(image)
    if image.mode.startswith("I"):
        array = np.asarray(image).astype(np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or array.max() > 255 else 255.0
        return np.asarray(np.clip(array * (255.0 / top), 0, 255).round(), dtype=np.uint8)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return np.array(Image.alpha_composite(white, image.convert("RGBA")).convert("L"))
    return np.array(image.convert("L"))


def _apply_orientation(a: np.ndarray, orientation: int) -> np.ndarray:
    """Turn pixels upright by the EXIF/TIFF orientation tag (1 = already upright)."""
    if orientation in (5, 6, 7, 8):
        a, orientation = a.T, {5: 1, 6: 2, 7: 3, 8: 4}[orientation]  # 6 = transpose + mirror
    if orientation in (2, 3):
        a = a[:, ::-1]
    if orientation in (3, 4):
        a = a[::-1]
    return np.ascontiguousarray(a)
