"""The softmax temperature of a recogniser, fitted on its validation slice at training time,
and the softmax at a temperature (the training scripts' probabilities)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def softmax(logits: npt.NDArray[np.float32], temperature: float) -> npt.NDArray[np.float32]:
    """Class probabilities of ``logits`` (n, classes) at ``temperature``."""
    z = logits / temperature
    e = np.exp(z - z.max(axis=1, keepdims=True))
    # np.asarray(dtype=...), not .astype: numpy types a keepdims reduction as Any
    return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float32)


def fit_temperature(logits: npt.NDArray[np.float32], labels: npt.NDArray[np.int64]) -> float:
    """The softmax temperature minimising validation log-loss (calibration)."""
    best = (float("inf"), 1.0)
    for t in np.arange(0.5, 3.001, 0.02):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        nll = float(-(z[np.arange(len(z)), labels] - np.log(np.exp(z).sum(axis=1))).mean())
        best = min(best, (nll, float(t)))
    return round(best[1], 2)
