"""Benchmark: the kit's model step on grouped counts against the obvious alternative.

For each size (100k, 1M and 10M leads by default), synthetic canonical leads
(`analysis.sample.large`: 6 sources, 60 campaigns, 4 segments, 25 managers, 26 weeks,
hot/warm/cold/unknown qualification, conversion from a known logistic model) are written
to Parquet in bounded memory, then fresh processes each measure wall time and peak
memory (VmHWM):

* kit: DuckDB groups the Parquet file into cells through Ibis (no lead row enters
  pandas), then every fit of the conversion-models step runs on the cells (the binomial
  GLM of source + segment + qualification + manager, source + segment as the report fits
  it, crude vs segment-adjusted sources, the source x segment interaction test, rates
  within segments, Mantel-Haenszel, campaigns shrunk toward their source, lead-quality
  shares and the ordinal quality model by campaign, the plain-words findings), and the
  period decomposition (Shapley parts of the change in sales and revenue from 2026Q1 to
  2026Q2, and each cell's contributions) on cells the engine groups per quarter;
* row-level: pandas reads the Parquet file and statsmodels fits the same GLM as a
  row-level logit (smf.logit), the way an analyst would without the kit. A watchdog
  stops it if it grows past a memory cap (13 GB by default, or a time limit if given)
  and says so; the speed-up is then a lower bound.

Each kit measurement runs twice, with BLAS as installed and with OPENBLAS_NUM_THREADS=1.
Before each measurement the script waits (up to --quiet-wait s) for other processes to
leave the cores idle, and reports the load they still put on the machine meanwhile.

The whole report (`leadkit report`) is measured by benchmarks/report_step.py.

It prints the tables, the speed-ups, the largest coefficient difference and the targets
met or missed, and writes benchmarks/RESULTS.md with the machine it ran on.

    .venv/bin/python benchmarks/model_step.py          # everything: ~7 min on 2 cores
    .venv/bin/python benchmarks/model_step.py --sizes 100000 1000000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from measure import (
    QUIET_WAIT,
    add_common_arguments,
    ensure_synthetic,
    libs,
    machine,
    mem_available_mb,
    peak_mb,
    run_as_child,
    run_child,
)

from analysis.insight import findings
from analysis.stats import compare, decompose, glm, ordinal, period_change

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
PROFILE = HERE / "synthetic-leads.yaml"
SIZES = [100_000, 1_000_000, 10_000_000]
#: The cells every model of the step is fitted on.
MODEL_CELLS = ["source", "campaign", "segment", "qualification", "manager"]
#: The same-model comparison: conversion ~ these factors, on cells and on rows.
FORMULA_DIMS = ["source", "segment", "qualification", "manager"]
#: synth_large's 26 weeks from 2026-01-05 fill 2026Q1 and 2026Q2 (and 5 days of Q3).
PERIODS = ("2026Q1", "2026Q2")
MIX = ("source", "qualification")
#: The issue's targets.
TARGET_STEP_S = 5.0
TARGET_PEAK_MB = 1024.0
TARGET_FIT_SPEEDUP = {1_000_000: 40, 10_000_000: 200}
TARGET_COEF_DIFF = 1e-6
LIBS = ("duckdb", "ibis-framework", "statsmodels", "pandas", "numpy", "pyarrow")


# --- measurements in fresh processes ----------------------------------------------------


def run_kit(parquet: str, repeats: str = "3") -> dict:
    """The kit's whole model step on one Parquet file: aggregation, fits, decomposition.

    The first run, in this fresh process, is the one reported (as a user gets it, one-off
    warm-ups included, like the row-level fit's single run); the step is then repeated
    to show its steady cost."""
    t0 = time.perf_counter()
    from analysis.engine.cells import Engine
    from analysis.stats.shrink import shrink_rates

    t_import = time.perf_counter() - t0
    import_mb = peak_mb()

    def step() -> tuple[dict, dict]:
        parts: dict[str, float] = {}

        def timed(name: str, fn):
            t = time.perf_counter()
            out = fn()
            parts[name] = time.perf_counter() - t
            return out

        eng = Engine()
        cells = timed("cells", lambda: eng.cells(parquet, MODEL_CELLS))
        cells_a, cells_b = timed(
            "period cells",
            lambda: period_change.period_cells(
                parquet, *PERIODS, period="quarter", mix=MIX, engine=eng
            ),
        )
        refs = {d: sorted(cells[d].unique())[0] for d in FORMULA_DIMS}
        # the same model as the row-level logit: every level kept (min_leads=1, no pooling)
        same = timed(
            "same-model GLM",
            lambda: glm.fit_conversion(cells, FORMULA_DIMS, reference=refs, min_leads=1),
        )
        fit = timed(
            "GLM source + segment", lambda: glm.fit_conversion(cells, ["source", "segment"])
        )
        crude = timed(
            "crude vs adjusted", lambda: compare.crude_vs_adjusted(cells, "source", "segment")
        )
        inter = timed(
            "interaction test", lambda: compare.interaction_test(cells, "source", "segment")
        )
        timed("rates within", lambda: compare.rates_within(cells, "source", "segment"))
        timed(
            "Mantel-Haenszel",
            lambda: compare.mantel_haenszel(cells, "source", "vk", "yandex", "segment"),
        )
        shrunk = timed("shrunk campaigns", lambda: shrink_rates(cells, "campaign", "source"))
        timed("quality shares", lambda: ordinal.quality_shares(cells, "source"))
        quality = timed("ordinal quality", lambda: ordinal.fit_quality(cells, "campaign"))
        timed("findings", lambda: findings.findings(fit, crude, inter, shrunk, quality))

        def decomposition():
            sales = decompose.decompose(cells_a, cells_b, MIX, "sales", labels=PERIODS)
            decompose.decompose(cells_a, cells_b, MIX, "revenue", labels=PERIODS)
            decompose.contributions(cells_a, cells_b, MIX)
            findings.main_cause(sales)
            return sales

        sales = timed("decomposition", decomposition)
        info = {
            "cells": len(cells),
            "period_cells": len(cells_a) + len(cells_b),
            "leads": int(cells["leads"].sum()),
            "residual": float(sales.attrs["residual"]),
            "same": same,
        }
        return parts, info

    parts, info = step()
    same = info.pop("same")
    t = time.perf_counter()
    model = same.result.model  # the IRLS alone on the same design, for reference
    import statsmodels.api as sm

    sm.GLM(model.data.orig_endog, model.data.orig_exog, family=sm.families.Binomial()).fit(
        tol=1e-12, maxiter=100
    )
    irls_s = time.perf_counter() - t
    again = [sum(step()[0].values()) for _ in range(int(repeats) - 1)]
    coefs = {f"{r.term}:{r.level}": r.coef for r in same.terms.itertuples()}
    coefs["Intercept"] = float(same.result.params["Intercept"])
    cells_s = parts["cells"] + parts["period cells"]
    step_s = sum(parts.values())
    return {
        "import_s": t_import,
        "import_mb": import_mb,
        "parts": parts,
        "irls_s": irls_s,
        "irls_iterations": int(same.result.fit_history["iteration"]),
        "irls_converged": bool(same.result.converged),
        "glm_cells": int(model.exog.shape[0]),
        "cells_s": cells_s,
        "fits_s": step_s - cells_s,
        "glm_s": parts["same-model GLM"],
        "step_s": step_s,
        "repeat_s": again,
        "params": len(coefs),
        "peak_mb": peak_mb(),
        "coefs": coefs,
        "blas": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
        **info,
    }


def run_rows(parquet: str) -> dict:
    """The obvious alternative: pandas rows and a row-level logit of the same model."""
    t0 = time.perf_counter()
    import pandas as pd
    import statsmodels.formula.api as smf

    t_import = time.perf_counter() - t0
    t1 = time.perf_counter()
    leads = pd.read_parquet(parquet, columns=["converted", *FORMULA_DIMS])
    raw_mb = leads.memory_usage(deep=True).sum() / 2**20
    t_load = time.perf_counter() - t1
    t2 = time.perf_counter()
    leads["y"] = leads["converted"].astype(int)  # an int outcome: a bool would flip signs
    model = smf.logit("y ~ " + " + ".join(f"C({d})" for d in FORMULA_DIMS), leads)
    t_design = time.perf_counter() - t2
    t3 = time.perf_counter()
    fit = model.fit(disp=0)
    t_newton = time.perf_counter() - t3
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
        "design_s": t_design,
        "newton_s": t_newton,
        "step_s": t_load + t_fit,
        "peak_mb": peak_mb(),
        "raw_mb": raw_mb,
        "coefs": coefs,
    }


# --- the parent: processes, memory watch, tables ----------------------------------------


def _child(
    mode: str,
    *args: str,
    cap_mb: float | None = None,
    env: dict | None = None,
    timeout_s: float | None = None,
) -> dict:
    return run_child(__file__, mode, *args, cap_mb=cap_mb, env=env, timeout_s=timeout_s)


def _data_summary(path: Path) -> dict:
    import duckdb

    con = duckdb.connect()
    q = f"""
        select count(*)::BIGINT, count(distinct source), count(distinct campaign),
               count(distinct segment), count(distinct manager),
               count(distinct date_trunc('week', created_at)),
               count(distinct qualification), avg(converted::DOUBLE),
               avg((qualification = 'hot')::INT), avg((qualification = 'cold')::INT)
        from read_parquet('{path}')"""
    row = con.execute(q).fetchone()
    con.close()
    keys = [
        "leads",
        "sources",
        "campaigns",
        "segments",
        "managers",
        "weeks",
        "classes",
        "conversion",
        "hot",
        "cold",
    ]
    return dict(zip(keys, row, strict=True))


def _x(v: float) -> str:
    return f"{v:,.0f}x" if v >= 10 else f"{v:.1f}x"


def _fmt_s(v: float) -> str:
    return f"{v:.2f}" if v < 100 else f"{v:.0f}"


# --- tables --------------------------------------------------------------------------------


def _main_table(rows: list[dict]) -> str:
    header = (
        "| leads | Parquet MB | kit: cells s | kit: fits + decomposition s | kit: step s "
        "| kit: step s, 1 BLAS thread | kit: peak MB (of it imports) | row-level: load s "
        "| row-level: logit s | row-level: step s | row-level: peak MB "
        "| same-model fit speed-up | step speed-up | max coef diff |"
    )
    lines = [header, "|" + "---|" * 14]
    for r in rows:
        k = r["kit"]
        rl = r.get("rows")
        if rl is None:
            rest = "not run | | | | | | |"
        elif rl.get("killed"):
            rest = (
                f"stopped at {rl['why']} after {rl['after_s']:.0f} s "
                f"| | > {rl['after_s']:.0f} | {rl['peak_mb']:,.0f} so far "
                f"| > {_x(rl['after_s'] / k['glm_s'])} | > {_x(rl['after_s'] / k['step_s'])} | |"
            )
        else:
            rest = (
                f"{_fmt_s(rl['load_s'])} | {_fmt_s(rl['glm_s'])} | {_fmt_s(rl['step_s'])} | "
                f"{rl['peak_mb']:,.0f} | {_x(rl['glm_s'] / k['glm_s'])} | "
                f"{_x(rl['step_s'] / k['step_s'])} | {r['max_coef_diff']:.1e} |"
            )
        lines.append(
            f"| {r['leads']:,} | {r['file_mb']:.0f} | {k['cells_s']:.2f} | {k['fits_s']:.2f} | "
            f"**{k['step_s']:.2f}** | {r['kit1']['step_s']:.2f} | "
            f"{k['peak_mb']:,.0f} ({k['import_mb']:.0f}) | " + rest
        )
    return "\n".join(lines)


def _fit_table(rows: list[dict]) -> str:
    lines = [
        "| leads | row-level: formula + design matrix s | row-level: Newton fit s "
        "| kit: `fit_conversion` on cells s | kit: IRLS alone s | IRLS iterations "
        "| GLM cells | parameters | speed-up, whole fit | speed-up, Newton on rows / IRLS "
        "on cells | other processes' load, cores: kit / row-level |",
        "|" + "---|" * 11,
    ]
    for r in rows:
        k, rl = r["kit"], r.get("rows")
        others = f"{k['other_cores']:.2f} / " + (f"{rl['other_cores']:.2f}" if rl else "-")
        if not rl or rl.get("killed"):
            row_part, speed = "not run | not run", f"| | | {others} |"
        else:
            row_part = f"{_fmt_s(rl['design_s'])} | {_fmt_s(rl['newton_s'])}"
            speed = (
                f"| {_x(rl['glm_s'] / k['glm_s'])} | {_x(rl['newton_s'] / k['irls_s'])} "
                f"| {others} |"
            )
        iters = f"{k['irls_iterations']}" + ("" if k["irls_converged"] else " (not converged)")
        lines.append(
            f"| {r['leads']:,} | {row_part} | {k['glm_s']:.3f} | {k['irls_s']:.3f} | {iters} | "
            f"{k['glm_cells']:,} | {k['params']} " + speed
        )
    return "\n".join(lines)


def _parts_table(rows: list[dict]) -> str:
    names = list(rows[0]["kit"]["parts"])
    lines = [
        "| part of the kit step (first run), s | "
        + " | ".join(f"{_short(r['leads'])} | {_short(r['leads'])}, 1 BLAS thread" for r in rows)
        + " |",
        "|---|" + "---|" * (2 * len(rows)),
    ]
    for name in names:
        vals = " | ".join(
            f"{r['kit']['parts'][name]:.3f} | {r['kit1']['parts'][name]:.3f}" for r in rows
        )
        lines.append(f"| {name} | {vals} |")
    extra = [
        ("**whole step, first run**", lambda k: f"**{k['step_s']:.2f}**"),
        (
            "whole step, run again in the same process",
            lambda k: ", ".join(f"{v:.2f}" for v in k["repeat_s"]),
        ),
        ("imports before the step", lambda k: f"{k['import_s']:.2f}"),
        ("other processes' load during the run, cores", lambda k: f"{k['other_cores']:.2f}"),
        ("peak memory MB", lambda k: f"{k['peak_mb']:,.0f}"),
        ("cells grouped: models / periods", lambda k: f"{k['cells']:,} / {k['period_cells']}"),
    ]
    for label, fn in extra:
        lines.append(
            f"| {label} | " + " | ".join(f"{fn(r['kit'])} | {fn(r['kit1'])}" for r in rows) + " |"
        )
    return "\n".join(lines)


def _short(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"


def _data_table(rows: list[dict]) -> str:
    lines = [
        "| leads | sources | campaigns | segments | managers | weeks | classes "
        "| conversion | hot / cold share | generated in s |",
        "|" + "---|" * 10,
    ]
    for r in rows:
        d = r["data"]
        gen = f"{r['generated_s']:.0f}" if r["generated_s"] is not None else "(cached)"
        lines.append(
            f"| {d['leads']:,} | {d['sources']} | {d['campaigns']} | {d['segments']} | "
            f"{d['managers']} | {d['weeks']} | {d['classes']} | {100 * d['conversion']:.2f}% | "
            f"{100 * d['hot']:.0f}% / {100 * d['cold']:.0f}% | {gen} |"
        )
    return "\n".join(lines)


def _scaling(rows: list[dict]) -> list[str]:
    by = {r["leads"]: r for r in rows}
    if 1_000_000 not in by or 10_000_000 not in by:
        return []
    a, b = by[1_000_000], by[10_000_000]
    out = []

    def line(label: str, ta: float, tb: float) -> str:
        return (
            f"- {label}: {ta:.2f} s at 1M, {tb:.2f} s at 10M leads: x{tb / ta:.1f} for x10 "
            f"the leads ({ta:.3f} -> {tb / 10:.3f} µs per lead)"
        )

    out.append(line("kit step", a["kit"]["step_s"], b["kit"]["step_s"]))
    out.append(
        line(
            "kit aggregation (the only part that reads leads)",
            a["kit"]["cells_s"],
            b["kit"]["cells_s"],
        )
    )
    out.append(line("kit fits + decomposition (on cells)", a["kit"]["fits_s"], b["kit"]["fits_s"]))
    ra, rb = a.get("rows"), b.get("rows")
    if ra and rb and not ra.get("killed") and not rb.get("killed"):
        out.append(line("row-level load + logit", ra["step_s"], rb["step_s"]))
    return out


def _reading(rows: list[dict]) -> list[str]:
    """What the measurements say about the largest size, in plain bullets."""
    if not rows:
        return []
    r = rows[-1]
    k, k1 = r["kit"], r["kit1"]
    n = f"{r['leads']:,}"
    out = [
        f"- At {n} leads the kit's step took {k['step_s']:.2f} s as installed and "
        f"{k1['step_s']:.2f} s with one BLAS thread: the DuckDB aggregation "
        f"{k1['cells_s']:.2f} s of it ({k1['parts']['cells']:.2f} s for the "
        f"{k1['cells']:,} model cells, {k1['parts']['period cells']:.2f} s for the "
        f"quarter cells), the fits and the decomposition {k1['fits_s']:.2f} s; other "
        f"processes kept {k1['other_cores']:.2f} cores busy meanwhile.",
    ]
    if k["step_s"] > 1.5 * k1["step_s"]:
        out.append(
            f"- Multithreaded OpenBLAS cost {k['step_s'] - k1['step_s']:.1f} s there: "
            f"the same-model GLM took {k['glm_s']:.2f} s as installed against "
            f"{k1['glm_s']:.2f} s with one thread. The fits' matrices are small "
            f"({k['glm_cells']:,} x {k['params']}); BLAS threads on them only wait for "
            "each other when the cores are shared."
        )
    if not k["irls_converged"]:
        out.append(
            f"- The kit's GLM did not converge by statsmodels' test at {n} leads: IRLS "
            f"ran its {k['irls_iterations']} iterations (the IRLS alone took "
            f"{k1['irls_s']:.3f} s with one BLAS thread, {k['irls_s']:.3f} s as installed). "
            "`fit_conversion` asks for an absolute deviance change under 1e-12, which a "
            "deviance summed over this many leads' counts does not reach in floating "
            "point; the coefficients are nonetheless those of the row-level fit (max coef "
            "diff above)."
        )
    rl = r.get("rows")
    if rl and not rl.get("killed"):
        out.append(
            f"- The row-level fit at {n} leads took {rl['step_s']:.0f} s and "
            f"{rl['peak_mb']:,.0f} MB (other processes' load {rl['other_cores']:.2f} cores): "
            f"{rl['design_s']:.0f} s for patsy's design matrix and {rl['newton_s']:.0f} s "
            "for the Newton iterations on it."
        )
    return out


def _verdict(installed: bool, one_thread: bool) -> str:
    if installed:
        return "met"
    if one_thread:
        return "**missed** as installed; met with 1 BLAS thread"
    return "**missed**"


def _targets(rows: list[dict]) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) for each of the issue's targets the run can settle;
    judged on the kit as installed and, beside it, with one BLAS thread."""
    by = {r["leads"]: r for r in rows}
    out: list[tuple[str, str, str]] = []
    big = by.get(10_000_000)
    if big:
        k, k1 = big["kit"], big["kit1"]
        out.append(
            (
                f"10M leads through the whole model step in under {TARGET_STEP_S:.0f} s",
                f"{k['step_s']:.2f} s ({k1['step_s']:.2f} s with 1 BLAS thread)",
                _verdict(k["step_s"] < TARGET_STEP_S, k1["step_s"] < TARGET_STEP_S),
            )
        )
        out.append(
            (
                "... with peak memory under 1 GB",
                f"{k['peak_mb']:,.0f} MB, of it {k['import_mb']:.0f} MB after the imports "
                f"({k1['peak_mb']:,.0f} MB with 1 BLAS thread)",
                _verdict(k["peak_mb"] < TARGET_PEAK_MB, k1["peak_mb"] < TARGET_PEAK_MB),
            )
        )
    for n, need in TARGET_FIT_SPEEDUP.items():
        r = by.get(n)
        if not r or "rows" not in r:
            continue
        rl, k, k1 = r["rows"], r["kit"], r["kit1"]
        what = f"same-model fit at least {need}x faster than the row-level logit at {n:,}"
        if rl.get("killed"):
            low, low1 = rl["after_s"] / k["glm_s"], rl["after_s"] / k1["glm_s"]
            ok = low >= need
            out.append(
                (
                    what,
                    f"> {_x(low)} (the row-level fit was stopped at {rl['why']} after "
                    f"{rl['after_s']:.0f} s, so this is a lower bound)",
                    _verdict(ok, low1 >= need) if ok or low1 >= need else "not settled",
                )
            )
            continue
        sp, sp1 = rl["glm_s"] / k["glm_s"], rl["glm_s"] / k1["glm_s"]
        out.append(
            (
                what,
                f"{_x(sp)} ({_fmt_s(rl['glm_s'])} s / {k['glm_s']:.3f} s; "
                f"{_x(sp1)} with 1 BLAS thread)",
                _verdict(sp >= need, sp1 >= need),
            )
        )
    diffs = [(r["leads"], r["max_coef_diff"]) for r in rows if "max_coef_diff" in r]
    if diffs:
        worst = max(d for _, d in diffs)
        out.append(
            (
                f"coefficients equal to {TARGET_COEF_DIFF:.0e}",
                "max abs diff " + ", ".join(f"{d:.1e} at {n:,}" for n, d in diffs),
                _verdict(worst <= TARGET_COEF_DIFF, False),
            )
        )
    if 1_000_000 in by and big:
        ratio = big["kit"]["step_s"] / by[1_000_000]["kit"]["step_s"]
        ratio1 = big["kit1"]["step_s"] / by[1_000_000]["kit1"]["step_s"]
        out.append(
            (
                "cost growing no faster than the number of leads (1M to 10M)",
                f"x{ratio:.1f} the time for x10 the leads (x{ratio1:.1f} with 1 BLAS thread)",
                _verdict(ratio <= 10, ratio1 <= 10),
            )
        )
    return out


def _render(args, rows, started, load_before, load_after, total_s) -> str:
    table = _main_table(rows)
    targets = _targets(rows)
    scaling = _scaling(rows)
    tlines = ["| target | measured | |", "|---|---|---|"]
    tlines += [f"| {t} | {v} | {ok} |" for t, v, ok in targets]
    cmd = (
        "`make bench`, i.e. `.venv/bin/python benchmarks/model_step.py` with the defaults"
        if args.default_run
        else "`.venv/bin/python " + " ".join(["benchmarks/model_step.py", *sys.argv[1:]]) + "`"
    )
    text = f"""# Benchmark: the model step on cells against a row-level fit

Produced by `benchmarks/model_step.py` ({cmd}; the whole run took
{total_s / 60:.1f} min) on {started}.

Machine: {machine()}. Load average {load_before} at the start, {load_after} at the
end (another process may have been running tests at the same time).
Packages: {libs(LIBS)}.

## The model step

{table}

- **kit** columns: one fresh process running the step once (as a user gets it, one-off
  warm-ups included) with BLAS as installed (OpenBLAS on all cores); **1 BLAS thread**:
  the same in a process started with `OPENBLAS_NUM_THREADS=1` (the fits' matrices are
  small, and multithreaded BLAS on them only loses time when the cores are busy).
- **kit: cells**: DuckDB (through Ibis) groups the Parquet file into cells by source,
  campaign, segment, qualification and manager, and a second time by quarter, source
  and qualification for the decomposition (`period_change.period_cells`); no lead row
  enters pandas.
- **kit: fits + decomposition**, all on those cells: the same-model binomial GLM
  (source + segment + qualification + manager, every level kept), the GLM of source +
  segment as the conversion-models report fits it, crude vs segment-adjusted sources,
  the source x segment interaction test, rates within segments, Mantel-Haenszel (vk vs
  yandex within segments), campaigns shrunk toward their source, quality shares and the
  ordinal quality model by campaign, the findings, and the Shapley decomposition of the
  change in sales and in revenue from {PERIODS[0]} to {PERIODS[1]} with each cell's
  contributions.
- **row-level**: pandas reads the same Parquet file and statsmodels fits the same GLM
  as a row-level logit (`smf.logit`), in its own process.
- **same-model fit speed-up**: the row-level logit (formula, design matrix and fit) /
  the kit's `fit_conversion` of the same model on cells (its tables included), same
  coefficients; **step speed-up**: row-level load + logit / the kit's whole step above.
- **peak MB**: the process's maximum resident memory (VmHWM), imports included; in
  brackets, the kit process's peak right after its imports (Python, pandas, statsmodels,
  Ibis, DuckDB), so the difference is what the step itself used.
- **max coef diff**: the largest absolute difference between the two fits'
  coefficients.
- **IRLS iterations** (below): statsmodels' iterations for the kit's same-model GLM;
  "not converged" means it stopped at `fit_conversion`'s `maxiter=100`.
- Before each measurement the script waits (up to {args.quiet_wait:.0f} s) for other
  processes to leave the cores idle; the load they still put on the machine during
  each measurement is shown below ("other processes' load", in cores of 2).

### The same-model fit, row level against cells

{_fit_table(rows)}

### Targets

{chr(10).join(tlines)}

{chr(10).join(_reading(rows))}

### Scaling

{chr(10).join(scaling) if scaling else "(needs the 1M and 10M sizes)"}

### Where the kit step's time goes

{_parts_table(rows)}

### The synthetic data

`analysis.sample.large.write_synthetic_parquet(path, n, seed=1)`, one Parquet file per
size in `benchmarks/data/` (reused when present).

{_data_table(rows)}
"""
    return text.rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    parser.add_argument(
        "--no-row-level-above",
        type=int,
        default=10_000_000,
        help="skip the row-level fit above this many leads",
    )
    parser.add_argument(
        "--row-level-cap-gb",
        type=float,
        default=13.0,
        help="stop the row-level fit when its memory passes this (GB; lowered to what the "
        "machine has free)",
    )
    parser.add_argument(
        "--row-level-timeout",
        type=float,
        default=0.0,
        help="stop the row-level fit after this many seconds (0: no limit); the speed-up "
        "is then a lower bound",
    )
    add_common_arguments(parser, HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    if args.child:
        return run_as_child(args.child, {"kit": run_kit, "rows": run_rows})
    args.default_run = (argv if argv is not None else sys.argv[1:]) == []
    QUIET_WAIT["s"] = args.quiet_wait

    t_start = time.perf_counter()
    started = time.strftime("%Y-%m-%d %H:%M %Z")
    load_before = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    rows = []
    for n in args.sizes:
        path, generated = ensure_synthetic(n)
        row = {
            "leads": n,
            "file_mb": path.stat().st_size / 2**20,
            "generated_s": generated,
            "data": _data_summary(path),
        }
        row["kit"] = _child("kit", str(path))
        row["kit1"] = _child("kit", str(path), env={"OPENBLAS_NUM_THREADS": "1"})
        print(
            f"{n:,} leads: kit step {row['kit']['step_s']:.2f} s, "
            f"peak {row['kit']['peak_mb']:.0f} MB",
            flush=True,
        )
        if n <= args.no_row_level_above:
            cap = min(args.row_level_cap_gb * 1024, mem_available_mb() - 1536)
            rl = _child("rows", str(path), cap_mb=cap, timeout_s=args.row_level_timeout or None)
            row["rows"] = rl
            if rl.get("killed"):
                print(f"{n:,} leads: row-level stopped at {rl['why']}", flush=True)
            else:
                k = row["kit"]
                row["max_coef_diff"] = max(abs(k["coefs"][c] - rl["coefs"][c]) for c in rl["coefs"])
                print(
                    f"{n:,} leads: row-level {rl['step_s']:.1f} s, peak {rl['peak_mb']:.0f} MB, "
                    f"max coef diff {row['max_coef_diff']:.1e}",
                    flush=True,
                )
        rows.append(row)

    load_after = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    total = time.perf_counter() - t_start
    text = _render(args, rows, started, load_before, load_after, total)
    print(text)
    args.results.write_text(text, encoding="utf-8")
    print(f"wrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
