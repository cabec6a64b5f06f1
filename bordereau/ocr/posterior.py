"""Trust a comb field on the probability of its value among the *valid* values.

A date, a measurement or age with a plausible range, or a written ORPHA code of the
centre's thesaurus has rules (``ocr.context.validity``): month 13, day 34, the year 2094,
85 cm of head circumference are not values the field can hold. The recognisers spend some
probability on such readings; the field's confidence (its weakest cell) counts that mass
as doubt although no reviewer would ever type it.

The **posterior** of a valid first reading is its probability among the valid values of
the field, with a uniform prior over them (no prior fitted to any distribution of values):

    P(value) / (Σ P(valid candidates of the beam) + (1 − Σ P(every candidate of the beam)))

over the candidates of ``ocr.context.candidates`` (the combinations of each cell's top
digits, ``BEAM`` of them, joint probability = product over cells). The mass the beam does
not hold (digits beyond each cell's top three, combinations beyond the beam, an empty
cell that may hold a faint character) stays in the denominator as doubt, so the score
never overstates: it is at most the share the value would have if every reading outside
the beam were valid. A blank field counts as a valid rival. With no invalid candidate,
the posterior is the product of the cells' probabilities.

Computed on each sheet before the trust thresholds, from the sheet as read so far (a date
of birth checked against the NIR and the other dates, an age against the patient's age).
It is always kept in the details (``posterior``: the score, the product of the cells, the
weakest cell, the valid and beam masses) for audit; it *becomes* the field's confidence
only when the shipped calibration says so (``comb_bound.score`` = ``posterior`` in
``ocr/models/calibration.json``), with the threshold fitted on that score. Identity fields
(``ocr.trust.IDENTITY_FIELDS``) keep their confidence and their a-priori rule (0.99 on the
weakest cell): their posterior is kept for audit only.

``marginal`` (kept too, never decides) is the weakest cell's probability of its character
among the valid values: the per-cell counterpart of the posterior, for comparison.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from bordereau.ocr import trust_model
from bordereau.ocr.context import Fields, candidates, validity, value_text
from bordereau.ocr.trust import IDENTITY_FIELDS, calibration
from bordereau.ocr.types import FieldReading

KINDS = frozenset({"date", "digits", "orpha_code"})


@cache
def enabled() -> bool:
    """Whether the shipped calibration trusts comb fields on their posterior."""
    return bool(calibration().get("comb_bound", {}).get("score") == "posterior")


@cache
def writer_gate() -> float | None:
    """The shipped writer gate: the posterior decides a field only when the other comb
    fields of its sheet have at most this share of doubtful cells
    (``trust_model.sheet_signals``' ``writer_doubt_share``): on a hard writer's sheet the
    weakest cell keeps deciding, its doubt being the evidence that the hand is hard. None:
    no gate (``comb_bound.writer_gate`` absent)."""
    found = calibration().get("comb_bound", {}).get("writer_gate")
    return None if found is None else float(found)


def score(reading: FieldReading, fields: Fields, today: dt.date,
          thesaurus: set[str]) -> dict[str, float] | None:
    """The posterior of a valid first reading with per-cell details, and what it is made
    of; None when the field has no rule, no cells, or its first reading is not valid."""
    if reading.kind not in KINDS or not isinstance(reading.value, str):
        return None
    found = reading.details.get("cells")
    cells: list[dict[str, Any]] = found if isinstance(found, list) else []
    if not any(c.get("char") for c in cells):
        return None
    rule = validity(reading, fields, today, thesaurus)
    first = reading.value
    if rule is None or (reading.kind != "date" and not first.isdigit()):
        return None
    valid = rule[0]
    if not valid(first):
        return None
    read = [str(c.get("char", "")) for c in cells]
    beam = value = rivals = 0.0
    agree = [0.0] * len(cells)  # valid mass agreeing with the reading, cell by cell
    for chars, probability in candidates(cells):
        beam += probability
        text = value_text(chars, reading.kind) if any(chars) else ""
        if text is None or (text and not valid(text)):
            continue
        rivals += probability  # a valid value, or nothing written (a blank field)
        value += probability if text == first else 0.0
        for n, (char, mine) in enumerate(zip(chars, read, strict=True)):
            agree[n] += probability if char == mine else 0.0
    if value <= 0.0:
        return None
    doubt = rivals + max(0.0, 1.0 - beam)
    product = 1.0
    for cell in cells:
        product *= float(cell.get("confidence", 1.0))
    return {"posterior": value / doubt, "product": product,
            "weakest": min(float(c.get("confidence", 1.0)) for c in cells),
            "marginal": min(agree) / doubt, "valid_mass": rivals, "beam_mass": beam}


def apply(fields: Fields, today: dt.date, thesaurus: set[str],
          use: bool | None = None, gate: float | None = None) -> None:
    """Keep each comb field's posterior in its details and, when ``use`` (default: the
    shipped calibration's choice), make it the confidence the trust stage decides on —
    only for fields whose writer signal passes ``gate`` when there is one (with ``use``
    left to the shipped calibration, its ``writer_gate`` too)."""
    if use is None:
        use, gate = enabled(), writer_gate()
    doubt = ({fid: found["writer_doubt_share"]
              for fid, found in trust_model.sheet_signals(fields).items()}
             if use and gate is not None else {})
    for reading in fields.values():
        if reading.review:
            continue
        found = score(reading, fields, today, thesaurus)
        if found is None:
            continue
        kept = {k: round(v, 6) for k, v in found.items()}
        reading.details["posterior"] = kept
        if not use or reading.id in IDENTITY_FIELDS or (
                gate is not None and doubt.get(reading.id, 0.0) > gate):
            continue
        kept["raw_confidence"] = round(reading.confidence, 6)
        reading.confidence = found["posterior"]
