"""Budget what-if: the sales and revenue that moving a sum from the campaigns to cut to
the campaigns to scale should buy, with an interval.

Assumptions, stated on the page with the figures:

- **Within the observed range, a rouble buys what it bought.** A campaign's sales per
  rouble is its paid sales over its spend in the data's window (its interval from the
  conversion interval, as the cost per sale's). Cutting spend stays within the range a
  campaign has run at, so its sales fall in proportion.
- **No extrapolation beyond it.** A scaled campaign takes at most its *headroom*: what
  it would have spent had every week it ran been its busiest week. Money beyond every
  scaled campaign's headroom is left unplaced and said so, not assumed to buy sales at
  the same rate (returns diminish as a campaign outgrows its audience).
- The sum moves over the same span as the data (the window's weeks); it is taken from
  the cut campaigns in proportion to their spend and given to the scaled ones in
  proportion to their headroom.

The interval of the change adds the parts' variances (each part's standard error
from its 95% interval, the campaigns independent): a normal approximation that the
table's per-campaign intervals let a reader check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.stats.intervals import z_value

__all__ = ["WhatIf", "headroom", "budget_what_if"]

#: The what-if table's columns after the campaign's keys.
_COLUMNS = [
    "role", "spend", "headroom", "moved", "paid_sales", "sales_per_rub",
    "sales_per_rub_low", "sales_per_rub_high", "sales_change", "sales_change_low",
    "sales_change_high", "revenue_per_sale", "revenue_change",
]  # fmt: skip


@dataclass
class WhatIf:
    """The what-if's result.

    Attributes
    ----------
    table : DataFrame
        Per campaign moved: *keys, role ("cut" or "scale"), spend, headroom, moved (the
        roubles taken, negative, or given), paid_sales, sales_per_rub (with _low and
        _high), sales_change (with _low, _high), revenue_per_sale, revenue_change.
    amount : float
        The sum asked to move.
    moved : float
        The sum moved (less than ``amount`` where the cut campaigns spent less or the
        scaled ones have less headroom).
    unplaced : float
        ``amount`` - ``moved``.
    sales_change, sales_low, sales_high : float
        The net change in sales over the window and its interval.
    revenue_change, revenue_low, revenue_high : float or None
        The same for revenue (None without revenue amounts).
    weeks : int
        The window's weeks the sums are over.
    reason : str
        Why there is no what-if ("" when there is one).
    """

    table: pd.DataFrame
    amount: float = 0.0
    moved: float = 0.0
    unplaced: float = 0.0
    sales_change: float = 0.0
    sales_low: float = 0.0
    sales_high: float = 0.0
    revenue_change: float | None = None
    revenue_low: float | None = None
    revenue_high: float | None = None
    weeks: int = 0
    level: float = 0.95
    reason: str = ""
    keys: list[str] = field(default_factory=list)


def headroom(spend: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Per campaign: spend, weeks (with any spend), busiest week's spend and headroom =
    weeks x busiest week - spend (what the campaign spent at its observed maximum)."""
    s = spend.copy()
    s["week"] = pd.to_datetime(s["date"]).dt.to_period("W-SUN").dt.start_time
    weekly = s.groupby([*keys, "week"], as_index=False)["spend"].sum()
    weekly = weekly[weekly["spend"] > 0]
    out = weekly.groupby(list(keys), as_index=False).agg(
        spend=("spend", "sum"), weeks=("week", "nunique"), busiest=("spend", "max")
    )
    out["headroom"] = (out["weeks"] * out["busiest"] - out["spend"]).clip(lower=0.0)
    return out


