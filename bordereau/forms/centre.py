"""The centre configuration file: establishment, site, filière, referents, thesaurus.

Referents edit this YAML file by hand, so its keys are French and every error names the
file, the line and the key at fault, in French.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from bordereau.errors import CentreFileError, missing_input
from bordereau.forms.model import ORPHA_SYSTEM, RPPS_SYSTEM, Concept, ValueSet
from bordereau.templates.yaml_text import safe_load

MAX_THESAURUS = 12


def luhn_ok(number: str) -> bool:
    """True when the digit string passes the Luhn check (FINESS, RPPS keys)."""
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Etablissement(_Model):
    nom: str = Field(min_length=2, max_length=120)
    finess: str
    oid_ipp: str | None = Field(default=None, pattern=r"^[0-2](\.(0|[1-9][0-9]*))+$")
    type: str | None = Field(default=None, pattern=r"^SA[0-9]{2}$")

    @field_validator("finess", mode="before")
    @classmethod
    def _finess(cls, value: object) -> str:
        text = str(value).strip()
        if len(text) != 9 or not (text.isdigit() or text[:2] in {"2A", "2B"}):
            raise ValueError("un numéro FINESS compte 9 caractères (chiffres, ou 2A/2B en tête)")
        if text.isdigit() and not luhn_ok(text):
            raise ValueError("la clé du numéro FINESS est fausse")
        return text


class Site(_Model):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,11}$")
    nom: str = Field(min_length=2, max_length=160)
    type: Literal["CRMR", "CCMR", "CRC"]


class Referent(_Model):
    nom: str = Field(min_length=2, max_length=60)
    rpps: str

    @field_validator("rpps", mode="before")
    @classmethod
    def _rpps(cls, value: object) -> str:
        text = str(value).strip()
        if len(text) != 11 or not text.isdigit():
            raise ValueError("un numéro RPPS compte 11 chiffres")
        if not luhn_ok(text):
            raise ValueError("la clé du numéro RPPS est fausse")
        return text


class Maladie(_Model):
    orpha: int = Field(ge=1, le=9_999_999)
    libelle: str = Field(min_length=2, max_length=90)


class Gene(_Model):
    symbole: str = Field(pattern=r"^[A-Z0-9-]{1,10}$")
    hgnc: int = Field(ge=1)


class Options(_Model):
    longueur_ipp: int = Field(default=10, ge=4, le=15)


class Centre(_Model):
    """A validated centre file."""

    etablissement: Etablissement
    site: Site
    filiere: str = Field(min_length=2, max_length=40)
    referents: tuple[Referent, ...] = Field(min_length=1, max_length=8)
    thesaurus: tuple[Maladie, ...] = Field(min_length=1, max_length=MAX_THESAURUS)
    genes: tuple[Gene, ...] = ()
    options: Options = Options()

    @field_validator("thesaurus")
    @classmethod
    def _unique_codes(cls, value: tuple[Maladie, ...]) -> tuple[Maladie, ...]:
        codes = [m.orpha for m in value]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValueError(f"code ORPHA en double : {', '.join(map(str, repeated))}")
        return value

    def value_set(self, name: str) -> ValueSet:
        """The centre list behind ``centre.thesaurus`` or ``centre.referents``."""
        if name == "centre.thesaurus":
            concepts = tuple(
                Concept(code=str(m.orpha), system=ORPHA_SYSTEM, label=m.libelle, display=m.libelle)
                for m in self.thesaurus
            )
            return ValueSet(id=name, name="Thésaurus du centre", concepts=concepts)
        if name == "centre.referents":
            concepts = tuple(
                Concept(code=r.rpps, system=RPPS_SYSTEM, label=r.nom, display=r.nom)
                for r in self.referents
            )
            return ValueSet(id=name, name="Médecins du centre", concepts=concepts)
        raise KeyError(name)


class LoadedCentre(BaseModel):
    """A centre file as read: the model, its path and the exact bytes (for snapshots)."""

    model_config = ConfigDict(frozen=True)

    centre: Centre
    path: Path
    content: bytes

    @property
    def digest(self) -> str:
        """Short SHA-256 of the file's bytes, naming its snapshot in the home."""
        return hashlib.sha256(self.content).hexdigest()[:12]


_MESSAGES = {
    "missing": "clé obligatoire absente",
    "extra_forbidden": "clé inconnue",
    "string_type": "texte attendu",
    "int_type": "nombre entier attendu",
    "int_parsing": "nombre entier attendu",
    "list_type": "liste attendue",
    "tuple_type": "liste attendue",
    "dict_type": "section (clé : valeur) attendue",
    "model_type": "section (clé : valeur) attendue",
    "model_attributes_type": "section (clé : valeur) attendue",
    "literal_error": "valeur non permise",
    "string_pattern_mismatch": "format incorrect",
    "string_too_short": "texte trop court",
    "string_too_long": "texte trop long",
    "too_short": "liste trop courte",
    "too_long": "liste trop longue",
    "greater_than_equal": "nombre trop petit",
    "less_than_equal": "nombre trop grand",
}


def _french(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "value_error":
        return str(error["ctx"]["error"]) if "ctx" in error else error["msg"]
    base = _MESSAGES.get(kind, "valeur invalide")
    ctx = error.get("ctx") or {}
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", " ou ")
        return f"{base} (attendu : {expected})"
    if kind in {"too_short", "too_long"} and "min_length" in ctx:
        return f"{base} (au moins {ctx['min_length']} élément(s))"
    if kind == "too_long" and "max_length" in ctx:
        return f"{base} (au plus {ctx['max_length']} éléments)"
    return base


def _line_of(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int:
    """1-based line of the YAML node at ``loc`` (the deepest one that exists)."""
    node = root
    line = root.start_mark.line + 1 if root is not None else 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((kv for kv in node.value if kv[0].value == part), None)
            if match is None:
                break
            key, value = match
            line = key.start_mark.line + 1
            node = value
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _key_name(loc: tuple[int | str, ...]) -> str:
    parts = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part + 1}]")
        else:
            parts.append(("." if parts else "") + part)
    return "".join(parts) or "(racine)"


def parse_centre(content: bytes, path: Path) -> Centre:
    """Validate a centre file's bytes; raise CentreFileError naming file, line and key."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CentreFileError(f"{path} : le fichier n’est pas encodé en UTF-8.") from exc
    try:
        data: Any = safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else 1
        raise CentreFileError(
            f"{path}, ligne {line} : syntaxe YAML incorrecte ({exc.problem})."
        ) from exc
    if not isinstance(data, dict):
        raise CentreFileError(
            f"{path}, ligne 1 : le fichier doit contenir des sections clé : valeur."
        )
    try:
        return Centre.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        root = yaml.compose(text)  # the nodes' lines, for the messages
        lines = []
        for error in errors:
            loc = tuple(error["loc"])
            lines.append(
                f"{path}, ligne {_line_of(root, loc)}, clé « {_key_name(loc)} » : {_french(error)}."
            )
        raise CentreFileError("\n".join(lines)) from exc


def load_centre(path: Path) -> LoadedCentre:
    """Read and validate a centre file."""
    try:
        content = path.read_bytes()
    except FileNotFoundError as exc:
        raise missing_input([path], CentreFileError) from exc
    except IsADirectoryError as exc:
        raise CentreFileError(f"{path} : c’est un dossier, pas un fichier de centre.") from exc
    except OSError as exc:
        raise CentreFileError(f"{path} : lecture impossible ({exc.strerror}).") from exc
    return LoadedCentre(centre=parse_centre(content, path), path=path, content=content)
