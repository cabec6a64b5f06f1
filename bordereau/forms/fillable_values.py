"""Type values into the fields of a fillable PDF (``forms.fillable``), with appearances.

``field_values`` turns a reading value (what ``scan read`` gives: a code, a list of codes,
true/false, text, an ISO date) into the AcroForm values of a field; ``set_values`` writes
them into a pypdf writer and redraws the appearances, so the typed values print.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from bordereau.forms.fillable import ON, field_name, text_appearance
from bordereau.forms.manifest import FieldLayout
from bordereau.forms.model import COMB_KINDS

FieldInput = str | bool


def field_values(serial: int | str, field: FieldLayout, value: object) -> dict[str, FieldInput]:
    """The AcroForm values that type ``value`` (as a reading gives it) into ``field``:
    text for text fields, a ``c<i>`` state for a radio group, True/False for boxes."""
    name = field_name(serial, field.id)
    if field.kind == "single_choice" and field.choices:
        codes = [c.code for c in field.choices]
        return {name: f"c{codes.index(str(value))}" if value in codes else "Off"}
    if field.kind == "multi_choice" and field.choices:
        chosen = value if isinstance(value, list) else []
        return {f"{name}-c{n}": c.code in chosen for n, c in enumerate(field.choices)}
    if field.kind == "boolean":
        return {name: bool(value)}
    if field.kind == "date":
        parts = str(value or "").split("-")[::-1]  # [JJ,] [MM,] AAAA
        parts = [""] * (3 - len(parts)) + parts if value else ["", "", ""]
        return {f"{name}-p{n}": part for n, part in enumerate(parts, start=1)}
    if field.kind in COMB_KINDS or field.kind == "free_text":
        return {name: "" if value is None else str(value)}
    return {}



def set_values(writer: PdfWriter, values: Mapping[str, FieldInput]) -> list[str]:
    """Type ``values`` (by field name) into the fields of ``writer``'s AcroForm, with fresh
    appearance streams; returns the names that matched no field."""
    left = dict(values)
    form = cast(DictionaryObject, writer._root_object["/AcroForm"].get_object())
    for ref in cast(ArrayObject, form["/Fields"]):
        field = ref.get_object()
        name = str(field.get("/T", ""))
        if name not in left:
            continue
        value = left.pop(name)
        kids = [k.get_object() for k in field.get("/Kids", [])]
        if "/Kids" in field:  # a radio group: value is the kid's on-state (c<i>) or Off
            state = NameObject(f"/{value}" if isinstance(value, str) and value else "/Off")
            field[NameObject("/V")] = state
            for kid in kids:
                on = state in kid["/AP"]["/N"]
                kid[NameObject("/AS")] = state if on else NameObject("/Off")
        elif field.get("/FT") == "/Btn":
            state = NameObject(f"/{ON}" if value is True else "/Off")
            field[NameObject("/V")] = state
            field[NameObject("/AS")] = state
        else:
            text = str(value)
            field[NameObject("/V")] = TextStringObject(text)
            text_appearance(writer, field, text)
    return sorted(left)
