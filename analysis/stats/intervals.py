"""Small statistical helpers shared by every table: intervals for rates.

Every rate the kit shows carries its count and a 95% interval; these are the
closed forms behind them. `fmt_number` writes the statistics the models' sentences
quote (counts, p-values, odds ratios) as the reader's language writes numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as _st
from statsmodels.stats.multitest import multipletests

from analysis.base.i18n import fmt_number

__all__ = [
    "wilson_interval",
    "z_value",
    "cohens_h",
    "nobs_for_h",
    "leads_needed",
    "odds_ratio_2x2",
    "bh_qvalues",
    "rate_ratio",
    "count_flag",
    "fmt_number",
]


def z_value(level: float = 0.95) -> float:
    """The two-sided normal quantile for a confidence level (1.96 for 0.95)."""
    if not 0 < level < 1:
        raise ValueError(f"confidence level must be between 0 and 1, got {level}")
    return float(_st.norm.ppf(0.5 + level / 2))


def wilson_interval(
    successes: ArrayLike, n: ArrayLike, level: float = 0.95
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Wilson score interval for a binomial proportion (Wilson 1927; Newcombe 1998).

    Parameters
    ----------
    successes, n : array-like of int
        Number of successes and of trials, element-wise. Where ``n`` is 0 the bounds are NaN.
    level : float
        Confidence level, 0.95 by default.

    Returns
    -------
    (low, high) : tuple of ndarray of float

    Examples
    --------
    >>> low, high = wilson_interval(81, 263)  # Newcombe (1998), Table I: 0.2553-0.3662
    >>> round(float(low), 4), round(float(high), 4)
    (0.2553, 0.3662)
    """
    k = np.asarray(successes, dtype="float64")
    n = np.asarray(n, dtype="float64")
    if np.any(k < 0) or np.any(k > n):
        raise ValueError("successes must be between 0 and n")
    z = z_value(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        low = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
        high = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    # exact at the edges: 0 successes has lower bound 0, n successes upper bound 1
    low = np.where(k == 0, np.where(n > 0, 0.0, np.nan), low)
    high = np.where((k == n) & (n > 0), 1.0, high)
    return low, high


def cohens_h(p1: ArrayLike, p2: ArrayLike) -> NDArray[np.float64]:
    """Cohen's effect size for two proportions: 2·asin(√p1) − 2·asin(√p2)."""
    h = 2 * np.arcsin(np.sqrt(np.asarray(p1, float))) - 2 * np.arcsin(
        np.sqrt(np.asarray(p2, float))
    )
    return np.asarray(h, dtype=np.float64)


def leads_needed(
    p1: float, n1: int, p2: float, n2: int, *, alpha: float = 0.05, power: float = 0.8
) -> float:
    """How many more leads (both groups together, keeping their ratio) a two-sided test
    at ``alpha`` needs to detect the observed difference ``p1 - p2`` with ``power``.

    Uses the arcsine (Cohen's h) normal approximation (Cohen 1988, ch. 6). Returns 0
    when the groups are already large enough and ``inf`` when the observed rates are
    equal (no difference to detect).

    Examples
    --------
    >>> round(leads_needed(0.12, 500, 0.10, 500))  # 2 x 3,835 needed, 1,000 there
    6669
    """
    if n1 <= 0 or n2 <= 0:
        raise ValueError("both groups need leads")
    h = float(abs(cohens_h(p1, p2)))
    if h == 0 or not np.isfinite(h):
        return float("inf")
    ratio = n2 / n1
    nobs1 = nobs_for_h(h, alpha=alpha, power=power, ratio=ratio)
    return float(max(0.0, nobs1 * (1 + ratio) - (n1 + n2)))


def nobs_for_h(h: float, *, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0) -> float:
    """Leads needed in group 1 (group 2 has ``ratio`` times as many) for a two-sided
    test of two proportions differing by Cohen's ``h`` (normal approximation, far tail
    ignored as in Cohen's tables): n1 = ((z_{1-alpha/2} + z_{power}) / h)^2 (1 + 1/ratio).

    Examples
    --------
    >>> round(nobs_for_h(0.2))  # Cohen (1988), Table 6.4.1: n = 392 for h = .20
    392
    """
    if h == 0:
        return float("inf")
    z = _st.norm.ppf(1 - alpha / 2) + _st.norm.ppf(power)
    return float((z / abs(h)) ** 2 * (1 + 1 / ratio))


def odds_ratio_2x2(
    a: int, b: int, c: int, d: int, level: float = 0.95
) -> tuple[float, float, float]:
    """Odds ratio (a·d)/(b·c) of a 2x2 table [[a, b], [c, d]] with its Woolf (log) interval.

    Examples
    --------
    >>> [round(x, 3) for x in odds_ratio_2x2(96, 109, 104, 666)]  # Breslow & Day (1980)
    [5.64, 4.001, 7.951]
    """
    if min(a, b, c, d) <= 0:
        raise ValueError("every cell of the 2x2 table needs a count above 0")
    log_or = np.log(a * d / (b * c))
    se = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    z = z_value(level)
    return float(np.exp(log_or)), float(np.exp(log_or - z * se)), float(np.exp(log_or + z * se))


def bh_qvalues(p_values: ArrayLike) -> NDArray[np.float64]:
    """Benjamini-Hochberg adjusted p-values (q-values); NaN stays NaN."""
    p = np.asarray(p_values, dtype="float64")
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method="fdr_bh")[1]
    return out


def rate_ratio(
    k1: int, n1: int, k2: int, n2: int, level: float = 0.95
) -> tuple[float, float, float]:
    """Ratio of two proportions (k1/n1) / (k2/n2) with the Katz log interval
    (Katz, Baptista, Azen & Pike 1978): se(log RR) = sqrt(1/k1 - 1/n1 + 1/k2 - 1/n2).

    Examples
    --------
    >>> [round(x, 3) for x in rate_ratio(20, 100, 10, 100)]
    [2.0, 0.987, 4.054]
    """
    if min(k1, k2) <= 0 or n1 <= 0 or n2 <= 0:
        return float("nan"), float("nan"), float("nan")
    rr = (k1 / n1) / (k2 / n2)
    se = np.sqrt(1 / k1 - 1 / n1 + 1 / k2 - 1 / n2)
    z = z_value(level)
    return float(rr), float(rr * np.exp(-z * se)), float(rr * np.exp(z * se))


def count_flag(leads: ArrayLike, sales: ArrayLike, min_leads: int = 30) -> NDArray[np.str_]:
    """Flag per row for a rate computed from counts: "no sales" (the rate is 0 only for
    want of data), "few leads" (under ``min_leads``) or ""."""
    n = np.asarray(leads)
    k = np.asarray(sales)
    return np.where(
        n == 0, "no leads", np.where(k == 0, "no sales", np.where(n < min_leads, "few leads", ""))
    )


def one_blas_thread() -> Any:
    """A context in which BLAS (OpenBLAS, MKL) uses one thread.

    The kit's fits work on cell tables of a few thousand rows and a few dozen columns;
    on such matrices a multithreaded BLAS spends more time coordinating threads than
    computing, and stalls when other processes share the cores (measured in
    ``benchmarks/RESULTS.md``: 1.17 s against 0.30 s for the same fit).
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")
