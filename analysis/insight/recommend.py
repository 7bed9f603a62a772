"""What to do on Monday: one row per campaign (or source) with an action, the evidence
and the rule that fired.

Actions, in the order the rules are tried:

wait
    Not enough data yet: fewer leads than ``min_leads``, or too few sales to tell its
    conversion from its parent's; says about how many more leads it needs.
cut
    Pays nothing back, and the data are enough to be sure: ROMI's whole 95% interval is
    below ``cut_romi`` (0 by default: the spend does not come back).
scale
    Brings hot leads and pays back: hot share at least ``hot_share`` and ROMI's 95%
    interval above 0. Without spend data nothing is "scale": payback is unknown.
rework offer
    Brings warm leads (need, but not now): warm share at least ``warm_share`` while hot
    share is below ``hot_share``: the need is there, the offer is not.
route fast
    Mostly cold leads (cold share at least ``cold_share``) that still convert
    sometimes: send them to the managers who convert cold leads best, fast.
keep
    None of the above: keep as it is and watch.

Class shares (hot, warm, cold) are shares of the *classified* leads, not of all leads
(an unqualified lead is unknown, not cold); ``classified_share`` says how many leads that
is, and with fewer than ``min_classified`` classified leads no class rule fires ("too
few classified"). Thresholds are parameters (`Thresholds`); every row carries its
counts, rates with intervals, spend, cost per sale, ROMI and the money at stake, so the
reader can check the rule and see what it is worth.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from analysis.base.i18n import _, fmt_int, language
from analysis.insight.numbers import money
from analysis.stats.economics import unit_economics
from analysis.stats.glm import waiting_words
from analysis.stats.intervals import leads_needed

__all__ = ["Thresholds", "recommend", "ACTIONS"]

ACTIONS = ("wait", "cut", "scale", "rework offer", "route fast", "keep")


@dataclass(frozen=True)
class Thresholds:
    """The rules' parameters (see the module docstring)."""

    min_leads: int = 30
    min_sales: int = 10
    hot_share: float = 0.30
    warm_share: float = 0.40
    cold_share: float = 0.60
    cut_romi: float = 0.0
    min_classified: int = 10

    def __post_init__(self) -> None:
        bad = [
            f"{name.upper()} must be a share between 0 and 1, not {getattr(self, name)!r}"
            for name in ("hot_share", "warm_share", "cold_share")
            if not isinstance(getattr(self, name), int | float)
            or isinstance(getattr(self, name), bool)
            or not 0 <= getattr(self, name) <= 1
        ]
        if bad:
            raise ValueError("; ".join(bad))


def recommend(
    leads,
    spend: pd.DataFrame | None = None,
    by=("source", "campaign"),
    *,
    thresholds: Thresholds | None = None,
    engine=None,
    currency: str | None = None,
) -> pd.DataFrame:
    """One row per group of ``by`` with an action, the rule that fired and its evidence
    (sums of money in the rules' words in ``currency`` when given).

    Returns
    -------
    DataFrame[*by, action, rule, leads, sales, classified, classified_share, hot_share,
    warm_share, cold_share, conversion, conversion_low, conversion_high, spend, revenue,
    revenue_per_spend, cpl, cac, cac_low, cac_high, romi, romi_low, romi_high,
    leads_needed, at_stake]
        Class shares are of the classified leads (NaN with none); ``revenue_per_spend``
        is the paid leads' revenue per unit of spend; ``at_stake`` is the money the
        action is about: the spend that a "cut" stops (or that any other action keeps
        paying), NaN without spend.
        Sorted by action (scale, rework offer, route fast, keep, cut, wait), then by leads.
    """
    th = thresholds or Thresholds()
    t = unit_economics(
        leads, spend, by=list(by), min_leads=th.min_leads, min_sales=th.min_sales, engine=engine
    )
    # a campaign with spend and no lead is money at stake too: kept, and cut
    spent = t["spend"].fillna(0) > 0 if "spend" in t.columns else False
    t = t[(t["leads"] > 0) | spent].reset_index(drop=True)
    t["classified"] = (t["hot"] + t["warm"] + t["cold"]).astype("int64")
    t["classified_share"] = np.where(t["leads"] > 0, t["classified"] / t["leads"].clip(1), np.nan)
    for cls in ("hot", "warm", "cold"):
        t[f"{cls}_share"] = np.where(t["classified"] > 0, t[cls] / t["classified"].clip(1), np.nan)
    for col in ("spend", "paid_revenue"):
        if col not in t.columns:
            t[col] = np.nan
    paid = t["spend"].astype("float64")
    t["revenue_per_spend"] = np.where(paid > 0, t["paid_revenue"] / paid.where(paid > 0), np.nan)
    has_spend = spend is not None and not spend.empty
    total_n, total_k = int(t["leads"].sum()), int(t["sales"].sum())
    overall = total_k / total_n if total_n else np.nan
    rows = []
    for r in t.itertuples():
        if r.leads == 0:
            rows.append(
                {
                    "action": "cut",
                    "rule": _(
                        "spend {spend} and not one lead: stop it, or check that its leads "
                        "are tagged with this campaign",
                        spend=money(r.spend, currency),
                    ),
                    "leads_needed": np.nan,
                }
            )
            continue
        costed = has_spend and np.isfinite(r.romi) and r.paid_leads > 0
        rest_n, rest_k = total_n - r.leads, total_k - r.sales
        need = (
            leads_needed(r.conversion, r.leads, rest_k / rest_n, rest_n)
            if rest_n > 0 and rest_k > 0
            else np.nan
        )
        action, rule = _rule(r, th, costed, overall, need)
        rows.append({"action": action, "rule": rule, "leads_needed": need})
    out = pd.concat([t[list(by)], pd.DataFrame(rows)], axis=1)
    for col in (
        "leads",
        "sales",
        "classified",
        "classified_share",
        "hot_share",
        "warm_share",
        "cold_share",
        "conversion",
        "conversion_low",
        "conversion_high",
        "spend",
        "revenue",
        "revenue_per_spend",
        "cpl",
        "cac",
        "cac_low",
        "cac_high",
        "romi",
        "romi_low",
        "romi_high",
    ):
        out[col] = t[col]
    out["at_stake"] = out["spend"].where(out["spend"] > 0) if has_spend else np.nan
    order = {
        a: i for i, a in enumerate(("scale", "rework offer", "route fast", "keep", "cut", "wait"))
    }
    out = out.sort_values(
        ["action", "leads"], key=lambda s: s.map(order) if s.name == "action" else -s, kind="stable"
    ).reset_index(drop=True)
    out.attrs["thresholds"] = asdict(th)
    out.attrs["spend"] = has_spend
    return out


