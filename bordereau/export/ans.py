"""Check CDA documents with the ANS conformance kit for SDM-MR 2024.01, before they leave.

The same two checks as the ANS test kit for CDA implementers (copied into
``bordereau/templates/ans-sdm-mr/``, provenance in its README):

1. the CDA R2 XML Schema with the French extensions (``CDA_extended.xsd``), run by lxml;
2. the schematron ``CI-SIS_SDM-MR_2024.01`` (ISO Schematron compiled to XSLT 2 by the
   kit's own engine, run by SaxonC-HE).

The schematron is compiled once per process, in memory (about 2 s), so the kit can stay
read-only in site-packages; each document then takes about 0.1 s. The compiled rules load
the value sets from ``../jeuxDeValeurs/``: the stylesheet is given a base URI inside the
kit's ``schematrons/`` folder so that path resolves to the kit's value sets.

The kit has no rule for the section FR-Traitements-maladies-rares (1.2.250.1.213.1.1.2.54)
of the annexe traitements: the ANS rules of that section and of its entries, taken from the
previous ANS kit (``bordereau/templates/ans-traitements/``, provenance in its README), are
compiled the same way and run, as a third check, on the documents that carry the section.

``python -m bordereau.export.ans DOC.xml…`` checks files from the command line (exit 1 when
one is invalid), for developers; ``records export --format cda`` calls :func:`validator`.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

KIT = Path(__file__).resolve().parents[1] / "templates" / "ans-sdm-mr"
SCHEMATRON = KIT / "schematrons" / "CI-SIS_SDM-MR_2024.01.sch"
ENGINE = KIT / "schematrons" / "moteur"
XSD = KIT / "infrastructure" / "cda" / "CDA_extended.xsd"
VALUE_SETS = KIT / "jeuxDeValeurs"
TREATMENT_RULES = (KIT.parent / "ans-traitements" / "schematrons"
                   / "traitements-maladies-rares.sch")
TREATMENT_SECTION = "1.2.250.1.213.1.1.2.54"  # FR-Traitements-maladies-rares
SVRL = "{http://purl.oclc.org/dsdl/svrl}"
_RULE = re.compile(r"^\s*\[([^\]]+)\]")


@dataclass(frozen=True)
class Conformity:
    """The result of both checks on one document.

    ``xsd_errors`` and ``schematron_errors`` are the full messages: they may quote values of
    the document, so they are for the developer, never for a log. ``rules`` names only the
    failed rules (the XSD error kinds and the schematron pattern tags), safe to show.
    """

    xsd_errors: list[str] = field(default_factory=list)
    schematron_errors: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.xsd_errors and not self.schematron_errors


class AnsValidator:
    """The compiled XML Schema and schematron; :meth:`check` runs both on one document."""

    def __init__(self) -> None:
        from saxonche import PySaxonProcessor

        self._schema = etree.XMLSchema(etree.parse(str(XSD)))
        self._proc: Any = PySaxonProcessor(license=False)
        self._rules: Any = self._compile(SCHEMATRON)
        self._treatment_rules: Any = self._compile(TREATMENT_RULES)

    def _node(self, text: str, path: Path) -> Any:
        """Parse ``text`` as if it were the file ``path`` (relative paths resolve there)."""
        builder = self._proc.new_document_builder()
        builder.set_base_uri(path.as_uri())
        return builder.parse_xml(xml_text=text)

    def _compile(self, schematron: Path) -> Any:
        xslt = self._proc.new_xslt30_processor()
        include, expand, to_xslt = (
            xslt.compile_stylesheet(stylesheet_file=str(ENGINE / name))
            for name in ("iso_dsdl_include.xsl", "iso_abstract_expand.xsl",
                         "iso_svrl_for_xslt2.xsl"))
        folder = schematron.parent
        included = include.transform_to_string(source_file=str(schematron))
        expanded = expand.transform_to_string(
            xdm_node=self._node(included, folder / "included.sch"))
        compiled = to_xslt.transform_to_string(
            xdm_node=self._node(expanded, folder / "expanded.sch"))
        return xslt.compile_stylesheet(
            stylesheet_node=self._node(compiled, folder / f"{schematron.stem}.xsl"))

    def check(self, document: str | bytes) -> Conformity:
        """Check one document given as its XML text."""
        data = document.encode("utf-8") if isinstance(document, str) else document
        try:
            tree = etree.fromstring(data, etree.XMLParser(resolve_entities=False))
        except etree.XMLSyntaxError as exc:
            return Conformity(xsd_errors=[f"XML mal formé : {exc}"], rules=["XML mal formé"])
        rules: list[str] = []
        xsd_errors: list[str] = []
        if not self._schema.validate(tree):
            errors: list[Any] = list(self._schema.error_log)  # type: ignore[call-overload]
            for error in errors:
                xsd_errors.append(f"ligne {error.line} : {error.message}")
                rules.append(f"XSD {error.type_name}")
        stylesheets = [self._rules]
        if tree.xpath("//h:section/h:templateId[@root=$root]", root=TREATMENT_SECTION,
                      namespaces={"h": "urn:hl7-org:v3"}):
            stylesheets.append(self._treatment_rules)
        schematron_errors = []
        for stylesheet in stylesheets:
            svrl = stylesheet.transform_to_string(
                xdm_node=self._proc.new_document_builder().parse_xml(
                    xml_text=data.decode("utf-8")))
            for failed in _failures(svrl):
                text = " ".join("".join(map(str, failed.itertext())).split())
                schematron_errors.append(text)
                tag = _RULE.match(text)
                rules.append(
                    f"schématron {tag.group(1) if tag else failed.get('location', '?')}")
        return Conformity(xsd_errors, schematron_errors, list(dict.fromkeys(rules)))

    def check_file(self, path: Path) -> Conformity:
        return self.check(path.read_bytes())


def _failures(svrl: str) -> list[Any]:
    """The failed assertions and the successful reports (the ANS rules use both: a report
    names what is forbidden) of one SVRL result."""
    root = etree.fromstring(svrl.encode("utf-8"))
    return [node for node in root.iter(f"{SVRL}failed-assert", f"{SVRL}successful-report")]


@cache
def validator() -> AnsValidator:
    """The process's validator, compiled on first use."""
    return AnsValidator()


def main(argv: list[str]) -> int:
    """Check files; print one line per document and its errors; 0 when all are valid."""
    if not argv:
        print("usage : python -m bordereau.export.ans DOCUMENT.xml…", file=sys.stderr)
        return 2
    invalid = 0
    for name in argv:
        result = validator().check_file(Path(name))
        invalid += not result.valid
        print(f"{name} : {'conforme' if result.valid else 'NON CONFORME'}")
        for message in result.xsd_errors:
            print(f"  xsd : {message}")
        for message in result.schematron_errors:
            print(f"  schématron : {message}")
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
