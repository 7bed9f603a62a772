"""Comparisons of the levels of a factor that account for another factor: the crude
odds ratio beside the adjusted one (`crude_vs_adjusted`), whether the effect differs by
the other factor (`interaction_test`), rates within each level of it (`rates_within`)
and the model-free Mantel-Haenszel check (`mantel_haenszel`). The fits are those of
`analysis.stats.glm`; all of it runs on grouped counts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _st
from statsmodels.stats.contingency_tables import StratifiedTable

from analysis.stats.glm import fit_conversion
from analysis.stats.intervals import count_flag, wilson_interval

__all__ = [
    "OVERALL",
    "interaction_test",
    "crude_vs_adjusted",
    "rates_within",
    "mantel_haenszel",
]

#: The ``within`` label of `rates_within`'s overall rows.
OVERALL = "(all)"


def interaction_test(cells: pd.DataFrame, a: str, b: str, *, min_leads: int = 30) -> dict[str, Any]:
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
    if fit.result is None:
        return {
            "statistic": np.nan,
            "df": np.nan,
            "p_value": np.nan,
            "cells": 0,
            "sparse_cells": 0,
            "verdict": f"no test: too few leads with and without sales to compare {a}s by {b}",
            "notes": fit.notes,
        }
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
    try:
        adj = fit_conversion(
            cells, [factor, *adjust_for], min_leads=min_leads, level=level, reference=ref
        )
    except ValueError:  # the crude reference is left out of the adjusted fit
        adj = fit_conversion(cells, [factor, *adjust_for], min_leads=min_leads, level=level)
    c = crude.terms[crude.terms["term"] == factor].set_index("level")
    a = adj.terms[adj.terms["term"] == factor].set_index("level")
    if len(a) and len(c) and a["reference"].iloc[0] != c["reference"].iloc[0]:
        a = a.iloc[0:0]  # against another reference: no adjusted estimate to set beside
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
            "adjusted_status": ad["status"] if ad is not None else "no_estimate",
            "nested_in": ad["nested_in"] if ad is not None else "",
            "flag": cr["flag"] or (ad["flag"] if ad is not None else "no adjusted estimate"),
        }
        row["reading"] = _reading(row, adjust_for)
        rows.append(row)
    return pd.DataFrame(rows, columns=_CRUDE_COLUMNS)


_CRUDE_COLUMNS = [
    "level",
    "reference",
    "leads",
    "sales",
    "rate",
    "rate_low",
    "rate_high",
    "crude_or",
    "crude_low",
    "crude_high",
    "crude_q",
    "adjusted_or",
    "adjusted_low",
    "adjusted_high",
    "adjusted_q",
    "mix_effect",
    "adjusted_status",
    "nested_in",
    "flag",
    "reading",
]


def _reading(row: dict[str, Any], adjust_for: list[str]) -> str:
    mix = " and ".join(adjust_for)
    cq, aq = row["crude_q"], row["adjusted_q"]
    if row["nested_in"]:
        return (
            f"cannot be separated from {row['nested_in']}: (nearly) all its leads are "
            f"there and few others are, so whether it is the level or its {mix} cannot be told"
        )
    if not np.isfinite(row["adjusted_or"]):
        return "no adjusted estimate"
    crude_sig = np.isfinite(cq) and cq < 0.05
    adj_sig = np.isfinite(aq) and aq < 0.05
    if crude_sig and not adj_sig:
        if row["adjusted_low"] <= row["crude_or"] <= row["adjusted_high"]:
            # the adjusted interval still holds the crude odds ratio: not shown to be mix
            return (
                f"the adjusted comparison is too uncertain to tell whether the crude "
                f"difference is the level's own or its {mix} mix"
            )
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
    label in the form of `glm.POOLED` and `analysis.engine.cells.NOT_SET` that a data value
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


def mantel_haenszel(
    cells: pd.DataFrame,
    factor: str,
    level: str,
    reference: str,
    strata: str,
    *,
    confidence: float = 0.95,
) -> dict[str, float | int]:
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
