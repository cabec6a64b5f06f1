"""Context decides: a comb field is read as the most probable *valid* value of the sheet.

The digit recogniser gives, for each inked cell, its most probable digits (``top`` in the
cell details). A field's candidates are the combinations of those digits, each with its
joint probability (the product over cells). What is valid depends on the field and on
the sheet:

- dates: a real calendar date (or ``MM AAAA`` / ``AAAA``), from 1900, not after the day
  of reading; a date of birth not after the other dates of the sheet;
- measurements: inside the plausible range of ``templates/plausible.yaml`` (85 cm of head
  circumference is not);
- ages: not more than the oldest human life in their unit, nor than the patient's age at
  the sheet's activity date;
- written ORPHA codes: in the centre's thesaurus (lexicon-constrained reading); a code
  outside it stays possible but is reviewed (``ocr.rules``).

When the value read first is valid, nothing changes here. When it is not, the most
probable valid candidate becomes the value offered, the field goes to review (an invalid
first reading is never trusted) and the reason says what was read and what is proposed.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from functools import cache
from importlib import resources
from typing import Any

import yaml

from bordereau.ocr.types import FieldReading

BEAM = 64  # candidates kept while combining cells
MIN_PROPOSAL = 0.05  # a valid candidate less probable than this is not offered
FIRST_YEAR = 1900
UNIT_WORDS = {"a": "ans", "mo": "mois", "wk": "semaines", "d": "jours"}

Fields = dict[str, FieldReading]


@cache
def plausible() -> dict[str, Any]:
    """The plausible-range table shipped in ``templates/plausible.yaml``."""
    source = resources.files("bordereau.templates").joinpath("plausible.yaml")
    data: dict[str, Any] = yaml.safe_load(source.read_text(encoding="utf-8"))
    return data


def range_of(field_id: str) -> tuple[int, int, str] | None:
    """(min, max, unit) of a measured field, or None."""
    entry = plausible()["fields"].get(field_id)
    if entry is None:
        return None
    return int(entry["min"]), int(entry["max"]), str(entry["unit"])


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


def _age_limit(field_id: str, fields: Fields, today: dt.date) -> int | None:
    unit = fields.get(field_id.removesuffix("_valeur") + "_unite")
    code = unit.value if unit is not None else None
    if not isinstance(code, str):
        return None
    limit: int | None = plausible()["ages"].get(code)
    born = fields.get("patient.date_naissance")
    activity = fields.get("activite.date")
    if (limit is not None and born is not None and isinstance(born.value, str)
            and len(born.value) == 10 and not born.review):
        ref = today
        if activity is not None and isinstance(activity.value, str) and not activity.review:
            ref = dt.date(*(int(p) for p in (activity.value + "-01-01")[:10].split("-")))
        days = (ref - dt.date.fromisoformat(born.value)).days
        per = {"a": 365.25, "mo": 30.44, "wk": 7.0, "d": 1.0}[code]
        limit = min(limit, int(days / per) + 1)
    return limit


def _validity(reading: FieldReading, fields: Fields, today: dt.date,
              thesaurus: set[str]) -> tuple[Any, str] | None:
    """A test of a candidate's text for this field and the French name of the rule, or
    None when the field has no such rule."""
    fid = reading.id
    if reading.kind == "date":
        def date_ok(text: str) -> bool:
            return _date_ok(text, fid, fields, today)
        return date_ok, "date impossible ou hors de la chronologie de la fiche"
    if reading.kind == "digits" and range_of(fid) is not None:
        low, high, unit = range_of(fid)  # type: ignore[misc]
        return (lambda text: low <= int(text) <= high), f"hors de {low}–{high} {unit}"
    if reading.kind == "digits" and fid.endswith("_valeur"):
        limit = _age_limit(fid, fields, today)
        if limit is None:
            return None
        unit = UNIT_WORDS.get(str(fields[fid.removesuffix("_valeur") + "_unite"].value), "")
        return (lambda text: int(text) <= limit), f"âge de plus de {limit} {unit}".strip()
    if reading.kind == "orpha_code" and thesaurus:
        return (lambda text: text.lstrip("0") in thesaurus), "code absent du thésaurus"
    return None


def _text(chars: list[str], kind: str) -> str | None:
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
        cells = reading.details.get("cells")
        if not isinstance(cells, list) or not any(c.get("char") for c in cells):
            continue
        rule = _validity(reading, fields, today, thesaurus)
        if rule is None:
            continue
        valid, why = rule
        first = reading.value if isinstance(reading.value, str) else None
        if first is not None and reading.kind != "date" and not first.isdigit():
            continue
        if first is not None and valid(first):
            continue
        read = reading.details.get("read") or (shown(first, reading.kind) if first else None)
        best: tuple[str, float] | None = None
        for chars, probability in candidates(cells):
            if probability < MIN_PROPOSAL:
                break
            if not any(chars):
                continue
            text = _text(chars, reading.kind)
            if text is not None and valid(text):
                best = (text, probability)
                break
        if best is None and reading.kind == "orpha_code":
            continue  # a code outside the thesaurus is possible: ocr.rules reviews it
        what = f"lu « {read} » : {why}" if read else why
        if best is not None and best[0] != first:
            reading.details["read"] = read
            reading.details["context"] = {"proposed": best[0],
                                          "probability": round(best[1], 4)}
            reading.value = best[0]
            what += f" ; {shown(best[0], reading.kind)} proposé"
        reading.confidence = min(reading.confidence, best[1] if best else 0.0)
        reading.review = True
        reading.reason = what if not reading.reason else f"{reading.reason} ; {what}"
