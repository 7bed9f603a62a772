"""Figures over time: leads, sales and spend per week, the waterfall of a change from
one period to the next, and the time-to-sale curves. The look and the helpers are those
of `analysis.render.figures`.
"""

from __future__ import annotations

import textwrap

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from analysis.base.i18n import N_, _, fmt_int, language, n_
from analysis.engine.cells import TIME_DIMENSIONS
from analysis.insight.numbers import currency_sign, fmt_measure
from analysis.render.figures import count_text, thousands_axis
from analysis.stats.decompose import part_label
from analysis.stats.period_change import period_name
from analysis.stats.survival import as_list, curve_keys, groups

__all__ = ["plot_weekly", "plot_waterfall", "plot_time_to_sale"]

#: The time dimensions as a legend's title names them (looked up when shown).
_DIMENSIONS = (N_("week"), N_("month"), N_("quarter"))


def plot_weekly(weekly: pd.DataFrame, currency: str | None = None) -> plt.Figure:
    """Leads and sales per week, and spend per week where there is spend data."""
    has_spend = weekly["spend"].notna().any()
    fig, axes = plt.subplots(
        2 if has_spend else 1, 1, figsize=(10, 6 if has_spend else 3.5), sharex=True, squeeze=False
    )
    x = pd.to_datetime(weekly["week"])
    ax = axes[0, 0]
    ax.bar(x, weekly["leads"], width=6, color="#6baed6", label=_("leads"))
    ax.bar(x, weekly["sales"], width=6, color="#d7301f", label=_("sales"))
    ax.set_ylabel(_("per week"))
    ax.set_title(
        _(
            "Leads and sales per week ({leads} leads, {sales} sales)",
            leads=count_text(weekly["leads"].sum()),
            sales=count_text(weekly["sales"].sum()),
        )
    )
    ax.legend(loc="upper left")
    if has_spend:
        ax = axes[1, 0]
        ax.bar(x, weekly["spend"], width=6, color="#969696")
        ax.set_ylabel(
            _("spend per week, {currency}", currency=currency_sign(currency))
            if currency
            else _("spend per week")
        )
        thousands_axis(ax)
        ax.set_title(_("Ad spend per week"))
    axes[-1, 0].set_xlabel(_("week (Monday)"))
    if language() != "en":  # dates as the language writes them: 03.2026, 30.03.2026
        locator = mdates.AutoDateLocator()
        formatter = mdates.AutoDateFormatter(locator)
        formatter.scaled = {365.0: "%Y", 30.0: "%m.%Y", 1.0: "%d.%m.%Y", 1 / 24: "%d.%m.%Y %H:%M"}
        axes[-1, 0].xaxis.set_major_locator(locator)
        axes[-1, 0].xaxis.set_major_formatter(formatter)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


_WATERFALL_COLORS = {"marketing": "#2b8cbe", "sales": "#d7301f", "": "#7f7f7f"}


