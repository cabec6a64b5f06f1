"""French first names and birth names shipped with the package (see ``names/README.md``).

Two lists from INSEE, most frequent first: 30,832 first names and 218,982 birth names,
written as on a form (capitals without accents; hyphens, apostrophes and the space of a
particle name kept). The reader matches a handwritten name against them (``ocr.lexicon``).

Each list is held as one sorted fixed-width byte array per word length: about 2 MB for
both, whatever the number of processes that load it, instead of 30 MB of Python strings.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

import numpy as np

SOURCE = {"prenoms": "fichier des prénoms de l’INSEE", "noms": "fichier des noms de l’INSEE",
          "communes": "code officiel géographique de l’INSEE (2017)",
          "cim10": "CIM-10 de l’OMS (2019)"}
KINDS = ("prenoms", "noms", "communes", "cim10")
FOLDERS = {"prenoms": "names", "noms": "names", "communes": "communes", "cim10": "cim10"}


@dataclass(frozen=True)
class NameList:
    """One list, by word length: the words as an (n, length) uint8 array of ASCII codes."""

    kind: str
    by_length: dict[int, np.ndarray] = field(repr=False)

    def words(self, length: int) -> np.ndarray:
        """The words of that length, one row each (empty when there are none)."""
        return self.by_length.get(length, np.zeros((0, length), dtype=np.uint8))

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str) or not word.isascii():
            return False
        rows = self.words(len(word))
        if not len(rows):
            return False
        key = np.frombuffer(word.encode("ascii"), dtype=np.uint8)
        return bool((rows == key).all(axis=1).any())

    def __len__(self) -> int:
        return sum(len(rows) for rows in self.by_length.values())

    @classmethod
    def of(cls, kind: str, words: list[bytes]) -> NameList:
        """A list from ASCII words (any order; duplicates are harmless)."""
        by_length: dict[int, list[bytes]] = {}
        for word in words:
            by_length.setdefault(len(word), []).append(word)
        return cls(kind, {n: np.frombuffer(b"".join(sorted(ws)), dtype=np.uint8)
                          .reshape(len(ws), n).copy() for n, ws in by_length.items()})


@cache
def name_list(kind: str) -> NameList:
    """The shipped list ``prenoms``, ``noms``, ``communes`` (INSEE codes) or ``cim10``
    (CIM-10 codes without the dot), read once per process (about 0.2 s)."""
    if kind not in KINDS:
        raise ValueError(kind)
    data = files("bordereau.templates").joinpath(FOLDERS[kind], f"{kind}.txt.gz").read_bytes()
    return NameList.of(kind, list(filter(None, gzip.decompress(data).split(b"\n"))))
