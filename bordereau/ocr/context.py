"""Context decides: a comb field is read as the most probable *valid* value of the sheet.

The digit recogniser gives, for each inked cell, its most probable digits (``top`` in the
cell details). A field's candidates are the combinations of those digits, each with its
joint probability (the product over cells). What is valid depends on the field and on
the sheet:

- dates: a real calendar date (or ``MM AAAA`` / ``AAAA``), from 1900, not after the day
  of reading; a date of birth not after the other dates of the sheet;
- measurements and ages: inside their plausible range of ``templates/plausibility.yaml``
  (85 cm of head circumference is not; an age not more than the oldest human life in its
  unit), and an age not more than the patient's age at the sheet's activity date;
- written ORPHA codes: in the centre's thesaurus (lexicon-constrained reading); a code
  outside it stays possible but is reviewed (``ocr.rules``).

When the value read first is valid, nothing changes here. When it is not, the most
probable valid candidate becomes the value offered, the field goes to review (an invalid
first reading is never trusted) and the reason says what was read and what is proposed. A
measurement or age outside its range with no per-cell details (a replayed or typed value) is
sent to review too, with the range and its source in the reason.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections.abc import Callable
from typing import Any

from bordereau.ocr.types import FieldReading
from bordereau.templates.plausibility import DAYS_PER_UNIT as PER_DAY
from bordereau.templates.plausibility import Range, plausibility

BEAM = 64  # candidates kept while combining cells
MIN_PROPOSAL = 0.05  # a valid candidate less probable than this is not offered
FIRST_YEAR = 1900

Fields = dict[str, FieldReading]


def range_of(field_id: str, fields: Fields | None = None) -> Range | None:
    """The plausible range of a measured field, or of an age field given its unit on the
    sheet (``fields``); None for other fields."""
    table = plausibility()
    found = table.measure(field_id)
    item = table.age_item(field_id)
    if found is None and item is not None and fields is not None:
        unit = fields.get(field_id.removesuffix("_valeur") + "_unite")
        if unit is not None and isinstance(unit.value, str):
            found = table.age(unit.value, table.age_items[item])
    return found


def candidates(cells: list[dict[str, Any]]) -> list[tuple[list[str], float]]:
    """The most probable readings of a comb (one character per cell, "" empty), each with
    its joint probability, best first."""
    beam: list[tuple[float, list[str]]] = [(0.0, [])]
    for cell in cells:
        options: list[tuple[str, float]]
        top = cell.get("top")
        if top:
            options = [(str(c), float(p)) for c, p in top]
        else:
            options = [(str(cell.get("char", "")), float(cell.get("confidence", 1.0)))]
        grown = [(cost - math.log(max(p, 1e-9)), [*chars, c])
                 for cost, chars in beam for c, p in options]
        beam = heapq.nsmallest(BEAM, grown, key=lambda item: item[0])
    return [(chars, math.exp(-cost)) for cost, chars in beam]


def date_value(chars: list[str]) -> str | None:
    """The ISO date (or YYYY-MM, YYYY) of JJ MM AAAA characters, None when impossible."""
    from bordereau.ocr.combs import date_from_chars

    value, problem = date_from_chars(chars)
    return None if problem else value


def nir_place(code: str) -> str:
    """An INSEE place code as a NIR writes it (its digits 6 to 10): Corsica's 2A and 2B
    are 19 and 18 there."""
    return {"2A": "19", "2B": "18"}.get(code[:2], code[:2]) + code[2:]


def nir_key_ok(nir: str) -> bool:
    """The NIR (INS matricule) key: 97 - (first 13 digits mod 97)."""
    if len(nir) != 15 or not nir.isdigit():
        return False
    return 97 - int(nir[:13]) % 97 == int(nir[13:])


def _date_ok(value: str, field_id: str, fields: Fields, today: dt.date) -> bool:
    parts = tuple(int(p) for p in value.split("-"))
    if parts[0] < FIRST_YEAR or parts > (today.year, today.month, today.day)[:len(parts)]:
        return False
    if field_id == "patient.date_naissance":
        ins = fields.get("patient.ins")
        nir = ins.value.replace(" ", "") if ins is not None and isinstance(ins.value, str) else ""
        if nir_key_ok(nir) and not ins.review:  # type: ignore[union-attr]
            if f"{parts[0] % 100:02d}" != nir[1:3]:
                return False
            if len(parts) > 1 and 1 <= int(nir[3:5]) <= 12 and parts[1] != int(nir[3:5]):
                return False
        for other in ("prise_en_charge.date_inclusion", "activite.date"):
            reading = fields.get(other)
            if reading is not None and isinstance(reading.value, str) and not reading.review:
                later = tuple(int(p) for p in reading.value.split("-"))
                n = min(len(parts), len(later))
                if parts[:n] > later[:n]:
                    return False
    return True


def _patient_age(code: str, fields: Fields, today: dt.date) -> int | None:
    """The patient's age (rounded up) in unit ``code`` at the sheet's activity date (or
    today), when the date of birth is read in full and trusted."""
    born = fields.get("patient.date_naissance")
    activity = fields.get("activite.date")
    if code not in PER_DAY or born is None or not isinstance(born.value, str) \
            or len(born.value) != 10 or born.review:
        return None
    ref = today
    if activity is not None and isinstance(activity.value, str) and not activity.review:
        ref = dt.date(*(int(p) for p in (activity.value + "-01-01")[:10].split("-")))
    days = (ref - dt.date.fromisoformat(born.value)).days
    return int(days / PER_DAY[code]) + 1


Rule = tuple[Callable[[str], bool], Callable[[str | None], str]]


def validity(reading: FieldReading, fields: Fields, today: dt.date,
              thesaurus: set[str]) -> Rule | None:
    """A test of a candidate's text for this field and the French reason for a first
    reading that fails it (None when nothing was read), or None when the field has no rule."""
    fid = reading.id
    if reading.kind == "date":
        def date_ok(text: str) -> bool:
            return _date_ok(text, fid, fields, today)
        return date_ok, lambda _: "date impossible ou hors de la chronologie de la fiche"
    found = range_of(fid, fields) if reading.kind == "digits" else None
    if found is not None:
        return _range_rule(found, fields, today)
    if reading.kind == "orpha_code" and thesaurus:
        return (lambda text: text.lstrip("0") in thesaurus), lambda _: "code absent du thésaurus"
    return None


def _range_rule(found: Range, fields: Fields, today: dt.date) -> Rule:
    """The test and the French reason of a measurement or an age: inside its range
    (« 98 cm hors de l’intervalle plausible 18–45 cm (source) »), an age not more than the
    patient's age."""
    older = _patient_age(found.unit, fields, today)

    def valid(text: str) -> bool:
        return found.contains(int(text)) and (older is None or int(text) <= older)

    def why(text: str | None) -> str:
        if text is not None and text.isdigit() and not found.contains(int(text)):
            return found.outside(int(text)) or ""
        if older is not None:
            return f"âge de plus de {older} {found.unit_word}"
        return f"hors de l’intervalle plausible {found.interval}"

    return valid, why


