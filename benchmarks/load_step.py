"""Benchmark: loading and checking canonical leads from Parquet.

Each measurement is one fresh process that imports the kit and runs
``load_dataset("benchmarks/synthetic-leads.yaml", {"leads": FILE})`` with an empty cache
folder, as a report's first load does. Two ways:

- **DuckDB**: the default; leads that are already canonical are mapped and checked in
  DuckDB (`analysis.ingest.canonical`), written once as Parquet, and no lead row enters
  pandas;
- **row by row**: ``columnar=False``, the mapping every export goes through
  (`analysis.ingest.mapping`, read in chunks of 250,000 rows), for the ratio.

Both give the same tables (``tests/test_canonical.py``). The script prints a table and
writes ``benchmarks/RESULTS-load.md``:

    .venv/bin/python benchmarks/load_step.py                  # 1M and 10M leads
    .venv/bin/python benchmarks/load_step.py --sizes 100000 --rows-sizes 100000

Peak memory is the process's VmHWM (imports included; the peak right after the
imports is shown beside it). The issue's target: 10M leads in under 10 s with under
1 GB peak.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from measure import HERE, ROOT, ensure_synthetic, machine, peak_mb

PROFILE = HERE / "synthetic-leads.yaml"
TARGET_S = 10.0
TARGET_MB = 1024.0
TARGET_N = 10_000_000


def child(parquet: str, columnar: bool) -> dict:
    """One load in this process (run by the parent as ``--child``)."""
    t0 = time.perf_counter()
    from analysis.ingest.load import load_dataset

    imports_s = time.perf_counter() - t0
    after_imports = peak_mb()
    with tempfile.TemporaryDirectory() as cache:
        t = time.perf_counter()
        ds = load_dataset(
            PROFILE, {"leads": parquet}, cache_dir=cache, columnar=None if columnar else False
        )
        load_s = time.perf_counter() - t
        rows = int(ds.inputs.loc[0, "rows"])
        in_memory = ds.leads_loaded
        peak = peak_mb()
        # what a page then gets without holding the leads: counts per cell, in DuckDB
        t = time.perf_counter()
        from analysis.engine.cells import Engine

        engine = Engine()
        cells = engine.cells(engine.leads(ds), ["source", "qualification"])
        cells_s = time.perf_counter() - t
        sales = int(cells["sales"].sum()) if "sales" in cells else int(cells.iloc[:, -1].sum())
    return {
        "rows": rows,
        "imports_s": imports_s,
        "load_s": load_s,
        "peak_mb": peak,
        "after_imports_mb": after_imports,
        "leads_in_memory": in_memory,
        "cells_s": cells_s,
        "sales": sales,
        "peak_with_cells_mb": peak_mb(),
    }


def _run(parquet: Path, columnar: bool) -> dict:
    cmd = [sys.executable, __file__, "--child", str(parquet)]
    if not columnar:
        cmd.append("--rows")
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    if out.returncode:
        raise SystemExit(f"child failed: {' '.join(cmd)}\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument(
        "--rows-sizes",
        type=int,
        nargs="*",
        default=[1_000_000],
        help="sizes also loaded row by row (10M takes about 90 s and 4.6 GB)",
    )
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS-load.md")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--rows", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, columnar=not args.rows)))
        return 0
    started = time.perf_counter()
    lines = [
        "| leads | Parquet MB | way | load and check s | peak MB (of it imports) "
        "| leads in memory after the load | cells by source x class s | sales |",
        "|---|---|---|---|---|---|---|---|",
    ]
    measured: dict[tuple[int, str], dict] = {}
    for n in args.sizes:
        path, _ = ensure_synthetic(n)
        mb = path.stat().st_size / 2**20
        ways = [("DuckDB", True)] + ([("row by row", False)] if n in args.rows_sizes else [])
        for way, columnar in ways:
            got = _run(path, columnar)
            measured[(n, way)] = got
            line = (
                f"| {n:,} | {mb:,.0f} | {way} | {got['load_s']:.2f} | "
                f"{got['peak_mb']:,.0f} ({got['after_imports_mb']:,.0f}) | "
                f"{'yes' if got['leads_in_memory'] else 'no'} | {got['cells_s']:.2f} | "
                f"{got['sales']:,} |"
            )
            print(line, flush=True)
            lines.append(line)
    notes = []
    for n in args.sizes:
        a, b = measured.get((n, "DuckDB")), measured.get((n, "row by row"))
        if a and b:
            notes.append(
                f"- {n:,} leads: DuckDB {a['load_s']:.2f} s / {a['peak_mb']:,.0f} MB, row by row "
                f"{b['load_s']:.2f} s / {b['peak_mb']:,.0f} MB: x{b['load_s'] / a['load_s']:.1f} "
                f"faster, x{b['peak_mb'] / a['peak_mb']:.1f} less memory; the same sales "
                f"({a['sales']:,} and {b['sales']:,})."
            )
    target = measured.get((TARGET_N, "DuckDB"))
    if target:
        met = target["load_s"] < TARGET_S and target["peak_mb"] < TARGET_MB
        verdict = "met" if met else "not met"
        notes.append(
            f"- Target: {TARGET_N:,} canonical leads loaded and checked in under {TARGET_S:.0f} s "
            f"with under {TARGET_MB:,.0f} MB peak: {target['load_s']:.2f} s, "
            f"{target['peak_mb']:,.0f} MB: **{verdict}**."
        )
    libs = ", ".join(f"{p} {version(p)}" for p in ("duckdb", "pandas", "pyarrow"))
    text = "\n".join(
        [
            "# Benchmark: loading and checking canonical leads from Parquet",
            "",
            f"Produced by `benchmarks/load_step.py` on "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {time.perf_counter() - started:.0f} s. "
            f"Machine: {machine()}; load average at the end "
            f"{' / '.join(f'{x:.1f}' for x in os.getloadavg())}. {libs}.",
            "",
            *lines,
            "",
            "- Each row is one fresh process with an empty cache: `load_dataset` on the "
            "benchmark profile (`benchmarks/synthetic-leads.yaml`); **DuckDB** is the default "
            "path for leads that are already canonical, **row by row** is `columnar=False`.",
            "- **load and check**: reading, mapping, every check of the leads, writing the "
            "canonical Parquet file and matching spend; **peak MB**: the process's VmHWM "
            "after the load (imports included; in brackets, right after the imports).",
            "- **cells by source x class**: what a page asks next, grouped by the engine "
            "(DuckDB on the canonical file), after the load and not included in its time.",
            *notes,
            "",
        ]
    )
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
