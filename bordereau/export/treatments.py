"""Export values of the annexe traitements (``forms generate --annexe traitements``): the
specific treatments of the rare disease, read with the same :class:`SheetReader` as every
sheet, so a bad value is an anomaly (the patient is refused with its French reason), never
a guess."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bordereau.export._values import SheetReader
from bordereau.export.annexes import Annex
from bordereau.export.model import Treatment, stable_id
from bordereau.export.model_treatment import ATC_PATTERN
from bordereau.forms.centre import Centre
from bordereau.forms.model import load_form

BLOCKS = ("traitement1", "traitement2", "traitement3", "traitement4")
KIND = "annexe_traitements"


def treatments(annexes: Sequence[Annex], centre: Centre, key: str
               ) -> tuple[tuple[Treatment, ...], list[SheetReader]]:
    """The treatments of every annexe traitements, oldest sheet first, and the readers whose
    anomalies the caller reports. A later sheet naming the same drug (ATC code, else name)
    with the same start date replaces the earlier line: print one when a treatment starts,
    another when it stops."""
    form = load_form(KIND)
    found: dict[tuple[str, str], Treatment] = {}
    readers = []
    for kind, values, at in sorted(annexes, key=lambda a: a[2]):
        if kind != KIND:
            continue
        sheet = SheetReader(values, form, centre, f"annexe traitements du {at:%d/%m/%Y}")
        readers.append(sheet)
        for number, prefix in enumerate(BLOCKS, 1):
            block = sheet.block(prefix)
            if not block.filled():
                continue
            treatment = _treatment(block, number, key)
            if treatment is not None:
                drug = treatment.atc or treatment.name or treatment.ema or ""
                found[(drug, treatment.start.ts if treatment.start else "")] = treatment
    return tuple(found.values()), readers


def _treatment(block: SheetReader, number: int, key: str) -> Treatment | None:
    name = block.text("medicament")
    atc = (block.text("atc") or "").replace(" ", "").upper() or None
    ema = block.digits("ema", r"[0-9]{6}", "n° EMA (6 chiffres après EMEA/H/C/)")
    start, end = block.date("date_debut"), block.date("date_fin")
    stopped = block.yes_no("arrete")
    refused = len(block.anomalies)
    if atc is not None and not re.fullmatch(ATC_PATTERN, atc):
        block.note("atc", f"code ATC « {atc} » invalide (une lettre, 2 chiffres, 2 lettres, "
                          "2 chiffres : ex. A16AX07)")
    if not (name or atc or block.raw("ema")):
        block.note("medicament", "traitement sans nom de médicament ni code ATC")
    if start is not None and end is not None and end.latest < start.earliest:
        block.note("date_fin", f"date d’arrêt ({end.french}) avant la date de début "
                               f"({start.french})")
    if len(block.anomalies) > refused:
        return None
    if stopped and end is None:
        block.flag("date_fin", "traitement arrêté sans date d’arrêt : transmis sans date de fin")
    if start is None:
        block.flag("date_debut", "date de début du traitement absente : transmis sans date")
    seed = (atc or name or "", start.ts if start else "")
    return Treatment(id=stable_id(key, "traitement", *seed), number=number, name=name,
                     atc=atc, ema=f"EMEA/H/C/{ema}" if ema else None, start=start, end=end,
                     stopped=bool(stopped) or end is not None)


