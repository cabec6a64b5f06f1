"""Fill a fillable bordereau with a real PDF reader's library and read it back.

    (cd scripts/fillable_readers && npm install --no-save pdfjs-dist@4)   # for pdfjs
    apt-get install python3-gi gir1.2-poppler-0.18                        # for poppler
    .venv/bin/python scripts/fillable_readers/check_reader.py --reader pdfjs|poppler [--keep DIR]

Generates a fiche initiale with ``--fillable`` in a fresh home, types one value of every
field kind with pdf.js (``pdfjs_fill.mjs``: its annotation storage and ``saveDocument()``,
what Firefox does when a form is saved) or poppler-glib (``poppler_fill.py``: what Evince
does), then reads the saved file with ``scan read`` and prints, per field, what was typed
and what was read. With ``--printed``, the saved file is also printed by poppler
(``pdftoppm -r 200``) and read by the scanner path. Not part of the test suite: it needs
Node and pdfjs-dist, or PyGObject and poppler-glib.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bordereau.establishment import Establishment
from bordereau.ocr.pipeline import ReadOptions

HERE = Path(__file__).resolve().parent
CENTRE = HERE.parent.parent / "samples" / "centres" / "lyon-os.yaml"
TYPED = {  # field id -> (PDF field suffix, typed value, expected reading)
    "patient.nom_naissance": ("", "DURAND", "DURAND"),
    "patient.premier_prenom": ("", "Léa", "LEA"),
    "patient.ipp": ("", "4100200300", "4100200300"),
    "patient.lieu_naissance": ("", "2A004", "2A004"),
    "patient.sexe": ("", "c0", "F"),
    "vital.perdu_de_vue": ("", True, True),
    "patient.date_naissance": ("-p1", "05", None),
    "commentaire.texte": ("", "Tapé dans pdf.js :\névolution lente.",
                          "Tapé dans pdf.js :\névolution lente."),
}
DATE = {"-p2": "03", "-p3": "2011"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reader", choices=("pdfjs", "poppler"), default="pdfjs")
    parser.add_argument("--printed", action="store_true")
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    out = args.keep or Path(tempfile.mkdtemp())
    out.mkdir(parents=True, exist_ok=True)
    est = Establishment(out / "home")
    blank = out / "vierge.pdf"
    est.print_forms(CENTRE, "initiale", 1, blank, fillable=True)
    values = {f"bdx-000001-{k.replace('.', '-')}{s}": v for k, (s, v, _) in TYPED.items()}
    values |= {f"bdx-000001-patient-date_naissance{s}": v for s, v in DATE.items()}
    (out / "values.json").write_text(json.dumps(values, ensure_ascii=False))
    saved = out / f"rempli-{args.reader}.pdf"
    fill = (["node", str(HERE / "pdfjs_fill.mjs")] if args.reader == "pdfjs"
            else ["/usr/bin/python3", str(HERE / "poppler_fill.py")])
    subprocess.run([*fill, str(blank), str(saved), str(out / "values.json")], check=True,
                   cwd=HERE)
    source = saved
    if args.printed:
        source = out / "imprime"
        source.mkdir()
        subprocess.run(["pdftoppm", "-r", "200", "-gray", "-png", str(saved),
                        str(source / "page")], check=True)
    (sheet,) = est.read([source], ReadOptions(workers=1)).sheets
    expected = {k: e for k, (_, _, e) in TYPED.items()} | {"patient.date_naissance":
                                                           "2011-03-05"}
    bad = 0
    for field_id, want in expected.items():
        got = sheet.fields[field_id]
        ok = got.value == want and not got.review
        if args.printed and field_id == "commentaire.texte":
            ok = got.reason == "texte libre à recopier"  # kept as an image to transcribe
        bad += not ok
        doubt = " — à vérifier" if got.review else ""
        print(f"{'ok ' if ok else 'BAD'} {field_id:<28} {got.value!r} (attendu {want!r}){doubt}")
    print(f"{source}: {len(expected) - bad}/{len(expected)} champs relus comme saisis")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
