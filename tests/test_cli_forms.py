"""``bordereau forms``: exact French messages, documented exit codes, nothing half-written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bordereau.forms.centre import load_centre
from bordereau.forms.layout import build_layout
from tests.conftest import LYON, MARSEILLE, run_cli


def generate(home: Path, output: Path, *extra: str, centre: Path = LYON) -> list[str]:
    return ["forms", "generate", "--centre", str(centre), "--kind", "initiale", "--output",
            str(output), "--home", str(home), *extra]


def test_generate_prints_what_it_wrote(tmp_path: Path, home: Path) -> None:
    output = tmp_path / "fiches.pdf"
    result = run_cli(generate(home, output, "--copies", "2"))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"2 bordereaux (initiale, n° 000001 à 000002, 10 pages) → {output}\n"
    assert output.read_bytes().startswith(b"%PDF")


def test_generate_json_output_is_the_documented_contract(tmp_path: Path, home: Path) -> None:
    output = tmp_path / "fiche.pdf"
    result = run_cli(generate(home, output, "--json", centre=MARSEILLE))
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    layout = build_layout("initiale", load_centre(MARSEILLE))
    assert data == {"output": str(output), "kind": "initiale",
                    "layout_id": layout.form.layout_id, "copies": 1, "pages": 5,
                    "first_serial": "000001", "last_serial": "000001", "annexes": []}


def test_generate_with_an_annex_prints_it_after_each_fiche_same_serial(
        tmp_path: Path, home: Path) -> None:
    output = tmp_path / "fiches.pdf"
    result = run_cli(generate(home, output, "--copies", "2", "--annexe", "statut"))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (f"2 bordereaux (initiale, n° 000001 à 000002, avec annexe statut "
                             f"fonctionnel, 12 pages) → {output}\n")
    annex = build_layout("annexe_statut", load_centre(LYON))
    result = run_cli(generate(home, tmp_path / "f.pdf", "--json", "-a", "statut"))
    assert json.loads(result.stdout)["annexes"] == [
        {"kind": "annexe_statut", "layout_id": annex.form.layout_id, "pages": 1}]


@pytest.mark.parametrize(("extra", "message"), [
    (("--annexe", "statut,grossesses"),
     "Erreur : Annexe inconnue : « grossesses ». Annexes possibles : identite, genetique, "
     "statut, grossesse, traitements.\n"),
    (("--annexe", "statut", "--kind", "suivi"),
     "Erreur : Les annexes s’impriment avec la fiche initiale (--kind initiale).\n"),
])
def test_a_bad_annex_is_a_usage_error(tmp_path: Path, home: Path, extra: tuple[str, ...],
                                      message: str) -> None:
    output = tmp_path / "f.pdf"
    result = run_cli(generate(home, output, *extra))
    assert (result.exit_code, result.stderr) == (2, message)
    assert not output.exists()


def test_bordereau_home_environment_variable_is_used(tmp_path: Path) -> None:
    result = run_cli(["forms", "generate", "-c", str(LYON), "-k", "suivi", "-o",
                      str(tmp_path / "s.pdf")], env={"BORDEREAU_HOME": str(tmp_path / "envhome")})
    assert result.exit_code == 0
    assert (tmp_path / "envhome" / "secret.key").exists()


def test_bad_centre_file_exit_3_and_nothing_written(tmp_path: Path, home: Path) -> None:
    bad = tmp_path / "centre.yaml"
    bad.write_text(LYON.read_text(encoding="utf-8").replace("type: CRMR", "type: CRMX"),
                   encoding="utf-8")
    output = tmp_path / "out.pdf"
    result = run_cli(generate(home, output, centre=bad))
    assert result.exit_code == 3
    assert result.stderr == (
        f"Erreur : {bad}, ligne 11, clé « site.type » : valeur non permise (attendu : CRMR, CCMR "
        "ou CRC).\n"
    )
    assert result.stdout == ""
    assert not output.exists() and not home.exists()


def test_unknown_kind_exit_2(tmp_path: Path, home: Path) -> None:
    output = tmp_path / "out.pdf"
    args = generate(home, output)
    args[args.index("initiale")] = "annuelle"
    result = run_cli(args)
    assert result.exit_code == 2
    assert result.stderr == (
        "Erreur : Type de bordereau inconnu : « annuelle ». Types possibles : initiale, suivi.\n"
    )
    assert not output.exists() and not (home / "serial.json").exists()


def test_missing_output_folder_exit_4(tmp_path: Path, home: Path) -> None:
    output = tmp_path / "absent" / "out.pdf"
    result = run_cli(generate(home, output))
    assert result.exit_code == 4
    assert result.stderr == f"Erreur : {output} : le dossier {output.parent} n’existe pas.\n"
    assert not (home / "serial.json").exists()


def test_unwritable_output_folder_exit_4(tmp_path: Path, home: Path) -> None:
    # Root may write into a 0500 folder; /proc/sys is read-only for everyone.
    folder = Path("/proc/sys") if os.geteuid() == 0 else tmp_path / "ro"
    if folder != Path("/proc/sys"):
        folder.mkdir(mode=0o500)
    output = folder / "out.pdf"
    result = run_cli(generate(home, output))
    assert result.exit_code == 4
    assert result.stderr == f"Erreur : {output} : écriture impossible (droits insuffisants).\n"
    assert not (home / "serial.json").exists()


def test_output_is_a_folder_exit_4(tmp_path: Path, home: Path) -> None:
    result = run_cli(generate(home, tmp_path))
    assert result.exit_code == 4
    assert result.stderr == (
        f"Erreur : {tmp_path} : c’est un dossier ; donner un nom de fichier .pdf.\n"
    )


def test_zero_copies_is_a_usage_error(tmp_path: Path, home: Path) -> None:
    result = run_cli(generate(home, tmp_path / "o.pdf", "--copies", "0"))
    assert result.exit_code == 2
    assert result.stderr == "Erreur : Le nombre d’exemplaires doit être au moins 1.\n"


def test_missing_option_and_bad_number_are_french_usage_errors(tmp_path: Path) -> None:
    result = run_cli(["forms", "generate", "--centre", str(LYON), "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2
    assert result.stderr == (
        "Erreur : option obligatoire manquante : --kind.\n"
        "Voir « bordereau forms generate --help ».\n"
    )
    result = run_cli(["forms", "generate", "-c", str(LYON), "-k", "suivi", "-o", "x.pdf",
                      "--copies", "trois"])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "Erreur : valeur invalide pour --copies (nombre entier attendu).\n"
    )
    result = run_cli(["forms", "generer"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Erreur : commande inconnue : 'generer'.")


def test_layout_json_is_the_manifest(tmp_path: Path) -> None:
    result = run_cli(["forms", "layout", "--centre", str(LYON), "--kind", "suivi", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data == json.loads(build_layout("suivi", load_centre(LYON)).to_json())
    field = next(f for f in data["fields"] if f["id"] == "patient.date_naissance")
    assert field["kind"] == "date" and len(field["cells_mm"]) == 8 and field["required"]


def test_layout_human_listing(tmp_path: Path) -> None:
    result = run_cli(["forms", "layout", "--centre", str(LYON), "--kind", "suivi"])
    assert result.exit_code == 0
    first = result.stdout.splitlines()[0]
    assert first.startswith("Fiche de suivi v1 — mise en page ")
    assert first.endswith(" — 1 page(s), 16 champs")
    assert "patient.date_naissance" in result.stdout


@pytest.mark.parametrize("command", [[], ["forms"], ["forms", "generate"], ["forms", "layout"]])
def test_every_command_has_french_help(command: list[str]) -> None:
    result = run_cli([*command, "--help"])
    assert result.exit_code == 0
    assert "Utilisation : bordereau" in result.stdout
    assert "Afficher cette aide et quitter." in result.stdout
    assert "Usage:" not in result.stdout and "Show this message" not in result.stdout