def plot_waterfall(table: pd.DataFrame, title: str, unit: str) -> plt.Figure:
    """A waterfall from period A's total through each part to period B's total.

    Part bars float from the running total, coloured by owner (marketing, the sales
    team); every bar is labelled with its value, and the totals with the period. A part
    with an interval (``low``, ``high`` from `decompose`) has a whisker from the running
    total plus ``low`` to plus ``high``.

    Parameters
    ----------
    table : DataFrame
        From `decompose` or `decompose_periods`.
    title : str
        The figure's title.
    unit : str
        The unit of the measure, for the axis ("sales", "revenue, RUB").

    Returns
    -------
    matplotlib Figure

    Examples
    --------
    >>> fig = plot_waterfall(decompose_periods(ds.leads, "2026Q1", "2026Q2"),
    ...                      "Why sales fell", "sales")  # doctest: +SKIP
    """
    if not isinstance(table, pd.DataFrame) or not {"part", "kind", "value"} <= set(table.columns):
        raise ValueError("plot_waterfall takes the table from decompose or decompose_periods")
    measure = table.attrs.get("measure", "sales")
    labels = table.attrs.get("labels", ("A", "B"))
    totals = table[table["kind"] == "total"].set_index("part")["value"]
    parts = table[table["kind"] == "part"].reset_index(drop=True)
    mix = table.attrs.get("mix")
    shown = [
        part_label(p, mix) if mix else _(str(label))
        for p, label in zip(parts["part"], parts["label"], strict=True)
    ]
    names = [period_name(labels[0]), *shown, period_name(labels[1])]
    values = [totals["period_a"], *parts["value"], totals["period_b"]]
    owners = ["", *parts["owner"], ""]
    bottoms, heights = [], []
    running = totals["period_a"]
    bottoms.append(0.0)
    heights.append(totals["period_a"])
    for v in parts["value"]:
        bottoms.append(running if v >= 0 else running + v)
        heights.append(abs(v))
        running += v
    bottoms.append(0.0)
    heights.append(totals["period_b"])

    fig, ax = plt.subplots(figsize=(1.5 * len(names) + 2, 4.5))
    x = np.arange(len(names))
    colors = [_WATERFALL_COLORS[o] for o in owners]
    ax.bar(x, heights, bottom=bottoms, color=colors, width=0.6)
    levels = list(np.cumsum([totals["period_a"], *parts["value"]])) + [totals["period_b"]]
    for i in range(len(names) - 1):  # connectors from each bar's end to the next bar
        ax.plot([i + 0.3, i + 0.7], [levels[i], levels[i]], color="#999999", lw=0.8)
    # each part's interval, as a whisker on the level its bar ends at
    spans = []
    if {"low", "high"} <= set(parts.columns):
        for i, r in enumerate(parts.itertuples(), start=1):
            if pd.notna(r.low) and pd.notna(r.high):
                start = levels[i - 1]
                # from low to high about their middle: a draw-based interval need not
                # hold the point value (no sale in a cell: its rate drawn above 0)
                ax.errorbar(
                    i + 0.18,  # beside the bar's label
                    start + (r.low + r.high) / 2,
                    yerr=(r.high - r.low) / 2,
                    color="black",
                    capsize=4,
                    lw=1,
                )
                spans += [start + r.low, start + r.high]
    for i, (v, bot, h) in enumerate(zip(values, bottoms, heights, strict=True)):
        is_part = 0 < i < len(names) - 1
        ax.annotate(
            fmt_measure(v, measure, sign=is_part),
            (i, bot + h),
            ha="center",
            va="bottom",
            fontsize=9,
            xytext=(0, 2),
            textcoords="offset points",
        )
    ax.set_xticks(x, [_broken(n) for n in names], fontsize=9)
    ax.set_ylabel(unit)
    top = max(max(b + h for b, h in zip(bottoms, heights, strict=True)), *spans, 1.0)
    ax.set_ylim(min(min(bottoms), *spans, 0.0) * 1.15, top * 1.15)
    thousands_axis(ax)
    ax.legend(
        handles=[
            Patch(color=_WATERFALL_COLORS["marketing"], label=_("marketing (volume, mix)")),
            Patch(
                color=_WATERFALL_COLORS["sales"],
                label=_("sales team (conversion, revenue per sale)"),
            ),
            Patch(color=_WATERFALL_COLORS[""], label=_("period total")),
            *(
                [plt.Line2D([], [], color="black", marker="|", lw=1, label=_("95% interval"))]
                if spans
                else []
            ),
        ],
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        fontsize=8,
        frameon=False,
    )
    ax.set_title(title)
    fig.tight_layout()
    return fig


def _broken(name: str) -> str:
    """A bar's name on lines that fit under the bar: in English on two lines before its
    "within" (the mix within a source); in other languages, whose names run longer,
    wrapped at 16 characters."""
    if language() == "en":
        return name.replace(" within ", "\nwithin ")
    return textwrap.fill(name, width=16, break_long_words=False)


def _legend_count(count: int) -> str:
    """A count in a curve's legend: as the English legend has always written it
    (``2,015``), and as the page writes counts in the other languages (``2 015``)."""
    return f"{count:,}" if language() == "en" else fmt_int(count)


