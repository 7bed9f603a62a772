"""Conversion models on cells: a binomial GLM fitted on (sales, leads − sales) per cell.

Fitting on grouped counts gives exactly the coefficients and standard errors of a
row-level logistic regression on the same leads (the likelihoods differ only by a
constant), at a cost that depends on the number of cells, not of leads.

Levels with no sales, all sales or few leads would give the ±20 coefficients and huge
standard errors statsmodels returns without a warning; they are pooled into one
``(small levels)`` level before fitting (or, if even that has no sales, left out of the
fit) and flagged, and their own rates come shrunk toward their parent from
`analysis.shrink`. Every comparison carries a plain "enough data?" verdict.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import patsy
import statsmodels.api as sm
from scipy import stats as _st
from statsmodels.stats.contingency_tables import StratifiedTable

from analysis.stats.intervals import (
    bh_qvalues,
    count_flag,
    leads_needed,
    one_blas_thread,
    wilson_interval,
    z_value,
)

__all__ = [
    "POOLED",
    "OVERALL",
    "ConversionFit",
    "fit_conversion",
    "interaction_test",
    "crude_vs_adjusted",
    "rates_within",
    "verdict",
    "mantel_haenszel",
]

#: The level that sparse levels are pooled into before fitting.
POOLED = "(small levels)"

#: The ``within`` label of `rates_within`'s overall rows.
OVERALL = "(all)"


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
    pooled : dict
        For each dimension, the levels pooled into `POOLED` or left out.
    result : statsmodels GLMResults
        The fit itself (None when nothing could be fitted).
    notes : list of str
        What was pooled or left out, and any warning the fit gave.
    """

    dims: tuple[str, ...]
    terms: pd.DataFrame
    cells: pd.DataFrame
    pooled: dict
    result: object
    deviance: float
    df_resid: float
    llf: float
    notes: list[str] = field(default_factory=list)


def _design(frame: pd.DataFrame, dims: list[str], refs: dict[str, str]) -> pd.DataFrame:
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
) -> tuple[pd.DataFrame, dict, list]:
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
    reference: dict[str, str] | None = None,
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
    refs = {}
    for d in dims:
        sizes = fit_cells.groupby(d)["leads"].sum().sort_values(ascending=False, kind="stable")
        sizes = sizes[sizes.index != POOLED] if (sizes.index != POOLED).any() else sizes
        refs[d] = (reference or {}).get(d, sizes.index[0] if len(sizes) else None)
        if refs[d] not in set(fit_cells[d]):
            raise ValueError(f"reference level {refs[d]!r} of {d} is not among the fitted levels")

    result = None
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


def _terms(result, raw, fit_cells, dims, refs, pooled, level, alpha) -> pd.DataFrame:
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


def _cells_table(result, raw, dims, refs, pooled, fitted_keys, level) -> pd.DataFrame:
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


def interaction_test(cells: pd.DataFrame, a: str, b: str, *, min_leads: int = 30) -> dict:
    """Likelihood-ratio test of whether the effect of ``a`` differs by ``b``.

    With two factors, the model with their interaction is saturated (one rate per
    cell), so the LR statistic is the main-effects model's residual deviance on its
    residual degrees of freedom: exact, and free of the separation problems a fitted
    interaction model has when a cell has no sales.

    Returns
    -------
    dict with ``statistic, df, p_value, cells, sparse_cells`` (cells whose expected
    sales or non-sales are under 5, where the chi-square approximation is rough), and
    ``verdict`` in words.
    """
    fit = fit_conversion(cells, [a, b], min_leads=min_leads)
    fitted = fit.cells[fit.cells["predicted"].notna()]
    exp_sales = fitted["predicted"] * fitted["leads"]
    sparse = int(((exp_sales < 5) | (fitted["leads"] - exp_sales < 5)).sum())
    stat, df = fit.deviance, fit.df_resid
    p = float(_st.chi2.sf(stat, df)) if df > 0 else np.nan
    if df <= 0:
        words = "no test: every cell has its own parameter already"
    elif p < 0.05:
        words = f"the {a} effect differs by {b} (p = {p:.3g}): compare {a}s within each {b}"
    else:
        words = (
            f"no evidence that the {a} effect differs by {b} (p = {p:.2g}); one "
            f"{b}-adjusted comparison of {a}s is enough"
        )
    if sparse:
        words += f"; {sparse} of {len(fitted)} cells are sparse, so the p-value is approximate"
    return {
        "statistic": float(stat),
        "df": float(df),
        "p_value": p,
        "cells": len(fitted),
        "sparse_cells": sparse,
        "verdict": words,
        "notes": fit.notes,
    }


