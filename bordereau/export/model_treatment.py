"""The export model of the annexe traitements: the specific treatments of the rare disease,
sent in the section FR-Traitements-maladies-rares (1.2.250.1.213.1.1.2.54) as in the ANS
example SDM-MR 2021.01 (one FR-Traitement-maladie-rare per drug)."""

from __future__ import annotations

from pydantic import Field

from bordereau.export.model_base import UUID_PATTERN, PartialDate, _Model

ATC_SYSTEM = "2.16.840.1.113883.6.73"  # WHO ATC classification
EMA_SYSTEM = "1.2.250.1.213.2.50"  # « EMEA Rare Disease medicinal products » (ANS example)
ATC_PATTERN = r"^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$"  # a substance, level 5: A16AX07
EMA_PATTERN = r"^EMEA/H/C/[0-9]{6}$"


class Treatment(_Model):
    """One drug of the annex (block ``number``): named, ATC-coded, or both."""

    id: str = Field(pattern=UUID_PATTERN)
    number: int = Field(ge=1, le=9)
    name: str | None = None
    atc: str | None = Field(default=None, pattern=ATC_PATTERN)
    ema: str | None = Field(default=None, pattern=EMA_PATTERN)
    start: PartialDate | None = None
    end: PartialDate | None = None  # None: in progress, or end unknown (nullFlavor UNK)
    stopped: bool = False  # « arrêté » ticked or an end date written; else in progress

    @property
    def label(self) -> str:
        """What the narrative shows: the name written, else the code."""
        return self.name or self.atc or self.ema or ""
