"""The period-change page: what changed between two periods and whose part it is, the
same at equal lead age, revenue, the sources behind it, and how fast leads buy.

Also `lead_age`, the one "mind the age of the leads" caveat, which the executive
summary shows too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.base.i18n import _, fmt_date, fmt_int, language, n_
from analysis.engine.periods import NO_DATE
from analysis.insight import audit, findings
from analysis.insight.numbers import currency_sign, fmt_measure, fmt_money, fmt_share
from analysis.render import figures, time_figures
from analysis.render.sections import Section
from analysis.render.tables import show
from analysis.stats import decompose, period_change, survival
from analysis.stats.maturity import conversion_at_age
from analysis.stats.period_change import period_name

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


def _parts_note(currency: str | None = None, revenue: bool = False) -> str:
    """What the parts of a split are (of sales, or of revenue in ``currency``)."""
    if not revenue:
        return _(
            "Each part is its average contribution, in sales, over every order in which the "
            "factors can be switched from one period to the other (Shapley values), so the "
            "parts add up to the change exactly; the period totals are counts."
        )
    if currency:
        return _(
            "Each part is its average contribution, in revenue, {currency}, over every order "
            "in which the factors can be switched from one period to the other (Shapley "
            "values), so the parts add up to the change exactly; the period totals are "
            "counts.",
            currency=currency_sign(currency),
        )
    return _(
        "Each part is its average contribution, in revenue, over every order in which the "
        "factors can be switched from one period to the other (Shapley values), so the "
        "parts add up to the change exactly; the period totals are counts."
    )


def _no_sale_dates(ctx, sale: str, dates: str) -> str:
    """A section's reason for being empty without sale dates: ``sale`` when no lead is
    a sale yet, ``dates`` when the sales carry no date (each a whole sentence)."""
    return sale if ctx.facts["sales"] == 0 else dates


def _date(day: str) -> str:
    """The data's end date as the reader reads it: as written (ISO) in English, in
    words in the other languages (9 июля 2026 г.)."""
    return day if language() == "en" else fmt_date(day)


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
    """A day of the year in words: ``31 May``, «31 мая»."""
    return fmt_date(pd.Timestamp(date).date(), "d MMMM")


def _partial(ctx, row: dict) -> str:
    """'2018Q2 holds leads only until 31 May (61 of its 91 days)'."""
    start, stop = pd.Timestamp(row["start"]), pd.Timestamp(row["stop"])
    length = (stop - start).days + 1
    first, last = ctx.facts["first_lead"], ctx.facts["last_lead"]
    values = dict(period=period_name(row["period"]), covered=fmt_int(row["days_covered"]))
    if last and pd.Timestamp(last) < stop:
        return n_(
            "{period} holds leads only until {day} ({covered} of its {n} days)",
            "{period} holds leads only until {day} ({covered} of its {n} days)",
            length,
            day=_day(last),
            **values,
        )
    if first and pd.Timestamp(first) > start:
        return n_(
            "{period} holds leads only from {day} ({covered} of its {n} days)",
            "{period} holds leads only from {day} ({covered} of its {n} days)",
            length,
            day=_day(first),
            **values,
        )
    return n_(
        "{period} holds leads for part of it only ({covered} of its {n} days)",
        "{period} holds leads for part of it only ({covered} of its {n} days)",
        length,
        **values,
    )


def incomplete(ctx) -> dict[str, str]:
    """The periods the leads do not cover whole, each with the days it covers:
    ``{"2018Q2": "partial: 61 of its 91 days"}`` (``ctx.facts["periods"]``; the keys
    are the periods' codes, the words in the reader's language)."""
    out = {}
    for row in ctx.facts["periods"]:
        if not row["complete"]:
            length = (pd.Timestamp(row["stop"]) - pd.Timestamp(row["start"])).days + 1
            out[str(row["period"])] = n_(
                "partial: {covered} of its {n} days",
                "partial: {covered} of its {n} days",
                length,
                covered=fmt_int(row["days_covered"]),
            )
    return out


def period_notes(ctx, compared: tuple[str, str] | None) -> str:
    """What the reader must know about the periods compared: a compared period that the
    leads do not cover whole, and a later period left out because they do not."""
    if not compared:
        return ""
    notes = []
    unit, least = ctx.settings.period, ctx.settings.min_leads
    rows = [_period_row(ctx, key) for key in compared]
    if all(r is not None and r["complete"] for r in rows):
        names = dict(a=period_name(compared[0]), b=period_name(compared[1]))
        notes.append(
            _compared_last(unit, least, names)
            if tuple(compared) == pair(ctx)
            else _compared_asked(unit, names)
        )
    for key in compared:
        row = _period_row(ctx, key)
        if row is not None and not row["complete"]:
            notes.append(_covers_part(unit, _partial(ctx, row)))
    later = [p for p in ctx.facts["periods"] if str(p["period"]) > str(compared[1])]
    for row in later:
        if not row["complete"]:
            notes.append(_("{partial}, so it is not compared", partial=_partial(ctx, row)))
        elif row["leads"] < least:
            notes.append(
                n_(
                    "{period} has {n} leads, under {least}, so it is not compared",
                    "{period} has {n} leads, under {least}, so it is not compared",
                    row["leads"],
                    period=period_name(row["period"]),
                    least=least,
                )
            )
    if not notes:
        return ""
    text = "; ".join(notes) + "."
    return text[0].upper() + text[1:]


def _compared_last(unit: str, least: int, names: dict) -> str:
    """'Compared: 2026Q1 and 2026Q2, the last two whole quarters with at least 30 leads'."""
    if unit == "week":
        return n_(
            "Compared: {a} and {b}, the last two whole weeks with at least {n} leads",
            "Compared: {a} and {b}, the last two whole weeks with at least {n} leads",
            least,
            **names,
        )
    if unit == "month":
        return n_(
            "Compared: {a} and {b}, the last two whole months with at least {n} leads",
            "Compared: {a} and {b}, the last two whole months with at least {n} leads",
            least,
            **names,
        )
    return n_(
        "Compared: {a} and {b}, the last two whole quarters with at least {n} leads",
        "Compared: {a} and {b}, the last two whole quarters with at least {n} leads",
        least,
        **names,
    )


def _compared_asked(unit: str, names: dict) -> str:
    if unit == "week":
        return _("Compared: {a} and {b}, two whole weeks, as asked", **names)
    if unit == "month":
        return _("Compared: {a} and {b}, two whole months, as asked", **names)
    return _("Compared: {a} and {b}, two whole quarters, as asked", **names)


def _covers_part(unit: str, partial: str) -> str:
    if unit == "week":
        return _("{partial}: its lead volume covers only part of the week", partial=partial)
    if unit == "month":
        return _("{partial}: its lead volume covers only part of the month", partial=partial)
    return _("{partial}: its lead volume covers only part of the quarter", partial=partial)


def _span(low: float, high: float, measure: str) -> str:
    """An interval in a table's cell: '−95,9 to −29,2'."""
    return _(
        "{low} to {high}",
        low=fmt_measure(low, measure, sign=True),
        high=fmt_measure(high, measure, sign=True),
    )


