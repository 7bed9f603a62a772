"""The sales-processing page: managers, speed to lead and lost leads.

Each function takes the report context and returns a `Section`; the counts run on the
engine (``ctx.leads``, ``engine=ctx.engine``), the lead totals and the data's end in the
sentences are the context's facts. Where the data cannot compare managers, the page
says why, from the data: no manager field, no manager filled, or managers recorded only
for converted leads (then nobody is ranked).
"""

from __future__ import annotations

import math

import pandas as pd

from analysis.base.i18n import N_, _, fmt_count, n_
from analysis.insight.numbers import day_words, fmt_money, fmt_rate, fmt_share, money
from analysis.render import figures
from analysis.render.sections import Section
from analysis.render.tables import show
from analysis.stats import managers as mgr

__all__ = [
    "manager_conversion",
    "routing",
    "speed_to_lead",
    "processing",
    "losses",
    "managers_check",
    "manager_words",
]

_MANAGER_COLUMNS = [
    "manager",
    "leads",
    "sales",
    "rate",
    "expected",
    "ratio",
    "shrunk",
    "shrunk_low",
    "shrunk_high",
    "adjusted_rate",
    "standing",
    "flag",
    "verdict",
]

_ROUTING_COLUMNS = [
    "qualification",
    "manager",
    "leads",
    "sales",
    "rate",
    "shrunk",
    "shrunk_low",
    "shrunk_high",
    "standing",
    "open",
    "send",
    "flag",
]


#: The manager tables' ``shrunk`` columns are ratios to expected sales, not rates: shown
#: as numbers under their own names, never as percentages.
_RATIO_NAMES = {
    "shrunk": "shrunk_ratio",
    "shrunk_low": "shrunk_ratio_low",
    "shrunk_high": "shrunk_ratio_high",
}


def _ratio_view(frame: pd.DataFrame):
    return show(frame.rename(columns=_RATIO_NAMES))


def manager_words(ctx) -> str:
    """Why managers cannot be compared, in plain words from the data; "" when they can.

    By cause: the profile maps no manager field; no lead has a manager; managers are
    recorded only for converted leads (the context's ``outcome_dependent``).
    """
    n = fmt_count(ctx.facts["leads"])
    if "manager" not in ctx.leads.columns:
        return _(
            "The data name no manager for the leads: the profile maps no manager field, "
            "so the {n} leads cannot be compared by who worked them.",
            n=n,
        )
    cover = mgr.manager_coverage(ctx.leads, engine=ctx.engine)
    if cover["with_manager"] == 0:
        return _(
            "The manager field is empty for all {n} leads, so managers cannot be compared.", n=n
        )
    if "manager" in ctx.facts["outcome_dependent"] or cover["state"] == "converted_only":
        return _(
            "Managers are recorded only for converted leads, so their conversion cannot "
            "be compared: {with_manager} of {n} leads have a manager, and "
            "every one of them is a sale.",
            with_manager=fmt_count(cover["with_manager"]),
            n=n,
        )
    if not ctx.facts["can"]["managers"]:
        return _(
            "The data name no manager for the leads that can be compared "
            "({with_manager} of {n} leads have one).",
            with_manager=fmt_count(cover["with_manager"]),
            n=n,
        )
    return ""


def _odds(sigma: float) -> str:
    """A log-odds standard deviation as an odds factor: 0.18 -> "1.2" ("1,2" in
    Russian)."""
    return fmt_money(math.exp(sigma), 1)


def _empty_managers() -> pd.DataFrame:
    return pd.DataFrame(
        columns=["manager", "leads", "sales", "expected", "rate", "flag", "verdict"]
    )


