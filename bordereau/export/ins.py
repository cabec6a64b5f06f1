"""Qualified identity: when the INS (NIR or NIA) written on the form may be sent.

The CI-SIS (volet Structuration minimale; ANS rule ``recordTarget_fr.sch`` of the test kit
``ansforge/TestContenuCDA-3-0``, 18/04/2024) carries the INS as a ``recordTarget/patientRole/id``
whose root is the INS authority — 1.2.250.1.213.1.4.8 INS-NIR, .9 INS-NIA (.10 and .11 are
their test roots) — and requires then the INS traits: family name ``BR``, first forename of
the birth certificate ``given[@qualifier='BR']``, ``birthTime`` and
``administrativeGenderCode``. There is no other marker: an INS in the header *is* the
statement that the identity is qualified, which the RNIV allows only for an INS checked
against the identity (its traits, its key) — so the INS is sent only then, and the IPP alone
otherwise, as before.

Checked here (:func:`ins_problems`): a key already verified when reading the sheet; a NIR
(first digit 1/2) or NIA (7/8) whose sex digit is the written sex, whose year and month of
birth are the written date of birth's, whose place of birth (department + commune, or 99 +
country) is the written birthplace; every INS trait known, including **all forenames of the
birth certificate** — the form asks the first one only, so they must come from the caller
(``birth_forenames``, e.g. the establishment's identity server), and the first of them must
be the first forename written. Without them the identity is never marked qualified.
"""

from __future__ import annotations

import unicodedata

from bordereau.export.model import Identity

INS_NIR = "1.2.250.1.213.1.4.8"
INS_NIA = "1.2.250.1.213.1.4.9"
SEX_DIGITS = {"1": "M", "2": "F", "7": "M", "8": "F"}  # NIR 1/2, NIA 7/8
CORSICA = {"2A": "19", "2B": "18"}  # the form's instruction: 19 for 2A, 18 for 2B


def ins_root(ins: str) -> str | None:
    """The INS authority OID of a matricule: NIR (1, 2) or NIA (7, 8); None otherwise."""
    return {"1": INS_NIR, "2": INS_NIR, "7": INS_NIA, "8": INS_NIA}.get(ins[:1])


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if c.isalpha() or c in " -'").upper().split())


def ins_problems(ident: Identity) -> list[str]:
    """Why the INS written on the form does not make a qualified identity (French; empty:
    qualified). The key was checked when the sheet was read."""
    ins = ident.ins
    if ins is None:
        return ["matricule INS absent"]
    found: list[str] = []
    if ins_root(ins) is None:
        found.append(f"matricule « {ins[:1]}… » ni NIR (1, 2) ni NIA (7, 8)")
    sex = ident.sex.code if ident.sex is not None else None
    if ins[:1] in SEX_DIGITS and sex != SEX_DIGITS[ins[:1]]:
        found.append(f"sexe {sex or 'non renseigné'} contredit par le matricule INS "
                     f"({ins[:1]} = {'masculin' if SEX_DIGITS[ins[:1]] == 'M' else 'féminin'})")
    born = ident.birth_date
    if born is None or f"{born.year % 100:02d}" != ins[1:3]:
        found.append(f"année de naissance contredite par le matricule INS (« {ins[1:3]} »)")
    elif 1 <= int(ins[3:5]) <= 12 and born.month is None:
        found.append(f"mois de naissance non renseigné (le matricule INS dit « {ins[3:5]} »)")
    elif 1 <= int(ins[3:5]) <= 12 and born.month != int(ins[3:5]):
        found.append(f"mois de naissance contredit par le matricule INS (« {ins[3:5]} »)")
    place = ident.birthplace_insee
    if place is None:
        found.append("lieu de naissance (trait INS) non renseigné")
    elif place[:2] in CORSICA:
        found.append("né en Corse : le matricule INS porte 2A/2B, que la fiche fait écrire "
                     f"{CORSICA[place[:2]]}")
    elif place != ins[5:10]:
        found.append(f"lieu de naissance {place} contredit par le matricule INS "
                     f"(« {ins[5:10]} »)")
    if not ident.birth_forenames:
        found.append("prénoms de l’acte de naissance inconnus (à écrire sur l’annexe "
                     "identité et famille)")
    elif ident.first_forename is None or _plain(ident.birth_forenames).split(" ")[0] != _plain(
            ident.first_forename):
        found.append(f"premier prénom « {ident.first_forename or ''} » différent du premier des "
                     f"prénoms de l’acte de naissance « {ident.birth_forenames} »")
    if ident.birth_name is None:
        found.append("nom de naissance (trait INS) non renseigné")
    return found


def qualify(ident: Identity, attested: bool | None) -> Identity:
    """The identity with ``ins_qualified`` and the INS root decided.

    ``attested`` is the establishment's word: False (its identity server says the identity
    is not qualified) never sends the INS; True or None send it when :func:`ins_problems`
    finds nothing (an attestation never overrides a contradiction)."""
    if ident.ins is None:
        return ident.model_copy(update={"ins_qualified": False})
    ok = attested is not False and not ins_problems(ident)
    return ident.model_copy(update={"ins_qualified": ok,
                                    "ins_oid": ins_root(ident.ins) or ident.ins_oid})


def ins_note(ident: Identity) -> str | None:
    """The French note when an INS written on the form is not sent (None when sent)."""
    if ident.ins is None or ident.ins_sendable:
        return None
    problems = ins_problems(ident)
    if not problems:
        return "non transmis : identité non qualifiée selon l’établissement"
    return "non transmis : identité non qualifiée — " + " ; ".join(problems)
