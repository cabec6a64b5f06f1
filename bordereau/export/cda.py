"""Render an :class:`ExportPatient` as a CDA R2 document of the ANS volet SDM-MR 2024.01.

The document is written by Jinja2 templates packaged in ``bordereau/templates/cda``
(one per section, shared macros in ``macros.xml.j2``), with XML autoescaping. A record
that misses a required item is refused: :func:`check_exportable` names what is missing.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from bordereau.errors import BordereauError, ExitCode
from bordereau.export.checks import check_exportable, export_notes
from bordereau.export.consistency import propositus_ipp
from bordereau.export.model import (
    FINESS_ROOT,
    RPPS_ROOT,
    SITE_MR_SYSTEM,
    Answer,
    Coded,
    ExportPatient,
    Problem,
    stable_id,
)

__all__ = ["ExportIncompleteError", "check_exportable", "export_notes", "render_cda"]

TA_ASIP = "1.2.250.1.213.1.1.4.322"
LOINC = "2.16.840.1.113883.6.1"
SNOMED = "2.16.840.1.113883.6.96"
MEDECIN = Coded(code="G15_10", system="1.2.250.1.213.1.1.4.5", display="Médecin")

_NAMESPACES = {
    "": "urn:hl7-org:v3",  # ElementTree's default_namespace option rejects plain attributes
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "sdtc": "urn:hl7-org:sdtc",
}
for _prefix, _uri in _NAMESPACES.items():
    ET.register_namespace(_prefix, _uri)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BANNER = "Set de données minimum maladies rares (volet CI-SIS SDM-MR 2024.01), par bordereau"
_ANSWER_TEXT = {"oui": "Oui", "non": "Non", "inconnu": "Ne sait pas"}


class ExportIncompleteError(BordereauError):
    """The record misses required items; ``problems`` names each of them (French)."""

    exit_code = ExitCode.EXPORT_INCOMPLETE

    def __init__(self, problems: list[Problem]) -> None:
        lines = "\n".join(f"  - {p.item} : {p.reason}" for p in problems)
        who = problems[0].patient if problems else "Patient"
        super().__init__(f"{who} : export impossible, il manque ou il faut corriger :\n{lines}")
        self.problems = problems


def _dts(value: datetime) -> str:
    """CDA TS with seconds and time zone: ``20240228160000+0100``."""
    return value.strftime("%Y%m%d%H%M%S%z")


def _french_dt(value: datetime) -> str:
    return value.strftime("%d/%m/%Y à %Hh%M")


def _yes_no(value: bool | Answer | None) -> str:
    if value is None:
        return "Non renseigné"
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    return _ANSWER_TEXT[value]


def _xml_safe(value: object) -> object:
    """Drop the characters XML 1.0 cannot carry (control characters from OCR, pasting)."""
    if isinstance(value, Markup):  # macro output: its own expressions were filtered already
        return value
    return _NOT_XML.sub("", value) if isinstance(value, str) else value


def _bl(value: bool) -> str:
    return "true" if value else "false"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("bordereau", "templates/cda"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_xml_safe,
    )
    env.filters.update(dts=_dts, french_dt=_french_dt, yn=_yes_no, bl=_bl)
    env.globals.update(
        TA_ASIP=TA_ASIP,
        LOINC=LOINC,
        SNOMED=SNOMED,
        RPPS_ROOT=RPPS_ROOT,
        FINESS_ROOT=FINESS_ROOT,
        SITE_MR=SITE_MR_SYSTEM,
        MEDECIN=MEDECIN,
    )
    return env


def render_cda(patient: ExportPatient) -> str:
    """The SDM-MR 2024.01 CDA document of this patient (UTF-8 XML text).

    Raises :class:`ExportIncompleteError` when :func:`check_exportable` finds problems:
    nothing is rendered for an incomplete record.
    """
    problems = check_exportable(patient)
    if problems:
        raise ExportIncompleteError(problems)
    dates = sorted(a.date.ts for a in patient.activites if a.date is not None)
    set_id = patient.meta.set_id

    def uid(*parts: str) -> str:
        return stable_id(set_id, *parts)

    template = _environment().get_template("document.xml.j2")
    xml = template.render(
        patient=patient,
        custodian=patient.custodian,
        first_activity=dates[0],
        propositus=propositus_ipp(patient),
        uid=uid,
    )
    return _tidy(xml)


def _tidy(xml: str) -> str:
    """Parse the rendered text (a template defect must never leave the package) and indent it."""
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    root = ET.fromstring(xml.encode("utf-8"), parser=parser)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!-- {_BANNER} -->\n{body}\n'
