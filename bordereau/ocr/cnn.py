"""What the comb-cell recognisers share: the cell normaliser and a small numpy CNN.

``normalise_cell`` turns a greyscale crop of one cell's interior into an MNIST-style
28 x 28 ink image; ``normalise_with_geometry`` also says where the ink was in the crop
(what the 28 x 28 image forgets: a hyphen sits at mid-height, an apostrophe at the top).
:class:`SmallCnn` runs the network trained by ``scripts/train_digits.py`` or
``scripts/train_letters.py`` with numpy alone (im2col + matrix products): three
conv + max-pool blocks, a hidden dense layer (optionally fed extra per-cell features),
and a softmax over the classes. Used by ``ocr.digits`` and ``ocr.letters``.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]

INPUT_SIZE = 28
GLYPH_BOX = 20  # the ink bounding box is scaled to fit this square, as in MNIST
GEOMETRY_SIZE = 6  # top, bottom, left, right, height, width of the ink (shares of the crop)

_WORK_SIDE = 64  # crops are resampled so their long side has this many pixels
_MIN_CONTRAST = 30.0  # paper minus ink level (0-255) below which a crop is uniform
_BAND = 0.16  # depth of the edge bands searched for border slivers (share of the side)
_NEAR = 3  # a component this close (work pixels) to an edge touches it
_LINE_FILL = 0.85  # share of a row/column that must be ink for it to be a border line
_NO_INK = np.zeros(GEOMETRY_SIZE, np.float32)
_ALL_INK = np.array([0.0, 1.0, 0.0, 1.0, 1.0, 1.0], np.float32)


def _as_grey(cell: np.ndarray) -> npt.NDArray[np.uint8]:
    if cell.ndim == 3 and cell.shape[2] in (3, 4):
        code = cv2.COLOR_BGR2GRAY if cell.shape[2] == 3 else cv2.COLOR_BGRA2GRAY
        cell = cv2.cvtColor(np.ascontiguousarray(cell, dtype=np.uint8), code)
    if cell.ndim != 2:
        raise ValueError(f"a cell must be a 2-D greyscale image, got shape {cell.shape}")
    if cell.size == 0:
        raise ValueError(f"a cell must not be empty (shape {cell.shape})")
    if cell.dtype != np.uint8:
        cell = np.clip(cell, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(cell)


def _resample(grey: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Resample so the long side is ``_WORK_SIDE`` pixels: thresholds become dpi-free."""
    h, w = grey.shape
    factor = _WORK_SIDE / max(h, w)
    size = (max(2, round(w * factor)), max(2, round(h * factor)))
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(grey, size, interpolation=interpolation), dtype=np.uint8)


def _strip_border_lines(mask: npt.NDArray[np.bool_]) -> None:
    """Clear printed border lines lying in the edge bands, and whatever is outside them."""
    h, w = mask.shape
    band_h, band_w = max(2, round(_BAND * h)), max(2, round(_BAND * w))
    rows, cols = mask.mean(axis=1), mask.mean(axis=0)
    top = [r for r in range(band_h) if rows[r] >= _LINE_FILL]
    bottom = [r for r in range(h - band_h, h) if rows[r] >= _LINE_FILL]
    left = [c for c in range(band_w) if cols[c] >= _LINE_FILL]
    right = [c for c in range(w - band_w, w) if cols[c] >= _LINE_FILL]
    if top:
        mask[: max(top) + 1] = False
    if bottom:
        mask[min(bottom) :] = False
    if left:
        mask[:, : max(left) + 1] = False
    if right:
        mask[:, min(right) :] = False