def manager_conversion(ctx) -> Section:
    """Conversion by manager against what their leads would bring (observed / expected,
    shrunk). Table ``managers`` (`analysis.stats.managers.manager_table`)."""
    why = manager_words(ctx)
    if why:
        return Section(text=why, tables={"managers": _empty_managers()}, empty=True)
    table = mgr.manager_table(ctx.leads, min_leads=ctx.settings.min_leads, engine=ctx.engine)
    if table.empty:
        return Section(
            text=_("No manager has leads to compare."), tables={"managers": table}, empty=True
        )
    sales, leads = int(table["sales"].sum()), int(table["leads"].sum())
    if sales == 0 or sales == leads:
        # no sale (or only sales): nobody converts differently from anybody, and a
        # fitted spread of managers would be the prior speaking, not the data
        values = {"managers": len(table), "leads": fmt_count(leads)}
        return Section(
            text=_(
                "{managers} managers, {leads} leads and not one sale: managers cannot "
                "differ in conversion, so they are not compared (the table gives each "
                "one's leads).",
                **values,
            )
            if sales == 0
            else _(
                "{managers} managers, {leads} leads and every one a sale: managers cannot "
                "differ in conversion, so they are not compared (the table gives each "
                "one's leads).",
                **values,
            ),
            tables={"managers": table},
            views=[_ratio_view(table[_MANAGER_COLUMNS])],
        )
    figures.set_style()
    fig = figures.plot_managers(table)
    better = int((table["shrunk_low"] > 1).sum())
    worse = int((table["shrunk_high"] < 1).sum())
    spread = float(table["spread"].iloc[0])
    apart = int((table["standing"] != "not distinguishable").sum())
    if spread >= 0.1 and better + worse > 0:
        # the fitted spread is an estimate, not a test: "beyond chance" only where
        # some manager's interval separates from the average
        differ = _(
            "Managers differ beyond chance (spread of their odds about ×{odds} "
            "for one standard deviation).",
            odds=_odds(spread),
        )
    elif spread >= 0.1:
        differ = _(
            "The model's estimate of the spread of their odds is about ×{odds} "
            "for one standard deviation, but no manager's interval separates from the "
            "average: the data cannot yet tell managers apart.",
            odds=_odds(spread),
        )
    else:
        differ = _("The data show little difference between managers beyond chance.")
    text = " ".join(
        (
            _(
                "{managers} managers, {sales} sales of {leads} leads (of {total} in the data).",
                managers=len(table),
                sales=fmt_count(table["sales"].sum()),
                leads=fmt_count(table["leads"].sum()),
                total=fmt_count(ctx.facts["leads"]),
            ),
            n_(
                "Adjusted for the leads each received, {n} of them converts better "
                "and {worse} worse than their leads would predict; the others cannot be told "
                "from the average with these data.",
                "Adjusted for the leads each received, {n} of them convert better "
                "and {worse} worse than their leads would predict; the others cannot be told "
                "from the average with these data.",
                better,
                worse=worse,
            ),
            differ,
            _(
                "A rank is given only where intervals separate ({apart} of {managers} "
                'managers); the rest are marked "not distinguishable".',
                apart=apart,
                managers=len(table),
            ),
        )
    )
    return Section(
        text=text,
        tables={"managers": table},
        views=[_ratio_view(table[_MANAGER_COLUMNS])],
        figure=fig,
    )


#: A line of the routing list, one whole sentence per class of lead.
_CLASS_LINES = {
    "hot": N_("- **hot leads** ({leads}) → {who} ({basis})"),
    "warm": N_("- **warm leads** ({leads}) → {who} ({basis})"),
    "cold": N_("- **cold leads** ({leads}) → {who} ({basis})"),
}
_OTHER_CLASS_LINE = N_("- **{cls} leads** ({leads}) → {who} ({basis})")


def routing(ctx) -> Section:
    """Which managers to send each class of lead (cold, warm, hot). Table
    ``managers_routing`` (`analysis.stats.managers.routing_table`)."""
    empty = pd.DataFrame(columns=["qualification", "manager", "leads", "sales", "send"])
    why = manager_words(ctx)
    if why:
        return Section(
            text=_("No routing table. {why}", why=why),
            tables={"managers_routing": empty},
            empty=True,
        )
    if not ctx.facts["can"]["qualification"]:
        return Section(
            text=_(
                "No routing table: none of the {n} leads has a "
                "qualification (hot, warm or cold), so there is no class of lead to route.",
                n=fmt_count(ctx.facts["leads"]),
            ),
            tables={"managers_routing": empty},
            empty=True,
        )
    table = mgr.routing_table(ctx.leads, engine=ctx.engine)
    if table.empty:
        return Section(
            text=_("No routing table: no class of lead has sales to compare managers on."),
            tables={"managers_routing": table},
            empty=True,
        )
    send = table[table["send"] == "yes"]
    lines = []
    for cls, g in send.groupby("qualification", sort=False):
        leads = int(table.loc[table["qualification"] == cls, "leads"].sum())
        who = ", ".join(
            _("{manager} ({n} open)", manager=m, n=fmt_count(o))
            for m, o in zip(g["manager"], g["open"], strict=True)
        )
        line = _CLASS_LINES.get(cls, _OTHER_CLASS_LINE)
        lines.append(_(line, cls=cls, leads=fmt_count(leads), who=who, basis=g["basis"].iloc[0]))
    text = "\n".join(lines) or _("No manager stands out for any class of lead.")
    rule = _("Rule: {rule} Open: leads neither sold nor lost.", rule=_(mgr.ROUTING_RULE))
    return Section(
        text=f"{text}\n\n{rule}",
        tables={"managers_routing": table},
        views=[_ratio_view(table[_ROUTING_COLUMNS])],
    )


