"""Partial pooling of conversion rates: small levels are pulled toward their parent.

A campaign with twelve leads and no sale does not convert at 0%, and one with three
leads and two sales does not convert at 67%. Empirical Bayes with a beta-binomial
prior fits, within each parent (campaigns within a source; sources within the whole),
how much the levels really differ (the prior's mean and strength, by marginal maximum
likelihood over the cells), and pulls each level toward the parent by its evidence.
The fit runs on counts per level, so its cost does not depend on the number of leads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special
from scipy import stats as _st

from analysis.stats.intervals import wilson_interval

__all__ = ["fit_beta_binomial", "shrink_rates"]

#: Bounds of the prior strength (in leads): from almost no pooling to full pooling.
KAPPA_BOUNDS = (0.5, 1e7)


def _neg_marginal(
    params: NDArray[np.float64], k: NDArray[np.float64], n: NDArray[np.float64]
) -> float:
    """Minus the beta-binomial marginal log-likelihood (up to a constant) at
    (logit mu, log kappa)."""
    mu = special.expit(params[0])
    kappa = np.exp(params[1])
    a, b = mu * kappa, (1 - mu) * kappa
    return -float(np.sum(special.betaln(k + a, n - k + b) - special.betaln(a, b)))


def fit_beta_binomial(sales: ArrayLike, leads: ArrayLike) -> tuple[float, float]:
    """Fit a Beta(mu·kappa, (1−mu)·kappa) prior to per-level (sales, leads) by marginal
    maximum likelihood.

    Returns
    -------
    (mu, kappa)
        The prior's mean rate and its strength in leads (how many leads a level needs
        before its own rate counts as much as the parent's). ``kappa`` at its upper
        bound means the levels do not differ beyond chance.

    Examples
    --------
    >>> mu, kappa = fit_beta_binomial([5, 10, 15], [100, 100, 100])
    >>> round(mu, 3), kappa > 30
    (0.1, True)
    """
    k = np.asarray(sales, dtype="float64")
    n = np.asarray(leads, dtype="float64")
    keep = n > 0
    k, n = k[keep], n[keep]
    if len(n) == 0:
        raise ValueError("no level has leads")
    pooled = k.sum() / n.sum()
    if pooled in (0.0, 1.0):
        return float(pooled), KAPPA_BOUNDS[1]
    start = [special.logit(pooled), np.log(100.0)]
    bounds = [(-15, 15), tuple(np.log(KAPPA_BOUNDS))]
    res = optimize.minimize(_neg_marginal, start, args=(k, n), method="L-BFGS-B", bounds=bounds)
    return float(special.expit(res.x[0])), float(np.exp(res.x[1]))


def shrink_rates(
    cells: pd.DataFrame,
    level: str,
    parent: str | None = None,
    *,
    min_levels: int = 3,
    min_leads: int = 30,
    min_sales: int = 10,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Shrunk conversion rate per level, pooled toward its parent.

    Parameters
    ----------
    cells : DataFrame
        Counts with columns ``level`` (and ``parent``), ``leads`` and ``sales``; several
        rows per level are summed.
    level : str
        The dimension to estimate, e.g. ``"campaign"``.
    parent : str, optional
        The dimension it nests in, e.g. ``"source"``; None pools toward the overall rate.
    min_levels : int
        A parent with fewer levels than this cannot tell how much its levels differ;
        it borrows the prior strength fitted across all levels, centred on the parent's
        own rate shrunk toward the overall rate (so a source with one small campaign
        is still pulled toward the whole).
    min_leads, min_sales : int
        Levels with fewer leads are flagged "few leads", then those with fewer sales
        "few sales" (the funnel's "too few leads" and "too few sales").

    Returns
    -------
    DataFrame[parent?, level, leads, sales, rate, rate_low, rate_high, shrunk,
    shrunk_low, shrunk_high, prior_rate, prior_leads, weight, flag]
        ``rate``/``rate_low``/``rate_high``: the observed rate and its Wilson interval;
        ``shrunk``/``shrunk_low``/``shrunk_high``: the posterior mean and an equal-tailed
        interval that also carries the uncertainty of the parent's rate;
        ``prior_rate``, ``prior_leads``: the parent's prior; ``weight``: how
        much of the shrunk rate is the level's own data (leads / (leads + prior_leads));
        ``flag``: "no sales", "few leads", "few sales" or "".
    """
    out = _shrink(cells, level, parent, min_levels=min_levels, confidence=confidence)
    out["flag"] = np.where(
        out["sales"] == 0,
        "no sales",
        np.where(
            out["leads"] < min_leads,
            "few leads",
            np.where(out["sales"] < min_sales, "few sales", ""),
        ),
    )
    return out.drop(columns="_var")


def _pooled_variance(k: pd.Series, n: pd.Series, kappa: float) -> float:
    """Sampling variance of a parent's pooled rate sum(k)/sum(n) when its levels'
    rates vary as Beta with strength ``kappa`` (the beta-binomial variance of each
    level's count, summed): mu(1-mu)/N^2 * sum n_i (1 + (n_i - 1)/(kappa + 1))."""
    nn = n.to_numpy(dtype="float64")
    big_n = float(nn.sum())
    mu = float(k.sum()) / big_n
    spread = float(np.sum(nn * (1 + (nn - 1) / (kappa + 1))))
    return mu * (1 - mu) / big_n**2 * spread


