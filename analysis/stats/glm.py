"""Conversion models on cells: a binomial GLM fitted on (sales, leads − sales) per cell.

Fitting on grouped counts gives exactly the coefficients and standard errors of a
row-level logistic regression on the same leads (the likelihoods differ only by a
constant), at a cost that depends on the number of cells, not of leads.

Levels with no sales, all sales or few leads would give the ±20 coefficients and huge
standard errors statsmodels returns without a warning; they are pooled into one
``(small levels)`` level before fitting (or, if even that has no sales, left out of the
fit) and flagged, and their own rates come shrunk toward their parent from
`analysis.shrink`. Every comparison carries a plain "enough data?" verdict.

Comparisons built on these fits (crude against adjusted, the interaction test, rates
within another factor, Mantel-Haenszel) are in `analysis.stats.compare`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import patsy
import statsmodels.api as sm
from scipy import stats as _st

from analysis.stats.intervals import (
    bh_qvalues,
    leads_needed,
    one_blas_thread,
    wilson_interval,
    z_value,
)

__all__ = [
    "POOLED",
    "ConversionFit",
    "fit_conversion",
    "verdict",
    "about",
]

#: The level that sparse levels are pooled into before fitting.
POOLED = "(small levels)"


@dataclass(frozen=True)
class ConversionFit:
    """A fitted conversion model and its tidy tables.

    Attributes
    ----------
    dims : tuple of str
        The model's factors, e.g. ("source", "segment").
    terms : DataFrame
        One row per non-reference level: ``term, level, reference, leads, sales, rate,
        reference_rate, coef, se, odds_ratio, or_low, or_high, p_value, q_value, flag,
        enough_data, verdict, leads_needed``.
    cells : DataFrame
        One row per cell: the dims, ``leads, sales, rate, rate_low, rate_high``
        (observed, Wilson), ``predicted, predicted_low, predicted_high`` (the model's),
        ``flag``.
    pooled : dict of str to list of str
        For each dimension, the levels pooled into `POOLED` or left out.
    result : statsmodels GLMResults
        The fit itself (None when nothing could be fitted).
    notes : list of str
        What was pooled or left out, and any warning the fit gave.
    """

    dims: tuple[str, ...]
    terms: pd.DataFrame
    cells: pd.DataFrame
    pooled: dict[str, list[str]]
    result: Any  # statsmodels' GLMResults (statsmodels has no type information), or None
    deviance: float
    df_resid: float
    llf: float
    notes: list[str] = field(default_factory=list)


def _design(frame: pd.DataFrame, dims: list[str], refs: Mapping[str, str]) -> pd.DataFrame:
    rhs = " + ".join(f"C({d}, Treatment({refs[d]!r}))" for d in dims) if dims else "1"
    return patsy.dmatrix(rhs, frame, return_type="dataframe")


def verdict(q_value: float, needed: float, alpha: float = 0.05) -> tuple[bool, str]:
    """The "enough data?" answer for one comparison: (enough, plain words)."""
    if not np.isnan(q_value) and q_value < alpha:
        return True, "enough data: the difference is larger than chance"
    if not np.isfinite(needed):
        return False, "no difference seen"
    if needed <= 0:
        return True, "enough leads to see a difference this size, but it is not significant"
    return False, f"not enough data: about {about(needed)} more leads to tell"


def _saturated_noise(w: warnings.WarningMessage, fit_cells: pd.DataFrame) -> bool:
    """Warnings a saturated fit (one parameter per cell, no residual degrees of freedom)
    gives that say nothing about it: statsmodels' IRLS divides its WLS scale by zero on
    every iteration (the binomial scale is fixed at 1), and, as the fitted rates equal
    the observed ones exactly, it reports "perfect prediction" even when every cell has
    sales and non-sales (a cell with none is a real separation and stays a note)."""
    if issubclass(w.category, RuntimeWarning) and "scalar divide" in str(w.message):
        return True
    interior = bool(((fit_cells["sales"] > 0) & (fit_cells["sales"] < fit_cells["leads"])).all())
    return w.category.__name__ == "PerfectSeparationWarning" and interior


def _pool_sparse(
    t: pd.DataFrame, dims: list[str], min_leads: int
) -> tuple[pd.DataFrame, dict[str, list[str]], list[str]]:
    """Pool levels with few leads, no sales or only sales; leave out what still cannot
    be estimated. Returns the cells to fit, the pooled levels, notes."""
    t = t.copy()
    pooled: dict[str, list[str]] = {}
    notes: list[str] = []
    for d in dims:
        g = t.groupby(d)[["leads", "sales"]].sum()
        sparse = g[(g["leads"] < min_leads) | (g["sales"] == 0) | (g["sales"] == g["leads"])]
        if len(sparse) and len(sparse) < len(g):
            pooled[d] = sorted(sparse.index)
            t[d] = t[d].where(~t[d].isin(pooled[d]), POOLED)
            notes.append(
                f"{d}: {len(sparse)} level(s) with under {min_leads} leads or no "
                f"sales pooled as {POOLED!r}: {', '.join(pooled[d][:6])}"
            )
    t = t.groupby(dims, as_index=False, sort=True)[["leads", "sales"]].sum() if dims else t
    excluded = pd.Series(False, index=t.index)
    for d in dims:
        g = t.groupby(d)[["leads", "sales"]].sum()
        bad = g[(g["sales"] == 0) | (g["sales"] == g["leads"])].index
        if len(bad):
            excluded |= t[d].isin(bad)
            notes.append(
                f"{d}: level(s) {', '.join(map(str, bad))} have no sales (or only sales) "
                "even pooled: left out of the fit"
            )
    return t[~excluded].reset_index(drop=True), pooled, notes


def fit_conversion(
    cells: pd.DataFrame,
    dims: list[str] | tuple[str, ...],
    *,
    reference: Mapping[str, str] | None = None,
    min_leads: int = 30,
    level: float = 0.95,
    alpha: float = 0.05,
) -> ConversionFit:
    """Fit conversion ~ dims as a binomial GLM on cells.

    Parameters
    ----------
    cells : DataFrame
        Grouped counts with the ``dims`` columns, ``leads`` and ``sales`` (e.g. from
        `analysis.engine.cells`); several rows of the same cell are summed.
    dims : list of str
        Factors of the model (main effects).
    reference : dict, optional
        Reference level per factor; the level with most leads by default.
    min_leads : int
        Levels with fewer leads (or no sales, or only sales) are pooled and flagged.
    level : float
        Confidence level of intervals.
    alpha : float
        False-discovery rate for the "enough data" verdict (on BH q-values).

    Returns
    -------
    ConversionFit

    Examples
    --------
    >>> counts = cells(ds.leads, ["source", "segment"])  # doctest: +SKIP
    >>> fit = fit_conversion(counts, ["source", "segment"])  # doctest: +SKIP
    >>> fit.terms[["term", "level", "odds_ratio", "or_low", "or_high", "verdict"]]  # doctest: +SKIP
    """
    dims = list(dims)
    missing = [c for c in [*dims, "leads", "sales"] if c not in cells.columns]
    if missing:
        raise ValueError(f"cells have no column(s) {missing}")
    raw = cells.groupby(dims, as_index=False, sort=True)[["leads", "sales"]].sum()
    raw[["leads", "sales"]] = raw[["leads", "sales"]].astype("int64")
    if (raw["sales"] > raw["leads"]).any() or (raw["sales"] < 0).any():
        raise ValueError("sales must be between 0 and leads in every cell")
    fit_cells, pooled, notes = _pool_sparse(raw, dims, min_leads)
    refs: dict[str, str] = {}
    for d in dims:
        sizes = fit_cells.groupby(d)["leads"].sum().sort_values(ascending=False, kind="stable")
        sizes = sizes[sizes.index != POOLED] if (sizes.index != POOLED).any() else sizes
        given = (reference or {}).get(d)
        if given is None and not len(sizes):
            raise ValueError(
                f"no level of {d} is left to fit: every level has no sales or only sales, "
                "even pooled (see the rates per level instead)"
            )
        refs[d] = given if given is not None else sizes.index[0]
        if refs[d] not in set(fit_cells[d]):
            raise ValueError(f"reference level {refs[d]!r} of {d} is not among the fitted levels")

    result: Any = None  # statsmodels' GLMResults once fitted
    if len(fit_cells) and fit_cells["sales"].sum() > 0:
        X = _design(fit_cells, dims, refs)
        y = np.column_stack([fit_cells["sales"], fit_cells["leads"] - fit_cells["sales"]])
        with warnings.catch_warnings(record=True) as caught, one_blas_thread():
            warnings.simplefilter("always")
            # rtol: with millions of leads the deviance is too large for an absolute
            # change of 1e-12 to be reached in floating point (IRLS would run to maxiter)
            result = sm.GLM(y, X, family=sm.families.Binomial()).fit(
                tol=1e-12, rtol=1e-12, maxiter=100
            )
        seen = set()
        for w in caught:  # surfaced as notes, never hidden, each once
            text = f"the fit warned: {w.category.__name__}: {w.message}"
            if result.df_resid == 0 and _saturated_noise(w, fit_cells):
                continue
            if text not in seen:
                seen.add(text)
                notes.append(text)
        if not result.converged:
            notes.append("the fit did not converge in 100 iterations: treat it as rough")
    terms = _terms(result, raw, fit_cells, dims, refs, pooled, level, alpha)
    out_cells = _cells_table(
        result, raw, dims, refs, pooled, set(map(tuple, fit_cells[dims].to_numpy())), level
    )
    return ConversionFit(
        dims=tuple(dims),
        terms=terms,
        cells=out_cells,
        pooled=pooled,
        result=result,
        deviance=float(result.deviance) if result is not None else np.nan,
        df_resid=float(result.df_resid) if result is not None else np.nan,
        llf=float(result.llf) if result is not None else np.nan,
        notes=notes,
    )


def _terms(
    result: Any,
    raw: pd.DataFrame,
    fit_cells: pd.DataFrame,
    dims: list[str],
    refs: Mapping[str, str],
    pooled: Mapping[str, list[str]],
    level: float,
    alpha: float,
) -> pd.DataFrame:
    z = z_value(level)
    rows = []
    for d in dims:
        g = raw.groupby(d)[["leads", "sales"]].sum()
        fg = fit_cells.groupby(d)[["leads", "sales"]].sum()
        ref = refs[d]
        ref_n, ref_k = int(fg.loc[ref, "leads"]), int(fg.loc[ref, "sales"])
        for lvl in sorted(set(g.index) | ({POOLED} if d in pooled else set())):
            if lvl == ref:
                continue
            is_pooled_member = lvl in pooled.get(d, [])
            src = fg if lvl in fg.index else g
            n = int(src.loc[lvl, "leads"]) if lvl in src.index else 0
            k = int(src.loc[lvl, "sales"]) if lvl in src.index else 0
            name = f"C({d}, Treatment({ref!r}))[T.{lvl}]"
            has = result is not None and name in result.params.index and not is_pooled_member
            coef = float(result.params[name]) if has else np.nan
            se = float(result.bse[name]) if has else np.nan
            flag = ""
            if is_pooled_member:
                flag = "pooled into (small levels): see the shrunk rate"
            elif not has:
                flag = "left out: no sales"
            elif lvl == POOLED:
                flag = "pooled small levels"
            elif abs(coef) > 10 or se > 5:
                flag = "unstable estimate"
            rows.append(
                {
                    "term": d,
                    "level": lvl,
                    "reference": ref,
                    "leads": n,
                    "sales": k,
                    "rate": k / n if n else np.nan,
                    "reference_rate": ref_k / ref_n,
                    "coef": coef,
                    "se": se,
                    "odds_ratio": np.exp(coef),
                    "or_low": np.exp(coef - z * se),
                    "or_high": np.exp(coef + z * se),
                    "p_value": float(2 * _st.norm.sf(abs(coef / se))) if has else np.nan,
                    "flag": flag,
                    "ref_leads": ref_n,
                    "ref_sales": ref_k,
                }
            )
    t = pd.DataFrame(rows)
    if t.empty:
        return pd.DataFrame(
            columns=[
                "term",
                "level",
                "reference",
                "leads",
                "sales",
                "rate",
                "reference_rate",
                "coef",
                "se",
                "odds_ratio",
                "or_low",
                "or_high",
                "p_value",
                "q_value",
                "flag",
                "enough_data",
                "verdict",
                "leads_needed",
            ]
        )
    t["q_value"] = bh_qvalues(t["p_value"])
    needed, enough, words = [], [], []
    for r in t.itertuples():
        if r.leads > 0 and np.isfinite(r.coef):
            need = leads_needed(r.rate, r.leads, r.reference_rate, r.ref_leads)
        else:
            need = np.nan
        ok, text = (
            verdict(r.q_value, need, alpha)
            if np.isfinite(r.coef)
            else (False, "no estimate: " + (r.flag or "no data"))
        )
        needed.append(need)
        enough.append(ok)
        words.append(text)
    t["enough_data"] = enough
    t["verdict"] = words
    t["leads_needed"] = needed
    return t.drop(columns=["ref_leads", "ref_sales"])


def _cells_table(
    result: Any,
    raw: pd.DataFrame,
    dims: list[str],
    refs: Mapping[str, str],
    pooled: Mapping[str, list[str]],
    fitted_keys: set[tuple[Any, ...]],
    level: float,
) -> pd.DataFrame:
    out = raw.copy()
    out["rate"] = out["sales"] / out["leads"]
    out["rate_low"], out["rate_high"] = wilson_interval(out["sales"], out["leads"], level)
    mapped = out[dims].copy()
    for d in dims:
        mapped[d] = mapped[d].where(~mapped[d].isin(pooled.get(d, [])), POOLED)
    in_fit = np.array([tuple(r) in fitted_keys for r in mapped.to_numpy()], dtype=bool)
    out["predicted"] = np.nan
    out["predicted_low"] = np.nan
    out["predicted_high"] = np.nan
    if result is not None and in_fit.any():
        X = _design(mapped[in_fit], dims, refs)
        pred = result.get_prediction(X).summary_frame(alpha=1 - level)
        out.loc[in_fit, "predicted"] = pred["mean"].to_numpy()
        out.loc[in_fit, "predicted_low"] = pred["mean_ci_lower"].to_numpy()
        out.loc[in_fit, "predicted_high"] = pred["mean_ci_upper"].to_numpy()
    pooled_member = np.zeros(len(out), dtype=bool)
    for d in dims:
        pooled_member |= out[d].isin(pooled.get(d, [])).to_numpy()
    out["flag"] = np.select(
        [out["sales"].to_numpy() == 0, ~in_fit, pooled_member],
        ["no sales in this cell", "left out of the fit", "a level pooled into (small levels)"],
        default="",
    )
    return out


def about(n: float) -> str:
    """A count rounded to two significant digits: 246,354 -> 250,000."""
    if n < 100:
        return f"{n:,.0f}"
    digits = len(str(int(n))) - 2
    return f"{round(n, -digits):,.0f}"
