"""The executive summary: the headline numbers, whose part the change in sales is,
whether cheaper leads made sales dearer, what to do with each campaign, who should get
the cold leads, and what these numbers rest on.
"""

from __future__ import annotations

import pandas as pd
from babel.lists import format_list

from analysis.base.i18n import N_, _, fmt_int, locale_name, n_
from analysis.engine.periods import NO_DATE
from analysis.insight import findings
from analysis.insight.findings import window_words
from analysis.insight.numbers import (
    currency_sign,
    day_words,
    fmt_measure,
    fmt_money,
    fmt_range,
    fmt_rate,
    money,
    signed_money,
    signed_percent,
)
from analysis.insight.recommend import Thresholds, recommend
from analysis.render import figures
from analysis.render.sections import Section, period
from analysis.render.tables import header_label, show, value_label
from analysis.stats import managers
from analysis.stats.economics import unit_economics
from analysis.stats.period_change import period_name

__all__ = [
    "conclusion",
    "glossary",
    "headline",
    "whose_part",
    "cheap_leads",
    "actions",
    "routing",
    "caveats",
]


#: Campaigns named per action in the conclusion (the largest sums first).
NAMED_PER_ACTION = 2

#: A class of lead as the routing list names it (translated where it is shown).
CLASS_LEADS = {"hot": N_("hot leads"), "warm": N_("warm leads"), "cold": N_("cold leads")}


def conclusion(
    ctx, *, hot_share: float = 0.30, warm_share: float = 0.40, cold_share: float = 0.60
) -> Section:
    """At most three sentences with money, for the top of the page: what happened (cost
    per lead against cost per sale, first period against last), whose part the change
    in sales mostly is (marketing's or the sales team's, with its interval, or that the
    data cannot tell), and what to do this week (the campaigns to scale and to cut, and
    the sums involved). The same numbers as the sections below: the periods of
    `cheap_leads`, the split of `whose_part`, the actions of `actions`."""
    sentences = [_what_happened(ctx), _whose_part_sentence(ctx)]
    table = _actions_table(ctx, hot_share, warm_share, cold_share)
    sentences.append(_this_week(ctx, table))
    text = " ".join(x for x in sentences if x)
    head = _("In short")
    return Section(text=f"> **{head}:** {text}")


def _by_period(ctx) -> pd.DataFrame:
    """Unit economics per period of the periods with enough leads (`cheap_leads`),
    computed once per context."""
    return ctx.remember(("by_period",), lambda: _unit_economics_by_period(ctx))


def _unit_economics_by_period(ctx) -> pd.DataFrame:
    s = ctx.settings
    by_period = unit_economics(
        ctx.leads,
        ctx.spend,
        by=[s.period],
        min_leads=s.min_leads,
        min_sales=s.min_sales,
        engine=ctx.engine,
    )
    return by_period[
        (by_period["leads"] >= s.min_leads) & (by_period[s.period].astype(str) != NO_DATE)
    ].reset_index(drop=True)


