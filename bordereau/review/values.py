"""Turn what a reviewer types into a field value, or say in French why it is not valid.

The same parser serves the terminal application (validation as you type) and
``bordereau review set``. Values come out in the ``scan read`` forms.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bordereau import clock
from bordereau.forms.manifest import FieldLayout
from bordereau.ocr.label import plain
from bordereau.ocr.rules import nir_key_ok

EMPTY = {"", "-", "vide", "aucun", "aucune"}
EXPLICIT_EMPTY = {"vide", "-"}  # typed on purpose where ink was found (never prefilled)
TRUE = {"oui", "o", "1", "vrai", "true", "x"}
FALSE = {"non", "n", "0", "faux", "false"}


class InvalidValueError(ValueError):
    """The typed text is not a valid value for the field (message in French)."""


def _choice(field: FieldLayout, token: str) -> str:
    choices = field.choices or ()
    token = token.strip()
    if token.isdigit() and 1 <= int(token) <= len(choices) and token not in {
            c.code for c in choices}:
        return choices[int(token) - 1].code
    for choice in choices:
        if token == choice.code or plain(token) == plain(choice.label):
            return choice.code
    matches = [c for c in choices if plain(c.label).startswith(plain(token))] if token else []
    if len(matches) == 1:
        return matches[0].code
    options = ", ".join(f"{n} = {c.label}" for n, c in enumerate(choices, 1))
    raise InvalidValueError(f"« {token} » ne correspond à aucune case (choix : {options})")


def _date(text: str, today: dt.date) -> str:
    compact = re.sub(r"[\s/.-]", "", text)
    iso = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", text.strip())
    if iso:
        year, month, day = iso.group(1), iso.group(2), iso.group(3) or ""
    elif re.fullmatch(r"\d{8}", compact):
        day, month, year = compact[:2], compact[2:4], compact[4:]
    elif re.fullmatch(r"\d{6}", compact):
        day, month, year = "", compact[:2], compact[2:]
    elif re.fullmatch(r"\d{4}", compact):
        day, month, year = "", "", compact
    else:
        raise InvalidValueError("date attendue sous la forme JJ/MM/AAAA (ou MM/AAAA, ou AAAA)")
    try:
        if day:
            value = dt.date(int(year), int(month), int(day))
            result = value.isoformat()
        elif month:
            value = dt.date(int(year), int(month), 1)
            result = f"{year}-{month}"
        else:
            value = dt.date(int(year), 1, 1)
            result = year
    except ValueError as exc:
        raise InvalidValueError(f"date impossible ({text.strip()})") from exc
    if value > today:
        raise InvalidValueError("date dans le futur")
    if value.year < 1890:
        raise InvalidValueError("année trop ancienne")
    return result


def parse_value(field: FieldLayout, text: str, today: dt.date | None = None) -> Any:
    """The value of ``field`` for the typed ``text`` (raises InvalidValueError)."""
    today = today or clock.today()
    raw = text.strip()
    if raw.lower() in EMPTY:
        if field.kind == "boolean":
            return False
        return None
    kind = field.kind
    if kind == "single_choice":
        return _choice(field, raw)
    if kind == "multi_choice":
        codes = [_choice(field, part) for part in re.split(r"[,;]", raw) if part.strip()]
        return list(dict.fromkeys(codes)) or None
    if kind == "boolean":
        if raw.lower() in TRUE:
            return True
        if raw.lower() in FALSE:
            return False
        raise InvalidValueError("répondre oui ou non")
    if kind == "date":
        return _date(raw, today)
    if kind in {"free_text"}:
        if len(raw) > 500:
            raise InvalidValueError("texte trop long (500 caractères au plus)")
        return raw
    value = re.sub(r"\s+", " ", raw.upper())
    cells = len(field.cells_mm or ()) or 15
    if kind in {"digits", "orpha_code", "label_zone"}:
        value = value.replace(" ", "")
        if not value.isdigit():
            raise InvalidValueError("chiffres seulement")
    elif kind == "letters":
        if not re.fullmatch(r"[A-Z' -]+", plain(value)):
            raise InvalidValueError("lettres seulement (et - ' ou espace)")
        value = plain(value)
    elif kind == "alphanumeric":
        value = value.replace(" ", "")
        if not re.fullmatch(r"[A-Z0-9]+", value):
            raise InvalidValueError("lettres et chiffres seulement")
        classes = field.cell_classes or ""
        for n, (char, cls) in enumerate(zip(value, classes, strict=False), 1):
            if (cls == "D" and not char.isdigit()) or (cls == "L" and not char.isalpha()):
                what = "un chiffre" if cls == "D" else "une lettre"
                raise InvalidValueError(f"le caractère {n} doit être {what}")
    if kind != "label_zone" and len(value) > cells:
        raise InvalidValueError(f"trop long ({len(value)} caractères pour {cells} cases)")
    if field.id.endswith(".ins") and not nir_key_ok(value):
        raise InvalidValueError("matricule INS invalide (15 chiffres, clé de contrôle)")
    return value


def format_value(field: FieldLayout, value: Any) -> str:
    """A value as a reviewer would type it (for prefilling the input)."""
    if value is None:
        return ""
    if field.kind == "boolean":
        return "oui" if value else "non"
    if field.kind == "date" and isinstance(value, str):
        return "/".join(reversed(value.split("-")))
    labels = {c.code: c.label for c in field.choices or ()}
    if isinstance(value, list):
        return ", ".join(labels.get(str(v), str(v)) for v in value)
    return labels.get(str(value), str(value))
