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
from scipy import stats as _st

from analysis.base.i18n import N_, _, n_
from analysis.stats.intervals import (
    bh_qvalues,
    fmt_number,
    one_blas_thread,
    wilson_interval,
    z_value,
)

__all__ = [
    "POOLED",
    "NESTED_SHARE",
    "WAITING_LIMIT",
    "waiting_words",
    "level_label",
    "nested_parts",
    "shown_level",
    "ConversionFit",
    "fit_conversion",
    "nested_levels",
    "model_leads_needed",
    "verdict",
    "about",
]

#: The level that sparse levels are pooled into before fitting (a code the tables keep;
#: a sentence names it with ``_(POOLED)``).
POOLED = N_("(small levels)")

#: A level is nested in a level X of another factor of the model when at least this
#: share of its leads are in X and the other levels of its own factor have fewer than
#: ``min_leads`` leads in X (or no sales, or only sales, there): its effect and X's
#: cannot then be told apart (see `nested_levels`).
NESTED_SHARE = 0.95

#: When more than this many times the leads behind a comparison would be needed to
#: tell its difference, waiting for more leads will not settle it (``status``
#: "not_by_waiting").
WAITING_LIMIT = 10.0


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
        enough_data, verdict, leads_needed, status, nested_in, members``.
        ``status`` is one of "differs" (the interval excludes 1 and the difference stays
        larger than chance over all comparisons: ``enough_data``), "differs_alone" (the
        interval excludes 1, but not once the comparisons are counted), "not_enough"
        (the interval includes 1; ``leads_needed`` more leads would tell),
        "not_by_waiting" (more than `WAITING_LIMIT` times the leads behind it would be
        needed), "no_difference" (equal rates), "not_separable" (nested in
        ``nested_in``, e.g. "segment leadform"), "unstable" (no sales or only sales
        where it can be compared) or "no_estimate". ``leads_needed`` comes from the
        fitted standard error, the one behind the interval. ``members``: the levels a
        `POOLED` row holds.
    cells : DataFrame
        One row per cell: the dims, ``leads, sales, rate, rate_low, rate_high``
        (observed, Wilson), ``predicted, predicted_low, predicted_high`` (the model's),
        ``flag``.
    pooled : dict of str to list of str
        For each dimension, the levels pooled into `POOLED` or left out.
    result : statsmodels GLMResults
        The fit itself (None when nothing could be fitted).
    notes : list of str
        What was pooled or left out, and what a warning of the fit means, in words.
    state : str
        "ok"; "no_sales", "all_sales" or "too_little" when nothing could be fitted
        (then ``terms`` is empty and ``result`` is None).
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
    state: str = "ok"


def _design(frame: pd.DataFrame, dims: list[str], refs: Mapping[str, str]) -> pd.DataFrame:
    rhs = " + ".join(f"C({d}, Treatment({refs[d]!r}))" for d in dims) if dims else "1"
    return patsy.dmatrix(rhs, frame, return_type="dataframe")


def verdict(
    q_value: float,
    needed: float,
    alpha: float = 0.05,
    *,
    p_value: float = np.nan,
    current: float = np.nan,
) -> tuple[bool, str]:
    """The "enough data?" answer for one comparison: (enough, plain words).

    ``p_value`` is the comparison's own (its interval excludes 1 when it is under
    ``alpha``), ``q_value`` the one corrected for all comparisons of the fit,
    ``needed`` the further leads that would tell the difference and ``current`` the
    leads behind it now. The words never contradict the interval: a comparison whose
    interval excludes 1 is never "no difference", one whose interval includes 1 is
    never "enough data".
    """
    if not np.isnan(q_value) and q_value < alpha:
        return True, _("enough data: the difference is larger than chance")
    if not np.isnan(p_value) and p_value < alpha:
        return False, _(
            "a difference on its own interval, but not larger than chance once all the "
            "comparisons made are counted"
        )
    if not np.isfinite(needed):
        return False, _("no difference seen")
    if needed <= 0:
        return False, _("not significant")
    if _waits_in_vain(needed, current):
        return False, waiting_words(needed, current)
    return False, n_(
        "not enough data: about {count} more leads to tell",
        "not enough data: about {count} more leads to tell",
        _rounded(needed),
        count=about(needed),
    )


def _waits_in_vain(needed: float, current: float) -> bool:
    """Whether telling the difference would take more than `WAITING_LIMIT` times the
    ``current`` leads (status "not_by_waiting")."""
    return bool(
        np.isfinite(needed)
        and needed > 0
        and np.isfinite(current)
        and current > 0
        and needed > WAITING_LIMIT * current
    )


def _rounded(n: float) -> int:
    """The count `about` writes, as a number (for the plural form of its sentence)."""
    return int(round(n, -(len(str(int(n))) - 2))) if n >= 100 else int(round(n))


def waiting_words(needed: float, current: float) -> str:
    """What more data would do: ``about 1,200 more leads to tell``, or, past
    `WAITING_LIMIT` times the ``current`` leads, that waiting will not settle it; "" when
    ``needed`` is not a positive number."""
    if not np.isfinite(needed) or needed <= 0:
        return ""
    if _waits_in_vain(needed, current):
        return n_(
            "waiting will not settle it: about {count} more leads would be needed, over "
            "{limit} times the {current} there are",
            "waiting will not settle it: about {count} more leads would be needed, over "
            "{limit} times the {current} there are",
            _rounded(needed),
            count=about(needed),
            limit=fmt_number(WAITING_LIMIT, ".0f"),
            current=fmt_number(current, ",.0f"),
        )
    return n_(
        "about {count} more leads to tell",
        "about {count} more leads to tell",
        _rounded(needed),
        count=about(needed),
    )


def level_label(term: str, level: object) -> str:
    """A level of a model's factor as a sentence names it: ``segment leadform``
    (``сегмент «leadform»`` in Russian)."""
    return _("{term} {level}", term=_(term), level=shown_level(level))


def shown_level(level: object) -> str:
    """A level as a sentence names it: `POOLED` in the reader's language, a level of
    the data as it is."""
    return _(POOLED) if level == POOLED else str(level)


def nested_parts(nested_in: str) -> tuple[str, str]:
    """The factor and level of a ``nested_in`` value (``"segment leadform"``), for the
    sentences that name it in the reader's language."""
    term, _sep, level = str(nested_in).partition(" ")
    return term, level


def model_leads_needed(
    coef: float, se: float, current: float, *, alpha: float = 0.05, power: float = 0.8
) -> float:
    """How many more leads (keeping the same mix) a fitted log odds ratio ``coef``
    with standard error ``se``, estimated from ``current`` leads, needs for a
    two-sided Wald test at ``alpha`` to find it with ``power``.

    The standard error shrinks as 1/sqrt(leads), so the leads needed are
    ``current * (se * (z_{1-alpha/2} + z_power) / |coef|)^2``: the same fit as the
    interval shown. 0 when there are enough, ``inf`` when ``coef`` is 0.

    Examples
    --------
    >>> round(model_leads_needed(0.2, 0.2, 1000))  # (2.8 se / coef)^2 = 7.85 x 1,000
    6849
    """
    if not (np.isfinite(coef) and np.isfinite(se) and current > 0):
        return float("nan")
    if coef == 0:
        return float("inf")
    z = float(_st.norm.ppf(1 - alpha / 2) + _st.norm.ppf(power))
    total = current * (z * se / abs(coef)) ** 2
    return float(max(0.0, total - current))


def nested_levels(
    cells: pd.DataFrame,
    dims: list[str] | tuple[str, ...],
    *,
    min_leads: int = 30,
    share: float = NESTED_SHARE,
) -> pd.DataFrame:
    """Levels of a factor that (nearly) occur in only one level of another factor of the
    model, so that their effect and that level's cannot be told apart.

    A level L of factor ``d`` is nested in level X of factor ``e`` when at least
    ``share`` (95%) of L's leads are in X and the other levels of ``d`` together have
    fewer than ``min_leads`` leads in X, or no sales there, or only sales: the model has
    (next to) nothing in X to compare L with. E.g. a referral source whose every lead
    came through the lead form segment, which almost no other source reaches.

    Returns
    -------
    DataFrame[term, level, within_term, within_level, share, other_leads]
    """
    dims = list(dims)
    rows = []
    for d in dims:
        for e in dims:
            if e == d:
                continue
            t = cells.groupby([d, e], sort=True)[["leads", "sales"]].sum()
            by_d = t.groupby(level=0)["leads"].sum()
            by_e = t.groupby(level=1)[["leads", "sales"]].sum()
            for lvl, n in by_d.items():
                if n <= 0:
                    continue
                own = t.loc[lvl]
                top = own["leads"].idxmax()
                frac = float(own.loc[top, "leads"] / n)
                if frac < share:
                    continue
                other_n = int(by_e.loc[top, "leads"] - own.loc[top, "leads"])
                other_k = int(by_e.loc[top, "sales"] - own.loc[top, "sales"])
                if other_n < min_leads or other_k == 0 or other_k == other_n:
                    rows.append(
                        {
                            "term": d,
                            "level": lvl,
                            "within_term": e,
                            "within_level": top,
                            "share": frac,
                            "other_leads": other_n,
                        }
                    )
    return pd.DataFrame(
        rows, columns=["term", "level", "within_term", "within_level", "share", "other_leads"]
    )


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
                n_(
                    "{term}: {n} level(s) with under {min_leads} leads or no sales pooled "
                    "as '{pooled}': {levels}",
                    "{term}: {n} level(s) with under {min_leads} leads or no sales pooled "
                    "as '{pooled}': {levels}",
                    len(sparse),
                    term=_(d),
                    min_leads=min_leads,
                    pooled=_(POOLED),
                    levels=", ".join(pooled[d][:6]),
                )
            )
    t = t.groupby(dims, as_index=False, sort=True)[["leads", "sales"]].sum() if dims else t
    excluded = pd.Series(False, index=t.index)
    for d in dims:
        g = t.groupby(d)[["leads", "sales"]].sum()
        bad = g[(g["sales"] == 0) | (g["sales"] == g["leads"])].index
        if len(bad):
            excluded |= t[d].isin(bad)
            notes.append(
                n_(
                    "{term}: level(s) {levels} have no sales (or only sales) even pooled: "
                    "left out of the fit",
                    "{term}: level(s) {levels} have no sales (or only sales) even pooled: "
                    "left out of the fit",
                    len(bad),
                    term=_(d),
                    levels=", ".join(map(shown_level, bad)),
                )
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
    if fit_cells.empty or int(fit_cells["leads"].sum()) < min_leads:
        # nothing left to fit, or fewer leads than one level needs: no model at all
        return _nothing_fitted(raw, dims, pooled, notes)
    nested = nested_levels(fit_cells, dims, min_leads=min_leads)
    refs: dict[str, str] = {}
    for d in dims:
        sizes = fit_cells.groupby(d)["leads"].sum().sort_values(ascending=False, kind="stable")
        sizes = sizes[sizes.index != POOLED] if (sizes.index != POOLED).any() else sizes
        # the reference is a level the others can be compared with: not a nested one
        free = sizes[~sizes.index.isin(nested.loc[nested["term"] == d, "level"])]
        sizes = free if len(free) else sizes
        given = (reference or {}).get(d)
        refs[d] = given if given is not None else sizes.index[0]
        if refs[d] not in set(fit_cells[d]):
            raise ValueError(f"reference level {refs[d]!r} of {d} is not among the fitted levels")

    # (imported here: a report's driver process loads the data and never fits)
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    result: Any = None  # statsmodels' GLMResults once fitted
    X = _design(fit_cells, dims, refs)
    y = np.column_stack([fit_cells["sales"], fit_cells["leads"] - fit_cells["sales"]])
    with warnings.catch_warnings(record=True) as caught, one_blas_thread():
        warnings.simplefilter("always")
        # rtol: with millions of leads the deviance is too large for an absolute
        # change of 1e-12 to be reached in floating point (IRLS would run to maxiter)
        result = GLM(y, X, family=families.Binomial()).fit(tol=1e-12, rtol=1e-12, maxiter=100)
    real = [w for w in caught if not (result.df_resid == 0 and _saturated_noise(w, fit_cells))]
    notes += _warning_notes(real, result, dims, refs)
    if not result.converged:
        notes.append(_("the fit did not converge in 100 iterations: treat it as rough"))
    terms = _terms(result, raw, fit_cells, dims, refs, pooled, level, alpha, nested)
    out_cells = _cells_table(
        result, raw, dims, refs, pooled, set(map(tuple, fit_cells[dims].to_numpy())), level
    )
    return ConversionFit(
        dims=tuple(dims),
        terms=terms,
        cells=out_cells,
        pooled=pooled,
        result=result,
        deviance=float(result.deviance),
        df_resid=float(result.df_resid),
        llf=float(result.llf),
        notes=notes,
    )


def _nothing_fitted(
    raw: pd.DataFrame, dims: list[str], pooled: dict[str, list[str]], notes: list[str]
) -> ConversionFit:
    """The fit of counts where no level is left to estimate: every level has no sales,
    or only sales, even pooled, or there are too few leads."""
    n, k = int(raw["leads"].sum()), int(raw["sales"].sum())
    state = "no_sales" if k == 0 else "all_sales" if k == n else "too_little"
    return ConversionFit(
        dims=tuple(dims),
        terms=_terms_frame([]),
        cells=_cells_table(None, raw, dims, {}, pooled, set(), 0.95),
        pooled=pooled,
        result=None,
        deviance=np.nan,
        df_resid=np.nan,
        llf=np.nan,
        notes=notes,
        state=state,
    )


def _unstable(coef: float, se: float) -> bool:
    """A coefficient of a level with no sales or only sales where it can be compared:
    the likelihood keeps growing toward ±infinity, IRLS stops at a large value."""
    return not (np.isfinite(coef) and np.isfinite(se)) or abs(coef) > 10 or se > 5


def _level_of(name: str) -> tuple[str, str] | None:
    """("source", "ref") from the design column ``C(source, Treatment('g'))[T.ref]``."""
    if not name.startswith("C(") or "[T." not in name:
        return None
    return name[2 : name.index(",")], name[name.index("[T.") + 3 : -1]


def _warning_notes(
    caught: list[warnings.WarningMessage], result: Any, dims: list[str], refs: Mapping[str, str]
) -> list[str]:
    """What the fit's warnings mean, in plain words, never the warning's own text.

    Separation (statsmodels' PerfectSeparationWarning, or an estimate running off to
    ±infinity) names the levels that have no sales or only sales where they can be
    compared; a numerical warning (divide by zero, overflow) whose estimates all came
    out finite and stable says nothing about them and is dropped; one that left
    estimates unusable says so."""
    if not caught:
        return []
    params, bse = result.params, result.bse
    bad = [
        lv
        for name in params.index
        if (lv := _level_of(str(name))) is not None
        and _unstable(float(params[name]), float(bse[name]))
    ]
    notes = [
        _(
            "{term} {level}: where its leads can be compared with {reference}'s, one of the "
            "two has no sales (or only sales), so its effect cannot be estimated",
            term=_(d),
            level=shown_level(lvl),
            reference=shown_level(refs[d]),
        )
        if d in refs
        else _(
            "{term} {level}: where its leads can be compared with the others's, one of the "
            "two has no sales (or only sales), so its effect cannot be estimated",
            term=_(d),
            level=shown_level(lvl),
        )
        for d, lvl in bad
    ]
    separation = any(w.category.__name__ == "PerfectSeparationWarning" for w in caught)
    if separation and not bad:
        notes.append(
            _(
                "some combinations of levels have no sales (or only sales): the estimates "
                "next to them rest on the other combinations"
            )
        )
    finite = bool(np.isfinite(params).all() and np.isfinite(bse).all())
    if not finite and not bad:
        notes.append(
            _(
                "the model could not be estimated reliably on these counts: read the raw "
                "rates and their intervals instead"
            )
        )
    return notes


_TERMS_COLUMNS = [
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
    "status",
    "nested_in",
    "members",
]


def _terms_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    t = pd.DataFrame(rows, columns=[*_TERMS_COLUMNS, "ref_leads"])
    return t.drop(columns=["ref_leads"]).astype(
        {c: "float64" for c in ("coef", "se", "odds_ratio", "or_low", "or_high", "p_value")}
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
    nested: pd.DataFrame,
) -> pd.DataFrame:
    z = z_value(level)
    rows = []
    unstable_rows: list[bool] = []  # the rows flagged "unstable estimate", by position
    nest = {
        (r.term, r.level): f"{r.within_term} {r.within_level}"
        for r in nested.itertuples(index=False)
    }
    # a level whose leads are all in X, X's all its own: the two design columns are equal
    aliased = {
        (r.term, r.level)
        for r in nested.itertuples(index=False)
        if r.other_leads == 0 and r.share == 1.0
    }
    for d in dims:
        g = raw.groupby(d)[["leads", "sales"]].sum()
        fg = fit_cells.groupby(d)[["leads", "sales"]].sum()
        ref = refs[d]
        ref_n, ref_k = int(fg.loc[ref, "leads"]), int(fg.loc[ref, "sales"])
        members = pooled.get(d, [])
        for lvl in sorted(set(g.index) | ({POOLED} if d in pooled else set())):
            if lvl == ref:
                continue
            is_pooled_member = lvl in members
            if lvl == POOLED:  # what the pooled level holds, fitted or left out
                n, k = (int(v) for v in g.loc[members, ["leads", "sales"]].sum())
            else:
                n, k = int(g.loc[lvl, "leads"]), int(g.loc[lvl, "sales"])
            name = f"C({d}, Treatment({ref!r}))[T.{lvl}]"
            has = (
                result is not None
                and name in result.params.index
                and not is_pooled_member
                and (d, lvl) not in aliased  # its column is another's: no estimate at all
            )
            coef = float(result.params[name]) if has else np.nan
            se = float(result.bse[name]) if has else np.nan
            wild = has and _unstable(coef, se)  # no odds ratio to show: it runs off
            flag = ""
            unstable = False
            if is_pooled_member:
                flag = _("pooled into {pooled}: see the shrunk rate", pooled=_(POOLED))
            elif (d, lvl) in nest:
                flag = _separated_words(nest[(d, lvl)])
            elif not has:
                flag = (
                    _("left out: no sales")
                    if k == 0
                    else _("left out: only sales")
                    if k == n
                    else _("left out")
                )
            elif lvl == POOLED:
                flag = _("pooled small levels")
            elif _unstable(coef, se):
                flag, unstable = _("unstable estimate"), True
            unstable_rows.append(unstable)
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
                    "odds_ratio": np.nan if wild else np.exp(coef),
                    "or_low": np.nan if wild else np.exp(coef - z * se),
                    "or_high": np.nan if wild else np.exp(coef + z * se),
                    "p_value": float(2 * _st.norm.sf(abs(coef / se)))
                    if has and not wild
                    else np.nan,
                    "flag": flag,
                    "nested_in": nest.get((d, lvl), ""),
                    "members": ", ".join(map(str, members)) if lvl == POOLED else "",
                    "ref_leads": ref_n,
                }
            )
    t = _terms_frame(rows)
    if t.empty:
        return t
    ref_leads = [row["ref_leads"] for row in rows]
    t["q_value"] = bh_qvalues(t["p_value"])
    needed, enough, words, status = [], [], [], []
    for r, ref_count, unstable in zip(t.itertuples(), ref_leads, unstable_rows, strict=True):
        current = float(r.leads + ref_count)  # the leads behind the comparison
        need = model_leads_needed(r.coef, r.se, current, alpha=alpha)
        if r.nested_in:
            st, ok, text = "not_separable", False, _separated_words(r.nested_in)
        elif not np.isfinite(r.coef):
            why = r.flag or _("no data")
            st, ok, text = "no_estimate", False, _("no estimate: {why}", why=why)
        elif unstable:
            st, ok, text = "unstable", False, _("no estimate: no sales or only sales to compare")
        else:
            ok, text = verdict(r.q_value, need, alpha, p_value=r.p_value, current=current)
            st = (
                "differs"
                if ok
                else "differs_alone"
                if r.p_value < alpha
                else "no_difference"
                if not np.isfinite(need)
                else "not_by_waiting"
                if _waits_in_vain(need, current)
                else "not_enough"
            )
        needed.append(need)
        enough.append(ok)
        words.append(text)
        status.append(st)
    t["enough_data"] = enough
    t["verdict"] = words
    t["leads_needed"] = needed
    t["status"] = status
    return t


