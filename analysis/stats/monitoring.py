"""Between two runs of a client: which changes are beyond chance.

Each run leaves its counts per campaign (leads, hot and classified leads, sales, paid
leads and sales, spend). Two runs are compared on five measures, for the client as a
whole and for each campaign with enough leads in both:

- **leads** per day of the run's window: the later count against the earlier given
  their sum (conditional binomial test of two Poisson rates, exposure the days);
- **hot share** of the classified leads and **conversion** (sales / leads): Fisher's
  exact test of the two 2x2 tables;
- **cost per lead** and **cost per sale**: leads and sales per rouble, the conditional
  binomial test with the spend as exposure (spend is known; the counts vary).

The false-alarm rate: every test of a client (measures x campaigns) is two-sided, and a
change is flagged where its Benjamini–Hochberg q-value across the client's tests is
below ``alpha`` (0.05 by default): among the flags, at most about 5% are expected to be
changes chance alone made. A test needs ``min_leads`` leads (``min_sales`` sales for
conversion and cost per sale) in each run; below that the row says "too few" and is
never flagged. The runs' data are taken as two samples; where the second export still
holds the first one's leads the samples overlap and the test is conservative (a real
change is flagged later, not falsely).

Conversion between runs also moves when the leads' ages differ (young leads have not
closed yet): a run's page reads conversion at equal age; here the flag says only that
the counts differ beyond chance, and the digest says which way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from analysis.stats.intervals import bh_qvalues

__all__ = ["MEASURES", "RunCounts", "compare_counts"]

#: The measures compared, in the order the index and the digest show them; for each,
#: which way is worse (a drop of leads, hot share or conversion; a rise of costs).
MEASURES = {
    "leads": "down",
    "hot_share": "down",
    "conversion": "down",
    "cpl": "up",
    "cac": "up",
}

_COUNTS = ["leads", "hot", "classified", "sales", "paid_leads", "paid_sales", "spend"]


@dataclass
class RunCounts:
    """One run's counts: per campaign (``campaigns``: source, campaign and `_COUNTS`)
    and the days of its window."""

    campaigns: pd.DataFrame
    days: int

    @classmethod
    def from_economics(cls, table: pd.DataFrame, days: int) -> RunCounts:
        """From a run's ``economics_by_campaign`` table (leads, hot, warm, cold, sales,
        paid_leads, paid_sales, spend per source and campaign)."""
        t = table.copy()
        t["classified"] = t[["hot", "warm", "cold"]].sum(axis=1)
        for c in _COUNTS:
            t[c] = pd.to_numeric(t[c], errors="coerce").fillna(0)
        return cls(t[["source", "campaign", *_COUNTS]].copy(), max(int(days), 1))

    def total(self) -> pd.Series:
        return self.campaigns[_COUNTS].sum()


def _rate_test(k1: float, e1: float, k2: float, e2: float) -> float:
    """Two-sided p of equal Poisson rates k/e: k2 given k1 + k2 is binomial with
    p = e2 / (e1 + e2)."""
    n = int(round(k1 + k2))
    if n == 0 or e1 <= 0 or e2 <= 0:
        return 1.0
    return float(sps.binomtest(int(round(k2)), n, e2 / (e1 + e2)).pvalue)


def _prop_test(k1: float, n1: float, k2: float, n2: float) -> float:
    """Two-sided p of Fisher's exact test of k1/n1 against k2/n2."""
    if n1 <= 0 or n2 <= 0:
        return 1.0
    table = [[int(k1), int(n1 - k1)], [int(k2), int(n2 - k2)]]
    return float(sps.fisher_exact(table).pvalue)


def _measure_rows(
    a: pd.Series, b: pd.Series, da: int, db: int, min_leads: int, min_sales: int
) -> Iterator[tuple[str, float, float, float | None]]:
    """(measure, before, after, p or None when too few) of one scope."""

    def ratio(x: float, y: float) -> float:
        return x / y if y > 0 else np.nan

    enough = a["leads"] >= min_leads and b["leads"] >= min_leads
    enough_cls = a["classified"] >= min_leads and b["classified"] >= min_leads
    enough_sales = enough and a["sales"] + b["sales"] >= min_sales
    paid = a["spend"] > 0 and b["spend"] > 0
    paid_leads = paid and a["paid_leads"] >= min_leads and b["paid_leads"] >= min_leads
    paid_sales = paid_leads and a["paid_sales"] + b["paid_sales"] >= min_sales
    yield (
        "leads",
        a["leads"] / da,
        b["leads"] / db,
        _rate_test(a["leads"], da, b["leads"], db) if enough else None,
    )
    yield (
        "hot_share",
        ratio(a["hot"], a["classified"]),
        ratio(b["hot"], b["classified"]),
        _prop_test(a["hot"], a["classified"], b["hot"], b["classified"]) if enough_cls else None,
    )
    yield (
        "conversion",
        ratio(a["sales"], a["leads"]),
        ratio(b["sales"], b["leads"]),
        _prop_test(a["sales"], a["leads"], b["sales"], b["leads"]) if enough_sales else None,
    )
    yield (
        "cpl",
        ratio(a["spend"], a["paid_leads"]),
        ratio(b["spend"], b["paid_leads"]),
        _rate_test(a["paid_leads"], a["spend"], b["paid_leads"], b["spend"])
        if paid_leads
        else None,
    )
    yield (
        "cac",
        ratio(a["spend"], a["paid_sales"]),
        ratio(b["spend"], b["paid_sales"]),
        _rate_test(a["paid_sales"], a["spend"], b["paid_sales"], b["spend"])
        if paid_sales
        else None,
    )


def compare_counts(
    before: RunCounts,
    after: RunCounts,
    *,
    alpha: float = 0.05,
    min_leads: int = 30,
    min_sales: int = 10,
) -> pd.DataFrame:
    """Every measure of the client (``campaign`` "" and source "") and of each campaign
    in both runs, with the test of its change.

    Returns DataFrame[source, campaign, measure, before, after, change (after / before -
    1), p, q, flag, worse]: ``p`` NaN where a run has too few leads or sales to test;
    ``q`` the Benjamini–Hochberg q-value over the tested rows; ``flag`` True where q <
    ``alpha``; ``worse`` True where the change goes the bad way (`MEASURES`).
    """
    rows = []
    scopes = [("", "", before.total(), after.total())]
    a = before.campaigns.set_index(["source", "campaign"])
    b = after.campaigns.set_index(["source", "campaign"])
    for key in a.index.intersection(b.index).sort_values():
        scopes.append((key[0], key[1], a.loc[key, _COUNTS], b.loc[key, _COUNTS]))
    for source, campaign, x, y in scopes:
        for measure, v0, v1, p in _measure_rows(
            x, y, before.days, after.days, min_leads, min_sales
        ):
            rows.append(
                {
                    "source": source,
                    "campaign": campaign,
                    "measure": measure,
                    "before": v0,
                    "after": v1,
                    "p": np.nan if p is None else p,
                }
            )
    out = pd.DataFrame(rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["change"] = out["after"] / out["before"] - 1
    tested = out["p"].notna()
    out["q"] = np.nan
    if tested.any():
        out.loc[tested, "q"] = bh_qvalues(out.loc[tested, "p"].to_numpy())
    out["flag"] = out["q"] < alpha
    way = out["measure"].map(MEASURES)
    out["worse"] = np.where(
        way == "down", out["after"] < out["before"], out["after"] > out["before"]
    )
    return out[
        ["source", "campaign", "measure", "before", "after", "change", "p", "q", "flag", "worse"]
    ]
