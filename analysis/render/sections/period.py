"""The period-change page: what changed between two periods and whose part it is, the
same at equal lead age, revenue, the sources behind it, and how fast leads buy.

Also `lead_age`, the one "mind the age of the leads" caveat, which the executive
summary shows too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.engine.periods import NO_DATE
from analysis.insight import findings
from analysis.insight.numbers import fmt_measure, fmt_money, fmt_share
from analysis.render import figures, time_figures
from analysis.render.sections import Section, no_sale_dates
from analysis.render.tables import show
from analysis.stats import decompose, period_change, survival
from analysis.stats.maturity import conversion_at_age

__all__ = [
    "change",
    "equal_age",
    "revenue",
    "drivers",
    "maturity",
    "lead_age",
    "pair",
    "mix",
    "period_notes",
    "incomplete",
    "parts_view",
    "key_numbers",
]

_PARTS_NOTE = (
    "Each part is its average contribution, in {unit}, over every order in which the "
    "factors can be switched from one period to the other (Shapley values), so the parts "
    "add up to the change exactly; the period totals are counts."
)


# --- shared by both pages ----------------------------------------------------------


def mix(ctx) -> tuple[str, ...]:
    """The mix dimensions of the decomposition: source, and qualification within source
    when the data have it."""
    return ("source", "qualification") if ctx.can["qualification"] else ("source",)


def pair(ctx, period_a: str = "", period_b: str = "") -> tuple[str, str] | None:
    """The two periods compared: the ones asked for, else the last two complete periods
    with enough leads (`period_change.default_periods` on ``ctx.facts["periods"]``)."""
    if period_a and period_b:
        return str(period_a), str(period_b)
    return period_change.default_periods(
        ctx.leads,
        ctx.settings.period,
        ctx.settings.min_leads,
        engine=ctx.engine,
        periods=ctx.facts["periods"],
    )


def _period_row(ctx, key: str) -> dict | None:
    return next((p for p in ctx.facts["periods"] if str(p["period"]) == str(key)), None)


def _day(date: str) -> str:
    ts = pd.Timestamp(date)
    return f"{ts.day} {ts:%B}"


def _partial(ctx, row: dict) -> str:
    """'2018Q2 holds leads only until 31 May (61 of its 91 days)'."""
    start, stop = pd.Timestamp(row["start"]), pd.Timestamp(row["stop"])
    length = (stop - start).days + 1
    first, last = ctx.facts["first_lead"], ctx.facts["last_lead"]
    if last and pd.Timestamp(last) < stop:
        when = f"only until {_day(last)}"
    elif first and pd.Timestamp(first) > start:
        when = f"only from {_day(first)}"
    else:
        when = "for part of it only"
    return f"{row['period']} holds leads {when} ({row['days_covered']} of its {length} days)"


def incomplete(ctx) -> dict[str, str]:
    """The periods the leads do not cover whole, each with the days it covers:
    ``{"2018Q2": "partial: 61 of its 91 days"}`` (``ctx.facts["periods"]``)."""
    out = {}
    for row in ctx.facts["periods"]:
        if not row["complete"]:
            length = (pd.Timestamp(row["stop"]) - pd.Timestamp(row["start"])).days + 1
            out[str(row["period"])] = f"partial: {row['days_covered']} of its {length} days"
    return out


def period_notes(ctx, compared: tuple[str, str] | None) -> str:
    """What the reader must know about the periods compared: a compared period that the
    leads do not cover whole, and a later period left out because they do not."""
    if not compared:
        return ""
    notes = []
    rows = [_period_row(ctx, key) for key in compared]
    if all(r is not None and r["complete"] for r in rows):
        which = (
            f"the last two whole {ctx.settings.period}s with at least "
            f"{fmt_money(ctx.settings.min_leads)} leads"
            if tuple(compared) == pair(ctx)
            else f"two whole {ctx.settings.period}s, as asked"
        )
        notes.append(f"Compared: {compared[0]} and {compared[1]}, {which}")
    for key in compared:
        row = _period_row(ctx, key)
        if row is not None and not row["complete"]:
            notes.append(
                f"{_partial(ctx, row)}: its lead volume covers only part of the "
                f"{ctx.settings.period}"
            )
    later = [p for p in ctx.facts["periods"] if str(p["period"]) > str(compared[1])]
    for row in later:
        if not row["complete"]:
            notes.append(f"{_partial(ctx, row)}, so it is not compared")
        elif row["leads"] < ctx.settings.min_leads:
            notes.append(
                f"{row['period']} has {fmt_money(row['leads'])} leads, under "
                f"{ctx.settings.min_leads}, so it is not compared"
            )
    return "; ".join(notes) + "." if notes else ""


def parts_view(table: pd.DataFrame, unit: str = "sales"):
    """A decomposition as the reader sees it: period totals as whole numbers ("about"
    where estimated), parts as average contributions with one decimal."""
    measure = table.attrs.get("measure", "sales")
    estimated = dict(
        zip(("period_a", "period_b"), table.attrs.get("estimated") or (False, False), strict=True)
    )
    contribution = f"average contribution, in {unit}"
    rows = []
    for r in table.itertuples():
        if r.kind == "part":
            total, part = "", fmt_measure(r.value, measure, sign=True)
            share = "" if pd.isna(r.share) else f"{r.share:.0%}".replace("-", "\u2212")
            owner = "sales team" if r.owner == "sales" else r.owner
            low, high = getattr(r, "low", float("nan")), getattr(r, "high", float("nan"))
            span = (
                ""
                if pd.isna(low) or pd.isna(high)
                else f"{fmt_measure(low, measure, sign=True)} to "
                f"{fmt_measure(high, measure, sign=True)}"
            )
        else:
            about = (
                "about "
                if estimated.get(r.part) or (r.part == "change" and any(estimated.values()))
                else ""
            )
            sign = r.part == "change"
            total = about + fmt_measure(round(r.value), measure, sign=sign)
            part, share, owner, span = "", "", "", ""
            low, high = getattr(r, "low", float("nan")), getattr(r, "high", float("nan"))
            if sign and pd.notna(low) and pd.notna(high):
                span = (
                    f"{fmt_measure(low, measure, sign=True)} to "
                    f"{fmt_measure(high, measure, sign=True)}"
                )
        rows.append(
            {
                "part": r.label,
                "owner": owner,
                unit: total,
                contribution: part,
                "95% interval": span,
                "share of change": share,
            }
        )
    return show(pd.DataFrame(rows))


def key_numbers(section: Section, name: str) -> str:
    """The reproducible text of a decomposition table's parts (for the notebook's
    output check), or "none" when the section has no such table."""
    table = section.tables.get(name)
    if table is None:
        return "none"
    return table[["part", "value"]].round(6).to_string(index=False)


def lead_age(ctx) -> Section:
    """The one "mind the age of the leads" caveat, from ``ctx.facts["maturity"]``: how
    many leads are younger than the time within which 90% of sales close."""
    m = ctx.facts.get("maturity")
    if not m:
        return Section(
            text=f"{no_sale_dates(ctx)}: how long sales take, and so how final the "
            "conversion of recent leads is, cannot be told.",
            empty=True,
        )
    if not m["caveat"]:
        days = m.get("young_days")
        within = f"{int(days)} days, " if days is not None and np.isfinite(days) else ""
        return Section(
            text=f"Mind the age of the leads: none of the {fmt_money(m['leads_measured'])} "
            f"leads is younger than {within}the time within which 90% of sales close: "
            "no period's conversion is held back by the age of its leads."
        )
    return Section(
        text=f"Mind the age of the leads: {m['caveat']} (as of {m['as_of']}). Compare "
        f"periods at equal age ({ctx.settings.equal_age_days} days): only the sales closed "
        "within that many days, at the rate of the leads at least that old."
    )


def _empty_pair(ctx) -> Section:
    s = ctx.settings
    return Section(
        text=f"Fewer than two {s.period}s with {s.min_leads} leads or more: nothing to compare.",
        empty=True,
    )


def _decompose(ctx, compared: tuple[str, str], **kw) -> pd.DataFrame:
    """The split of the change between the two periods, computed once per context."""
    period_a, period_b = compared
    return ctx.remember(
        ("decompose", compared, tuple(sorted(kw.items()))),
        lambda: period_change.decompose_periods(
            ctx.leads,
            period_a,
            period_b,
            period=ctx.settings.period,
            mix=mix(ctx),
            engine=ctx.engine,
            **kw,
        ),
    )


def sales_split(ctx) -> pd.DataFrame | None:
    """The split of the change in sales between the compared periods (`change`'s table
    ``change_sales``), without its figure and sentences; None when there is no pair of
    periods to compare or the split cannot be made."""
    compared = pair(ctx)
    if compared is None:
        return None
    try:
        return _decompose(ctx, compared)
    except ValueError:
        return None


def _nothing_in_either(table: pd.DataFrame) -> bool:
    """Whether a split's two period totals are both 0 (no sale, or no revenue)."""
    totals = table[table["kind"] == "total"].set_index("part")["value"]
    return bool(totals["period_a"] == 0 and totals["period_b"] == 0)


