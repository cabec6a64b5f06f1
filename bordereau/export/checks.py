"""What a record needs before it can become a valid SDM-MR 2024.01 document.

``check_exportable`` names, in French, each required item that is missing or unusable
(blocking); ``export_notes`` names what will be sent in the narrative text only, without a
coded entry (not blocking).
"""

from __future__ import annotations

from bordereau.export.consistency import check_date_orders, check_first_case
from bordereau.export.ins import ins_note
from bordereau.export.model import Activite, Age, Diagnostic, ExportPatient, Problem
from bordereau.export.plausibility import check_plausibility

# Statuses that may go without a disease code (SNOMED CT: en cours, équivoque).
STATUSES_WITHOUT_CODE = frozenset({"385651009", "42425007"})
MISSING = "obligatoire, non renseigné"
MEDECIN = "G15_10"  # profession « Médecin » (JDV_Profession_SDMMR)


def _diagnostic(diag: Diagnostic, add: _Adder) -> None:
    name = f"Diagnostic {diag.number}"
    if diag.status is None:
        add(f"{name} — Statut actuel du diagnostic", MISSING)
    elif diag.disease is None and diag.status.code not in STATUSES_WITHOUT_CODE:
        add(
            f"{name} — Maladie rare (code ORPHA)",
            f"obligatoire quand le statut est « {diag.status.text} » "
            "(seuls « En cours » et « Indéterminé » permettent de ne pas coder la maladie)",
        )
    ages: tuple[tuple[str, Age], ...] = (
        ("Âge aux premiers signes", diag.age_first_signs),
        ("Âge au diagnostic clinique", diag.age_clinical),
    )
    for label, age in ages:
        if age.period is None:
            add(f"{name} — {label}", MISSING)
    if diag.appreciation is None:
        add(f"{name} — Appréciation du diagnostic à l’entrée dans le centre", MISSING)


def _activite(act: Activite, add: _Adder) -> None:
    name = f"Activité ({act.source})"
    if act.date is None:
        add(f"{name} — Date de l’activité", MISSING)
    if act.contexte is None:
        add(f"{name} — Contexte", MISSING)
    if not act.objectifs:
        add(f"{name} — Objectif(s)", "au moins un objectif est obligatoire")
    if act.responsable is None and act.profession is not None and act.profession.code != MEDECIN:
        add(f"{name} — Responsable de l’activité",
            f"non renseigné alors que la profession est « {act.profession.text} » : le médecin "
            "référent ne peut pas en tenir lieu (le volet exige l’intervenant de l’activité) ; "
            "indiquer le responsable (RPPS) sur la fiche ou en vérification")
    elif act.responsable is None:
        add(f"{name} — Responsable de l’activité", "inconnu (ni responsable ni médecin référent)")
    elif act.responsable.profession is None:
        add(f"{name} — Profession du responsable", MISSING)


class _Adder:
    def __init__(self, patient: ExportPatient) -> None:
        self.patient = patient.label
        self.problems: list[Problem] = []

    def __call__(self, item: str, reason: str) -> None:
        self.problems.append(Problem(patient=self.patient, item=item, reason=reason))


def check_exportable(patient: ExportPatient) -> list[Problem]:
    """Every reason why this patient cannot make a valid document (empty list: exportable)."""
    add = _Adder(patient)
    add.problems.extend(patient.anomalies)
    ident = patient.identity
    for label, value in (
        ("Nom de naissance", ident.birth_name),
        ("Premier prénom", ident.first_forename),
        ("Sexe", ident.sex),
        ("Date de naissance", ident.birth_date),
        ("IPP", ident.ipp),
    ):
        if value is None:
            add(f"Identité — {label}", MISSING)
    consent = patient.consent
    if consent.informed is None:
        add("Information du patient", MISSING)
    elif not consent.informed:
        add("Information du patient", "le patient doit être informé avant tout envoi à BaMaRa")
    if consent.opposes_eds is None:
        add("Opposition à la réutilisation dans l’entrepôt BNDMR", MISSING)
    if patient.author is None and all(pec.referent for pec in patient.prises_en_charge):
        add("Médecin référent (auteur du document)", MISSING)
    if patient.vital.deceased and patient.vital.death_date is None:
        add("Statut vital — Date du décès", "obligatoire quand le patient est décédé")
    if not patient.vital.deceased and patient.vital.death_due_to_disease == "oui":
        add(
            "Statut vital — Décès lié à la maladie rare",
            "« Oui » alors que le patient n’est pas décédé",
        )
    death, birth = patient.vital.death_date, ident.birth_date
    if death is not None and birth is not None and death.latest < birth.earliest:
        add("Statut vital — Date du décès", "antérieure à la date de naissance")
    if not patient.prises_en_charge:
        add("Prise en charge", "au moins une prise en charge est obligatoire")
    for pec in patient.prises_en_charge:
        name = f"Prise en charge ({pec.site.code})"
        if pec.inclusion_date is None:
            add(f"{name} — Date d’inclusion dans le site", MISSING)
        if pec.referent is None:
            add(f"{name} — Médecin référent", MISSING)
        if pec.outside_labelling is None:
            add(f"{name} — Prise en charge en dehors de la labellisation", MISSING)
        if not pec.referred_by:
            add(f"{name} — Patient adressé par", "au moins une réponse est obligatoire")
    if not patient.activites:
        add("Activité", "au moins une activité est obligatoire")
    for act in patient.activites:
        _activite(act, add)
    if not patient.diagnostics:
        add("Diagnostic", "au moins un diagnostic est obligatoire")
    for diag in patient.diagnostics:
        _diagnostic(diag, add)
    check_date_orders(patient, add)
    check_first_case(patient, add)
    check_plausibility(patient, add)
    return add.problems


def export_notes(patient: ExportPatient) -> list[Problem]:
    """Answers that go into the narrative text only, with no coded entry (not blocking)."""
    add = _Adder(patient)
    ident, neo = patient.identity, patient.neonatal
    ins = ins_note(ident)
    if ins is not None:
        add("Matricule INS", ins)
    if patient.custodian.facility_type is None:
        add(
            "Type d’établissement (JDV_J02)",
            "absent du fichier de centre : lieu de prise en charge sans code "
            "(exigé par les règles CI-SIS générales, pas par le volet SDM-MR)",
        )
    if patient.family.consanguinity in (None, "inconnu"):
        add("Union consanguine", "inconnue ou non renseignée : problème sans code (nullFlavor UNK)")
    if patient.family.first_case == "oui" and patient.family.propositus_ipp is not None \
            and patient.family.propositus_ipp == ident.ipp:
        add("Premier cas de la famille", "IPP du premier cas = IPP du patient (premier cas "
            "lui-même) : pas de section antécédents familiaux")
    if patient.family.first_case == "non" and patient.family.propositus_ipp is None:
        add("Premier cas de la famille", "IPP du premier cas absent : section non créée")
    if patient.vital.death_due_to_disease in ("non", "inconnu"):
        add("Décès lié à la maladie rare", "seul « Oui » a une entrée codée : texte seulement")
    if neo.malformation is not None and neo.gestational_age_weeks is None:
        add(
            "Malformation(s) anténatale(s)",
            "sans âge gestationnel, l’entrée codée n’est pas admise par les règles ANS : "
            "texte seulement",
        )
    if neo.amp == "inconnu":
        add(
            "Assistance médicale à la procréation",
            "« Ne sait pas » n’a pas de code : texte seulement",
        )
    if neo.at_term is not None:
        add("Naissance à terme", "pas d’entrée codée dans le volet (l’âge gestationnel l’est)")
    return add.problems
