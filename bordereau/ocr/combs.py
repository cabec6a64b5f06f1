"""Comb fields: one hand-printed character per cell.

Empty cells are found by an ink test; digits are read by the trained recogniser
(``ocr.digits``). Capitals have two readers: Tesseract on the whole field at once with a
per-field whitelist (each character mapped back to its cell with its confidence) and the
trained letter recogniser (``ocr.letters``) on each cell. ``ocr.letters_combine`` turns
their opinions (and, for cells that may hold either (``A``), the digit recogniser's) into
one character and one calibrated confidence per cell; when they disagree, the confidence
is low and the field goes to review.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from bordereau.forms.manifest import Box, FieldLayout
from bordereau.ocr import lexicon
from bordereau.ocr.aligned import AlignedPage
from bordereau.ocr.engine import OcrEngine
from bordereau.ocr.letters_combine import combine
from bordereau.ocr.printed import PRINTED_CONFIDENCE, match_cell
from bordereau.ocr.printed import SOURCE as PRINTED
from bordereau.ocr.tesseract import DIGITS, LETTERS
from bordereau.ocr.trust import limit_for
from bordereau.ocr.types import FieldReading

CELL_INSET_MM = 0.75  # the ink test ignores the printed outline and small misalignment
READ_INSET_MM = 0.3  # crops given to the readers keep strokes that touch the outline
EMPTY_BELOW = 0.012  # share of ink pixels under which a cell is empty
INKED_FROM = 0.03  # ... and from which it surely holds a character
FAINT_CELL_MM2 = 1.0  # faint marks of this area in a cell "empty" by the ink test: maybe a
# pencil or a light-pen character, read but never trusted (nor trusted as blank)
TOP_K = 3  # digits kept per cell for reading with the sheet's context (ocr.context)
CORSICA = "AB"  # the only letters of an INSEE code (2A, 2B), in its second cell


class DigitModel(Protocol):
    """The part of ``ocr.digits.DigitRecognizer`` the comb reader uses."""

    def predict(self, cells: list[np.ndarray]) -> np.ndarray: ...

    @property
    def version(self) -> str: ...


class LetterModel(Protocol):
    """The part of ``ocr.letters.LetterRecognizer`` the comb reader uses."""

    def predict(self, cells: list[np.ndarray]) -> np.ndarray: ...


@dataclass
class Evidence:
    """What the readers said about one inked cell (input of ``letters_combine``)."""

    index: int  # the cell's position in the field
    kind: str  # "D", "L" or "A"
    digit_probs: np.ndarray  # (11,) digit recogniser
    letter_probs: np.ndarray | None  # (30,) letter recogniser, for L and A cells
    tesseract: tuple[str, float] | None  # Tesseract's character for this cell
    allowed_letters: str = LETTERS  # letters this cell may hold


@dataclass
class Cell:
    """One cell as read."""

    ink: float
    char: str = ""  # "" empty, "?" unreadable
    confidence: float = 1.0
    source: str = ""
    faint: bool = False  # empty by the ink test, but with faint marks in it
    # the most probable characters: the digit recogniser's digits, or for a letter or
    # alphanumeric cell the combined readers' candidates (ocr.letters_combine)
    top: list[tuple[str, float]] | None = None
    printed: float | None = None  # match with the typed glyph's template (ocr.printed)

    def as_dict(self) -> dict[str, object]:
        found: dict[str, object] = {"ink": round(self.ink, 4), "char": self.char,
                                    "confidence": round(self.confidence, 4),
                                    "source": self.source}
        if self.faint:
            found["faint"] = True
        if self.top:
            found["top"] = [[c, round(p, 4)] for c, p in self.top]
        if self.printed is not None:
            found["printed"] = round(self.printed, 3)
        return found


def _cell_ink(page: AlignedPage, box: Box) -> float:
    region = page.crop(box, CELL_INSET_MM)
    return float(page.ink(region).mean()) if region.size else 0.0


def _faint_marks(page: AlignedPage, box: Box) -> bool:
    """Whether a cell the ink test calls empty holds faint marks (pencil, light pen)."""
    region = page.crop(box, CELL_INSET_MM)
    return bool(region.size) and page.has_faint_marks(region, FAINT_CELL_MM2)


def _empty_confidence(ink: float) -> float:
    return float(np.clip(1.0 - ink / EMPTY_BELOW * 0.6, 0.4, 1.0))


def _strip(page: AlignedPage, cells: list[Box]) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The comb as one line image with the printed cell borders whitened out, and each
    cell's x extent in that image."""
    x0 = cells[0][0]
    y = min(c[1] for c in cells)
    h = max(c[3] for c in cells)
    x1 = cells[-1][0] + cells[-1][2]
    box = (x0, y, x1 - x0, h)
    px0, py0, px1, py1 = page.px(box, 0.0)
    image = page.image[py0:py1, px0:px1].copy()
    k = page.px_per_mm
    band = max(1, round(0.35 * k))
    image[:band, :] = 255
    image[-band:, :] = 255
    extents = []
    for cx, _, cw, _ in cells:
        left, right = round((cx - x0) * k), round((cx + cw - x0) * k)
        image[:, max(0, left - band):left + band] = 255
        image[:, max(0, right - band):right + band] = 255
        extents.append((left, right))
    pad = round(2 * k)
    padded = np.full((image.shape[0] + 2 * pad, image.shape[1] + 2 * pad), 255, np.uint8)
    padded[pad:-pad, pad:-pad] = image
    return padded, [(a + pad, b + pad) for a, b in extents]