def _unknown_pair(ctx, compared, error: ValueError) -> Section:
    return Section(text=f"Cannot compare {compared[0]} with {compared[1]}: {error}.", empty=True)


# --- the page's sections -------------------------------------------------------------


def change(ctx, period_a: str = "", period_b: str = "") -> Section:
    """The change in sales from one period to the other, split into marketing's and the
    sales team's parts; table ``change_sales``."""
    compared = pair(ctx, period_a, period_b)
    if compared is None:
        return _empty_pair(ctx)
    try:
        table = _decompose(ctx, compared)
    except ValueError as e:
        return _unknown_pair(ctx, compared, e)
    text = "**" + findings.main_cause(table) + "**"
    note = period_notes(ctx, compared)
    if _nothing_in_either(table):
        # no sale in either period: no parts to show, and intervals on them would
        # claim a spread the data do not have
        return Section(text=text + ("\n\n" + note if note else ""), tables={"change_sales": table})
    text += ("\n\n" + note if note else "") + "\n\n" + _PARTS_NOTE.format(unit="sales")
    figures.set_style()
    fig = time_figures.plot_waterfall(
        table, f"Sales, {compared[0]} to {compared[1]}", "sales (parts: average contribution)"
    )
    return Section(text=text, tables={"change_sales": table}, views=[parts_view(table)], figure=fig)


