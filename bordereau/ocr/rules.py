"""Rules checked on a whole sheet before any value is trusted.

A rule that fails sends the fields it names to review with the rule's French message; it
never changes a value. Dates may be partial (YYYY or YYYY-MM) and are compared at the
precision both sides have.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable

from bordereau import clock
from bordereau.forms.centre import luhn_ok
from bordereau.forms.manifest import Layout
from bordereau.ocr.context import decide, nir_place
from bordereau.ocr.context import nir_key_ok as nir_key_ok
from bordereau.ocr.label import ipp_from_barcode, plain
from bordereau.ocr.rules_base import Fields, _before, _date_key, _flag, _french_date, _value
from bordereau.ocr.rules_treatments import check_treatments
from bordereau.ocr.trust import IDENTITY_THRESHOLD
from bordereau.ocr.types import FieldReading

CONFIRMED = "255545003"  # statut "diagnostic définitif" (confirmé)
AT_AGE = "767023003"  # âge "période de la vie..." (à l'âge de, préciser)
LABEL_CONFIDENCE = 0.99

def check_dates(fields: Fields, today: dt.date) -> None:
    """Date of birth <= inclusion <= activity <= today; death after birth, not in the future."""
    now = (today.year, today.month, today.day)
    chain = [("patient.date_naissance", "la date de naissance"),
             ("prise_en_charge.date_inclusion", "la date d’inclusion"),
             ("activite.date", "la date de l’activité")]
    present = [(fid, name, _date_key(_value(fields, fid))) for fid, name in chain]
    known = [(fid, name, key) for fid, name, key in present if key is not None]
    for (fa, na, ka), (fb, nb, kb) in itertools.pairwise(known):
        if _before(ka, kb):
            _flag(fields, [fa, fb], f"{na} ({_french_date(_value(fields, fa))}) est après "
                                    f"{nb} ({_french_date(_value(fields, fb))})")
    for fid, reading in fields.items():
        if reading.kind != "date":
            continue
        key = _date_key(reading.value)
        if key is not None and _before(key, now):
            _flag(fields, [fid], f"date dans le futur ({_french_date(reading.value)})")
    birth = _date_key(_value(fields, "patient.date_naissance"))
    if birth is not None:
        later = ["vital.date_deces"] + [f for f in fields if f.endswith(".date")
                                        and f.startswith("diagnostic")]
        for fid in later:
            key = _date_key(_value(fields, fid))
            if key is not None and _before(birth, key):
                when = _french_date(_value(fields, "patient.date_naissance"))
                _flag(fields, [fid], f"date antérieure à la date de naissance ({when})")
                what = "la date de décès" if fid == "vital.date_deces" else "une date du diagnostic"
                _flag(fields, ["patient.date_naissance"], f"date de naissance postérieure à "
                      f"{what} ({_french_date(_value(fields, fid))})")


def check_identifiers(fields: Fields) -> None:
    ins = _value(fields, "patient.ins")
    if isinstance(ins, str) and not nir_key_ok(ins.replace(" ", "")):
        _flag(fields, ["patient.ins"], "matricule INS invalide (clé de contrôle fausse ou "
                                       "longueur différente de 15)")
    elif isinstance(ins, str):
        check_nir_identity(fields, ins.replace(" ", ""))
    check_annex_codes(fields)


CIF_CODE = re.compile(r"[BSDE][0-9]{1,5}")


def check_annex_codes(fields: Fields) -> None:
    """Codes of the annexes that carry their own check: a CIF code starts with b, s, d or
    e; an RPPS number has a Luhn key."""
    for fid in fields:
        value = _value(fields, fid)
        if not isinstance(value, str):
            continue
        if fid.startswith("statut") and fid.endswith(".code") and not CIF_CODE.fullmatch(
                value.replace(" ", "").upper()):
            _flag(fields, [fid], "code CIF invalide (une lettre b, s, d ou e puis 1 à 5 "
                                 "chiffres)")
        elif fid == "medecin_traitant.rpps" and not (len(value) == 11 and luhn_ok(value)):
            _flag(fields, [fid], "n° RPPS invalide (clé de contrôle fausse ou longueur "
                                 "différente de 11)")
    if "grossesse.nombre_foetus" in fields:
        check_pregnancy(fields)
    if any(fid.startswith("traitement") for fid in fields):
        check_treatments(fields)


FETUS_ITEMS = ("ipp", "sexe", "prenom", "nom_enfant", "issue", "age_gestationnel",
               "foetopathologie", "sujet_activite", "sujet_pec")
AFTER_END = ("issue", "age_gestationnel", "foetopathologie")
# The boxes « sujet de l’activité / de la prise en charge » (annexe grossesse v2): one
# encounter has one subject, so one fœtus at most per box.
SUBJECTS = {"sujet_activite": "l’activité de la fiche", "sujet_pec": "la prise en charge"}


def check_pregnancy(fields: Fields) -> None:
    """The annexe grossesse et fœtus (one page, two fœtus blocks): the number of fœtus
    covers the fœtus described and is rarely above two; an issue needs an end date, an end
    date needs each described fœtus's issue (as the export requires)."""
    described = [n for n in (1, 2) if any(
        _value(fields, f"foetus{n}.{item}") not in (None, "", [], False) for item in FETUS_ITEMS)]
    for item, what in SUBJECTS.items():
        ticked = [f"foetus{n}.{item}" for n in (1, 2)
                  if _value(fields, f"foetus{n}.{item}") is True]
        if len(ticked) > 1:
            _flag(fields, ticked, f"deux fœtus cochés comme sujet de {what} (un seul possible)")
    count = _value(fields, "grossesse.nombre_foetus")
    if isinstance(count, str) and count.isdigit() and (
            int(count) == 0 or int(count) > 2 or (described and int(count) < described[-1])):
        _flag(fields, ["grossesse.nombre_foetus"],
              f"nombre de fœtus à vérifier ({count} ; fœtus décrits sur la page : "
              f"{len(described)})")
    ended = _value(fields, "grossesse.date_fin") is not None
    for n in described:
        if not ended:
            written = [f"foetus{n}.{i}" for i in AFTER_END
                       if _value(fields, f"foetus{n}.{i}") not in (None, "", [])]
            if written:
                _flag(fields, ["grossesse.date_fin", *written], "issue de la grossesse "
                      "écrite sans date de fin de grossesse")
        elif _value(fields, f"foetus{n}.issue") is None:
            _flag(fields, [f"foetus{n}.issue"], "issue de la grossesse absente alors que la "
                                                "grossesse est terminée")


