"""Reviewers racing on the same items: count double decisions (there must be none).

    .venv/bin/python scripts/reliability_races.py [--trials 500] [--flow-items 312]
        [--backend sqlite|postgresql|both] [--pg URL] [--json FILE]

Per backend: ``--trials`` items, each accepted by two processes at the same moment (a
barrier before every decision); then four processes review ``--flow-items`` items the way
the application does (claim the next item or a listed one, then decide), two of them with
leases that run out at once. Prints, per backend: trials, single wins, double decisions,
what the losers got, audit rows, record versions. The figures go in docs/reliability.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bordereau.base.engine import Database  # noqa: E402
from tests.conftest import LYON, PG_ADMIN_URL  # noqa: E402
from tests.factories import Factory  # noqa: E402
from tests.races import make_items, race_pairs, review_flow  # noqa: E402


def _pg_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    name = f"bordereau_races_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        Database.close_all()
        with admin.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return admin_url.rsplit("/", 1)[0] + f"/{name}", drop


def run(backend: str, trials: int, flow_items: int, pg: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        url, drop = (None, None) if backend == "sqlite" else _pg_database(pg)
        try:
            factory = Factory(Path(folder) / "races", LYON, url)
            ids = make_items(factory, trials)
            factory.db.close()
            start = time.perf_counter()
            race = race_pairs(url, factory.home.root, ids)
            race_seconds = time.perf_counter() - start
            factory = Factory(Path(folder) / "flow", LYON, url) if url is None else factory
            if drop is not None:  # PostgreSQL (url set too): a fresh base for the flow
                drop()
                url, drop = _pg_database(pg)
                factory = Factory(Path(folder) / "flow", LYON, url)
            flow_ids = make_items(factory, flow_items)
            factory.db.close()
            start = time.perf_counter()
            flow = review_flow(url, factory.home.root, flow_ids, reviewers=4, expired=2)
            flow_seconds = time.perf_counter() - start
        finally:
            if drop is not None:
                drop()
    race_data = asdict(race)
    race_data["loser_messages"] = dict(race.loser_messages)
    race_data["loser_codes"] = {str(k): v for k, v in race.loser_codes.items()}
    return {"backend": backend, "race": race_data, "race_seconds": round(race_seconds, 1),
            "flow": asdict(flow), "flow_seconds": round(flow_seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--flow-items", type=int, default=312)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg", default=os.environ.get("BORDEREAU_TEST_PG", PG_ADMIN_URL))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = []
    for backend in backends:
        result = run(backend, args.trials, args.flow_items, args.pg)
        results.append(result)
        race, flow = result["race"], result["flow"]
        print(f"{backend}: {race['trials']} races of two processes on one item "
              f"({result['race_seconds']} s): {race['single_wins']} single wins, "
              f"{race['double_decisions']} double decisions, {race['no_decision']} with no "
              f"decision; losers' exit codes {race['loser_codes']}; "
              f"{race['audit_rows']} audit rows")
        print(f"{backend}: 4 reviewers over {flow['items']} items ({result['flow_seconds']} s):"
              f" {flow['decisions']} decisions, {flow['decided_twice']} decided twice, "
              f"{flow['never_decided']} never decided, {flow['audit_rows']} audit rows "
              f"(at most {flow['audit_per_item_max']} per item), {flow['records']} record "
              f"versions for {flow['sheets']} sheets, {flow['conflicts']} conflicts refused")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
