"""The data-audit page: what was loaded, how leads join to spend and to their sources,
and where the gaps are.

Each function takes the report context and returns a `Section`. Counts over leads are
the engine's (``ctx.leads``); spend, cost per lead, the data's end and the young leads
are the context's facts, the numbers every other page shows.
"""

from __future__ import annotations

import math

from analysis.base.i18n import N_, _, fmt_int, fmt_number, join_words, language, n_
from analysis.insight import audit
from analysis.insight.numbers import day_words, fmt_money, fmt_rate, fmt_share, money
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


#: The kinds of money value the outliers table names (its ``what``, a code other code
#: compares), shown in the reader's language.
_OUTLIER_KINDS = (N_("revenue of a sale"), N_("spend of a campaign day"))


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
    ratio = round(audit.OUTLIER_MIN_RATIO)
    rule = _(
        "A value is flagged when its logarithm lies more than {k} scaled median absolute "
        "deviations above the median of the logarithms of the positive values and it is at "
        "least {ratio} times the median (fewer than {min} positive values: no flag).",
        k=fmt_number(audit.OUTLIER_K, "g"),
        ratio=fmt_int(ratio),
        min=fmt_int(audit.OUTLIER_MIN_VALUES),
    )
    if not len(table):
        rev, sp = table.attrs["revenue"], table.attrs["spend"]
        checked = []
        if rev["n"]:
            checked.append(
                n_("{n} positive revenue value", "{n} positive revenue values", rev["n"])
            )
        if sp["n"]:
            checked.append(n_("{n} positive spend value", "{n} positive spend values", sp["n"]))
        what = join_words(checked) if checked else _("no positive revenue or spend values")
        return Section(
            text=_(
                "No money value is far out of its distribution ({checked} checked). {rule}",
                checked=what,
                rule=rule,
            ),
            tables={"audit_outliers": table},
        )
    view = table.assign(
        what=table["what"].map(lambda w: _(w) if w in _OUTLIER_KINDS else w),
        value=table["value"].map(fmt_money),
        share_of_total=table["share_of_total"].map(fmt_share),
        median=table["median"].map(fmt_money),
        cut=table["cut"].map(fmt_money),
    )
    if language() != "en":
        # headers the kit's list lacks ("cut" there is the action): named here
        view = view.rename(
            columns={
                "id": _("lead or campaign day"),
                "date": _("date"),
                "share_of_total": _("share of the total"),
                "median": _("median of the values"),
                "cut": _("cut-off of the rule"),
            }
        )
    text = audit.outliers_sentence(table, ctx.currency) + " " + rule
    text += " " + _(
        "They are kept in every figure; the period-change page's revenue split says "
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
    text = n_(
        "{n} input file, {rows} rows in all, gave {leads} leads.",
        "{n} input files, {rows} rows in all, gave {leads} leads.",
        len(table),
        rows=fmt_money(rows),
        leads=fmt_money(ctx.facts["leads"]),
    )
    return Section(text=text, tables={"audit_inputs": table}, views=[show(table)])


def notes(ctx) -> Section:
    """What the loader noticed, warnings first (table ``audit_notes``)."""
    table = notes_view(ctx.dataset.notes)
    if not len(table):
        return Section(text=_("Nothing to report."), tables={"audit_notes": table})
    warnings = int((table["severity"] == "warning").sum()) if "severity" in table else 0
    text = n_(
        "{n} note, {warnings} of them warnings.",
        "{n} notes, {warnings} of them warnings.",
        len(table),
        warnings=fmt_int(warnings),
    )
    return Section(text=text, tables={"audit_notes": table}, views=[show(table)])


def field_coverage(ctx) -> Section:
    """How filled each canonical field is (table ``audit_field_coverage``)."""
    table = audit.field_coverage(ctx.leads, ctx.engine)
    # a share over no sales is no share: said so, not "nan%"
    view = table.assign(
        filled_share=table["filled_share"].map(
            lambda x: _("n/a: no sales") if math.isnan(x) else fmt_rate(x)
        )
    )
    text = _(
        "Each field's filled share over the {leads} leads (sale date and revenue over the "
        "{sales} sales).",
        leads=fmt_money(ctx.facts["leads"]),
        sales=fmt_money(ctx.facts["sales"]),
    )
    return Section(text=text, tables={"audit_field_coverage": table}, views=[show(view)])


def attribution(ctx) -> Section:
    """Where each lead's source came from (table ``audit_attribution``, a bar figure)."""
    table = audit.attribution_coverage(ctx.leads, ctx.settings.level, engine=ctx.engine)
    n = int(table["leads"].sum())
    none = table.loc[table["attributed_by"] == "none", "leads"]
    unknown = int(none.iloc[0]) if len(none) else 0
    said = dict(known=fmt_money(n - unknown), share=fmt_share((n - unknown) / n) if n else "")
    if not n:
        text = _("No leads.")
    elif unknown:
        text = n_(
            "{known} of {n} lead ({share}) has a source; {unknown} has none.",
            "{known} of {n} leads ({share}) have a source; {unknown} have none.",
            n,
            **said,
            unknown=fmt_money(unknown),
        )
    else:
        text = n_(
            "{known} of {n} lead ({share}) has a source; every lead has one.",
            "{known} of {n} leads ({share}) have a source; every lead has one.",
            n,
            **said,
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
            text=_("No spend data in these inputs: costs cannot be joined to leads."),
            tables={"audit_spend_match": table},
            empty=True,
        )
    spend, totals, cur = ctx.facts["spend"], ctx.facts["totals"], ctx.currency
    without = spend.get("on_campaigns_without_leads") or 0.0
    if without > 0:
        text = _(
            "Spend in all: {spend}, of which {without} on campaigns with no leads ({names}).",
            spend=money(spend["total"], cur),
            without=money(without, cur),
            names=", ".join(spend.get("campaigns_without_leads", [])[:8]),
        )
    else:
        text = _("Spend in all: {spend}.", spend=money(spend["total"], cur))
    if totals.get("cpl") is not None:
        text += " " + n_(
            "Cost per lead: {cpl}, all spend over {n} paid lead (of {leads} leads; the others "
            "came through campaigns without spend rows or no campaign).",
            "Cost per lead: {cpl}, all spend over {n} paid leads (of {leads} leads; the others "
            "came through campaigns without spend rows or no campaign).",
            totals["paid_leads"],
            cpl=money(totals["cpl"], cur),
            leads=fmt_money(ctx.facts["leads"]),
        )
    return Section(text=text, tables={"audit_spend_match": table}, views=[show(table)])


def qualification_mix(ctx) -> Section:
    """Leads and conversion per qualification class, with intervals (table
    ``audit_qualification_mix``)."""
    table = audit.qualification_mix(ctx.leads, ctx.settings.level, engine=ctx.engine)
    if not ctx.can["qualification"]:
        return Section(
            text=n_(
                "The data have no lead qualification (hot / warm / cold): the {n} lead is "
                "unqualified. Map it in the profile's `leads.qualification` to see the mix.",
                "The data have no lead qualification (hot / warm / cold): all {n} leads are "
                "unqualified. Map it in the profile's `leads.qualification` to see the mix.",
                ctx.facts["leads"],
            ),
            tables={"audit_qualification_mix": table},
            empty=True,
        )
    known = table[table["qualification"] != "unknown"]
    text = n_(
        "{known} of {n} lead is qualified hot, warm or cold.",
        "{known} of {n} leads are qualified hot, warm or cold.",
        ctx.facts["leads"],
        known=fmt_money(int(known["leads"].sum())),
    )
    return Section(text=text, tables={"audit_qualification_mix": table}, views=[show(table)])


def weekly(ctx) -> Section:
    """Leads, sales and spend per week, with the weeks that have a gap (table
    ``audit_weekly``, a figure)."""
    if not ctx.can["dates"]:
        return Section(
            text=_("The data have no creation dates: leads cannot be counted by week."),
            empty=True,
        )
    table = audit.weekly_activity(
        ctx.leads,
        ctx.spend if ctx.can["spend"] else None,
        first=ctx.facts["first_lead"],
        last=ctx.facts["last_lead"],
        engine=ctx.engine,
    )
    if not len(table):
        return Section(text=_("No leads with a date."), tables={"audit_weekly": table}, empty=True)
    gaps = table[table["gap"] != ""]
    counts = dict(
        leads=fmt_money(int(table["leads"].sum())), sales=fmt_money(int(table["sales"].sum()))
    )
    if len(gaps):
        text = n_(
            "{n} week, {leads} leads and {sales} sales; {gaps} of the weeks have a gap or are "
            "cut by the data's start or end (listed below).",
            "{n} weeks, {leads} leads and {sales} sales; {gaps} of the weeks have a gap or are "
            "cut by the data's start or end (listed below).",
            len(table),
            **counts,
            gaps=fmt_int(len(gaps)),
        )
    else:
        text = n_(
            "{n} week, {leads} leads and {sales} sales; no week has a gap.",
            "{n} weeks, {leads} leads and {sales} sales; no week has a gap.",
            len(table),
            **counts,
        )
    views = [show(gaps, caption=_("Weeks with a gap"))] if len(gaps) else []
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
            text=_("{reason}: how long sales take cannot be told.", reason=no_sale_dates(ctx)),
            tables={"audit_lead_age": table},
            views=[show(table)],
            empty=True,
        )
    said = dict(end=day_words(ctx.facts["data_end"]))
    if m.get("caveat"):
        text = n_(
            "As of {end}, over {n} lead: {caveat}.",
            "As of {end}, over {n} leads: {caveat}.",
            m["leads_measured"],
            **said,
            caveat=m["caveat"],
        )
    else:
        text = n_(
            "As of {end}, over {n} lead: no lead is younger than the time within which 90% of "
            "sales close.",
            "As of {end}, over {n} leads: no lead is younger than the time within which 90% "
            "of sales close.",
            m["leads_measured"],
            **said,
        )
    if any(int(v) > 0 for v in (m.get("excluded") or {}).values()):
        text += " " + _(
            "Left out of the time to sale: {left_out}.",
            left_out=audit.excluded_text(m.get("excluded")),
        )
    return Section(text=text, tables={"audit_lead_age": table}, views=[show(table)])
