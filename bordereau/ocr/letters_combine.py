"""One character and one confidence per comb cell from several readers (``ocr.combs``).

For an ``L`` cell (names: capitals, ``-``, ``'``) the evidence is the letter network's
probabilities and Tesseract's reading of the whole line (its character for this cell and
its confidence). For an ``A`` cell (INSEE codes, CIM-10 codes, gene symbols) the digit
network joins in, and Tesseract may read a digit too.

Each candidate character gets a score, the sum of
- log of the letter network's support: its probability for a letter; for a digit, its
  ``digit`` probability (it was trained on digits 2-9), plus, for 0 and 1 which it never
  saw, its probability for the look-alike letters (it cannot tell O from 0 or I from 1);
- for ``A`` cells, ``digit_weight`` x log of the digit network's support, built the same
  way (a letter gets the ``not_a_digit`` mass plus that of its look-alike digits, and at
  least ``digit_floor``: that network never saw most letters, its opinion on them is weak);
- ``tess_bonus`` x Tesseract's confidence when Tesseract read this very character.
``?`` (unreadable) is backed by the networks' reject classes (``not_a_letter``, scaled by
``reject_weight`` in ``L`` cells, and ``not_a_digit``). In an ``L`` cell the ``digit``
class is simply not a candidate: names hold no digits.

The scores are turned into probabilities over the candidates (softmax); the best one is
the cell's character. Look-alike pairs (O/0, I/1 always; B/8, S/5, Z/2, G/6 … when the
letter network hesitates between the letter and ``digit``) end up close, hence a low
confidence. The confidence is
a logistic function of the winner's log-odds and of whether each reader agrees, fitted on
cells of simulated scans of the TRAINING split read by networks that had not seen their
handwriting font (``letters_fit``). It increases with the log-odds, so a threshold on it
is a threshold on how sure the combination is. ``?`` (unreadable) wins when both networks
call the cell a non-character.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from bordereau.ocr.letters import DIGIT as LETTER_DIGIT
from bordereau.ocr.letters import LETTERS
from bordereau.ocr.letters import REJECT as LETTER_REJECT

DIGITS = "0123456789"
DIGIT_REJECT = 10
UNREADABLE = "?"
LOOKALIKES: dict[str, str] = {  # digit -> capitals a hand-printed one can be taken for
    "0": "ODQ", "1": "IJ", "2": "Z", "4": "A", "5": "S", "6": "G", "7": "T", "8": "B",
    "9": "P",
}  # fmt: skip
UNSEEN_BY_LETTERS = "01"  # digits the letter network never saw (it calls them O, I …)
_EPS = 1e-4


class Params(NamedTuple):
    """The knobs of the scores."""

    tess_bonus: float
    digit_weight: float
    digit_floor: float
    reject_weight: float


# Fitted by ``python -m bordereau.training.letters_fit`` (see docs/letters.md).
PARAMS = Params(tess_bonus=6.0, digit_weight=1.5, digit_floor=0.1, reject_weight=0.03)
# confidence = sigmoid(a * log-odds + b * tesseract agrees + c * network's own top + d)
CALIBRATION: dict[str, tuple[float, float, float, float]] = {
    "L": (0.639, -0.194, 0.049, -0.497),
    "A": (0.461, -0.246, 1.372, -0.906),
}


class Choice(NamedTuple):
    """The combined reading of one cell."""

    char: str  # "?" when unreadable
    confidence: float
    source: str  # which readers back ``char``, joined by "+"
    posterior: float  # the winner's probability among the candidates (before calibration)
    top: tuple[tuple[str, float], ...] = ()  # the TOP_K most probable candidates


TOP_K = 5


def _letter_support(q: np.ndarray, char: str, reject_weight: float = 1.0) -> float:
    if char in DIGITS:
        similar = LOOKALIKES[char] if char in UNSEEN_BY_LETTERS else ""
        return float(q[LETTER_DIGIT]) + sum(float(q[LETTERS.index(c)]) for c in similar)
    if char == UNREADABLE:
        return float(q[LETTER_REJECT]) * reject_weight
    return float(q[_letter_index(char)])


def _letter_index(char: str) -> int:
    return LETTERS.index(char) if char in LETTERS else 26 + "-'".index(char)


def _digit_support(p: np.ndarray, char: str, floor: float) -> float:
    if char in DIGITS:
        return float(p[int(char)])
    if char == UNREADABLE:
        return float(p[DIGIT_REJECT])
    similar = sum(float(p[int(d)]) for d, looks in LOOKALIKES.items() if char in looks)
    return max(float(p[DIGIT_REJECT]) + similar, floor)


def candidates(kind: str, allowed_letters: str) -> str:
    """The characters a cell of this class may hold (``?`` included)."""
    if kind == "L":
        return LETTERS + "-'" + UNREADABLE
    return allowed_letters + DIGITS + UNREADABLE


def scores(kind: str, letter_probs: np.ndarray, digit_probs: np.ndarray | None,
           tesseract: tuple[str, float] | None, allowed_letters: str = LETTERS,
           params: Params | None = None) -> tuple[str, np.ndarray]:
    """The candidates of the cell and their probabilities."""
    bonus, weight, floor, reject = params or PARAMS
    chars = candidates(kind, allowed_letters)
    reject = reject if kind == "L" else 1.0
    s = np.array([math.log(_letter_support(letter_probs, c, reject) + _EPS) for c in chars])
    if kind == "A" and digit_probs is not None:
        s += weight * np.array([math.log(_digit_support(digit_probs, c, floor) + _EPS)
                                for c in chars])  # fmt: skip
    if tesseract is not None and tesseract[0] in chars and tesseract[0] != UNREADABLE:
        s[chars.index(tesseract[0])] += bonus * float(tesseract[1])
    s -= s.max()
    odds = np.exp(s)
    return chars, odds / odds.sum()


def features(kind: str, chars: str, posterior: np.ndarray, letter_probs: np.ndarray,
             digit_probs: np.ndarray | None,
             tesseract: tuple[str, float] | None) -> tuple[str, list[float]]:
    """The chosen character and the inputs of the calibration."""
    best = int(np.argmax(posterior))
    char = chars[best]
    top = float(np.clip(posterior[best], 1e-6, 1 - 1e-6))
    log_odds = math.log(top / (1 - top))
    tess_agrees = float(tesseract is not None and tesseract[0] == char)
    own = _own_top(kind, char, letter_probs, digit_probs)
    return char, [log_odds, tess_agrees, float(own)]


def _own_top(kind: str, char: str, letter_probs: np.ndarray,
             digit_probs: np.ndarray | None) -> bool:
    """Whether the network of the chosen character's family also ranks it first."""
    if char in DIGITS:
        return digit_probs is not None and int(np.argmax(digit_probs)) == int(char)
    if char == UNREADABLE:
        return False
    return int(np.argmax(letter_probs)) == _letter_index(char)


