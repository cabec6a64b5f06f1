"""Handwritten names read against the INSEE lists of first names and birth names.

A names comb keeps, for every inked cell, its most probable characters (``top`` in the
cell details, from ``ocr.letters_combine``). A word of the list *fits* the field when it
has one character per cell from the first inked cell to the last and a space exactly
where a cell is empty. Its score is the sum over the cells of the log-probability of its
character; a character outside a cell's top gets that cell's leftover probability, spread
evenly. The scores of the fitting words, divided by ``TEMPERATURE`` and turned into
shares (softmax), say how far ahead of every other name of the list the best one is.

What comes of it (``NameMatch``):
- a name read exactly as a word of the list, far ahead of every other fitting word, with no
  cell below ``MIN_CELL``, is *confirmed*: its confidence becomes that share (the letter
  threshold of ``ocr.trust`` then decides), so a clearly written « MARTIN » needs no
  reviewer;
- a name read outside the list, or behind another word, is never trusted on the list: the
  best fitting words are offered to the reviewer as suggestions (``review.evidence``).
Only words within ``MAX_DEFICIT`` of the reading fit at all: nothing is offered for a name
far from every word of the list. A name outside the lists (they hold the names given or
borne in France since 1891, not all of them) is read as before: the list can only raise
the confidence of a reading that is one of its words, never replace what was read.

First names are matched word by word (« JEAN PAUL » written with a blank cell is two
first names); a birth name as a whole (« LE GALL » is one name of the list). Gene symbols
(« Gène », « Autre gène ») are matched the same way against the HGNC approved symbols
shipped in ``templates/hgnc/``, and INSEE commune codes (place of birth, commune of
residence) against the official geographic code (``templates/communes/``) and CIM-10 codes
against the WHO's ICD-10 (``templates/cim10/``): there a code outside the list also goes to
review (``unknown_code``). ORPHA group codes (« Description clinique : groupe ORPHA », digits)
are matched against the groups of Orphanet's nomenclature (``templates/orpha/``) for the
nearest codes only: a group code read is trusted by the cells' own confidence, never raised
by the list, and a code that is no group (a disease, a subtype, unknown) goes to review. HPO
terms (« Description clinique : terme HPO », the 7 digits after « HP: ») likewise against
the current terms of the HPO (``templates/hpo/``): an id that is no current term (obsolete,
secondary or unknown) goes to review, a listed one keeps its cells' confidence.
"""

from __future__ import annotations

import math
import re
from functools import cache
from typing import Any

import numpy as np
from pydantic import BaseModel

from bordereau.templates.hgnc import approved_symbols
from bordereau.templates.hpo_terms import hpo_table
from bordereau.templates.names import NameList, name_list
from bordereau.templates.orpha_groups import orpha_table

# Which list a field's names are checked against, by the last part of the field id.
LISTS = {"nom_naissance": "noms", "nom_utilise": "noms", "nom": "noms",
         "premier_prenom": "prenoms", "prenom_utilise": "prenoms", "prenom": "prenoms",
         "prenoms_acte": "prenoms",
         "commune_residence": "communes", "lieu_naissance": "communes",
         "cim10": "cim10"}  # fmt: skip
# Codes whose reading outside the list goes to review, and why.
UNKNOWN = {"communes": "code INSEE absent du code officiel géographique (2017)",
           "cim10": "code absent de la CIM-10 de l’OMS (2019)"}
# Code lists that only veto: a code read in them keeps its cells' confidence.
VETO_ONLY = {"orpha_groupes", "hpo"}
TEMPERATURE = 1.0
FLOOR = 1e-4  # the least probability given to any character of an inked cell
SUGGESTIONS = 3
# A word of the list fits a reading only when it costs at most this much log-probability
# below the reading itself: about two cells changed to a character the readers gave 1 %.
MAX_DEFICIT = 9.0
# A list confirms only a reading whose least sure cell reaches this: a list cannot tell a
# misreading that happens to be another name of it (LEFEBVRE read LEFEBURE) from a right
# reading when the written name is not in it; the readers' own doubt can. Fitted with
# TEMPERATURE by benchmarks/bench_names.py --fit on the calibration split.
MIN_CELL = 0.6


class NameMatch(BaseModel):
    """A reading compared with its list."""

    liste: str  # "prenoms", "noms", "hgnc", "communes", "cim10", "orpha_groupes" or "hpo"
    in_list: bool  # the reading is a word of the list (every word, for first names)
    best: str  # the fitting words of highest score, joined as the field is written
    share: float  # the best words' share of the fitting words (product over words)
    others: list[str] = []  # the next fitting readings, best first
    weakest: float = 1.0  # the confidence of the reading's least sure cell


def list_for(field_id: str) -> str | None:
    """The list a field's words belong to, if any (``hgnc`` for gene symbols)."""
    last = field_id.rsplit(".", 1)[-1]
    if re.fullmatch(r"gene\d+", last):
        return "hgnc"
    if re.fullmatch(r"groupe_orpha\d+", last):
        return "orpha_groupes"
    if re.fullmatch(r"hpo\d+", last):
        return "hpo"
    return LISTS.get(last)


@cache
def word_list(kind: str) -> NameList:
    """The INSEE lists, or the HGNC approved symbols (upper case) for gene fields."""
    if kind == "hgnc":
        return NameList.of("hgnc", [s for s in approved_symbols() if s.isascii()])
    if kind == "orpha_groupes":
        return NameList.of(kind, [c.encode("ascii") for c in orpha_table().groups])
    if kind == "hpo":
        return NameList.of(kind, [c.encode("ascii") for c in hpo_table().terms])
    return name_list(kind)


