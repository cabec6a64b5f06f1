"""The export-side model: one patient as sent to BaMaRa, independent of any database.

Every coded value is a :class:`Coded` carrying the official code, code system (OID) and
display name of the ANS value sets (``bordereau/templates/valuesets.yaml``), plus the
French label users know, used in the human-readable part of the document.

Items the paper form may leave empty are optional here, so that an incomplete record can
still be built and :func:`bordereau.export.check_exportable` can name what is missing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from bordereau.export.model_base import (
    CIM10_SYSTEM,
    FINESS_ROOT,
    HGNC_SYSTEM,
    INS_NIR_OID,
    OID_PATTERN,
    ORPHA_SYSTEM,
    RPPS_ROOT,
    SITE_MR_SYSTEM,
    UUID_PATTERN,
    Answer,
    Coded,
    PartialDate,
    _Model,
    stable_id,
)
from bordereau.export.model_pregnancy import Fetus, FetusSubject, Pregnancy
from bordereau.export.model_treatment import Treatment

# Re-exported: the base lives in model_base.py (kept under 400 lines a file).
__all__ = [
    "CIM10_SYSTEM",
    "FINESS_ROOT",
    "HGNC_SYSTEM",
    "INS_NIR_OID",
    "OID_PATTERN",
    "ORPHA_SYSTEM",
    "RPPS_ROOT",
    "SITE_MR_SYSTEM",
    "UUID_PATTERN",
    "Answer",
    "Coded",
    "Fetus",
    "FetusSubject",
    "PartialDate",
    "Pregnancy",
    "Treatment",
    "stable_id",
]


class Practitioner(_Model):
    """A health professional identified by RPPS (médecin référent, responsable)."""

    rpps: str = Field(pattern=r"^\d{11}$")
    family: str = Field(min_length=1)
    given: str | None = None
    title: Literal["DR", "PR"] | None = None
    profession: Coded | None = None

    @property
    def national_id(self) -> str:
        """IdNat_PS: ``8`` + RPPS number (extension under root 1.2.250.1.71.4.2.1)."""
        return "8" + self.rpps

    @property
    def full_name(self) -> str:
        parts = [{"DR": "Dr", "PR": "Pr"}.get(self.title or "", ""), self.given or "", self.family]
        return " ".join(p for p in parts if p)


# Healthcare facility types (JDV_J02, 1.2.250.1.71.4.2.4) of establishments hosting MR sites.
FACILITY_TYPES = {
    "SA01": "Etablissement public de santé",
    "SA02": "Hôpital militaire du Service de santé des armées",
    "SA03": "Etablissement privé PSPH",
    "SA04": "Etablissement privé non PSPH",
    "SA36": "Centre anti-cancer",
}
FACILITY_TYPE_SYSTEM = "1.2.250.1.71.4.2.4"


class Organisation(_Model):
    """The establishment responsible for the record (custodian)."""

    finess: str = Field(pattern=r"^(\d{9}|2[AB]\d{7})$")
    name: str = Field(min_length=1)
    facility_type: Coded | None = None  # JDV_J02 code, not in the centre file

    @property
    def national_id(self) -> str:
        """IdNat_Struct: ``1`` + FINESS (extension under root 1.2.250.1.71.4.2.2)."""
        return "1" + self.finess


class Site(_Model):
    """A rare-disease site (code S### of the national list) and its name."""

    code: str = Field(min_length=2)
    name: str = Field(min_length=1)


class Person(_Model):
    """A person named in the header (the patient's legal representative, mother)."""

    family: str = Field(min_length=1)
    given: str | None = None


class Identity(_Model):
    """Identity traits and identifiers (CDA header, recordTarget)."""

    birth_name: str | None = None
    first_forename: str | None = None
    # All forenames of the birth certificate: the annexe identité, or the caller.
    birth_forenames: str | None = None
    used_forename: str | None = None  # annexe identité
    multiple_birth: bool | None = None  # annexe identité
    birth_order: int | None = Field(default=None, ge=1, le=9)
    guardian: Person | None = None  # représentant légal, annexe identité
    mother: Person | None = None  # mère de l'enfant, annexe identité v2 (informant MTH)
    used_name: str | None = None
    sex: Coded | None = None
    birth_date: PartialDate | None = None
    birthplace_insee: str | None = Field(default=None, pattern=r"^[0-9][0-9AB][0-9]{3}$")
    residence_insee: str | None = Field(default=None, pattern=r"^[0-9][0-9AB][0-9]{3}$")
    ipp: str | None = None
    ipp_oid: str = Field(pattern=OID_PATTERN)
    ins: str | None = Field(default=None, pattern=r"^[0-9]{15}$")
    ins_oid: str = Field(default=INS_NIR_OID, pattern=OID_PATTERN)
    # Qualified identity: the INS verified against the traits (export/ins.py::qualify).
    ins_qualified: bool = False

    @property
    def ins_sendable(self) -> bool:
        """INS qualified and every INS trait present (CI-SIS rule on the INS traits)."""
        traits = (self.birth_name, self.first_forename, self.birth_forenames, self.sex)
        return bool(
            self.ins
            and self.ins_qualified
            and all(traits)
            and self.birth_date
            and self.birthplace_insee
        )


class Consent(_Model):
    """Information of the patient, opposition (BNDMR warehouse), ERN registry consent."""

    informed: bool | None = None
    opposes_eds: bool | None = None
    consents_ern: bool | None = None


class Family(_Model):
    consanguinity: Answer | None = None
    first_case: Answer | None = None
    propositus_ipp: str | None = None
    # The first case's relationship, sex and disease (annexe identité et famille).
    propositus_relation: Coded | None = None
    propositus_sex: Coded | None = None
    propositus_disease: Coded | None = None


class VitalStatus(_Model):
    deceased: bool = False
    death_date: PartialDate | None = None
    death_due_to_disease: Answer | None = None
    lost_to_follow_up: bool = False


class PriseEnCharge(_Model):
    """Care of the patient by one rare-disease site (one per site)."""

    id: str = Field(pattern=UUID_PATTERN)
    inclusion_date: PartialDate | None = None
    site: Site
    referent: Practitioner | None = None
    outside_labelling: bool | None = None
    referred_by: tuple[Coded, ...] = ()
    subject: FetusSubject | None = None  # None: the patient (annexe grossesse v2)


class Activite(_Model):
    """One rare-disease activity (consultation, RCP, …)."""

    id: str = Field(pattern=UUID_PATTERN)
    source: str = Field(description="The sheet it comes from, for messages.")
    date: PartialDate | None = None
    site: Site | None = None
    responsable: Practitioner | None = None
    profession: Coded | None = None  # as written, even when no responsable could be named
    contexte: Coded | None = None
    objectifs: tuple[Coded, ...] = ()
    # Annexe génétique et clinique (activity of the fiche initiale only): the précision of
    # « Autre contexte » and the FINESS of the place of consultation when not the site's.
    contexte_precision: str | None = None
    place_finess: str | None = Field(default=None, pattern=r"^\d{9}$")
    subject: FetusSubject | None = None  # None: the patient (annexe grossesse v2)


class AgePrecision(_Model):
    value: int = Field(ge=0, le=999)
    unit: Coded  # UCUM: d, wk, mo, a


class Age(_Model):
    period: Coded | None = None
    precision: AgePrecision | None = None


class Gene(_Model):
    symbol: str
    hgnc: int = Field(ge=1)

    @property
    def coded(self) -> Coded:
        return Coded(code=f"HGNC:{self.hgnc}", system=HGNC_SYSTEM, display=self.symbol)


class Diagnostic(_Model):
    """One rare disease of the patient, with its status, ages and genetics."""

    id: str = Field(pattern=UUID_PATTERN)
    number: int = Field(ge=1)
    disease: Coded | None = None
    status: Coded | None = None
    date: PartialDate | None = None
    sporadic_familial: Coded | None = None
    age_first_signs: Age = Age()
    age_clinical: Age = Age()
    age_genetic: Age = Age()
    appreciation: Coded | None = None
    techniques: tuple[Coded, ...] = ()
    genes: tuple[Gene, ...] = ()
    cim10: Coded | None = None
    # Annexe génétique et clinique: HPO terms of the clinical description (MED-1284) and
    # the rare-disease site that made the diagnosis, when it is not this one.
    clinical: tuple[Coded, ...] = ()
    clinical_groups: tuple[Coded, ...] = ()  # MED-1284 as ORPHA groups (JDV_Orpha_Groupes-Maladies)
    diagnosing_site: Site | None = None
    other_technique: str | None = None  # précision of « Autre technique » (GEN-092.04.17)
    other_genetics: str | None = None  # MED-1287 Autres descriptions génétiques (text)
    # History (export/suivi.py): a diagnosis replaced by a fiche de suivi is closed on that
    # date; the new one names the diagnosis it revises.
    closed: PartialDate | None = None
    revises: str | None = None


class Neonatal(_Model):
    amp: Answer | None = None
    at_term: Answer | None = None
    gestational_age_weeks: int | None = Field(default=None, ge=10, le=45)
    malformation: Coded | None = None
    weight_g: int | None = Field(default=None, ge=1, le=9999)
    length_cm: int | None = Field(default=None, ge=1, le=99)
    head_circumference_cm: int | None = Field(default=None, ge=1, le=99)

    @property
    def empty(self) -> bool:
        return all(v is None for v in self.model_dump().values())


class Research(_Model):
    contact_agreement: Answer | None = None
    sample_research: Answer | None = None
    sample_diagnosis: Answer | None = None
    biobanks: str | None = None  # GEN-344, annexe identité et famille

    @property
    def empty(self) -> bool:
        return all(v is None for v in self.model_dump().values())


ICF_SYSTEM = "2.16.840.1.113883.6.254"


class FunctionalScore(_Model):
    """One CIF (ICF) evaluation of the annexe statut fonctionnel: category and qualifier,
    sent as the code ``b117.3`` (section FR-Statut-fonctionnel, entry FR-Evaluation)."""

    id: str = Field(pattern=UUID_PATTERN)
    category: str = Field(pattern=r"^[bsde][0-9]{1,5}$")
    qualifier: Coded
    date: PartialDate | None = None

    @property
    def code(self) -> str:
        """The ICF code with its generic qualifier: ``b117.3``."""
        return f"{self.category}.{self.qualifier.code}"

    @property
    def text(self) -> str:
        """The narrative wording: ``CIF b117 : Déficience grave``."""
        return f"CIF {self.category} : {self.qualifier.display}"


class DocumentMeta(_Model):
    """Identifiers and dates of the document and of the patient's MR file (dossier)."""

    document_id: str = Field(pattern=UUID_PATTERN)
    set_id: str = Field(pattern=UUID_PATTERN)
    version: int = Field(ge=1)
    created_at: datetime
    dossier_id: str = Field(pattern=UUID_PATTERN)
    dossier_created: PartialDate
    dossier_updated: datetime

    @field_validator("created_at", "dossier_updated")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("une date et heure avec fuseau horaire est attendue")
        return value


class Problem(_Model):
    """Why a record cannot be exported: which patient, which item, why (French)."""

    patient: str
    item: str
    reason: str

    def __str__(self) -> str:
        return f"{self.patient} — {self.item} : {self.reason}"


class ExportPatient(_Model):
    """One patient as exported to BaMaRa: header data, sections, document metadata."""

    meta: DocumentMeta
    custodian: Organisation
    author: Practitioner | None = None
    general_practitioner: Practitioner | None = None  # médecin traitant, annexe identité
    identity: Identity
    consent: Consent = Consent()
    family: Family = Family()
    vital: VitalStatus = VitalStatus()
    prises_en_charge: tuple[PriseEnCharge, ...] = ()
    activites: tuple[Activite, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    neonatal: Neonatal = Neonatal()
    research: Research = Research()
    functional_status: tuple[FunctionalScore, ...] = ()
    pregnancies: tuple[Pregnancy, ...] = ()  # annexe grossesse et fœtus
    treatments: tuple[Treatment, ...] = ()  # annexe traitements
    comment: str | None = None
    # Values read on the sheets that could not be resolved (bad key, impossible date, …).
    anomalies: tuple[Problem, ...] = ()
    # Values left out of the document for a person to check (not blocking: unknown gene).
    to_review: tuple[Problem, ...] = ()
    # Values a reviewer confirmed (field ids; ids of activities and diagnoses whose date
    # was confirmed): an unusual date order among them is not refused.
    reviewed: tuple[str, ...] = ()

    @property
    def current_diagnosis(self) -> Diagnostic | None:
        """Diagnosis 1 as revised by the fiches de suivi (the last of its history)."""
        current = self.diagnostics[0] if self.diagnostics else None
        while current is not None:
            later = next((d for d in self.diagnostics if d.revises == current.id), None)
            if later is None:
                break
            current = later
        return current

    @property
    def label(self) -> str:
        """How messages name the patient: IPP and birth name."""
        ident = self.identity
        name = " ".join(p for p in (ident.birth_name, ident.first_forename) if p)
        ipp = f"IPP {ident.ipp}" if ident.ipp else "IPP inconnu"
        return f"Patient {ipp}" + (f" ({name})" if name else "")
