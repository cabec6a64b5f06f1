"""Regenerate ``bordereau/templates/hpo/hpo_termes.tsv.gz`` from the Human Phenotype
Ontology (see ``bordereau/templates/hpo/README.md``).

Inputs:
- ``--obo hp.obo``: an HPO release in OBO form (ids, English labels, obsolete terms with
  their ``replaced_by``, secondary ids ``alt_id``);
- ``--terms hp-example-not-translated.babelon.tsv`` (optional): the current terms of a
  release as the HPO repository's translation pipeline lists them (every non-obsolete term
  of that release's ``hp.obo`` with its English label, ``src/translations/`` at the
  release tag). When given, it is the list of current terms and ``hp.obo`` (an older
  release then) only tells the obsolete and secondary ids; a term of ``hp.obo`` that is
  not current any more is counted obsolete since, without a replacement;
- ``--fr hp-fr-preprocessed.babelon.tsv`` (optional): the HPO's French translation
  (babelon, ``src/translations/`` at the same tag, the file the release's ``hp-fr.owl`` is
  made of). Only ``OFFICIAL`` labels whose English source is the current label are kept.

Output: one row per id, ``id`` (the 7 digits after ``HP:``), ``statut`` (``actif`` or
``obsolete``), ``langue`` (``fr`` or ``en``, of the label), ``libelle`` (current terms
only) and ``remplace_par`` (an obsolete or secondary id: the current term that replaces
it, when known); sorted by id, gzip level 9 without time stamp. Usage::

    python scripts/hpo_terms.py --obo hp.obo [--terms hp-example-not-translated.babelon.tsv]
        [--fr hp-fr-preprocessed.babelon.tsv] [--output FILE]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

OUTPUT = Path(__file__).resolve().parents[1] / "bordereau/templates/hpo/hpo_termes.tsv.gz"
ID = re.compile(r"HP:(\d{7})")


@dataclass
class Obo:
    """What an ``hp.obo`` says of every HP id."""

    version: str = ""
    labels: dict[str, str] = field(default_factory=dict)  # current terms
    obsolete: dict[str, str] = field(default_factory=dict)  # obsolete id → replaced_by or ""
    alt: dict[str, str] = field(default_factory=dict)  # secondary id → its term


def read_obo(path: Path) -> Obo:
    """The HP terms of an OBO file (other ontologies' terms left out)."""
    obo = Obo()
    stanzas = path.read_text(encoding="utf-8").split("\n[")
    for line in stanzas[0].splitlines():
        if line.startswith("data-version:"):
            obo.version = line.split(":", 1)[1].strip()
    for stanza in stanzas[1:]:
        lines = stanza.splitlines()
        if lines[0] != "Term]":
            continue
        tags: dict[str, list[str]] = {}
        for line in lines[1:]:
            tag, _, value = line.partition(": ")
            tags.setdefault(tag, []).append(value.strip())
        found = ID.fullmatch(tags.get("id", [""])[0])
        if found is None:
            continue
        code = found.group(1)
        if tags.get("is_obsolete") == ["true"]:
            replaced = ID.fullmatch(tags.get("replaced_by", [""])[0])
            obo.obsolete[code] = replaced.group(1) if replaced else ""
            continue
        obo.labels[code] = tags["name"][0]
        for alt in tags.get("alt_id", []):
            if (other := ID.fullmatch(alt)) is not None:
                obo.alt[other.group(1)] = code
    return obo


def read_babelon(path: Path) -> list[dict[str, str]]:
    """The rows of a babelon TSV file."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def current_terms(rows: list[dict[str, str]]) -> dict[str, str]:
    """HP id → English label, from the translation pipeline's list of a release's terms."""
    out = {}
    for row in rows:
        found = ID.fullmatch(row["subject_id"])
        if found is not None and row["predicate_id"] == "rdfs:label":
            out[found.group(1)] = " ".join(row["source_value"].split())
    return out


def french(rows: list[dict[str, str]], english: dict[str, str]) -> dict[str, str]:
    """HP id → official French label, when translated from the current English label."""
    out = {}
    for row in rows:
        found = ID.fullmatch(row["subject_id"])
        if (found is None or row["predicate_id"] != "rdfs:label"
                or row["translation_status"] != "OFFICIAL" or not row["translation_value"]):
            continue
        code = found.group(1)
        if english.get(code) == " ".join(row["source_value"].split()):
            out[code] = " ".join(row["translation_value"].split())
    return out


def table(obo: Obo, current: dict[str, str] | None, fr: dict[str, str]) -> bytes:
    """The TSV (header line included)."""
    english = current if current is not None else obo.labels
    rows: dict[str, str] = {}
    for code, label in english.items():
        lang, text = ("fr", fr[code]) if code in fr else ("en", label)
        rows[code] = f"{code}\tactif\t{lang}\t{text}\t"
    gone = {c: "" for c in obo.labels if c not in english}  # obsolete since the OBO release
    for code, by in {**gone, **obo.obsolete, **obo.alt}.items():
        if code not in english:
            rows[code] = f"{code}\tobsolete\t\t\t{by if by in english else ''}"
    lines = ["id\tstatut\tlangue\tlibelle\tremplace_par", *(rows[c] for c in sorted(rows))]
    return ("\n".join(lines) + "\n").encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--obo", type=Path, required=True, help="hp.obo of an HPO release")
    parser.add_argument("--terms", type=Path, help="hp-example-not-translated.babelon.tsv")
    parser.add_argument("--fr", type=Path, help="hp-fr-preprocessed.babelon.tsv")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    obo = read_obo(args.obo)
    current = current_terms(read_babelon(args.terms)) if args.terms else None
    english = current if current is not None else obo.labels
    fr = french(read_babelon(args.fr), english) if args.fr else {}
    data = table(obo, current, fr)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    obsolete = data.count(b"\tobsolete\t")
    renamed = sum(1 for c, label in obo.labels.items() if c in english and english[c] != label)
    print(f"{args.output}: {len(english)} termes actifs ({len(fr)} libellés français), "
          f"{obsolete} identifiants obsolètes ou secondaires ; hp.obo "
          f"{obo.version} : {len(obo.labels)} termes, dont {renamed} renommés depuis",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
