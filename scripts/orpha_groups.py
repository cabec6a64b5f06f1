"""Regenerate ``bordereau/templates/orpha/orpha_groupes.tsv.gz`` from the Orphanet
nomenclature (see ``bordereau/templates/orpha/README.md``).

Input, either:
- the nomenclature file of Orphanet's French nomenclature pack (Orphadata,
  ``ORPHAnomenclature_fr*.xml``, ISO-8859-1), the official form; or
- the same pack as the R package orphatools stores it (``nomenclature.RDS``, columns
  orpha_code, label, level, status, type); reading it needs ``pip install pyreadr pandas``
  (not a dependency of bordereau).

Output: one row per active ORPHAcode: ``code``, ``niveau`` (``groupe``, ``maladie`` or
``sous-type``) and, for a group only, its French ``libelle``; sorted by code, gzip level 9
without time stamp. Usage::

    python scripts/orpha_groups.py ORPHAnomenclature_fr.xml [--output FILE]
"""

from __future__ import annotations

import argparse
import gzip
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

OUTPUT = Path(__file__).resolve().parents[1] / "bordereau/templates/orpha/orpha_groupes.tsv.gz"
# Orphanet's ids (ClassificationLevel, FlagValue) in the nomenclature pack.
LEVELS = {"36540": "groupe", "36547": "maladie", "36554": "sous-type"}
ACTIVE_FLAGS = {"1", "129", "513"}  # active; active head of a classification; active, other
Row = tuple[str, str, str, str]  # code, label, level id, flag value


def from_xml(path: Path) -> list[Row]:
    """The rows of an ``ORPHAnomenclature_fr*.xml`` file."""
    rows: list[Row] = []
    for _, node in ET.iterparse(path, events=("end",)):
        if node.tag != "Disorder" or node.find("OrphaCode") is None:
            continue
        level = node.find("ClassificationLevel")
        rows.append((node.findtext("OrphaCode", "").strip(), node.findtext("Name", "").strip(),
                     level.get("id", "") if level is not None else "",
                     node.findtext("FlagValue", "").strip()))
        node.clear()
    return rows


def from_rds(path: Path) -> list[Row]:
    """The rows of orphatools' ``nomenclature.RDS``."""
    import pyreadr  # type: ignore[import-not-found]  # optional, see the module docstring

    frame = next(iter(pyreadr.read_r(str(path)).values()))
    return [(str(r.orpha_code), str(r.label), str(r.level), str(r.status))
            for r in frame.itertuples()]


def table(rows: list[Row]) -> bytes:
    """The TSV (header line included) of the active codes."""
    out = {}
    for code, label, level, flag in rows:
        if flag in ACTIVE_FLAGS and level in LEVELS and code.isdigit():
            niveau = LEVELS[level]
            text = " ".join(label.split()) if niveau == "groupe" else ""
            out[int(code)] = f"{int(code)}\t{niveau}\t{text}"
    lines = ["code\tniveau\tlibelle", *(out[c] for c in sorted(out))]
    return ("\n".join(lines) + "\n").encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="ORPHAnomenclature_fr*.xml or nomenclature.RDS")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    rows = from_rds(args.source) if args.source.suffix.lower() == ".rds" else from_xml(args.source)
    data = table(rows)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    codes, groups = data.count(b"\n") - 1, data.count(b"\tgroupe\t")
    print(f"{args.output}: {codes} codes actifs, dont {groups} groupes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