def _what_happened(ctx) -> str:
    f, cur = ctx.facts, ctx.currency
    if not ctx.can["spend"]:
        return _(
            "There are no spend data, so cost per lead and cost per sale are unknown "
            "(leads: {leads}, sales: {sales}).",
            leads=fmt_int(f["leads"]),
            sales=fmt_int(f["sales"]),
        )
    t = _by_period(ctx).dropna(subset=["cpl"])
    if len(t) < 2:
        totals = f["totals"]
        return n_(
            "Over all {n} paid lead, a lead cost {cpl} and a sale {cac}.",
            "Over all {n} paid leads, a lead cost {cpl} and a sale {cac}.",
            totals["paid_leads"],
            cpl=money(totals["cpl"], cur),
            cac=money(totals["cac"], cur) if totals.get("cac") is not None else _("unknown"),
        )
    a, b = t.iloc[0], t.iloc[-1]
    p = ctx.settings.period
    cpl = b["cpl"] / a["cpl"] - 1
    if a["paid_sales"] == 0 or b["paid_sales"] == 0:
        return _(
            "From {a} to {b} cost per lead went from {cpl_a} to {cpl_b} ({cpl_change}); "
            "cost per sale cannot be compared, a period has no sale from paid leads.",
            a=period_name(a[p]),
            b=period_name(b[p]),
            cpl_a=money(a["cpl"], cur),
            cpl_b=money(b["cpl"], cur),
            cpl_change=signed_percent(cpl),
        )
    cac, lo, hi = findings.cost_per_sale_change(a, b)
    values = dict(
        a=period_name(a[p]),
        b=period_name(b[p]),
        cpl_a=money(a["cpl"], cur),
        cpl_b=money(b["cpl"], cur),
        cpl_change=signed_percent(cpl),
        cac_a=money(a["cac"], cur),
        cac_b=money(b["cac"], cur),
        cac_change=signed_percent(cac),
        low=signed_percent(lo),
        high=signed_percent(hi),
        leads=n_(
            "over {n} paid lead", "over {n} paid leads", int(a["paid_leads"] + b["paid_leads"])
        ),
    )
    if lo <= 0 <= hi:
        return _(
            "From {a} to {b} cost per lead went from {cpl_a} to {cpl_b} ({cpl_change}) and "
            "cost per sale from {cac_a} to {cac_b} ({cac_change}, 95% interval {low} to "
            "{high}: within chance), {leads}.",
            **values,
        )
    if cpl < 0 < lo:
        return _(
            "Leads got cheaper while sales got dearer: from {a} to {b} cost per lead went "
            "from {cpl_a} to {cpl_b} ({cpl_change}), cost per sale from {cac_a} to {cac_b} "
            "({cac_change}, 95% interval {low} to {high}), {leads}.",
            **values,
        )
    return _(
        "From {a} to {b} cost per lead went from {cpl_a} to {cpl_b} ({cpl_change}) and "
        "cost per sale from {cac_a} to {cac_b} ({cac_change}, 95% interval {low} to "
        "{high}), {leads}.",
        **values,
    )


def _whose_part_sentence(ctx) -> str:
    table = period.sales_split(ctx)
    if table is None:
        return ""
    totals = table[table["kind"] == "total"].set_index("part")["value"]
    change = float(totals["change"])
    a, b = (period_name(x) for x in table.attrs["labels"])
    spans = findings.group_spans(table)
    if abs(change) < 0.5:
        return _("Sales did not change from {a} to {b}.", a=a, b=b)
    parts = table[table["kind"] == "part"].groupby("owner", sort=False)["value"].sum()
    owner = (
        "marketing"
        if parts.get("marketing", 0.0) * change >= parts.get("sales", 0.0) * change
        else "sales"
    )
    values = dict(
        a=a,
        b=b,
        change=fmt_measure(change, "sales", sign=True),
        part=fmt_measure(float(parts.get(owner, 0.0)), "sales", sign=True),
    )
    if "change" in spans and spans["change"][0] <= 0 <= spans["change"][1]:
        low, high = spans["change"]
        return _(
            "The change in sales from {a} to {b} ({change}, 95% interval {low} to {high}) "
            "is within chance: whose part it is cannot be told yet.",
            low=fmt_measure(low, "sales", sign=True),
            high=fmt_measure(high, "sales", sign=True),
            **values,
        )
    span = spans.get(owner)
    if span is None:
        text = (
            _("Of the change in sales from {a} to {b} ({change}), {part} is marketing's part "
              "(lead volume and mix).", **values)
            if owner == "marketing"
            else _("Of the change in sales from {a} to {b} ({change}), {part} is the sales "
                   "team's part (conversion).", **values)
        )  # fmt: skip
        return text
    values.update(
        low=fmt_measure(span[0], "sales", sign=True), high=fmt_measure(span[1], "sales", sign=True)
    )
    values["by"] = fmt_measure(abs(change), "sales")
    fell = change < 0
    if span[0] <= 0 <= span[1]:
        if fell:
            return _(
                "Sales fell by {by} from {a} to {b}, and the data cannot yet tell whose part "
                "it is: the larger part, {part}, has a 95% interval from {low} to {high}.",
                **values,
            )
        return _(
            "Sales rose by {by} from {a} to {b}, and the data cannot yet tell whose part "
            "it is: the larger part, {part}, has a 95% interval from {low} to {high}.",
            **values,
        )
    if owner == "marketing" and fell:
        return _(
            "Sales fell by {by} from {a} to {b}, mostly through marketing's lead volume "
            "and mix: {part} (95% interval {low} to {high}).",
            **values,
        )
    if owner == "marketing":
        return _(
            "Sales rose by {by} from {a} to {b}, mostly through marketing's lead volume "
            "and mix: {part} (95% interval {low} to {high}).",
            **values,
        )
    if fell:
        return _(
            "Sales fell by {by} from {a} to {b}, mostly through the sales team's "
            "conversion: {part} (95% interval {low} to {high}).",
            **values,
        )
    return _(
        "Sales rose by {by} from {a} to {b}, mostly through the sales team's "
        "conversion: {part} (95% interval {low} to {high}).",
        **values,
    )