def equal_age(ctx, period_a: str = "", period_b: str = "") -> Section:
    """The same change at equal lead age: each cell's conversion within
    ``equal_age_days`` days among the leads that old; table ``change_sales_equal_age``."""
    if not ctx.can["sale_dates"]:
        return Section(text=f"{no_sale_dates(ctx)}: no comparison at equal age.", empty=True)
    compared = pair(ctx, period_a, period_b)
    if compared is None:
        return _empty_pair(ctx)
    days = ctx.settings.equal_age_days
    try:
        table = _decompose(ctx, compared, within_days=days)
    except ValueError as e:
        return _unknown_pair(ctx, compared, e)
    text = findings.main_cause(table)
    note = period_notes(ctx, compared)
    if _nothing_in_either(table):
        return Section(text=text, tables={"change_sales_equal_age": table})
    text += ("\n\n" + note if note else "") + "\n\n" + _PARTS_NOTE.format(unit="sales")
    return Section(text=text, tables={"change_sales_equal_age": table}, views=[parts_view(table)])


def revenue(ctx, period_a: str = "", period_b: str = "") -> Section:
    """The change in revenue, with revenue per sale as the sales team's part too; table
    ``change_revenue``."""
    compared = pair(ctx, period_a, period_b)
    if compared is None:
        return _empty_pair(ctx)
    if not ctx.can["revenue"]:
        why = (
            "No lead is a sale yet, so there is no revenue"
            if ctx.facts["sales"] == 0
            else "The data record no revenue"
        )
        return Section(text=f"{why}: no change in revenue to split.", empty=True)
    try:
        table = _decompose(ctx, compared, measure="revenue")
    except ValueError as e:
        return _unknown_pair(ctx, compared, e)
    unit = f"revenue, {ctx.currency}" if ctx.currency else "revenue"
    figures.set_style()
    fig = time_figures.plot_waterfall(
        table, f"Revenue, {compared[0]} to {compared[1]}", f"{unit} (parts: average contribution)"
    )
    text = findings.main_cause(table)
    tables = {"change_revenue": table}
    far = ctx.outliers()
    far = far[(far["what"] == "revenue of a sale") & far["period"].isin(compared)]
    if len(far):
        text += "\n\n" + _with_and_without(ctx, compared, table, far)
        tables["change_revenue_outliers"] = far
    note = period_notes(ctx, compared)
    text += ("\n\n" + note if note else "") + "\n\n" + _PARTS_NOTE.format(unit=unit)
    return Section(text=text, tables=tables, views=[parts_view(table, unit)], figure=fig)


