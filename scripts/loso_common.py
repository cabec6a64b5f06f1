"""What the leave-one-style-out studies share (``scripts/loso.py``, ``scripts/loso_letters.py``):
the trust threshold rule of ``scripts/calibrate.py`` applied to cells, the figures, the table.
``never``: the classes that are never trusted as a character (``not_a_digit``, ...)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from calibrate import MAX_ERROR_BOUND, MIN_SUPPORT, NEVER

from bordereau.ocr.trust import TARGET_PRECISION
from bordereau.simulate.evaluate import clopper_pearson_upper

ALL = "all"  # the reference run: no style left out
FIXED_LEVEL = 0.99  # also reported: the per-cell level of identity fields
RULE = {"target_precision": TARGET_PRECISION, "max_error_upper_95": MAX_ERROR_BOUND,
        "min_support": MIN_SUPPORT, "bound": "one-sided 95 % Clopper-Pearson"}  # fmt: skip
Floats = npt.NDArray[np.float32]
Labels = npt.NDArray[np.int64]


def cell_threshold(probs: Floats, labels: Labels, never: tuple[int, ...]) -> float:
    """``calibrate.threshold_for`` on character cells: the lowest confidence at which the
    cells read as a character (a class not in ``never``) and kept are right >=
    TARGET_PRECISION and the 95 % Clopper-Pearson bound of their error rate is <=
    MAX_ERROR_BOUND (NEVER if no level shows it)."""
    top, conf = probs.argmax(axis=1), probs.max(axis=1)
    read = ~np.isin(top, never) & ~np.isin(labels, never)
    order = np.argsort(conf[read], kind="stable")
    wrong = (top[read] != labels[read])[order]
    wrong_from = np.cumsum(wrong[::-1])[::-1]  # errors kept when starting at each cell
    kept = np.arange(len(wrong), 0, -1)
    for start in np.flatnonzero(
        (kept >= MIN_SUPPORT) & (1 - wrong_from / kept >= TARGET_PRECISION)
    ):
        if clopper_pearson_upper(int(wrong_from[start]), int(kept[start])) <= MAX_ERROR_BOUND:
            return round(float(conf[read][order][start]), 4)
    return NEVER


def trusted_figures(
    probs: Floats, labels: Labels, threshold: float, never: tuple[int, ...]
) -> dict[str, float]:
    """Coverage at ``threshold`` and the error rate of trusted cells (silent), with its bound."""
    top, conf = probs.argmax(axis=1), probs.max(axis=1)
    trusted = (conf >= threshold) & ~np.isin(top, never)
    wrong = int((trusted & (top != labels)).sum())
    n_trusted = int(trusted.sum())
    return {"coverage": round(n_trusted / len(labels), 4), "trusted": n_trusted,
            "silent_errors": wrong, "silent": round(wrong / max(n_trusted, 1), 5),
            "silent_upper_95": round(clopper_pearson_upper(wrong, n_trusted), 5)}  # fmt: skip


def figures(
    probs: Floats, labels: Labels, threshold: float, never: tuple[int, ...]
) -> dict[str, Any]:
    """Accuracy, then trusted figures at ``threshold`` and at FIXED_LEVEL."""
    right = probs.argmax(axis=1) == labels
    return {"cells": len(labels), "accuracy": round(float(right.mean()), 4),
            **trusted_figures(probs, labels, threshold, never),
            f"at_{FIXED_LEVEL}": trusted_figures(probs, labels, FIXED_LEVEL, never)}  # fmt: skip


def false_trust(probs: Floats, threshold: float, never: tuple[int, ...]) -> dict[str, float]:
    """On cells holding no character: how many are read as one and trusted."""
    top = probs.argmax(axis=1)
    trusted = (probs.max(axis=1) >= threshold) & ~np.isin(top, never)
    return {
        "cells": len(probs),
        "called_not_a_character": round(float(np.isin(top, never).mean()), 4),
        "trusted_as_character": int(trusted.sum()),
    }


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %" if x >= 0.001 or x == 0 else f"{100 * x:.2f} %"


def table_row(name: str, f: dict[str, Any], threshold: float, val: dict[str, Any]) -> str:
    """One Markdown row: the cells read, at the tuned threshold and at FIXED_LEVEL."""
    fixed = f[f"at_{FIXED_LEVEL}"]
    return (
        f"| {name} | {f['cells']} | {_pct(f['accuracy'])} | {threshold:.3f} | "
        f"{_pct(f['coverage'])} | {_pct(f['silent'])} ({f['silent_errors']}) | "
        f"{_pct(f['silent_upper_95'])} | {_pct(fixed['coverage'])} / {_pct(fixed['silent'])} | "
        f"{_pct(val['accuracy'])} / {_pct(val['silent'])} ({val['silent_errors']}) |"
    )


def table(results: dict[str, Any]) -> str:
    """The Markdown table of docs/reading.md, from the saved results."""
    lines = [
        "| left out → read on | cells | accuracy | threshold | coverage | silent (errors) | "
        f"silent, 95 % bound | at p ≥ {FIXED_LEVEL}: coverage / silent | "
        "in-style validation: accuracy / silent |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for style, r in results["runs"].items():
        if style != ALL:
            lines.append(table_row(style, r["left_out_cells"], r["threshold"], r["validation"]))
    for label, r in (("none (all styles)", results["runs"].get(ALL)),
                     (f"shipped {results['shipped']['model']}", results["shipped"])):  # fmt: skip
        if r is None:
            continue
        for name, f in r["heldout"].items():
            if "cells" in f and "accuracy" in f:
                lines.append(table_row(f"{label} → {name}", f, r["threshold"], r["validation"]))
    return "\n".join(lines)
