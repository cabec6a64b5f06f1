"""The Human Phenotype Ontology terms shipped with the package (see ``hpo/README.md``).

« Description clinique » (MED-1284) of a diagnosis may be HPO terms (code system
1.2.250.1.213.2.51): the annexe génétique et clinique has cells for four (the seven digits
after « HP: »). The shipped table holds every current term of the HPO release of
2026-06-23 with its label — the HPO's official French translation where it gives one, else
the English label — and the obsolete and secondary ids with the term that replaces them:
an id written on paper is checked against it (``ocr.lexicon``), the label is shown to the
reviewer and exported as the code's displayName.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from bordereau.templates.nearest import nearest_codes

SYSTEM = "1.2.250.1.213.2.51"
SYSTEM_NAME = "HPO"
SOURCE = "Human Phenotype Ontology (hpo.jax.org)"
SOURCE_DATE = "2026-06-23"
SHOWN_DATE = "/".join(reversed(SOURCE_DATE.split("-")))
NOT_LISTED = f"terme HPO absent de la liste HPO (version du {SHOWN_DATE})"


@dataclass(frozen=True)
class HpoTable:
    """Current HPO ids → (label, language); obsolete and secondary ids → replacing id."""

    terms: dict[str, tuple[str, str]]
    obsolete: dict[str, str]

    def label(self, code: str) -> str | None:
        """The label of a current term (``0001250`` or ``HP:0001250``), None otherwise."""
        term = self.terms.get(_key(code))
        return term[0] if term else None

    def why_not(self, code: str) -> str | None:
        """Why an id is no current term of the list (French, for the reviewer), None if it
        is one."""
        key = _key(code)
        if key in self.terms:
            return None
        if key in self.obsolete:
            by = self.obsolete[key]
            instead = f", remplacé par HP:{by} ({self.terms[by][0]})" if by else ""
            return f"HP:{key} est un terme HPO obsolète{instead} : {NOT_LISTED}"
        return NOT_LISTED

    def nearest(self, code: str, count: int = 3) -> list[str]:
        """The current ids closest to ``code`` (the 7 digits): the replacing term of an
        obsolete id first, then fewest differing digits (one digit misread or two swapped
        count as one), then numerically closest; at most two digits apart."""
        key = _key(code)
        if len(key) != 7:
            return []
        first = [self.obsolete[key]] if self.obsolete.get(key) else []
        return list(dict.fromkeys(first + nearest_codes(key, self.terms, count)))[:count]


def _key(code: str) -> str:
    """The 7 digits of an HPO id as written (``HP:0001250``, ``0001250``)."""
    return code.strip().upper().removeprefix("HP:").strip()


@cache
def hpo_table() -> HpoTable:
    """The shipped table, read once per process (a few tens of milliseconds)."""
    data = files("bordereau.templates").joinpath("hpo", "hpo_termes.tsv.gz").read_bytes()
    terms: dict[str, tuple[str, str]] = {}
    obsolete: dict[str, str] = {}
    for line in gzip.decompress(data).decode("utf-8").splitlines()[1:]:
        code, status, lang, label, by = line.split("\t")
        if status == "actif":
            terms[code] = (label, lang)
        else:
            obsolete[code] = by
    return HpoTable(terms, obsolete)