def parts_view(table: pd.DataFrame, unit: str = "sales"):
    """A decomposition as the reader sees it: period totals as whole numbers ("about"
    where estimated), parts as average contributions with one decimal. ``unit`` names
    the totals' column: "sales", or the revenue's unit as the reader reads it."""
    measure = table.attrs.get("measure", "sales")
    mix = table.attrs.get("mix")
    estimated = dict(
        zip(("period_a", "period_b"), table.attrs.get("estimated") or (False, False), strict=True)
    )
    if unit == "sales":
        unit, contribution = _("sales"), _("average contribution, in sales")
    else:
        contribution = _("average contribution, in {unit}", unit=unit)
    rows = []
    for r in table.itertuples():
        low, high = getattr(r, "low", float("nan")), getattr(r, "high", float("nan"))
        if r.kind == "part":
            total, part = "", fmt_measure(r.value, measure, sign=True)
            share = "" if pd.isna(r.share) else f"{r.share:.0%}".replace("-", "\u2212")
            owner = "sales team" if r.owner == "sales" else r.owner
            span = "" if pd.isna(low) or pd.isna(high) else _span(low, high, measure)
            name = decompose.part_label(r.part, mix) if mix else r.label
        else:
            sign = r.part == "change"
            total = fmt_measure(round(r.value), measure, sign=sign)
            if estimated.get(r.part) or (sign and any(estimated.values())):
                total = _("about {value}", value=total)
            part, share, owner, span = "", "", "", ""
            if sign and pd.notna(low) and pd.notna(high):
                span = _span(low, high, measure)
            name = _("change") if sign else period_name(r.label)
        rows.append(
            {
                "part": name,
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
            text=_no_sale_dates(
                ctx,
                _(
                    "No lead is a sale yet: how long sales take, and so how final the "
                    "conversion of recent leads is, cannot be told."
                ),
                _(
                    "The data have no sale dates: how long sales take, and so how final the "
                    "conversion of recent leads is, cannot be told."
                ),
            ),
            empty=True,
        )
    if not m["caveat"]:
        days = m.get("young_days")
        leads = int(m["leads_measured"])
        if days is not None and np.isfinite(days):
            text = n_(
                "Mind the age of the leads: none of the {n} leads is younger than {days} "
                "days, the time within which 90% of sales close: no period's conversion is "
                "held back by the age of its leads.",
                "Mind the age of the leads: none of the {n} leads is younger than {days} "
                "days, the time within which 90% of sales close: no period's conversion is "
                "held back by the age of its leads.",
                leads,
                days=int(days),
            )
        else:
            text = n_(
                "Mind the age of the leads: none of the {n} leads is younger than the time "
                "within which 90% of sales close: no period's conversion is held back by the "
                "age of its leads.",
                "Mind the age of the leads: none of the {n} leads is younger than the time "
                "within which 90% of sales close: no period's conversion is held back by the "
                "age of its leads.",
                leads,
            )
        return Section(text=text)
    return Section(
        text=_(
            "Mind the age of the leads: {caveat} (as of {as_of}). Compare periods at equal "
            "age ({days} days): only the sales closed within that many days, at the rate of "
            "the leads at least that old.",
            caveat=m["caveat"],
            as_of=_date(m["as_of"]),
            days=ctx.settings.equal_age_days,
        )
    )


def _empty_pair(ctx) -> Section:
    s = ctx.settings
    values = dict(least=s.min_leads)
    if s.period == "week":
        text = n_(
            "Fewer than two weeks with {least} leads or more: nothing to compare.",
            "Fewer than two weeks with {least} leads or more: nothing to compare.",
            s.min_leads,
            **values,
        )
    elif s.period == "month":
        text = n_(
            "Fewer than two months with {least} leads or more: nothing to compare.",
            "Fewer than two months with {least} leads or more: nothing to compare.",
            s.min_leads,
            **values,
        )
    else:
        text = n_(
            "Fewer than two quarters with {least} leads or more: nothing to compare.",
            "Fewer than two quarters with {least} leads or more: nothing to compare.",
            s.min_leads,
            **values,
        )
    return Section(text=text, empty=True)


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
    return Section(
        text=_(
            "Cannot compare {a} with {b}: {error}.",
            a=period_name(compared[0]),
            b=period_name(compared[1]),
            error=error,
        ),
        empty=True,
    )


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
    text += ("\n\n" + note if note else "") + "\n\n" + _parts_note()
    figures.set_style()
    fig = time_figures.plot_waterfall(
        table,
        _("Sales, {a} to {b}", a=period_name(compared[0]), b=period_name(compared[1])),
        _("sales (parts: average contribution)"),
    )
    return Section(text=text, tables={"change_sales": table}, views=[parts_view(table)], figure=fig)


def equal_age(ctx, period_a: str = "", period_b: str = "") -> Section:
    """The same change at equal lead age: each cell's conversion within
    ``equal_age_days`` days among the leads that old; table ``change_sales_equal_age``."""
    if not ctx.can["sale_dates"]:
        return Section(
            text=_no_sale_dates(
                ctx,
                _("No lead is a sale yet: no comparison at equal age."),
                _("The data have no sale dates: no comparison at equal age."),
            ),
            empty=True,
        )
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
    text += ("\n\n" + note if note else "") + "\n\n" + _parts_note()
    return Section(text=text, tables={"change_sales_equal_age": table}, views=[parts_view(table)])


def revenue(ctx, period_a: str = "", period_b: str = "") -> Section:
    """The change in revenue, with revenue per sale as the sales team's part too; table
    ``change_revenue``."""
    compared = pair(ctx, period_a, period_b)
    if compared is None:
        return _empty_pair(ctx)
    if not ctx.can["revenue"]:
        text = (
            _("No lead is a sale yet, so there is no revenue: no change in revenue to split.")
            if ctx.facts["sales"] == 0
            else _("The data record no revenue: no change in revenue to split.")
        )
        return Section(text=text, empty=True)
    try:
        table = _decompose(ctx, compared, measure="revenue")
    except ValueError as e:
        return _unknown_pair(ctx, compared, e)
    unit = (
        _("revenue, {currency}", currency=currency_sign(ctx.currency))
        if ctx.currency
        else _("revenue")
    )
    figures.set_style()
    fig = time_figures.plot_waterfall(
        table,
        _("Revenue, {a} to {b}", a=period_name(compared[0]), b=period_name(compared[1])),
        _("{unit} (parts: average contribution)", unit=unit),
    )
    text = findings.main_cause(table)
    tables = {"change_revenue": table}
    far = ctx.outliers()
    far = far[(far["what"] == "revenue of a sale") & far["period"].isin(compared)]
    if len(far):
        text += "\n\n" + _with_and_without(ctx, compared, table, far)
        tables["change_revenue_outliers"] = far
    note = period_notes(ctx, compared)
    text += ("\n\n" + note if note else "") + "\n\n" + _parts_note(ctx.currency, revenue=True)
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
        _(
            "lead {id} ({period}: {value})",
            id=r.id,
            period=period_name(r.period),
            value=f"{fmt_money(r.value)}{cur}",
        )
        for r in far.head(3).itertuples()
    )
    values = dict(listed=listed, share=fmt_share(share))
    if n > 3:
        text = n_(
            "**Far out:** {n} sales with a revenue far out of the distribution of revenue "
            "per sale ({listed} and more; the data audit gives the rule) hold {share} of the "
            "two periods' revenue.",
            "**Far out:** {n} sales with a revenue far out of the distribution of revenue "
            "per sale ({listed} and more; the data audit gives the rule) hold {share} of the "
            "two periods' revenue.",
            n,
            **values,
        )
    else:
        text = n_(
            "**Far out:** {n} sale with a revenue far out of the distribution of revenue per "
            "sale ({listed}; the data audit gives the rule) holds {share} of the two "
            "periods' revenue.",
            "**Far out:** {n} sales with a revenue far out of the distribution of revenue "
            "per sale ({listed}; the data audit gives the rule) hold {share} of the two "
            "periods' revenue.",
            n,
            **values,
        )
    # the flagged sales of the two periods (the rows of ``far``) left out by the rule
    # that flagged them, with its threshold (every row carries it)
    t = ctx.leads
    cut = float(far["cut"].iloc[0])
    kept = t.filter(~audit.flagged_sales(t, cut, list(compared), ctx.settings.period))
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
        return text + " " + _("Without them the periods cannot be compared: {error}.", error=e)
    if _reading(without) == _reading(table):
        return text + " " + _("Without them the reading is the same.")
    return text + " " + _("**Without them:** {reading}", reading=findings.main_cause(without))


