"""The ANS conformance kit shipped in the package: the official examples pass, a document
broken on purpose is refused by the check that should catch it, and the rule names given
for a refusal never quote the document's values."""

from __future__ import annotations

from pathlib import Path

import pytest

from bordereau.export.ans import KIT, main, validator

EXAMPLES = sorted((KIT / "examples").glob("SDM-MR_2024.01_*.xml"))
NEWBORN = KIT / "examples" / "SDM-MR_2024.01_nouveau-ne.xml"
STATUT = ('<value xsi:type="CD" code="385651009" displayName="en cours d\'exécution"\n'
          '                        codeSystem="2.16.840.1.113883.6.96"')


def newborn() -> str:
    return NEWBORN.read_text(encoding="utf-8")


def test_the_kit_is_in_the_package_with_its_provenance() -> None:
    readme = (KIT / "README.md").read_text(encoding="utf-8")
    assert "ansforge/TestContenuCDA-3-0" in readme and "7cd489b3" in readme
    assert len(list((KIT / "jeuxDeValeurs").glob("JDV_*_CISIS.xml"))) == 12
    assert [p.name for p in EXAMPLES] == [
        "SDM-MR_2024.01_nouveau-ne.xml", "SDM-MR_2024.01_patiente-enceinte.xml",
        "SDM-MR_2024.01_patiente-post-grossesse.xml"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_the_official_examples_pass(example: Path) -> None:
    result = validator().check_file(example)
    assert result.valid, result.xsd_errors + result.schematron_errors
    assert result.rules == []


def test_a_code_outside_its_value_set_is_refused_by_the_schematron() -> None:
    assert STATUT in newborn()
    result = validator().check(newborn().replace(STATUT, STATUT.replace("385651009", "123456")))
    assert result.xsd_errors == []
    assert result.rules == ["schématron dansJeuDeValeurs"]
    (message,) = result.schematron_errors
    assert "123456" in message and "JDV_StatutActuelDiagnostic_CISIS.xml" in message
    assert "123456" not in " ".join(result.rules)


def test_an_element_the_schema_does_not_know_is_refused_by_the_xml_schema() -> None:
    broken = newborn().replace("<statusCode code=\"completed\"/>",
                               "<statut>secret-42</statut><statusCode code=\"completed\"/>", 1)
    result = validator().check(broken.encode("utf-8"))
    assert not result.valid
    assert result.rules[0].startswith("XSD SCHEMAV_")
    assert any("statut" in message for message in result.xsd_errors)
    assert "secret-42" not in " ".join(result.rules)


def test_a_document_that_is_not_xml_is_refused() -> None:
    result = validator().check("<ClinicalDocument><unclosed></ClinicalDocument>")
    assert not result.valid and result.rules == ["XML mal formé"]


def test_the_developer_command_checks_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text(newborn().replace('code="34133-9"', 'code="00000-0"'), encoding="utf-8")
    assert main([str(NEWBORN)]) == 0
    assert capsys.readouterr().out == f"{NEWBORN} : conforme\n"
    assert main([str(NEWBORN), str(broken)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == [f"{NEWBORN} : conforme", f"{broken} : NON CONFORME"]
    assert out[2].startswith("  schématron : [Entete_SDMMR] L'élément code doit avoir")
