"""Reading rules of the annexe traitements (four treatment blocks ``traitement1``…4): what
the export would refuse or what contradicts itself goes to review with a French reason."""

from __future__ import annotations

import re

from bordereau.ocr.rules_base import Fields, _before, _date_key, _flag, _french_date, _value

BLOCKS = ("traitement1", "traitement2", "traitement3", "traitement4")
ITEMS = ("medicament", "atc", "ema", "date_debut", "arrete", "date_fin")
# An ATC code of a substance (level 5): letter, 2 digits, 2 letters, 2 digits (A16AX07).
ATC_CODE = re.compile(r"[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}")
EMA_NUMBER = re.compile(r"[0-9]{6}")  # EMEA/H/C/ and 6 digits
ATC_REASON = "code ATC invalide (une lettre, 2 chiffres, 2 lettres, 2 chiffres : ex. A16AX07)"


def _written(value: object) -> bool:
    return value not in (None, "", [], False)


def atc_ok(value: str) -> bool:
    return ATC_CODE.fullmatch(value.replace(" ", "").upper()) is not None


def check_treatments(fields: Fields) -> None:
    """Each treatment described: a valid ATC code and EMA number, a drug named or coded,
    an end not before the start, « arrêté » ticked with its end date and the end date with
    « arrêté » ticked (as « Patient décédé » and its date)."""
    for block in BLOCKS:
        def fid(item: str, block: str = block) -> str:
            return f"{block}.{item}"

        values = {item: _value(fields, fid(item)) for item in ITEMS}
        if not any(_written(v) for v in values.values()):
            continue
        atc, ema = values["atc"], values["ema"]
        if isinstance(atc, str) and atc and not atc_ok(atc):
            _flag(fields, [fid("atc")], ATC_REASON)
        if isinstance(ema, str) and ema and not EMA_NUMBER.fullmatch(ema.replace(" ", "")):
            _flag(fields, [fid("ema")], "n° EMA incomplet (6 chiffres après EMEA/H/C/)")
        if not any(_written(values[i]) for i in ("medicament", "atc", "ema")):
            _flag(fields, [fid("medicament")], "traitement sans nom de médicament ni code")
        start, end = _date_key(values["date_debut"]), _date_key(values["date_fin"])
        if start is not None and end is not None and _before(start, end):
            _flag(fields, [fid("date_debut"), fid("date_fin")],
                  f"date d’arrêt ({_french_date(values['date_fin'])}) avant la date de début "
                  f"({_french_date(values['date_debut'])})")
        if values["arrete"] is True and not _written(values["date_fin"]):
            _flag(fields, [fid("arrete"), fid("date_fin")],
                  "traitement arrêté sans date d’arrêt")
        elif values["arrete"] is not True and _written(values["date_fin"]):
            _flag(fields, [fid("arrete"), fid("date_fin")],
                  "date d’arrêt écrite mais « arrêté » non coché")
