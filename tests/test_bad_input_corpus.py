"""The bad-input corpus (42 kinds, ``bordereau.simulate.bad_inputs``) ingested in one batch
beside a good control sheet: the control is stored right, every bad entry is refused with
a French reason naming it, the batch goes on (exit 6), and nothing on screen is English,
SQL or a patient's value. The real command runs in a child process without the
capabilities that let root read mode-000 files (so « accès refusé » really happens)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.bad_inputs import PHOTO, make_corpus
from tests.conftest import SAMPLES, run_cli

BORDEREAU = Path(sys.executable).parent / "bordereau"
NO_DAC = ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search"]
# words that only English, a traceback or SQL would put on screen
FOREIGN = re.compile(
    r"\b(error|warning|exception|traceback|failed|cannot|invalid|denied|no such|not found|"
    r"unknown|the|select|insert|update|delete|from|where|sqlite|psycopg|sqlalchemy|"
    r"decode|errno)\b", re.IGNORECASE)


def patient_values() -> set[str]:
    """Every name, IPP and birth date written on the sample sheets (the corpus reuses them)."""
    truth = json.loads((SAMPLES / "scans" / "truth.json").read_text())
    values: set[str] = set()
    for batch in truth["batches"]:
        for sheet in batch["sheets"]:
            for field_id, field in sheet["fields"].items():
                value = field["value"]
                if field_id.startswith("patient.") and isinstance(value, str) \
                        and len(value) >= 4:
                    values.add(value)
                label = field.get("label") or {}
                values.update(v for k, v in label.items()
                              if k in ("nom", "ipp", "date_naissance") and v)
    return values


def ingest(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*NO_DAC, str(BORDEREAU), *args], capture_output=True, text=True,
                          timeout=900, check=False, errors="replace")


def test_every_bad_input_is_refused_in_french_beside_a_good_control(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(SAMPLES / "home", home)
    folder = tmp_path / "scans"
    kinds = make_corpus(folder)
    assert len(kinds) >= 40
    shutil.copy(PHOTO, folder / "00-controle.png")  # sheet 000008, read first
    result = ingest(["scan", "ingest", str(folder), "--home", str(home), "--workers", "2"])
    screen = result.stdout + result.stderr
    assert result.returncode == 6, screen
    status = json.loads(run_cli(["scan", "status", "--home", str(home), "--json"]).stdout)
    assert status["sheets"]["waiting_review"] + status["sheets"]["committed"] >= 1
    assert re.search(r"^Bordereaux (à vérifier|enregistré\(s\)) : .*000008", result.stdout,
                     re.MULTILINE), result.stdout
    refusals = [line for line in result.stdout.splitlines()
                if line.startswith(("Refusée : ", "« ", "Dossier « "))]
    for kind, names in kinds.items():
        for name in names:
            shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            assert any(shown in line for line in refusals), (kind, name, screen)
    assert not [line for line in refusals if line.startswith("Refusée : 00-controle")]
    for line in screen.splitlines():
        text = re.sub(r"\([^()]*/[^()]*\)|« [^»]* »|\S+\.(pdf|png|tiff?|jpg|docx)\b", "", line)
        assert not FOREIGN.search(text), line
    leaked = [value for value in patient_values() if value in screen]
    assert leaked == [], leaked
