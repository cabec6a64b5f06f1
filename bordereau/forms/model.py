"""The SDM-MR form model: value sets, items, sections and whole form definitions.

The data live in ``bordereau/templates`` as YAML; this module validates them with
pydantic and resolves the centre-specific lists (thesaurus, referents) into value sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bordereau.errors import InputError, UsageError
from bordereau.templates.yaml_text import safe_load

FormKind = Literal["initiale", "suivi", "annexe_identite", "annexe_genetique", "annexe_statut",
                   "annexe_grossesse", "annexe_traitements"]
FORM_KINDS: tuple[FormKind, ...] = ("initiale", "suivi")
# Annex sheets printed on demand with a fiche initiale (``forms generate --annexe``): the
# name users type, then the form kind. An annex carries its fiche’s serial (docs/annexes.md).
ANNEXES: dict[str, FormKind] = {
    "identite": "annexe_identite", "genetique": "annexe_genetique", "statut": "annexe_statut",
    "grossesse": "annexe_grossesse", "traitements": "annexe_traitements"}
ANNEX_KINDS: tuple[FormKind, ...] = tuple(ANNEXES.values())
ALL_KINDS: tuple[FormKind, ...] = FORM_KINDS + ANNEX_KINDS
# What each kind of sheet is called on screens and printed lists.
KIND_NAMES: dict[str, str] = {
    "initiale": "fiche initiale", "suivi": "fiche de suivi",
    "annexe_identite": "annexe identité et famille",
    "annexe_genetique": "annexe génétique et clinique",
    "annexe_statut": "annexe statut fonctionnel",
    "annexe_grossesse": "annexe grossesse et fœtus",
    "annexe_traitements": "annexe traitements"}

FieldKind = Literal[
    "single_choice",
    "multi_choice",
    "boolean",
    "digits",
    "letters",
    "alphanumeric",
    "date",
    "orpha_code",
    "free_text",
    "label_zone",
]
CHOICE_KINDS: frozenset[str] = frozenset({"single_choice", "multi_choice"})
COMB_KINDS: frozenset[str] = frozenset({"digits", "letters", "alphanumeric", "date", "orpha_code"})
IMAGE_KINDS: frozenset[str] = frozenset({"free_text", "label_zone"})

ORPHA_SYSTEM = "1.2.250.1.213.2.49.1"
RPPS_SYSTEM = "1.2.250.1.71.4.2.1"
DATE_CELLS = 8


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Concept(_Strict):
    """One coded value: what is stored (code, system) and what is printed (label)."""

    code: str
    system: str
    label: str
    display: str = ""


class ValueSet(_Strict):
    """A list of concepts; ``oid`` is set for the official ANS CI-SIS value sets."""

    id: str
    name: str
    oid: str | None = None
    concepts: tuple[Concept, ...]

    def concept(self, code: str) -> Concept | None:
        """Return the concept with this code, or None."""
        return next((c for c in self.concepts if c.code == code), None)


class Item(_Strict):
    """One SDM-MR item as printed on a form."""

    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
    label: str
    kind: FieldKind
    value_set: str | None = None
    required: bool = False
    help: str = ""
    cells: int | None = Field(default=None, ge=1, le=24)
    columns: int | None = Field(default=None, ge=1, le=4)
    inline: bool = False
    wide: bool = False
    float_right: bool = False
    cells_from: Literal["centre.longueur_ipp"] | None = None
    cell_classes: str | None = Field(default=None, pattern=r"^[DLA]+$")
    height_mm: float | None = None

    @model_validator(mode="after")
    def _check_kind(self) -> Item:
        if self.kind in CHOICE_KINDS and not self.value_set:
            raise ValueError(f"{self.id}: a choice item needs a value_set")
        if self.kind in COMB_KINDS - {"date"} and not self.cells:
            raise ValueError(f"{self.id}: a {self.kind} item needs cells")
        if self.cell_classes and len(self.cell_classes) != self.cells:
            raise ValueError(f"{self.id}: cell_classes needs one class per cell")
        return self

    def classes(self) -> str:
        """What each comb cell may hold: D digit, L letter (or - ' space), A either."""
        if self.kind in {"digits", "date", "orpha_code"}:
            return "D" * self.cell_count
        if self.kind == "letters":
            return "L" * self.cell_count
        return self.cell_classes or "A" * self.cell_count

    @property
    def cell_count(self) -> int:
        """Number of comb cells (eight for a date)."""
        return DATE_CELLS if self.kind == "date" else (self.cells or 0)


class BlockItem(Item):
    """An item of a repeated block; its id is relative and gets the section's prefix."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")


class Section(_Strict):
    """A titled group of items; ``optional`` sections are printed "(facultatif)"."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    items: tuple[Item, ...] = ()
    use: str | None = None
    optional: bool = False
    page_break_before: bool = False


class FormDefinition(_Strict):
    """A whole form (fiche initiale or fiche de suivi), blocks already expanded."""

    kind: FormKind
    version: int = Field(ge=1)
    title: str
    sdm_version: str
    max_pages: int | None = None
    instructions: Literal["full", "short"] = "full"
    blocks: dict[str, tuple[BlockItem, ...]] = Field(default_factory=dict)
    sections: tuple[Section, ...]

    @model_validator(mode="after")
    def _expand_and_check(self) -> FormDefinition:
        expanded = []
        for section in self.sections:
            if section.use:
                if section.use not in self.blocks:
                    raise ValueError(f"section {section.id}: unknown block {section.use!r}")
                items = tuple(
                    Item(**{**b.model_dump(), "id": f"{section.id}.{b.id}"})
                    for b in self.blocks[section.use]
                )
                section = section.model_copy(update={"items": items, "use": None})
            expanded.append(section)
        object.__setattr__(self, "sections", tuple(expanded))
        ids = [item.id for item in self.items]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate item ids: {', '.join(duplicates)}")
        return self

    @property
    def items(self) -> list[Item]:
        """Every item of the form, in printing order."""
        return [item for section in self.sections for item in section.items]

    def item(self, item_id: str) -> Item:
        """Return the item with this id (KeyError if absent)."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)


def annex_kinds_of(kind: str, names: Sequence[str]) -> tuple[FormKind, ...]:
    """The annex kinds asked for by name (``statut``, …), in the order given, without
    repeats; UsageError (French) for an unknown name or annexes of a non-initiale form."""
    wanted = [n.strip().lower() for n in names if n.strip()]
    if wanted and kind != "initiale":
        raise UsageError("Les annexes s’impriment avec la fiche initiale (--kind initiale).")
    unknown = [n for n in wanted if n not in ANNEXES]
    if unknown:
        raise UsageError(f"Annexe inconnue : « {unknown[0]} ». Annexes possibles : "
                         f"{', '.join(ANNEXES)}.")
    return tuple(dict.fromkeys(ANNEXES[n] for n in wanted))


def _read_template(name: str) -> object:
    text = resources.files("bordereau.templates").joinpath(name).read_text(encoding="utf-8")
    return safe_load(text)


@cache
def value_sets() -> dict[str, ValueSet]:
    """The packaged value sets, keyed by id."""
    data = _read_template("valuesets.yaml")
    assert isinstance(data, dict)
    try:
        return {key: ValueSet(id=key, **body) for key, body in data.items()}
    except ValidationError as exc:  # a packaging defect, not a user error
        raise InputError(f"Jeux de valeurs du paquet invalides : {exc}") from exc


@cache
def load_form(kind: str) -> FormDefinition:
    """The packaged form definition of this kind (``initiale``, ``suivi``, an annex)."""
    if kind not in ALL_KINDS:
        raise UsageError(
            f"Type de bordereau inconnu : « {kind} ». Types possibles : {', '.join(FORM_KINDS)}."
        )
    data = _read_template(f"forms/{kind}.yaml")
    try:
        form = FormDefinition.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"Définition du bordereau « {kind} » invalide : {exc}") from exc
    sets = value_sets()
    for item in form.items:
        vs = item.value_set
        if vs and not vs.startswith("centre.") and vs not in sets:
            raise InputError(f"{kind}: l’item {item.id} cite un jeu de valeurs inconnu « {vs} ».")
    return form
