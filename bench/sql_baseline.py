"""Run benchmarks/sql_baseline.sql (the contract's exact Stage 1 in one DuckDB script) on a landing area.

    python bench/sql_baseline.py --landing DATA/landing --month 2026-10 --out cohort.json

Each ``@extract`` in the script becomes the list of that extract's CSV files in the window's twelve
landing months. Writes the universe size, the seconds taken and the cohort (person IDs and the lists
they are on) to ``--out``. ``bench_pipeline.py`` runs this under ``/usr/bin/time -v`` and checks the
cohort against the product's.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, window_months  # noqa: E402

SQL = ROOT / "benchmarks" / "sql_baseline.sql"
EXTRACTS = ("connect_persons", "cw_incidents", "cw_resources", "connect_person_roles", "connect_custody")


def render(landing: Path, month: str) -> str:
    """The script with each ``@extract`` replaced by its window's files (a DuckDB list literal)."""
    sql = SQL.read_text()
    for extract in EXTRACTS:
        files = [landing / m / f"{extract}.csv" for m in window_months(month)]
        missing = [str(f) for f in files if not f.exists()]
        if missing:
            raise SystemExit(f"missing landing files: {missing[:3]}")
        literal = "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"
        sql = re.sub(rf"@{extract}\b", literal, sql)
    return sql


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    import duckdb

    started = time.perf_counter()
    con = duckdb.connect()
    con.execute(render(args.landing, args.month))
    universe = con.execute("select count(*) from totals").fetchone()[0]
    cohort = con.execute(
        "select person_id, in_top_investigations_custody, in_top_originator, in_top_subject, in_top_overall "
        "from cohort order by person_id"
    ).fetchall()
    seconds = time.perf_counter() - started
    args.out.write_text(
        json.dumps(
            {
                "seconds": round(seconds, 2),
                "universe": universe,
                "cohort": [row[0] for row in cohort],
                "lists": {
                    name: sum(1 for row in cohort if row[i])
                    for i, name in enumerate(("investigations_custody", "originator", "subject", "overall"), start=1)
                },
            }
        )
    )
    print(f"SQL baseline: {len(cohort)} in the cohort out of {universe:,} people, {seconds:.1f} s")


if __name__ == "__main__":
    main()