def _shrink(
    cells: pd.DataFrame, level: str, parent: str | None, *, min_levels: int, confidence: float
) -> pd.DataFrame:
    """`shrink_rates` without its flag, with ``_var``: the variance of each shrunk rate."""
    keys = [parent, level] if parent else [level]
    for col in [*keys, "leads", "sales"]:
        if col not in cells.columns:
            raise ValueError(f"cells have no column {col!r}")
    t = cells.groupby(keys, as_index=False, sort=True)[["leads", "sales"]].sum()
    t = t[t["leads"] > 0].reset_index(drop=True)
    _, kappa_all = fit_beta_binomial(t["sales"], t["leads"])
    # each parent's prior: (mean, strength, variance of the mean)
    priors: dict[object, tuple[float, float, float]] = {}
    groups = t.groupby(parent, sort=False) if parent else [(None, t)]
    if parent:
        # the parents' own rates, pooled toward the overall rate: the centre for
        # parents with too few levels to fit a prior of their own
        top = _shrink(t, parent, None, min_levels=min_levels, confidence=confidence)
        parent_rate = top.set_index(parent)[["shrunk", "_var"]]
    for key, g in groups:
        if len(g) >= min_levels:
            m, kap = fit_beta_binomial(g["sales"], g["leads"])
            priors[key] = (m, kap, _pooled_variance(g["sales"], g["leads"], kap))
        elif parent:
            r = parent_rate.loc[key]
            priors[key] = (float(r["shrunk"]), kappa_all, float(r["_var"]))
        else:
            m = float(g["sales"].sum() / g["leads"].sum())
            priors[key] = (m, kappa_all, _pooled_variance(g["sales"], g["leads"], kappa_all))
    prior = t[parent].map(priors) if parent else pd.Series([priors[None]] * len(t), t.index)
    mu = prior.map(lambda v: v[0]).astype("float64")
    kappa = prior.map(lambda v: v[1]).astype("float64")
    mu_var = prior.map(lambda v: v[2]).astype("float64")
    a = mu * kappa + t["sales"]
    b = (1 - mu) * kappa + t["leads"] - t["sales"]
    # a parent whose levels all sold nothing (or everything) has a degenerate prior;
    # keep the posterior proper with half a pseudo-lead on each side
    a, b = a.clip(lower=0.5), b.clip(lower=0.5)
    alpha = 1 - confidence
    out = t.copy()
    out["rate"] = t["sales"] / t["leads"]
    out["rate_low"], out["rate_high"] = wilson_interval(t["sales"], t["leads"], confidence)
    weight = t["leads"] / (t["leads"] + kappa)
    shrunk = a / (a + b)
    # The posterior Beta(a, b) takes the prior's mean as known; it is an estimate from
    # the parent's leads, and a level pulled most of the way to it inherits that
    # uncertainty (without this, levels that do not differ beyond chance get intervals
    # narrower than the parent's own rate: 6.3-6.6% inside an overall 4.5-9.1%). The
    # interval is a Beta with the posterior's mean and the variance Var(a, b) +
    # (1 - weight)^2 Var(prior mean).
    var = a * b / ((a + b) ** 2 * (a + b + 1)) + (1 - weight) ** 2 * mu_var
    size = (shrunk * (1 - shrunk) / var - 1).clip(lower=1.0)
    a2, b2 = (shrunk * size).clip(lower=0.5), ((1 - shrunk) * size).clip(lower=0.5)
    out["shrunk"] = shrunk
    out["shrunk_low"] = _st.beta.ppf(alpha / 2, a2, b2)
    out["shrunk_high"] = _st.beta.ppf(1 - alpha / 2, a2, b2)
    out["prior_rate"] = mu.to_numpy()
    out["prior_leads"] = kappa.to_numpy()
    out["weight"] = weight
    out["_var"] = var
    # a parent with no sales at all (or only sales) says nothing about how far its
    # levels differ: its fitted strength runs to the bound and would give a false
    # certainty (0.0%-0.0%); such levels keep their own rate and Wilson interval
    if parent:
        by = t.groupby(parent)[["leads", "sales"]].transform("sum")
        degenerate = ((by["sales"] == 0) | (by["sales"] == by["leads"])).to_numpy()
    else:
        k, n = int(t["sales"].sum()), int(t["leads"].sum())
        degenerate = np.full(len(t), k in (0, n))
    if degenerate.any():
        out.loc[degenerate, "shrunk"] = out.loc[degenerate, "rate"]
        out.loc[degenerate, "shrunk_low"] = out.loc[degenerate, "rate_low"]
        out.loc[degenerate, "shrunk_high"] = out.loc[degenerate, "rate_high"]
        out.loc[degenerate, "prior_leads"] = 0.0
        out.loc[degenerate, "weight"] = 1.0
        r = out.loc[degenerate, "rate"]
        out.loc[degenerate, "_var"] = (r * (1 - r) / out.loc[degenerate, "leads"]).clip(
            lower=0.25 / out.loc[degenerate, "leads"] ** 2
        )
    return out
