"""Learning from corrections: the digit network's last layer refitted on reviewed cells.

Every reviewer decision on a comb field says which digit each cell holds, written by this
establishment's own staff. :func:`refit` keeps the shipped convolutions and hidden layer
and refits only the last dense layer (softmax regression on the hidden layer's output,
L2-regularised towards the shipped weights) and its temperature, with numpy alone.
:func:`compare` scores two recognisers on the cells held back; the establishment keeps
the adapted model in its home (``models/``, owner-only) only when it is no worse there.

The reader uses the home's model when there is one (:func:`home_recognizer`): each
reading records the version of the digit model that read it. A home may also hold its own
letter model (:func:`home_letters`, ``models/letters-cnn.npz``): nothing adapts it yet,
the leave-one-style-out benchmark installs networks trained without a writer style there.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bordereau import clock
from bordereau.files import private_dir, write_private
from bordereau.ocr.digits import CLASSES, WITH_SHIPPED, DigitRecognizer, default_recognizer
from bordereau.ocr.letters import LetterRecognizer
from bordereau.ocr.letters import default_recognizer as default_letters

MODELS_DIR = "models"
ADAPTED_FILE = "digits-cnn.npz"  # the adapted model the reader uses
PREVIOUS_FILE = "digits-cnn.precedent.npz"  # the one it replaced (absent: the shipped one)
ADAPTED_NAME = "digits-cnn-adapte"
# An adapted model may read this share of the check's cells (at least one) under the trust
# threshold that the model it replaces read above it: more would be more review.
REVIEW_TOLERANCE = 0.05
LETTERS_FILE = "letters-cnn.npz"  # the home's own letter model, when it has one
L2 = 0.01  # pull of the shipped weights (per cell, on the squared difference)
STEPS = 400
# The temperature is refitted only on this many cells set aside: on fewer, one or two
# confident errors decide it, and it came out at 1.4-1.6 (softer) and doubled the review of
# the benchmark's new writer for no error less (docs/reading.md, Learning from corrections).
MIN_TEMPERATURE_CELLS = 500
TEMPERATURES = np.round(np.arange(0.5, 3.01, 0.05), 2)

LabelArray = npt.NDArray[np.int64]


def adapted_path(home_root: Path) -> Path:
    """Where the home keeps its adapted digit model."""
    return home_root / MODELS_DIR / ADAPTED_FILE


def previous_path(home_root: Path) -> Path:
    """Where the home keeps the model the last adaptation replaced."""
    return home_root / MODELS_DIR / PREVIOUS_FILE


@lru_cache(maxsize=4)
def _load(path: Path, stamp: tuple[int, int]) -> DigitRecognizer:
    return DigitRecognizer(path)


def home_recognizer(home_root: Path) -> DigitRecognizer:
    """The home's adapted digit model when there is one, else the shipped one (loaded
    once per file version and process)."""
    path = adapted_path(home_root)
    try:
        info = path.stat()
    except FileNotFoundError:
        return default_recognizer()
    return _load(path, (info.st_mtime_ns, info.st_size))


def letters_path(home_root: Path) -> Path:
    """Where a home keeps its own letter model."""
    return home_root / MODELS_DIR / LETTERS_FILE


@lru_cache(maxsize=4)
def _load_letters(path: Path, stamp: tuple[int, int]) -> LetterRecognizer:
    return LetterRecognizer(path)


def home_letters(home_root: Path) -> LetterRecognizer:
    """The home's own letter model when there is one, else the shipped one (loaded once
    per file version and process, like :func:`home_recognizer`)."""
    path = letters_path(home_root)
    try:
        info = path.stat()
    except FileNotFoundError:
        return default_letters()
    return _load_letters(path, (info.st_mtime_ns, info.st_size))


def _softmax(logits: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    shifted = logits - logits.max(axis=1, keepdims=True)
    odds = np.exp(shifted)
    return np.asarray(odds / odds.sum(axis=1, keepdims=True))


def _fit_last_layer(features: npt.NDArray[np.float64], labels: LabelArray,
                    w0: npt.NDArray[np.float64], b0: npt.NDArray[np.float64],
                    l2: float) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Softmax regression from the shipped (w0, b0): mean cross-entropy plus
    ``l2`` times the squared distance to them, by Adam on the full batch."""
    n = len(labels)
    target = np.zeros((n, w0.shape[0]))
    target[np.arange(n), labels] = 1.0
    w, b = w0.copy(), b0.copy()
    moments = [np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)]
    rate, beta1, beta2 = 0.01, 0.9, 0.999
    for step in range(1, STEPS + 1):
        error = (_softmax(features @ w.T + b) - target) / n
        grad_w = error.T @ features + 2 * l2 * (w - w0)
        grad_b = error.sum(axis=0) + 2 * l2 * (b - b0)
        for k, (param, grad) in enumerate(((w, grad_w), (b, grad_b))):
            first, second = moments[2 * k], moments[2 * k + 1]
            first *= beta1
            first += (1 - beta1) * grad
            second *= beta2
            second += (1 - beta2) * grad * grad
            corrected = first / (1 - beta1 ** step)
            param -= rate * corrected / (np.sqrt(second / (1 - beta2 ** step)) + 1e-8)
    return w, b


