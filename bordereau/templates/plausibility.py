"""The plausible ranges of the measurements and ages of the forms (``plausibility.yaml``).

One table for the reader (``bordereau.ocr.context``: a value outside its range is never
trusted) and for the export (``bordereau.export.plausibility``: never sent unless a reviewer
confirmed it). Each bound carries its source; :meth:`Range.outside` words the French reason,
e.g. « 98 cm hors de l’intervalle plausible 18–45 cm (INTERGROWTH-21st + macrocéphalie) ».
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from bordereau.templates.yaml_text import safe_load

# Mean length in days of each UCUM unit of an age (to compare an age with the patient's).
DAYS_PER_UNIT = {"a": 365.25, "mo": 30.44, "wk": 7.0, "d": 1.0}


@dataclass(frozen=True)
class Source:
    key: str
    short: str  # named in French reasons
    reference: str


@dataclass(frozen=True)
class Bound:
    value: int
    source: Source
    why: str


@dataclass(frozen=True)
class Range:
    """Inclusive bounds of one quantity, in ``unit`` (``unit_word`` in messages)."""

    label: str
    unit: str
    unit_word: str
    low: Bound
    high: Bound

    def contains(self, value: int) -> bool:
        return self.low.value <= value <= self.high.value

    @property
    def sources(self) -> str:
        """The short names of the bounds' sources, once each."""
        names = dict.fromkeys((self.low.source.short, self.high.source.short))
        return " ; ".join(names)

    @property
    def interval(self) -> str:
        """« 18–45 cm (INTERGROWTH-21st) »."""
        return f"{self.low.value}–{self.high.value} {self.unit_word} ({self.sources})"

    def outside(self, value: int) -> str | None:
        """The French reason when ``value`` is outside the range, else None."""
        if self.contains(value):
            return None
        return f"{value} {self.unit_word} hors de l’intervalle plausible {self.interval}"


@dataclass(frozen=True)
class PlausibilityTable:
    sources: dict[str, Source]
    measures: dict[str, Range]  # field id -> range
    age_items: dict[str, str]  # item id of the diagnosis block -> French label
    age_units: dict[str, Range]  # UCUM unit code -> range
    identifiers: tuple[str, ...]

    def measure(self, field_id: str) -> Range | None:
        return self.measures.get(field_id)

    def age_item(self, field_id: str) -> str | None:
        """The age item (``age_diagnostic_valeur``) a field id ends with, or None."""
        item = field_id.rsplit(".", 1)[-1]
        return item if item in self.age_items else None

    def age(self, unit: str, label: str = "Âge") -> Range | None:
        """The range of an age in ``unit`` (UCUM ``a``, ``mo``, ``wk``, ``d``)."""
        found = self.age_units.get(unit)
        return None if found is None else Range(label, found.unit, found.unit_word,
                                                found.low, found.high)


def _bound(entry: dict[str, Any], sources: dict[str, Source], where: str) -> Bound:
    key = entry.get("source")
    if key not in sources:
        raise ValueError(f"plausibility.yaml: {where}: source « {key} » inconnue")
    return Bound(int(entry["value"]), sources[key], str(entry.get("why", "")))


def parse(data: dict[str, Any]) -> PlausibilityTable:
    """Build the table from the YAML document (ValueError naming the bad entry)."""
    sources = {k: Source(k, str(v["short"]), str(v["reference"]))
               for k, v in data["sources"].items()}
    measures = {
        fid: Range(str(e["label"]), str(e["unit"]), str(e["unit"]),
                   _bound(e["min"], sources, f"{fid}.min"), _bound(e["max"], sources, f"{fid}.max"))
        for fid, e in data["measures"].items()
    }
    ages = data["ages"]
    units = {
        code: Range("Âge", code, str(e["word"]), _bound(e["min"], sources, f"ages.{code}.min"),
                    _bound(e["max"], sources, f"ages.{code}.max"))
        for code, e in ages["units"].items()
    }
    for name, rng in [*measures.items(), *units.items()]:
        if rng.low.value >= rng.high.value:
            raise ValueError(f"plausibility.yaml: {name}: min ≥ max")
    return PlausibilityTable(sources, measures, {str(k): str(v) for k, v in ages["items"].items()},
                             units, tuple(data["identifiers"]))


@cache
def plausibility() -> PlausibilityTable:
    """The shipped table, read once per process."""
    text = files("bordereau.templates").joinpath("plausibility.yaml").read_text(encoding="utf-8")
    return parse(safe_load(text))