def crude_vs_adjusted(
    cells: pd.DataFrame,
    factor: str,
    adjust_for: list[str] | str,
    *,
    min_leads: int = 30,
    level: float = 0.95,
) -> pd.DataFrame:
    """The crude comparison of ``factor`` levels beside the one adjusted for other
    factors (e.g. sources adjusted for segment), so a level that only looks good
    because of the mix it brings is exposed.

    Returns
    -------
    DataFrame[level, reference, leads, sales, rate, rate_low, rate_high, crude_or,
    crude_low, crude_high, crude_q, adjusted_or, adjusted_low, adjusted_high, adjusted_q,
    mix_effect, reading, flag]
        ``mix_effect`` = crude OR / adjusted OR: above 1, part of the level's crude
        advantage comes from its mix of the adjusting factors.
    """
    adjust_for = [adjust_for] if isinstance(adjust_for, str) else list(adjust_for)
    crude = fit_conversion(cells, [factor], min_leads=min_leads, level=level)
    ref = {factor: crude.terms["reference"].iloc[0]} if len(crude.terms) else None
    adj = fit_conversion(
        cells, [factor, *adjust_for], min_leads=min_leads, level=level, reference=ref
    )
    c = crude.terms[crude.terms["term"] == factor].set_index("level")
    a = adj.terms[adj.terms["term"] == factor].set_index("level")
    rows = []
    for lvl in c.index:
        cr, ad = c.loc[lvl], a.loc[lvl] if lvl in a.index else None
        lo, hi = wilson_interval(int(cr["sales"]), int(cr["leads"]), level)
        aor = ad["odds_ratio"] if ad is not None else np.nan
        row = {
            "level": lvl,
            "reference": cr["reference"],
            "leads": int(cr["leads"]),
            "sales": int(cr["sales"]),
            "rate": cr["rate"],
            "rate_low": float(lo),
            "rate_high": float(hi),
            "crude_or": cr["odds_ratio"],
            "crude_low": cr["or_low"],
            "crude_high": cr["or_high"],
            "crude_q": cr["q_value"],
            "adjusted_or": aor,
            "adjusted_low": ad["or_low"] if ad is not None else np.nan,
            "adjusted_high": ad["or_high"] if ad is not None else np.nan,
            "adjusted_q": ad["q_value"] if ad is not None else np.nan,
            "mix_effect": cr["odds_ratio"] / aor if np.isfinite(aor) else np.nan,
            "flag": cr["flag"] or (ad["flag"] if ad is not None else "no adjusted estimate"),
        }
        row["reading"] = _reading(row, adjust_for)
        rows.append(row)
    return pd.DataFrame(rows)


def _reading(row: dict, adjust_for: list[str]) -> str:
    mix = " and ".join(adjust_for)
    cq, aq = row["crude_q"], row["adjusted_q"]
    if not np.isfinite(row["adjusted_or"]):
        return "no adjusted estimate"
    crude_sig = np.isfinite(cq) and cq < 0.05
    adj_sig = np.isfinite(aq) and aq < 0.05
    if crude_sig and not adj_sig:
        return f"the crude difference goes away once {mix} is accounted for: it is the {mix} mix"
    if adj_sig and not crude_sig:
        return f"a difference hidden by its {mix} mix shows once {mix} is accounted for"
    if crude_sig and adj_sig:
        if row["mix_effect"] > 1.5 or row["mix_effect"] < 1 / 1.5:
            return f"a real difference, but much of its size comes from the {mix} mix"
        return f"a real difference, mostly not explained by the {mix} mix"
    return "no clear difference either way"