def value_text(chars: list[str], kind: str) -> str | None:
    """The value a candidate spells: a date, or a number without gaps."""
    if kind == "date":
        return date_value(chars)
    filled = [n for n, c in enumerate(chars) if c]
    inner = chars[filled[0]:filled[-1] + 1]
    joined = "".join(inner)
    return joined if len(joined) == len(inner) and joined.isdigit() else None


def shown(value: str, kind: str) -> str:
    return "/".join(reversed(value.split("-"))) if kind == "date" else value


def decide(fields: Fields, today: dt.date, thesaurus: set[str]) -> None:
    """Replace each invalid comb reading by its most probable valid candidate (in review)."""
    for reading in fields.values():
        if reading.kind not in {"date", "digits", "orpha_code"}:
            continue
        found = reading.details.get("cells")
        cells: list[dict[str, Any]] = found if isinstance(found, list) else []
        combed = any(c.get("char") for c in cells)
        if not combed and reading.kind != "digits":
            continue
        rule = validity(reading, fields, today, thesaurus)
        if rule is None:
            continue
        valid, why = rule
        first = reading.value if isinstance(reading.value, str) else None
        if first is not None and reading.kind != "date" and not first.isdigit():
            continue
        if first is not None and valid(first):
            continue
        if not combed:  # a measurement or age with no per-cell details: nothing to propose
            if first is not None:
                _distrust(reading, f"lu « {first} » : {why(first)}", 0.0)
            continue
        read = reading.details.get("read") or (shown(first, reading.kind) if first else None)
        best: tuple[str, float] | None = None
        for chars, probability in candidates(cells):
            if probability < MIN_PROPOSAL:
                break
            if not any(chars):
                continue
            text = value_text(chars, reading.kind)
            if text is not None and valid(text):
                best = (text, probability)
                break
        if best is None and reading.kind == "orpha_code":
            continue  # a code outside the thesaurus is possible: ocr.rules reviews it
        what = f"lu « {read} » : {why(first)}" if read else why(first)
        if best is not None and best[0] != first:
            reading.details["read"] = read
            reading.details["context"] = {"proposed": best[0],
                                          "probability": round(best[1], 4)}
            reading.value = best[0]
            what += f" ; {shown(best[0], reading.kind)} proposé"
        _distrust(reading, what, best[1] if best else 0.0)


def _distrust(reading: FieldReading, what: str, confidence: float) -> None:
    """Send a reading to review with ``what`` added to its reason."""
    reading.confidence = min(reading.confidence, confidence)
    reading.review = True
    reading.reason = what if not reading.reason else f"{reading.reason} ; {what}"
