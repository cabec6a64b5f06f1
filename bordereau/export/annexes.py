"""Export values of the annex sheets (``forms generate --annexe``), read like the fiches.

An annex is its own sheet, committed for a patient known by IPP; its values are read with
the same :class:`SheetReader` as the fiches, so a bad value is an anomaly, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from bordereau.export._values import SheetReader
from bordereau.export.model import (
    ORPHA_SYSTEM,
    Coded,
    Fetus,
    FunctionalScore,
    PartialDate,
    Person,
    Practitioner,
    Pregnancy,
    Site,
    stable_id,
)
from bordereau.export.model_pregnancy import BIRTH
from bordereau.forms.centre import Centre, luhn_ok
from bordereau.forms.model import load_form
from bordereau.templates.hpo_terms import SYSTEM as HPO_SYSTEM
from bordereau.templates.hpo_terms import hpo_table
from bordereau.templates.orpha_groups import SYSTEM as GROUP_SYSTEM
from bordereau.templates.orpha_groups import orpha_table

# (form kind, values, committed at) of one committed annex sheet.
Annex = tuple[str, Mapping[str, object], datetime]
CIF_BLOCKS = ("statut1", "statut2", "statut3", "statut4")
_CIF = re.compile(r"[BSDE][0-9]{1,5}")


def functional_status(annexes: Sequence[Annex], centre: Centre, key: str
                      ) -> tuple[tuple[FunctionalScore, ...], list[SheetReader]]:
    """The CIF evaluations of every annexe statut fonctionnel, oldest sheet first, and the
    readers (whose anomalies the caller reports)."""
    form = load_form("annexe_statut")
    scores: list[FunctionalScore] = []
    readers = []
    for kind, values, at in sorted(annexes, key=lambda a: a[2]):
        if kind != "annexe_statut":
            continue
        sheet = SheetReader(values, form, centre, f"annexe statut fonctionnel du {at:%d/%m/%Y}")
        readers.append(sheet)
        for prefix in CIF_BLOCKS:
            block = sheet.block(prefix)
            if not block.filled():
                continue
            score = _score(block, key, at)
            if score is not None:
                scores.append(score)
    return tuple(scores), readers


def _score(block: SheetReader, key: str, at: datetime) -> FunctionalScore | None:
    raw = (block.text("code") or "").replace(".", "").replace(" ", "").upper()
    qualifier = block.choice("qualificatif", "qualificatif_cif")
    if not _CIF.fullmatch(raw):
        block.note("code", f"code CIF « {raw} » invalide (une lettre b, s, d ou e puis "
                           "1 à 5 chiffres)" if raw else "code CIF absent")
        return None
    if qualifier is None:
        block.note("qualificatif", f"qualificatif absent pour le code CIF {raw}")
        return None
    date = block.date("date") or PartialDate.model_validate(at.astimezone().date())
    return FunctionalScore(id=stable_id(key, "cif", raw, date.ts), category=raw.lower(),
                           qualifier=qualifier, date=date)


def latest_identity_annex(annexes: Sequence[Annex], centre: Centre) -> SheetReader | None:
    """The reader of the latest annexe identité et famille (None without one)."""
    latest = max((a for a in annexes if a[0] == "annexe_identite"), key=lambda a: a[2],
                 default=None)
    if latest is None:
        return None
    _, values, at = latest
    return SheetReader(values, load_form("annexe_identite"), centre,
                       f"annexe identité et famille du {at:%d/%m/%Y}")


def family_complement(sheet: SheetReader | None, centre: Centre) -> dict[str, object]:
    """Updates of the export :class:`Family` and :class:`Research` from the annex: the first
    case's relationship, sex and disease (``propositus_*``) and the biobanks."""
    if sheet is None:
        return {}
    code = sheet.raw("premier_cas.code_orpha")
    disease = None
    if code is not None:
        text = str(code).lstrip("0")
        if not re.fullmatch(r"[1-9][0-9]{0,6}", text):
            sheet.note("premier_cas.code_orpha", f"code ORPHA incorrect : « {code} »")
        else:
            entry = next((m for m in centre.thesaurus if str(m.orpha) == text), None)
            label = entry.libelle if entry else ""
            disease = Coded(code=text, system=ORPHA_SYSTEM, display=label, label=label)
    updates = {
        "propositus_relation": sheet.choice("premier_cas.lien", "lien_parente"),
        "propositus_sex": sheet.choice("premier_cas.sexe", "sexe"),
        "propositus_disease": disease,
        "biobanks": _names(sheet.text("biobanque.nom")),
    }
    return {k: v for k, v in updates.items() if v is not None}


