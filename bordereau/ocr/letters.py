"""Hand-printed capital recogniser for comb cells (one character per cell).

The second opinion next to Tesseract for ``L`` cells (names) and the letter side of ``A``
cells. Each inked cell is normalised like a digit cell (``ocr.cnn``: 28 x 28 ink image)
plus six numbers saying where the ink lies in the cell (a hyphen sits at mid-height, an
apostrophe at the top: the 28 x 28 image alone cannot tell ``'`` from ``I``). A small
convolutional network run with numpy returns one probability per class: ``A`` … ``Z``,
``-``, ``'``, ``not_a_letter`` (specks, overwritten or hatched cells, filled cells,
symbols) and ``digit`` (digits 2-9; 0 and 1 are left out, their hand-printed shapes are
those of O and I). The ``digit`` class lets an alphanumeric cell weigh letter against
digit, and a name cell simply ignore it.

The weights live in ``bordereau/ocr/models/letters-cnn.npz``, produced by
``scripts/train_letters.py`` from handwriting fonts of the training split only, and
evaluated on the held-out fonts by ``benchmarks/bench_letters.py`` (``docs/letters.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np

from bordereau.errors import MissingToolError
from bordereau.ocr.cnn import (
    GEOMETRY_SIZE,
    INPUT_SIZE,
    FloatArray,
    SmallCnn,
    normalise_with_geometry,
)

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CLASSES: tuple[str, ...] = (*LETTERS, "-", "'", "not_a_letter", "digit")
REJECT = 28  # index of ``not_a_letter``
DIGIT = 29  # index of ``digit``
MODEL_FILE = "letters-cnn.npz"


class LetterRead(NamedTuple):
    """The best class of one cell: ``char`` is None for ``not_a_letter`` or ``digit``."""

    char: str | None
    probability: float


def normalise_letter(cell: np.ndarray) -> tuple[FloatArray, FloatArray]:
    """The network inputs of one crop: a (28, 28) ink image and its (6,) geometry."""
    return normalise_with_geometry(cell)


class LetterRecognizer:
    """A trained capital-letter classifier run with numpy (load once, reuse everywhere)."""

    def __init__(self, path: Path | None = None) -> None:
        """Load the weights from ``path``, or from the model shipped with the package."""
        try:
            if path is None:
                data = resources.files("bordereau.ocr").joinpath("models", MODEL_FILE).read_bytes()
            else:
                data = path.read_bytes()
            self._net = SmallCnn(data, CLASSES)
            if self._net.extra != GEOMETRY_SIZE:
                raise ValueError("the model does not take the cell geometry")
        except (OSError, KeyError, ValueError) as exc:
            where = path or f"bordereau/ocr/models/{MODEL_FILE}"
            raise MissingToolError(
                f"Le modèle de lecture des lettres ({where}) est absent ou illisible : "
                f"réinstallez bordereau ou régénérez-le avec scripts/train_letters.py ({exc})."
            ) from exc
        self.meta: dict[str, object] = self._net.meta

    @property
    def version(self) -> str:
        """Name of the model and a hash of its file, to record which model read a field."""
        return self._net.version

    @property
    def classes(self) -> tuple[str, ...]:
        """Column labels of :meth:`predict`: ``"A"`` … ``"Z"``, ``"-"``, ``"'"``,
        ``"not_a_letter"``, ``"digit"``."""
        return CLASSES

    def predict_normalised(self, batch: FloatArray, geometry: FloatArray) -> FloatArray:
        """Probabilities, shape (n, 30), for (n, 28, 28) images and (n, 6) geometries."""
        return self._net.probabilities(batch, geometry)

    def predict(self, cells: Sequence[np.ndarray], batch_size: int = 512) -> FloatArray:
        """Probabilities, shape (len(cells), 30), rows summing to 1, for raw cell crops."""
        if len(cells) == 0:
            return np.zeros((0, len(CLASSES)), np.float32)
        pairs = [normalise_letter(cell) for cell in cells]
        images = np.stack([p[0] for p in pairs]).reshape(-1, INPUT_SIZE, INPUT_SIZE)
        geometry = np.stack([p[1] for p in pairs])
        parts = [
            self.predict_normalised(images[i : i + batch_size], geometry[i : i + batch_size])
            for i in range(0, len(images), batch_size)
        ]
        return np.concatenate(parts)

    def read(self, cells: Sequence[np.ndarray]) -> list[LetterRead]:
        """The most probable class of each cell, ``char`` None for a non-letter."""
        probs = self.predict(cells)
        best = probs.argmax(axis=1)
        return [
            LetterRead(None if int(k) >= REJECT else CLASSES[int(k)], float(probs[i, k]))
            for i, k in enumerate(best)
        ]


@cache
def default_recognizer() -> LetterRecognizer:
    """The recogniser shipped with the package, loaded once per process."""
    return LetterRecognizer()