def check_nir_identity(fields: Fields, nir: str) -> None:
    """The NIR's first digits give the sex (1 man, 2 woman), the year (2 digits) and the
    month of birth (01-12; other values when unknown): they must agree with the sex and
    date of birth written on the sheet, both ways."""
    sex = _value(fields, "patient.sexe")
    if nir[0] in "12" and sex in {"M", "F"} and {"1": "M", "2": "F"}[nir[0]] != sex:
        _flag(fields, ["patient.ins", "patient.sexe"],
              "le sexe coché ne correspond pas au matricule INS")
    born = _value(fields, "patient.date_naissance")
    if isinstance(born, str) and len(born) >= 4:
        year_ok = born[2:4] == nir[1:3]
        month_ok = len(born) < 7 or not 1 <= int(nir[3:5]) <= 12 or born[5:7] == nir[3:5]
        if not (year_ok and month_ok):
            _flag(fields, ["patient.ins", "patient.date_naissance"],
                  "la date de naissance ne correspond pas au matricule INS")


def _prefixes(fields: Fields, suffix: str) -> list[str]:
    return sorted({fid.rsplit(".", 1)[0] for fid in fields if fid.endswith(suffix)})


def check_diagnoses(fields: Fields, thesaurus: set[str]) -> None:
    for prefix in _prefixes(fields, ".code_orpha"):
        written = _value(fields, f"{prefix}.code_orpha")
        ticked = _value(fields, f"{prefix}.maladie")
        if isinstance(written, str):
            code = written.lstrip("0") or "0"
            if ticked and ticked != code:
                _flag(fields, [f"{prefix}.maladie", f"{prefix}.code_orpha"],
                      "une maladie cochée et un autre code ORPHA écrit")
            elif code not in thesaurus:
                _flag(fields, [f"{prefix}.code_orpha"],
                      f"code ORPHA {code} absent du thésaurus du centre : à vérifier")
        if _value(fields, f"{prefix}.statut") == CONFIRMED and not (written or ticked):
            _flag(fields, [f"{prefix}.statut", f"{prefix}.maladie", f"{prefix}.code_orpha"],
                  "diagnostic confirmé sans maladie cochée ni code ORPHA")
    for stem in sorted(fid.removesuffix("_valeur") for fid in fields if fid.endswith("_valeur")):
        value, unit = _value(fields, f"{stem}_valeur"), _value(fields, f"{stem}_unite")
        if value and not unit:
            _flag(fields, [f"{stem}_valeur", f"{stem}_unite"], "âge précisé sans son unité")
        if unit and not value:
            _flag(fields, [f"{stem}_valeur", f"{stem}_unite"], "unité d’âge sans valeur")


