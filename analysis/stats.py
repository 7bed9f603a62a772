"""Small statistical helpers shared by every table: intervals for rates.

Every rate the kit shows carries its count and a 95% interval; these are the
closed forms behind them.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as _st

__all__ = ["wilson_interval", "z_value"]


def z_value(level: float = 0.95) -> float:
    """The two-sided normal quantile for a confidence level (1.96 for 0.95)."""
    if not 0 < level < 1:
        raise ValueError(f"confidence level must be between 0 and 1, got {level}")
    return float(_st.norm.ppf(0.5 + level / 2))


def wilson_interval(successes, n, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
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
