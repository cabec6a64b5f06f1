"""Find the page code and the corner markers on a scan, and map the scan onto the layout.

Pixels live only in ``ocr``: this module turns scan pixels into layout millimetres with a
homography fitted on the ArUco markers' corners (16 points for four markers), keeps its
reprojection residual as a quality figure, and warps the page into an upright image at a
fixed number of pixels per millimetre that the field readers crop from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import cv2
import numpy as np
import zxingcpp

from bordereau.forms.manifest import Box, PageLayout
from bordereau.forms.markers import ARUCO_DICT

DETECT_DPI = 150.0  # markers and QR codes are found on a copy at this resolution
MIN_MARKERS = 3  # a homography from fewer markers is not trusted (page goes to review)
MAX_RESIDUAL_MM = 0.6  # above this the page goes to review
QR_FORMATS = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


@dataclass(frozen=True)
class FoundCode:
    """A QR code found on the page: its text and its four corners in page pixels."""

    text: str
    corners: np.ndarray  # (4, 2) float32, the symbol's own TL, TR, BR, BL


@dataclass
class Detection:
    """What the detectors saw on one page, in full-resolution pixels."""

    markers: dict[int, np.ndarray] = field(default_factory=dict)  # id -> (4, 2) corners
    codes: list[FoundCode] = field(default_factory=list)


@dataclass(frozen=True)
class Transform:
    """Scan pixels -> layout millimetres, with its quality."""

    matrix: np.ndarray  # 3x3, maps (x_px, y_px, 1) to (x_mm, y_mm, w)
    residual_mm: float
    markers: int
    rotation: int  # 0/90/180/270: how the sheet lay on the scanner glass
    source: str  # "markers" or "codes" (fallback)

    def to_mm(self, points_px: np.ndarray) -> np.ndarray:
        """Map (n, 2) pixel points to millimetres."""
        pts = np.asarray(points_px, dtype=np.float64).reshape(-1, 1, 2)
        return cv2.perspectiveTransform(pts, self.matrix).reshape(-1, 2)

    def to_px(self, points_mm: np.ndarray) -> np.ndarray:
        """Map (n, 2) millimetre points back to scan pixels."""
        pts = np.asarray(points_mm, dtype=np.float64).reshape(-1, 1, 2)
        inverse = np.linalg.inv(self.matrix)
        return cv2.perspectiveTransform(pts, inverse).reshape(-1, 2)


@cache
def _aruco() -> cv2.aruco.ArucoDetector:
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    return cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(ARUCO_DICT), params)


def _downscaled(gray: np.ndarray, dpi: float) -> tuple[np.ndarray, float]:
    scale = min(1.0, DETECT_DPI / dpi)
    if scale >= 0.95:
        return gray, 1.0
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return small, scale


def detect(gray: np.ndarray, dpi: float) -> Detection:
    """Find our ArUco markers (ids 0–3) and every QR code on the page."""
    small, scale = _downscaled(gray, dpi)
    found = Detection()
    corners, ids, _ = _aruco().detectMarkers(small)
    if ids is not None:
        refine = scale < 1.0
        for raw_id, quad in zip(ids.ravel().tolist(), corners, strict=True):
            marker_id = int(raw_id)
            if marker_id not in (0, 1, 2, 3) or marker_id in found.markers:
                continue
            points: np.ndarray = quad.reshape(4, 2).astype(np.float32) / scale
            if refine:
                points = cv2.cornerSubPix(
                    gray, points.reshape(-1, 1, 2), (5, 5), (-1, -1),
                    (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.01),
                ).reshape(4, 2)
            found.markers[marker_id] = points
    for code in zxingcpp.read_barcodes(small, formats=QR_FORMATS):
        pos = code.position
        quad = np.array(
            [[p.x, p.y] for p in (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left)],
            dtype=np.float32,
        )
        found.codes.append(FoundCode(code.text, quad / scale))
    if not found.codes:
        found.codes = _qr_fallback(gray)
    return found


def _qr_fallback(gray: np.ndarray) -> list[FoundCode]:
    """OpenCV's QR detector on the full page, for codes zxing could not read."""
    ok, texts, points, _ = cv2.QRCodeDetector().detectAndDecodeMulti(gray)
    if not ok or points is None:
        return []
    return [FoundCode(str(t), np.asarray(p, dtype=np.float32).reshape(4, 2))
            for t, p in zip(texts, points, strict=True) if t]


