"""Shared fixtures: sample centres, a fresh establishment home, the in-process CLI."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bordereau.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SHARED = ROOT.parent / "shared"
LYON = SAMPLES / "centres" / "lyon-os.yaml"
MARSEILLE = SAMPLES / "centres" / "marseille-neuromusculaire.yaml"


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(args: Sequence[str], env: dict[str, str] | None = None) -> Result:
    """Run ``bordereau ARGS`` in process; stdout and stderr kept apart."""
    runner = CliRunner()
    result = runner.invoke(app, list(args), prog_name="bordereau", env=env)
    return Result(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def cli():  # type: ignore[no-untyped-def]
    return run_cli