def _named(names: pd.Series) -> str:
    """The first `NAMED_PER_ACTION` campaigns (or sources) as a list in the language,
    and how many more."""
    shown = [str(x) for x in names.head(NAMED_PER_ACTION)]
    more = len(names) - len(shown)
    if more and names.name == "campaign":
        shown.append(n_("{n} other campaign", "{n} other campaigns", more))
    elif more:
        shown.append(n_("{n} other source", "{n} other sources", more))
    return format_list(shown, locale=locale_name())


def _actions_table(ctx, hot_share: float, warm_share: float, cold_share: float) -> pd.DataFrame:
    """The action per campaign (per source without campaigns): the one table the
    conclusion and the actions section read, computed once per context."""
    return ctx.remember(
        ("actions", hot_share, warm_share, cold_share),
        lambda: _recommend(ctx, hot_share, warm_share, cold_share),
    )


def _recommend(ctx, hot_share: float, warm_share: float, cold_share: float) -> pd.DataFrame:
    s = ctx.settings
    thresholds = Thresholds(
        min_leads=s.min_leads,
        min_sales=s.min_sales,
        hot_share=hot_share,
        warm_share=warm_share,
        cold_share=cold_share,
    )
    by = ["source", "campaign"] if ctx.can["campaigns"] else ["source"]
    return recommend(
        ctx.leads,
        ctx.spend,
        by=by,
        thresholds=thresholds,
        engine=ctx.engine,
        currency=ctx.currency,
    )


def _this_week(ctx, table: pd.DataFrame) -> str:
    cur = ctx.currency
    name = "campaign" if "campaign" in table.columns else "source"
    scale = table[table["action"] == "scale"].sort_values("at_stake", ascending=False)
    cut = table[table["action"] == "cut"].sort_values("at_stake", ascending=False)
    if not ctx.can["spend"]:
        return _(
            "Without spend data no campaign can be marked to scale or to cut: add the "
            "advertising spend to see which pay back."
        )
    if scale.empty and cut.empty:
        return _(
            "This week no campaign has the leads and the payback to be scaled or cut with "
            "confidence (rules in the table of actions below)."
        )
    said = []
    if len(scale):
        said.append(
            _(
                "scale {names} ({spend} of spend brought back {revenue})",
                names=_named(scale[name]),
                spend=money(scale["spend"].sum(), cur),
                revenue=money(scale["revenue"].sum(), cur),
            )
        )
    if len(cut):
        said.append(
            _(
                "cut {names} (stops {spend} of spend that brought back {revenue})",
                names=_named(cut[name]),
                spend=money(cut["at_stake"].sum(), cur),
                revenue=money(cut["revenue"].sum(), cur),
            )
        )
    return _("This week: {actions}.", actions="; ".join(said))


