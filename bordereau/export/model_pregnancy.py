"""The export model of the annexe grossesse et fœtus: one pregnancy of the patient (the
mother) and its fœtus, sent in the section FR-Historique-des-grossesses (ANS examples
« patiente enceinte » and « patiente post-grossesse»)."""

from __future__ import annotations

from pydantic import Field

from bordereau.export.model_base import UUID_PATTERN, Coded, PartialDate, _Model

# The issue « Accouchement » (JDV_IssueGrossesse): the subject is then a newborn, named with
# its own birth name when it is written.
BIRTH = "236973005"


class Fetus(_Model):
    """One fœtus (or newborn) of a pregnancy, in the order of the sheet (``number``)."""

    id: str = Field(pattern=UUID_PATTERN)
    number: int = Field(ge=1, le=9)
    ipp: str | None = None  # identifiant local du fœtus, under the establishment's IPP root
    sex: Coded | None = None
    forename: str | None = None
    child_birth_name: str | None = None  # newborn (issue « Accouchement ») only
    outcome: Coded | None = None  # JDV_IssueGrossesse, only when the pregnancy has ended
    gestational_age_weeks: int | None = Field(default=None, ge=4, le=45)
    fetopathology: bool | None = None
    # Annexe grossesse v2: the activity / the prise en charge of the fiche concerns it.
    subject_of_activity: bool = False
    subject_of_care: bool = False

    @property
    def newborn(self) -> bool:
        """Born alive and named: the subject is the child, not the mother's fœtus."""
        return bool(self.outcome and self.outcome.code == BIRTH and self.child_birth_name)


class Pregnancy(_Model):
    """One pregnancy (FR-Historique-de-la-grossesse): period, number of fœtus, AMP."""

    id: str = Field(pattern=UUID_PATTERN)
    start: PartialDate
    end: PartialDate | None = None
    fetus_count: int = Field(ge=1, le=9)
    amp: bool | None = None  # None: sent as nullFlavor UNK (the volet wants the element)
    fetuses: tuple[Fetus, ...] = ()

    @property
    def multiple(self) -> bool:
        return self.fetus_count > 1


class FetusSubject(_Model):
    """The fœtus an encounter concerns (« Sujet lié à l’activité / à la prise en charge »):
    the encounter's ``subject`` names it as the FR-Naissance of its pregnancy does."""

    fetus: Fetus
    multiple: bool  # the pregnancy's
    start: PartialDate  # the pregnancy's (names it in messages)
    end: PartialDate | None = None  # the pregnancy's end (a newborn's birth time)