def rates_within(
    cells: pd.DataFrame, factor: str, within: str, *, level: float = 0.95, min_leads: int = 30
) -> pd.DataFrame:
    """Conversion of each ``factor`` level within each ``within`` level and overall.

    Returns DataFrame[within, factor, leads, sales, conversion, conversion_low,
    conversion_high, flag]. The overall rows have ``within`` = `OVERALL` ("(all)"), a
    label in the form of `POOLED` and `analysis.engine.cells.NOT_SET` that a data value
    does not take (a ``within`` level spelled so is refused), so "the overall rows" are
    ``t[t[within] == OVERALL]`` even when a level of the data is called "all". When the
    cells have no ``within`` column, only the overall rows are returned. ``flag`` says
    "no sales" or "few leads" where the rate rests on too little.
    """
    overall = cells.groupby(factor, as_index=False, sort=True)[["leads", "sales"]].sum()
    overall.insert(0, within, OVERALL)
    parts = [overall]
    if within in cells.columns:
        if (cells[within].astype("str") == OVERALL).any():
            raise ValueError(f"{within} has a level named {OVERALL!r}, the overall rows' label")
        by = cells.groupby([within, factor], as_index=False, sort=True)[["leads", "sales"]].sum()
        parts.insert(0, by)
    t = pd.concat(parts, ignore_index=True)
    t[["leads", "sales"]] = t[["leads", "sales"]].astype("int64")
    t["conversion"] = t["sales"] / t["leads"]
    t["conversion_low"], t["conversion_high"] = wilson_interval(t["sales"], t["leads"], level)
    t["flag"] = count_flag(t["leads"], t["sales"], min_leads)
    return t


def about(n: float) -> str:
    """A count rounded to two significant digits: 246,354 -> 250,000."""
    if n < 100:
        return f"{n:,.0f}"
    digits = len(str(int(n))) - 2
    return f"{round(n, -digits):,.0f}"


def mantel_haenszel(
    cells: pd.DataFrame,
    factor: str,
    level: str,
    reference: str,
    strata: str,
    *,
    confidence: float = 0.95,
) -> dict:
    """Mantel-Haenszel odds ratio of ``level`` against ``reference`` of ``factor``,
    stratified by ``strata`` (e.g. a source against another within segments): the
    classical, model-free check of an adjusted comparison.

    Strata where either level has no leads are left out. Returns a dict with
    ``odds_ratio, low, high`` (Robins-Breslow-Greenland interval), ``p_value`` (MH test
    without continuity correction), ``homogeneity_statistic, homogeneity_p_value``
    (Breslow-Day: does the odds ratio differ between strata?) and ``strata``.
    """
    t = cells.groupby([strata, factor], sort=True)[["leads", "sales"]].sum()
    tables = []
    for _, g in t.groupby(level=0, sort=True):
        g = g.droplevel(0)
        if level in g.index and reference in g.index:
            a, n1 = int(g.loc[level, "sales"]), int(g.loc[level, "leads"])
            c, n0 = int(g.loc[reference, "sales"]), int(g.loc[reference, "leads"])
            tables.append(np.array([[a, n1 - a], [c, n0 - c]]))
    if not tables:
        raise ValueError(f"no {strata} has leads of both {level!r} and {reference!r}")
    st = StratifiedTable(tables)
    low, high = st.oddsratio_pooled_confint(alpha=1 - confidence)
    homog = st.test_equal_odds() if len(tables) > 1 else None
    return {
        "odds_ratio": float(st.oddsratio_pooled),
        "low": float(low),
        "high": float(high),
        "p_value": float(st.test_null_odds(correction=False).pvalue),
        "homogeneity_statistic": float(homog.statistic) if homog else np.nan,
        "homogeneity_p_value": float(homog.pvalue) if homog else np.nan,
        "strata": len(tables),
    }
