"""Tesseract behind one small interface, run in process through tesserocr.

A new process per call would cost about 6 s a page (measured on the prototype); one
``PyTessBaseAPI`` per worker process costs 40–80 ms a page. The engine is probed once for
its models and version; ``NullEngine`` stands in where no text must be read.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import NamedTuple, Protocol

import numpy as np
from PIL import Image

from bordereau.errors import MissingToolError

TESSDATA_CANDIDATES = (
    Path("/usr/share/tesseract-ocr/5/tessdata"),
    Path("/usr/share/tesseract-ocr/4.00/tessdata"),
    Path("/usr/share/tessdata"),
)
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"


class Symbol(NamedTuple):
    """One recognised character and where it is in the line image (pixels)."""

    text: str
    confidence: float  # 0..1
    x0: int
    x1: int


class OcrEngine(Protocol):
    """What the readers need from an OCR engine."""

    name: str

    def read_line(self, image: np.ndarray, whitelist: str) -> list[Symbol]: ...

    def read_block(self, image: np.ndarray) -> str: ...

    def read_char(self, image: np.ndarray, whitelist: str) -> tuple[str, float]: ...


class NullEngine:
    """Reads nothing (tests of other stages, machines without Tesseract)."""

    name = "aucun"

    def read_line(self, image: np.ndarray, whitelist: str) -> list[Symbol]:
        return []

    def read_block(self, image: np.ndarray) -> str:
        return ""

    def read_char(self, image: np.ndarray, whitelist: str) -> tuple[str, float]:
        return "", 0.0


def tessdata_dir() -> Path:
    """Where the Debian models are; $TESSDATA_PREFIX wins when set."""
    env = os.environ.get("TESSDATA_PREFIX")
    candidates = ((Path(env),) if env else ()) + TESSDATA_CANDIDATES
    for folder in candidates:
        if (folder / "fra.traineddata").exists():
            return folder
    raise MissingToolError(
        "Modèle français de Tesseract introuvable : installer les paquets tesseract-ocr et "
        "tesseract-ocr-fra (apt-get install tesseract-ocr tesseract-ocr-fra)."
    )


class TesseractEngine:
    """Tesseract in process: one API object for lines, one for blocks."""

    def __init__(self) -> None:
        try:
            import tesserocr
        except ImportError as exc:  # pragma: no cover - a packaging defect
            raise MissingToolError("Le module tesserocr n’est pas installé.") from exc
        self._tesserocr = tesserocr
        path = str(tessdata_dir()) + "/"
        self._line = tesserocr.PyTessBaseAPI(path=path, lang="fra",
                                             psm=tesserocr.PSM.SINGLE_LINE)
        self._block = tesserocr.PyTessBaseAPI(path=path, lang="fra",
                                              psm=tesserocr.PSM.SINGLE_BLOCK)
        self._char = tesserocr.PyTessBaseAPI(path=path, lang="fra",
                                             psm=tesserocr.PSM.SINGLE_CHAR)
        self.name = f"tesseract {tesserocr.tesseract_version().split()[1]}"

    def read_line(self, image: np.ndarray, whitelist: str) -> list[Symbol]:
        """Characters of a one-line image, each with its confidence and x extent."""
        api, tess = self._line, self._tesserocr
        api.SetVariable("tessedit_char_whitelist", whitelist)
        api.SetImage(Image.fromarray(image))
        api.Recognize()
        level = tess.RIL.SYMBOL
        symbols = []
        iterator = api.GetIterator()
        if iterator is None:
            return []
        for item in tess.iterate_level(iterator, level):
            try:
                text = item.GetUTF8Text(level)
            except RuntimeError:  # tesserocr raises on an empty symbol
                continue
            box = item.BoundingBox(level)
            if not text or box is None:
                continue
            symbols.append(Symbol(text, item.Confidence(level) / 100.0, box[0], box[2]))
        return symbols

    def read_char(self, image: np.ndarray, whitelist: str) -> tuple[str, float]:
        """One character alone (a second opinion on a comb cell) and its confidence."""
        api = self._char
        api.SetVariable("tessedit_char_whitelist", whitelist)
        api.SetImage(Image.fromarray(image))
        text = api.GetUTF8Text().strip()
        confidences = api.AllWordConfidences()
        return (text[:1], confidences[0] / 100.0) if text and confidences else ("", 0.0)

    def read_block(self, image: np.ndarray) -> str:
        """The text of a block (a printed patient label)."""
        self._block.SetImage(Image.fromarray(image))
        return str(self._block.GetUTF8Text())


@cache
def default_engine() -> OcrEngine:
    """The engine of this process (created once)."""
    return TesseractEngine()