def _reading(table: pd.DataFrame) -> tuple:
    """What a revenue split concludes: the direction of the change, whether it is within
    chance, the part that leads and whether its interval supports it."""
    summary = table.attrs.get("intervals") or {}
    lead = summary.get("lead") or {}
    row = table[table["part"] == "change"].iloc[0]
    chance = bool(row["low"] <= 0 <= row["high"]) if pd.notna(row["low"]) else None
    return (
        float(np.sign(row["value"])),
        chance,
        lead.get("group"),
        lead.get("supported"),
    )


def _with_and_without(ctx, compared, table: pd.DataFrame, far: pd.DataFrame) -> str:
    """The revenue outliers in the compared periods, and the split without them when they
    move its reading."""
    n = len(far)
    total = float(table.loc[table["kind"] == "total", "value"].iloc[:2].sum())
    share = float(far["value"].sum() / total) if total > 0 else np.nan
    cur = f"\u00a0{ctx.currency}" if ctx.currency else ""
    listed = ", ".join(
        f"lead {r.id} ({r.period}: {fmt_money(r.value)}{cur})" for r in far.head(3).itertuples()
    )
    text = (
        f"**Far out:** {n} sale{'s' if n != 1 else ''} with a revenue far out of the "
        f"distribution of revenue per sale ({listed}{' and more' if n > 3 else ''}; the "
        f"data audit gives the rule) hold{'s' if n == 1 else ''} {fmt_share(share)} of the "
        "two periods' revenue."
    )
    ids = [str(x) for x in far["id"]]
    kept = ctx.leads.filter(~ctx.leads.lead_id.cast("string").isin(ids))
    try:
        without = period_change.decompose_periods(
            kept,
            compared[0],
            compared[1],
            period=ctx.settings.period,
            mix=mix(ctx),
            measure="revenue",
            engine=ctx.engine,
        )
    except ValueError as e:
        return text + f" Without them the periods cannot be compared: {e}."
    if _reading(without) == _reading(table):
        return text + " Without them the reading is the same."
    return text + " **Without them:** " + findings.main_cause(without)


_PART_NAMES = {
    "volume": "lead volume",
    "mix:source": "source mix",
    "mix:qualification": "qualification mix within source",
    "conversion": "conversion within cells",
}


def drivers(ctx, period_a: str = "", period_b: str = "") -> Section:
    """Which sources (and classes) drove each part: the cells' Shapley contributions;
    table ``change_contributions``."""
    compared = pair(ctx, period_a, period_b)
    if compared is None:
        return _empty_pair(ctx)
    m = mix(ctx)
    try:
        cells = period_change.period_cells(
            ctx.leads, *compared, period=ctx.settings.period, mix=m, engine=ctx.engine
        )
    except ValueError as e:
        return _unknown_pair(ctx, compared, e)
    parts = decompose.contributions(*cells, mix=m)
    by_source = parts.groupby(["source", "part"], as_index=False, sort=False)["value"].sum()
    wide = by_source.pivot(index="source", columns="part", values="value")
    wide = wide[[p for p in _PART_NAMES if p in wide.columns]]
    wide["change in sales (all parts)"] = wide.sum(axis=1)
    # the leads behind each row: one row per cell and part, so count each cell once
    cell_rows = parts[parts["part"] == "volume"].groupby("source")[["leads_a", "leads_b"]].sum()
    view = pd.DataFrame({"source": wide.index})
    view[f"leads {compared[0]}"] = cell_rows.loc[wide.index, "leads_a"].map(fmt_money).to_numpy()
    view[f"leads {compared[1]}"] = cell_rows.loc[wide.index, "leads_b"].map(fmt_money).to_numpy()
    for col in wide.columns:
        name = _PART_NAMES.get(col, col)
        view[name] = [fmt_measure(v, "sales", sign=True) for v in wide[col]]
    caption = (
        f"Change in sales from {compared[0]} to {compared[1]} by source and part: "
        "average contribution, in sales"
    )
    text = (
        "Which sources moved each part. Every figure is an average contribution, in "
        "sales (a source's share of the part); a row's parts add up to its share of the "
        "change."
    )
    return Section(text=text, tables={"change_contributions": parts}, views=[show(view, caption)])