def _best_temperature(logits: npt.NDArray[np.float64], labels: LabelArray) -> float:
    """The temperature that minimises the cross-entropy of ``logits`` on ``labels``."""
    rows = np.arange(len(labels))
    losses = [-np.log(_softmax(logits / t)[rows, labels] + 1e-12).mean() for t in TEMPERATURES]
    return float(TEMPERATURES[int(np.argmin(losses))])


@dataclass(frozen=True)
class Refit:
    """An adapted model: its file's bytes and the temperature it learnt."""

    data: bytes
    temperature: float


def refit(base: DigitRecognizer, images: npt.NDArray[np.float32], labels: LabelArray,
          groups: Sequence[str], l2: float = L2) -> Refit:
    """Refit the last layer of ``base``'s first network on normalised cells (n, 28, 28)
    and their digit labels. The adapted network reads **alone**: averaged with the shipped
    members (half of the reading) it kept little of what it learnt (``bench_adapt.py``,
    docs/reading.md « Learning from corrections »). A file flagged ``WITH_SHIPPED`` by an
    earlier version is still read with them, as it was fitted to be. The temperature is
    chosen on a third of the sheets (``groups``) left out of a first fit, so it is not
    fitted to cells the layer has learnt, when that third has ``MIN_TEMPERATURE_CELLS``
    cells; else the shipped temperature is kept."""
    net = base.network
    features = net.features(images).astype(np.float64)
    w0 = net.layers["f2.w"].astype(np.float64)
    b0 = net.layers["f2.b"].astype(np.float64)
    sheets = sorted(set(groups))
    temperature = 1.0  # the shipped one, folded into the shipped layer
    aside = set(sheets[1::3])
    out = np.array([g in aside for g in groups], bool)
    if out.sum() >= MIN_TEMPERATURE_CELLS and (~out).any():
        w, b = _fit_last_layer(features[~out], labels[~out], w0, b0, l2)
        temperature = _best_temperature(features[out] @ w.T + b, labels[out])
    w, b = _fit_last_layer(features, labels, w0, b0, l2)
    layers = dict(net.layers)
    layers["f2.w"] = np.asarray(w / temperature, np.float32)
    layers["f2.b"] = np.asarray(b / temperature, np.float32)
    meta = dict(net.meta)
    meta.update(name=ADAPTED_NAME, adapted_from=base.version, cells=len(labels),
                adapted_on=clock.today().isoformat(), adapt_temperature=temperature,
                l2=l2, **{WITH_SHIPPED: False})
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(json.dumps(meta, sort_keys=True)), **layers)
    return Refit(buffer.getvalue(), temperature)


@dataclass(frozen=True)
class Score:
    """How a model does on cells whose digit a reviewer decided."""

    model: str  # its version
    cells: int
    correct: int
    confident: int  # cells read at the trust threshold or more
    confident_errors: int  # ... and wrong: what would go unseen

    @property
    def accuracy(self) -> float:
        return self.correct / self.cells if self.cells else 0.0

    def no_worse_than(self, other: Score) -> bool:
        """As many right, no more wrong above the threshold, and not less sure: at most
        ``REVIEW_TOLERANCE`` of the cells (at least one) fewer read above the threshold. A
        model as right but far less sure sends many more cells to review: that is worse."""
        spare = max(1, math.ceil(REVIEW_TOLERANCE * self.cells))
        return (self.correct >= other.correct
                and self.confident_errors <= other.confident_errors
                and self.confident >= other.confident - spare)


def score(model: DigitRecognizer, images: npt.NDArray[np.float32], labels: LabelArray,
          threshold: float) -> Score:
    """Score ``model`` on normalised cells with their decided digits."""
    probs = model.predict_normalised(images) if len(labels) else np.zeros((0, len(CLASSES)))
    best = probs.argmax(axis=1)
    top = probs[np.arange(len(labels)), best]
    right = best == labels
    sure = top >= threshold
    return Score(model.version, len(labels), int(right.sum()), int(sure.sum()),
                 int((sure & ~right).sum()))


def install(home_root: Path, data: bytes) -> None:
    """Make ``data`` the home's digit model; the one it replaces is kept to go back to."""
    folder = home_root / MODELS_DIR
    private_dir(folder)
    current = adapted_path(home_root)
    if current.exists():
        write_private(previous_path(home_root), current.read_bytes())
    else:
        previous_path(home_root).unlink(missing_ok=True)
    write_private(current, data)


def revert(home_root: Path) -> str | None:
    """Go back to the model the last adaptation replaced: the previous adapted one, or
    the shipped one. Returns the version now in use, None when nothing was adapted."""
    current, previous = adapted_path(home_root), previous_path(home_root)
    if not current.exists():
        return None
    if previous.exists():
        previous.replace(current)
    else:
        current.unlink()
    return home_recognizer(home_root).version
