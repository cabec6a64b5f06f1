"""Input paths on the command line: files named relative to the folder given (same-named
files in two folders never confused, ``--debug`` images in the same sub-folders), files that
are not scans skipped alike by ``scan read`` and ``scan ingest``, and one error (exit code 3)
for a missing path in every command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from bordereau.ocr.inputs import InputNames
from tests.conftest import LYON, SAMPLES, run_cli

ACCEPTED = "format non pris en charge (formats acceptés : PDF, TIFF, PNG, JPEG)"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    target = tmp_path / "home"
    shutil.copytree(SAMPLES / "home", target)
    return target


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    """Two blank A4 pages of the same name in two centres' folders, and three files that
    are not scans (as in a scanner's share: a README, a JSON file, notes)."""
    batch = tmp_path / "lot"
    for level, centre in enumerate(("lyon", "marseille")):  # same pixels, other bytes
        (batch / centre / "bureau").mkdir(parents=True)
        Image.new("L", (1240, 1754), 255).save(batch / centre / "bureau" / "scan-01.png",
                                               dpi=(150, 150), compress_level=level + 1)
    (batch / "README.md").write_text("# Lot du lundi\n", encoding="utf-8")
    (batch / "truth.json").write_text("{}", encoding="utf-8")
    (batch / "notes.txt").write_text("à rescanner", encoding="utf-8")
    return batch


SCANS = ["lyon/bureau/scan-01.png", "marseille/bureau/scan-01.png"]
SKIPPED = ["notes.txt", "README.md", "truth.json"]


def test_scan_read_names_files_relative_to_the_folder_and_skips_what_is_not_a_scan(
    batch: Path, home: Path,
) -> None:
    result = run_cli(["scan", "read", str(batch), "--home", str(home), "--workers", "1",
                      "--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [(p["source"], p["index"], p["state"]) for p in report["pages"]] == [
        (name, 0, "blank") for name in SCANS]
    assert report["skipped"] == [{"source": name, "reason": f"« {name} » ignoré : {ACCEPTED}"}
                                 for name in SKIPPED]
    human = run_cli(["scan", "read", str(batch), "--home", str(home), "--workers", "1"])
    assert human.stdout.splitlines() == ["2 page(s) : 2 blanche(s)."] + [
        f"« {name} » ignoré : {ACCEPTED}" for name in SKIPPED]


def test_scan_ingest_names_and_counts_the_same_way(batch: Path, home: Path) -> None:
    result = run_cli(["scan", "ingest", str(batch), "--home", str(home), "--workers", "1",
                      "--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [(f["path"], f["pages"], f["reason"]) for f in report["files"]] == [
        (name, 0, f"« {name} » ignoré : {ACCEPTED}") for name in SKIPPED] + [
        (name, 1, None) for name in SCANS]
    assert report["pages"] == {"blank": 2}
    again = run_cli(["scan", "ingest", str(batch), "--home", str(home), "--workers", "1"])
    assert again.stdout.splitlines() == [f"« {name} » ignoré : {ACCEPTED}" for name in SKIPPED] + [
        f"Déjà intégré, rien de nouveau : {name}" for name in SCANS]


def test_debug_images_keep_the_folder_structure(batch: Path, home: Path, tmp_path: Path) -> None:
    debug = tmp_path / "debug"
    result = run_cli(["scan", "read", str(batch), "--home", str(home), "--workers", "1",
                      "--debug", str(debug)])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.relative_to(debug).as_posix() for p in debug.rglob("*.png")) == [
        "lyon/bureau/scan-01-p001.png", "marseille/bureau/scan-01-p001.png"]


def test_files_are_named_from_the_deepest_folder_holding_everything_given(batch: Path) -> None:
    lyon, marseille = (batch / name for name in SCANS)
    assert InputNames([batch])(lyon) == "lyon/bureau/scan-01.png"
    assert InputNames([lyon])(lyon) == "scan-01.png"
    assert [InputNames([lyon, marseille])(p) for p in (lyon, marseille)] == SCANS
    assert InputNames([batch / "lyon", batch / "marseille"])(marseille) == SCANS[1]
    assert InputNames([batch / "lyon" / ".." / "marseille"])(marseille) == "bureau/scan-01.png"


@pytest.mark.parametrize("command", [
    ["scan", "read", "{missing}", "--home", "{home}"],
    ["scan", "read", "{batch}", "{missing}", "--home", "{home}"],
    ["scan", "ingest", "{missing}", "--home", "{home}"],
    ["scan", "ingest", "{batch}", "{missing}", "--home", "{home}"],
    ["forms", "generate", "--centre", "{missing}", "--kind", "initiale", "-o", "{out}"],
    ["forms", "layout", "--centre", "{missing}", "--kind", "initiale"],
], ids=["read", "read-with-another", "ingest", "ingest-with-another", "generate", "layout"])
def test_a_missing_input_path_is_the_same_error_in_every_command(
    command: list[str], batch: Path, home: Path, tmp_path: Path,
) -> None:
    missing = tmp_path / "absent.pdf"
    values = {"missing": str(missing), "home": str(home), "batch": str(batch),
              "out": str(tmp_path / "fiches.pdf")}
    result = run_cli([part.format(**values) for part in command])
    assert result.exit_code == 3
    assert result.stderr == f"Erreur : Fichier ou dossier introuvable : {missing}.\n"
    assert result.stdout == ""
    status = run_cli(["scan", "status", "--home", str(home), "--json"])
    assert json.loads(status.stdout)["files"] == 0  # nothing was taken in
    assert LYON.exists()
