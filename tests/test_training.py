"""Training-only helpers (``bordereau/training/``)."""

from __future__ import annotations

import numpy as np

from bordereau.training.temperature import fit_temperature


def test_the_fitted_temperature_is_the_one_the_labels_were_drawn_with() -> None:
    rng = np.random.default_rng(5)
    logits = rng.normal(0.0, 4.0, size=(20000, 10)).astype(np.float32)
    odds = np.exp(logits / 2.0 - (logits / 2.0).max(axis=1, keepdims=True))
    probs = odds / odds.sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(10, p=p) for p in probs], dtype=np.int64)
    assert abs(fit_temperature(logits, labels) - 2.0) <= 0.1
    assert fit_temperature(logits, logits.argmax(axis=1)) == 0.5  # always right: sharpest