_AT_AGE_COLUMNS = [
    "leads",
    "sales",
    "conversion",
    "aged_leads",
    "sales_within",
    "conversion_within",
    "conversion_within_low",
    "conversion_within_high",
    "young_share",
]


def maturity(ctx) -> Section:
    """How fast leads buy, cohort by cohort (Kaplan-Meier curves by month), and
    conversion by period naive and at equal age; tables ``maturity_curves`` and
    ``maturity_conversion_at_age``."""
    if not ctx.can["sale_dates"]:
        return Section(text=f"{no_sale_dates(ctx)}: time to sale is unknown.", empty=True)
    period, days = ctx.settings.period, ctx.settings.equal_age_days
    curves = survival.cohort_curves(ctx.leads, period="month", engine=ctx.engine)
    at_age = conversion_at_age(ctx.leads, period, days=days, engine=ctx.engine)
    figures.set_style()
    fig = time_figures.plot_time_to_sale(
        curves, title="Share of leads converted by days since the lead"
    )
    m = ctx.facts.get("maturity") or {}
    text = (
        f"Conversion by {period}: naive (sales so far among all leads) and at equal age "
        f"(sales within {days} days among the leads at least {days} days old on "
        f"{m.get('as_of', 'the data end')})."
    )
    out = at_age[at_age["left_out"] > 0]
    if len(out):
        undated = out[out[period] == NO_DATE]
        dated = out[out[period] != NO_DATE]
        if len(undated):
            u = int(undated["left_out"].sum())
            text += (
                f" {fmt_money(u)} lead{'s' if u != 1 else ''} without a creation date "
                f"{'are' if u != 1 else 'is'} counted in leads and sales but left out of the "
                f"time measures (aged leads, sales within {days} days, the curves)."
            )
        if len(dated):
            n = int(dated["left_out"].sum())
            where = ", ".join(
                f"{fmt_money(r.left_out)} of {getattr(r, period)}" for r in dated.itertuples()
            )
            what = f"{fmt_money(n)} dated lead{'s' if n != 1 else ''} ({where})"
            why = "; ".join(x for x in at_age.attrs.get("notes", []) if "no created_at" not in x)
            text += (
                f" {what} {'are' if n != 1 else 'is'} counted in leads and sales but left out "
                f"of the time measures" + (f": {why}." if why else ".")
            )
    young = at_age[at_age["young_leads"] > 0]
    if len(young):
        text += (
            " "
            + "; ".join(
                f"{getattr(r, period)}: {fmt_money(r.young_leads)} of "
                f"{fmt_money(r.leads - r.left_out)} timed leads "
                f"({fmt_share(r.young_share)}) are younger than {days} days"
                for r in young.itertuples()
            )
            + "."
        )
    shown = at_age[[period, *_AT_AGE_COLUMNS]].copy()
    partial = incomplete(ctx)
    shown[period] = [f"{k} ({partial[k]})" if k in partial else k for k in shown[period]]
    if partial:
        text += (
            " Not whole periods: "
            + "; ".join(f"{k} ({v})" for k, v in partial.items())
            + ": compare their conversion, not their counts."
        )
    view = show(shown)
    return Section(
        text=text,
        tables={"maturity_curves": curves, "maturity_conversion_at_age": at_age},
        views=[view],
        figure=fig,
    )
