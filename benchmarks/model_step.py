"""Benchmark: the kit's model step on grouped counts against the obvious alternative.

For each size, synthetic canonical leads are written to Parquet (bounded memory), then
two fresh processes each measure wall time and peak memory (max RSS):

* kit: DuckDB groups the Parquet file into cells through Ibis (no pandas rows), then
  every fit of the conversion-models step runs on the cells: the binomial GLM
  (source + segment + qualification + manager), the source x segment interaction test,
  crude vs segment-adjusted sources, campaigns shrunk toward their source, and the
  ordinal model of lead quality by campaign;
* row-level: pandas reads the Parquet file and statsmodels fits the same GLM as a
  row-level logit (smf.logit), the way an analyst would without the kit.

It prints a table, the speed-up and the largest coefficient difference, and writes
benchmarks/RESULTS.md with the machine it ran on.

    .venv/bin/python benchmarks/model_step.py                   # 100k and 1M leads
    .venv/bin/python benchmarks/model_step.py --sizes 10000000  # ten million
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
FORMULA_DIMS = ["source", "segment", "qualification", "manager"]


def _peak_mb() -> float:
    """This process's peak resident memory. /proc's VmHWM starts afresh at exec, unlike
    getrusage's ru_maxrss, which a child inherits from the parent it was forked from."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_kit(parquet: str) -> dict:
    t0 = time.perf_counter()
    from analysis import models, ordinal
    from analysis.engine import Engine
    from analysis.shrink import shrink_rates

    t_import = time.perf_counter() - t0
    import_mb = _peak_mb()
    t1 = time.perf_counter()
    cells = Engine().cells(parquet, ["source", "campaign", "segment", "qualification", "manager"])
    t_cells = time.perf_counter() - t1
    t2 = time.perf_counter()
    refs = {d: sorted(cells[d].unique())[0] for d in FORMULA_DIMS}
    fit = models.fit_conversion(cells, FORMULA_DIMS, reference=refs, min_leads=1)
    t_fit = time.perf_counter() - t2
    models.interaction_test(cells, "source", "segment")
    models.crude_vs_adjusted(cells, "source", "segment")
    shrink_rates(cells, "campaign", "source")
    ordinal.fit_quality(cells, "campaign")
    t_all = time.perf_counter() - t2
    coefs = {f"{r.term}:{r.level}": r.coef for r in fit.terms.itertuples()}
    coefs["Intercept"] = float(fit.result.params["Intercept"])
    return {
        "import_s": t_import,
        "cells_s": t_cells,
        "glm_s": t_fit,
        "fits_s": t_all,
        "step_s": t_cells + t_all,
        "cells": len(cells),
        "peak_mb": _peak_mb(),
        "import_mb": import_mb,
        "coefs": coefs,
        "leads": int(cells["leads"].sum()),
    }


def run_rows(parquet: str) -> dict:
    t0 = time.perf_counter()
    import pandas as pd
    import statsmodels.formula.api as smf

    t_import = time.perf_counter() - t0
    t1 = time.perf_counter()
    leads = pd.read_parquet(parquet, columns=["converted", *FORMULA_DIMS])
    raw_mb = leads.memory_usage(deep=True).sum() / 2**20
    t_load = time.perf_counter() - t1
    t2 = time.perf_counter()
    leads["y"] = leads["converted"].astype(int)
    fit = smf.logit("y ~ " + " + ".join(f"C({d})" for d in FORMULA_DIMS), leads).fit(disp=0)
    t_fit = time.perf_counter() - t2
    coefs = {}
    for name, value in fit.params.items():
        if name == "Intercept":
            coefs[name] = float(value)
        else:
            term = name.split("(")[1].split(")")[0]
            coefs[f"{term}:{name.split('[T.')[1][:-1]}"] = float(value)
    return {
        "import_s": t_import,
        "load_s": t_load,
        "glm_s": t_fit,
        "step_s": t_load + t_fit,
        "peak_mb": _peak_mb(),
        "raw_mb": raw_mb,
        "coefs": coefs,
    }


