"""Build one field's :class:`Answer` from a value, exactly as the reader should output it."""

from __future__ import annotations

from datetime import date
from typing import Literal

from bordereau.forms.manifest import FieldLayout
from bordereau.simulate.truth import Answer

Precision = Literal["day", "month", "year"]


def empty_value(field: FieldLayout) -> bool | None:
    """What the reader outputs for a field left blank: false for a boolean box, else null."""
    return False if field.kind == "boolean" else None


def empty_answer(field: FieldLayout) -> Answer:
    return Answer(kind=field.kind, value=empty_value(field))


def comb_answer(field: FieldLayout, text: str) -> Answer:
    """Characters written from the first cell on, one per cell (cut to the comb length)."""
    n = len(field.cells_mm or ())
    text = text[:n]
    return Answer(kind=field.kind, value=text.strip() or None, cells=text.ljust(n))


def date_answer(field: FieldLayout, when: date, precision: Precision = "day") -> Answer:
    """A date in its JJ MM AAAA cells; a partial date fills only the month/year cells."""
    if precision == "year":
        value, cells = f"{when.year:04d}", f"    {when.year:04d}"
    elif precision == "month":
        value, cells = f"{when.year:04d}-{when.month:02d}", f"  {when.month:02d}{when.year:04d}"
    else:
        value, cells = when.isoformat(), f"{when.day:02d}{when.month:02d}{when.year:04d}"
    return Answer(kind=field.kind, value=value, cells=cells)


def choice_answer(field: FieldLayout, code: str) -> Answer:
    return Answer(kind=field.kind, value=code, boxes={code: "check"})


def multi_answer(field: FieldLayout, codes: list[str]) -> Answer:
    """Ticked codes, listed in the form's order."""
    ordered = [c.code for c in field.choices or () if c.code in codes]
    return Answer(kind=field.kind, value=ordered, boxes=dict.fromkeys(ordered, "check"))


def boolean_answer(field: FieldLayout, value: bool) -> Answer:
    return Answer(kind=field.kind, value=value, boxes={"true": "check"} if value else {})


def parse_date(value: object) -> date | None:
    """A full ISO date from an answer's value, else None (partial or empty)."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None