def _tesseract_cells(page: AlignedPage, field: FieldLayout, engine: OcrEngine,
                     whitelist: str) -> list[tuple[str, float] | None]:
    cells = list(field.cells_mm or ())
    image, extents = _strip(page, cells)
    found: list[tuple[str, float] | None] = [None] * len(cells)
    for symbol in engine.read_line(image, whitelist):
        centre = (symbol.x0 + symbol.x1) / 2
        for n, (left, right) in enumerate(extents):
            if left <= centre < right:
                previous = found[n]
                if previous is None or symbol.confidence > previous[1]:
                    found[n] = (symbol.text, symbol.confidence)
    return found


def allowed_letters(field: FieldLayout, index: int) -> str:
    """Letters a cell may hold: only A or B in the second cell of an INSEE code."""
    if field.cell_classes == "DADDD" and index == 1:
        return CORSICA
    return LETTERS


def _default_letters() -> LetterModel:
    from bordereau.ocr.letters import default_recognizer

    return default_recognizer()


def cell_evidence(page: AlignedPage, field: FieldLayout, digits: DigitModel,
                  engine: OcrEngine, letters: LetterModel | None = None,
                  ) -> tuple[list[Cell], list[Evidence]]:
    """Every cell with its ink measure, and what the readers said about each inked one."""
    boxes = list(field.cells_mm or ())
    classes = field.cell_classes or "A" * len(boxes)
    cells = [Cell(ink=_cell_ink(page, b)) for b in boxes]
    for cell, box in zip(cells, boxes, strict=True):
        if cell.ink < EMPTY_BELOW:
            cell.confidence = _empty_confidence(cell.ink)
            cell.faint = _faint_marks(page, box)
    inked = [n for n, c in enumerate(cells) if c.ink >= EMPTY_BELOW or c.faint]
    if not inked:
        return cells, []
    crops = [page.crop(boxes[n], READ_INSET_MM) for n in inked]
    probabilities = digits.predict(crops)
    textual = [row for row, n in enumerate(inked) if classes[n] != "D"]
    text: list[tuple[str, float] | None] = [None] * len(boxes)
    letter_probs: dict[int, np.ndarray] = {}
    if textual:
        whitelist = LETTERS + "-'" if set(classes) == {"L"} else LETTERS + DIGITS
        text = _tesseract_cells(page, field, engine, whitelist)
        model = letters if letters is not None else _default_letters()
        found = model.predict([crops[row] for row in textual])
        letter_probs = {row: found[i] for i, row in enumerate(textual)}
    evidence = [Evidence(n, classes[n], probabilities[row], letter_probs.get(row), text[n],
                         allowed_letters(field, n)) for row, n in enumerate(inked)]
    return cells, evidence


def _plain_digit(item: Evidence, cells: list[Cell]) -> bool:
    """An INSEE code's second cell holds A or B only after a 2 (2A, 2B: Corsica); after
    any other digit it is a digit like the others, read by the digit recogniser alone."""
    return (item.allowed_letters == CORSICA and item.index > 0
            and cells[item.index - 1].char not in {"2", "?"})


