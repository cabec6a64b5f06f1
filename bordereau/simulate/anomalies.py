"""Deliberate defects planted in planned answers.

* :func:`plant_anomaly`: one inconsistency between fields that are each written cleanly
  (activity before inclusion, deceased without a date...), for the sheet rules to flag.
* :func:`plant_ambiguity`: fields a careful reader cannot decide (two marks in a single
  choice, a half-filled box, an overwritten digit), marked ``expect="review"``; and
  cancelled boxes (blackened, then the right box crossed), which are clean per the form's
  instructions and stay ``expect="read"``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

from bordereau.forms.manifest import FieldLayout, Layout
from bordereau.simulate.answers import (
    boolean_answer,
    choice_answer,
    comb_answer,
    date_answer,
    empty_answer,
    parse_date,
)
from bordereau.simulate.truth import Anomaly, AnomalyKind, Answer, PatientLabel

CONFIRMED = "255545003"
AT_AGE = "767023003"
DIGITS = "0123456789"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

Planter = Callable[[], list[str] | None]


def plant_anomaly(
    layout: Layout,
    answers: dict[str, Answer],
    rng: random.Random,
    today: date,
    label: PatientLabel | None,
) -> Anomaly | None:
    """Rewrite a few answers so that exactly one rule is broken; None when none applies."""
    fields = {f.id: f for f in layout.fields}

    def value(field_id: str) -> object:
        return answers[field_id].value if field_id in answers else None

    def put(answer_id: str, answer: Answer) -> None:
        answers[answer_id] = answer

    birth = parse_date(value("patient.date_naissance"))
    inclusion = parse_date(value("prise_en_charge.date_inclusion"))
    activity = parse_date(value("activite.date"))

    def activity_before_inclusion() -> list[str] | None:
        if inclusion is None or activity is None:
            return None
        earlier = inclusion - timedelta(days=rng.randint(2, 300))
        put("activite.date", date_answer(fields["activite.date"], earlier))
        return ["activite.date", "prise_en_charge.date_inclusion"]

    def inclusion_before_birth() -> list[str] | None:
        if inclusion is None or birth is None:
            return None
        earlier = birth - timedelta(days=rng.randint(30, 2000))
        put(
            "prise_en_charge.date_inclusion",
            date_answer(fields["prise_en_charge.date_inclusion"], earlier),
        )
        return ["prise_en_charge.date_inclusion", "patient.date_naissance"]

    def deceased_without_date() -> list[str] | None:
        if "vital.decede" not in fields or "vital.date_deces" not in fields:
            return None
        put("vital.decede", boolean_answer(fields["vital.decede"], True))
        put("vital.date_deces", empty_answer(fields["vital.date_deces"]))
        return ["vital.decede", "vital.date_deces"]

    def death_date_without_deceased() -> list[str] | None:
        if "vital.decede" not in fields or "vital.date_deces" not in fields:
            return None
        put("vital.decede", boolean_answer(fields["vital.decede"], False))
        put(
            "vital.date_deces",
            date_answer(fields["vital.date_deces"], today - timedelta(days=rng.randint(1, 90))),
        )
        return ["vital.decede", "vital.date_deces"]

    def death_before_birth() -> list[str] | None:
        if birth is None or "vital.date_deces" not in fields:
            return None
        put("vital.decede", boolean_answer(fields["vital.decede"], True))
        put(
            "vital.date_deces",
            date_answer(fields["vital.date_deces"], birth - timedelta(days=rng.randint(40, 900))),
        )
        return ["vital.decede", "vital.date_deces", "patient.date_naissance"]

    def date_in_future() -> list[str] | None:
        if activity is None:
            return None
        put(
            "activite.date",
            date_answer(fields["activite.date"], today + timedelta(days=rng.randint(5, 400))),
        )
        return ["activite.date"]

    def confirmed_without_disease() -> list[str] | None:
        prefixes = [f.id.rsplit(".", 1)[0] for f in layout.fields if f.id.endswith(".statut")]
        prefixes = [p for p in prefixes if answers[f"{p}.statut"].written]
        if not prefixes:
            return None
        prefix = rng.choice(prefixes)
        put(f"{prefix}.statut", choice_answer(fields[f"{prefix}.statut"], CONFIRMED))
        touched = [f"{prefix}.statut"]
        for suffix in ("maladie", "code_orpha"):
            if f"{prefix}.{suffix}" in fields:
                put(f"{prefix}.{suffix}", empty_answer(fields[f"{prefix}.{suffix}"]))
                touched.append(f"{prefix}.{suffix}")
        return touched

    def age_value_without_period() -> list[str] | None:
        periods = [
            f.id
            for f in layout.fields
            if f.id + "_valeur" in fields and answers[f.id].value == AT_AGE
        ]
        if not periods:
            return None
        period = rng.choice(periods)
        other = [c.code for c in fields[period].choices or () if c.code != AT_AGE]
        put(period, choice_answer(fields[period], rng.choice(other)))
        return [period, f"{period}_valeur", f"{period}_unite"]

    def nir_bad_key() -> list[str] | None:
        nir = value("patient.ins")
        if not isinstance(nir, str) or len(nir) != 15:
            return None
        key = (int(nir[13:]) + rng.randint(1, 9)) % 97 or 1
        put("patient.ins", comb_answer(fields["patient.ins"], f"{nir[:13]}{key:02d}"))
        return ["patient.ins"]

    def label_ipp_mismatch() -> list[str] | None:
        ipp = value("patient.ipp")
        if label is None or not isinstance(ipp, str) or not ipp:
            return None
        i = rng.randrange(len(ipp))
        changed = ipp[:i] + rng.choice(DIGITS.replace(ipp[i], "")) + ipp[i + 1 :]
        put("patient.ipp", comb_answer(fields["patient.ipp"], changed))
        zone = next(f.id for f in layout.fields if f.kind == "label_zone")
        return ["patient.ipp", zone]

    planters: dict[AnomalyKind, Planter] = {
        "activity_before_inclusion": activity_before_inclusion,
        "inclusion_before_birth": inclusion_before_birth,
        "deceased_without_date": deceased_without_date,
        "death_date_without_deceased": death_date_without_deceased,
        "death_before_birth": death_before_birth,
        "date_in_future": date_in_future,
        "confirmed_without_disease": confirmed_without_disease,
        "age_value_without_period": age_value_without_period,
        "nir_bad_key": nir_bad_key,
        "label_ipp_mismatch": label_ipp_mismatch,
    }
    kinds = list(planters)
    rng.shuffle(kinds)
    for kind in kinds:
        touched = planters[kind]()
        if touched is not None:
            return Anomaly(kind=kind, fields=touched)
    return None


def _alphabet(field: FieldLayout) -> str:
    if field.kind == "letters":
        return LETTERS
    if field.kind == "alphanumeric":
        return LETTERS + DIGITS
    return DIGITS


def plant_ambiguity(
    layout: Layout,
    answers: dict[str, Answer],
    rng: random.Random,
    ambiguity_rate: float,
    cancel_rate: float,
    protected: frozenset[str] = frozenset(),
) -> None:
    """Make some written fields ambiguous (review) and cancel some boxes (still clean)."""
    for field in layout.fields:
        answer = answers[field.id]
        if field.id in protected or not answer.written:
            continue
        if rng.random() < ambiguity_rate:
            _ambiguous(field, answer, rng)
        elif field.choices and len(field.choices) > 1 and rng.random() < cancel_rate:
            free = [c.code for c in field.choices if c.code not in answer.boxes]
            if free:
                answer.boxes[rng.choice(free)] = "cancel"


def _ambiguous(field: FieldLayout, answer: Answer, rng: random.Random) -> None:
    if field.kind == "single_choice" and field.choices and isinstance(answer.value, str):
        chosen = answer.value
        others = [c.code for c in field.choices if c.code != chosen]
        if others and rng.random() < 0.6:
            second = rng.choice(others)
            answer.boxes[second] = "check"
            answer.ambiguity, answer.candidates = "two_marks", [chosen, second]
        else:
            answer.boxes[chosen] = "half"
            answer.ambiguity, answer.candidates = "half_filled", [chosen, None]
        answer.value, answer.expect = None, "review"
    elif field.kind == "multi_choice" and field.choices and isinstance(answer.value, list):
        free = [c.code for c in field.choices if c.code not in answer.boxes]
        if not free:
            return
        code = rng.choice(free)
        answer.boxes[code] = "half"
        with_it = [c.code for c in field.choices if c.code in answer.value or c.code == code]
        answer.ambiguity, answer.candidates = "half_filled", [list(answer.value), with_it]
        answer.expect = "review"
    elif field.kind == "boolean" and answer.value is True:
        answer.boxes["true"] = "half"
        answer.ambiguity, answer.candidates = "half_filled", [True, False]
        answer.value, answer.expect = None, "review"
    elif answer.cells and isinstance(answer.value, str):
        spots = [i for i, ch in enumerate(answer.cells) if ch != " "]
        i = rng.choice(spots)
        alphabet = DIGITS if answer.cells[i].isdigit() else _alphabet(field)
        first = rng.choice(alphabet.replace(answer.cells[i], ""))
        answer.overwritten[i] = first
        alt = answer.cells[:i] + first + answer.cells[i + 1 :]
        alt_value = comb_alt_value(field, alt, answer.value)
        answer.ambiguity, answer.candidates = "overwritten_glyph", [answer.value, alt_value]
        answer.expect = "review"


def comb_alt_value(field: FieldLayout, cells: str, value: str) -> str:
    """The value the comb would read as with other cell contents (dates keep their form)."""
    if field.kind != "date":
        return cells.strip()
    day, month, year = cells[0:2], cells[2:4], cells[4:8]
    if len(value) == 4:
        return year
    if len(value) == 7:
        return f"{year}-{month}"
    return f"{year}-{month}-{day}"