def budget_what_if(
    economics: pd.DataFrame,
    spend: pd.DataFrame | None,
    cut: Sequence[str] | pd.DataFrame,
    scale: Sequence[str] | pd.DataFrame,
    amount: float | None = None,
    *,
    keys: Sequence[str] = ("source", "campaign"),
    level: float = 0.95,
) -> WhatIf:
    """Move ``amount`` roubles (default: all the cut campaigns' spend) from the ``cut``
    campaigns to the ``scale`` ones over the data's window.

    Parameters
    ----------
    economics : DataFrame
        `analysis.stats.economics.unit_economics` by ``keys``: spend, paid_leads,
        paid_sales, paid_revenue, conversion_low/high per campaign.
    spend : DataFrame
        The canonical spend table (for the weeks and each campaign's busiest week).
    cut, scale : list of campaign names, or frames with the ``keys`` columns
        The campaigns the recommendations cut and scale.
    amount : float, optional
        The sum to move; the cut campaigns' whole spend by default.
    """
    keys = list(keys)
    empty = WhatIf(table=pd.DataFrame(columns=[*keys, *_COLUMNS]), level=level, keys=keys)
    if spend is None or spend.empty or "spend" not in economics.columns:
        empty.reason = "no spend"
        return empty

    def chosen(which: Sequence[str] | pd.DataFrame) -> pd.DataFrame:
        if isinstance(which, pd.DataFrame):
            return which[keys].drop_duplicates()
        return economics.loc[economics[keys[-1]].isin(list(which)), keys].drop_duplicates()

    room = headroom(spend, keys)
    econ = economics.merge(room[[*keys, "weeks", "busiest", "headroom"]], on=keys, how="left")
    econ = econ[econ["spend"].fillna(0) > 0]
    parts = {
        "cut": econ.merge(chosen(cut), on=keys),
        "scale": econ.merge(chosen(scale), on=keys),
    }
    if parts["cut"].empty or parts["scale"].empty:
        empty.reason = "no cut" if parts["cut"].empty else "no scale"
        return empty
    parts["scale"] = parts["scale"][~parts["scale"].set_index(keys).index.isin(
        parts["cut"].set_index(keys).index
    )]  # fmt: skip
    available = float(parts["cut"]["spend"].sum())
    room_total = float(parts["scale"]["headroom"].fillna(0).sum())
    asked = available if amount is None else float(amount)
    if asked < 0:
        raise ValueError(f"the sum to move must not be negative, not {amount!r}")
    moved = min(asked, available, room_total)
    if room_total <= 0:
        empty.reason = "no headroom"
        empty.amount = asked
        empty.unplaced = asked
        return empty

    z = z_value(level)
    rows = []
    for role, part in parts.items():
        p = part.copy()
        if role == "cut":
            p["moved"] = -moved * p["spend"] / available
        else:
            p["moved"] = moved * p["headroom"].fillna(0) / room_total
        p.insert(len(keys), "role", role)
        rows.append(p)
    t = pd.concat(rows, ignore_index=True)
    paid = t["paid_leads"].astype(float)
    t["sales_per_rub"] = t["paid_sales"].astype(float) / t["spend"]
    t["sales_per_rub_low"] = paid * t["conversion_low"].fillna(0.0) / t["spend"]
    t["sales_per_rub_high"] = paid * t["conversion_high"].fillna(0.0) / t["spend"]
    t["sales_change"] = t["moved"] * t["sales_per_rub"]
    lo = t["moved"] * t["sales_per_rub_low"]
    hi = t["moved"] * t["sales_per_rub_high"]
    t["sales_change_low"] = np.minimum(lo, hi)
    t["sales_change_high"] = np.maximum(lo, hi)
    has_rev = "paid_revenue" in t.columns and float(t["paid_revenue"].fillna(0).sum()) > 0
    if has_rev:
        t["revenue_per_sale"] = t["paid_revenue"] / t["paid_sales"].where(t["paid_sales"] > 0)
        rps = t["revenue_per_sale"].fillna(
            float(t["paid_revenue"].sum()) / max(float(t["paid_sales"].sum()), 1.0)
        )
        t["revenue_change"] = t["sales_change"] * rps
    else:
        t["revenue_per_sale"] = np.nan
        t["revenue_change"] = np.nan
    se = (t["sales_change_high"] - t["sales_change_low"]) / (2 * z)
    net = float(t["sales_change"].sum())
    half = z * float(np.sqrt(np.sum(se**2)))
    out = WhatIf(
        table=t[[*keys, *_COLUMNS]].reset_index(drop=True),
        amount=asked,
        moved=moved,
        unplaced=asked - moved,
        sales_change=net,
        sales_low=net - half,
        sales_high=net + half,
        weeks=int(pd.to_datetime(spend["date"]).dt.to_period("W-SUN").nunique()),
        level=level,
        keys=keys,
    )
    if has_rev:
        rps_se = se * rps
        rev = float(t["revenue_change"].sum())
        rhalf = z * float(np.sqrt(np.sum(rps_se**2)))
        out.revenue_change, out.revenue_low, out.revenue_high = rev, rev - rhalf, rev + rhalf
    return out
