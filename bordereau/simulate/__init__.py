"""Simulated scans: fill generated forms and write them the way scanners do.

``make_batch`` prints signed blank forms, fills them with realistic answers and
handwriting, passes each page through a scanner profile and writes scan files with a
``truth.json``; the benchmark and the calibration read them.
"""

from __future__ import annotations

from bordereau.simulate.batch import Extras, make_batch
from bordereau.simulate.profiles import PRESETS, ScanProfile
from bordereau.simulate.truth import BatchTruth, Split, TruthSet
from bordereau.simulate.values import FillOptions

__all__ = ["PRESETS", "BatchTruth", "Extras", "FillOptions", "ScanProfile", "Split",
           "TruthSet", "make_batch"]