def headline(ctx) -> Section:
    """Leads, sales, spend, cost per lead and cost per sale over the whole data, from
    ``ctx.facts`` (the numbers every page, the index and run.json show)."""
    f, t, cur = ctx.facts, ctx.facts["totals"], ctx.currency
    conversion = fmt_rate(t["conversion"], t["conversion_low"], t["conversion_high"])
    said = [
        _(
            "{leads} {window}, {sales} (conversion {conversion}); data as of {end}.",
            leads=n_("**{n} lead**", "**{n} leads**", f["leads"]),
            window=window_words(f),
            sales=n_("**{n} sale**", "**{n} sales**", f["sales"]),
            conversion=conversion,
            end=day_words(f["data_end"]) or _("unknown date"),
        )
    ]
    if ctx.can["spend"] and t.get("spend") is not None:
        paid = n_(
            "over {n} paid lead",
            "over {n} paid leads",
            t["paid_leads"],
        )
        spent = dict(spend=money(t["spend"], cur), cpl=money(t["cpl"], cur), over_paid=paid)
        if t.get("cac") is not None:
            unit = f"\u00a0{currency_sign(cur)}" if cur else ""
            said.append(
                _(
                    "Spend **{spend}**: cost per lead {cpl} {over_paid}, cost per sale {cac} "
                    "{over_sales} (95% interval).",
                    **spent,
                    cac=fmt_range(t["cac"], t["cac_low"], t["cac_high"]) + unit,
                    over_sales=n_(
                        "over {n} sale from paid leads",
                        "over {n} sales from paid leads",
                        t["paid_sales"],
                    ),
                )
            )
        else:
            said.append(_("Spend **{spend}**: cost per lead {cpl} {over_paid}.", **spent))
        without = f["spend"].get("on_campaigns_without_leads") or 0.0
        if without > 0:
            said.append(
                _(
                    "{spend} of it went to campaigns that brought no lead ({campaigns}).",
                    spend=money(without, cur),
                    campaigns=", ".join(f["spend"]["campaigns_without_leads"]),
                )
            )
    else:
        said.append(_("No spend data: cost per lead and cost per sale are unknown."))
    return Section(text=" ".join(said))


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
        if any(at_age.attrs.get("estimated") or ()):
            why = _(
                "The difference from the line above is the leads too young to have bought "
                "yet, and the sales that close later; the period-change page has the detail."
            )
        else:
            why = n_(
                "The difference from the line above is the sales closed more than {n} day "
                "after the lead (every lead of both periods is at least {n} day old); the "
                "period-change page has the detail.",
                "The difference from the line above is the sales closed more than {n} days "
                "after the lead (every lead of both periods is at least {n} days old); the "
                "period-change page has the detail.",
                days,
            )
        text += "\n\n" + n_(
            "*At equal age ({n} day):* {cause} {why}",
            "*At equal age ({n} days):* {cause} {why}",
            days,
            cause=findings.main_cause(at_age),
            why=why,
        )
    text += "\n\n" + _(
        "Each part is its average contribution, in sales (Shapley values), so the "
        "parts add up to the change; the period totals are counts."
    )
    fig = sales.figure
    if fig is None:  # no sale in either period: nothing to draw
        return Section(text=text, tables={"summary_change": table})
    fig.axes[0].set_title(
        _(
            "Sales, {a} to {b}: marketing (blue) and sales (red) parts",
            a=period_name(compared[0]),
            b=period_name(compared[1]),
        )
    )
    return Section(text=text, tables={"summary_change": table}, figure=fig)


def cheap_leads(ctx) -> Section:
    """Cost per lead next to cost per sale, first period against last."""
    if not ctx.can["spend"]:
        return Section(
            text=_("No spend data: cost per lead and cost per sale are unknown."), empty=True
        )
    s = ctx.settings
    # the same periods as the split of the change: those with enough leads to compare
    enough = _by_period(ctx)
    if len(enough.dropna(subset=["cpl"])) < 2:
        return Section(text=_few_periods(s.period, s.min_leads), empty=True)
    by_period = enough
    text = findings.cpl_vs_cac_finding(by_period, s.period, ctx.currency)
    with_spend = by_period.dropna(subset=["cpl"])
    partial = period.incomplete(ctx)
    ends = [str(k) for k in with_spend[s.period].iloc[[0, -1]]] if len(with_spend) >= 2 else []
    cut = [k for k in dict.fromkeys(ends) if k in partial]
    if cut:
        text += " " + _(
            "Not whole periods: {periods}: cost per lead and per sale are rates and "
            "compare; their leads and sales cover only part of the period.",
            periods="; ".join(f"{period_name(k)} ({partial[k]})" for k in cut),
        )
    figures.set_style()
    fig = figures.plot_cpl_vs_cac(by_period, s.period, ctx.currency)
    return Section(text=text, figure=fig)


def _few_periods(unit: str, min_leads: int) -> str:
    """Why cost per lead and per sale are not compared between periods: fewer than two
    periods (of the unit: week, month or quarter) have enough leads and spend."""
    if unit == "week":
        return _(
            "Fewer than two weeks with {min_leads} leads or more and spend: cost per lead "
            "and cost per sale are not compared between periods (the headline gives them "
            "over all leads).",
            min_leads=min_leads,
        )
    if unit == "month":
        return _(
            "Fewer than two months with {min_leads} leads or more and spend: cost per lead "
            "and cost per sale are not compared between periods (the headline gives them "
            "over all leads).",
            min_leads=min_leads,
        )
    return _(
        "Fewer than two quarters with {min_leads} leads or more and spend: cost per lead "
        "and cost per sale are not compared between periods (the headline gives them over "
        "all leads).",
        min_leads=min_leads,
    )


