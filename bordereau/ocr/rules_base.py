"""The helpers of the reading rules (``ocr/rules.py`` and the annexes' rules): flag fields
for review with a French reason, read a value, compare partial dates."""

from __future__ import annotations

from collections.abc import Iterable

from bordereau.ocr.types import FieldReading

Fields = dict[str, FieldReading]


def _flag(fields: Fields, ids: Iterable[str], message: str) -> None:
    for field_id in ids:
        reading = fields.get(field_id)
        if reading is None:
            continue
        reading.review = True
        reading.reason = message if not reading.reason else f"{reading.reason} ; {message}"


def _value(fields: Fields, field_id: str) -> object:
    reading = fields.get(field_id)
    return None if reading is None else reading.value


def _date_key(value: object) -> tuple[int, ...] | None:
    if not isinstance(value, str):
        return None
    try:
        return tuple(int(part) for part in value.split("-"))
    except ValueError:
        return None


def _before(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    """True when date a is surely after date b (at their common precision)."""
    n = min(len(a), len(b))
    return a[:n] > b[:n]


def _french_date(value: object) -> str:
    parts = str(value).split("-")
    return "/".join(reversed(parts))