def _keep_writing(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Drop specks and slivers hugging an edge; keep the components that form the mark."""
    h, w = mask.shape
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        mask.astype(np.uint8), connectivity=8
    )
    band_h, band_w = _BAND * h, _BAND * w
    min_area = max(4.0, 0.002 * h * w)
    kept: list[int] = []
    for i in range(1, count):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if area < min_area:
            continue
        at_top = y <= _NEAR and bh <= band_h
        at_bottom = y + bh >= h - _NEAR and bh <= band_h
        at_left = x <= _NEAR and bw <= band_w
        at_right = x + bw >= w - _NEAR and bw <= band_w
        if at_top or at_bottom or at_left or at_right:
            continue  # a remnant of the printed border, or ink from the next cell
        kept.append(i)
    if not kept:
        return np.zeros_like(mask)
    biggest = max(kept, key=lambda i: int(stats[i, cv2.CC_STAT_AREA]))
    bx, by, bw, bh, big_area = (int(v) for v in stats[biggest])
    mx, my = 0.15 * w, 0.15 * h
    keep = np.zeros(count, dtype=bool)
    for i in kept:
        x, y, cw, ch, area = (int(v) for v in stats[i])
        near = x < bx + bw + mx and x + cw > bx - mx and y < by + bh + my and y + ch > by - my
        keep[i] = area >= 0.05 * big_area and (near or area >= 0.25 * big_area)
    return np.asarray(keep[labels], dtype=bool)


def _centre(glyph: FloatArray) -> FloatArray:
    """Fit ``glyph`` into the 20 x 20 box and put its centre of mass at the middle."""
    h, w = glyph.shape
    factor = GLYPH_BOX / max(h, w)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    small = np.asarray(cv2.resize(glyph, size, interpolation=cv2.INTER_AREA), dtype=np.float32)
    total = float(small.sum())
    if total <= 0:
        return np.zeros((INPUT_SIZE, INPUT_SIZE), np.float32)
    ys, xs = np.indices(small.shape)
    cy, cx = float((ys * small).sum()) / total, float((xs * small).sum()) / total
    shift = np.array([[1, 0, INPUT_SIZE / 2 - 0.5 - cx], [0, 1, INPUT_SIZE / 2 - 0.5 - cy]])
    out = cv2.warpAffine(small, shift, (INPUT_SIZE, INPUT_SIZE), flags=cv2.INTER_LINEAR)
    return np.asarray(out, dtype=np.float32)


def normalise_with_geometry(cell: np.ndarray) -> tuple[FloatArray, FloatArray]:
    """The network input of ``normalise_cell`` and where the kept ink lies in the crop.

    The geometry is float32 (6,): top, bottom, left and right of the ink's bounding box
    and its height and width, each as a share of the crop's height or width (zeros for a
    crop without ink, the whole crop for a filled one).
    """
    grey = _resample(_as_grey(cell))
    smooth = cv2.GaussianBlur(grey, (0, 0), 1.0).astype(np.float32)
    paper, ink = (float(v) for v in np.percentile(smooth, [95, 0.5]))
    if paper - ink < _MIN_CONTRAST:
        filled = float(smooth.mean()) < 128
        image = np.full((INPUT_SIZE, INPUT_SIZE), 1.0 if filled else 0.0, np.float32)
        return image, (_ALL_INK if filled else _NO_INK).copy()
    mask = np.asarray(smooth < (paper + ink) / 2, dtype=bool)
    _strip_border_lines(mask)
    mask = _keep_writing(mask)
    if not mask.any():
        return np.zeros((INPUT_SIZE, INPUT_SIZE), np.float32), _NO_INK.copy()
    ink = min(float(np.percentile(grey[mask], 10)), paper - _MIN_CONTRAST)  # the writing's own
    support = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    level = np.clip((paper - grey.astype(np.float32)) / (paper - ink), 0.0, 1.0) * support
    ys, xs = np.nonzero(mask)
    box = level[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = mask.shape
    top, bottom = ys.min() / h, (ys.max() + 1) / h
    left, right = xs.min() / w, (xs.max() + 1) / w
    geometry = np.array([top, bottom, left, right, bottom - top, right - left], np.float32)
    return _centre(np.ascontiguousarray(box, dtype=np.float32)), geometry


def normalise_cell(cell: np.ndarray) -> FloatArray:
    """Turn a crop of one comb cell's interior into the network input.

    ``cell`` is greyscale uint8 (paper light, ink dark; colour is converted) of any size.
    The result is float32 (28, 28) with ink 1.0 and paper 0.0: thresholded at mid-contrast,
    cleared of border slivers and specks, cropped to the ink, scaled to fit 20 x 20 and
    centred by mass. A uniform crop gives all zeros (paper) or all ones (a filled cell).
    """
    return normalise_with_geometry(cell)[0]


def _conv(x: FloatArray, weight: FloatArray, bias: FloatArray) -> FloatArray:
    """'Same' convolution of NHWC ``x`` with an (out, in, k, k) kernel, then ReLU."""
    n, h, w, c = x.shape
    k = weight.shape[2]
    pad = k // 2
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (k, k), axis=(1, 2))
    columns = windows.reshape(n * h * w, c * k * k)
    out = columns @ weight.reshape(weight.shape[0], -1).T + bias
    return np.asarray(np.maximum(out, 0.0), np.float32).reshape(n, h, w, -1)


def _pool(x: FloatArray) -> FloatArray:
    n, h, w, c = x.shape
    h2, w2 = h // 2, w // 2
    pooled = x[:, : h2 * 2, : w2 * 2].reshape(n, h2, 2, w2, 2, c).max(axis=(2, 4))
    return np.asarray(pooled, np.float32)


class SmallCnn:
    """Weights of a trained cell classifier (an ``.npz`` with a JSON ``meta``) and the
    numpy forward pass. Raises ``OSError``/``KeyError``/``ValueError`` on a bad file."""

    def __init__(self, data: bytes, classes: Sequence[str]) -> None:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            meta = json.loads(str(npz["meta"]))
            names = [k for k in npz.files if k != "meta"]
            self.layers = {k: np.asarray(npz[k], dtype=np.float32) for k in names}
        if tuple(meta["classes"]) != tuple(classes) or int(meta["input_size"]) != INPUT_SIZE:
            raise ValueError("the model's classes or input size do not match this code")
        self.meta: dict[str, object] = meta
        self.classes = tuple(classes)
        self.extra = int(meta.get("extra_features", 0))
        self.version = f"{meta['name']}+{hashlib.sha256(data).hexdigest()[:10]}"

    def features(self, batch: FloatArray, extra: FloatArray | None = None) -> FloatArray:
        """The hidden dense layer's output (after ReLU): what the last layer weighs."""
        x = np.asarray(batch, dtype=np.float32).reshape(-1, INPUT_SIZE, INPUT_SIZE, 1)
        layers = self.layers
        for name in ("c1", "c2", "c3"):
            x = _pool(_conv(x, layers[f"{name}.w"], layers[f"{name}.b"]))
        flat = x.reshape(x.shape[0], -1)
        if self.extra:
            if extra is None:
                raise ValueError(f"this model needs {self.extra} extra features per cell")
            flat = np.hstack([flat, np.asarray(extra, np.float32).reshape(len(flat), -1)])
        return np.asarray(np.maximum(flat @ layers["f1.w"].T + layers["f1.b"], 0.0), np.float32)

    def logits(self, batch: FloatArray, extra: FloatArray | None = None) -> FloatArray:
        """Class scores (temperature folded in) for (n, 28, 28) normalised cells."""
        hidden = self.features(batch, extra)
        layers = self.layers
        return np.asarray(hidden @ layers["f2.w"].T + layers["f2.b"], np.float32)

    def probabilities(self, batch: FloatArray, extra: FloatArray | None = None) -> FloatArray:
        """Softmax of :meth:`logits`: shape (n, classes), rows summing to 1."""
        logits = self.logits(batch, extra)
        logits -= logits.max(axis=1, keepdims=True)
        odds = np.exp(logits)
        return np.asarray(odds / odds.sum(axis=1, keepdims=True), dtype=np.float32)
