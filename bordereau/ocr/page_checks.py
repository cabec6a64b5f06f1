"""What every page of every format goes through once decoded (``ocr.pages``, ``ocr.raster``).

The boundary that turns any exception of a decoder into a French :class:`PageLoadError`
(``guarded``), and the resolution checks: a resolution written in the file is believed only
when it gives a plausible paper size, else estimated from an A4 page; pages under 140 dpi
are refused, over 630 dpi reduced to 600 or less.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np
from PIL import Image

from bordereau.ocr.guards import MAX_PIXELS
from bordereau.ocr.types import PageImage, PageLoadError

log = logging.getLogger("bordereau.ocr.pages")
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own bomb check, past our header check

MIN_DPI, MAX_DPI = 150.0, 600.0
_A4_INCHES = (297 / 25.4, 210 / 25.4)
_COMMON_DPI = (150, 200, 240, 300, 400, 600)
_T = TypeVar("_T")


class PageError(Exception):
    """A page that cannot be turned into pixels; the message is the French reason."""


def estimate_dpi(height: int, width: int) -> float:
    """Resolution of an image assumed to be a whole A4 page, snapped to a usual scanner value."""
    long_px, short_px = max(height, width), min(height, width)
    dpi = math.sqrt(long_px / _A4_INCHES[0] * short_px / _A4_INCHES[1])
    nearest = min(_COMMON_DPI, key=lambda value: abs(value - dpi))
    return float(nearest) if abs(nearest - dpi) <= 0.06 * nearest else round(dpi, 1)



def guarded(
    source: Path, index: int | None, reason: str, step: Callable[..., _T], *args: object
) -> _T | PageLoadError:
    """Run one reading step; whatever it raises becomes a PageLoadError with ``reason``.

    The boundary that keeps one bad file or page from stopping a batch: decoders raise many
    kinds of exception on damaged data. Pillow's warnings are silenced (never across a yield).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return step(*args)
    except PageError as error:
        reason = str(error)
    except Image.DecompressionBombError:
        reason = "image trop grande (ou fichier endommagé) : refusée sans être décodée"
    except Exception as error:
        where = source.name if index is None else f"{source.name}, page {index + 1}"
        log.debug("%s: %s", where, reason, exc_info=error)
    return PageLoadError(source=source, index=index, reason=reason)


def refuse(reason: str | None) -> None:
    if reason is not None:
        raise PageError(reason)


def finish(
    source: Path, index: int, pixels: np.ndarray, dpi: float | None, bilevel: bool
) -> PageImage | PageLoadError:
    """Check the resolution (estimate it if absurd), reduce pages over 600 dpi."""
    height, width = pixels.shape[:2]
    if min(height, width) < 64:
        return PageLoadError(source=source, index=index, reason="image trop petite pour une page")
    known = dpi is not None and plausible(height, width, dpi)
    resolution = dpi if known and dpi is not None else estimate_dpi(height, width)
    if abs(resolution - round(resolution)) < 0.05:
        resolution = float(round(resolution))  # 299.9994 from PNG's pixels per metre
    if resolution < 0.93 * MIN_DPI:
        reason = f"résolution trop faible ({resolution:.0f} dpi) : numérisez entre 150 et 600 dpi"
        return PageLoadError(source=source, index=index, reason=reason)
    if resolution > 1.05 * MAX_DPI:
        factor = math.ceil(resolution / MAX_DPI)
        size = (max(1, round(width / factor)), max(1, round(height / factor)))
        pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
        resolution, bilevel = resolution / factor, False
    return PageImage(
        source=source, index=index, pixels=pixels, dpi=resolution, dpi_known=known, bilevel=bilevel
    )


def plausible(height: int, width: int, dpi: float) -> bool:
    """Whether ``dpi`` gives a paper size between A6 and A3 (software writes 72 or 96)."""
    if not 50 <= dpi <= 2400:
        return False
    long_mm = max(height, width) / dpi * 25.4
    short_mm = min(height, width) / dpi * 25.4
    return 100 <= long_mm <= 450 and short_mm >= 50