def _separated_words(nested_in: str) -> str:
    """``cannot be separated from segment leadform``, in the reader's language."""
    term, level = nested_parts(nested_in)
    return _("cannot be separated from {term} {level}", term=_(term), level=shown_level(level))


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
        with np.errstate(over="ignore"):
            # the inverse logit of an interval bound at ±40 or beyond overflows exp()
            # on its way to the right limit (0 or 1): no wrong number comes of it
            pred = result.get_prediction(X).summary_frame(alpha=1 - level)
        out.loc[in_fit, "predicted"] = pred["mean"].to_numpy()
        out.loc[in_fit, "predicted_low"] = pred["mean_ci_lower"].to_numpy()
        out.loc[in_fit, "predicted_high"] = pred["mean_ci_upper"].to_numpy()
    pooled_member = np.zeros(len(out), dtype=bool)
    for d in dims:
        pooled_member |= out[d].isin(pooled.get(d, [])).to_numpy()
    out["flag"] = np.select(
        [out["sales"].to_numpy() == 0, ~in_fit, pooled_member],
        [
            _("no sales in this cell"),
            _("left out of the fit"),
            _("a level pooled into {pooled}", pooled=_(POOLED)),
        ],
        default="",
    )
    return out


def about(n: float) -> str:
    """A count rounded to two significant digits: 246,354 -> 250,000."""
    if n < 100:
        return fmt_number(n, ",.0f")
    digits = len(str(int(n))) - 2
    return fmt_number(round(n, -digits), ",.0f")