def check_vital(fields: Fields) -> None:
    decede, date = _value(fields, "vital.decede"), _value(fields, "vital.date_deces")
    if decede is True and not date:
        _flag(fields, ["vital.decede", "vital.date_deces"], "patient décédé sans date de décès")
    if date and decede is not True:
        _flag(fields, ["vital.decede", "vital.date_deces"],
              "date de décès écrite mais « Patient décédé » non coché")


def check_required(fields: Fields, layout: Layout) -> None:
    used_sections = {
        f.section for f in layout.fields
        if f.optional_section and f.kind not in {"label_zone"}
        and fields.get(f.id) is not None and fields[f.id].value not in (None, False, [])
    }
    for field in layout.fields:
        reading = fields.get(field.id)
        if reading is None or reading.value not in (None, []) or reading.review:
            continue
        if field.required or (field.required_if_used and field.section in used_sections):
            _flag(fields, [field.id], "champ obligatoire non rempli")


def _only_uncertain(reading: FieldReading) -> bool:
    """In review only because its confidence was under its threshold (no other doubt)."""
    reason = reading.reason or ""
    return reading.review and reason.startswith("lecture incertaine (") and ";" not in reason


def _label_may_fill_ipp(reading: FieldReading, ipp: str, label: FieldReading) -> bool:
    """May the label's IPP replace a written IPP it differs from? Only an IPP its barcode
    carries (never one Tesseract read in its printed text alone), and only when the
    handwriting is empty or allows it: every digit read differently is itself in doubt
    (under the identity threshold) with the label's digit among its candidates. A written
    IPP that surely differs from the sticker is a contradiction (a miswritten IPP, or
    another patient's sticker) for a reviewer, never settled by the reader."""
    barcode = label.details.get("barcode")
    text = barcode.get("text") if isinstance(barcode, dict) else None
    if not isinstance(text, str) or ipp_from_barcode(text) != ipp:
        return False
    if reading.value is None:
        return True
    cells = reading.details.get("cells")
    if not reading.review or not isinstance(cells, list) or len(cells) < len(ipp):
        return False
    written = [c for c in cells if isinstance(c, dict)]
    if len(written) != len(cells) or any(c.get("char") for c in written[len(ipp):]):
        return False
    for cell, digit in zip(written, ipp, strict=False):
        if cell.get("char") == digit:
            continue
        top = cell.get("top") or []
        candidates = {str(t[0]) for t in top if isinstance(t, list | tuple) and t}
        if float(cell.get("confidence", 1.0)) >= IDENTITY_THRESHOLD or digit not in candidates:
            return False
    return True


def apply_label_evidence(fields: Fields) -> None:
    """Confront the identity written by hand with the patient label's barcode and text."""
    label = fields.get("patient.etiquette")
    if label is None or not isinstance(label.details.get("identity"), dict):
        return
    identity: dict[str, str] = label.details["identity"]  # type: ignore[assignment]
    pairs: list[tuple[str, str, str | None]] = [
        ("patient.ipp", "ipp", "l’IPP écrit diffère de celui de l’étiquette patient"),
        ("patient.date_naissance", "date_naissance",
         "la date de naissance écrite diffère de celle de l’étiquette patient"),
        ("patient.nom_naissance", "nom", "le nom écrit diffère de celui de l’étiquette patient"),
        ("patient.premier_prenom", "prenom",
         "le prénom écrit diffère de celui de l’étiquette patient"),
    ]
    # Confirmation only (a different first name is not flagged: the label's small print of
    # it is read less surely than its name, date and IPP). Never a checkbox: a faint mark
    # agreeing with the label is not a proof that the box was ticked.
    confirm_only = [("patient.premier_prenom", "prenom", None)]
    for field_id, key, message in [*pairs, *confirm_only]:
        reading, evidence = fields.get(field_id), identity.get(key)
        if reading is None or not evidence:
            continue
        same = (reading.value is not None
                and plain(str(reading.value)).replace(" ", "") == plain(evidence).replace(" ", ""))
        if same:  # two independent sources agree: the earlier doubt is answered
            reading.confidence = max(reading.confidence, LABEL_CONFIDENCE)
            reading.details.setdefault("label", "confirmé par l’étiquette")
            if not label.review and _only_uncertain(reading):
                # Two independent readings agree (the hand and the printed label, itself
                # read surely): the label proves the value, no reviewer needs to look.
                reading.review, reading.reason = False, None
        elif message is None:
            continue
        elif key == "ipp" and not _label_may_fill_ipp(reading, evidence, label):
            _flag(fields, [field_id], message if reading.value is not None else
                  "IPP non écrit ou non lu : celui lu dans le texte de l’étiquette "
                  "(code-barres illisible) est à vérifier")
        elif reading.value is None or key == "ipp":
            reading.value = plain(evidence) if key in {"nom", "prenom"} else evidence
            reading.confidence = LABEL_CONFIDENCE if key == "ipp" else 0.9
            reading.review, reading.reason = False, None
            reading.details["label"] = "repris de l’étiquette"
        else:
            _flag(fields, [field_id], message)


