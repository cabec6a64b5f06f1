"""What else on the sheet says what a field should hold: suggestions a reviewer takes with one key.

Sources: the patient label (its barcode and printed text: « étiquette : GUILLOT »), the INS
matricule (the NIR gives the sex, the month and year of birth, and the place of birth: the
département and commune, or the country, as an INSEE code), the centre's gene list
for gene symbols, the INSEE lists of first names and birth names for a handwritten name
read outside them or behind a closer name (``ocr.lexicon``), and the centre's thesaurus
for ORPHA codes (the disease name shown as
evidence, the nearest codes as suggestions). No CIM-10 table mapped from Orphanet is
shipped with ``bordereau``, so no CIM-10 code is suggested. An ORPHA group code (annexe
génétique et clinique) shows the group's French name, or why the code is no group, and
the nearest group codes of Orphanet's list as suggestions; an HPO term likewise, with the
label of the HPO's list (French where the HPO's translation gives one). A measurement or
an age shows its plausible range and sources (``templates/plausibility.yaml``): a value
kept outside it is exported only because the reviewer decided that field.
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any

from pydantic import BaseModel

from bordereau import clock
from bordereau.forms.centre import Centre
from bordereau.forms.manifest import FieldLayout
from bordereau.ocr.context import nir_place
from bordereau.ocr.label import plain
from bordereau.ocr.lexicon import list_for
from bordereau.ocr.rules import nir_key_ok
from bordereau.review.values import format_value
from bordereau.templates.hgnc import SOURCE_DATE, hgnc_table
from bordereau.templates.hpo_terms import SHOWN_DATE as HPO_DATE
from bordereau.templates.hpo_terms import hpo_table
from bordereau.templates.orpha_groups import orpha_table
from bordereau.templates.plausibility import plausibility

KEYS = ("f5", "f6", "f7", "f8")
LABEL_KEYS = {"patient.nom_naissance": "nom", "patient.premier_prenom": "prenom",
              "patient.date_naissance": "date_naissance", "patient.sexe": "sexe",
              "patient.ipp": "ipp"}
NIR_SEX = {"1": "M", "2": "F"}
NAME_SOURCES = {"prenoms": "prénoms INSEE", "noms": "noms INSEE", "hgnc": "HGNC",
                "communes": "codes INSEE des communes", "cim10": "CIM-10",
                "orpha_groupes": "groupes ORPHA", "hpo": "HPO"}


class Suggestion(BaseModel):
    """One value another part of the sheet (or the centre) suggests for a field."""

    key: str  # the key that takes it in the application: "f5"…
    source: str  # « étiquette », « NIR », « gènes du centre », « thésaurus du centre »
    value: Any
    shown: str  # the value as a reviewer would type it


class Evidence(BaseModel):
    """Suggestions and plain facts shown on an item."""

    suggestions: list[Suggestion] = []
    notes: list[str] = []


def _label_identity(raws: dict[str, dict[str, Any]]) -> dict[str, str]:
    details = (raws.get("patient.etiquette") or {}).get("details") or {}
    identity = details.get("identity")
    return {str(k): str(v) for k, v in identity.items() if v} if isinstance(identity,
                                                                            dict) else {}


def _from_label(field: FieldLayout, raws: dict[str, dict[str, Any]]) -> list[tuple[str, Any]]:
    key = LABEL_KEYS.get(field.id)
    value = _label_identity(raws).get(key or "")
    if not value:
        return []
    if field.kind == "letters":
        value = plain(value).upper()
    return [("étiquette", value)]


def _nir_consistency(nir: str, values: dict[str, Any]) -> int:
    """How many of the sheet's other identity values the NIR agrees with (sex, year and
    month of birth, place of birth)."""
    score = 0
    sexe, born = values.get("patient.sexe"), values.get("patient.date_naissance")
    if sexe in NIR_SEX.values() and NIR_SEX.get(nir[0]) == sexe:
        score += 1
    if isinstance(born, str) and len(born) >= 7:
        score += int(nir[1:3] == born[2:4]) + int(nir[3:5] == born[5:7])
    lieu = values.get("patient.lieu_naissance")
    if isinstance(lieu, str):
        score += int(nir[5:10] == nir_place(lieu))
    return score


def _nir_repairs(values: dict[str, Any], raws: dict[str, dict[str, Any]]) -> list[str]:
    """A NIR read with a wrong key (or an illegible digit): the one-digit changes that make
    its key right, the likeliest first (the least sure cell, the most agreement with the
    sex, the date and the place of birth written on the sheet). At most two."""
    read = values.get("patient.ins")
    if not isinstance(read, str) or len(read) != 15 or nir_key_ok(read):
        return []
    cells = ((raws.get("patient.ins") or {}).get("details") or {}).get("cells") or []
    sure = [float(c.get("confidence", 1.0)) if isinstance(c, dict) else 1.0 for c in cells]
    sure += [1.0] * (15 - len(sure))
    unreadable = [i for i, ch in enumerate(read) if not ch.isdigit()]
    if len(unreadable) > 1:
        return []
    positions = unreadable or list(range(15))
    found: list[tuple[float, str]] = []
    for i in positions:
        for digit in "0123456789":
            if digit == read[i]:
                continue
            nir = f"{read[:i]}{digit}{read[i + 1:]}"
            if nir.isdigit() and nir_key_ok(nir):
                found.append((_nir_consistency(nir, values) + 1.0 - sure[i], nir))
    found.sort(key=lambda pair: -pair[0])
    return [nir for _, nir in found[:2]]


def _from_nir(field: FieldLayout, values: dict[str, Any],
              today: dt.date) -> list[tuple[str, Any]]:
    nir = values.get("patient.ins")
    if not isinstance(nir, str) or not nir_key_ok(nir):
        return []
    if field.id == "patient.sexe" and nir[0] in NIR_SEX:
        return [("NIR", NIR_SEX[nir[0]])]
    if field.id == "patient.lieu_naissance":
        return _birthplace(nir)
    if field.id != "patient.date_naissance" or not nir[3:5].isdigit():
        return []
    year, month = int(nir[1:3]), int(nir[3:5])
    if not 1 <= month <= 12:
        return []
    year += 2000 if 2000 + year <= today.year else 1900
    read = values.get(field.id)
    day = read.split("-")[2] if isinstance(read, str) and read.count("-") == 2 else None
    if day:
        try:
            return [("NIR", dt.date(year, month, int(day)).isoformat())]
        except ValueError:
            pass
    return [("NIR", f"{year:04d}-{month:02d}")]


def _birthplace(nir: str) -> list[tuple[str, Any]]:
    """The place of birth the NIR carries: digits 6–7 the département (99: abroad), 8–10
    the commune (or the country): together the INSEE code written on the form."""
    code = nir[5:10]
    if len(code) != 5 or not code.isalnum():
        return []
    where = "né(e) à l’étranger" if code.startswith("99") else \
        f"département {code[:3] if code.startswith('97') else code[:2]}"
    found: list[tuple[str, Any]] = [(f"NIR ({where})", code)]
    corsica = {"19": "2A", "18": "2B"}.get(code[:2])  # Corsica is written 19, 18 in a NIR
    if corsica:
        found.append((f"NIR (Corse, {corsica})", f"{corsica}{code[2:]}"))
    return found


def _nearest(read: str, candidates: list[str], most: int = 3) -> list[str]:
    if not read:
        return candidates[:most]
    scored = sorted(candidates, key=lambda c: -difflib.SequenceMatcher(None, read, c).ratio())
    return scored[:most]


def _genes(read: str, symbols: list[str], notes: list[str]) -> list[tuple[str, Any]]:
    """Any approved HGNC symbol is accepted; the centre's genes are only suggestions."""
    table = hgnc_table()
    found = table.lookup(read) if read else None
    newer = table.replaced_by(read) if read and found is None else ()
    if found:
        notes.append(f"{found[0]} : symbole HGNC approuvé (HGNC:{found[1]}), accepté même "
                     "hors des gènes du centre")
    elif read:
        notes.append(f"« {read} » : absent des symboles HGNC approuvés ({SOURCE_DATE})"
                     + (f", ancien symbole de {', '.join(newer)}" if newer else ""))
    return [("HGNC, symbole actuel", s) for s in newer] + [
        ("gènes du centre", s) for s in _nearest(read, symbols)]


