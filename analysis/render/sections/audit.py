"""The data-audit page: what was loaded, how leads join to spend and to their sources,
and where the gaps are.

Each function takes the report context and returns a `Section`. Counts over leads are
the engine's (``ctx.leads``); spend, cost per lead, the data's end and the young leads
are the context's facts, the numbers every other page shows.
"""

from __future__ import annotations

import math

from analysis.insight import audit
from analysis.insight.numbers import fmt_money, fmt_share
from analysis.render import figures, time_figures
from analysis.render.sections import Section, no_sale_dates
from analysis.render.tables import notes_view, show

__all__ = [
    "headline",
    "counts_text",
    "inputs",
    "notes",
    "field_coverage",
    "attribution",
    "spend_match",
    "qualification_mix",
    "weekly",
    "lead_age",
    "outliers",
]


def _cur(ctx) -> str:
    return f"\u00a0{ctx.currency}" if ctx.currency else ""


def headline(ctx) -> Section:
    """Whose data, how many leads and sales over which dates, the spend (of which on
    campaigns with no leads) and the cost per lead, the profile's caveats."""
    return Section(text=audit.headline(ctx.dataset, ctx.facts, _outliers(ctx)))


def _outliers(ctx):
    return ctx.outliers()


def outliers(ctx) -> Section:
    """Revenue (per sale) and spend (per campaign day) values far out of their
    distribution (table ``audit_outliers``): which leads or campaign days, the value and
    the share of the total it holds; the rule is `analysis.insight.audit.OUTLIER_K`."""
    table = _outliers(ctx)
    rule = (
        f"A value is flagged when its logarithm lies more than {audit.OUTLIER_K} scaled "
        "median absolute deviations above the median of the logarithms of the positive "
        f"values and it is at least {audit.OUTLIER_MIN_RATIO:.0f} times the median "
        f"(fewer than {audit.OUTLIER_MIN_VALUES} positive values: no flag)."
    )
    if not len(table):
        rev, sp = table.attrs["revenue"], table.attrs["spend"]
        checked = [
            f"{fmt_money(info['n'])} positive {what} values"
            for what, info in (("revenue", rev), ("spend", sp))
            if info["n"]
        ]
        what = " and ".join(checked) if checked else "no positive revenue or spend values"
        return Section(
            text=f"No money value is far out of its distribution ({what} checked). {rule}",
            tables={"audit_outliers": table},
        )
    view = table.assign(
        value=table["value"].map(fmt_money),
        share_of_total=table["share_of_total"].map(fmt_share),
        median=table["median"].map(fmt_money),
        cut=table["cut"].map(fmt_money),
    )
    text = audit.outliers_sentence(table, ctx.currency) + " " + rule
    text += (
        " They are kept in every figure; the period-change page's revenue split says "
        "whether they move its reading."
    )
    return Section(text=text, tables={"audit_outliers": table}, views=[show(view)])


def counts_text(ctx) -> str:
    """The key counts as plain text (the page's reproducible check output)."""
    return audit.counts_text(ctx.dataset, ctx.leads, ctx.engine)


def inputs(ctx) -> Section:
    """The files read (table ``audit_inputs``)."""
    table = audit.inputs_table(ctx.dataset)
    rows = int(table["rows"].sum()) if "rows" in table and len(table) else 0
    text = (
        f"{len(table)} input file{'s' if len(table) != 1 else ''}, "
        f"{fmt_money(rows)} rows in all, gave {fmt_money(ctx.facts['leads'])} leads."
    )
    return Section(text=text, tables={"audit_inputs": table}, views=[show(table)])


def notes(ctx) -> Section:
    """What the loader noticed, warnings first (table ``audit_notes``)."""
    table = notes_view(ctx.dataset.notes)
    if not len(table):
        return Section(text="Nothing to report.", tables={"audit_notes": table})
    warnings = int((table["severity"] == "warning").sum()) if "severity" in table else 0
    text = f"{len(table)} note{'s' if len(table) != 1 else ''}, {warnings} of them warnings."
    return Section(text=text, tables={"audit_notes": table}, views=[show(table)])


def field_coverage(ctx) -> Section:
    """How filled each canonical field is (table ``audit_field_coverage``)."""
    table = audit.field_coverage(ctx.leads, ctx.engine)
    # a share over no sales is no share: said so, not "nan%"
    view = table.assign(
        filled_share=table["filled_share"].map(
            lambda x: "n/a: no sales" if math.isnan(x) else f"{x:.1%}"
        )
    )
    text = (
        f"Each field's filled share over the {fmt_money(ctx.facts['leads'])} leads "
        f"(sale date and revenue over the {fmt_money(ctx.facts['sales'])} sales)."
    )
    return Section(text=text, tables={"audit_field_coverage": table}, views=[show(view)])


def attribution(ctx) -> Section:
    """Where each lead's source came from (table ``audit_attribution``, a bar figure)."""
    table = audit.attribution_coverage(ctx.leads, ctx.settings.level, engine=ctx.engine)
    n = int(table["leads"].sum())
    none = table.loc[table["attributed_by"] == "none", "leads"]
    unknown = int(none.iloc[0]) if len(none) else 0
    text = (
        f"{fmt_money(n - unknown)} of {fmt_money(n)} leads ({fmt_share((n - unknown) / n)}) "
        "have a source; "
        + (f"{fmt_money(unknown)} have none." if unknown else "every lead has one.")
        if n
        else "No leads."
    )
    return Section(
        text=text, tables={"audit_attribution": table}, figure=figures.plot_attribution(table)
    )


def spend_match(ctx) -> Section:
    """How leads and spend join on source + campaign (table ``audit_spend_match``), with
    the total spend, the spend on campaigns with no leads and the cost per lead."""
    table = audit.spend_match_table(ctx.dataset, ctx.facts)
    if not len(table):
        return Section(
            text="No spend data in these inputs: costs cannot be joined to leads.",
            tables={"audit_spend_match": table},
            empty=True,
        )
    spend, totals, cur = ctx.facts["spend"], ctx.facts["totals"], _cur(ctx)
    text = f"Spend in all: {fmt_money(spend['total'])}{cur}"
    without = spend.get("on_campaigns_without_leads") or 0.0
    if without > 0:
        names = ", ".join(spend.get("campaigns_without_leads", [])[:8])
        text += f", of which {fmt_money(without)}{cur} on campaigns with no leads ({names})"
    text += "."
    if totals.get("cpl") is not None:
        text += (
            f" Cost per lead: {fmt_money(totals['cpl'])}{cur}, all spend over "
            f"{fmt_money(totals['paid_leads'])} paid leads (of {fmt_money(ctx.facts['leads'])} "
            "leads; the others came through campaigns without spend rows or no campaign)."
        )
    return Section(text=text, tables={"audit_spend_match": table}, views=[show(table)])


def qualification_mix(ctx) -> Section:
    """Leads and conversion per qualification class, with intervals (table
    ``audit_qualification_mix``)."""
    table = audit.qualification_mix(ctx.leads, ctx.settings.level, engine=ctx.engine)
    if not ctx.can["qualification"]:
        return Section(
            text=(
                f"The data have no lead qualification (hot / warm / cold): all "
                f"{fmt_money(ctx.facts['leads'])} leads are unqualified. Map it in the "
                "profile's `leads.qualification` to see the mix."
            ),
            tables={"audit_qualification_mix": table},
            empty=True,
        )
    known = table[table["qualification"] != "unknown"]
    text = (
        f"{fmt_money(int(known['leads'].sum()))} of {fmt_money(ctx.facts['leads'])} leads "
        "are qualified hot, warm or cold."
    )
    return Section(text=text, tables={"audit_qualification_mix": table}, views=[show(table)])


def weekly(ctx) -> Section:
    """Leads, sales and spend per week, with the weeks that have a gap (table
    ``audit_weekly``, a figure)."""
    if not ctx.can["dates"]:
        return Section(
            text="The data have no creation dates: leads cannot be counted by week.", empty=True
        )
    table = audit.weekly_activity(
        ctx.leads,
        ctx.spend if ctx.can["spend"] else None,
        first=ctx.facts["first_lead"],
        last=ctx.facts["last_lead"],
        engine=ctx.engine,
    )
    if not len(table):
        return Section(text="No leads with a date.", tables={"audit_weekly": table}, empty=True)
    gaps = table[table["gap"] != ""]
    text = (
        f"{len(table)} weeks, {fmt_money(int(table['leads'].sum()))} leads and "
        f"{fmt_money(int(table['sales'].sum()))} sales; "
        + (
            f"{len(gaps)} of the weeks have a gap or are cut by the data's start or end "
            "(listed below)."
            if len(gaps)
            else "no week has a gap."
        )
    )
    views = [show(gaps, caption="Weeks with a gap")] if len(gaps) else []
    return Section(
        text=text,
        tables={"audit_weekly": table},
        views=views,
        figure=time_figures.plot_weekly(table, ctx.currency),
    )


def lead_age(ctx) -> Section:
    """How mature the leads are (table ``audit_lead_age``): the data's end, the median
    and 90th percentile of days to sale, the young leads and the leads left out, all the
    report context's one definition."""
    table = audit.lead_age(ctx.facts)
    m = ctx.facts.get("maturity")
    if not m:
        return Section(
            text=f"{no_sale_dates(ctx)}: how long sales take cannot be told.",
            tables={"audit_lead_age": table},
            views=[show(table)],
            empty=True,
        )
    text = f"As of {ctx.facts['data_end']}, over {fmt_money(m['leads_measured'])} leads: " + (
        f"{m['caveat']}."
        if m.get("caveat")
        else "no lead is younger than the time within which 90% of sales close."
    )
    left_out = audit.excluded_text(m.get("excluded"))
    if left_out != "none":
        text += f" Left out of the time to sale: {left_out}."
    return Section(text=text, tables={"audit_lead_age": table}, views=[show(table)])