def _child(mode: str, parquet: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(parquet)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    libs = ", ".join(
        f"{p} {version(p)}" for p in ("duckdb", "ibis-framework", "statsmodels", "pandas", "numpy")
    )
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB; Python {platform.python_version()}; {libs}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--no-row-level-above",
        type=int,
        default=10_000_000,
        help="skip the row-level fit above this many leads",
    )
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PARQUET"), help=argparse.SUPPRESS)
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    if args.child:
        mode, parquet = args.child
        print(json.dumps(run_kit(parquet) if mode == "kit" else run_rows(parquet)))
        return 0

    from analysis.synth_large import write_synthetic_parquet

    rows = []
    for n in args.sizes:
        path = DATA / f"leads_{n}.parquet"
        if not path.exists():
            t = time.perf_counter()
            write_synthetic_parquet(path, n, seed=1)
            print(f"wrote {n:,} leads to {path} in {time.perf_counter() - t:.1f} s", flush=True)
        kit = _child("kit", path)
        row = {"leads": n, "file_mb": path.stat().st_size / 2**20, "kit": kit}
        if n <= args.no_row_level_above:
            rl = _child("rows", path)
            diff = max(abs(kit["coefs"][k] - rl["coefs"][k]) for k in rl["coefs"])
            row |= {"rows": rl, "max_coef_diff": diff}
        rows.append(row)
        print(json.dumps({k: v for k, v in row.items() if k not in ("kit", "rows")}), flush=True)

    header = (
        "| leads | Parquet MB | kit: cells s | kit: all fits s | kit: step s "
        "| kit: peak MB (of it imports) "
        "| row-level: load s | row-level: logit s | row-level: step s | row-level: peak MB "
        "| pandas table MB | same-model fit speed-up | step speed-up | max coef diff |"
    )
    lines = [header, "|" + "---|" * 14]
    for r in rows:
        k = r["kit"]
        if "rows" in r:
            rl = r["rows"]
            rest = (
                f"{rl['load_s']:.2f} | {rl['glm_s']:.2f} | {rl['step_s']:.2f} | "
                f"{rl['peak_mb']:.0f} | {rl['raw_mb']:.0f} | "
                f"{rl['glm_s'] / k['glm_s']:.0f}x | {rl['step_s'] / k['step_s']:.1f}x | "
                f"{r['max_coef_diff']:.1e} |"
            )
        else:
            rest = "not run | | | | | | | |"
        lines.append(
            f"| {r['leads']:,} | {r['file_mb']:.0f} | {k['cells_s']:.2f} | "
            f"{k['fits_s']:.2f} | {k['step_s']:.2f} | {k['peak_mb']:.0f} "
            f"({k['import_mb']:.0f}) | " + rest
        )
    table = "\n".join(lines)
    print(table)
    text = f"""# Benchmark: the model step on cells against a row-level fit

Produced by `benchmarks/model_step.py` (`.venv/bin/python benchmarks/model_step.py
--sizes {" ".join(map(str, args.sizes))}`) on {time.strftime("%Y-%m-%d")}.

Machine: {_machine()}.

- **kit: cells** DuckDB (through Ibis) groups the Parquet file into cells by source,
  campaign, segment, qualification and manager; no lead row enters pandas.
- **kit: all fits**: on the cells, the binomial GLM (source + segment + qualification +
  manager), the source x segment interaction test, crude vs segment-adjusted sources,
  campaigns shrunk toward their source and the ordinal quality model by campaign.
- **row-level**: pandas reads the same Parquet file and statsmodels fits the same GLM
  as a row-level logit (`smf.logit`).
- **same-model fit speed-up**: row-level logit time / the kit's GLM on cells (the same
  model, same coefficients); **step speed-up**: the row-level load + logit against the
  kit's whole step (aggregation + every fit above).
- **peak MB**: the process's maximum resident memory (VmHWM), imports included; in
  brackets, the kit process's peak right after its imports (Python, pandas,
  statsmodels, Ibis, DuckDB), so the difference is what the step itself used.
- **max coef diff**: the largest absolute difference between the two fits'
  coefficients.

{table}
"""
    args.results.write_text(text, encoding="utf-8")
    print(f"wrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
