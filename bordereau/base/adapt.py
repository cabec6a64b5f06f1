"""``models adapt``: fit the digit model to the corrections of this base, keep it if no worse.

The decided digit cells (``base.corrections``) are split by sheet: a share of the sheets
is held back as the check, never fitted. The last layer of the shipped network is refitted
on the rest (``ocr.adapt.refit``); the model in use and the adapted one are scored on the
check cells, and the adapted one is installed in the home only when it reads at least as
many of them right and trusts no more wrong ones (a cell trusted: read at the digits trust
threshold or more).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bordereau.base.corrections import decided_digit_cells
from bordereau.base.engine import Database
from bordereau.home import Home
from bordereau.ocr.adapt import Score, home_recognizer, install, refit, score
from bordereau.ocr.cnn import normalise_cell
from bordereau.ocr.digits import DigitRecognizer, default_recognizer
from bordereau.ocr.trust import thresholds

HELD_BACK = 0.25  # share of the sheets kept to check the adapted model
MIN_CELLS = 300  # decided digit cells needed to fit
MIN_CHECK_CELLS = 50  # ... and to judge the result
MIN_SHEETS = 4


@dataclass(frozen=True)
class Adaptation:
    """What ``models adapt`` did. ``installed`` is the new version when it was kept."""

    cells: int  # decided digit cells found in the base
    sheets: int
    fitted: int  # cells the last layer was refitted on
    held_back: int  # cells of the held-back sheets (the check)
    held_back_sheets: int
    before: Score | None  # the model in use, on the check cells
    after: Score | None  # the adapted one
    threshold: float
    installed: str | None = None
    too_few: bool = False  # not enough corrections: nothing was fitted


def held_back_sheets(serials: Sequence[str], share: float = HELD_BACK) -> set[str]:
    """The sheets kept as the check: a fixed share, chosen by a hash of the serial (the
    same sheets every time, whatever order they come in)."""
    unique = sorted(set(serials), key=lambda s: hashlib.sha256(s.encode()).hexdigest())
    return set(unique[:max(1, math.ceil(share * len(unique)))]) if unique else set()


def adapt_digits(db: Database, home: Home, share: float = HELD_BACK,
                 min_cells: int = MIN_CELLS) -> Adaptation:
    """Refit the digit model on the decided cells of the base; install it if no worse."""
    found = list(decided_digit_cells(db, home))
    serials = [c.serial for c in found]
    threshold = thresholds()["digits"]
    check = held_back_sheets(serials, share)
    aside = np.array([c.serial in check for c in found], bool)
    sheets = len(set(serials))
    counts: dict[str, int] = {
        "cells": len(found), "sheets": sheets, "fitted": int((~aside).sum()),
        "held_back": int(aside.sum()), "held_back_sheets": len(check)}
    if (len(found) < min_cells or sheets < MIN_SHEETS
            or counts["held_back"] < min(MIN_CHECK_CELLS, min_cells // 4)):
        return Adaptation(**counts, before=None, after=None,  # type: ignore[arg-type]
                          threshold=threshold, too_few=True)
    images = np.stack([normalise_cell(c.image) for c in found]).astype(np.float32)
    labels = np.array([c.label for c in found], np.int64)
    fitted = refit(default_recognizer(), images[~aside], labels[~aside],
                   [s for s, a in zip(serials, aside, strict=True) if not a])
    adapted = DigitRecognizer.from_bytes(fitted.data)
    before = score(home_recognizer(home.root), images[aside], labels[aside], threshold)
    after = score(adapted, images[aside], labels[aside], threshold)
    installed = None
    if after.no_worse_than(before):
        install(home.root, fitted.data)
        installed = adapted.version
    return Adaptation(**counts, before=before, after=after,  # type: ignore[arg-type]
                      threshold=threshold, installed=installed)