def _log_table(cell: dict[str, Any]) -> np.ndarray:
    """Log-probability of each byte value for one inked cell: the combined readers'
    probabilities of its top characters, the leftover spread evenly over the others. (The
    cells' calibrated confidences instead gave 14 points more review of names on the
    held-out benchmark for no error fewer: docs/reading.md.)"""
    top = [(str(c), float(p)) for c, p in cell.get("top") or [] if len(str(c)) == 1]
    if not top and cell.get("char"):
        top = [(str(cell["char"]), float(cell.get("confidence", 0.5)))]
    rest = max(1.0 - sum(p for _, p in top), 0.0)
    table = np.full(256, math.log(max(rest / 28, FLOOR)))
    for char, p in top:
        if char.isascii():
            table[ord(char)] = math.log(max(p, FLOOR))
    return table


Span = list[dict[str, Any] | None]


def _spans(cells: list[dict[str, Any]], words: bool) -> list[Span]:
    """The cells from the first inked one to the last (``None`` standing for an empty cell),
    cut at empty cells when ``words``."""
    inked = [n for n, c in enumerate(cells) if c.get("char")]
    if not inked:
        return []
    span = [c if c.get("char") else None for c in cells[inked[0]:inked[-1] + 1]]
    if not words:
        return [span]
    out: list[Span] = []
    current: Span = []
    for cell in span:
        if cell is None:
            out.append(current)
            current = []
        else:
            current.append(cell)
    out.append(current)
    return [s for s in out if s]


def _match_span(span: Span, names: NameList, leave_out: frozenset[str] = frozenset(),
                ) -> tuple[list[str], np.ndarray] | None:
    """The fitting words of one span, best first, and their shares."""
    rows = names.words(len(span))
    if not len(rows):
        return None
    empty = np.array([cell is None for cell in span])
    keep = ((rows == ord(" ")) == empty).all(axis=1)
    for word in leave_out:
        if len(word) == len(span) and word.isascii():
            keep &= ~(rows == np.frombuffer(word.encode("ascii"), dtype=np.uint8)).all(axis=1)
    fits = rows[keep]
    if not len(fits):
        return None
    score = np.zeros(len(fits))
    own = 0.0  # the reading's own score: the best character of every cell
    for n, cell in enumerate(span):
        if cell is not None:
            table = _log_table(cell)
            score += table[fits[:, n]]
            own += float(table.max())
    order = np.argsort(score)[::-1][:SUGGESTIONS + 1]
    order = order[score[order] >= own - MAX_DEFICIT]
    if not len(order):
        return None
    z = (score - score[order[0]]) / TEMPERATURE
    shares = np.exp(z[order]) / np.exp(z).sum()
    return [fits[i].tobytes().decode("ascii") for i in order], shares


def match(field_id: str, value: str | None, cells: list[dict[str, Any]],
          leave_out: frozenset[str] = frozenset()) -> NameMatch | None:
    """Compare a names comb's reading with its list (``None``: no list, or nothing fits).

    ``leave_out``: words taken out of the list, to measure what happens to a name the list
    does not hold (``benchmarks/bench_names.py``)."""
    kind = list_for(field_id)
    if kind is None or not value or not cells:
        return None
    names = word_list(kind)
    spans = _spans(cells, words=kind == "prenoms")
    found = [_match_span(span, names, leave_out) for span in spans]
    if not found or any(f is None for f in found):
        return None
    matched = [f for f in found if f is not None]
    best = " ".join(words[0] for words, _ in matched)
    share = float(np.prod([shares[0] for _, shares in matched]))
    read = value.split(" ") if kind == "prenoms" else [value]
    in_list = all(word in names and word not in leave_out for word in read)
    others = []
    for k, (words, _) in enumerate(matched):  # one word changed at a time
        for alternative in words[1:]:
            parts = [w[0] for w, _ in matched]
            parts[k] = alternative
            others.append(" ".join(parts))
    weakest = min(float(c.get("confidence", 0.0)) for c in cells if c.get("char"))
    return NameMatch(liste=kind, in_list=in_list, best=best, share=round(share, 4),
                     others=others[:SUGGESTIONS], weakest=round(weakest, 4))


def unknown_code(field_id: str, value: str, found: NameMatch | None = None) -> str | None:
    """Why a code read is doubtful: an INSEE commune code that is not in the official
    geographic code (a commune abroad, 99…, is not checked), or a CIM-10 code that is not
    in the WHO's ICD-10. The commune list is of 2017: a commune merged away before, or an
    arrondissement, goes to review too; so does a code of the French edition's extensions
    (CIM-10 FR) — at the cost of a look. An ORPHA group code that is no group of
    Orphanet's list (a disease, a subtype, an unknown code) too, and an HPO id that is no
    current term of the HPO (obsolete, secondary, unknown). ``found``: the reading's
    ``match``, when made, which already says whether it is in."""
    kind = list_for(field_id)
    if kind == "communes" and (value.startswith("99") or len(value) != 5):
        return None
    if kind == "orpha_groupes":
        return orpha_table().why_not(value)
    if kind == "hpo":
        return hpo_table().why_not(value)
    if kind not in UNKNOWN:
        return None
    if found.in_list if found is not None else value in word_list(kind):
        return None
    return UNKNOWN[kind]


def confirmed(found: NameMatch | None, value: str | None) -> float | None:
    """The confidence a list gives a reading: the best words' share when the reading is
    those very words of the list and its least sure cell reaches ``MIN_CELL``, else
    nothing."""
    if (found is None or not found.in_list or found.best != value or found.weakest < MIN_CELL
            or found.liste in VETO_ONLY):
        return None
    return found.share