def _from_centre(field: FieldLayout, values: dict[str, Any], centre: Centre | None,
                 notes: list[str]) -> list[tuple[str, Any]]:
    if centre is None:
        return []
    read = values.get(field.id)
    if field.id.split(".")[-1].startswith("gene"):
        return _genes(str(read or ""), [g.symbole for g in centre.genes], notes)
    if field.kind != "orpha_code":
        if field.id.endswith(".cim10"):
            notes.append("CIM-10 : aucune table de correspondance Orphanet → CIM-10 n’est "
                         "livrée ; le code se lit sur la fiche.")
        return []
    names = {str(m.orpha): m.libelle for m in centre.thesaurus}
    code = str(read).lstrip("0") if read else ""
    if code:
        notes.append(f"ORPHA {code} : {names[code]} (thésaurus du centre)" if code in names
                     else f"ORPHA {code} : absent du thésaurus du centre")
    ticked = values.get(f"{field.id.rsplit('.', 1)[0]}.maladie")
    found: list[tuple[str, Any]] = []
    if isinstance(ticked, str) and ticked in names:
        found.append(("case cochée", ticked))
    found += [("thésaurus du centre", c) for c in _nearest(code, list(names))]
    return found


def _from_lists(field: FieldLayout, values: dict[str, Any],
                raws: dict[str, dict[str, Any]]) -> list[tuple[str, Any]]:
    """The names of the INSEE lists that best fit the cells as read (``ocr.lexicon``), when
    the reading is not itself the best of them."""
    found = _list_match(field, raws)
    if found is None or field.kind not in {"letters", "alphanumeric"}:
        return []
    source = f"{NAME_SOURCES.get(str(found.get('liste')), 'liste INSEE')}, le plus proche"
    read = values.get(field.id)
    return [(source, w) for w in _fitting(found) if w and w != read][:2]


