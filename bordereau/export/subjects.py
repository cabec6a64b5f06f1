"""Who the document's encounters and header speak of, beyond the patient (issue 12):

- « Mère de l’enfant » (annexe identité et famille v2): the header ``informant`` whose
  ``relatedEntity`` (CON, RoleCode MTH) names the mother by birth name and first forename,
  as in the ANS example « nouveau-né »;
- « Sujet lié à l’activité / à la prise en charge » (annexe grossesse et fœtus v2): a fœtus
  block's boxes say that the activity, or the prise en charge, of the fiche concerns that
  fœtus; the encounter then carries the fœtus as its ``subject`` (relatedSubject CHILD), as
  the activity of the ANS examples « patiente enceinte » and « patiente post-grossesse ».
  Without a box ticked the subject is the patient of the document (``recordTarget``) and
  nothing is written.
"""

from __future__ import annotations

from bordereau.export._values import SheetReader
from bordereau.export.model import Fetus, FetusSubject, Person, Pregnancy

# (item, reason) pairs, as the sheet readers collect them.
Problems = list[tuple[str, str]]

ACTIVITY_ITEM = "Sujet lié à l’activité [foetusN.sujet_activite, annexe grossesse et fœtus]"
CARE_ITEM = "Sujet lié à la prise en charge [foetusN.sujet_pec, annexe grossesse et fœtus]"


def mother(sheet: SheetReader | None) -> Person | None:
    """The mother written on the latest annexe identité et famille (None without her birth
    name: a first forename alone is left out for review)."""
    if sheet is None:
        return None
    family = _name(sheet.text("mere.nom_naissance"))
    given = _name(sheet.text("mere.premier_prenom"))
    if family is None:
        if given is not None:
            sheet.flag("mere.nom_naissance", "premier prénom de la mère sans son nom de "
                                             "naissance : mère non transmise")
        return None
    return Person(family=family, given=given)


def fetus_subjects(pregnancies: tuple[Pregnancy, ...]
                   ) -> tuple[FetusSubject | None, FetusSubject | None, Problems]:
    """The fœtus the activity and the prise en charge of the fiche initiale concern (None:
    the patient), and the problems (blocking: a box ticked for two fœtus, which one
    encounter cannot say)."""
    activity = [_subject(g, f) for g in pregnancies for f in g.fetuses if f.subject_of_activity]
    care = [_subject(g, f) for g in pregnancies for f in g.fetuses if f.subject_of_care]
    problems: Problems = []
    for item, found in ((ACTIVITY_ITEM, activity), (CARE_ITEM, care)):
        if len(found) > 1:
            named = ", ".join(_named(s) for s in found)
            problems.append((item, f"plusieurs fœtus cochés ({named}) : un seul sujet possible, "
                                   "à corriger"))
    return (activity[0] if len(activity) == 1 else None,
            care[0] if len(care) == 1 else None, problems)


def _subject(pregnancy: Pregnancy, fetus: Fetus) -> FetusSubject:
    return FetusSubject(fetus=fetus, multiple=pregnancy.multiple, start=pregnancy.start,
                        end=pregnancy.end)


def _named(subject: FetusSubject) -> str:
    return f"fœtus {subject.fetus.number} de la grossesse du {subject.start.french}"


def _name(text: str | None) -> str | None:
    if text is None:
        return None
    return " ".join(text.split()) or None
