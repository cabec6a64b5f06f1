"""Nominative files stay owner-only and temporary files follow no planted link."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from bordereau.files import write_private
from bordereau.home import Home
from tests.conftest import LYON, SAMPLES, run_cli
from tests.factories import INITIALE, Factory


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_export_never_writes_through_a_link_planted_at_its_temporary_name(
        tmp_path: Path) -> None:
    factory = Factory(tmp_path / "f", LYON)
    factory.sheet("initiale", INITIALE)
    victim = tmp_path / "victime.txt"
    victim.write_text("ne pas écraser")
    out = tmp_path / "envoi"
    out.mkdir()
    target = out / "export.csv"
    for pid in {os.getpid(), os.getppid(), *range(os.getpid() - 5, os.getpid() + 50)}:
        (out / f".export.csv.{pid}.tmp").symlink_to(victim)  # the old predictable names
    result = run_cli(["records", "export", "-f", "csv", "-o", str(target),
                      "--home", str(factory.home.root)])
    assert result.exit_code == 0, result.stderr
    assert victim.read_text() == "ne pas écraser"
    assert mode(target) == 0o600 and not target.is_symlink()
    assert "patient" in target.read_text(encoding="utf-8-sig")
    assert not [p for p in out.iterdir() if p.name.startswith(".") and not p.is_symlink()]


def test_write_private_replaces_a_link_at_the_target_itself_never_its_target(
        tmp_path: Path) -> None:
    victim = tmp_path / "victime.txt"
    victim.write_text("ne pas écraser")
    target = tmp_path / "fichier.xml"
    target.symlink_to(victim)
    write_private(target, b"<donnees/>")
    assert victim.read_text() == "ne pas écraser"
    assert not target.is_symlink() and target.read_bytes() == b"<donnees/>"
    assert mode(target) == 0o600


def test_debug_overlays_and_crops_are_owner_only(tmp_path: Path) -> None:
    debug = tmp_path / "debug"
    debug.mkdir(mode=0o755)
    debug.chmod(0o755)
    scan = SAMPLES / "scans" / "lyon-os" / "bureau-jpeg"
    result = run_cli(["scan", "read", str(scan), "--home", str(SAMPLES / "home"), "--debug",
                      str(debug), "--workers", "1"])
    assert result.exit_code == 6, result.stderr
    files = list(debug.iterdir())
    assert len(files) > 2  # overlays of both pages and crops of the doubtful fields
    assert mode(debug) == 0o700
    assert {mode(f) for f in files} == {0o600}
    fresh = tmp_path / "nouveau" / "debug"
    run_cli(["scan", "read", str(scan), "--home", str(SAMPLES / "home"), "--debug",
             str(fresh), "--workers", "1"])
    assert mode(fresh) == 0o700 and {mode(f) for f in fresh.iterdir()} == {0o600}


def test_a_copied_home_gets_its_folders_owner_only_again(tmp_path: Path) -> None:
    root = tmp_path / "home"
    shutil.copytree(SAMPLES / "home", root)
    (root / "scans").mkdir()
    for folder in (root, root / "centres", root / "layouts", root / "scans"):
        folder.chmod(0o755)
    for file in (root / "layouts").iterdir():
        file.chmod(0o644)
    Home.open(root, create=False)
    for folder in (root, root / "centres", root / "layouts", root / "scans"):
        assert mode(folder) == 0o700, folder
    assert {mode(f) for f in (root / "layouts").iterdir()} == {0o600}
