"""Fit the field-level trust model (``ocr.trust_model``) and choose its thresholds.

Used by ``scripts/fit_trust.py``, ``scripts/fit_comb_bound.py`` and
``scripts/fit_comb_thresholds.py`` on field outcomes of the calibration split (never the
held-out split). Numpy only:

- ``trust_decided``: the fields a threshold or a model is fitted on, those the trust stage
  decides (``raised``: those the sheet's evidence decided afterwards);

- ``fit_logistic``: an L2-penalised logistic regression on standardised inputs
  (Newton steps), the model ``ocr.trust_model.probability`` evaluates;
- ``grouped_folds``: cross-validation folds that keep every field of a sheet (or of a
  writer style) in one fold, so a model is never judged on a sheet it learnt from;
- ``risk_threshold``: the threshold on a score such that the error rate of the fields it
  trusts has a one-sided Clopper–Pearson upper bound at most ``alpha``, chosen by
  *fixed-sequence testing* (Learn then Test): candidate thresholds of a grid fixed in
  advance are tested from the strictest to the laxest and the search stops at the first
  that fails, so the bound holds for the threshold returned (at level ``1 - delta``)
  although many were tried. The sequence starts only where enough fields are trusted for
  a bound of ``alpha`` to be reachable with one error among them — a choice made from
  the scores alone, not from which fields were right, which keeps the test valid.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from bordereau.simulate.evaluate import FieldOutcome, clopper_pearson_upper

NEVER = 1.01  # a threshold no probability reaches: the group is always reviewed


def raised(o: FieldOutcome) -> bool:
    """Decided by the sheet's evidence (label, NIR key) after the trust stage: its
    confidence ends above the one the trust stage saw (``trust["confidence"]``)."""
    return o.trust is not None and o.confidence > float(o.trust["confidence"]) + 1e-6


def trust_decided(rows: Iterable[FieldOutcome]) -> list[FieldOutcome]:
    """The fields of ``rows`` the trust stage decides, in their order: neither sent to
    review by another stage (``review`` set whatever the trust stage says) nor decided by
    the sheet's evidence afterwards (``raised``). Only on these does the trust stage's
    threshold change the outcome, so they are the ones a threshold or a model is fitted
    on. Identity fields are kept (callers that set them apart leave them out themselves)."""
    return [o for o in rows if not o.review and not raised(o)]


@dataclass
class Logistic:
    """A fitted model, in the form ``ocr.trust_model.probability`` reads."""

    features: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        z = ((x - np.asarray(self.mean)) / np.asarray(self.scale)) @ np.asarray(self.coef)
        out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z + self.intercept, -50, 50)))
        return out

    def as_dict(self) -> dict[str, object]:
        return {"features": self.features, "mean": [round(v, 6) for v in self.mean],
                "scale": [round(v, 6) for v in self.scale],
                "coef": [round(v, 6) for v in self.coef],
                "intercept": round(self.intercept, 6)}


def fit_logistic(x: np.ndarray, y: np.ndarray, features: Sequence[str],
                 l2: float = 1.0, steps: int = 50) -> Logistic:
    """Logistic regression of ``y`` (1 right, 0 wrong) on ``x``: inputs standardised,
    ``l2`` times the squared weights (not the intercept) added to the negative
    log-likelihood, Newton's method."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    design = np.hstack([z, np.ones((len(z), 1))])
    weights = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ weights, -50, 50)))
        gradient = design.T @ (p - y) + penalty * weights
        hessian = (design.T * (p * (1 - p))) @ design + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return Logistic(list(features), mean.tolist(), scale.tolist(),
                    weights[:-1].tolist(), float(weights[-1]))


def grouped_folds(groups: Sequence[str], k: int) -> list[np.ndarray]:
    """``k`` folds of indices; all items of a group (a sheet, a style) in the same fold,
    assigned by a stable hash of the group's name."""
    fold = np.array([zlib.crc32(g.encode()) % k for g in groups])
    return [np.flatnonzero(fold == n) for n in range(k)]


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


@dataclass
class Threshold:
    value: float  # trust from this score on (NEVER: never)
    trusted: int
    wrong: int
    bound: float  # Clopper–Pearson upper bound of the trusted fields' error rate
    tested: int  # thresholds tested before stopping


def least_support(alpha: float, delta: float, errors: int = 0) -> int:
    """The fewest trusted fields whose bound can reach ``alpha`` with ``errors`` of them
    wrong."""
    n = math.ceil(math.log(delta) / math.log(1 - alpha))
    while clopper_pearson_upper(errors, n, 1 - delta) > alpha:
        n += max(1, n // 100)
    return n


# The candidate thresholds, fixed before any data is seen: even steps of 0.02 in log-odds
# from 0.99995 down to 0.0067, strictest first.
GRID = 1.0 / (1.0 + np.exp(-np.arange(10.0, -5.0, -0.02)))


def risk_threshold(scores: np.ndarray, right: np.ndarray, alpha: float,
                   delta: float = 0.05, max_observed: float | None = None,
                   grid: np.ndarray = GRID, absorb: int = 1) -> Threshold:
    """The lowest threshold of a fixed sequence (``grid``, strictest first, from the first
    that trusts enough fields for the bound to reach ``alpha`` with ``absorb`` of them
    wrong: one confident error at the very top must not end the search) whose trusted
    fields' error rate has its ``1 - delta`` Clopper–Pearson upper bound ≤ ``alpha``
    (and an observed error rate ≤ ``max_observed`` if given), every stricter one of the
    sequence passing too."""
    wrong_scores = np.sort(scores[~right.astype(bool)])
    all_scores = np.sort(scores)
    start = least_support(alpha, delta, absorb)
    if max_observed:
        start = max(start, math.ceil(absorb / max_observed))
    best = Threshold(NEVER, 0, 0, 1.0, 0)
    tested = 0
    for value in grid:
        n = len(all_scores) - int(np.searchsorted(all_scores, value, side="left"))
        if n < start:
            continue
        wrong = len(wrong_scores) - int(np.searchsorted(wrong_scores, value, side="left"))
        bound = clopper_pearson_upper(wrong, n, 1 - delta)
        tested += 1
        if bound > alpha or (max_observed is not None and wrong / n > max_observed):
            break
        best = Threshold(float(value), n, wrong, bound, tested)
    best.tested = tested
    return best


def curve(scores: np.ndarray, right: np.ndarray) -> list[tuple[float, int, int]]:
    """(threshold, trusted, wrong) at every distinct score, strictest first."""
    order = np.argsort(-scores, kind="stable")
    ranked, wrong_cum = scores[order], np.cumsum(~right[order].astype(bool))
    points = []
    for n in range(len(ranked)):
        if n + 1 == len(ranked) or ranked[n + 1] != ranked[n]:
            points.append((float(ranked[n]), n + 1, int(wrong_cum[n])))
    return points