def speed_to_lead(ctx) -> Section:
    """Conversion by time from lead to first contact. Table ``managers_speed``."""
    speed = mgr.speed_to_lead(ctx.leads, engine=ctx.engine)
    n = ctx.facts["leads"]
    if speed.empty:
        if "first_contact_at" not in ctx.leads.columns:
            text = _("No speed to lead: the profile maps no time of first contact.")
        else:
            text = _(
                "No speed to lead: none of the {n} leads has a time of first contact recorded.",
                n=fmt_count(n),
            )
        return Section(text=text, tables={"managers_speed": speed}, empty=True)
    never = int(speed.loc[speed["speed"] == "never contacted", "leads"].sum())
    figures.set_style()
    # the table keeps the bins' codes; the figure shows them in the reader's language
    fig = figures.plot_conversion(speed.assign(label=speed["speed"].map(_)), "label")
    return Section(
        text=_(
            "Conversion by time from lead to first contact, over {n} leads "
            "({never} never contacted).",
            n=fmt_count(n),
            never=fmt_count(never),
        ),
        tables={"managers_speed": speed},
        figure=fig,
    )


def processing(ctx, stuck_days: int = 14) -> Section:
    """Per manager: leads never contacted, open (neither sold nor lost) and stuck (open
    longer than ``stuck_days`` at the data's end). Table ``managers_checks``."""
    empty = pd.DataFrame(columns=["manager", "leads", "never_contacted", "open", "stuck"])
    why = manager_words(ctx)
    if why:
        return Section(
            text=_("No processing checks. {why}", why=why),
            tables={"managers_checks": empty},
            empty=True,
        )
    checks = mgr.processing_checks(ctx.leads, stuck_days=stuck_days, engine=ctx.engine)
    end = day_words(ctx.facts["data_end"])
    # the English says "days" after any count, as it always has
    text = n_(
        "{open} of {total} leads are open (neither sold nor lost), {stuck} of them for "
        "more than {n} days at the data's end ({end}).",
        "{open} of {total} leads are open (neither sold nor lost), {stuck} of them for "
        "more than {n} days at the data's end ({end}).",
        stuck_days,
        open=fmt_count(checks["open"].sum()),
        total=fmt_count(ctx.facts["leads"]),
        stuck=fmt_count(checks["stuck"].sum()),
        end=end,
    )
    return Section(
        text=text,
        tables={"managers_checks": checks},
        views=[
            show(
                checks,
                caption=n_(
                    "Open: neither sold nor lost; stuck: open for more than "
                    "{n} days at the data's end",
                    "Open: neither sold nor lost; stuck: open for more than "
                    "{n} days at the data's end",
                    stuck_days,
                ),
            )
        ],
    )