#: The parts of the sources' table, in this order.
_PARTS = ("volume", "mix:source", "mix:qualification", "conversion")


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
    wide = wide[[p for p in _PARTS if p in wide.columns]]
    total = "change in sales (all parts)"
    wide[total] = wide.sum(axis=1)
    # the leads behind each row: one row per cell and part, so count each cell once
    cell_rows = parts[parts["part"] == "volume"].groupby("source")[["leads_a", "leads_b"]].sum()
    view = pd.DataFrame({"source": wide.index})
    for key, column in zip(compared, ("leads_a", "leads_b"), strict=True):
        name = _("leads {period}", period=period_name(key))
        view[name] = cell_rows.loc[wide.index, column].map(fmt_money).to_numpy()
    for col in wide.columns:
        name = col if col == total else decompose.part_label(col, m)
        view[name] = [fmt_measure(v, "sales", sign=True) for v in wide[col]]
    caption = _(
        "Change in sales from {a} to {b} by source and part: average contribution, in sales",
        a=period_name(compared[0]),
        b=period_name(compared[1]),
    )
    text = _(
        "Which sources moved each part. Every figure is an average contribution, in "
        "sales (a source's share of the part); a row's parts add up to its share of the "
        "change."
    )
    return Section(text=text, tables={"change_contributions": parts}, views=[show(view, caption)])


