"""Hand-printed digit recogniser for comb cells (one digit per cell).

``normalise_cell`` turns a greyscale crop of one cell's interior into an MNIST-style
28 x 28 ink image; :class:`DigitRecognizer` runs a small convolutional network on a batch
of such images with numpy alone and returns one probability per class. The classes are
the ten digits and ``not_a_digit`` (stray marks, cross-outs, border remnants, filled
cells): callers decide empty cells with an ink test first, and treat a low top
probability or ``not_a_digit`` as a review item.

The weights live in ``bordereau/ocr/models/digits-cnn.npz``; they are produced by
``scripts/train_digits.py`` and evaluated by ``benchmarks/bench_digits.py`` (see
``docs/digits.md``). Neither torch nor scikit-learn is needed here.
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
    GLYPH_BOX,
    INPUT_SIZE,
    FloatArray,
    SmallCnn,
    normalise_cell,
)

__all__ = [
    "CLASSES",
    "GLYPH_BOX",
    "INPUT_SIZE",
    "MEMBER_FILES",
    "MODEL_FILE",
    "REJECT",
    "WITH_SHIPPED",
    "DigitRead",
    "DigitRecognizer",
    "FloatArray",
    "default_recognizer",
    "normalise_cell",
]

CLASSES: tuple[str, ...] = (*"0123456789", "not_a_digit")
REJECT = 10  # index of ``not_a_digit``
MODEL_FILE = "digits-cnn.npz"
# Further networks of the same recipe trained with other seeds, shipped beside it: a cell's
# probabilities are the mean of every network's (a deep ensemble), which errs less often
# and less confidently on hands unlike the training data. The trust bounds of
# ``calibration.json`` were fitted on this ensemble (docs/digits.md, « Ensemble »).
MEMBER_FILES: tuple[str, ...] = ("digits-cnn-2.npz", "digits-cnn-3.npz", "digits-cnn-4.npz")
WITH_SHIPPED = "with_shipped_members"  # meta key of a model file read with those members


class DigitRead(NamedTuple):
    """The best class of one cell: ``digit`` is None when it is ``not_a_digit``."""

    digit: str | None
    probability: float


class DigitRecognizer:
    """A trained digit classifier run with numpy (load once, reuse for every page)."""

    def __init__(self, path: Path | None = None) -> None:
        """Load the networks shipped with the package (``MODEL_FILE`` and every one of
        ``MEMBER_FILES``), or the network in ``path``: alone, or with the shipped further
        members when its file says so (``WITH_SHIPPED``: an establishment's adapted first
        network)."""
        where: object = path or f"bordereau/ocr/models/{MODEL_FILE}"
        try:
            data = _shipped(MODEL_FILE) if path is None else path.read_bytes()
            first = SmallCnn(data, CLASSES)
        except (OSError, KeyError, ValueError) as exc:
            raise _unreadable(where, exc) from exc
        self._set(data, first, _shipped_members() if path is None else _asked_for(first))

    @classmethod
    def from_bytes(cls, data: bytes, members: Sequence[bytes] | None = None) -> DigitRecognizer:
        """A recogniser of weights held in memory (an adapted model before it is kept):
        with ``members`` when given, else as a file of these bytes would be read."""
        recogniser = cls.__new__(cls)
        first = SmallCnn(data, CLASSES)
        chosen = (_asked_for(first) if members is None
                  else [(m, SmallCnn(m, CLASSES)) for m in members])
        recogniser._set(data, first, chosen)
        return recogniser

    def _set(self, data: bytes, first: SmallCnn, members: list[tuple[bytes, SmallCnn]]) -> None:
        self._net = first
        self.network_bytes = data  # the first network's file
        self._members = [net for _, net in members]  # SmallCnn is only read: shared
        self.member_bytes: tuple[bytes, ...] = tuple(raw for raw, _ in members)
        self.meta: dict[str, object] = first.meta
        self._version = "&".join([first.version, *(m.version for m in self._members)])

    @property
    def version(self) -> str:
        """Name and file hash of each network, joined by ``&``, to record which model read
        a field."""
        return self._version

    @property
    def network(self) -> SmallCnn:
        """The first network (its layers and ``features``, for adapting the last layer)."""
        return self._net

    @property
    def size(self) -> int:
        """How many networks read each cell (1 without further members)."""
        return 1 + len(self._members)

    @property
    def classes(self) -> tuple[str, ...]:
        """Column labels of :meth:`predict`: ``"0"`` … ``"9"``, ``"not_a_digit"``."""
        return CLASSES

    def predict_normalised(self, batch: FloatArray) -> FloatArray:
        """Class probabilities, shape (n, 11), for (n, 28, 28) outputs of ``normalise_cell``:
        the mean of the networks'. A model file flagged ``WITH_SHIPPED`` (an adapted
        network of session 8; ``models adapt`` now writes networks that read alone) weighs
        as much as the shipped members together, half of the reading, as it did beside one
        member."""
        probs = self._net.probabilities(batch)
        if not self._members:
            return np.asarray(probs, np.float32)
        others = sum(member.probabilities(batch) for member in self._members) / len(self._members)
        share = 0.5 if self.meta.get(WITH_SHIPPED) else 1.0 / self.size
        return np.asarray(share * probs + (1.0 - share) * others, np.float32)

    def predict(self, cells: Sequence[np.ndarray], batch_size: int = 512) -> FloatArray:
        """Probabilities, shape (len(cells), 11), rows summing to 1, for raw cell crops."""
        if len(cells) == 0:
            return np.zeros((0, len(CLASSES)), np.float32)
        inputs = np.stack([normalise_cell(cell) for cell in cells])
        parts = [
            self.predict_normalised(inputs[i : i + batch_size])
            for i in range(0, len(inputs), batch_size)
        ]
        return np.concatenate(parts)

    def read(self, cells: Sequence[np.ndarray]) -> list[DigitRead]:
        """The most probable class of each cell, ``digit`` None for ``not_a_digit``."""
        probs = self.predict(cells)
        best = probs.argmax(axis=1)
        return [
            DigitRead(None if int(k) == REJECT else CLASSES[int(k)], float(probs[i, k]))
            for i, k in enumerate(best)
        ]


def _shipped(name: str) -> bytes:
    return resources.files("bordereau.ocr").joinpath("models", name).read_bytes()


def _unreadable(where: object, exc: Exception) -> MissingToolError:
    return MissingToolError(
        f"Le modèle de lecture des chiffres ({where}) est absent ou illisible : "
        f"réinstallez bordereau ou régénérez-le avec scripts/train_digits.py ({exc}).")


@cache
def _shipped_members() -> list[tuple[bytes, SmallCnn]]:
    """The further networks of ``MEMBER_FILES``, read once per process."""
    members = []
    for name in MEMBER_FILES:
        try:
            data = _shipped(name)
            members.append((data, SmallCnn(data, CLASSES)))
        except (OSError, KeyError, ValueError) as exc:
            raise _unreadable(f"bordereau/ocr/models/{name}", exc) from exc
    return members


def _asked_for(first: SmallCnn) -> list[tuple[bytes, SmallCnn]]:
    """The shipped members when a model file says it is read with them (``WITH_SHIPPED``:
    an establishment's adapted first network), else none (a network read alone)."""
    return _shipped_members() if first.meta.get(WITH_SHIPPED) else []


@cache
def default_recognizer() -> DigitRecognizer:
    """The recogniser shipped with the package, loaded once per process."""
    return DigitRecognizer()