def losses(ctx) -> Section:
    """Lost leads by reason, by source and by manager. Tables ``lost_by_source``,
    ``lost_by_manager``."""
    by_source = mgr.loss_reasons(ctx.leads, "source", engine=ctx.engine)
    why = manager_words(ctx)
    if why:
        by_manager = pd.DataFrame(columns=["manager", "lost_reason", "lost", "share"])
    else:
        by_manager = mgr.loss_reasons(ctx.leads, "manager", engine=ctx.engine)
    tables = {"lost_by_manager": by_manager, "lost_by_source": by_source}
    if by_source.empty:
        if "lost_reason" not in ctx.leads.columns:
            text = _("No loss reasons: the profile maps no field for why a lead was lost.")
        else:
            text = _(
                "No loss reasons: none of the {n} leads has one recorded.",
                n=fmt_count(ctx.facts["leads"]),
            )
        return Section(text=text, tables=tables, empty=True)
    lost = int(by_source["lost"].sum())
    text = _(
        "{lost} of {total} leads are lost with a reason recorded.",
        lost=fmt_count(lost),
        total=fmt_count(ctx.facts["leads"]),
    )
    views = [show(by_source, caption=_("By source"))]
    if by_manager.empty:
        text += f" {why}" if why else ""
    else:
        views.append(show(by_manager, caption=_("By manager")))
    return Section(text=text, tables=tables, views=views)


def managers_check(section: Section) -> str:
    """The reproducible text of the managers section (the notebook's output check)."""
    return section.tables["managers"][["manager", "leads", "sales"]].to_string(index=False)


#: How a lead is named in its row of the call list, by its class.
_LEAD_WORDS = {
    "hot": N_("A hot lead"),
    "warm": N_("A warm lead"),
    "cold": N_("A cold lead"),
    "unknown": N_("A lead not qualified yet"),
}


def _why(r) -> str:
    """Why a lead stands where it does on the call list, in a sentence."""
    lead = _(_LEAD_WORDS.get(str(r.qualification), _LEAD_WORDS["unknown"]))
    age = n_("{n} day", "{n} days", int(r.age_days))
    closed = fmt_share(float(r.closed_by_age))
    if pd.isna(r.cell_rate):
        return _(
            "{lead}, age {age}: scored as the leads of its cell once qualified (and as "
            "those never qualified); {closed} of their sales have closed by this age.",
            lead=lead,
            age=age,
            closed=closed,
        )
    return _(
        "{lead}, age {age}: its cell converts {rate} in the end; {closed} of the cell's "
        "sales have closed by this age.",
        lead=lead,
        age=age,
        rate=fmt_rate(r.cell_rate, r.cell_rate_low, r.cell_rate_high),
        closed=closed,
    )


def call_list(ctx, top: int = 20, limit: int = 5000) -> Section:
    """The open leads to call first: each one's probability of becoming a sale (its
    cell's eventual conversion read at its age, `analysis.stats.calllist.call_list`),
    with its interval and expected revenue, by expected revenue. Table ``call_list``
    (the first ``limit`` leads; the page shows ``top``)."""
    from analysis.stats.calllist import call_list as score

    empty = pd.DataFrame(columns=["rank", "lead_id", "manager", "p_sale", "expected_revenue"])
    if "won_at" not in ctx.leads.columns or "qualification" not in ctx.leads.columns:
        return Section(
            text=_(
                "No call list: the data do not say when each sale closed (or how leads are "
                "qualified), so a lead's chance of a sale at its age cannot be estimated."
            ),
            tables={"call_list": empty},
            empty=True,
        )
    if ctx.facts["sales"] == 0 or not ctx.facts.get("data_end"):
        return Section(
            text=_(
                "No call list: {why}, so there is nothing to learn a lead's chance of a sale from.",
                why=_("the data have no sale yet")
                if ctx.facts["sales"] == 0
                else _("the leads have no dates"),
            ),
            tables={"call_list": empty},
            empty=True,
        )
    scored = score(ctx.leads, engine=ctx.engine, level=ctx.settings.level, limit=limit)
    if scored.open_leads == 0:
        return Section(
            text=_("No call list: every lead is either sold or lost."),
            tables={"call_list": empty},
            empty=True,
        )
    table = scored.leads.copy()
    table["why"] = [_why(r) for r in table.itertuples(index=False)]
    how = _(
        "Call them in this order: by expected revenue, the probability of a sale times "
        "the mean sale of the lead's segment. A lead's probability is its cell's (source, "
        "campaign, segment, class) conversion in the end, pooled toward its class, read "
        "at the lead's age on its class's time-to-sale curve: a lead older than its "
        "cell's sales usually take is worth less, and a lead still open can be worth more "
        "than its cell's conversion, because many of the cell's leads of its age are "
        "already lost. The interval is 95%; the column of leads behind the estimate says "
        "how many leads of the cell it rests on."
    )
    if scored.expected_revenue is not None:
        head = _(
            "{open} open leads (neither sold nor lost) should still bring about {sales} "
            "sales and {money} of revenue (the sum of their probabilities).",
            open=fmt_count(scored.open_leads),
            sales=fmt_money(scored.expected_sales, 1),
            money=money(scored.expected_revenue, ctx.currency),
        )
    else:
        head = _(
            "{open} open leads (neither sold nor lost) should still bring about {sales} "
            "sales (the sum of their probabilities).",
            open=fmt_count(scored.open_leads),
            sales=fmt_money(scored.expected_sales, 1),
        )
    text = " ".join([head, how, *scored.notes])
    shown = table.head(top)[
        ["rank", "lead_id", "manager", "qualification", "source", "campaign", "age_days",
         "p_sale", "p_sale_low", "p_sale_high", "expected_revenue", "cell_leads", "why"]
    ]  # fmt: skip
    caption = n_(
        "The first {n} lead of {total} open ones",
        "The first {n} leads of {total} open ones",
        len(shown),
        total=fmt_count(scored.open_leads),
    )
    return Section(
        text=text.strip(),
        tables={"call_list": table},
        views=[show(shown, caption=caption)],
    )


