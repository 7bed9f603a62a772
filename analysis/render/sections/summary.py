"""The executive summary: the headline numbers, whose part the change in sales is,
whether cheaper leads made sales dearer, what to do with each campaign, who should get
the cold leads, and what these numbers rest on.
"""

from __future__ import annotations

import pandas as pd

from analysis.engine.periods import NO_DATE
from analysis.insight import findings
from analysis.insight.findings import window_words
from analysis.insight.numbers import fmt_money, fmt_range, fmt_rate
from analysis.insight.recommend import Thresholds, recommend
from analysis.render import figures
from analysis.render.sections import Section, period
from analysis.render.tables import show
from analysis.stats import managers
from analysis.stats.economics import unit_economics

__all__ = ["headline", "whose_part", "cheap_leads", "actions", "routing", "caveats"]


def _money(v, currency: str) -> str:
    return fmt_money(v) + (f"\u00a0{currency}" if currency else "")


def headline(ctx) -> Section:
    """Leads, sales, spend, cost per lead and cost per sale over the whole data, from
    ``ctx.facts`` (the numbers every page, the index and run.json show)."""
    f, t, cur = ctx.facts, ctx.facts["totals"], ctx.currency
    text = (
        f"**{fmt_money(f['leads'])} leads** {window_words(f)}, "
        f"**{fmt_money(f['sales'])} sales** "
        f"(conversion {fmt_rate(t['conversion'], t['conversion_low'], t['conversion_high'])}); "
        f"data as of {f['data_end'] or 'unknown'}."
    )
    if ctx.can["spend"] and t.get("spend") is not None:
        text += (
            f" Spend **{_money(t['spend'], cur)}**: cost per lead {_money(t['cpl'], cur)} "
            f"over {fmt_money(t['paid_leads'])} paid leads"
        )
        if t.get("cac") is not None:
            unit = f"\u00a0{cur}" if cur else ""
            text += (
                f", cost per sale {fmt_range(t['cac'], t['cac_low'], t['cac_high'])}{unit} "
                f"over {fmt_money(t['paid_sales'])} sales from paid leads (95% interval)"
            )
        text += "."
        without = f["spend"].get("on_campaigns_without_leads") or 0.0
        if without > 0:
            text += (
                f" {_money(without, cur)} of it went to campaigns that brought no lead "
                f"({', '.join(f['spend']['campaigns_without_leads'])})."
            )
    else:
        text += " No spend data: cost per lead and cost per sale are unknown."
    return Section(text=text)


def whose_part(ctx) -> Section:
    """Whose part the change in sales is, naive and at equal age; table
    ``summary_change`` (the naive decomposition)."""
    sales = period.change(ctx)
    if sales.empty:
        return sales
    table = sales.tables["change_sales"]
    text = findings.main_cause(table)
    compared = table.attrs["labels"]
    note = period.period_notes(ctx, compared)
    if note:
        text += " " + note
    equal = period.equal_age(ctx)
    if not equal.empty:
        days = ctx.settings.equal_age_days
        at_age = equal.tables["change_sales_equal_age"]
        why = (
            "the leads too young to have bought yet, and the sales that close later"
            if any(at_age.attrs.get("estimated") or ())
            else f"the sales closed more than {days} days after the lead (every lead of both "
            f"periods is at least {days} days old)"
        )
        text += (
            f"\n\n*At equal age ({days} days):* "
            + findings.main_cause(at_age)
            + f" The difference from the line above is {why}; the period-change page has "
            "the detail."
        )
    text += (
        "\n\nEach part is its average contribution, in sales (Shapley values), so the "
        "parts add up to the change; the period totals are counts."
    )
    fig = sales.figure
    if fig is None:  # no sale in either period: nothing to draw
        return Section(text=text, tables={"summary_change": table})
    fig.axes[0].set_title(
        f"Sales, {compared[0]} to {compared[1]}: marketing (blue) and sales (red) parts"
    )
    return Section(text=text, tables={"summary_change": table}, figure=fig)


def cheap_leads(ctx) -> Section:
    """Cost per lead next to cost per sale, first period against last."""
    if not ctx.can["spend"]:
        return Section(
            text="No spend data: cost per lead and cost per sale are unknown.", empty=True
        )
    s = ctx.settings
    by_period = unit_economics(
        ctx.leads,
        ctx.spend,
        by=[s.period],
        min_leads=s.min_leads,
        min_sales=s.min_sales,
        engine=ctx.engine,
    )
    # the same periods as the split of the change: those with enough leads to compare
    enough = by_period[
        (by_period["leads"] >= s.min_leads) & (by_period[s.period].astype(str) != NO_DATE)
    ].reset_index(drop=True)
    if len(enough.dropna(subset=["cpl"])) < 2:
        return Section(
            text=f"Fewer than two {s.period}s with {s.min_leads} leads or more and spend: "
            "cost per lead and cost per sale are not compared between periods (the headline "
            "gives them over all leads).",
            empty=True,
        )
    by_period = enough
    text = findings.cpl_vs_cac_finding(by_period, s.period, ctx.currency)
    with_spend = by_period.dropna(subset=["cpl"])
    partial = period.incomplete(ctx)
    ends = [str(k) for k in with_spend[s.period].iloc[[0, -1]]] if len(with_spend) >= 2 else []
    cut = [k for k in dict.fromkeys(ends) if k in partial]
    if cut:
        text += (
            " Not whole periods: "
            + "; ".join(f"{k} ({partial[k]})" for k in cut)
            + ": cost per lead and per sale are rates and compare; their leads and sales "
            "cover only part of the period."
        )
    figures.set_style()
    fig = figures.plot_cpl_vs_cac(by_period, s.period, ctx.currency)
    return Section(text=text, figure=fig)


