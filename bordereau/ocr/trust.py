"""When is a field trusted? Per-kind confidence thresholds, calibrated on measured data.

``scripts/calibrate.py`` reads simulated scans of the *training* split, records each
field's confidence and whether its value was right, and picks for each field kind the
lowest threshold at which trusted values are right at least ``TARGET_PRECISION`` of the
time. The thresholds ship in ``ocr/models/calibration.json``; the benchmark reports how
they do on the held-out split.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from bordereau.ocr import trust_model
from bordereau.ocr.types import FieldReading

TARGET_PRECISION = 0.995
# Identity fields link the record to a person: a wrong one, trusted, files data under the
# wrong patient. They are trusted on their own reading only when every cell is read at
# 0.99 or more (set a priori, never tuned on the held-out split); the patient label
# confirming them trusts them too (ocr.rules.apply_label_evidence). A fœtus's IPP (annexe
# grossesse et fœtus) names a person too, and no label or base can confirm it.
IDENTITY_FIELDS = frozenset({"patient.ipp", "patient.ins", "patient.date_naissance",
                             "foetus1.ipp", "foetus2.ipp"})
IDENTITY_THRESHOLD = 0.99
DEFAULT_THRESHOLDS: dict[str, float] = {
    "single_choice": 0.5,
    "multi_choice": 0.5,
    "boolean": 0.5,
    "digits": 0.95,
    "date": 0.95,
    "orpha_code": 0.95,
    "letters": 0.85,
    "alphanumeric": 0.9,
    "label_zone": 0.0,
    "free_text": 0.0,
}


@cache
def calibration() -> dict[str, Any]:
    """The shipped ``ocr/models/calibration.json`` (thresholds, the comb bound and its
    score, the augmentation veto's switch), read once a process; empty if absent."""
    source = resources.files("bordereau.ocr").joinpath("models/calibration.json")
    if not source.is_file():
        return {}
    found: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    return found


@cache
def thresholds() -> dict[str, float]:
    """The shipped thresholds (defaults for kinds the calibration did not cover)."""
    merged = dict(DEFAULT_THRESHOLDS)
    merged.update({k: float(v) for k, v in calibration().get("thresholds", {}).items()})
    return merged


def limit_for(field_id: str, kind: str, table: dict[str, float] | None = None) -> float:
    """The confidence a field needs to be trusted on its own reading."""
    limit = (table if table is not None else thresholds()).get(kind, 1.0)
    if field_id in IDENTITY_FIELDS and kind != "label_zone":
        limit = max(limit, IDENTITY_THRESHOLD)
    return limit


def apply_thresholds(readings: dict[str, FieldReading],
                     table: dict[str, float] | None = None,
                     models: dict[str, dict[str, object]] | None = None) -> None:
    """Send to review every field whose confidence is below its kind's threshold.

    The signals of every inked comb field are kept in its details (``trust``). With the
    shipped thresholds (no ``table``), a comb field of a group that has a shipped model
    (``ocr.trust_model``) is decided by the model's probability that it is right instead
    of its confidence; an identity field must pass both."""
    if models is None:
        models = trust_model.shipped() if table is None else {}
    table = {**thresholds(), **(table or {})}
    found = trust_model.sheet_signals(readings)
    for field_id, values in found.items():
        score = readings[field_id].details.get("posterior")
        if isinstance(score, dict):  # ocr.posterior: the scores, for fitting and audit
            values = {**values, **{f"posterior_{k}": float(v) for k, v in score.items()
                                   if k in {"posterior", "marginal", "raw_confidence"}}}
        readings[field_id].details["trust"] = {k: round(v, 6) for k, v in values.items()}
    for reading in readings.values():
        if reading.review or (reading.value is None and reading.confidence >= 0.5):
            continue
        limit = limit_for(reading.id, reading.kind, table)
        model = models.get(trust_model.GROUP_OF.get(reading.kind, ""))
        if model is not None and reading.id in found and (
                reading.id not in IDENTITY_FIELDS or reading.confidence >= limit):
            _apply_model(reading, found[reading.id], model)
        elif reading.confidence < limit:
            reading.review = True
            digits = 2 if round(reading.confidence, 2) < round(limit, 2) else 3
            score = reading.details.get("posterior")
            among = ("parmi les valeurs possibles "
                     if isinstance(score, dict) and "raw_confidence" in score else "")
            reading.reason = (f"lecture incertaine (confiance {among}"
                              f"{reading.confidence:.{digits}f} < {limit:.{digits}f})"
                              ).replace(".", ",")


def _apply_model(reading: FieldReading, found: dict[str, float],
                 model: dict[str, object]) -> None:
    p = trust_model.probability(found, model)
    limit = float(model["threshold"])  # type: ignore[arg-type]
    trust = reading.details["trust"]
    assert isinstance(trust, dict)
    trust["p"] = round(p, 4)
    if p < limit:
        reading.review = True
        reading.reason = (f"lecture incertaine (confiance {reading.confidence:.2f}, "
                          f"exactitude estimée {p:.3f} < {limit:.3f})").replace(".", ",")