def read_cells(page: AlignedPage, field: FieldLayout, digits: DigitModel,
               engine: OcrEngine, letters: LetterModel | None = None) -> list[Cell]:
    """Every cell of a comb field: empty, a character with its confidence, or "?"."""
    cells, evidence = cell_evidence(page, field, digits, engine, letters)
    for item in evidence:
        cell = cells[item.index]
        if item.kind == "D" or item.letter_probs is None or _plain_digit(item, cells):
            best = int(np.argmax(item.digit_probs))
            cell.source = "chiffres"
            cell.char = str(best) if best < 10 else "?"
            cell.confidence = float(item.digit_probs[best]) if best < 10 else 0.0
            order = np.argsort(item.digit_probs[:10])[::-1][:TOP_K]
            cell.top = [(str(int(d)), float(item.digit_probs[d])) for d in order]
        else:
            choice = combine(item.kind, item.letter_probs, item.digit_probs, item.tesseract,
                             item.allowed_letters)
            cell.char, cell.source = choice.char, choice.source
            cell.confidence = choice.confidence
            cell.top = list(choice.top)
        if cell.ink < INKED_FROM:
            cell.confidence = min(cell.confidence, 0.5)
        if cell.faint and cell.char == "?":
            cell.char = ""  # a faint speck the readers reject: empty, but not trusted
    return cells


def cell_chars(field: FieldLayout, index: int, kind: str) -> str:
    """Characters a cell of class ``kind`` may hold (what ``combine`` chooses from)."""
    if kind == "D":
        return DIGITS
    if kind == "L":
        return LETTERS + "-'"
    return allowed_letters(field, index) + DIGITS


def confirm_print(page: AlignedPage, field: FieldLayout, cells: list[Cell]) -> str | None:
    """Machine print (a value typed in the fillable PDF, printed): the cells the
    recognisers left under the field's threshold rise to ``PRINTED_CONFIDENCE`` when every
    inked cell of the field is print of the very character read (``ocr.printed``), and
    the print is sure of the character in each cell raised.
    A typed value is print as a whole; asking it of every cell, and not only of the
    doubtful ones, is what keeps a lone print-like handwritten stroke (a capital I) from
    being taken for print. Fields already trusted are not matched (1.5 ms a cell),
    doubtful cells first (handwriting fails there at once), and a field with a doubt of
    another kind (faint or very light marks, an unreadable cell) is left as it is.

    When the whole field is surely print but a cell's print is another character than
    the one read (poppler's DejaVu "1", with its foot, read "I"), the print's character
    is proposed and the French reason returned: the field goes to review."""
    limit = limit_for(field.id, field.kind)
    doubtful = [n for n, c in enumerate(cells) if c.char and c.confidence < limit]
    if (not doubtful or limit > PRINTED_CONFIDENCE
            or any(c.faint or c.char == "?" or (c.char and c.ink < INKED_FROM) for c in cells)):
        return None
    boxes = list(field.cells_mm or ())
    classes = field.cell_classes or "A" * len(boxes)
    others = [n for n, c in enumerate(cells) if c.char and n not in doubtful]
    found = {}
    for n in doubtful + others:
        match = match_cell(page, boxes[n], cell_chars(field, n, classes[n]))
        if match is None or not match.is_print:
            return None
        found[n] = match
    differ = [n for n, m in found.items() if m.char != cells[n].char]
    if any(not found[n].sure for n in set(doubtful) | set(differ)):
        return None  # print, but of which character: the recognisers' doubt stands
    reason = (f"case {differ[0] + 1} : « {found[differ[0]].char} » imprimé, "
              f"« {cells[differ[0]].char} » reconnu") if differ else None
    for n, match in found.items():
        cell = cells[n]
        cell.printed = match.score
        if n in differ:
            cell.char, cell.source = match.char, PRINTED
            cell.confidence = min(cell.confidence, 0.5)
        elif n in doubtful:
            cell.confidence = max(cell.confidence, PRINTED_CONFIDENCE)
            cell.source = PRINTED
    return reason


def _joined(cells: list[Cell]) -> tuple[str | None, str | None]:
    """The text of the cells, and a French reason when its shape is doubtful."""
    chars = [c.char for c in cells]
    filled = [n for n, ch in enumerate(chars) if ch]
    if not filled:
        return None, None
    first, last = filled[0], filled[-1]
    inner = chars[first:last + 1]
    text = "".join(ch or " " for ch in inner)
    return " ".join(text.split()) if "" in inner else text, ("case vide au milieu"
                                                            if "" in inner else None)


