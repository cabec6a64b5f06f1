"""Random but realistic answers for a form layout, in the reader's output form.

``plan_sheet`` takes a layout, the centre and a seeded ``random.Random`` and returns one
:class:`~bordereau.simulate.truth.Answer` per field of the layout (empty ones included),
the deliberate inconsistencies it planted and the patient sticker, if any. Identity,
dates, diagnoses and ages are consistent with each other unless an anomaly says
otherwise; ambiguities (two marks, half-filled box, overwritten digit) carry
``expect="review"``.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field

from bordereau.forms.centre import Centre
from bordereau.forms.manifest import FieldLayout, Layout
from bordereau.simulate import names
from bordereau.simulate.annex_plans import AnnexPlans
from bordereau.simulate.anomalies import plant_ambiguity, plant_anomaly
from bordereau.simulate.answers import (
    Precision,
    boolean_answer,
    choice_answer,
    comb_answer,
    date_answer,
    empty_answer,
    multi_answer,
)
from bordereau.simulate.patients import Diagnosis, Patient, age_parts, between, make_patient
from bordereau.simulate.truth import Anomaly, Answer, PatientLabel

YES, NO, UNK = "Y", "N", "UNK"
EN_COURS, CONFIRME, INDETERMINE, PORTEUR, REFUTE = (
    "385651009",
    "255545003",
    "42425007",
    "24800002",
    "723511001",
)
ANTENATAL, NAISSANCE, A_L_AGE, POSTMORTEM, NON_DETERMINE, AUCUN = (
    "303112003",
    "255407002",
    "767023003",
    "303113008",
    "373068000",
    "MED-1288",
)
MEDECIN = "G15_10"


class FillOptions(BaseModel):
    """How full and how clean the simulated sheets are (probabilities)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    optional_sections: float = Field(0.4, ge=0, le=1)
    required_missing: float = Field(0.02, ge=0, le=1)
    inconsistency_rate: float = Field(0.1, ge=0, le=1)
    ambiguity_rate: float = Field(0.03, ge=0, le=1)
    cancel_rate: float = Field(0.04, ge=0, le=1)
    partial_date_rate: float = Field(0.08, ge=0, le=1)
    label_rate: float = Field(0.7, ge=0, le=1)


