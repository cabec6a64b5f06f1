"""Reading committed form values (one sheet's ``{field id: value}``) into export values.

A value that cannot be used (unknown code, impossible date, bad key) is not guessed: the
reader returns None and notes an anomaly, which ``check_exportable`` reports in French.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import ValidationError

from bordereau.export.model import CIM10_SYSTEM, ORPHA_SYSTEM, Answer, Coded, PartialDate
from bordereau.forms.centre import Centre, Referent
from bordereau.forms.model import FormDefinition, value_sets

_ANSWERS: dict[str, Answer] = {"Y": "oui", "N": "non", "UNK": "inconnu"}


def coded(value_set: str, code: str) -> Coded | None:
    """The concept of a packaged value set as a Coded value (None if unknown)."""
    concept = value_sets()[value_set].concept(code)
    if concept is None:
        return None
    return Coded(
        code=concept.code, system=concept.system, display=concept.display, label=concept.label
    )


def nir_key_ok(nir: str) -> bool:
    """True when the two last digits of a 15-digit NIR are its key (97 - n mod 97).

    Corsican NIRs (2A/2B) are written with 19/18 on the form, which gives the same key.
    """
    return len(nir) == 15 and nir.isdigit() and 97 - int(nir[:13]) % 97 == int(nir[13:])


def cim10_code(text: str) -> str | None:
    """``Q780`` → ``Q78.0`` (the form asks for the code without its dot); None if malformed."""
    raw = text.strip().upper().replace(".", "")
    if not re.fullmatch(r"[A-Z][0-9]{2}[0-9A-Z]{0,2}", raw):
        return None
    return raw[:3] + ("." + raw[3:] if len(raw) > 3 else "")


class SheetReader:
    """Typed access to one sheet's values; anomalies are collected as (item, reason)."""

    def __init__(
        self,
        data: Mapping[str, object],
        form: FormDefinition,
        centre: Centre,
        source: str,
        prefix: str = "",
    ) -> None:
        self.data = data
        self.form = form
        self.centre = centre
        self.source = source
        self.prefix = prefix
        self.anomalies: list[tuple[str, str]] = []
        self.to_review: list[tuple[str, str]] = []  # left out of the document, not blocking

    def block(self, prefix: str) -> SheetReader:
        """A reader of the same sheet whose ids are relative to ``prefix``."""
        reader = SheetReader(self.data, self.form, self.centre, self.source, prefix)
        reader.anomalies, reader.to_review = self.anomalies, self.to_review
        return reader

    # -- naming ------------------------------------------------------------------------
    def fid(self, item: str) -> str:
        return f"{self.prefix}.{item}" if self.prefix else item

    def item_name(self, item: str) -> str:
        """French label of the item, its id and the sheet it comes from."""
        field_id = self.fid(item)
        try:
            label = self.form.item(field_id).label
        except KeyError:
            label = field_id
        return f"{label} [{field_id}, {self.source}]"

    def note(self, item: str, reason: str) -> None:
        self.anomalies.append((self.item_name(item), reason))

    def flag(self, item: str, reason: str) -> None:
        """A value left out of the document for a person to check (the export goes on)."""
        self.to_review.append((self.item_name(item), reason))

    # -- raw access --------------------------------------------------------------------
    def filled(self) -> bool:
        """True when at least one item of this block has a value."""
        start = self.prefix + "."
        return any(
            k.startswith(start) and v not in (None, "", [], False) for k, v in self.data.items()
        )

    def raw(self, item: str) -> object:
        value = self.data.get(self.fid(item))
        if isinstance(value, str):
            value = value.strip()
        return None if value in ("", []) else value

    def text(self, item: str) -> str | None:
        value = self.raw(item)
        if value is None:
            return None
        if not isinstance(value, str):
            self.note(item, f"texte attendu, valeur lue : {value!r}")
            return None
        return value

    # -- typed values ------------------------------------------------------------------
    def choice(self, item: str, value_set: str) -> Coded | None:
        value = self.raw(item)
        if value is None:
            return None
        found = coded(value_set, value) if isinstance(value, str) else None
        if found is None:
            self.note(item, f"code « {value} » absent du jeu de valeurs {value_set}")
        return found

    def choices(self, item: str, value_set: str) -> tuple[Coded, ...]:
        value = self.raw(item)
        if value is None:
            return ()
        codes = value if isinstance(value, list) else [value]
        found = []
        for code in codes:
            concept = coded(value_set, code) if isinstance(code, str) else None
            if concept is None:
                self.note(item, f"code « {code} » absent du jeu de valeurs {value_set}")
            elif concept not in found:
                found.append(concept)
        return tuple(found)

    def answer(self, item: str) -> Answer | None:
        """A oui_non or oui_non_nsp item: "oui", "non", "inconnu" or None."""
        value = self.raw(item)
        if value is None:
            return None
        if isinstance(value, bool):
            return "oui" if value else "non"
        if isinstance(value, str) and value in _ANSWERS:
            return _ANSWERS[value]
        self.note(item, f"réponse « {value} » non reconnue (Y, N ou UNK attendu)")
        return None

    def yes_no(self, item: str) -> bool | None:
        """A oui_non item or a check box as a boolean (None when empty or unknown)."""
        answer = self.answer(item)
        return None if answer in (None, "inconnu") else answer == "oui"

    def date(self, item: str) -> PartialDate | None:
        value = self.raw(item)
        if value is None:
            return None
        if not isinstance(value, str):
            self.note(item, f"date attendue, valeur lue : {value!r}")
            return None
        try:
            return PartialDate.model_validate(value)
        except (ValueError, ValidationError) as exc:
            reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            self.note(item, f"date impossible « {value} » ({reason.removeprefix('Value error, ')})")
            return None

    def integer(self, item: str, low: int, high: int) -> int | None:
        value = self.raw(item)
        if value is None:
            return None
        text = str(value)
        if not text.isdigit() or not low <= int(text) <= high:
            self.note(item, f"nombre entre {low} et {high} attendu, valeur lue « {text} »")
            return None
        return int(text)

    def digits(self, item: str, pattern: str, what: str) -> str | None:
        value = self.text(item)
        if value is None:
            return None
        if not re.fullmatch(pattern, value):
            self.note(item, f"{what} incorrect : « {value} »")
            return None
        return value

    # -- centre lists ------------------------------------------------------------------
    def referent(self, item: str) -> Referent | None:
        value = self.raw(item)
        if value is None:
            return None
        found = next((r for r in self.centre.referents if r.rpps == str(value)), None)
        if found is None:
            self.note(item, f"RPPS « {value} » absent des référents du fichier de centre")
        return found

    def disease(self, choice_item: str, code_item: str) -> Coded | None:
        """The thesaurus box ticked, or the ORPHA code written; both must agree."""
        ticked = self.raw(choice_item)
        written = self.raw(code_item)
        if written is not None and not re.fullmatch(r"[1-9][0-9]{0,6}", str(written)):
            self.note(code_item, f"code ORPHA incorrect : « {written} »")
            written = None
        if ticked is not None and written is not None and str(ticked) != str(written):
            self.note(
                code_item,
                f"la maladie cochée (ORPHA:{ticked}) et le code ORPHA écrit "
                f"(ORPHA:{written}) diffèrent",
            )
            return None
        code = ticked if ticked is not None else written
        if code is None:
            return None
        entry = next((m for m in self.centre.thesaurus if str(m.orpha) == str(code)), None)
        if entry is None and ticked is not None:
            self.note(choice_item, f"ORPHA:{code} absent du thésaurus du centre")
            return None
        label = entry.libelle if entry else ""
        return Coded(code=str(code), system=ORPHA_SYSTEM, display=label, label=label)

    def cim10(self, item: str) -> Coded | None:
        value = self.text(item)
        if value is None:
            return None
        code = cim10_code(value)
        if code is None:
            self.note(item, f"code CIM-10 incorrect : « {value} »")
            return None
        return Coded(code=code, system=CIM10_SYSTEM)
