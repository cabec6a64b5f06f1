"""Printed patient stickers ("étiquettes"), as hospital label printers make them.

A white rectangle, slightly rotated and a little off the zone, with the patient's name,
date of birth, sex and IPP in a normal sans font and the IPP as a barcode (Code 128 by
default, sometimes DataMatrix or QR, drawn with zxing-cpp's writer).
"""

from __future__ import annotations

import random
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import reportlab

from bordereau.simulate.truth import PatientLabel

SUPER = 3  # stickers are drawn at 3x the page resolution, then scaled down
SANS = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
SANS_BOLD = Path(reportlab.__file__).parent / "fonts" / "VeraBd.ttf"


def barcode_modules(payload: str, symbology: str) -> npt.NDArray[np.uint8]:
    """The symbol's modules (1 = black), one row for Code 128, a square grid otherwise."""
    import zxingcpp

    formats = {
        "code128": zxingcpp.BarcodeFormat.Code128,
        "datamatrix": zxingcpp.BarcodeFormat.DataMatrix,
        "qr": zxingcpp.BarcodeFormat.QRCode,
    }
    image = np.asarray(
        zxingcpp.create_barcode(payload, formats[symbology]).to_image(
            scale=1, add_quiet_zones=False
        )
    )
    modules = (image < 128).astype(np.uint8)
    return modules[:1] if symbology == "code128" else modules


@cache
def _font(path: Path, px: int) -> object:
    from PIL import ImageFont

    return ImageFont.truetype(str(path), px)


def sticker_image(label: PatientLabel, dpi: float, rng: random.Random) -> npt.NDArray[np.uint8]:
    """The sticker alone, upright, at ``dpi`` x SUPER (white 255, print 0)."""
    from PIL import Image, ImageDraw, ImageFont

    scale = dpi * SUPER / 25.4  # px per mm
    w_mm, h_mm = rng.uniform(56, 63), rng.uniform(28, 32)
    image = Image.new("L", (round(w_mm * scale), round(h_mm * scale)), 255)
    draw = ImageDraw.Draw(image)
    born = f"{label.date_naissance[8:10]}/{label.date_naissance[5:7]}/{label.date_naissance[:4]}"
    born_word = {"F": "Née", "M": "Né"}.get(label.sexe, "Né(e)")
    lines = [
        (f"{label.nom} {label.prenom}", SANS_BOLD, 3.0),
        (f"{born_word} le {born}   Sexe : {label.sexe}", SANS, 2.4),
        (f"IPP : {label.ipp}", SANS, 2.4),
    ]
    y = 2.0
    for text, font_path, size_mm in lines:
        font = _font(font_path, round(size_mm * scale))
        assert isinstance(font, ImageFont.FreeTypeFont)
        draw.text((2.5 * scale, y * scale), text, fill=0, font=font)
        y += size_mm * 1.3
    page = np.asarray(image, np.uint8).copy()
    modules = barcode_modules(label.ipp, label.symbology)
    if label.symbology == "code128":
        module_mm = min(0.33, (w_mm - 6) / modules.shape[1])
        bar_h = h_mm - y - 2.0
        _paint(page, modules, 3.0 * scale, (y + 0.8) * scale, module_mm * scale, bar_h * scale)
    else:
        side = min(h_mm - y - 1.5, 11.0) if label.symbology == "qr" else 8.0
        module = side / modules.shape[0]
        x0 = w_mm - side - 3.0
        _paint(
            page, modules, x0 * scale, (h_mm - side - 2.0) * scale, module * scale, module * scale
        )
    return page


def _paint(
    page: npt.NDArray[np.uint8],
    modules: npt.NDArray[np.uint8],
    x: float,
    y: float,
    module_w: float,
    module_h: float,
) -> None:
    """Draw black modules at sub-pixel positions (module_h: the bar height for 1-row codes)."""
    rows, cols = modules.shape
    for r in range(rows):
        for c in range(cols):
            if modules[r, c]:
                x0, x1 = round(x + c * module_w), round(x + (c + 1) * module_w)
                y0 = round(y + r * module_h)
                y1 = round(y + (r + 1) * module_h)
                page[y0:y1, x0:x1] = 0


def stick_label(
    page: npt.NDArray[np.uint8],
    zone_px: tuple[float, float, float, float],
    label: PatientLabel,
    dpi: float,
    rng: random.Random,
) -> None:
    """Stick the label on the page in place: rotated a little, a bit off the zone."""
    big = sticker_image(label, dpi, rng)
    small = cv2.resize(
        big, (big.shape[1] // SUPER, big.shape[0] // SUPER), interpolation=cv2.INTER_AREA
    )
    h, w = small.shape
    zx, zy, zw, zh = zone_px
    px_mm = dpi / 25.4
    cx = zx + zw / 2 + rng.uniform(-3.5, 3.5) * px_mm
    cy = zy + zh / 2 + rng.uniform(-3.0, 3.0) * px_mm
    angle = rng.uniform(-4.0, 4.0)
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    out_w, out_h = int(w * 1.2), int(h * 1.4)
    matrix[:, 2] += [(out_w - w) / 2, (out_h - h) / 2]
    warped = cv2.warpAffine(small, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR, borderValue=255)
    mask = cv2.warpAffine(
        np.full((h, w), 255, np.uint8),
        matrix,
        (out_w, out_h),
        flags=cv2.INTER_LINEAR,
        borderValue=0,
    )
    # the sticker's edge shows as a faint shadow line on a scan
    edge = cv2.morphologyEx(mask, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    x0, y0 = round(cx - out_w / 2), round(cy - out_h / 2)
    ys = slice(max(y0, 0), min(y0 + out_h, page.shape[0]))
    xs = slice(max(x0, 0), min(x0 + out_w, page.shape[1]))
    sub = (slice(ys.start - y0, ys.stop - y0), slice(xs.start - x0, xs.stop - x0))
    a = mask[sub].astype(np.float32) / 255.0
    region = page[ys, xs].astype(np.float32)
    shadow = 1.0 - 0.25 * (edge[sub].astype(np.float32) / 255.0)
    out = (region * (1 - a) + warped[sub].astype(np.float32) * a) * shadow
    page[ys, xs] = np.clip(out, 0, 255).astype(np.uint8)