class _Planner(AnnexPlans):
    """Plans one sheet's answers; field ids decide what is written where."""

    patient: Patient

    def __init__(
        self, layout: Layout, centre: Centre, rng: random.Random, today: date, opts: FillOptions
    ) -> None:
        self.layout, self.centre, self.rng, self.today, self.opts = layout, centre, rng, today, opts
        self.fields = {f.id: f for f in layout.fields}
        self.answers = {f.id: empty_answer(f) for f in layout.fields}
        self.patient = make_patient(rng, centre, today)
        p = self.patient
        start = max(p.naissance, today - timedelta(days=3650))
        self.inclusion = between(rng, start, today)
        self.activity = min(self.inclusion + timedelta(days=rng.randint(0, 60)), today)
        if layout.form.kind == "suivi":
            self.activity = between(rng, max(p.naissance, today - timedelta(days=400)), today)
        self.deceased: date | None = None
        if rng.random() < (0.03 if layout.form.kind == "initiale" else 0.06):
            self.deceased = between(rng, self.activity, today)
        self.young = (today - p.naissance).days < 365 * 3

    # -- writing helpers ------------------------------------------------------------
    def has(self, field_id: str) -> bool:
        return field_id in self.fields

    def comb(self, field_id: str, text: str) -> None:
        field = self.fields.get(field_id)
        if field is not None and field.cells_mm and text:
            self.answers[field_id] = comb_answer(field, text)

    def put_date(self, field_id: str, when: date, precision: Precision = "day") -> None:
        field = self.fields.get(field_id)
        if field is not None:
            self.answers[field_id] = date_answer(field, when, precision)

    def choice(self, field_id: str, code: str | None = None) -> None:
        field = self.fields.get(field_id)
        if field is None or not field.choices:
            return
        codes = [c.code for c in field.choices]
        self.answers[field_id] = choice_answer(
            field, code if code in codes else self.rng.choice(codes)
        )

    def multi(self, field_id: str, most: int = 3) -> None:
        field = self.fields.get(field_id)
        if field is None or not field.choices:
            return
        codes = [c.code for c in field.choices]
        picks = self.rng.sample(codes, k=self.rng.randint(1, min(most, len(codes))))
        self.answers[field_id] = multi_answer(field, picks)

    def boolean(self, field_id: str, value: bool) -> None:
        field = self.fields.get(field_id)
        if field is not None:
            self.answers[field_id] = boolean_answer(field, value)

    def precision(self) -> Precision:
        r = self.rng.random()
        if r < self.opts.partial_date_rate / 2:
            return "year"
        return "month" if r < self.opts.partial_date_rate else "day"

    # -- sections -------------------------------------------------------------------
    def identity(self) -> None:
        p, rng = self.patient, self.rng
        self.choice("opposition.information", YES if rng.random() < 0.95 else NO)
        self.choice("opposition.opposition_eds", NO if rng.random() < 0.93 else YES)
        self.choice("opposition.consentement_ern", rng.choice([YES, YES, NO]))
        self.comb("patient.nom_naissance", p.nom)
        self.comb("patient.premier_prenom", p.prenom)
        if p.nom_utilise:
            self.comb("patient.nom_utilise", p.nom_utilise)
        self.choice("patient.sexe", p.sexe)
        self.put_date("patient.date_naissance", p.naissance)
        self.comb("patient.lieu_naissance", p.lieu)
        self.comb("patient.commune_residence", p.commune)
        self.comb("patient.ipp", p.ipp)
        if rng.random() < 0.4:
            self.comb("patient.ins", p.nir)
        self.choice("famille.consanguinite", rng.choice([NO, NO, NO, YES, UNK]))
        first = rng.choice([YES, YES, NO, UNK])
        self.choice("famille.premier_cas", first)
        if first == NO and rng.random() < 0.6:
            other = "".join(rng.choice("0123456789") for _ in p.ipp)
            self.comb("famille.ipp_premier_cas", other)

    def vital(self) -> None:
        self.boolean("vital.decede", self.deceased is not None)
        if self.deceased is not None:
            self.put_date("vital.date_deces", self.deceased, self.precision())
            self.choice("vital.deces_lie_maladie", self.rng.choice([YES, NO, UNK]))
        self.boolean("vital.perdu_de_vue", self.deceased is None and self.rng.random() < 0.05)

    def care(self) -> None:
        rng = self.rng
        self.put_date("prise_en_charge.date_inclusion", self.inclusion)
        self.choice("prise_en_charge.medecin_referent")
        self.choice("prise_en_charge.hors_labellisation", NO if rng.random() < 0.9 else YES)
        self.multi("prise_en_charge.adresse_par", most=2)
        self.put_date("activite.date", self.activity)
        self.choice("activite.contexte")
        self.multi("activite.objectifs")
        if rng.random() < 0.4:
            self.choice("activite.responsable")
        self.choice("activite.profession", MEDECIN if rng.random() < 0.8 else None)

    def diagnosis(self, prefix: str) -> None:
        rng, p = self.rng, self.patient
        thesaurus = [str(m.orpha) for m in self.centre.thesaurus]
        roll = rng.random()
        maladie = rng.choice(thesaurus) if roll < 0.65 else None
        orpha = rng.choice(names.OTHER_ORPHA) if 0.65 <= roll < 0.85 else None
        if maladie or orpha:
            statut = rng.choices([CONFIRME, EN_COURS, PORTEUR, INDETERMINE], [70, 15, 5, 10])[0]
        else:
            statut = rng.choices([EN_COURS, INDETERMINE, REFUTE], [60, 30, 10])[0]
        when = between(rng, p.naissance, self.activity)
        signs = between(rng, p.naissance, when)
        d = Diagnosis(maladie, orpha, statut, when, signs)
        if d.maladie:
            self.choice(f"{prefix}.maladie", d.maladie)
        if d.orpha:
            self.comb(f"{prefix}.code_orpha", d.orpha)
        self.choice(f"{prefix}.statut", d.statut)
        if rng.random() < 0.8:
            self.put_date(
                f"{prefix}.date", d.when, "year" if rng.random() < 0.3 else self.precision()
            )
        self.choice(f"{prefix}.cas", rng.choice(["75741005", "255401001"]))
        self.age(f"{prefix}.age_premiers_signes", d.signs)
        self.age(f"{prefix}.age_diagnostic", d.when)
        genetic = rng.random() < 0.5
        if genetic:
            self.age(f"{prefix}.age_diagnostic_genetique", d.when)
            self.multi(f"{prefix}.techniques", most=2)
            genes = [g.symbole for g in self.centre.genes] or list(names.HGNC_SYMBOLS)
            self.comb(f"{prefix}.gene1", rng.choice(genes))
            if rng.random() < 0.2:
                self.comb(f"{prefix}.gene2", rng.choice(names.HGNC_SYMBOLS))
        self.choice(f"{prefix}.appreciation")
        if rng.random() < 0.3:
            self.comb(f"{prefix}.cim10", rng.choice(names.CIM10))

    def age(self, field_id: str, at: date) -> None:
        if not self.has(field_id):
            return
        rng = self.rng
        period = rng.choices(
            [A_L_AGE, NAISSANCE, ANTENATAL, NON_DETERMINE, AUCUN], [70, 12, 6, 8, 4]
        )[0]
        self.choice(field_id, period)
        if period == A_L_AGE:
            value, unit = age_parts(self.patient.naissance, at)
            self.comb(f"{field_id}_valeur", value)
            self.choice(f"{field_id}_unite", unit)

    def neonatal(self) -> None:
        rng = self.rng
        self.choice("neonatal.amp", rng.choice([NO, NO, NO, YES, UNK]))
        term = rng.choice([YES, YES, NO, UNK])
        self.choice("neonatal.terme", term)
        if term == NO:
            self.comb("neonatal.age_gestationnel", str(rng.randint(24, 36)))
        self.choice("neonatal.malformation")
        if rng.random() < 0.8:
            self.comb("neonatal.poids", str(rng.randint(900, 4300)))
            self.comb("neonatal.taille", str(rng.randint(38, 54)))
            self.comb("neonatal.perimetre_cranien", str(rng.randint(28, 37)))

    def research(self) -> None:
        for suffix in ("accord_contact", "echantillon_recherche", "echantillon_diagnostic"):
            self.choice(f"recherche.{suffix}", self.rng.choice([YES, NO, UNK]))

    def comment(self, field: FieldLayout) -> None:
        rng = self.rng
        pool = names.COMMENTS_ACCENTED if rng.random() < 0.5 else names.COMMENTS
        text = " ".join(rng.sample(pool, k=rng.randint(1, 3)))
        self.answers[field.id] = Answer(kind=field.kind, value=text, text=text)

    def generic(self, field: FieldLayout) -> None:
        """Fields this planner has no special knowledge of: a plausible value by kind."""
        rng = self.rng
        if field.kind == "single_choice":
            self.choice(field.id)
        elif field.kind == "multi_choice":
            self.multi(field.id)
        elif field.kind == "boolean":
            self.boolean(field.id, rng.random() < 0.3)
        elif field.kind == "date":
            self.put_date(field.id, between(rng, self.patient.naissance, self.today))
        elif field.kind == "free_text":
            self.comment(field)
        elif field.cells_mm:
            n = len(field.cells_mm)
            alphabet = {"letters": "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}.get(field.kind, "0123456789")
            self.comb(field.id, "".join(rng.choice(alphabet) for _ in range(rng.randint(1, n))))

    # -- whole sheet ----------------------------------------------------------------
    def plan(self) -> tuple[dict[str, Answer], list[Anomaly], PatientLabel | None]:
        rng, opts = self.rng, self.opts
        optional = {f.section for f in self.layout.fields if f.optional_section}
        filled = {f.section for f in self.layout.fields} - optional
        filled |= {s for s in sorted(optional - LATER) if rng.random() < opts.optional_sections}
        filled |= {s for s in sorted(optional & LATER)
                   if self.side_rng(s).random() < opts.optional_sections}
        if "neonatal" in optional and self.young and rng.random() < 0.6:
            filled.add("neonatal")
        self.identity()
        self.complement(filled)
        self.genetics()
        self.pregnancy(twins="foetus2" in filled)
        self.treatments(sorted(s for s in filled if s.startswith("traitement")))
        self.vital()
        self.care()
        for section in sorted(filled):
            if self.has(f"{section}.statut"):
                self.diagnosis(section)
            elif self.has(f"{section}.qualificatif"):
                self.functional(section)
        if "neonatal" in filled:
            self.neonatal()
        if "recherche" in filled:
            self.research()
        for field in self.layout.fields:
            if field.section not in filled or self.answers[field.id].written:
                continue
            if field.kind == "free_text" or (
                field.required and field.kind not in {"label_zone", "boolean"}
            ):
                self.generic(field)  # comments, and required fields this planner ignores
        for field in self.layout.fields:
            answer = self.answers[field.id]
            if field.required and answer.written and rng.random() < opts.required_missing:
                self.answers[field.id] = empty_answer(field)
        label = self.sticker()
        anomalies: list[Anomaly] = []
        if rng.random() < opts.inconsistency_rate:
            anomaly = plant_anomaly(self.layout, self.answers, rng, self.today, label)
            if anomaly is not None:
                anomalies.append(anomaly)
        protected = frozenset(f for a in anomalies for f in a.fields)
        plant_ambiguity(
            self.layout, self.answers, rng, opts.ambiguity_rate, opts.cancel_rate, protected
        )
        return self.answers, anomalies, label

    def sticker(self) -> PatientLabel | None:
        zone = next((f for f in self.layout.fields if f.kind == "label_zone"), None)
        if zone is None or self.rng.random() >= self.opts.label_rate:
            return None
        p = self.patient
        label = PatientLabel(
            nom=p.nom,
            prenom=p.prenom.title(),
            date_naissance=p.naissance.isoformat(),
            sexe=p.sexe,
            ipp=p.ipp,
            symbology=self.rng.choices(["code128", "datamatrix", "qr"], [80, 12, 8])[0],
        )
        self.answers[zone.id] = Answer(kind=zone.kind, value=p.ipp, label=label)
        return label


# Optional sections added to a form after simulated batches were fixed by their seeds (the
# tests' recordings, the benchmarks): drawn on a generator of their own (``side_rng``), so
# every other value of a batch stays as it was (issue 12: the mother, annexe identité v2).
LATER = frozenset({"mere"})


def plan_sheet(
    layout: Layout,
    centre: Centre,
    rng: random.Random,
    *,
    today: date | None = None,
    options: FillOptions | None = None,
) -> tuple[dict[str, Answer], list[Anomaly], PatientLabel | None]:
    """Answers for every field of ``layout`` (empty ones too), planted anomalies, sticker."""
    planner = _Planner(layout, centre, rng, today or date.today(), options or FillOptions())
    return planner.plan()
