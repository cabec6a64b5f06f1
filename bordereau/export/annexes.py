"""Export values of the annex sheets (``forms generate --annexe``), read like the fiches.

An annex is its own sheet, committed for a patient known by IPP; its values are read with
the same :class:`SheetReader` as the fiches, so a bad value is an anomaly, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from bordereau.export._values import SheetReader
from bordereau.export.model import FunctionalScore, PartialDate, stable_id
from bordereau.forms.centre import Centre
from bordereau.forms.model import load_form

# (form kind, values, committed at) of one committed annex sheet.
Annex = tuple[str, Mapping[str, object], datetime]
CIF_BLOCKS = ("statut1", "statut2", "statut3", "statut4")
_CIF = re.compile(r"[BSDE][0-9]{1,5}")


def functional_status(annexes: Sequence[Annex], centre: Centre, key: str
                      ) -> tuple[tuple[FunctionalScore, ...], list[SheetReader]]:
    """The CIF evaluations of every annexe statut fonctionnel, oldest sheet first, and the
    readers (whose anomalies the caller reports)."""
    form = load_form("annexe_statut")
    scores: list[FunctionalScore] = []
    readers = []
    for kind, values, at in sorted(annexes, key=lambda a: a[2]):
        if kind != "annexe_statut":
            continue
        sheet = SheetReader(values, form, centre, f"annexe statut fonctionnel du {at:%d/%m/%Y}")
        readers.append(sheet)
        for prefix in CIF_BLOCKS:
            block = sheet.block(prefix)
            if not block.filled():
                continue
            score = _score(block, key, at)
            if score is not None:
                scores.append(score)
    return tuple(scores), readers


def _score(block: SheetReader, key: str, at: datetime) -> FunctionalScore | None:
    raw = (block.text("code") or "").replace(".", "").replace(" ", "").upper()
    qualifier = block.choice("qualificatif", "qualificatif_cif")
    if not _CIF.fullmatch(raw):
        block.note("code", f"code CIF « {raw} » invalide (une lettre b, s, d ou e puis "
                           "1 à 5 chiffres)" if raw else "code CIF absent")
        return None
    if qualifier is None:
        block.note("qualificatif", f"qualificatif absent pour le code CIF {raw}")
        return None
    date = block.date("date") or PartialDate.model_validate(at.astimezone().date())
    return FunctionalScore(id=stable_id(key, "cif", raw, date.ts), category=raw.lower(),
                           qualifier=qualifier, date=date)