def _conversion_by(unit: str, days: int, as_of: str) -> str:
    """What the table of conversion by period shows (naive and at equal age)."""
    values = dict(days=days, as_of=as_of)
    if unit == "week":
        return _(
            "Conversion by week: naive (sales so far among all leads) and at equal age "
            "(sales within {days} days among the leads at least {days} days old on {as_of}).",
            **values,
        )
    if unit == "month":
        return _(
            "Conversion by month: naive (sales so far among all leads) and at equal age "
            "(sales within {days} days among the leads at least {days} days old on {as_of}).",
            **values,
        )
    return _(
        "Conversion by quarter: naive (sales so far among all leads) and at equal age "
        "(sales within {days} days among the leads at least {days} days old on {as_of}).",
        **values,
    )


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
        return Section(
            text=_no_sale_dates(
                ctx,
                _("No lead is a sale yet: time to sale is unknown."),
                _("The data have no sale dates: time to sale is unknown."),
            ),
            empty=True,
        )
    period, days = ctx.settings.period, ctx.settings.equal_age_days
    curves = survival.cohort_curves(ctx.leads, period="month", engine=ctx.engine)
    at_age = conversion_at_age(ctx.leads, period, days=days, engine=ctx.engine)
    figures.set_style()
    fig = time_figures.plot_time_to_sale(
        curves, title=_("Share of leads converted by days since the lead")
    )
    m = ctx.facts.get("maturity") or {}
    text = _conversion_by(period, days, _date(m["as_of"]) if "as_of" in m else _("the data end"))
    out = at_age[at_age["left_out"] > 0]
    if len(out):
        undated = out[out[period] == NO_DATE]
        dated = out[out[period] != NO_DATE]
        if len(undated):
            u = int(undated["left_out"].sum())
            text += " " + n_(
                "{n} lead without a creation date is counted in leads and sales but left out "
                "of the time measures (aged leads, sales within {days} days, the curves).",
                "{n} leads without a creation date are counted in leads and sales but left "
                "out of the time measures (aged leads, sales within {days} days, the curves).",
                u,
                days=days,
            )
        if len(dated):
            n = int(dated["left_out"].sum())
            where = ", ".join(
                _(
                    "{count} of {period}",
                    count=fmt_money(r.left_out),
                    period=period_name(getattr(r, period)),
                )
                for r in dated.itertuples()
            )
            # why, but for the leads without a creation date (said above); by cause, as
            # the notes are in the reader's language
            causes = at_age.attrs.get("notes_by_cause")
            if causes is None:
                notes = [x for x in at_age.attrs.get("notes", []) if "no created_at" not in x]
            else:
                notes = [x for k, x in causes.items() if k != "no_created_at"]
            why = "; ".join(notes)
            if why:
                text += " " + n_(
                    "{n} dated lead ({where}) is counted in leads and sales but left out of "
                    "the time measures: {why}.",
                    "{n} dated leads ({where}) are counted in leads and sales but left out of "
                    "the time measures: {why}.",
                    n,
                    where=where,
                    why=why,
                )
            else:
                text += " " + n_(
                    "{n} dated lead ({where}) is counted in leads and sales but left out of "
                    "the time measures.",
                    "{n} dated leads ({where}) are counted in leads and sales but left out of "
                    "the time measures.",
                    n,
                    where=where,
                )
    young = at_age[at_age["young_leads"] > 0]
    if len(young):
        text += (
            " "
            + "; ".join(
                n_(
                    "{period}: {young} of {n} timed leads ({share}) are younger than {days} days",
                    "{period}: {young} of {n} timed leads ({share}) are younger than {days} days",
                    int(r.leads - r.left_out),
                    period=period_name(getattr(r, period)),
                    young=fmt_money(r.young_leads),
                    share=fmt_share(r.young_share),
                    days=days,
                )
                for r in young.itertuples()
            )
            + "."
        )
    shown = at_age[[period, *_AT_AGE_COLUMNS]].copy()
    partial = incomplete(ctx)
    shown[period] = [
        f"{period_name(k)} ({partial[k]})" if k in partial else period_name(k)
        for k in shown[period]
    ]
    if partial:
        text += " " + _(
            "Not whole periods: {periods}: compare their conversion, not their counts.",
            periods="; ".join(f"{period_name(k)} ({v})" for k, v in partial.items()),
        )
    view = show(shown)
    return Section(
        text=text,
        tables={"maturity_curves": curves, "maturity_conversion_at_age": at_age},
        views=[view],
        figure=fig,
    )
