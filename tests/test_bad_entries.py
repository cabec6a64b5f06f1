"""Whatever sits in a scan folder, every entry ends in a state and the batch goes on.

A broken link, a file nobody may read, a named pipe, a non-UTF-8 name, a link loop: each
is refused with a French reason naming it, next to a good control sheet that is read and
stored; the command exits 6 (lot partiel). The FIFO and unreadable cases run the real
command in a child process (a FIFO would hang an in-process run; root reads mode-000 files,
so the child runs with the capabilities that bypass file modes dropped).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, run_cli

CONTROL = SAMPLES / "scans" / "lyon-os" / "photo" / "photo-01-001.png"  # sheet 000008, 1 page
BORDEREAU = Path(sys.executable).parent / "bordereau"
NO_DAC = ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search"]
LATIN1 = os.fsdecode(b"fiche-s\xe9curit\xe9.png")  # "fiche-sécurité.png" written in Latin-1


@pytest.fixture
def home(tmp_path: Path) -> Path:
    target = tmp_path / "home"
    shutil.copytree(SAMPLES / "home", target)
    return target


def bad_folder(root: Path) -> Path:
    folder = root / "scans"
    folder.mkdir()
    shutil.copy(CONTROL, folder / "controle.png")
    (folder / "lien-casse.pdf").symlink_to(root / "nulle-part.pdf")
    shutil.copy(CONTROL, folder / LATIN1)
    (folder / "boucle").symlink_to(folder)
    (folder / "vide.pdf").write_bytes(b"")
    return folder


def run(args: list[str], prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command in a child process (a hang fails the test instead of the suite)."""
    return subprocess.run([*(prefix or []), str(BORDEREAU), *args], capture_output=True,
                          text=True, timeout=300, check=False, errors="replace")


def assert_control_read(home: Path) -> None:
    status = json.loads(run_cli(["scan", "status", "--home", str(home), "--json"]).stdout)
    assert status["pages"]["read"] == 1
    assert status["sheets"]["waiting_review"] + status["sheets"]["committed"] == 1


def test_broken_link_latin1_name_and_link_loop_are_refused_and_the_batch_goes_on(
        home: Path, tmp_path: Path) -> None:
    folder = bad_folder(tmp_path)
    result = run_cli(["scan", "ingest", str(folder), "--home", str(home), "--workers", "1"])
    assert result.exit_code == 6, result.stdout + result.stderr
    out = result.stdout
    assert "« lien-casse.pdf » refusé : lien symbolique cassé" in out
    assert "« fiche-s�curit�.png » refusé : nom de fichier illisible" in out
    assert "boucle de liens symboliques" in out
    assert "Refusée : vide.pdf, page 1 — fichier vide" in out
    assert "Bordereaux à vérifier : 000008" in out or "Bordereaux enregistré(s) : 000008" in out
    assert_control_read(home)
    read = run_cli(["scan", "read", str(folder), "--home", str(home), "--workers", "1",
                    "--json"])
    assert read.exit_code == 6
    data = json.loads(read.stdout)
    pages = data["pages"]
    assert [p["serial"] for p in pages if p["state"] == "read"] == ["000008"]
    refused = {Path(p["source"]).name: p["reason"] for p in pages if p["state"] == "refused"}
    refused.update({Path(s["source"]).name: s["reason"] for s in data["skipped"]})
    assert set(refused) >= {"lien-casse.pdf", "fiche-s�curit�.png", "vide.pdf"}


def test_a_named_pipe_is_refused_without_hanging_and_status_still_answers(
        home: Path, tmp_path: Path) -> None:
    folder = bad_folder(tmp_path)
    os.mkfifo(folder / "tube.pdf")
    os.mkfifo(folder / "tube-sans-extension")
    ingest = run(["scan", "ingest", str(folder), "--home", str(home), "--workers", "2"])
    assert ingest.returncode == 6, ingest.stdout + ingest.stderr
    assert "« tube.pdf » refusé : tube nommé (FIFO), pas un fichier de scan" in ingest.stdout
    assert "« tube-sans-extension » refusé : tube nommé (FIFO)" in ingest.stdout
    assert_control_read(home)
    read = run(["scan", "read", str(folder / "tube.pdf"), str(CONTROL), "--home", str(home)])
    assert read.returncode == 6
    assert "tube nommé (FIFO)" in read.stdout
    assert "Bordereau 000008" in read.stdout


def test_a_file_nobody_may_read_is_refused_and_the_batch_goes_on(
        home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    shutil.copy(CONTROL, folder / "controle.png")
    secret = folder / "ferme.pdf"
    shutil.copy(SAMPLES / "scans" / "lyon-os" / "bureau-jpeg" / "bureau-jpeg-01.pdf", secret)
    secret.chmod(0)
    ingest = run(["scan", "ingest", str(folder), "--home", str(home), "--workers", "1"],
                 prefix=NO_DAC)
    assert ingest.returncode == 6, ingest.stdout + ingest.stderr
    assert "« ferme.pdf » refusé : fichier illisible (accès refusé)" in ingest.stdout
    assert_control_read(home)
    read = run(["scan", "read", str(secret), str(CONTROL), "--home", str(home)], prefix=NO_DAC)
    assert read.returncode == 6
    assert "accès refusé" in read.stdout and "Bordereau 000008" in read.stdout


def test_a_batch_without_refusal_exits_0_and_one_with_a_refused_page_exits_6(
        home: Path) -> None:
    clean = run_cli(["scan", "read", str(CONTROL), "--home", str(home), "--workers", "1"])
    assert clean.exit_code == 0
    partial = SAMPLES / "scans" / "lyon-os" / "tiff-incomplet"  # one altered page code
    read = run_cli(["scan", "read", str(partial), "--home", str(home), "--workers", "1"])
    assert read.exit_code == 6
    assert "code du bordereau altéré" in read.stdout
    ingest = run_cli(["scan", "ingest", str(partial), "--home", str(home), "--workers", "1",
                      "--json"])
    assert ingest.exit_code == 6
    assert len(json.loads(ingest.stdout)["refused"]) == 1
    again = run_cli(["scan", "ingest", str(CONTROL), "--home", str(home), "--workers", "1"])
    assert again.exit_code == 0
