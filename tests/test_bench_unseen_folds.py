"""The leave-one-style-out benchmark of the unseen split decides each field as the reader
would (``benchmarks/bench_unseen_folds.py``): the same rules as ``ocr.trust``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from bordereau.simulate.evaluate import FieldOutcome

ROOT = Path(__file__).resolve().parent.parent


def _bench() -> ModuleType:
    sys.path.insert(0, str(ROOT / "scripts"))
    spec = importlib.util.spec_from_file_location(
        "bench_unseen_folds", ROOT / "benchmarks" / "bench_unseen_folds.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BENCH = _bench()


def outcome(field_id: str, kind: str, confidence: float, seen: float | None = None,
            **changes: Any) -> FieldOutcome:
    values: dict[str, Any] = {
        "serial": "000001", "field_id": field_id, "kind": kind, "expect": "read",
        "truth": "12", "value": "12", "confidence": confidence, "review": False,
        "reason": None, "style": "loso unseen: indie-flower-latin-400-normal.woff2, pencil",
        "trust": None if seen is None else {"confidence": seen}}
    return FieldOutcome.model_validate({**values, **changes})


def test_each_field_is_decided_by_the_readers_rules() -> None:
    table = {"digits": 0.8, "letters": 0.97, "single_choice": 0.5}
    decide = BENCH.reviewed
    assert not decide(outcome("neonatal.poids", "digits", 0.85, 0.85), table)
    assert decide(outcome("neonatal.poids", "digits", 0.75, 0.75), table)
    # identity fields need 0.99 per cell whatever the group's threshold
    assert decide(outcome("patient.ipp", "digits", 0.95, 0.95), table)
    # the label or the NIR's key raised it after the trust stage: decided by that evidence
    assert not decide(outcome("patient.ipp", "digits", 0.99, 0.6), table)
    # another stage's review stands; a blank read surely is not thresholded
    assert decide(outcome("neonatal.poids", "digits", 0.99, 0.99, review=True), table)
    assert not decide(outcome("vital.decede", "boolean", 0.9, value=None), table)
    assert decide(outcome("activite.type", "single_choice", 0.3, value="X"), table)


def test_the_family_is_the_font_without_its_npm_file_name() -> None:
    assert BENCH.family(outcome("a", "digits", 1.0)) == "indie-flower"
