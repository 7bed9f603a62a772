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

from analysis.base.i18n import _, language, locale_name, n_
from analysis.stats.glm import fit_conversion, nested_parts, shown_level
from analysis.stats.intervals import count_flag, fmt_number, wilson_interval

__all__ = [
    "OVERALL",
    "interaction_test",
    "crude_vs_adjusted",
    "reading_kind",
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
    # the page's own comparison (sources by segment) has sentences of its own; any
    # other pair of factors is named in the generic ones
    by_segment = (a, b) == ("source", "segment")
    if fit.result is None:
        return {
            "statistic": np.nan,
            "df": np.nan,
            "p_value": np.nan,
            "cells": 0,
            "sparse_cells": 0,
            "verdict": _(
                "no test: too few leads with and without sales to compare sources by segment"
            )
            if by_segment
            else _(
                "no test: too few leads with and without sales to compare {a}s by {b}",
                a=_(a),
                b=_(b),
            ),
            "notes": fit.notes,
        }
    fitted = fit.cells[fit.cells["predicted"].notna()]
    exp_sales = fitted["predicted"] * fitted["leads"]
    sparse = int(((exp_sales < 5) | (fitted["leads"] - exp_sales < 5)).sum())
    stat, df = fit.deviance, fit.df_resid
    p = float(_st.chi2.sf(stat, df)) if df > 0 else np.nan
    if df <= 0:
        words = _("no test: every cell has its own parameter already")
    elif p < 0.05 and by_segment:
        words = _(
            "the source effect differs by segment (p = {p}): compare sources within each segment",
            p=fmt_number(p, ".3g"),
        )
    elif p < 0.05:
        words = _(
            "the {a} effect differs by {b} (p = {p}): compare {a}s within each {b}",
            a=_(a),
            b=_(b),
            p=fmt_number(p, ".3g"),
        )
    elif by_segment:
        words = _(
            "no evidence that the source effect differs by segment (p = {p}); one "
            "segment-adjusted comparison of sources is enough",
            p=fmt_number(p, ".2g"),
        )
    else:
        words = _(
            "no evidence that the {a} effect differs by {b} (p = {p}); one "
            "{b}-adjusted comparison of {a}s is enough",
            a=_(a),
            b=_(b),
            p=fmt_number(p, ".2g"),
        )
    if sparse:
        words = n_(
            "{verdict}; {sparse} of {n} cells are sparse, so the p-value is approximate",
            "{verdict}; {sparse} of {n} cells are sparse, so the p-value is approximate",
            len(fitted),
            verdict=words,
            sparse=sparse,
        )
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
            "flag": cr["flag"] or (ad["flag"] if ad is not None else _("no adjusted estimate")),
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


def reading_kind(row: Any) -> str:
    """What a row of `crude_vs_adjusted` says, as a code (its ``reading`` is the same
    in words, in the reader's language): "not_separable" (nested in a level of the
    adjusting factor), "no_adjusted" (no adjusted estimate), "too_uncertain" (a crude
    difference the adjusted interval can neither confirm nor explain), "mix" (the crude
    difference is the mix), "hidden" (a difference the mix hid), "real_mix" (real, much
    of its size from the mix), "real" (real, mostly not the mix) or "unclear" (no clear
    difference either way). ``row``: a mapping or a named tuple of the row's columns."""

    def get(key: str) -> Any:
        return row[key] if hasattr(row, "keys") else getattr(row, key)

    cq, aq = get("crude_q"), get("adjusted_q")
    if get("nested_in"):
        return "not_separable"
    if not np.isfinite(get("adjusted_or")):
        return "no_adjusted"
    crude_sig = np.isfinite(cq) and cq < 0.05
    adj_sig = np.isfinite(aq) and aq < 0.05
    if crude_sig and not adj_sig:
        if get("adjusted_low") <= get("crude_or") <= get("adjusted_high"):
            # the adjusted interval still holds the crude odds ratio: not shown to be mix
            return "too_uncertain"
        return "mix"
    if adj_sig and not crude_sig:
        return "hidden"
    if crude_sig and adj_sig:
        if get("mix_effect") > 1.5 or get("mix_effect") < 1 / 1.5:
            return "real_mix"
        return "real"
    return "unclear"


def _factors(names: list[str]) -> str:
    """The adjusting factors in a sentence: ``segment and region`` (in the reader's
    language)."""
    if language() == "en":
        return " and ".join(names)
    from babel.lists import format_list

    return format_list([_(name) for name in names], locale=locale_name())


def _reading(row: dict[str, Any], adjust_for: list[str]) -> str:
    kind = reading_kind(row)
    if kind == "no_adjusted":
        return _("no adjusted estimate")
    if kind == "unclear":
        return _("no clear difference either way")
    if adjust_for == ["segment"]:  # the page's own adjustment: sentences of its own
        if kind == "not_separable":
            term, level = nested_parts(row["nested_in"])
            return _(
                "cannot be separated from {term} {level}: (nearly) all its leads are there "
                "and few others are, so whether it is the level or its segment cannot be told",
                term=_(term),
                level=shown_level(level),
            )
        return {
            "too_uncertain": _(
                "the adjusted comparison is too uncertain to tell whether the crude "
                "difference is the level's own or its segment mix"
            ),
            "mix": _(
                "the crude difference goes away once segment is accounted for: it is the "
                "segment mix"
            ),
            "hidden": _(
                "a difference hidden by its segment mix shows once segment is accounted for"
            ),
            "real_mix": _("a real difference, but much of its size comes from the segment mix"),
            "real": _("a real difference, mostly not explained by the segment mix"),
        }[kind]
    mix = _factors(adjust_for)
    if kind == "not_separable":
        term, level = nested_parts(row["nested_in"])
        return _(
            "cannot be separated from {term} {level}: (nearly) all its leads are there and "
            "few others are, so whether it is the level or its {mix} cannot be told",
            term=_(term),
            level=shown_level(level),
            mix=mix,
        )
    if kind == "too_uncertain":
        return _(
            "the adjusted comparison is too uncertain to tell whether the crude difference "
            "is the level's own or its {mix} mix",
            mix=mix,
        )
    if kind == "mix":
        return _(
            "the crude difference goes away once {mix} is accounted for: it is the {mix} mix",
            mix=mix,
        )
    if kind == "hidden":
        return _("a difference hidden by its {mix} mix shows once {mix} is accounted for", mix=mix)
    if kind == "real_mix":
        return _("a real difference, but much of its size comes from the {mix} mix", mix=mix)
    return _("a real difference, mostly not explained by the {mix} mix", mix=mix)


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
            raise ValueError(
                _(
                    "{within} has a level named '{name}', the overall rows' label",
                    within=_(within),
                    name=OVERALL,
                )
            )
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
    for _stratum, g in t.groupby(level=0, sort=True):
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