def actions(
    ctx, *, hot_share: float = 0.30, warm_share: float = 0.40, cold_share: float = 0.60
) -> Section:
    """One action per campaign (per source when the data have no campaigns), with the
    rule that fired and its evidence; table ``summary_actions``."""
    by = ["source", "campaign"] if ctx.can["campaigns"] else ["source"]
    table = _actions_table(ctx, hot_share, warm_share, cold_share)
    view = table[[*by, "action", "rule", "leads", "sales"]].copy()
    view["conversion (95% CI)"] = [
        fmt_rate(r.conversion, r.conversion_low, r.conversion_high) for r in table.itertuples()
    ]
    view["classified"] = [fmt_rate(x, digits=0) for x in table["classified_share"]]
    unknown = _("n/a")
    view["spend"] = [money(v, ctx.currency) if v > 0 else unknown for v in table["spend"].fillna(0)]
    view["cost per sale"] = [fmt_range(r.cac, r.cac_low, r.cac_high) for r in table.itertuples()]
    view["ROMI (95% CI)"] = [
        fmt_rate(r.romi, r.romi_low, r.romi_high, digits=0) for r in table.itertuples()
    ]
    view["money at stake"] = [_at_stake(r, ctx.currency) for r in table.itertuples()]
    counts = table.groupby("action", sort=False).agg(
        n=("action", "size"), leads=("leads", "sum"), spend=("at_stake", "sum")
    )
    listed = ", ".join(_action_count(name, r, ctx.currency) for name, r in counts.iterrows())
    text = _what_to_do(ctx.can["campaigns"], len(table), listed)
    if table["classified"].sum() > 0:
        text += " " + _(
            "Hot, warm and cold shares are of the classified leads (the '{column}' "
            "column says how many that is).",
            column=header_label("classified"),
        )
    else:
        text += " " + _(
            "No lead is classified hot, warm or cold, so no rule on the lead mix fires."
        )
    if not ctx.can["spend"]:
        text += " " + _(
            "Without spend data no payback is known, so nothing is marked to scale or cut."
        )
    return Section(text=text, tables={"summary_actions": table}, views=[show(view)])


def _action_count(action: str, r, currency: str) -> str:
    """How many campaigns an action has, their leads and the spend at stake."""
    leads = n_("{n} lead", "{n} leads", int(r.leads))
    if r.spend > 0:
        return _(
            "{action} {count} ({leads}, spend {spend})",
            action=value_label(action),
            count=fmt_int(r.n),
            leads=leads,
            spend=money(r.spend, currency),
        )
    return _(
        "{action} {count} ({leads})", action=value_label(action), count=fmt_int(r.n), leads=leads
    )


def _what_to_do(campaigns: bool, count: int, listed: str) -> str:
    """The actions section's first sentence: what to do with the campaigns (or the
    sources, without campaigns), how many there are of each action."""
    if campaigns and count == 1:
        return _("What to do with the one campaign: {listed}.", listed=listed)
    if campaigns:
        return n_(
            "What to do with each of the {n} campaign: {listed}.",
            "What to do with each of the {n} campaigns: {listed}.",
            count,
            listed=listed,
        )
    if count == 1:
        return _("What to do with the one source: {listed}.", listed=listed)
    return n_(
        "What to do with each of the {n} source: {listed}.",
        "What to do with each of the {n} sources: {listed}.",
        count,
        listed=listed,
    )


def _at_stake(r, currency: str) -> str:
    """The money an action is about: the spend a cut stops, what each unit of spend
    brings back where a campaign is scaled, the spend that is kept otherwise."""
    if not r.at_stake > 0:
        return _("n/a (no spend)")
    spend = money(r.at_stake, currency)
    if r.action == "cut":
        return _(
            "stops {spend} of spend, which brought back {revenue}",
            spend=spend,
            revenue=money(r.revenue, currency),
        )
    if r.action == "scale" and pd.notna(r.revenue_per_spend):
        return _(
            "each 1 spent brought back {ratio} (spend {spend})",
            ratio=fmt_money(r.revenue_per_spend, digits=2),
            spend=spend,
        )
    return _("{spend} of spend", spend=spend)