def calibrate(kind: str, inputs: list[float],
              table: dict[str, tuple[float, float, float, float]] | None = None) -> float:
    """The calibrated confidence (a logistic function, increasing in the log-odds)."""
    a, b, c, d = (table or CALIBRATION)["L" if kind == "L" else "A"]
    z = a * inputs[0] + b * inputs[1] + c * inputs[2] + d
    return 1.0 / (1.0 + math.exp(-float(np.clip(z, -50, 50))))


def combine(kind: str, letter_probs: np.ndarray, digit_probs: np.ndarray | None,
            tesseract: tuple[str, float] | None, allowed_letters: str = LETTERS) -> Choice:
    """The character of one inked ``L`` or ``A`` cell and how sure the readers are."""
    chars, posterior = scores(kind, letter_probs, digit_probs, tesseract, allowed_letters)
    char, inputs = features(kind, chars, posterior, letter_probs, digit_probs, tesseract)
    top = tuple((chars[int(i)], float(posterior[i]))
                for i in np.argsort(posterior)[::-1][:TOP_K])
    if char == UNREADABLE:
        return Choice(UNREADABLE, 0.0, "lettres", float(posterior.max()), top)
    backers = []
    if char in DIGITS:
        if digit_probs is not None and int(np.argmax(digit_probs)) == int(char):
            backers.append("chiffres")
    elif int(np.argmax(letter_probs)) == _letter_index(char):
        backers.append("lettres")
    if tesseract is not None and tesseract[0] == char:
        backers.append("tesseract")
    source = "+".join(backers) or ("chiffres" if char in DIGITS else "lettres")
    return Choice(char, calibrate(kind, inputs), source, float(posterior.max()), top)
