"""Fill a fillable PDF (``forms generate --fillable``) programmatically, as a person at
a screen would: the planned answers of ``simulate.values`` typed into the AcroForm fields
with pypdf, appearances drawn by ``forms.fillable`` so the typed values also print.

``typed_values`` plans one sheet (no ink defects: a typed value has no ambiguity, no
cancelled box, no sticker); ``fill_pdf`` types values into the fields of given sheets.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from pypdf import PdfWriter

from bordereau.errors import UsageError
from bordereau.forms.centre import Centre
from bordereau.forms.fillable_values import FieldInput, field_values, set_values
from bordereau.forms.manifest import Layout
from bordereau.ocr.types import FieldValue
from bordereau.simulate.values import FillOptions, plan_sheet

TYPED = FillOptions(ambiguity_rate=0.0, cancel_rate=0.0, label_rate=0.0)
"""Typed sheets: no ambiguous or cancelled ink and no sticker (nothing to stick on screen);
missing required answers and inconsistencies stay, so the sheet rules still have work."""
CLEAN = TYPED.model_copy(update={"inconsistency_rate": 0.0, "required_missing": 0.0})
"""Typed sheets that pass every sheet rule: what is left in review is the reading's."""


def typed_values(layout: Layout, centre: Centre, rng: random.Random, today: date,
                 options: FillOptions = TYPED) -> dict[str, FieldValue]:
    """One sheet's values by field id, as the reader should find them (empty ones too)."""
    answers, _, _ = plan_sheet(layout, centre, rng, today=today, options=options)
    values: dict[str, FieldValue] = {}
    for field in layout.fields:
        answer = answers[field.id]
        if field.kind == "label_zone":
            values[field.id] = None
        elif field.kind == "free_text":
            values[field.id] = answer.text or None
        else:
            values[field.id] = answer.value
    return values


def pdf_inputs(layout: Layout, sheets: Mapping[str, Mapping[str, object]]
               ) -> dict[str, FieldInput]:
    """Every AcroForm value to set for ``sheets`` (serial -> field id -> value)."""
    inputs: dict[str, FieldInput] = {}
    for serial, values in sheets.items():
        for field in layout.fields:
            if field.id in values:
                inputs.update(field_values(serial, field, values[field.id]))
    return inputs


def fill_pdf(pdf: Path, output: Path, inputs: Mapping[str, FieldInput]) -> None:
    """Write ``pdf`` with ``inputs`` (field name -> value) typed in, to ``output``."""
    writer = PdfWriter(clone_from=str(pdf))
    unknown = set_values(writer, inputs)
    if unknown:
        raise UsageError(f"Champs absents du PDF : {', '.join(unknown[:5])}")
    with output.open("wb") as handle:
        writer.write(handle)