def routing(ctx) -> Section:
    """Which managers should get each class of lead, weighing their workload; table
    ``summary_routing`` (`analysis.stats.managers.routing_table`, its rule in the
    text)."""
    table = managers.routing_table(ctx.leads, engine=ctx.engine)
    if table.empty:
        return Section(
            text=_("The data do not say which manager handled each lead: no routing."),
            tables={"summary_routing": table},
            empty=True,
        )
    lines = []
    for cls, g in table[table["send"] == "yes"].groupby("qualification", sort=False):
        who = ", ".join(
            _("{manager} ({open} open)", manager=m, open=fmt_int(o))
            for m, o in zip(g["manager"], g["open"], strict=True)
        )
        leads = _(CLASS_LEADS[cls]) if cls in CLASS_LEADS else _("{cls} leads", cls=cls)
        lines.append(f"- **{leads}** → {who} ({g['basis'].iloc[0]})")
    text = "\n".join(lines) or _("No manager stands out yet.")
    rule = _("Rule: {rule}", rule=_(managers.ROUTING_RULE))
    return Section(text=f"{text}\n\n{rule}", tables={"summary_routing": table})


def caveats(ctx) -> Section:
    """What these numbers rest on: the profile's notes, the loader's warnings, the age
    of the leads (`period.lead_age`) and fields known only for converted leads."""
    ds = ctx.dataset
    items = []
    n, k = ctx.facts["leads"], ctx.facts["sales"]
    if k == 0:
        items.append(
            n_(
                "Not one of the {n} lead is a sale yet: conversion, cost per sale and ROMI "
                "cannot be estimated, nothing is compared on sales, and each campaign's "
                "action rests on its lead classes and spend alone.",
                "Not one of the {n} leads is a sale yet: conversion, cost per sale and ROMI "
                "cannot be estimated, nothing is compared on sales, and each campaign's "
                "action rests on its lead classes and spend alone.",
                n,
            )
        )
    elif k < ctx.settings.min_sales:
        items.append(
            n_(
                "Only {sales} of the {n} lead is a sale (fewer than {min_sales}): no "
                "conversion can be told apart from chance yet.",
                "Only {sales} of the {n} leads are sales (fewer than {min_sales}): no "
                "conversion can be told apart from chance yet.",
                n,
                sales=fmt_int(k),
                min_sales=ctx.settings.min_sales,
            )
        )
    items += list(ds.profile.notes)
    items += list(ds.notes.loc[ds.notes["severity"] == "warning", "message"])
    age = period.lead_age(ctx)
    if not age.empty:
        items.append(age.text)
    for name in ctx.facts["outcome_dependent"]:
        items.append(
            _(
                "{field} is known only for converted leads: not used to compare conversion.",
                field=header_label(name),
            )
        )
    return Section(text="\n".join(f"- {x}" for x in items) or _("No caveats."))


def glossary(ctx) -> Section:
    """The terms the pages use, as a director would ask for them, in the report's
    language."""
    cur = currency_sign(ctx.currency) or _("money")
    terms = [
        (_("Lead"), _("A request from a possible customer: a form, a call, a chat.")),
        (
            _("Qualification"),
            _(
                "The class a manager gives a lead: hot (need, money and intent), warm (need "
                'but not now), cold (no need, not answering, "call later").'
            ),
        ),
        (_("Conversion"), _("The share of leads that became a sale.")),
        (
            _("CPL, cost per lead"),
            _("Spend divided by the leads of campaigns with spend ({currency}).", currency=cur),
        ),
        (
            _("Cost per sale"),
            _("Spend divided by the sales from those leads ({currency}).", currency=cur),
        ),
        (
            _("ROMI"),
            _(
                "Return on marketing investment: (revenue − spend) / spend; 100% means the "
                "spend came back twice, below 0% it did not come back."
            ),
        ),
        (
            _("95% interval"),
            _(
                "The range the true value lies in with 95% confidence, given how many leads "
                "and sales stand behind a number; where it includes no change, the data "
                "cannot tell yet."
            ),
        ),
        (
            _("Marketing's part, the sales team's part"),
            _(
                "A change in sales split into what marketing controls (how many leads, of "
                "which sources and classes) and what the sales team controls (how many of "
                "them buy, and for how much)."
            ),
        ),
    ]
    return Section(text="\n".join(f"- **{t}**: {m}" for t, m in terms))


