"""The main job on the bundled samples (``./dev.sh demo``).

For every sample centre in ``samples/centres``: print its blank fiche initiale and fiche de
suivi into ``out/forms/``, with a fresh establishment home in ``out/home``. Everything goes
through the ``bordereau`` command itself, exactly as a user would run it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from bordereau.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "centres"


def run(*args: str) -> None:
    """Run one ``bordereau`` command in process; stop on failure."""
    print(f"$ bordereau {' '.join(args)}", flush=True)
    code = app(args=list(args), prog_name="bordereau", standalone_mode=False)
    if code:
        sys.exit(code)


def main(out: Path = ROOT / "out") -> None:
    """Generate the sample centres' forms and say where they are."""
    home = out / "home"
    forms = out / "forms"
    if home.exists():
        shutil.rmtree(home)
    forms.mkdir(parents=True, exist_ok=True)
    for centre in sorted(SAMPLES.glob("*.yaml")):
        for kind, copies in (("initiale", 3), ("suivi", 3)):
            target = forms / f"{centre.stem}-{kind}.pdf"
            run(
                "forms",
                "generate",
                "--centre",
                str(centre),
                "--kind",
                kind,
                "--copies",
                str(copies),
                "--output",
                str(target),
                "--home",
                str(home),
            )
    print(f"\nBordereaux prêts à imprimer dans {forms}/ ; dossier de l’établissement : {home}/")


if __name__ == "__main__":
    main()
