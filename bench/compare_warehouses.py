"""Compare every table of two warehouses: same tables, same columns and types, same rows (as multisets).

    python bench/compare_warehouses.py BEFORE.duckdb AFTER.duckdb [--ignore-columns loaded_at,...]

Used to show that a speed change leaves the outputs identical: run ``fsu run`` into two fresh
warehouses (before and after the change) on the same landing data, then compare them. Each table
of schema ``fsu`` (tables and views) is compared with ``EXCEPT ALL`` both ways, so duplicates count
and row order does not. Columns that record when a run happened (``loaded_at`` and the like) differ
between any two runs and are left out (``--ignore-columns``). Float columns that differ are compared
again rounded to 9 decimals: polars sums in parallel, so the last bits of a float sum vary from
run to run of the same code. A table that exists on one side only is reported. Exits 1 on any
difference; prints counts only, never row values.
"""

from __future__ import annotations

import argparse
import sys

import duckdb

#: Columns stamped with the time of the run: they differ between any two runs.
RUN_TIME_COLUMNS = ("loaded_at", "quarantined_at", "checked_at", "accepted_at", "computed_at", "published_at")


def relations(conn: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, list[tuple[str, str]]]:
    rows = conn.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = 'fsu' order by table_name, ordinal_position",
        [catalog],
    ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in rows:
        out.setdefault(table, []).append((column, dtype))
    return out


#: Float columns are compared exactly first, then rounded to this many decimals (see ``differing_rows``).
DECIMALS = 9
FLOAT_TYPES = {"DOUBLE", "FLOAT", "REAL"}


def differing_rows(
    conn: duckdb.DuckDBPyConnection, table: str, columns: list[str], rounded: set[str]
) -> tuple[int, int]:
    """Rows of ``table`` only in the before warehouse, and only in the after one (EXCEPT ALL both ways)."""
    cols = ", ".join(f'round("{c}", {DECIMALS})' if c in rounded else f'"{c}"' for c in columns)
    counts = []
    for x, y in (("a", "b"), ("b", "a")):
        sql = f"select count(*) from (select {cols} from {x}.fsu.{table} except all select {cols} from {y}.fsu.{table})"
        counts.append(conn.execute(sql).fetchone()[0])
    return counts[0], counts[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--ignore-columns", default=",".join(RUN_TIME_COLUMNS))
    args = parser.parse_args()
    ignore = {c for c in args.ignore_columns.split(",") if c}

    conn = duckdb.connect(":memory:")
    conn.execute(f"attach '{args.before}' as a (read_only)")
    conn.execute(f"attach '{args.after}' as b (read_only)")
    a, b = relations(conn, "a"), relations(conn, "b")
    problems = 0
    for table in sorted(set(a) | set(b)):
        if table not in a or table not in b:
            print(f"{table}: only in {'before' if table in a else 'after'}")
            problems += 1
            continue
        cols_a = {c: t for c, t in a[table] if c not in ignore}
        cols_b = {c: t for c, t in b[table] if c not in ignore}
        if cols_a != cols_b:
            print(
                f"{table}: columns differ: before-only {sorted(set(cols_a.items()) - set(cols_b.items()))}, "
                f"after-only {sorted(set(cols_b.items()) - set(cols_a.items()))}"
            )
            problems += 1
            continue
        order = [c for c, _ in a[table] if c not in ignore]
        if [c for c, _ in b[table] if c not in ignore] != order:
            print(f"{table}: note: column order differs")
        n_a = conn.execute(f"select count(*) from a.fsu.{table}").fetchone()[0]
        n_b = conn.execute(f"select count(*) from b.fsu.{table}").fetchone()[0]
        only_a, only_b = differing_rows(conn, table, order, {})
        if n_a == n_b and only_a == only_b == 0:
            print(f"{table}: {n_a:,} rows before, {n_b:,} after: identical")
            continue
        floats = {c for c in order if cols_a[c] in FLOAT_TYPES}
        rounded = differing_rows(conn, table, order, floats) if floats else (only_a, only_b)
        if n_a == n_b and rounded == (0, 0):
            # polars sums floats in parallel: the order of additions, hence the last bits, varies run to run.
            print(
                f"{table}: {n_a:,} rows before, {n_b:,} after: identical to {DECIMALS} decimals "
                f"({only_a:,} rows differ in the last bits of {', '.join(sorted(floats))})"
            )
            continue
        problems += 1
        print(
            f"{table}: {n_a:,} rows before, {n_b:,} after: DIFFERENT ({rounded[0]:,} rows only before, "
            f"{rounded[1]:,} only after, floats rounded to {DECIMALS} decimals)"
        )
    print("all tables identical" if not problems else f"{problems} table(s) differ")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
