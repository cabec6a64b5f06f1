"""Scanner effects on a page raster, each a small pure function with parameters.

Geometry (quarter turns, skew, print scale, perspective, offset) is expressed as 3x3
homographies so :func:`scan` can apply them all in one warp and report the transform from
layout millimetres to scan pixels. Photometric effects work on 8-bit grey pages (white
255). ``profiles`` samples the parameters; this module only applies them.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from bordereau.simulate.truth import ScanParams

Image = npt.NDArray[np.uint8]
Matrix = npt.NDArray[np.float64]
Corner = str


# -- geometry -----------------------------------------------------------------------------
def about_centre(linear: Matrix, w: int, h: int) -> Matrix:
    """A 2x2 linear map applied about the page centre, as a 3x3 homography."""
    c = np.array([[1, 0, w / 2], [0, 1, h / 2], [0, 0, 1]], float)
    m = np.eye(3)
    m[:2, :2] = linear
    return c @ m @ np.linalg.inv(c)


def rotation_matrix(degrees: float, w: int, h: int) -> Matrix:
    """Rotation by ``degrees`` (clockwise on screen) about the page centre."""
    t = np.radians(degrees)
    return about_centre(np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]]), w, h)


def scale_matrix(factor: float, w: int, h: int) -> Matrix:
    """Content printed at ``factor`` of its size, centred ("fit to page")."""
    return about_centre(np.eye(2) * factor, w, h)


def offset_matrix(dx: float, dy: float) -> Matrix:
    return np.array([[1, 0, dx], [0, 1, dy], [0, 0, 1]], float)


def perspective_matrix(corner_shifts: npt.ArrayLike, w: int, h: int) -> Matrix:
    """Move the four page corners (TL, TR, BR, BL) by ``corner_shifts`` pixels."""
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    dst = (src + np.asarray(corner_shifts, np.float32).reshape(4, 2)).astype(np.float32)
    return cv2.getPerspectiveTransform(src, dst).astype(np.float64)


def quarter_turn_matrix(turns: int, w: int, h: int) -> tuple[Matrix, tuple[int, int]]:
    """Clockwise quarter turns of the whole image, and the new (width, height)."""
    turns %= 4
    if turns == 0:
        return np.eye(3), (w, h)
    if turns == 1:
        return np.array([[0, -1, h], [1, 0, 0], [0, 0, 1]], float), (h, w)
    if turns == 2:
        return np.array([[-1, 0, w], [0, -1, h], [0, 0, 1]], float), (w, h)
    return np.array([[0, 1, 0], [-1, 0, w], [0, 0, 1]], float), (h, w)


def warp(img: Image, matrix: Matrix, size: tuple[int, int] | None = None, fill: int = 255) -> Image:
    """Apply a homography (output ``size`` = (width, height), default unchanged)."""
    out_size = size or (img.shape[1], img.shape[0])
    out = cv2.warpPerspective(
        img,
        matrix,
        out_size,
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=fill,
    )
    return np.asarray(out, np.uint8)


def skew(img: Image, degrees: float, fill: int = 255) -> Image:
    return warp(img, rotation_matrix(degrees, img.shape[1], img.shape[0]), fill=fill)


def print_scale(img: Image, factor: float, fill: int = 255) -> Image:
    return warp(img, scale_matrix(factor, img.shape[1], img.shape[0]), fill=fill)


def rotate_quarter(img: Image, turns: int) -> Image:
    """Exact clockwise quarter turns (the scanner fed the sheet another way)."""
    return np.ascontiguousarray(np.rot90(img, -turns % 4))


def cut_corner(img: Image, corner: Corner, leg_px: float) -> Image:
    """A photocopy that missed a corner: a white triangle with legs of ``leg_px``."""
    h, w = img.shape
    xs = {"left": 0, "right": w}
    ys = {"top": 0, "bottom": h}
    vertical, horizontal = corner.split("_")
    cx, cy = xs[horizontal], ys[vertical]
    sx = 1 if horizontal == "left" else -1
    sy = 1 if vertical == "top" else -1
    tri = np.array([[cx, cy], [cx + sx * leg_px, cy], [cx, cy + sy * leg_px]], np.int32)
    out = img.copy()
    cv2.fillPoly(out, [tri], 255)
    return out


# -- light and paper ----------------------------------------------------------------------
def yellow_paper(img: Image, strength: float) -> Image:
    """Yellowish paper seen by a colour scanner and converted to grey (BT.601 luma)."""
    paper = np.array([255.0, 255.0 - 25 * strength, 255.0 - 90 * strength])  # R, G, B
    luma = float(paper @ np.array([0.299, 0.587, 0.114]))
    return np.asarray(np.clip(img.astype(np.float32) * (luma / 255.0), 0, 255), np.uint8)


def tone(img: Image, brightness: float = 0.0, contrast: float = 1.0, gamma: float = 1.0) -> Image:
    """Brightness (added, in grey levels), contrast about mid-grey, then gamma."""
    lut = np.arange(256, dtype=np.float32)
    lut = (lut - 128.0) * contrast + 128.0 + brightness
    lut = 255.0 * (np.clip(lut, 0, 255) / 255.0) ** gamma
    table = np.clip(lut + 0.5, 0, 255).astype(np.uint8)
    return np.asarray(cv2.LUT(img, table), np.uint8)


def uneven_lighting(img: Image, strength: float, seed: int) -> Image:
    """A smooth light falloff (lamp or phone flash): up to ``strength`` darker."""
    h, w = img.shape
    rng = np.random.default_rng(seed)
    small = rng.uniform(0.0, 1.0, (3, 3)).astype(np.float32)
    field = np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC), np.float32)
    field = (field - field.min()) / max(float(field.max() - field.min()), 1e-6)
    out = img.astype(np.float32) * (1.0 - strength * field)
    return np.asarray(np.clip(out, 0, 255), np.uint8)


def dark_borders(img: Image, paper: npt.NDArray[np.uint8], level: int, shadow_px: int) -> Image:
    """Scanner background (``level``) outside the paper mask, a soft shadow on its edge."""
    out = img.copy()
    out[paper == 0] = level
    if shadow_px > 0:
        k = shadow_px * 2 + 1
        soft = cv2.GaussianBlur(paper.astype(np.float32) / 255.0, (k, k), 0)
        edge = np.clip(1.0 - soft, 0.0, 1.0) * (paper > 0)
        out = np.clip(out.astype(np.float32) * (1.0 - 0.6 * edge), 0, 255).astype(np.uint8)
    return out


def blur(img: Image, sigma: float) -> Image:
    if sigma <= 0:
        return img
    return np.asarray(cv2.GaussianBlur(img, (0, 0), sigma), np.uint8)


def gaussian_noise(img: Image, sigma: float, seed: int) -> Image:
    if sigma <= 0:
        return img
    noise = np.random.default_rng(seed).standard_normal(img.shape, dtype=np.float32) * sigma
    return np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def jpeg(img: Image, quality: int) -> Image:
    """Round-trip through JPEG at ``quality`` (block artefacts, ringing)."""
    ok, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return np.asarray(cv2.imdecode(data, cv2.IMREAD_GRAYSCALE), np.uint8)


def binarise(img: Image, threshold: int) -> Image:
    """Bilevel, as a G4 scanner's fixed threshold does (black 0, white 255)."""
    return np.where(img < threshold, 0, 255).astype(np.uint8)