def what_if(
    ctx,
    amount: float | None = None,
    *,
    hot_share: float = 0.30,
    warm_share: float = 0.40,
    cold_share: float = 0.60,
) -> Section:
    """The budget what-if: the sales and revenue that moving ``amount`` (default: all
    the spend of the campaigns to cut) to the campaigns to scale should bring
    (`analysis.stats.whatif.budget_what_if`). Table ``summary_what_if``."""
    from analysis.render.sections import economics
    from analysis.stats.whatif import budget_what_if

    by = ["source", "campaign"] if ctx.can["campaigns"] else ["source"]
    table = _actions_table(ctx, hot_share, warm_share, cold_share)
    cut = table[table["action"] == "cut"]
    scale = table[table["action"] == "scale"]
    s = ctx.settings
    # the funnel page's unit economics by campaign, the one place its numbers come from
    econ = ctx.remember(("economics", tuple(by)), lambda: economics(ctx, by))
    w = budget_what_if(
        econ, ctx.spend if ctx.can["spend"] else None, cut, scale, amount, keys=by, level=s.level
    )
    reasons = {
        "no spend": _("No budget what-if: the data have no spend, so no campaign's cost is known."),
        "no cut": _(
            "No budget what-if: no campaign is marked to cut, so there is no money to move."
        ),
        "no scale": _(
            "No budget what-if: no campaign is marked to scale, so there is nowhere to move "
            "the money to."
        ),
        "no headroom": _(
            "No budget what-if: every campaign to scale already ran at its busiest week's "
            "spend all the time, and the kit does not extrapolate beyond the spend a "
            "campaign has run at."
        ),
    }
    if w.reason:
        return Section(text=reasons[w.reason], tables={"summary_what_if": w.table}, empty=True)
    cur = ctx.currency
    key = by[-1]
    sales = _(
        "{change} sales (95% CI {low} to {high})",
        change=fmt_measure(w.sales_change, "sales", sign=True),
        low=fmt_measure(w.sales_low, "sales", sign=True),
        high=fmt_measure(w.sales_high, "sales", sign=True),
    )
    if w.revenue_change is not None and w.revenue_low is not None and w.revenue_high is not None:
        text = _(
            "Moving {moved} from {cut} to {scale} over the data's {weeks} weeks should "
            "bring {sales} and {revenue} of revenue (95% CI {rlow} to {rhigh}).",
            moved=money(w.moved, cur),
            cut=_named(cut[key]),
            scale=_named(scale[key]),
            weeks=fmt_int(w.weeks),
            sales=sales,
            revenue=money(w.revenue_change, cur),
            rlow=money(w.revenue_low, cur),
            rhigh=money(w.revenue_high, cur),
        )
    else:
        text = _(
            "Moving {moved} from {cut} to {scale} over the data's {weeks} weeks should "
            "bring {sales}.",
            moved=money(w.moved, cur),
            cut=_named(cut[key]),
            scale=_named(scale[key]),
            weeks=fmt_int(w.weeks),
            sales=sales,
        )
    text += " " + _(
        "The assumption: within the spend a campaign has run at, a rouble buys what it "
        "bought (its sales per rouble, with the interval of its conversion); a campaign "
        "to scale takes at most its headroom, what it would have spent had every week "
        "been its busiest, because beyond that returns diminish and the data cannot say "
        "by how much."
    )
    if w.unplaced > 0:
        text += " " + _(
            "{unplaced} of the {amount} asked is left unplaced: the campaigns to scale "
            "have no more headroom.",
            unplaced=money(w.unplaced, cur),
            amount=money(w.amount, cur),
        )
    t = w.table
    view = t[[*by, "role"]].copy()
    view["role"] = t["role"].map(value_label)
    view["spend"] = [money(v, cur) for v in t["spend"]]
    view["headroom"] = [
        money(v, cur) if r == "scale" else "" for v, r in zip(t["headroom"], t["role"], strict=True)
    ]
    view["moved"] = [signed_money(v, cur) for v in t["moved"]]
    view["paid_sales"] = t["paid_sales"].astype("int64")
    view["sales_change"] = [
        f"{fmt_measure(r.sales_change, 'sales', sign=True)} "
        f"({fmt_measure(r.sales_change_low, 'sales', sign=True)}…"
        f"{fmt_measure(r.sales_change_high, 'sales', sign=True)})"
        for r in t.itertuples()
    ]
    view["revenue_change"] = [signed_money(v, cur) for v in t["revenue_change"]]
    return Section(text=text, tables={"summary_what_if": t}, views=[show(view)])
