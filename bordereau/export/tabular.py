"""Tabular exports of committed records (CSV for spreadsheets, JSON for scripts).

One row per committed record (current version): the sheet and record columns, then one
column per item of the packaged forms, in form order (fiche initiale, then the items only
the fiche de suivi has). A coded item also gets ``<item>__libelle``, its French label.
Multiple choices are ``|``-joined in CSV and arrays in JSON. ``docs/exports.md`` lists the
columns and describes the de-identified variant.

Nominative by default (the establishment's own use). ``deidentified=True`` drops the direct
identifiers, reduces the dates of birth and death to ``YYYY-MM``, and replaces the IPP by a
pseudonym: HMAC-SHA256 of the IPP under a random salt drawn for this export and never
stored, so it is stable within one file, not reversible, and not linkable across files.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bordereau.base.engine import Database
from bordereau.base.schema import Patient, Record, Sheet
from bordereau.forms.manifest import Layout
from bordereau.forms.model import ALL_KINDS, CHOICE_KINDS, FORM_KINDS, Item, load_form

TABULAR_VERSION = 1
LABEL_SUFFIX = "__libelle"
LIST_SEPARATOR = "|"

META_COLUMNS: tuple[str, ...] = (
    "serial", "kind", "kind__libelle", "centre", "centre__libelle", "committed_at",
    "record_id", "record_version", "patient_ipp",
)
# Without the serial and record id (keys back into the nominative base) and with the
# pseudonym in place of the IPP.
DEIDENTIFIED_META: tuple[str, ...] = (
    "kind", "kind__libelle", "centre", "centre__libelle", "committed_at", "record_version",
    "patient_pseudonyme",
)
# Direct identifiers and address-like items, removed from a de-identified export. Every
# `letters` (names), `label_zone` (the patient sticker) and `free_text` item is removed too,
# whatever its id, so that a new form version cannot leak one by accident.
REMOVED_ITEMS = frozenset({
    "patient.nom_naissance", "patient.premier_prenom", "patient.nom_utilise",
    "patient.ipp", "patient.ins", "patient.etiquette",
    "patient.lieu_naissance", "patient.commune_residence", "commentaire.texte",
})
REMOVED_KINDS = frozenset({"letters", "label_zone", "free_text"})
MONTH_ONLY_ITEMS = frozenset({"patient.date_naissance", "vital.date_deces"})
PSEUDONYMISED_ITEMS = frozenset({"famille.ipp_premier_cas"})  # another patient's IPP

DEIDENTIFIED_NOTE = (
    "Export désidentifié : noms, prénoms, IPP, INS, étiquette patient, lieu de naissance, "
    "commune de résidence et commentaire libre retirés, ainsi que les numéros de bordereau "
    "et d’enregistrement. Dates de naissance et de décès réduites au mois (AAAA-MM). "
    "L’IPP est remplacé par un pseudonyme propre à ce fichier (HMAC-SHA256 avec un sel "
    "aléatoire non conservé) : non réversible et sans lien avec les autres exports. "
    "Ce sont toujours des données de santé pseudonymisées, soumises au RGPD."
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Table:
    """The rows of an export, its column order and whether it was de-identified."""

    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    deidentified: bool
    note: str | None


def _is_coded(item: Item) -> bool:
    return _coded_kind(item.kind)


def _coded_kind(kind: str) -> bool:
    return kind in CHOICE_KINDS or kind in {"boolean", "orpha_code"}


def form_items() -> list[Item]:
    """Every item of the packaged forms, once, in column order."""
    seen: dict[str, Item] = {}
    for kind in FORM_KINDS:
        for item in load_form(kind).items:
            seen.setdefault(item.id, item)
    return list(seen.values())


def removed(item_id: str, kind: str) -> bool:
    """True when a de-identified export leaves this item out."""
    return item_id in REMOVED_ITEMS or kind in REMOVED_KINDS


def item_columns(items: Iterable[Item], deidentified: bool) -> list[str]:
    columns: list[str] = []
    for item in items:
        if deidentified and removed(item.id, item.kind):
            continue
        columns.append(item.id)
        if _is_coded(item):
            columns.append(item.id + LABEL_SUFFIX)
    return columns


def columns_of(items: Sequence[Item], deidentified: bool) -> tuple[str, ...]:
    """The column order of an export of these form items (documented in docs/exports.md)."""
    meta = DEIDENTIFIED_META if deidentified else META_COLUMNS
    return (*meta, *item_columns(items, deidentified))


class _Labels:
    """French labels of the codes of one layout (the form the sheet was printed with)."""

    def __init__(self, layout: Layout) -> None:
        self.kinds: dict[str, str] = {f.id: f.kind for f in layout.fields}
        self.choices = {f.id: {c.code: c.label for c in f.choices or ()} for f in layout.fields}
        self.thesaurus: dict[str, str] = {}
        for field in layout.fields:
            if field.value_set == "centre.thesaurus":
                self.thesaurus.update(self.choices[field.id])

    def label(self, item_id: str, code: str) -> str:
        if self.kinds.get(item_id) == "orpha_code":
            return self.thesaurus.get(code.lstrip("0"), "")
        return self.choices.get(item_id, {}).get(code, "")


def _plain(value: Any) -> Any:
    """A committed value in export form: None when empty, Y/N for a check box."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, list):
        return [str(v) for v in value]
    return str(value)