def blank_back(front: Image, show_through: float, seed: int) -> Image:
    """The blank back of a printed sheet: paper grain and the front faintly seen through."""
    mirrored = cv2.GaussianBlur(np.fliplr(front), (0, 0), 2.0)
    back = 255.0 - show_through * (255.0 - mirrored.astype(np.float32))
    grain = np.random.default_rng(seed).standard_normal(front.shape, dtype=np.float32) * 1.5
    return np.clip(back + grain, 0, 255).astype(np.uint8)


# -- everything at once ---------------------------------------------------------------------
def paper_matrix(params: ScanParams, w: int, h: int, seed: int) -> Matrix:
    """Where the sheet lies on the scanner glass (no print scale, no quarter turn)."""
    px = params.dpi / 25.4
    persp = np.random.default_rng(seed).uniform(-1, 1, (4, 2)) * params.perspective * w
    return (
        offset_matrix(params.offset_mm[0] * px, params.offset_mm[1] * px)
        @ rotation_matrix(params.skew_deg, w, h)
        @ perspective_matrix(persp, w, h)
    )


def _grow_to_paper(
    placed: Matrix, turn: Matrix, size: tuple[int, int], w: int, h: int
) -> tuple[Matrix, tuple[int, int]]:
    """Widen the scan area so a skewed or shifted sheet keeps its corners (scanners with
    automatic page size do this); returns the shifted turn matrix and the new size."""
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64).reshape(-1, 1, 2)
    mapped = cv2.perspectiveTransform(corners, placed).reshape(-1, 2)
    lo = np.minimum(mapped.min(axis=0), 0.0)
    hi = np.maximum(mapped.max(axis=0), size)
    shift = offset_matrix(-np.floor(lo[0]), -np.floor(lo[1]))
    grown = (int(np.ceil(hi[0] - np.floor(lo[0]))), int(np.ceil(hi[1] - np.floor(lo[1]))))
    return shift @ turn, grown


def scan(page: Image, params: ScanParams, seed: int, *, back: bool = False) -> tuple[Image, Matrix]:
    """Scan a clean page; returns the image and the layout-mm -> pixel homography."""
    h, w = page.shape
    img = page
    if params.cut_corner and not back:
        img = cut_corner(img, params.cut_corner, 50.0 * params.dpi / 25.4)
    if params.yellow > 0:
        img = yellow_paper(img, params.yellow)
    paper = paper_matrix(params, w, h, seed)
    content = paper @ scale_matrix(params.scale, w, h)
    turn, size = quarter_turn_matrix(params.rotation // 90, w, h)
    turn, size = _grow_to_paper(turn @ paper, turn, size, w, h)
    paper_colour = int(yellow_paper(np.full((1, 1), 255, np.uint8), params.yellow)[0, 0])
    img = warp(img, turn @ content, size, fill=paper_colour)
    if params.background < paper_colour or params.edge_shadow:
        mask = warp(np.full((h, w), 255, np.uint8), turn @ paper, size, fill=0)
        shadow = round(0.8 * params.dpi / 25.4) if params.edge_shadow else 0
        img = dark_borders(img, mask, params.background, shadow)
    if params.uneven_light > 0:
        img = uneven_lighting(img, params.uneven_light, seed + 1)
    if params.brightness or params.contrast != 1 or params.gamma != 1:
        img = tone(img, params.brightness, params.contrast, params.gamma)
    img = blur(img, params.blur_sigma)
    img = gaussian_noise(img, params.noise_sigma, seed + 2)
    if params.jpeg_quality is not None:
        img = jpeg(img, params.jpeg_quality)
    if params.binarise is not None:
        img = binarise(img, params.binarise)
    mm = np.diag([params.dpi / 25.4, params.dpi / 25.4, 1.0])
    return img, turn @ content @ mm
