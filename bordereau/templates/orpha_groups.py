"""The ORPHA groups of disorders shipped with the package (see ``orpha/README.md``).

« Description clinique » (MED-1284) of a diagnosis may be an ORPHA group code (value set
JDV_Orpha_Groupes-Maladies): the annexe génétique et clinique has cells for one. The shipped
table holds every active ORPHAcode of Orphanet's French nomenclature with its level
(group of disorders, disorder, subtype) and, for the 2,154 groups, their French name: a
code written on paper is checked against it (``ocr.lexicon``), the name is shown to the
reviewer and exported as the code's displayName.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from bordereau.templates.nearest import nearest_codes

SYSTEM = "1.2.250.1.213.2.49.2"
SYSTEM_NAME = "JDV_Orpha_Groupes-Maladies"
SOURCE = "Orphanet, nomenclature des maladies rares (Orphadata, CC BY 4.0)"
SOURCE_DATE = "2023-06-22"
NOT_A_GROUP = (f"code absent de la liste des groupes ORPHA (Orphadata, nomenclature du "
               f"{'/'.join(reversed(SOURCE_DATE.split('-')))})")
LEVEL_WORDS = {"maladie": "une maladie", "sous-type": "un sous-type de maladie"}


@dataclass(frozen=True)
class OrphaTable:
    """Active ORPHAcodes → level; group codes → French name."""

    levels: dict[str, str]
    groups: dict[str, str]

    def group(self, code: str) -> str | None:
        """The French name of a group code (leading zeros ignored), None if not a group."""
        return self.groups.get(code.strip().lstrip("0"))

    def why_not(self, code: str) -> str | None:
        """Why a code is no group of the list (French, for the reviewer), None if it is one."""
        key = code.strip().lstrip("0")
        if key in self.groups:
            return None
        level = self.levels.get(key)
        if level in LEVEL_WORDS:
            return f"ORPHA {key} est {LEVEL_WORDS[level]}, pas un groupe : {NOT_A_GROUP}"
        return NOT_A_GROUP

    def nearest(self, code: str, count: int = 3) -> list[str]:
        """The group codes closest to ``code``: fewest differing digits (one digit misread
        or two swapped), then numerically closest."""
        return nearest_codes(code.strip().lstrip("0"), self.groups, count)


@cache
def orpha_table() -> OrphaTable:
    """The shipped table, read once per process (a few milliseconds)."""
    data = files("bordereau.templates").joinpath("orpha", "orpha_groupes.tsv.gz").read_bytes()
    levels: dict[str, str] = {}
    groups: dict[str, str] = {}
    for line in gzip.decompress(data).decode("utf-8").splitlines()[1:]:
        code, level, label = [*line.split("\t"), ""][:3]
        levels[code] = level
        if level == "groupe":
            groups[code] = label
    return OrphaTable(levels, groups)
