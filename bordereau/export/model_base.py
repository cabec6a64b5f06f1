"""The base of the export model: constants (code systems, OID roots), stable ids, coded
values and partial dates, shared by ``export/model.py`` (which re-exports them)."""

from __future__ import annotations

import calendar
import re
import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ORPHA_SYSTEM = "1.2.250.1.213.2.49.1"
CIM10_SYSTEM = "2.16.840.1.113883.6.3"
HGNC_SYSTEM = "2.16.840.1.113883.4.642.2.468"
SITE_MR_SYSTEM = "1.2.250.1.213.2.61"
RPPS_ROOT = "1.2.250.1.71.4.2.1"  # national health professional identifiers (IdNat_PS)
FINESS_ROOT = "1.2.250.1.71.4.2.2"  # national structure identifiers (IdNat_Struct)
INS_NIR_OID = "1.2.250.1.213.1.4.8"  # INS-NIR, production (1.2.250.1.213.1.4.10 is the test one)

OID_PATTERN = r"^[0-2](\.(0|[1-9][0-9]*))+$"
UUID_PATTERN = r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$"

_NAMESPACE = uuid.UUID("6f1c2a8e-5b0d-4c1e-9a57-3e2d8f0b7c41")

# A yes / no / don't-know answer; None when the item was left empty.
Answer = Literal["oui", "non", "inconnu"]


def stable_id(*parts: str) -> str:
    """An uppercase UUID derived from ``parts``: the same parts always give the same id."""
    return str(uuid.uuid5(_NAMESPACE, "|".join(parts))).upper()


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Coded(_Model):
    """A coded value: official code, code system OID, display name; ``label`` for people."""

    code: str = Field(min_length=1)
    system: str = Field(pattern=OID_PATTERN)
    display: str = ""
    label: str = ""

    @property
    def text(self) -> str:
        """The wording shown in the narrative block."""
        return self.label or self.display or self.code


class PartialDate(_Model):
    """A date known to the year, the month or the day (CDA TS precision)."""

    year: int = Field(ge=1850, le=2200)
    month: int | None = Field(default=None, ge=1, le=12)
    day: int | None = Field(default=None, ge=1, le=31)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: object) -> object:
        if isinstance(value, str):
            return cls.fields_of(value)
        if isinstance(value, date):
            return {"year": value.year, "month": value.month, "day": value.day}
        return value

    @model_validator(mode="after")
    def _check(self) -> PartialDate:
        if self.day is not None:
            if self.month is None:
                raise ValueError("un jour sans mois n’est pas une date")
            if self.day > calendar.monthrange(self.year, self.month)[1]:
                raise ValueError(f"le {self.day}/{self.month}/{self.year} n’existe pas")
        return self

    @staticmethod
    def fields_of(text: str) -> dict[str, int | None]:
        """Split ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (ValueError otherwise)."""
        found = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text.strip())
        if not found:
            raise ValueError(f"« {text} » n’est pas une date AAAA, AAAA-MM ou AAAA-MM-JJ")
        year, month, day = found.groups()
        return {
            "year": int(year),
            "month": int(month) if month else None,
            "day": int(day) if day else None,
        }

    @property
    def ts(self) -> str:
        """CDA TS value: ``YYYY``, ``YYYYMM`` or ``YYYYMMDD``."""
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"{self.month:02d}"
            if self.day is not None:
                text += f"{self.day:02d}"
        return text

    @property
    def french(self) -> str:
        """``JJ/MM/AAAA``, ``MM/AAAA`` or ``AAAA``."""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.month:02d}/{self.year:04d}"
        return f"{self.day:02d}/{self.month:02d}/{self.year:04d}"

    @property
    def earliest(self) -> date:
        """First day the partial date may stand for."""
        return date(self.year, self.month or 1, self.day or 1)

    @property
    def latest(self) -> date:
        """Last day the partial date may stand for."""
        month = self.month or 12
        return date(self.year, month, self.day or calendar.monthrange(self.year, month)[1])
