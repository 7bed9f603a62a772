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
    n = ctx.facts["leads"]
    if "manager" not in ctx.leads.columns:
        return (
            f"The data name no manager for the leads: the profile maps no manager field, "
            f"so the {n:,} leads cannot be compared by who worked them."
        )
    cover = mgr.manager_coverage(ctx.leads, engine=ctx.engine)
    if cover["with_manager"] == 0:
        return f"The manager field is empty for all {n:,} leads, so managers cannot be compared."
    if "manager" in ctx.facts["outcome_dependent"] or cover["state"] == "converted_only":
        return (
            "Managers are recorded only for converted leads, so their conversion cannot "
            f"be compared: {cover['with_manager']:,} of {n:,} leads have a manager, and "
            "every one of them is a sale."
        )
    if not ctx.facts["can"]["managers"]:
        return (
            f"The data name no manager for the leads that can be compared "
            f"({cover['with_manager']:,} of {n:,} leads have one)."
        )
    return ""


def _s(n: int) -> str:
    """The verb's "s" after a count: 1 converts, 2 convert."""
    return "s" if n == 1 else ""


def _odds(sigma: float) -> str:
    """A log-odds standard deviation as an odds factor: 0.18 -> "1.2"."""
    return f"{math.exp(sigma):.1f}"


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
            text="No manager has leads to compare.", tables={"managers": table}, empty=True
        )
    sales, leads = int(table["sales"].sum()), int(table["leads"].sum())
    if sales == 0 or sales == leads:
        # no sale (or only sales): nobody converts differently from anybody, and a
        # fitted spread of managers would be the prior speaking, not the data
        return Section(
            text=f"{len(table)} managers, {leads:,} leads and "
            + ("not one sale" if sales == 0 else "every one a sale")
            + ": managers cannot differ in conversion, so they are not compared "
            "(the table gives each one's leads).",
            tables={"managers": table},
            views=[_ratio_view(table[_MANAGER_COLUMNS])],
        )
    figures.set_style()
    fig = figures.plot_managers(table)
    better = int((table["shrunk_low"] > 1).sum())
    worse = int((table["shrunk_high"] < 1).sum())
    spread = float(table["spread"].iloc[0])
    apart = int((table["standing"] != "not distinguishable").sum())
    text = (
        f"{len(table)} managers, {int(table['sales'].sum()):,} sales of "
        f"{int(table['leads'].sum()):,} leads (of {ctx.facts['leads']:,} in the data). "
        f"Adjusted for the leads each received, {better} of them convert{_s(better)} better "
        f"and {worse} worse than their leads would predict; the others cannot be told "
        "from the average with these data. "
        + (
            # the fitted spread is an estimate, not a test: "beyond chance" only where
            # some manager's interval separates from the average
            f"Managers differ beyond chance (spread of their odds about ×{_odds(spread)} "
            "for one standard deviation). "
            if spread >= 0.1 and better + worse > 0
            else f"The model's estimate of the spread of their odds is about ×{_odds(spread)} "
            "for one standard deviation, but no manager's interval separates from the "
            "average: the data cannot yet tell managers apart. "
            if spread >= 0.1
            else "The data show little difference between managers beyond chance. "
        )
        + (
            f"A rank is given only where intervals separate ({apart} of {len(table)} "
            'managers); the rest are marked "not distinguishable".'
        )
    )
    return Section(
        text=text,
        tables={"managers": table},
        views=[_ratio_view(table[_MANAGER_COLUMNS])],
        figure=fig,
    )


def routing(ctx) -> Section:
    """Which managers to send each class of lead (cold, warm, hot). Table
    ``managers_routing`` (`analysis.stats.managers.routing_table`)."""
    empty = pd.DataFrame(columns=["qualification", "manager", "leads", "sales", "send"])
    why = manager_words(ctx)
    if why:
        return Section(
            text=f"No routing table. {why}", tables={"managers_routing": empty}, empty=True
        )
    if not ctx.facts["can"]["qualification"]:
        return Section(
            text=f"No routing table: none of the {ctx.facts['leads']:,} leads has a "
            "qualification (hot, warm or cold), so there is no class of lead to route.",
            tables={"managers_routing": empty},
            empty=True,
        )
    table = mgr.routing_table(ctx.leads, engine=ctx.engine)
    if table.empty:
        return Section(
            text="No routing table: no class of lead has sales to compare managers on.",
            tables={"managers_routing": table},
            empty=True,
        )
    send = table[table["send"] == "yes"]
    lines = []
    for cls, g in send.groupby("qualification", sort=False):
        leads = int(table.loc[table["qualification"] == cls, "leads"].sum())
        who = ", ".join(f"{m} ({o:,} open)" for m, o in zip(g["manager"], g["open"], strict=True))
        lines.append(f"- **{cls} leads** ({leads:,}) → {who} ({g['basis'].iloc[0]})")
    text = "\n".join(lines) or "No manager stands out for any class of lead."
    return Section(
        text=f"{text}\n\nRule: {mgr.ROUTING_RULE} Open: leads neither sold nor lost.",
        tables={"managers_routing": table},
        views=[_ratio_view(table[_ROUTING_COLUMNS])],
    )


def speed_to_lead(ctx) -> Section:
    """Conversion by time from lead to first contact. Table ``managers_speed``."""
    speed = mgr.speed_to_lead(ctx.leads, engine=ctx.engine)
    n = ctx.facts["leads"]
    if speed.empty:
        if "first_contact_at" not in ctx.leads.columns:
            why = "the profile maps no time of first contact"
        else:
            why = f"none of the {n:,} leads has a time of first contact recorded"
        return Section(
            text=f"No speed to lead: {why}.", tables={"managers_speed": speed}, empty=True
        )
    never = int(speed.loc[speed["speed"] == "never contacted", "leads"].sum())
    figures.set_style()
    fig = figures.plot_conversion(speed.assign(label=speed["speed"]), "label")
    return Section(
        text=f"Conversion by time from lead to first contact, over {n:,} leads "
        f"({never:,} never contacted).",
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
            text=f"No processing checks. {why}", tables={"managers_checks": empty}, empty=True
        )
    checks = mgr.processing_checks(ctx.leads, stuck_days=stuck_days, engine=ctx.engine)
    end = ctx.facts["data_end"]
    text = (
        f"{int(checks['open'].sum()):,} of {ctx.facts['leads']:,} leads are open "
        f"(neither sold nor lost), {int(checks['stuck'].sum()):,} of them for more than "
        f"{stuck_days} days at the data's end ({end})."
    )
    return Section(
        text=text,
        tables={"managers_checks": checks},
        views=[
            show(
                checks,
                caption=f"Open: neither sold nor lost; stuck: open for more than "
                f"{stuck_days} days at the data's end",
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
            text = "No loss reasons: the profile maps no field for why a lead was lost."
        else:
            text = f"No loss reasons: none of the {ctx.facts['leads']:,} leads has one recorded."
        return Section(text=text, tables=tables, empty=True)
    lost = int(by_source["lost"].sum())
    text = f"{lost:,} of {ctx.facts['leads']:,} leads are lost with a reason recorded."
    views = [show(by_source, caption="By source")]
    if by_manager.empty:
        text += f" {why}" if why else ""
    else:
        views.append(show(by_manager, caption="By manager"))
    return Section(text=text, tables=tables, views=views)


def managers_check(section: Section) -> str:
    """The reproducible text of the managers section (the notebook's output check)."""
    return section.tables["managers"][["manager", "leads", "sales"]].to_string(index=False)
