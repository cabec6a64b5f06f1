"""Build an :class:`ExportPatient` from committed form data (fiche initiale + fiches de suivi).

Each sheet is a ``{field id: value}`` mapping as committed after review: a code for a
single choice, a list of codes for a multiple choice, True/False for a check box, a
string for written digits/letters/codes, ``YYYY[-MM[-DD]]`` for a date, None when empty.

Identifiers of the prise en charge, activities and diagnoses are stable UUIDs derived from
the establishment, the IPP and the sheet, so that successive exports of the same patient
update the same BaMaRa objects instead of creating new ones.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from bordereau import clock
from bordereau.errors import UsageError
from bordereau.export._values import SheetReader, coded, nir_key_ok
from bordereau.export.annexes import (
    Annex,
    family_complement,
    functional_status,
    genetics_complement,
    identity_complement,
    latest_identity_annex,
    pregnancies,
)
from bordereau.export.ins import qualify
from bordereau.export.model import (
    FACILITY_TYPE_SYSTEM,
    FACILITY_TYPES,
    OID_PATTERN,
    Activite,
    Age,
    AgePrecision,
    Coded,
    Consent,
    Diagnostic,
    DocumentMeta,
    ExportPatient,
    Family,
    Gene,
    Identity,
    Neonatal,
    Organisation,
    PartialDate,
    Practitioner,
    PriseEnCharge,
    Problem,
    Research,
    Site,
    VitalStatus,
    stable_id,
)
from bordereau.export.subjects import fetus_subjects, mother
from bordereau.export.suivi import same_patient, update_diagnoses, update_vital
from bordereau.export.treatments import treatments
from bordereau.forms.centre import Centre, Referent
from bordereau.forms.model import load_form
from bordereau.templates.hgnc import SOURCE_DATE, hgnc_table

_INSEE = r"[0-9][0-9AB][0-9]{3}"
# A committed fiche de suivi: (values, committed_at) or (values, committed_at, reviewed fields).
Suivi = tuple[Mapping[str, object], datetime] | tuple[
    Mapping[str, object], datetime, Collection[str]]


def practitioner(referent: Referent, profession_code: str | None = None) -> Practitioner:
    """A centre referent as a Practitioner: "Dr Claire Moreau" → DR, Claire, Moreau.

    The first word after the title is taken as the forename and the rest as the family
    name, so compound family names ("Le Gall") stay whole.
    """
    words = referent.nom.split()
    title = None
    if words and words[0].rstrip(".").upper() in {"DR", "PR"}:
        title = "DR" if words.pop(0).rstrip(".").upper() == "DR" else "PR"
    given = words.pop(0) if len(words) > 1 else None
    profession = coded("profession", profession_code) if profession_code else None
    return Practitioner(
        rpps=referent.rpps,
        family=" ".join(words) or referent.nom,
        given=given,
        title=title,
        profession=profession,
    )


def _age(reader: SheetReader, item: str) -> Age:
    period = reader.choice(item, "age")
    value = reader.integer(f"{item}_valeur", 0, 999)
    unit = reader.choice(f"{item}_unite", "unite_age")
    if value is not None and unit is None:
        reader.note(f"{item}_unite", "unité de l’âge manquante (jours, semaines, mois ou ans)")
    precision = AgePrecision(value=value, unit=unit) if value is not None and unit else None
    return Age(period=period, precision=precision)


def _genes(reader: SheetReader, items: tuple[str, ...] = ("gene1", "gene2")
           ) -> tuple[Gene, ...]:
    """Any approved HGNC symbol (the centre's list first, then the shipped HGNC list); an
    unknown symbol is left out of the document and listed for review, never blocking."""
    genes: list[Gene] = []
    for item in items:
        symbol = reader.text(item)
        if symbol is None:
            continue
        local = next((g for g in reader.centre.genes if g.symbole == symbol.upper()), None)
        found = (local.symbole, local.hgnc) if local else hgnc_table().lookup(symbol)
        if found is None:
            newer = hgnc_table().replaced_by(symbol)
            hint = f" (ancien symbole de {', '.join(newer)})" if newer else ""
            reader.flag(item, f"gène « {symbol} » absent des symboles HGNC approuvés "
                              f"({SOURCE_DATE}){hint} : gène non transmis, à vérifier")
        elif all(g.hgnc != found[1] for g in genes):
            genes.append(Gene(symbol=found[0], hgnc=found[1]))
    return tuple(genes)


def _diagnostic(reader: SheetReader, number: int, key: str) -> Diagnostic:
    return Diagnostic(
        id=stable_id(key, f"diagnostic{number}"),
        number=number,
        disease=reader.disease("maladie", "code_orpha"),
        status=reader.choice("statut", "statut_diagnostic"),
        date=reader.date("date"),
        sporadic_familial=reader.choice("cas", "cas_sporadique_familial"),
        age_first_signs=_age(reader, "age_premiers_signes"),
        age_clinical=_age(reader, "age_diagnostic"),
        age_genetic=_age(reader, "age_diagnostic_genetique"),
        appreciation=reader.choice("appreciation", "appreciation_diagnostic"),
        techniques=reader.choices("techniques", "techniques_diagnostic"),
        genes=_genes(reader),
        cim10=reader.cim10("cim10"),
    )


def _activite(
    reader: SheetReader, key: str, sheet: str, referent: Practitioner | None, site: Site
) -> Activite:
    """The activity of a sheet; ``sheet`` names the sheet in its stable id."""
    profession = reader.choice("activite.profession", "profession")
    chosen = reader.referent("activite.responsable")
    responsable = practitioner(chosen) if chosen is not None else None
    if responsable is None and reader.raw("activite.responsable") is None and referent:
        # "Laisser vide si c'est le médecin référent": only when the profession written is
        # the referent's (médecin); never the referent coded as another profession.
        same = profession is None or referent.profession is None \
            or profession.code == referent.profession.code
        responsable = referent if same else None
    if responsable is not None:
        responsable = responsable.model_copy(update={"profession": profession})
    return Activite(
        id=stable_id(key, "activite", sheet),
        source=reader.source,
        date=reader.date("activite.date"),
        site=site,
        responsable=responsable,
        profession=profession,
        contexte=reader.choice("activite.contexte", "contexte_activite"),
        objectifs=reader.choices("activite.objectifs", "objectif_activite"),
    )


def _identity(reader: SheetReader, ipp_oid: str) -> Identity:
    ins = reader.digits("patient.ins", r"[0-9]{15}", "matricule INS (15 chiffres)")
    if ins is not None and not nir_key_ok(ins):
        reader.note("patient.ins", f"la clé du matricule INS « {ins} » est fausse")
        ins = None
    return Identity(
        birth_name=reader.text("patient.nom_naissance"),
        first_forename=reader.text("patient.premier_prenom"),
        used_name=reader.text("patient.nom_utilise"),
        sex=reader.choice("patient.sexe", "sexe"),
        birth_date=reader.date("patient.date_naissance"),
        birthplace_insee=reader.digits("patient.lieu_naissance", _INSEE, "code INSEE"),
        residence_insee=reader.digits("patient.commune_residence", _INSEE, "code INSEE"),
        ipp=reader.digits("patient.ipp", r"[0-9A-Za-z]{1,20}", "IPP"),
        ipp_oid=ipp_oid,
        ins=ins,
    )


def patient_from_sheets(
    initiale: Mapping[str, object],
    suivis: Sequence[Suivi],
    centre: Centre,
    *,
    ipp_oid: str,
    initiale_at: datetime | None = None,
    created_at: datetime | None = None,
    document_id: str | None = None,
    version: int = 1,
    ins_qualified: bool | None = None,
    birth_forenames: str | None = None,
    facility_type: str | None = None,
    reviewed: Collection[str] = (),
    annexes: Sequence[Annex] = (),
) -> ExportPatient:
    """Build the export patient of one fiche initiale and its fiches de suivi.

    ``ipp_oid`` is the OID root of the establishment's IPP (not in the centre file).
    ``initiale_at`` dates the fiche initiale (creation of the MR file, defaults to the
    activity date); ``created_at`` the document (defaults to now); ``version`` is the
    document version number. The INS is sent as a qualified identity only when its traits
    match (``export/ins.py``: sex, year and month, place of birth, first forename) and every
    INS trait is known, including ``birth_forenames`` (all forenames of the birth
    certificate: written on the annexe identité et famille, or given by the caller, which
    wins); ``ins_qualified=False`` (the establishment says the
    identity is not qualified) never sends it. ``facility_type`` is the JDV_J02
    type of the establishment (``SA01`` public, ``SA03`` private PSPH, …), not in the centre
    file either. Suivis are applied in date order; each is ``(values, committed_at)`` or
    ``(values, committed_at, reviewed)``. ``reviewed`` names the fields of a sheet whose value
    a reviewer confirmed (accepted or corrected): an unusual date order between such dates,
    or a first-case IPP next to « premier cas : Oui », is then exported, not refused.
    """
    if not re.fullmatch(OID_PATTERN, ipp_oid):
        raise UsageError(f"OID racine des IPP incorrect : « {ipp_oid} ».")
    if facility_type is not None and facility_type not in FACILITY_TYPES:
        known = ", ".join(FACILITY_TYPES)
        raise UsageError(f"Type d’établissement inconnu « {facility_type} » (attendu : {known}).")
    now = created_at or clock.now()
    reader = SheetReader(initiale, load_form("initiale"), centre, "fiche initiale")
    identity_annex = latest_identity_annex(annexes, centre)
    complement, doctor = identity_complement(identity_annex)
    family_extra = family_complement(identity_annex, centre)
    complement_readers = [identity_annex] if identity_annex else []
    complement |= {"mother": mum} if (mum := mother(identity_annex)) else {}
    if birth_forenames:
        complement["birth_forenames"] = birth_forenames
    identity = qualify(_identity(reader, ipp_oid).model_copy(update=complement),
                       ins_qualified)
    key = "|".join((centre.etablissement.finess, ipp_oid, identity.ipp or "?"))
    site = Site(code=centre.site.code, name=centre.site.nom)

    chosen_referent = reader.referent("prise_en_charge.medecin_referent")
    referent = practitioner(chosen_referent, "G15_10") if chosen_referent else None
    prise_en_charge = PriseEnCharge(
        id=stable_id(key, "prise_en_charge", site.code),
        inclusion_date=reader.date("prise_en_charge.date_inclusion"),
        site=site,
        referent=referent,
        outside_labelling=reader.yes_no("prise_en_charge.hors_labellisation"),
        referred_by=reader.choices("prise_en_charge.adresse_par", "patient_adresse_par"),
    )
    activites = [_activite(reader, key, "initiale", referent, site)]
    genetics, genetics_readers = genetics_complement(annexes, centre)
    first = _diagnostic(reader.block("diagnostic1"), 1, key)
    for annex in genetics_readers:
        more = _genes(annex.block("genetique"), ("gene3", "gene4"))
        genetics["genes"] = first.genes + tuple(
            g for g in more if all(g.hgnc != h.hgnc for h in first.genes))
        if genetics.get("other_technique") and "GEN-092.04.17" not in {
                t.code for t in first.techniques}:
            annex.flag("genetique.precision_technique", "précision « autre technique » sans "
                       "« Autre technique » cochée sur la fiche : non transmise")
            del genetics["other_technique"]
    activity = genetics.pop("activity", None)
    if isinstance(activity, dict):
        if activity.get("contexte_precision") and (
                activites[0].contexte is None or activites[0].contexte.code != "GEN-092.05.04"):
            genetics_readers[0].flag("activite.precision_contexte", "précision « autre "
                                     "contexte » sans « Autre contexte » coché : non transmise")
            activity.pop("contexte_precision")
        activites[0] = activites[0].model_copy(update=activity)
    diagnostics = [first.model_copy(update=genetics)]
    if reader.block("diagnostic2").filled():
        diagnostics.append(_diagnostic(reader.block("diagnostic2"), 2, key))
    vital = VitalStatus(
        deceased=bool(reader.yes_no("vital.decede")) or reader.raw("vital.date_deces") is not None,
        death_date=reader.date("vital.date_deces"),
        death_due_to_disease=reader.answer("vital.deces_lie_maladie"),
        lost_to_follow_up=bool(reader.yes_no("vital.perdu_de_vue")),
    )
    anomalies, to_review = reader.anomalies, reader.to_review
    confirmed = set(reviewed)
    if "activite.date" in confirmed:
        confirmed.add(activites[0].id)
    confirmed |= {d.id for d in diagnostics if f"diagnostic{d.number}.date" in confirmed}
    updated = [initiale_at] if initiale_at else []
    suivi_form = load_form("suivi")
    for data, at, *extra in sorted(suivis, key=lambda s: s[1]):
        sheet = SheetReader(data, suivi_form, centre, f"fiche de suivi du {at:%d/%m/%Y}")
        same_patient(sheet, identity)
        name = f"suivi {at.isoformat()}"
        activite = _activite(sheet, key, name, referent, site)
        activites.append(activite)
        if extra and "activite.date" in extra[0]:
            confirmed.add(activite.id)
        vital = update_vital(sheet, vital)
        when = activite.date or PartialDate.model_validate(at.astimezone().date())
        diagnostics = update_diagnoses(sheet, diagnostics, key=key, sheet=name, when=when,
                                       birth=identity.birth_date)
        anomalies.extend(sheet.anomalies)
        to_review.extend(sheet.to_review)
        updated.append(at)

    if identity_annex and any(k.startswith("propositus_") for k in family_extra) and (
            reader.answer("famille.premier_cas") != "non"
            or reader.raw("famille.ipp_premier_cas") is None):
        identity_annex.flag("premier_cas.lien", "premier cas de la famille décrit sur l’annexe, "
                            "mais la fiche ne dit pas « premier cas : Non » avec son IPP : "
                            "non transmis")
    scores, annex_readers = functional_status(annexes, centre, key)
    pregnancy_list, pregnancy_readers = pregnancies(annexes, centre, key)
    treatment_list, treatment_readers = treatments(annexes, centre, key)
    on_activity, on_care, subject_problems = fetus_subjects(pregnancy_list)
    activites[0] = activites[0].model_copy(update={"subject": on_activity})
    prise_en_charge = prise_en_charge.model_copy(update={"subject": on_care})
    anomalies.extend(subject_problems)
    for annex in (annex_readers + complement_readers + genetics_readers + pregnancy_readers
                  + treatment_readers):
        anomalies.extend(annex.anomalies)
        to_review.extend(annex.to_review)
    first_activity = activites[0].date
    opened = initiale_at.date() if initiale_at else None
    meta = DocumentMeta(
        document_id=(document_id or str(uuid.uuid4())).upper(),
        set_id=stable_id(key, "document"),
        version=version,
        created_at=now,
        dossier_id=stable_id(key, "dossier"),
        dossier_created=PartialDate.model_validate(opened or first_activity or now.date()),
        dossier_updated=max(updated, default=now),
    )
    patient = ExportPatient(
        meta=meta,
        custodian=Organisation(
            finess=centre.etablissement.finess,
            name=centre.etablissement.nom,
            facility_type=Coded(
                code=facility_type,
                system=FACILITY_TYPE_SYSTEM,
                display=FACILITY_TYPES[facility_type],
            )
            if facility_type
            else None,
        ),
        author=referent,
        general_practitioner=doctor,
        identity=identity,
        consent=Consent(
            informed=reader.yes_no("opposition.information"),
            opposes_eds=reader.yes_no("opposition.opposition_eds"),
            consents_ern=reader.yes_no("opposition.consentement_ern"),
        ),
        family=Family(
            consanguinity=reader.answer("famille.consanguinite"),
            first_case=reader.answer("famille.premier_cas"),
            propositus_ipp=reader.digits("famille.ipp_premier_cas", r"[0-9A-Za-z]{1,20}", "IPP"),
            **{k: v for k, v in family_extra.items() if k.startswith("propositus_")},
        ),
        vital=vital,
        prises_en_charge=(prise_en_charge,),
        activites=tuple(activites),
        diagnostics=tuple(diagnostics),
        neonatal=Neonatal(
            amp=reader.answer("neonatal.amp"),
            at_term=reader.answer("neonatal.terme"),
            gestational_age_weeks=reader.integer("neonatal.age_gestationnel", 10, 45),
            malformation=reader.choice("neonatal.malformation", "malformation_antenatale"),
            weight_g=reader.integer("neonatal.poids", 1, 9999),
            length_cm=reader.integer("neonatal.taille", 1, 99),
            head_circumference_cm=reader.integer("neonatal.perimetre_cranien", 1, 99),
        ),
        research=Research(
            contact_agreement=reader.answer("recherche.accord_contact"),
            sample_research=reader.answer("recherche.echantillon_recherche"),
            sample_diagnosis=reader.answer("recherche.echantillon_diagnostic"),
            biobanks=family_extra.get("biobanks"),
        ),
        functional_status=scores,
        pregnancies=pregnancy_list,
        treatments=treatment_list,
        comment=reader.text("commentaire.texte"),
    )
    def problems(pairs: list[tuple[str, str]]) -> tuple[Problem, ...]:
        return tuple(Problem(patient=patient.label, item=i, reason=r) for i, r in pairs)

    return patient.model_copy(update={"anomalies": problems(anomalies),
                                      "to_review": problems(to_review),
                                      "reviewed": tuple(sorted(confirmed))})