def _square(center: tuple[float, float], size: float) -> np.ndarray:
    x, y = center
    h = size / 2
    return np.array([[x - h, y - h], [x + h, y - h], [x + h, y + h], [x - h, y + h]], np.float64)


def _rotation(matrix: np.ndarray) -> int:
    """How many degrees the page content is turned in the scan (clockwise)."""
    inverse = np.linalg.inv(matrix)
    pts = cv2.perspectiveTransform(np.array([[[105, 100]], [[105, 200]]], np.float64), inverse)
    dx, dy = (pts[1, 0] - pts[0, 0]).tolist()
    angle = np.degrees(np.arctan2(-dx, dy))  # page "down" direction in the scan
    return round(float(angle) / 90.0) % 4 * 90


def _fit(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, float] | None:
    matrix, mask = cv2.findHomography(src, dst, cv2.RANSAC, 1.0)
    if matrix is None:
        return None
    inliers = mask.ravel().astype(bool)
    projected = cv2.perspectiveTransform(src[inliers].reshape(-1, 1, 2), matrix).reshape(-1, 2)
    residual = float(np.sqrt(np.mean(np.sum((projected - dst[inliers]) ** 2, axis=1))))
    if inliers.sum() < len(src) * 0.75:
        residual = max(residual, MAX_RESIDUAL_MM * 2)
    return matrix, residual


def fit_transform(detection: Detection, page: PageLayout, code_text: str) -> Transform | None:
    """The scan -> layout transform from the markers, else from the QR codes' corners."""
    src, dst = [], []
    for anchor in page.anchors:
        quad = detection.markers.get(anchor.id)
        if quad is not None:
            src.append(quad)
            dst.append(_square(anchor.center_mm, anchor.size_mm))
    markers = len(src)
    if markers >= 2:
        fitted = _fit(np.concatenate(src).astype(np.float64), np.concatenate(dst))
        if fitted is not None and markers >= MIN_MARKERS:
            matrix, residual = fitted
            return Transform(matrix, residual, markers, _rotation(matrix), "markers")
    return _fit_codes(detection, page, code_text, src, dst, markers)


def _fit_codes(
    detection: Detection, page: PageLayout, code_text: str,
    src: list[np.ndarray], dst: list[np.ndarray], markers: int,
) -> Transform | None:
    """Fallback when markers are missing: add the QR symbols' corners, trying both ways the
    found codes can match the two printed code zones (their contents are identical)."""
    quads = [c.corners for c in detection.codes if c.text == code_text]
    zones = [_box_corners(z.box_mm) for z in page.codes]
    best: Transform | None = None
    for assignment in _assignments(len(quads), len(zones)):
        s = src + [quads[i] for i, _ in assignment]
        d = dst + [zones[j] for _, j in assignment]
        if sum(len(x) for x in s) < 8:
            continue
        fitted = _fit(np.concatenate(s).astype(np.float64), np.concatenate(d))
        if fitted is None:
            continue
        matrix, residual = fitted
        if best is None or residual < best.residual_mm:
            best = Transform(matrix, residual, markers, _rotation(matrix), "codes")
    return best


def _box_corners(box: Box) -> np.ndarray:
    x, y, w, h = box
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float64)


def _assignments(n_found: int, n_zones: int) -> list[list[tuple[int, int]]]:
    if n_found == 0:
        return [[]]
    if n_found == 1:
        return [[(0, j)] for j in range(n_zones)]
    return [[(0, 0), (1, 1)], [(0, 1), (1, 0)]]


def warp(gray: np.ndarray, transform: Transform, px_per_mm: float,
         size_mm: tuple[float, float] = (210.0, 297.0)) -> np.ndarray:
    """The page seen upright in layout coordinates, ``px_per_mm`` pixels per millimetre."""
    scale = np.diag([px_per_mm, px_per_mm, 1.0])
    width, height = (round(v * px_per_mm) for v in size_mm)
    warped: np.ndarray = cv2.warpPerspective(
        gray, scale @ transform.matrix, (width, height), flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT, borderValue=255,
    )
    return warped