def plot_time_to_sale(
    curves: pd.DataFrame,
    group: str | list[str] | None = None,
    title: str | None = None,
    *,
    max_groups: int = 8,
    max_day: int | None = None,
) -> plt.Figure:
    """Step curves of the share of leads converted by day since the lead, one per group,
    with interval bands; the legend gives each group's leads and sales.

    ``curves`` is a `time_to_sale` table; ``group`` the column(s) that tell the curves
    apart (all its group columns by default). Only the ``max_groups`` groups with most
    leads are drawn; the title ("Time to sale" by default) says so when some are left
    out.

    Examples
    --------
    >>> fig = plot_time_to_sale(time_to_sale(ds.leads, "source"), "source")  # doctest: +SKIP
    """
    title = _("Time to sale") if title is None else title
    keys = curve_keys(curves)
    group = keys if group is None else as_list(group)
    if sorted(group) != sorted(keys):
        raise ValueError(
            f"the curves are grouped by {keys}, not {group}: pass group={keys!r} or make "
            "the curves with that grouping"
        )
    sizes = []
    for name, g in groups(curves, keys):
        sizes.append((int(g["at_risk"].iloc[0]), int(g["sales"].sum()), name, g))
    if not sizes:
        raise ValueError("the time-to-sale table is empty: no curve to draw")
    sizes.sort(key=lambda s: -s[0])
    shown = sizes[:max_groups]
    if set(keys) & set(TIME_DIMENSIONS):
        shown.sort(key=lambda s: s[2])  # cohorts in time order
    level = curves.attrs.get("level", 0.95)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    colors = sns.color_palette(n_colors=max(len(shown), 1))
    for (n, k, name, g), color in zip(shown, colors, strict=False):
        if max_day is not None:
            g = g[g["day"] <= max_day]
        x = np.concatenate([[0], g["day"].to_numpy()])
        y = np.concatenate([[0.0], g["converted_share"].to_numpy()])
        lo = np.concatenate([[0.0], g["low"].to_numpy()])
        hi = np.concatenate([[0.0], g["high"].to_numpy()])
        label = " / ".join(map(period_name, name if isinstance(name, tuple) else (name,)))
        counts = dict(leads=_legend_count(n), sales=_legend_count(k))
        label = (
            n_(
                "{group} (n = {leads}, {sales} sale)",
                "{group} (n = {leads}, {sales} sales)",
                k,
                group=label,
                **counts,
            )
            if keys
            else n_(
                "all leads (n = {leads}, {sales} sale)",
                "all leads (n = {leads}, {sales} sales)",
                k,
                **counts,
            )
        )
        ax.step(x, y, where="post", color=color, label=label)
        ax.fill_between(x, lo, hi, step="post", color=color, alpha=0.15, linewidth=0)
    ax.yaxis.set_major_locator(MaxNLocator(steps=[1, 2, 5, 10]))
    comma = language() != "en"  # a decimal comma
    ax.yaxis.set_major_formatter(
        FuncFormatter(
            lambda v, _pos: f"{100 * v:.3g}%".replace(".", ",") if comma else f"{100 * v:.3g}%"
        )
    )
    ax.set_xlabel(_("days since the lead"))
    ax.set_ylabel(_("leads converted, cumulative share"))
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    if len(sizes) > len(shown):
        title = n_(
            "{title} ({shown} largest of {n} group)",
            "{title} ({shown} largest of {n} groups)",
            len(sizes),
            title=title,
            shown=len(shown),
        )
    ax.set_title(title)
    # beside the plot, not over the curves
    ax.legend(
        title=" / ".join(_(k) for k in keys) if keys else None,
        fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
    )
    fig.text(
        0.99,
        0.01,
        _("Kaplan-Meier; bands: {level} interval (Greenwood, log-log)", level=f"{level:.0%}"),
        ha="right",
        va="bottom",
        fontsize=8,
        color="0.4",
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig
