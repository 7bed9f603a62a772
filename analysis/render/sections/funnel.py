"""The funnel-economics page: cost per lead against cost per sale, by period, source and
campaign; what each campaign brings (qualification mix, conversion to sale).

Each function takes the report context and returns a `Section`. The tables are
`analysis.stats.economics.unit_economics` on the engine's grouped counts
(``ctx.leads``); which periods the leads cover whole, the young leads and the totals are
the context's facts.
"""

from __future__ import annotations

import pandas as pd

from analysis.base.i18n import N_, _, fmt_date, language, n_
from analysis.engine.periods import NO_DATE
from analysis.insight.numbers import fmt_money
from analysis.render import figures
from analysis.render.sections import Section, economics, period, summary
from analysis.render.tables import economics_view, label_rows, most_leads, show

__all__ = [
    "economics",
    "dated",
    "undated_sentence",
    "incomplete_periods",
    "maturity",
    "headline",
    "by_period",
    "by_source",
    "by_campaign",
    "qualification_mix",
    "conversion",
    "by_campaign_period",
]

_NO_SPEND = N_("No spend data: cost per lead and cost per sale cannot be compared.")

#: The periods' names in a sentence ("2 periods (quarter)").
_PERIOD_NAMES = {"week": N_("week"), "month": N_("month"), "quarter": N_("quarter")}


def dated(table: pd.DataFrame, period: str) -> pd.DataFrame:
    """The rows of a table by period that are periods (not `NO_DATE`)."""
    return table[table[period].astype(str) != NO_DATE].reset_index(drop=True)


def undated_sentence(ctx) -> str:
    """What the tables by period do with leads without a creation date ("" if none)."""
    n = ctx.facts["leads"] - ctx.facts.get("dated_leads", ctx.facts["leads"])
    if n <= 0:
        return ""
    return n_(
        "{n} lead without a creation date is counted in the row {row} and in no period; "
        "a period's costs are its spend over its dated leads only.",
        "{n} leads without a creation date are counted in the row {row} and in no period; "
        "a period's costs are its spend over its dated leads only.",
        n,
        row=repr(NO_DATE),
    )


def _day(text: str) -> str:
    """A day and its month: "31 May" (in Russian the month in full: "31 мая")."""
    return fmt_date(pd.Timestamp(text).date(), "d MMM" if language() == "en" else "d MMMM")


def incomplete_periods(ctx) -> dict[str, str]:
    """The periods the leads do not cover whole (the context's ``periods``, ``complete``
    False), each with what they cover: ``{"2018Q2": "leads only until 31 May"}``."""
    first, last = ctx.facts["first_lead"], ctx.facts["last_lead"]
    out = {}
    for p in ctx.facts["periods"]:
        if p["complete"]:
            continue
        late = first is not None and first > p["start"]
        early = last is not None and last < p["stop"]
        if late and early:
            what = _("leads only from {first} until {last}", first=_day(first), last=_day(last))
        elif early:
            what = _("leads only until {last}", last=_day(last))
        elif late:
            what = _("leads only from {first}", first=_day(first))
        else:
            what = _("leads on {days} of its days", days=p["days_covered"])
        out[p["period"]] = what
    return out


def _incomplete_sentence(ctx) -> str:
    partial = incomplete_periods(ctx)
    if not partial:
        return ""
    leads = {p["period"]: p["leads"] for p in ctx.facts["periods"]}
    parts = [
        _("{period}: {what} ({leads} leads)", period=k, what=v, leads=fmt_money(leads.get(k, 0)))
        for k, v in partial.items()
    ]
    return _(
        "Not whole periods: {periods}. Their leads, sales and spend cover only part of the "
        "period: compare their rates, not their counts.",
        periods="; ".join(parts),
    )


def maturity(ctx) -> Section:
    """The report's one "mind the age of the leads" caveat (`period.lead_age`)."""
    return period.lead_age(ctx)


def headline(ctx) -> Section:
    """The first and last period's cost per lead and cost per sale, with the change's
    interval, and the picture of both by period."""
    if not ctx.can["spend"]:
        return Section(text=_(_NO_SPEND), empty=True)
    if not ctx.can["dates"]:
        no_dates = _(
            "The data have no creation dates: cost per lead and cost per sale cannot be "
            "followed over time."
        )
        return Section(
            text=summary.headline(ctx).text + "\n\n" + no_dates,
            empty=True,
        )
    # the totals and the change between periods as the executive summary states them
    # (one sentence, one set of facts and the same periods)
    cheap = summary.cheap_leads(ctx)
    text = summary.headline(ctx).text + "\n\n" + cheap.text
    return Section(text=text, figure=cheap.figure)


def by_period(ctx) -> Section:
    """Unit economics per period (table ``economics_by_period``; its ``complete`` column
    says whether the leads cover the period whole)."""
    period = ctx.settings.period
    table = economics(ctx, [period])
    whole = {p["period"]: bool(p["complete"]) for p in ctx.facts["periods"]}
    # a period with spend and no lead is not covered by the leads either
    table["complete"] = table[period].map(lambda k: whole.get(k, False)).astype(bool)
    partial = incomplete_periods(ctx)
    view = economics_view(table, [period])
    view[period] = [f"{k} ({partial[k]})" if k in partial else k for k in table[period]]
    n = int(table["leads"].sum())
    text = _(
        "{periods} periods ({period}), {leads} leads.",
        periods=len(table),
        period=_(_PERIOD_NAMES.get(period, period)),
        leads=fmt_money(n),
    )
    sentence = _incomplete_sentence(ctx)
    text += " " + (sentence if sentence else _("The leads cover every period whole."))
    if undated_sentence(ctx):
        text += " " + undated_sentence(ctx)
    return Section(text=text, tables={"economics_by_period": table}, views=[show(view)])


def _counted(table: pd.DataFrame) -> dict[str, str]:
    """The leads and paid leads of a table, as its sentence writes them."""
    return {
        "leads": fmt_money(int(table["leads"].sum())),
        "paid": fmt_money(int(table["paid_leads"].sum())),
    }


def by_source(ctx) -> Section:
    """Unit economics per source (table ``economics_by_source``)."""
    table = economics(ctx, ["source"])
    counted = _counted(table)
    if ctx.can["spend"]:
        text = n_(
            "{n} source, {leads} leads; costs over the {paid} paid leads.",
            "{n} sources, {leads} leads; costs over the {paid} paid leads.",
            len(table),
            **counted,
        )
    else:
        text = n_(
            "{n} source, {leads} leads; no spend data, so no costs.",
            "{n} sources, {leads} leads; no spend data, so no costs.",
            len(table),
            **counted,
        )
    return Section(
        text=text,
        tables={"economics_by_source": table},
        views=[show(economics_view(table, ["source"]))],
    )


#: Rows a figure of campaigns draws at most: those with the most leads (a figure of
#: 5,000 campaigns was 2,000 inches tall and took 8 minutes to draw); the campaigns
#: table has every one.
FIGURE_ROWS = 30


def _figure_rows(ctx) -> pd.DataFrame:
    """The rows the campaign figures draw: campaigns (labelled source / campaign) where
    the data have any, else sources (a figure draws `_figure_part` of them)."""
    if ctx.can["campaigns"]:
        return label_rows(economics(ctx, ["source", "campaign"]), ["source", "campaign"])
    return label_rows(economics(ctx, ["source"]), ["source"])


def _figure_part(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows a figure draws: `FIGURE_ROWS` of ``rows``, those with the most leads."""
    return most_leads(rows, FIGURE_ROWS).reset_index(drop=True)


def _shown_note(rows: pd.DataFrame, shown: pd.DataFrame, what: str) -> str:
    """The sentence saying a figure draws only ``shown`` of ``rows``, or ""."""
    if len(shown) == len(rows):
        return ""
    values = {
        "shown": len(shown),
        "leads": fmt_money(int(shown["leads"].sum())),
        "all": fmt_money(int(rows["leads"].sum())),
        "total": fmt_money(len(rows)),
    }
    if what == "campaigns":
        return " " + n_(
            "The figure shows the {shown} campaign with the most leads ({leads} of "
            "{all} leads); the campaigns table above has all {total}.",
            "The figure shows the {shown} campaigns with the most leads ({leads} of "
            "{all} leads); the campaigns table above has all {total}.",
            len(shown),
            **values,
        )
    return " " + n_(
        "The figure shows the {shown} source with the most leads ({leads} of {all} "
        "leads); the sources table above has all {total}.",
        "The figure shows the {shown} sources with the most leads ({leads} of {all} "
        "leads); the sources table above has all {total}.",
        len(shown),
        **values,
    )


def by_campaign(ctx) -> Section:
    """Unit economics per campaign (table ``economics_by_campaign``) and each campaign's
    cost per lead against its cost per sale."""
    keys = ["source", "campaign"]
    table = economics(ctx, keys)
    counted = _counted(table)
    if ctx.can["campaigns"] and ctx.can["spend"]:
        text = _(
            "{campaigns} campaigns, {leads} leads; costs over the {paid} paid leads.",
            campaigns=len(table),
            **counted,
        )
    elif ctx.can["campaigns"]:
        text = _(
            "{campaigns} campaigns, {leads} leads; no spend data, so no costs.",
            campaigns=len(table),
            **counted,
        )
    elif ctx.can["spend"]:
        text = _(
            "The data have no campaigns: each row is a source (campaign '(none)'), "
            "{leads} leads; costs over the {paid} paid leads.",
            **counted,
        )
    else:
        text = _(
            "The data have no campaigns: each row is a source (campaign '(none)'), "
            "{leads} leads; no spend data, so no costs.",
            **counted,
        )
    figure = None
    if ctx.can["spend"]:
        rows = (
            label_rows(table, keys)
            if ctx.can["campaigns"]
            else label_rows(economics(ctx, ["source"]), ["source"])
        )
        shown = _figure_part(rows)
        text += _shown_note(rows, shown, "campaigns" if ctx.can["campaigns"] else "sources")
        figure = figures.plot_cost_ranks(shown, "label", ctx.currency)
    return Section(
        text=text,
        tables={"economics_by_campaign": table},
        views=[show(economics_view(table, keys))],
        figure=figure,
    )


def qualification_mix(ctx) -> Section:
    """What each campaign (or source) brings: hot, warm, cold or unqualified leads."""
    if not ctx.can["qualification"]:
        return Section(
            text=_(
                "The data have no lead qualification (hot / warm / cold): map it in the "
                "profile's `leads.qualification` to see what each channel brings."
            ),
            empty=True,
        )
    rows = _figure_rows(ctx)
    values = {
        "leads": fmt_money(int(rows["leads"].sum())),
        "qualified": fmt_money(int(rows["qualified"].sum())),
    }
    if ctx.can["campaigns"]:
        text = _("Shares of {leads} leads ({qualified} hot or warm) by campaign.", **values)
    else:
        text = _("Shares of {leads} leads ({qualified} hot or warm) by source.", **values)
    shown = _figure_part(rows)
    text += _shown_note(rows, shown, "campaigns" if ctx.can["campaigns"] else "sources")
    return Section(text=text, figure=figures.plot_qualification_mix(shown, "label"))


def conversion(ctx) -> Section:
    """Conversion to sale per campaign (or source), with its interval."""
    rows = _figure_rows(ctx)
    values = {
        "sales": fmt_money(int(rows["sales"].sum())),
        "leads": fmt_money(int(rows["leads"].sum())),
    }
    if ctx.can["campaigns"]:
        text = _("{sales} sales of {leads} leads, by campaign.", **values)
    else:
        text = _("{sales} sales of {leads} leads, by source.", **values)
    shown = _figure_part(rows)
    text += _shown_note(rows, shown, "campaigns" if ctx.can["campaigns"] else "sources")
    return Section(text=text, figure=figures.plot_conversion(shown, "label"))


def by_campaign_period(ctx) -> Section:
    """Unit economics per campaign and period (table ``economics_by_campaign_period``)."""
    keys = ["source", "campaign", ctx.settings.period]
    table = economics(ctx, keys)
    counted = _counted(table)
    if ctx.can["spend"]:
        text = _(
            "{rows} campaign-periods, {leads} leads; costs over the {paid} paid leads.",
            rows=len(table),
            **counted,
        )
    else:
        text = _(
            "{rows} campaign-periods, {leads} leads; no spend data, so no costs.",
            rows=len(table),
            **counted,
        )
    for sentence in (_incomplete_sentence(ctx), undated_sentence(ctx)):
        if sentence:
            text += " " + sentence
    return Section(
        text=text,
        tables={"economics_by_campaign_period": table},
        views=[show(economics_view(table, keys))],
    )
