"""Centre configuration files: samples load, bad files give exact French errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bordereau.errors import CentreFileError
from bordereau.forms.centre import load_centre, luhn_ok
from tests.conftest import LYON, MARSEILLE

GOOD = LYON.read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "centre.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(CentreFileError) as info:
        load_centre(path)
    return info.value.message


def test_samples_are_valid_and_of_different_filieres() -> None:
    lyon, marseille = load_centre(LYON).centre, load_centre(MARSEILLE).centre
    assert lyon.filiere != marseille.filiere
    assert lyon.site.code != marseille.site.code
    assert {m.orpha for m in lyon.thesaurus} == {666, 15, 429, 1860, 89936, 436, 337, 750, 1452,
                                                  296, 321}
    assert marseille.options.longueur_ipp == 8


def test_luhn_keys() -> None:
    assert luhn_ok("690009998")
    assert not luhn_ok("690009997")
    assert luhn_ok("10000999010")


def test_unknown_key_names_file_line_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("filiere: OSCAR", "filiere: OSCAR\nfilliere: OSCAR"))
    assert error_of(path) == f"{path}, ligne 13, clé « filliere » : clé inconnue."


def test_missing_key(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('  finess: "690009998"\n', ""))
    assert error_of(path) == (
        f"{path}, ligne 3, clé « etablissement.finess » : clé obligatoire absente."
    )


def test_bad_rpps_key_points_at_the_referent(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('"10000999028"', '"10000999029"'))
    assert error_of(path) == (
        f"{path}, ligne 17, clé « referents[2].rpps » : la clé du numéro RPPS est fausse."
    )


def test_bad_finess(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('"690009998"', '"69000"'))
    assert error_of(path) == (
        f"{path}, ligne 5, clé « etablissement.finess » : un numéro FINESS compte 9 caractères "
        "(chiffres, ou 2A/2B en tête)."
    )


def test_bad_site_type_lists_allowed_values(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("type: CRMR", "type: CHU"))
    assert error_of(path) == (
        f"{path}, ligne 11, clé « site.type » : valeur non permise (attendu : CRMR, CCMR ou CRC)."
    )


def test_duplicate_orpha_code(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("{orpha: 429,", "{orpha: 15,"))
    assert error_of(path) == (
        f"{path}, ligne 20, clé « thesaurus » : code ORPHA en double : 15."
    )


def test_several_errors_are_all_listed(tmp_path: Path) -> None:
    text = GOOD.replace("type: CRMR", "type: X").replace('"10000999028"', '"123"')
    lines = error_of(write(tmp_path, text)).splitlines()
    assert len(lines) == 2
    assert "site.type" in lines[0] and "referents[2].rpps" in lines[1]


def test_yaml_syntax_error(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("filiere: OSCAR", "filiere: [OSCAR"))
    message = error_of(path)
    assert message.startswith(f"{path}, ligne ")
    assert "syntaxe YAML incorrecte" in message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "centre.yaml"
    path.write_bytes(GOOD.encode("cp1252"))
    assert error_of(path) == f"{path} : le fichier n’est pas encodé en UTF-8."


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert error_of(tmp_path / "absent.yaml") == (
        f"Fichier ou dossier introuvable : {tmp_path / 'absent.yaml'}."
    )
    assert error_of(tmp_path) == f"{tmp_path} : c’est un dossier, pas un fichier de centre."


def test_not_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "- a\n- b\n")
    assert error_of(path) == (
        f"{path}, ligne 1 : le fichier doit contenir des sections clé : valeur."
    )