def actions(
    ctx, *, hot_share: float = 0.30, warm_share: float = 0.40, cold_share: float = 0.60
) -> Section:
    """One action per campaign (per source when the data have no campaigns), with the
    rule that fired and its evidence; table ``summary_actions``."""
    s = ctx.settings
    thresholds = Thresholds(
        min_leads=s.min_leads,
        min_sales=s.min_sales,
        hot_share=hot_share,
        warm_share=warm_share,
        cold_share=cold_share,
    )
    by = ["source", "campaign"] if ctx.can["campaigns"] else ["source"]
    table = recommend(ctx.leads, ctx.spend, by=by, thresholds=thresholds, engine=ctx.engine)
    view = table[[*by, "action", "rule", "leads", "sales"]].copy()
    view["conversion (95% CI)"] = [
        fmt_rate(r.conversion, r.conversion_low, r.conversion_high) for r in table.itertuples()
    ]
    view["classified"] = [
        f"{100 * x:.0f}%" if pd.notna(x) else "n/a" for x in table["classified_share"]
    ]
    view["spend"] = [_money(v, ctx.currency) if v > 0 else "n/a" for v in table["spend"].fillna(0)]
    view["cost per sale"] = [fmt_range(r.cac, r.cac_low, r.cac_high) for r in table.itertuples()]
    view["ROMI (95% CI)"] = [
        fmt_rate(r.romi, r.romi_low, r.romi_high, digits=0) for r in table.itertuples()
    ]
    view["money at stake"] = [_at_stake(r, ctx.currency) for r in table.itertuples()]
    what = "campaign" if ctx.can["campaigns"] else "source"
    counts = table.groupby("action", sort=False).agg(
        n=("action", "size"), leads=("leads", "sum"), spend=("at_stake", "sum")
    )
    listed = ", ".join(
        f"{name} {int(r.n)} ({fmt_money(r.leads)} leads"
        + (f", spend {_money(r.spend, ctx.currency)}" if r.spend > 0 else "")
        + ")"
        for name, r in counts.iterrows()
    )
    text = (
        f"What to do with each of the {len(table)} {what}s: {listed}."
        if len(table) != 1
        else f"What to do with the one {what}: {listed}."
    )
    if table["classified"].sum() > 0:
        text += (
            " Hot, warm and cold shares are of the classified leads (the 'classified' "
            "column says how many that is)."
        )
    else:
        text += " No lead is classified hot, warm or cold, so no rule on the lead mix fires."
    if not ctx.can["spend"]:
        text += " Without spend data no payback is known, so nothing is marked to scale or cut."
    return Section(text=text, tables={"summary_actions": table}, views=[show(view)])


def _at_stake(r, currency: str) -> str:
    """The money an action is about: the spend a cut stops, what each unit of spend
    brings back where a campaign is scaled, the spend that is kept otherwise."""
    if not r.at_stake > 0:
        return "n/a (no spend)"
    spend = _money(r.at_stake, currency)
    if r.action == "cut":
        return f"stops {spend} of spend, which brought back {_money(r.revenue, currency)}"
    if r.action == "scale" and pd.notna(r.revenue_per_spend):
        return f"each 1 spent brought back {r.revenue_per_spend:.2f} (spend {spend})"
    return f"{spend} of spend"


def routing(ctx) -> Section:
    """Which managers should get each class of lead, weighing their workload; table
    ``summary_routing`` (`analysis.stats.managers.routing_table`, its rule in the
    text)."""
    table = managers.routing_table(ctx.leads, engine=ctx.engine)
    if table.empty:
        return Section(
            text="The data do not say which manager handled each lead: no routing.",
            tables={"summary_routing": table},
            empty=True,
        )
    lines = []
    for cls, g in table[table["send"] == "yes"].groupby("qualification", sort=False):
        who = ", ".join(f"{m} ({o:,} open)" for m, o in zip(g["manager"], g["open"], strict=True))
        lines.append(f"- **{cls} leads** → {who} ({g['basis'].iloc[0]})")
    text = "\n".join(lines) or "No manager stands out yet."
    return Section(
        text=f"{text}\n\nRule: {managers.ROUTING_RULE}", tables={"summary_routing": table}
    )


def caveats(ctx) -> Section:
    """What these numbers rest on: the profile's notes, the loader's warnings, the age
    of the leads (`period.lead_age`) and fields known only for converted leads."""
    ds = ctx.dataset
    items = []
    n, k = ctx.facts["leads"], ctx.facts["sales"]
    if k == 0:
        items.append(
            f"Not one of the {n:,} lead{'s' if n != 1 else ''} is a sale yet: conversion, "
            "cost per sale and ROMI "
            "cannot be estimated, nothing is compared on sales, and each campaign's action "
            "rests on its lead classes and spend alone."
        )
    elif k < ctx.settings.min_sales:
        items.append(
            f"Only {k:,} of the {n:,} leads are sales (fewer than {ctx.settings.min_sales}): "
            "no conversion can be told apart from chance yet."
        )
    items += list(ds.profile.notes)
    items += list(ds.notes.loc[ds.notes["severity"] == "warning", "message"])
    age = period.lead_age(ctx)
    if not age.empty:
        items.append(age.text)
    for name in ctx.facts["outcome_dependent"]:
        items.append(f"{name} is known only for converted leads: not used to compare conversion.")
    return Section(text="\n".join(f"- {x}" for x in items) or "No caveats.")