def identity_complement(sheet: SheetReader | None
                        ) -> tuple[dict[str, object], Practitioner | None]:
    """What the latest annexe identité et famille adds: updates of the export
    :class:`Identity` (birth-certificate forenames, used forename, multiple birth and rank,
    legal representative) and the médecin traitant."""
    if sheet is None:
        return {}, None
    multiple = sheet.yes_no("identite.naissance_multiple")
    rank = sheet.integer("identite.rang", 1, 9)
    if rank is not None and multiple is False:
        sheet.note("identite.rang", "rang de naissance donné pour une naissance non multiple")
    updates: dict[str, object] = {
        "birth_forenames": _names(sheet.text("identite.prenoms_acte")),
        "used_forename": _names(sheet.text("identite.prenom_utilise")),
        "multiple_birth": multiple if multiple is not None else (True if rank else None),
        "birth_order": rank if multiple is not False else None,
    }
    family = _names(sheet.text("representant.nom_naissance"))
    if family:
        updates["guardian"] = Person(family=family,
                                     given=_names(sheet.text("representant.premier_prenom")))
    doctor = None
    rpps = sheet.digits("medecin_traitant.rpps", r"[0-9]{11}", "n° RPPS (11 chiffres)")
    name = _names(sheet.text("medecin_traitant.nom"))
    if rpps is not None and not luhn_ok(rpps):
        sheet.note("medecin_traitant.rpps", f"la clé du n° RPPS « {rpps} » est fausse")
    elif rpps is not None and name is None:
        sheet.note("medecin_traitant.nom", "nom du médecin traitant absent")
    elif rpps is not None and name is not None:
        doctor = Practitioner(rpps=rpps, family=name,
                              given=_names(sheet.text("medecin_traitant.prenom")))
    elif name is not None:
        sheet.note("medecin_traitant.rpps", "n° RPPS du médecin traitant absent")
    return {k: v for k, v in updates.items() if v is not None}, doctor


def _names(text: str | None) -> str | None:
    """Comb letters as a name: spaces collapsed, None when empty."""
    if text is None:
        return None
    return " ".join(text.split()) or None


def genetics_complement(annexes: Sequence[Annex], centre: Centre
                        ) -> tuple[dict[str, object], list[SheetReader]]:
    """Updates of diagnosis 1 from the latest annexe génétique et clinique: HPO terms
    (``clinical``), ORPHA groups (``clinical_groups``) and the site that made the diagnosis
    (``diagnosing_site``)."""
    latest = max((a for a in annexes if a[0] == "annexe_genetique"), key=lambda a: a[2],
                 default=None)
    if latest is None:
        return {}, []
    _, values, at = latest
    sheet = SheetReader(values, load_form("annexe_genetique"), centre,
                        f"annexe génétique et clinique du {at:%d/%m/%Y}")
    updates: dict[str, object] = {"clinical": hpo_terms(sheet),
                                  "clinical_groups": orpha_groups(sheet)}
    for item, field in (("precision_technique", "other_technique"),
                        ("autres_descriptions", "other_genetics")):
        text = _names(sheet.text(f"genetique.{item}"))
        if text:
            updates[field] = text
    activity: dict[str, object] = {}
    precision = _names(sheet.text("activite.precision_contexte"))
    if precision:
        activity["contexte_precision"] = precision
    finess = sheet.digits("activite.lieu_finess", r"[0-9]{9}", "n° FINESS (9 chiffres)")
    if finess is not None and not luhn_ok(finess):
        sheet.note("activite.lieu_finess", f"la clé du n° FINESS « {finess} » est fausse")
    elif finess is not None and finess != centre.etablissement.finess:
        activity["place_finess"] = finess
    if activity:
        updates["activity"] = activity
    site = sheet.digits("genetique.site_diagnostic", r"[A-Z][0-9]{3}", "code de site")
    name = _names(sheet.text("genetique.site_nom"))
    if site is not None and site != centre.site.code:
        if name is None:  # the volet wants the site's name with its code
            sheet.note("genetique.site_nom", f"nom du site {site} absent")
        else:
            updates["diagnosing_site"] = Site(code=site, name=name)
    return updates, [sheet]


def hpo_terms(sheet: SheetReader) -> tuple[Coded, ...]:
    """The HPO terms of the clinical description (MED-1284), with their label from the
    shipped HPO list (French where the HPO's translation gives one). An id that is no
    current term of the list (kept by a reviewer: obsolete, or newer than the list) is left
    out of the document for a person to check, as the ORPHA groups are."""
    table = hpo_table()
    found: list[Coded] = []
    for n in range(1, 5):
        item = f"genetique.hpo{n}"
        code = sheet.digits(item, r"[0-9]{7}", "terme HPO (7 chiffres)")
        if code is None:
            continue
        label = table.label(code)
        if label is None:
            sheet.flag(item, f"« HP:{code} » : {table.why_not(code)} ; non transmis")
        elif f"HP:{code}" not in {t.code for t in found}:
            found.append(Coded(code=f"HP:{code}", system=HPO_SYSTEM, display=label))
    return tuple(found)