def _more(need: float, leads: int) -> str:
    """ "; about 390 more leads to tell", or that waiting will not settle it (`waiting_words`)."""
    words = waiting_words(need, leads)
    return f"; {words}" if words else ""


def _pct(v: float) -> str:
    text = f"{100 * v:.0f}%"
    return text if language() == "en" else text.replace("-", "\u2212").replace("%", "\u00a0%")


def _rule(r, th: Thresholds, costed: bool, overall: float, need: float) -> tuple[str, str]:
    """The action of one row and the reason for it, in the reader's language (the
    action stays a code: the tables show it in the reader's words)."""
    if r.leads < th.min_leads:
        return "wait", _(
            "{leads} leads, under {min}: too few to judge{more}",
            leads=fmt_int(r.leads),
            min=fmt_int(th.min_leads),
            more=_more(need, r.leads),
        )
    if costed and np.isfinite(r.romi_high) and r.romi_high < th.cut_romi:
        return "cut", _(
            "ROMI {romi} and at most {high} (95%): the spend does not come back ({sales} "
            "sales of {leads} leads)",
            romi=_pct(r.romi),
            high=_pct(r.romi_high),
            sales=fmt_int(r.sales),
            leads=fmt_int(r.leads),
        )
    if r.sales < th.min_sales and not (
        costed and r.sales == 0 and r.paid_leads >= 4 * th.min_leads
    ):
        return "wait", _(
            "{sales} sales, under {min}: conversion not yet distinguishable{more}",
            sales=fmt_int(r.sales),
            min=fmt_int(th.min_sales),
            more=_more(need, r.leads),
        )
    pays = costed and np.isfinite(r.romi_low) and r.romi_low > 0
    if r.classified == 0:
        if not costed:
            return "keep", _("no qualification and no spend data: only conversion is known")
        return "keep", _("no lead is classified (hot, warm, cold): the class rules cannot fire")
    if r.classified < th.min_classified:
        return "keep", _(
            "only {classified} of {leads} leads classified ({share}), under {min}: too few "
            "classified to read the mix of hot, warm and cold",
            classified=fmt_int(r.classified),
            leads=fmt_int(r.leads),
            share=_pct(r.classified_share),
            min=fmt_int(th.min_classified),
        )
    # the shares are of the classified leads: every reason says how many that is
    of = dict(classified=fmt_int(r.classified), share=_pct(r.classified_share))
    if r.hot_share >= th.hot_share and pays:
        return "scale", _(
            "hot share {hot} of {classified} classified ({share} of leads) ≥ {threshold} "
            "and ROMI {romi} (at least {low})",
            **of,
            hot=_pct(r.hot_share),
            threshold=_pct(th.hot_share),
            romi=_pct(r.romi),
            low=_pct(r.romi_low),
        )
    if r.hot_share >= th.hot_share and not costed and r.conversion_low > overall:
        return "keep", _(
            "hot share {hot} of {classified} classified ({share} of leads) and conversion "
            "{conversion}, above the overall {overall}; no spend recorded, so whether "
            "scaling pays back is unknown",
            **of,
            hot=_pct(r.hot_share),
            conversion=_pct(r.conversion),
            overall=_pct(overall),
        )
    if r.hot_share >= th.hot_share and costed and not pays:
        return "keep", _(
            "hot share {hot} of {classified} classified ({share} of leads) ≥ {threshold}, "
            "but ROMI {romi} could be as low as {low} (95%): not sure scaling pays back",
            **of,
            hot=_pct(r.hot_share),
            threshold=_pct(th.hot_share),
            romi=_pct(r.romi),
            low=_pct(r.romi_low),
        )
    if r.warm_share >= th.warm_share and r.hot_share < th.hot_share:
        return "rework offer", _(
            "warm share {warm} of {classified} classified ({share} of leads) ≥ {threshold}, "
            "hot only {hot}: the need is there, the offer is not",
            **of,
            warm=_pct(r.warm_share),
            threshold=_pct(th.warm_share),
            hot=_pct(r.hot_share),
        )
    if r.cold_share >= th.cold_share and r.sales > 0:
        return "route fast", _(
            "cold share {cold} of {classified} classified ({share} of leads) ≥ {threshold} "
            "but {sales} sales: recoverable by the best managers, fast",
            **of,
            cold=_pct(r.cold_share),
            threshold=_pct(th.cold_share),
            sales=fmt_int(r.sales),
        )
    return "keep", _("no rule fired: keep it and watch")
