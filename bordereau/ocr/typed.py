"""Values typed into a fillable PDF, checked as untrusted input and turned into readings.

A value comes from a file anyone may have edited: it is checked against the manifest
(not the PDF's own ``MaxLen`` or flags, which can be altered): length, allowed
characters per cell (digits, capitals, - ' and space for names), no control character, a
real date, a box state the form defines. A value that passes is trusted (confidence 1:
a person typed it, nothing was recognised); one that fails is not kept and its field
goes to review with the French reason, like an unreadable handwritten field. Comments
keep their text (line breaks and tabs made plain); formula-like text is exported
neutralised by the exports themselves (CSV) or escaped (CDA).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping

from bordereau.forms.fillable import COMMENT_MAX, DATE_PARTS, ON, field_name, plain_capitals
from bordereau.forms.manifest import FieldLayout
from bordereau.ocr.types import FieldReading, FieldValue

RawValue = str | None  # a text field's text, or a button's state name without "/"
SOURCE = "saisie"  # details["source"] of a reading taken from a typed field
CLASS_CHARS = {
    "D": frozenset("0123456789"),
    "L": frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ-' "),
    "A": frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
}
CLASS_WORDS = {"D": "chiffre", "L": "lettre", "A": "lettre ou chiffre"}


class UntrustedValueError(ValueError):
    """A typed value that must not be kept; the message is the French reason."""


def _control(text: str, allowed: str = "") -> None:
    for char in text:
        if char not in allowed and unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn"}:
            raise UntrustedValueError(f"caractère de contrôle interdit (U+{ord(char):04X})")


def _box(raw: RawValue, states: set[str]) -> str | None:
    """A button's state: None when off, else one of ``states``."""
    if raw in (None, "", "Off"):
        return None
    if raw not in states:
        raise UntrustedValueError(f"état de case inconnu ({str(raw)[:20]!r})")
    return raw


def comb_value(field: FieldLayout, raw: RawValue) -> str | None:
    """The text of a comb field: capitals, each character allowed in its cell."""
    if raw is None:
        return None
    _control(raw)
    cells = len(field.cells_mm or ())
    text = plain_capitals(raw).strip() if field.kind in {"letters", "alphanumeric"} \
        else raw.strip()
    if len(text) > cells:
        raise UntrustedValueError(f"valeur trop longue ({len(text)} caractères pour {cells} cases)")
    classes = field.cell_classes or "A" * cells
    for n, char in enumerate(text):
        if char == " " and classes[n] != "D" and field.kind == "letters":
            continue
        if char not in CLASS_CHARS[classes[n]]:
            raise UntrustedValueError(f"caractère « {char} » interdit en case {n + 1} "
                            f"({CLASS_WORDS[classes[n]]} attendu)")
    return " ".join(text.split()) or None


def date_value(parts: list[RawValue]) -> str | None:
    """``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` from the JJ, MM, AAAA parts."""
    day, month, year = ((p or "").strip() for p in parts)
    for part in (day, month, year):
        _control(part)
        if part and not (part.isascii() and part.isdigit()):
            raise UntrustedValueError("date : chiffres seulement")
    if not (day or month or year):
        return None
    if len(year) != 4:
        raise UntrustedValueError("année incomplète (quatre chiffres attendus)")
    if len(day) > 2 or len(month) > 2:
        raise UntrustedValueError("date : jour et mois en deux chiffres")
    day, month = day.zfill(2) if day else "", month.zfill(2) if month else ""
    if day and not month:
        raise UntrustedValueError("date : jour sans mois")
    if not month:
        return year
    if not 1 <= int(month) <= 12:
        raise UntrustedValueError(f"mois impossible ({month})")
    if not day:
        return f"{year}-{month}"
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        raise UntrustedValueError(f"date impossible ({day}/{month}/{year})") from None


def comment_value(raw: RawValue) -> str | None:
    """A comment's text: line breaks kept, tabs made spaces, nothing else invisible."""
    if raw is None:
        return None
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    _control(text, allowed="\n")
    if len(text) > COMMENT_MAX:
        raise UntrustedValueError(f"commentaire trop long ({len(text)} caractères, au plus "
                                  f"{COMMENT_MAX})")
    return text.strip() or None


def typed_value(field: FieldLayout, serial: str, values: Mapping[str, RawValue]) -> FieldValue:
    """The reading value of ``field`` from the typed values (by field name)."""
    name = field_name(serial, field.id)
    if field.kind == "single_choice" and field.choices:
        state = _box(values.get(name), {f"c{n}" for n in range(len(field.choices))})
        return None if state is None else field.choices[int(state[1:])].code
    if field.kind == "multi_choice" and field.choices:
        chosen = [c.code for n, c in enumerate(field.choices)
                  if _box(values.get(f"{name}-c{n}"), {ON})]
        return chosen or None
    if field.kind == "boolean":
        return _box(values.get(name), {ON}) is not None
    if field.kind == "date":
        return date_value([values.get(f"{name}-p{n}") for n in range(1, len(DATE_PARTS) + 1)])
    if field.kind == "free_text":
        return comment_value(values.get(name))
    if field.cells_mm:
        return comb_value(field, values.get(name))
    return None  # the patient-label zone: a sticker is stuck on paper, never typed


def typed_reading(field: FieldLayout, serial: str, values: Mapping[str, RawValue]
                  ) -> FieldReading:
    """A trusted reading of a typed value, or a review item saying why it was refused."""
    details: dict[str, object] = {"source": SOURCE}
    try:
        value = typed_value(field, serial, values)
    except UntrustedValueError as exc:
        return FieldReading(id=field.id, kind=field.kind, value=None, confidence=0.0,
                            review=True, reason=f"valeur saisie refusée : {exc}",
                            page=field.page, details=details)
    return FieldReading(id=field.id, kind=field.kind, value=value, confidence=1.0,
                        review=False, page=field.page, details=details)


def is_typed(reading: FieldReading) -> bool:
    """Whether a person typed something in this field (a value, or a refused one)."""
    empty = reading.value in (None, False, [])
    return reading.details.get("source") == SOURCE and (not empty or reading.review)
