"""A comb field's probability of being right, from what the reader knew when it read it.

The trust stage (``ocr.trust``) can decide a comb field on more than its weakest cell's
confidence: a small logistic regression per reader group (digit combs: digits, dates,
ORPHA codes; letter combs: names, alphanumeric) turns the *signals* of a field — every
inked cell's confidence, the weakest cell's margin to its second candidate, how many
cells are inked, whether the readers of a letter cell agreed, whether a list confirmed
it, and how hard the **other** comb fields of the same sheet were (a sheet whose other
fields were hard is a hard writer) — into a probability that the value is right. The
field is trusted when that probability reaches the group's threshold, chosen so that
the error rate of trusted fields has a one-sided 95 % Clopper–Pearson upper bound under
the target on calibration data (``scripts/fit_trust.py``, fixed-sequence testing: see
``trust_calibration``). Numpy only; the coefficients ship in ``models/trust-model.json``
and are never fitted at run time.

The signals are computed once, where the trust stage runs, and kept in the reading's
details (``details["trust"]``): the fitting script learns from exactly what the reader
computes.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

from bordereau.ocr.types import FieldReading

GROUPS: dict[str, tuple[str, ...]] = {"digit_combs": ("digits", "date", "orpha_code"),
                                      "letter_combs": ("letters", "alphanumeric")}
GROUP_OF = {kind: group for group, kinds in GROUPS.items() for kind in kinds}
DOUBTFUL_CELL = 0.9  # a cell read under this counts as doubtful in the writer signal
_EPS = 1e-4


def _logit(p: float) -> float:
    p = min(max(p, _EPS), 1 - _EPS)
    return math.log(p / (1 - p))


def _inked(reading: FieldReading) -> list[dict[str, Any]]:
    cells = reading.details.get("cells")
    if not isinstance(cells, list):
        return []
    return [c for c in cells if isinstance(c, dict) and c.get("char")]


def _margin(cell: Mapping[str, Any]) -> float:
    """The cell's best candidate's probability minus its second's (1 with no second)."""
    top = cell.get("top")
    if not isinstance(top, list) or not top:
        return 1.0
    first = float(top[0][1])
    return first - (float(top[1][1]) if len(top) > 1 else 0.0)


def _field_signals(reading: FieldReading, inked: list[dict[str, Any]]) -> dict[str, float]:
    logits = sorted(_logit(float(c.get("confidence", 0.0))) for c in inked)
    weakest = min(inked, key=lambda c: float(c.get("confidence", 0.0)))
    textual = [c for c in inked if c.get("source") and c.get("source") != "chiffres"]
    alone = sum(1 for c in textual if "+" not in str(c.get("source")))
    found = reading.details.get("liste")
    listed = found if isinstance(found, dict) else {}
    cells = reading.details.get("cells")
    return {
        "min_logit": logits[0],
        "second_logit": logits[1] if len(logits) > 1 else logits[0],
        "mean_logit": sum(logits) / len(logits),
        "weak_margin": _margin(weakest),
        "inked": float(len(inked)),
        "cells": float(len(cells) if isinstance(cells, list) else 0),
        "alone_share": alone / len(textual) if textual else 0.0,
        "listed": 1.0 if listed.get("in_list") else 0.0,
        "list_share_logit": _logit(float(listed.get("share", 0.0))) if listed else 0.0,
        "confidence": reading.confidence,  # the field's own, before the sheet's rules
        "confidence_logit": _logit(reading.confidence),
        "kind_date": 1.0 if reading.kind == "date" else 0.0,
        "kind_orpha": 1.0 if reading.kind == "orpha_code" else 0.0,
        "kind_alphanumeric": 1.0 if reading.kind == "alphanumeric" else 0.0,
    }


def sheet_signals(sheet: Mapping[str, FieldReading]) -> dict[str, dict[str, float]]:
    """The raw signals of every inked comb field of one sheet, by field id. The writer
    signals of a field come from the **other** inked comb fields of its sheet: the
    median logit of their weakest cells, and the share of their inked cells read under
    ``DOUBTFUL_CELL``."""
    inked = {fid: cells for fid, r in sheet.items()
             if r.kind in GROUP_OF and (cells := _inked(r))}
    weakest = {fid: _logit(min(float(c.get("confidence", 0.0)) for c in cells))
               for fid, cells in inked.items()}
    doubts = {fid: sum(float(c.get("confidence", 0.0)) < DOUBTFUL_CELL for c in cells)
              for fid, cells in inked.items()}
    all_cells = sum(len(c) for c in inked.values())
    all_doubts = sum(doubts.values())
    ordered = sorted(weakest.values())
    out = {}
    for fid, cells in inked.items():
        found = _field_signals(sheet[fid], cells)
        others = list(ordered)
        others.remove(weakest[fid])
        rest = all_cells - len(cells)
        found["writer_median_logit"] = statistics.median(others) if others else 0.0
        found["writer_doubt_share"] = (all_doubts - doubts[fid]) / rest if rest else 0.0
        found["writer_fields"] = float(len(others))
        out[fid] = found
    return out


def vector(found: Mapping[str, float], names: Sequence[str]) -> list[float]:
    """The model's inputs, in its order (a signal the model names but the reading lacks
    counts as 0: models are fitted on readings that have them all)."""
    return [float(found.get(name, 0.0)) for name in names]


def probability(found: Mapping[str, float], model: Mapping[str, Any]) -> float:
    """The model's probability that the field is right."""
    names = model["features"]
    x = vector(found, names)
    z = float(model["intercept"])
    for value, mean, scale, coef in zip(x, model["mean"], model["scale"], model["coef"],
                                        strict=True):
        z += float(coef) * (value - float(mean)) / float(scale)
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


@cache
def shipped() -> dict[str, Any]:
    """The shipped models by group (empty when none is shipped: thresholds alone)."""
    source = resources.files("bordereau.ocr").joinpath("models/trust-model.json")
    if not source.is_file():
        return {}
    data = json.loads(source.read_text(encoding="utf-8"))
    groups = data.get("groups", {})
    return {g: m for g, m in groups.items() if m.get("shipped", True)}