def _date(cells: list[Cell]) -> tuple[str | None, str | None]:
    """ISO date (or YYYY-MM / YYYY) from JJ MM AAAA cells, and a reason when invalid."""
    return date_from_chars([c.char for c in cells])


def date_from_chars(chars: list[str]) -> tuple[str | None, str | None]:
    """ISO date (or YYYY-MM / YYYY) from the eight characters of a date comb ("" for an
    empty cell), and a French reason when it is not a date."""
    day, month, year = "".join(chars[0:2]), "".join(chars[2:4]), "".join(chars[4:8])
    if not (day or month or year):
        return None, None
    if "?" in day + month + year:
        return None, "chiffre illisible"
    if len(year) != 4:
        return None, "année incomplète (quatre chiffres attendus)"
    if not day and not month:
        return year, None
    if len(month) != 2:
        return None, "mois incomplet"
    if not day:
        if not 1 <= int(month) <= 12:
            return None, f"mois impossible ({month})"
        return f"{year}-{month}", None
    if len(day) != 2:
        return None, "jour incomplet"
    try:
        return dt.date(int(year), int(month), int(day)).isoformat(), None
    except ValueError:
        return None, f"date impossible ({day}/{month}/{year})"


def date_as_read(cells: list[Cell]) -> str:
    """The characters of a date comb as a reviewer types them (``94/01/2021``), a space
    for an empty cell and ``?`` for an unreadable one."""
    chars = [c.char or " " for c in cells]
    parts = ["".join(chars[0:2]), "".join(chars[2:4]), "".join(chars[4:8])]
    return "/".join(p for p in parts if p.strip()).strip()


def read_comb(page: AlignedPage, field: FieldLayout, digits: DigitModel,
              engine: OcrEngine, letters: LetterModel | None = None) -> FieldReading:
    """Read a digits, letters, alphanumeric, date or orpha_code field (``letters``: the
    letter recogniser, the shipped one by default)."""
    cells = read_cells(page, field, digits, engine, letters)
    printed = confirm_print(page, field, cells)
    confidence = min((c.confidence for c in cells), default=0.0)
    reasons = [printed] if printed else []
    if any(EMPTY_BELOW <= c.ink < INKED_FROM for c in cells):
        reasons.append("trait très léger dans une case")
    if any(c.faint for c in cells):
        reasons.append("trait pâle dans une case (crayon ou stylo léger ?)")
    if any(c.char == "?" for c in cells):
        reasons.append("caractère illisible")
    if field.kind == "date":
        value, problem = _date(cells)
    else:
        value, problem = _joined(cells)
        if problem and field.kind == "letters":
            problem = None  # a blank cell separates words in names
    if problem:
        reasons.append(problem)
    if value is not None and "?" in value:
        value = value if field.kind != "date" else None
    details: dict[str, object] = {"cells": [c.as_dict() for c in cells]}
    if field.kind != "letters" and any(c.source for c in cells):
        details["digit_model"] = digits.version  # which digit model read it (models adapt)
    if field.kind == "date" and value is None and any(c.char for c in cells):
        details["read"] = date_as_read(cells)  # offered to the reviewer, never trusted
    reason = "; ".join(dict.fromkeys(reasons)) or None
    if field.kind in {"letters", "alphanumeric"} and reason is None and value:
        found = lexicon.match(field.id, value, details["cells"])  # type: ignore[arg-type]
        if found is not None:
            details["liste"] = found.model_dump()
            confidence = max(confidence, lexicon.confirmed(found, value) or 0.0)
        reason = lexicon.unknown_code(field.id, value, found)
    elif field.kind == "digits" and reason is None and value and lexicon.list_for(field.id):
        found = lexicon.match(field.id, value, details["cells"])  # type: ignore[arg-type]
        if found is not None:  # the nearest codes, for the reviewer; no confidence from it
            details["liste"] = found.model_dump()
        reason = lexicon.unknown_code(field.id, value, found)
    return FieldReading(id=field.id, kind=field.kind, value=value,
                        confidence=0.0 if reason else confidence, review=reason is not None,
                        reason=reason, page=field.page, details=details)