NIR_KEYED_LEVEL = 0.5


def _trust_keyed_nir(nir: FieldReading) -> None:
    """A NIR whose key is right and every digit read at ``NIR_KEYED_LEVEL`` or more: the
    key (97 minus the number modulo 97) catches every single misread digit, and two
    misreadings that keep it right are one chance in 97 on top of two errors; such a NIR is
    trusted without the 0.99 per digit of the other identity fields. (Calibration split:
    27 NIRs with a right key and every digit at 0.5 or more, none wrong; 15 misread ones
    caught by their key.)"""
    found = nir.details.get("cells")
    cells = found if isinstance(found, list) else []
    if (_only_uncertain(nir) and len(cells) == 15
            and all(float(c.get("confidence", 0.0)) >= NIR_KEYED_LEVEL for c in cells)):
        nir.review, nir.reason = False, None
        nir.confidence = max(nir.confidence, IDENTITY_THRESHOLD)
        nir.details["cle"] = "clé du NIR juste"


def _nir_birthplace(place: FieldReading | None, nir: str) -> None:
    """The place of birth written as an INSEE code and the same code in a trusted NIR
    (digits 6 to 10; Corsica's 2A and 2B are 19 and 18 there): two independent readings
    agree, the code is trusted."""
    if place is None or not _only_uncertain(place) or not isinstance(place.value, str):
        return
    if nir_place(place.value.upper()) == nir[5:10]:
        place.review, place.reason = False, None
        place.confidence = max(place.confidence, IDENTITY_THRESHOLD)
        place.details["nir"] = "code confirmé par le NIR"


def apply_nir_evidence(fields: Fields) -> None:
    """A NIR trusted by its key (``_trust_keyed_nir``) answers for the place of birth it
    carries and for the month and year of birth. A date of birth in review for its
    confidence alone, whose month and year the trusted NIR carries too: the NIR's digits,
    read in other cells of the sheet, answer for the month and the last two digits of the
    year; the date is trusted when its remaining cells (day and century) reach the
    identity level on their own."""
    nir, born = fields.get("patient.ins"), fields.get("patient.date_naissance")
    if nir is None:
        return
    number = nir.value
    if not (isinstance(number, str) and len(number) == 15 and number.isdigit()
            and nir_key_ok(number)):
        return
    _trust_keyed_nir(nir)
    if nir.review:
        return
    _nir_birthplace(fields.get("patient.lieu_naissance"), number)
    if born is None or not _only_uncertain(born):
        return
    value = born.value
    if not (isinstance(value, str) and value.count("-") == 2):
        return
    if (value[2:4], value[5:7]) != (number[1:3], number[3:5]):
        return
    found = born.details.get("cells")
    cells = found if isinstance(found, list) and len(found) == 8 else []
    own = [cells[n] for n in (0, 1, 4, 5)] if cells else []  # JJ MM AAAA: day, century
    if own and all(float(c.get("confidence", 0.0)) >= IDENTITY_THRESHOLD for c in own):
        born.review, born.reason = False, None
        born.confidence = max(born.confidence, IDENTITY_THRESHOLD)
        born.details["nir"] = "mois et année confirmés par le NIR"


def thesaurus_of(layout: Layout) -> set[str]:
    """The ORPHA codes of the centre's thesaurus (the choices of its diagnosis lists)."""
    return {c.code for f in layout.fields if f.value_set == "centre.thesaurus"
            for c in f.choices or ()}


def check_sheet(fields: Fields, layout: Layout, today: dt.date | None = None) -> None:
    """Run every rule on one sheet's readings (in place)."""
    thesaurus = thesaurus_of(layout)
    apply_label_evidence(fields)
    apply_nir_evidence(fields)
    decide(fields, today or clock.today(), thesaurus)
    steps: list[Callable[[], None]] = [
        lambda: check_dates(fields, today or clock.today()),
        lambda: check_identifiers(fields),
        lambda: check_diagnoses(fields, thesaurus),
        lambda: check_vital(fields),
        lambda: check_required(fields, layout),
    ]
    for step in steps:
        step()
