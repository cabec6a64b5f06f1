"""Export of committed SDM-MR records to BaMaRa as CDA R2 documents (volet SDM-MR 2024.01).

``patient_from_sheets`` builds an :class:`ExportPatient` from committed form data,
``check_exportable`` lists what is missing, ``render_cda`` writes the XML document.
"""

from __future__ import annotations

from bordereau.export.cda import (
    ExportIncompleteError,
    check_exportable,
    export_notes,
    render_cda,
)
from bordereau.export.model import ExportPatient, Problem
from bordereau.export.sheets import patient_from_sheets

__all__ = [
    "ExportIncompleteError",
    "ExportPatient",
    "Problem",
    "check_exportable",
    "export_notes",
    "patient_from_sheets",
    "render_cda",
]