class _Pseudonyms:
    def __init__(self, salt: bytes) -> None:
        self.salt = salt

    def __call__(self, ipp: str) -> str:
        digest = hmac.new(self.salt, ipp.strip().encode(), hashlib.sha256).hexdigest()
        return "PS-" + digest[:16].upper()


def _item_values(values: dict[str, Any], labels: _Labels, kinds: dict[str, str],
                 deidentified: bool, pseudonym: _Pseudonyms) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for item_id, raw in values.items():
        kind = kinds.get(item_id) or labels.kinds.get(item_id, "")
        if deidentified and removed(item_id, kind):
            continue
        value = _plain(raw)
        if deidentified and value is not None:
            if item_id in MONTH_ONLY_ITEMS:
                value = value[:7]
            elif item_id in PSEUDONYMISED_ITEMS:
                value = pseudonym(value)
        row[item_id] = value
        if not _coded_kind(kind):
            continue
        label: Any = None
        if isinstance(value, list):
            label = [labels.label(item_id, v) for v in value]
        elif isinstance(raw, bool):
            label = "Oui" if raw else "Non"
        elif value is not None:
            label = labels.label(item_id, value) or None
        row[item_id + LABEL_SUFFIX] = label
    return row


def build_table(db: Database, *, deidentified: bool = False,
                salt: bytes | None = None,
                exclude_patients: frozenset[int] = frozenset()) -> Table:
    """Every committed record (current version), one row each, ordered by serial; none
    of ``exclude_patients``.

    ``salt`` is for tests only: by default a fresh random salt is drawn and forgotten.
    """
    items = form_items()
    kinds: dict[str, str] = {i.id: i.kind for i in items}
    titles: dict[str, str] = {kind: load_form(kind).title for kind in ALL_KINDS}
    pseudonym = _Pseudonyms(salt or secrets.token_bytes(32))
    labels_of: dict[str, _Labels] = {}
    rows: list[dict[str, Any]] = []
    extra: list[str] = []  # items of other form versions, appended in order of appearance
    with db.session() as session:
        found = session.execute(select(Record, Sheet, Patient).join(Sheet).join(Patient)
                                .where(Record.current.is_(True),
                                       Record.patient_id.not_in(exclude_patients))
                                .order_by(Sheet.serial)).all()
        for record, sheet, patient in found:
            layout = db.home.layout(sheet.layout_id)
            if sheet.layout_id not in labels_of:
                labels_of[sheet.layout_id] = _Labels(layout)
            labels = labels_of[sheet.layout_id]
            row: dict[str, Any] = {
                "serial": sheet.serial, "kind": sheet.kind,
                "kind__libelle": titles.get(sheet.kind, sheet.kind),
                "centre": sheet.centre, "centre__libelle": layout.form.centre.site_name,
                "committed_at": record.committed_at.isoformat(timespec="seconds"),
                "record_id": record.id, "record_version": record.version,
                "patient_ipp": patient.ipp,
            }
            if deidentified:
                for key in ("serial", "record_id", "patient_ipp"):
                    del row[key]
                row["patient_pseudonyme"] = pseudonym(patient.ipp)
            values = _item_values(record.values, labels, kinds, deidentified, pseudonym)
            for key in values:
                if key.removesuffix(LABEL_SUFFIX) not in kinds and key not in extra:
                    extra.append(key)
            rows.append(row | values)
    columns = (*columns_of(items, deidentified), *extra)
    return Table(columns=columns, rows=rows, deidentified=deidentified,
                 note=DEIDENTIFIED_NOTE if deidentified else None)


def _cell(value: Any) -> str:
    """A CSV cell: lists joined, empty for None, no formula for a spreadsheet to run."""
    if value is None:
        return ""
    text = LIST_SEPARATOR.join(value) if isinstance(value, list) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(table: Table) -> bytes:
    """UTF-8 with BOM, ``;``-separated, CRLF lines (what Excel in a French locale opens)."""
    buffer = io.StringIO()
    if table.note:
        buffer.write("# " + table.note.replace(";", ",") + "\r\n")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_cell(row.get(column)) for column in table.columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_json(table: Table) -> bytes:
    """``{"format", "version", "desidentifie", "note", "columns", "records"}``."""
    document = {
        "format": "bordereau-tabulaire", "version": TABULAR_VERSION,
        "desidentifie": table.deidentified, "note": table.note,
        "columns": list(table.columns),
        "records": [{column: row.get(column) for column in table.columns}
                    for row in table.rows],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