def manager_lists(ctx, stuck_days: int = 14, per_manager: int = 200, shown: int = 5) -> Section:
    """Each manager's leads to call today: never contacted, then stuck (open longer
    than ``stuck_days``), oldest first, by lead id. Table ``manager_lists``."""
    from analysis.stats.calllist import manager_lists as lists

    empty = pd.DataFrame(columns=["manager", "list", "lead_id", "age_days", "position"])
    why = manager_words(ctx)
    if why:
        return Section(
            text=_("No lists per manager. {why}", why=why),
            tables={"manager_lists": empty},
            empty=True,
        )
    if not ctx.facts.get("data_end") or "won_at" not in ctx.leads.columns:
        return Section(
            text=_(
                "No lists per manager: the data do not date the leads and their sales, so "
                "a lead's age is unknown."
            ),
            tables={"manager_lists": empty},
            empty=True,
        )
    table = lists(ctx.leads, stuck_days=stuck_days, per_manager=per_manager, engine=ctx.engine)
    if table.empty:
        return Section(
            text=n_(
                "No manager has an open lead that was never contacted or has been open "
                "for more than {n} day.",
                "No manager has an open lead that was never contacted or has been open "
                "for more than {n} days.",
                stuck_days,
            ),
            tables={"manager_lists": table},
            empty=True,
        )
    from analysis.stats.calllist import NEVER_CONTACTED, STUCK

    counts = table.groupby("list").size()
    text = n_(
        "Every manager's leads to call today, oldest first, by lead id: {never} never "
        "contacted and {stuck} open for more than {n} day. The workbook holds up to "
        "{per} per manager and list; below are the first {shown} of each. The routing "
        "above gives new cold and warm leads to the managers with the fewest open leads "
        "among those no other manager clearly beats.",
        "Every manager's leads to call today, oldest first, by lead id: {never} never "
        "contacted and {stuck} open for more than {n} days. The workbook holds up to "
        "{per} per manager and list; below are the first {shown} of each. The routing "
        "above gives new cold and warm leads to the managers with the fewest open leads "
        "among those no other manager clearly beats.",
        stuck_days,
        never=fmt_count(counts.get(NEVER_CONTACTED, 0))
        if "first_contact_at" in ctx.leads.columns
        else _("unknown (the data have no first contact dates)"),
        stuck=fmt_count(counts.get(STUCK, 0)),
        per=fmt_count(per_manager),
        shown=fmt_count(shown),
    )
    view = table[table["position"] <= shown]
    return Section(
        text=text,
        tables={"manager_lists": table},
        views=[show(view)],
    )


def write_call_list(section: Section, output_dir) -> None:
    """The call list as ``call-list.csv`` in the run's folder (lead ids, never personal
    data), beside ``tables/call_list.csv``."""
    from pathlib import Path

    if not output_dir or "call_list" not in section.tables:
        return
    section.tables["call_list"].to_csv(Path(output_dir) / "call-list.csv", index=False)