def _list_match(field: FieldLayout, raws: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """What ``ocr.lexicon`` kept of the field's match against its list, if anything."""
    found = ((raws.get(field.id) or {}).get("details") or {}).get("liste")
    return found if isinstance(found, dict) else None


def _fitting(found: dict[str, Any] | None) -> list[str]:
    """The list's entries that best fit the cells as read, best first."""
    if found is None:
        return []
    return [str(found.get("best") or "")] + [str(w) for w in found.get("others") or []]


def _orpha_groups(field: FieldLayout, values: dict[str, Any], raws: dict[str, dict[str, Any]],
                  notes: list[str]) -> list[tuple[str, Any]]:
    """An ORPHA group code: its French name (or why it is no group) as a note, and the group
    codes that best fit the cells as read, then the nearest by digits, each with its name."""
    if list_for(field.id) != "orpha_groupes":
        return []
    table = orpha_table()
    read = str(values.get(field.id) or "").strip()
    if read:
        name = table.group(read)
        notes.append(f"ORPHA {read.lstrip('0')} : {name} (groupes ORPHA, Orphadata)" if name
                     else str(table.why_not(read)))
    fitting = _fitting(_list_match(field, raws))
    codes = [c for c in dict.fromkeys(fitting + table.nearest(read)) if c and c != read]
    return [(f"groupes ORPHA : {table.group(c)}", c) for c in codes if table.group(c)]


def _hpo_terms(field: FieldLayout, values: dict[str, Any], raws: dict[str, dict[str, Any]],
               notes: list[str]) -> list[tuple[str, Any]]:
    """An HPO term: its label (or why the id is no current term) as a note, and as
    suggestions the term that replaces an obsolete id, the current ids that best fit the
    cells as read, then the nearest by digits, each with its label."""
    if list_for(field.id) != "hpo":
        return []
    table = hpo_table()
    read = str(values.get(field.id) or "").strip()
    if read:
        label = table.label(read)
        notes.append(f"HP:{read} : {label} (HPO, version du {HPO_DATE})" if label
                     else str(table.why_not(read)))
    fitting = _fitting(_list_match(field, raws))
    instead = [table.obsolete.get(read, "")]  # the term that replaces an obsolete id
    codes = [c for c in dict.fromkeys(instead + fitting + table.nearest(read)) if c and c != read]
    return [(f"HPO : {table.label(c)}", c) for c in codes if table.label(c)]


def _range_note(field: FieldLayout, values: dict[str, Any]) -> list[str]:
    """« Intervalle plausible : 18–45 cm (INTERGROWTH-21st ; …) » for a measurement or age."""
    table = plausibility()
    found = table.measure(field.id)
    item = table.age_item(field.id)
    if found is None and item is not None:
        unit = values.get(field.id.removesuffix("_valeur") + "_unite")
        found = table.age(unit) if isinstance(unit, str) else None
    return [f"intervalle plausible : {found.interval}"] if found is not None else []


def evidence_for(field: FieldLayout, values: dict[str, Any], raws: dict[str, dict[str, Any]],
                 centre: Centre | None, today: dt.date | None = None) -> Evidence:
    """Suggestions for ``field`` from the rest of its sheet (``values`` as they stand now,
    ``raws`` the machine readings with their details) and from the centre."""
    notes: list[str] = []
    found = (_from_label(field, raws) + _from_nir(field, values, today or clock.today())
             + _from_centre(field, values, centre, notes) + _from_lists(field, values, raws)
             + _orpha_groups(field, values, raws, notes) + _hpo_terms(field, values, raws, notes))
    if field.id == "patient.ins":
        found += [("NIR à clé juste (un chiffre changé)", nir)
                  for nir in _nir_repairs(values, raws)]
    names = ({str(m.orpha): m.libelle for m in centre.thesaurus} if centre else {})
    suggestions: list[Suggestion] = []
    seen: list[Any] = []
    for source, value in found:
        if value in seen or len(suggestions) == len(KEYS):
            continue
        seen.append(value)
        shown = format_value(field, value)
        if field.kind == "orpha_code" and str(value) in names:
            shown = f"{value}"
            source = f"{source} : {names[str(value)]}"
        suggestions.append(Suggestion(key=KEYS[len(suggestions)], source=source, value=value,
                                      shown=shown))
    return Evidence(suggestions=suggestions, notes=notes + _range_note(field, values))