def orpha_groups(sheet: SheetReader) -> tuple[Coded, ...]:
    """The ORPHA group codes of the clinical description (MED-1284), with their French name
    from the shipped list. A code that is no group of the list (kept by a reviewer: a group
    newer than the list, say) is left out of the document for a person to check."""
    table = orpha_table()
    found: list[Coded] = []
    for n in (1, 2):
        item = f"genetique.groupe_orpha{n}"
        code = sheet.digits(item, r"[0-9]{1,6}", "code de groupe ORPHA")
        if code is None:
            continue
        code = code.lstrip("0")
        name = table.group(code)
        if name is None:
            sheet.flag(item, f"« {code} » : {table.why_not(code)} ; non transmis")
        elif code not in {c.code for c in found}:
            found.append(Coded(code=code, system=GROUP_SYSTEM, display=name))
    return tuple(found)


FETUS_BLOCKS = ("foetus1", "foetus2")
_AFTER_END = ("grossesse sans date de fin : l’issue, l’âge gestationnel et la fœtopathologie "
              "s’écrivent une fois la grossesse terminée")


def pregnancies(annexes: Sequence[Annex], centre: Centre, key: str
                ) -> tuple[tuple[Pregnancy, ...], list[SheetReader]]:
    """The pregnancies of every annexe grossesse et fœtus, by start date (a later sheet of
    the same pregnancy, same start date, replaces an earlier one: printed during the
    pregnancy, then after its end), and the readers whose anomalies the caller reports."""
    form = load_form("annexe_grossesse")
    found: dict[str, tuple[Pregnancy, SheetReader]] = {}
    unread: list[SheetReader] = []
    for kind, values, at in sorted(annexes, key=lambda a: a[2]):
        if kind != "annexe_grossesse":
            continue
        sheet = SheetReader(values, form, centre, f"annexe grossesse et fœtus du {at:%d/%m/%Y}")
        start = sheet.date("grossesse.date_debut")
        if start is None:
            if sheet.raw("grossesse.date_debut") is None:
                sheet.note("grossesse.date_debut", "date de début de grossesse absente")
            unread.append(sheet)
            continue
        pregnancy = _pregnancy(sheet, start, stable_id(key, "grossesse", start.ts))
        if pregnancy is None:
            unread.append(sheet)
        else:
            found[start.ts] = (pregnancy, sheet)
    kept = sorted(found.values(), key=lambda p: p[0].start.earliest)
    return tuple(p for p, _ in kept), unread + [s for _, s in kept]


def _pregnancy(sheet: SheetReader, start: PartialDate, pid: str) -> Pregnancy | None:
    end = sheet.date("grossesse.date_fin")
    if end is not None and end.latest < start.earliest:
        sheet.note("grossesse.date_fin", f"fin de grossesse ({end.french}) avant son début "
                                         f"({start.french})")
        return None
    blocks = [(n, sheet.block(prefix)) for n, prefix in enumerate(FETUS_BLOCKS, 1)]
    described = [(n, block) for n, block in blocks if block.filled()]
    fetuses = [_fetus(block, n, pid, ended=end is not None) for n, block in described]
    count = sheet.integer("grossesse.nombre_foetus", 1, 9)
    if count is None:
        if sheet.raw("grossesse.nombre_foetus") is None:
            sheet.note("grossesse.nombre_foetus", "nombre de fœtus absent")
        return None
    if described and count < described[-1][0]:
        sheet.note("grossesse.nombre_foetus", f"nombre de fœtus ({count}) inférieur au "
                                              f"fœtus {described[-1][0]} décrit")
        return None
    return Pregnancy(id=pid, start=start, end=end, fetus_count=count,
                     amp=sheet.yes_no("grossesse.amp"), fetuses=tuple(fetuses))


def _fetus(block: SheetReader, number: int, pid: str, *, ended: bool) -> Fetus:
    ipp = block.digits("ipp", r"[0-9]{1,20}", "IPP du fœtus")
    if block.raw("ipp") is None:
        block.flag("ipp", "IPP du fœtus absent : fœtus transmis sans identifiant")
    outcome = block.choice("issue", "issue_grossesse")
    age = block.integer("age_gestationnel", 4, 45)
    pathology = block.yes_no("foetopathologie")
    if not ended:
        for item in ("issue", "age_gestationnel", "foetopathologie"):
            if block.raw(item) is not None:
                block.note(item, _AFTER_END)
    elif block.raw("issue") is None:
        block.note("issue", "issue de la grossesse absente (grossesse terminée)")
    child = _names(block.text("nom_enfant"))
    if child and (outcome is None or outcome.code != BIRTH):
        block.flag("nom_enfant", "nom de naissance de l’enfant sans issue « Accouchement » : "
                                 "non transmis")
        child = None
    return Fetus(id=stable_id(pid, "foetus", str(number)), number=number, ipp=ipp,
                 sex=block.choice("sexe", "sexe"), forename=_names(block.text("prenom")),
                 child_birth_name=child, outcome=outcome if ended else None,
                 gestational_age_weeks=age if ended else None,
                 fetopathology=pathology if ended else None,
                 subject_of_activity=block.yes_no("sujet_activite") is True,
                 subject_of_care=block.yes_no("sujet_pec") is True)
