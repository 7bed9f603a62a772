"""Figures for the reports (seaborn on matplotlib). Every figure has a title, units
and the counts behind what it shows; every rate is drawn with its interval.

Each function takes a tidy table from `funnel`, `audit` or the models and returns the
matplotlib ``Figure``; the notebook shows it with ``plt.show()``. This module also holds
the one look of every figure (`set_style`) and the helpers the figures over time
(`analysis.render.time_figures`) share.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from analysis.base.i18n import N_, _, n_
from analysis.insight.numbers import currency_sign
from analysis.render.tables import header_label, value_label

__all__ = [
    "QUALIFICATION_COLORS",
    "set_style",
    "count_text",
    "money_suffix",
    "thousands_axis",
    "plot_cpl_vs_cac",
    "plot_cost_ranks",
    "plot_qualification_mix",
    "plot_conversion",
    "plot_attribution",
    "plot_rate_heatmap",
    "plot_forest",
    "plot_quality_shares",
    "plot_managers",
]

QUALIFICATION_COLORS = {
    "hot": "#d7301f",
    "warm": "#fc8d59",
    "cold": "#6baed6",
    "unknown": "#bdbdbd",
}


def _point_ranges(ax, value, low, high, y, **kw):
    """Horizontal point estimates with their intervals, one per row ``y``."""
    style = {"fmt": "o", "color": "#2b8cbe", "ecolor": "#999999", "capsize": 4} | kw
    value, low, high = (np.asarray(v, dtype=float) for v in (value, low, high))
    # an interval that ends at its estimate can come out a rounding error past it
    # (1 - 1.0000000000000002 when every lead is a sale): matplotlib refuses that
    below = np.clip(value - low, 0, None)
    above = np.clip(high - value, 0, None)
    return ax.errorbar(value, y, xerr=[below, above], **style)


def thousands_axis(ax, axis: str = "y") -> None:
    """Tick labels of the ``axis`` ("y" or "x") in whole numbers with thin-space
    thousands."""
    fmt = plt.FuncFormatter(lambda v, _: f"{v:,.0f}".replace(",", "\u202f"))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def set_style() -> None:
    """One look for every figure: seaborn's whitegrid, readable sizes."""
    sns.set_theme(style="whitegrid", context="notebook")
    plt.rcParams.update({"figure.dpi": 96, "axes.titleweight": "bold", "figure.autolayout": False})


def money_suffix(currency: str | None) -> str:
    """``", RUB"`` (``", ₽"`` in Russian) for an axis label in a currency; "" without
    one."""
    return f", {currency_sign(currency)}" if currency else ""


def count_text(count) -> str:
    """A count with thin-space thousands, as in the tables and text: ``2 730``."""
    return f"{int(count):,}".replace(",", "\u202f")


def _fmt(v: float) -> str:
    if not np.isfinite(v):
        return _("n/a")
    return f"{v:,.0f}".replace(",", "\u202f")


#: The periods a report is cut by, as an axis names them.
_PERIOD_NAMES = {"week": N_("week"), "month": N_("month"), "quarter": N_("quarter")}


def _period_name(period: str) -> str:
    """A period's name (``quarter``) in the reader's language."""
    return _(_PERIOD_NAMES[period]) if period in _PERIOD_NAMES else header_label(period)


def _periods(period: str, k: int) -> str:
    """``2 quarters``, ``5 weeks``, in the reader's language."""
    if period == "week":
        return n_("{n} week", "{n} weeks", k)
    if period == "month":
        return n_("{n} month", "{n} months", k)
    if period == "quarter":
        return n_("{n} quarter", "{n} quarters", k)
    return n_("{n} period", "{n} periods", k)


#: Above this many periods, costs over time are lines with a band, not labelled bars.
MANY_PERIODS = 16


def plot_cpl_vs_cac(table: pd.DataFrame, period: str, currency: str | None = None) -> plt.Figure:
    """Cost per lead next to cost per sale, per period: the contradiction in one picture.

    ``table`` is `funnel.unit_economics` grouped by ``period``; cost per sale is drawn
    with its interval (from the conversion interval). Up to `MANY_PERIODS` periods are
    bars, each labelled with its value and count; more (weeks over years) are lines, the
    interval a band, every few periods named on the axis, and the counts in the titles.
    """
    t = table.dropna(subset=["cpl"]).reset_index(drop=True)
    many = len(t) > MANY_PERIODS
    width = 12 if many else min(18, max(10, 1.8 * len(t) + 2))
    fig, axes = plt.subplots(1, 2, figsize=(width, 4.5 if many else 4))
    x = np.arange(len(t))
    cac = t["cac"].to_numpy(dtype=float)
    low = t["cac_low"].to_numpy(dtype=float)
    high = t["cac_high"].to_numpy(dtype=float)
    if many:
        _costs_as_lines(axes, t, x, cac, low, high)
    else:
        _costs_as_bars(axes, t, x, cac, low, high)
    paid_leads = count_text(t["paid_leads"].sum())
    paid_sales = count_text(t["paid_sales"].sum())
    suffix = money_suffix(currency)
    axes[0].set_title(_("Cost per lead ({leads} paid leads)", leads=paid_leads))
    axes[0].set_ylabel(_("spend / paid leads{currency}", currency=suffix))
    axes[1].set_title(_("Cost per sale, 95% interval ({sales} sales)", sales=paid_sales))
    axes[1].set_ylabel(_("spend / sales{currency}", currency=suffix))
    names = t[period].astype(str).tolist()
    step = max(1, int(np.ceil(len(t) / 12))) if many else 1
    name = _period_name(period)
    for ax in axes:
        thousands_axis(ax)
        ax.set_xticks(
            x[::step], names[::step], rotation=45 if many else 0, ha="right" if many else "center"
        )
        ax.set_xlabel(
            _("{period} (one in {step} named)", period=name, step=step) if step > 1 else name
        )
        ax.margins(y=0.25)
        ax.set_ylim(bottom=0)
    fig.suptitle(
        _(
            "Leads got cheaper; did sales? ({leads} paid leads, {sales} sales, {periods})",
            leads=paid_leads,
            sales=paid_sales,
            periods=_periods(period, len(t)),
        ),
        fontsize=13,
    )
    fig.tight_layout()
    return fig


def _costs_as_bars(axes, t, x, cac, low, high) -> None:
    size = 9 if len(t) <= 8 else 8
    ax = axes[0]
    ax.bar(x, t["cpl"], color="#6baed6")
    for i, r in t.iterrows():
        ax.annotate(
            n_(
                "{cost}\n{n} paid lead",
                "{cost}\n{n} paid leads",
                r["paid_leads"],
                cost=_fmt(r["cpl"]),
            ),
            (i, r["cpl"]),
            ha="center",
            va="bottom",
            fontsize=size,
        )
    ax = axes[1]
    lo = np.clip(np.nan_to_num(cac - low), 0, None)
    hi = np.clip(np.nan_to_num(high - cac, posinf=0), 0, None)
    ax.bar(x, np.nan_to_num(cac), color="#d7301f", yerr=[lo, hi], capsize=6)
    for i, r in t.iterrows():
        if not np.isfinite(r["cac"]):  # no sale: no bar, and say so
            ax.annotate(
                n_("no sale\n{n} paid lead", "no sale\n{n} paid leads", r["paid_leads"]),
                (i, 0),
                ha="center",
                va="bottom",
                fontsize=size,
                color="#555555",
            )
            continue
        top = r["cac_high"] if np.isfinite(r["cac_high"]) else r["cac"]
        ax.annotate(  # above the interval, so the label never sits on the error bar
            n_("{cost}\n{n} sale", "{cost}\n{n} sales", r["paid_sales"], cost=_fmt(r["cac"])),
            (i, top),
            ha="center",
            va="bottom",
            fontsize=size,
            xytext=(0, 3),
            textcoords="offset points",
        )


def _costs_as_lines(axes, t, x, cac, low, high) -> None:
    axes[0].plot(x, t["cpl"], color="#2b8cbe", marker="o", ms=3, lw=1.2)
    ax = axes[1]
    ok = np.isfinite(cac)
    ax.errorbar(
        x[ok],
        cac[ok],
        yerr=[np.clip(cac[ok] - low[ok], 0, None), np.clip(high[ok] - cac[ok], 0, None)],
        fmt="none",
        ecolor="#fc9272",
        elinewidth=0.8,
    )
    ax.plot(x, np.where(ok, cac, np.nan), color="#d7301f", marker="o", ms=3, lw=1.2)
    if (~ok).any():
        ax.text(
            0.01,
            0.99,
            n_(
                "{k} of {n} period without a sale (no cost per sale)",
                "{k} of {n} periods without a sale (no cost per sale)",
                len(t),
                k=count_text((~ok).sum()),
            ),
            transform=ax.transAxes,
            va="top",
            fontsize=8,
            color="#555555",
        )


#: Where a point's label may go, tried in order (offset in points, alignment).
_LABEL_SPOTS = (
    ((6, 4), "left", "bottom"),
    ((6, -4), "left", "top"),
    ((-6, 4), "right", "bottom"),
    ((-6, -4), "right", "top"),
    ((6, 22), "left", "bottom"),
    ((6, -22), "left", "top"),
    ((-6, 22), "right", "bottom"),
    ((-6, -22), "right", "top"),
)


def _label_points(ax, t: pd.DataFrame, label: str) -> None:
    """Label each point of a cost scatter with its name and counts, moving a label to
    another side of its point where it would cover a label placed before it (or leave
    the axes). Call it once the axes have their final limits and layout."""
    if t.empty:
        return
    scale = ax.figure.dpi / 72  # points to display pixels
    x0a, y0a, x1a, y1a = ax.get_window_extent().extents
    placed: list[tuple[float, float, float, float]] = []
    for _i, r in t.sort_values("cac", ascending=False).iterrows():
        text = _(
            "{name}\n{leads} leads, {sales} sales",
            name=r[label],
            leads=count_text(r["paid_leads"]),
            sales=count_text(r["paid_sales"]),
        )
        px, py = ax.transData.transform((r["cpl"], r["cac"]))
        w = (4.7 * max(len(line) for line in text.splitlines()) + 4) * scale
        h = 24.0 * scale
        options = []
        for spot in _LABEL_SPOTS:
            (dx, dy), ha, va = spot
            bx = px + dx * scale - (w if ha == "right" else 0)
            by = py + dy * scale - (h if va == "top" else 0)
            rect = (bx, by, bx + w, by + h)
            inside = rect[0] >= x0a and rect[2] <= x1a and rect[1] >= y0a and rect[3] <= y1a
            clear = all(
                rect[2] <= o[0] or rect[0] >= o[2] or rect[3] <= o[1] or rect[1] >= o[3]
                for o in placed
            )
            options.append((not clear, not inside, spot, rect))
        # the first spot that is clear and inside; else clear; else the first
        *_flags, spot, rect = min(options, key=lambda o: (o[0], o[1]))
        placed.append(rect)
        (dx, dy), ha, va = spot
        ax.annotate(
            text,
            (r["cpl"], r["cac"]),
            fontsize=8,
            xytext=(dx, dy),
            textcoords="offset points",
            ha=ha,
            va=va,
        )


def plot_cost_ranks(table: pd.DataFrame, label: str, currency: str | None = None) -> plt.Figure:
    """Each campaign's cost per lead (x) against its cost per sale (y, with interval).

    Points are sized by leads; a campaign cheap on x and dear on y brings cheap leads
    that do not buy.
    """
    t = table.dropna(subset=["cpl"]).reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(9, 6))
    has_cac = t["cac"].notna()
    tc = t[has_cac]
    yerr = [
        np.clip(tc["cac"] - tc["cac_low"], 0, None),
        np.clip(np.nan_to_num(tc["cac_high"] - tc["cac"], posinf=0), 0, None),
    ]
    ax.errorbar(tc["cpl"], tc["cac"], yerr=yerr, fmt="none", ecolor="#999999", capsize=4)
    sns.scatterplot(
        data=tc,
        x="cpl",
        y="cac",
        size="leads",
        sizes=(40, 400),
        ax=ax,
        color="#d7301f",
        legend="brief",
    )
    no_sale = t[~has_cac]
    if len(no_sale):
        rows = ", ".join(
            _("{name} ({leads} leads)", name=r[label], leads=count_text(r["paid_leads"]))
            for _i, r in no_sale.iterrows()
        )
        ax.text(
            0.01,
            0.99,
            _("No sales yet (cost per sale unknown): {rows}", rows=rows),
            transform=ax.transAxes,
            va="top",
            fontsize=8,
            wrap=True,
        )
    ax.set_xlabel(_("cost per lead{currency}", currency=money_suffix(currency)))
    ax.set_ylabel(_("cost per sale{currency} (95% interval)", currency=money_suffix(currency)))
    # the lesson as a title only where two rows or more have enough leads and sales to
    # be read; otherwise the title names the variables, not a verdict
    readable = int((t["data"] == "enough").sum()) if "data" in t.columns else len(tc)
    counts = {
        "leads": count_text(t["paid_leads"].sum()),
        "sales": count_text(t["paid_sales"].sum()),
    }
    ax.set_title(
        _("Cheap leads are not cheap sales ({leads} paid leads, {sales} sales)", **counts)
        if readable >= 2
        else _(
            "Cost per lead against cost per sale (too few sales to compare) "
            "({leads} paid leads, {sales} sales)",
            **counts,
        )
    )
    thousands_axis(ax)
    thousands_axis(ax, "x")
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)
    if len(tc):  # no point, no legend (matplotlib warns on a legend of nothing)
        ax.legend(title=_("leads"), loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    finite = tc["cac_high"].where(np.isfinite(tc["cac_high"]), tc["cac"])
    if len(tc):  # room on the right and at the top for the labels
        ax.set_xlim(0, float(t["cpl"].max()) * 1.3)
        ax.set_ylim(0, float(max(finite.max(), tc["cac"].max())) * 1.08)
    fig.tight_layout()
    _label_points(ax, tc, label)
    return fig


def plot_qualification_mix(table: pd.DataFrame, label: str) -> plt.Figure:
    """Stacked shares of hot / warm / cold / unqualified leads per row, with its count."""
    t = table.reset_index(drop=True)
    shares = pd.DataFrame(
        {c: t[c] / t["leads"].where(t["leads"] > 0) for c in QUALIFICATION_COLORS}
    )
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(t) + 1.5))
    left = np.zeros(len(t))
    y = np.arange(len(t))
    for cls, color in QUALIFICATION_COLORS.items():
        ax.barh(y, shares[cls].fillna(0), left=left, color=color, label=value_label(cls))
        left += shares[cls].fillna(0).to_numpy()
    ax.set_yticks(y, [f"{r[label]} (n={count_text(r['leads'])})" for _i, r in t.iterrows()])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel(_("share of leads"))
    ax.set_title(_("Lead qualification mix ({leads} leads)", leads=count_text(t["leads"].sum())))
    ax.legend(
        ncols=4,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12 if len(t) > 3 else -0.25),
        frameon=False,
    )
    fig.tight_layout()
    return fig


def plot_conversion(table: pd.DataFrame, label: str) -> plt.Figure:
    """Conversion to sale per row with its 95% Wilson interval and counts."""
    t = table.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(t) + 1.5))
    y = np.arange(len(t))
    _point_ranges(ax, t["conversion"], t["conversion_low"], t["conversion_high"], y)
    ax.set_yticks(
        y,
        [
            f"{r[label]} ({count_text(r['sales'])}/{count_text(r['leads'])})"
            for _i, r in t.iterrows()
        ],
    )
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlim(left=0)
    ax.set_xlabel(_("conversion to sale (sales / leads), 95% interval"))
    ax.set_title(
        n_(
            "Conversion to sale ({sales} sales of {n} lead)",
            "Conversion to sale ({sales} sales of {n} leads)",
            t["leads"].sum(),
            sales=count_text(t["sales"].sum()),
        )
    )
    fig.tight_layout()
    return fig


def plot_attribution(coverage: pd.DataFrame) -> plt.Figure:
    """Share of leads whose source each source of attribution supplied."""
    t = coverage.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(t) + 1.5))
    y = np.arange(len(t))
    ax.barh(y, t["share"], color="#74a9cf")  # a census of the leads: no interval needed
    # the ways of attribution are the kit's words, marked for the catalogue where named
    ax.set_yticks(y, [f"{_(str(r['how']))} (n={count_text(r['leads'])})" for _i, r in t.iterrows()])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel(n_("share of {n} lead", "share of {n} leads", int(t["leads"].sum())))
    ax.set_title(_("Where each lead's source came from"))
    fig.tight_layout()
    return fig


def plot_rate_heatmap(table: pd.DataFrame, rows: str, cols: str) -> plt.Figure:
    """Conversion per ``rows`` x ``cols`` cell, each annotated with its rate and leads.

    ``table`` is `models.rates_within` output (``conversion``, ``leads``, ``sales``); cells
    with fewer than 30 leads are grey, out of the colour scale, and still show their rate
    and counts, marked "few leads". The scale runs from 0 to the highest coloured rate.
    """
    t = table[table[rows] != "all"] if rows in table else table
    rate = t.pivot(index=rows, columns=cols, values="conversion")
    leads = t.pivot(index=rows, columns=cols, values="leads").reindex_like(rate)
    sales = t.pivot(index=rows, columns=cols, values="sales").reindex_like(rate)
    shown = rate.where(leads >= 30)
    coloured = shown.to_numpy(dtype=float)
    # the scale is given, not computed: with no cell of 30 leads there is nothing to
    # compute it from (and a single rate would make a scale of width 0)
    top = float(np.nanmax(coloured)) if np.isfinite(coloured).any() else 0.0
    vmax = top if top > 0 else 1.0
    fig, ax = plt.subplots(figsize=(1.3 * len(rate.columns) + 3, 0.7 * len(rate.index) + 2))
    cmap = plt.get_cmap("YlOrRd")
    sns.heatmap(
        shown,
        annot=False,
        cmap=cmap,
        vmin=0.0,
        vmax=vmax,
        ax=ax,
        cbar_kws={"label": _("conversion"), "format": plt.FuncFormatter(lambda v, _: f"{v:.0%}")},
        linewidths=0.5,
        linecolor="white",
    )
    # the labels are drawn here, not by seaborn, which leaves grey (masked) cells blank
    for i, row in enumerate(rate.index):
        for j, col in enumerate(rate.columns):
            n = leads.loc[row, col]
            if pd.isna(n):
                continue
            few = n < 30
            value = rate.loc[row, col]
            lines = [f"{value:.0%}" if pd.notna(value) else _("n/a")]
            lines.append(f"{int(sales.loc[row, col])}/{int(n)}")
            if few:
                lines.append(_("few leads"))
            text = "\n".join(lines)
            dark = not few and sns.utils.relative_luminance(cmap(value / vmax)) < 0.408
            ax.text(
                j + 0.5,
                i + 0.5,
                text,
                ha="center",
                va="center",
                fontsize=8,
                color="white" if dark else "#333333",
            )
    ax.set_facecolor("#eeeeee")
    counts = {"sales": count_text(np.nansum(sales.to_numpy()))}
    total = int(np.nansum(leads.to_numpy()))
    if (rows, cols) == ("segment", "source"):
        title = n_(
            "Conversion by segment and source\n{sales} sales of {n} lead "
            "(sales / leads; grey: under 30 leads)",
            "Conversion by segment and source\n{sales} sales of {n} leads "
            "(sales / leads; grey: under 30 leads)",
            total,
            **counts,
        )
    else:
        title = n_(
            "Conversion by {rows} and {cols}\n{sales} sales of {n} lead "
            "(sales / leads; grey: under 30 leads)",
            "Conversion by {rows} and {cols}\n{sales} sales of {n} leads "
            "(sales / leads; grey: under 30 leads)",
            total,
            rows=header_label(rows),
            cols=header_label(cols),
            **counts,
        )
    ax.set_title(title)
    ax.set_xlabel(header_label(cols))
    ax.set_ylabel(header_label(rows))
    fig.tight_layout()
    return fig


def _level(term: str, level) -> str:
    """A model term's level as a figure names it: the kit's classes (hot, warm, cold) in
    the reader's language, the data's names (sources, segments) as they are."""
    return value_label(level) if term == "qualification" else level


def plot_forest(terms: pd.DataFrame, title: str) -> plt.Figure:
    """Odds ratios with 95% intervals, one row per level (log scale), each labelled with
    its term, counts and the "enough data?" verdict; reference levels are named in the
    axis label. Red is a comparison whose own interval excludes 1 and stays larger
    than chance over all comparisons (``enough_data`` of the same fit); grey the rest,
    levels that cannot be separated from another factor's level included."""
    ors = pd.to_numeric(terms["odds_ratio"], errors="coerce").astype("float64")
    t = terms[np.isfinite(ors.to_numpy())].reset_index(drop=True)
    t = t.astype({c: "float64" for c in ("odds_ratio", "or_low", "or_high")})
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(t) + 1.8))
    y = np.arange(len(t))
    enough = t["enough_data"].astype(bool) if "enough_data" in t else pd.Series(True, t.index)
    if "status" in t:
        enough &= t["status"] == "differs"
    colors = np.where(enough, "#d7301f", "#969696")
    _point_ranges(ax, t["odds_ratio"], t["or_low"], t["or_high"], y, fmt="none", capsize=3)
    ax.scatter(t["odds_ratio"], y, c=colors, zorder=3)
    ax.axvline(1, color="#333333", lw=1, ls="--")
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(plt.FixedLocator([0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50]))
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    labels = [
        _(
            "{term}: {level} ({sales}/{leads}) [not separable from {other}]",
            term=header_label(r.term),
            level=_level(r.term, r.level),
            sales=count_text(r.sales),
            leads=count_text(r.leads),
            other=r.nested_in,
        )
        if getattr(r, "nested_in", "")
        else _(
            "{term}: {level} ({sales}/{leads})",
            term=header_label(r.term),
            level=_level(r.term, r.level),
            sales=count_text(r.sales),
            leads=count_text(r.leads),
        )
        for r in t.itertuples()
    ]
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    refs = ", ".join(
        f"{header_label(term)}: {_level(term, ref)}"
        for term, ref in t[["term", "reference"]].drop_duplicates().itertuples(index=False)
    )
    ax.set_xlabel(
        _("odds ratio of a sale vs the reference ({refs}); 95% interval, log scale", refs=refs)
    )
    ax.set_title(_("{title} (red: enough data to tell; grey: not yet)", title=title))
    fig.tight_layout()
    return fig


def plot_quality_shares(shares: pd.DataFrame, factor: str) -> plt.Figure:
    """Share of hot, warm and cold leads (of qualified leads) per level, with 95%
    intervals and the number of qualified leads."""
    t = shares[shares["class"].isin(["hot", "warm", "cold"])]
    fig, ax = plt.subplots(figsize=(10, 0.5 * t[factor].nunique() + 2))
    levels = list(dict.fromkeys(t[factor]))
    y = np.arange(len(levels))
    width = 0.27
    for i, cls in enumerate(["hot", "warm", "cold"]):
        s = t[t["class"] == cls].set_index(factor).reindex(levels)
        ax.barh(
            y + (i - 1) * width,
            s["share"],
            height=width,
            color=QUALIFICATION_COLORS[cls],
            label=value_label(cls),
            xerr=[s["share"] - s["share_low"], s["share_high"] - s["share"]],
            error_kw={"ecolor": "#555555", "capsize": 2},
        )
    q = t.drop_duplicates(factor).set_index(factor)["classified"].reindex(levels)
    ax.set_yticks(y, [f"{lv} (n={count_text(int(q[lv]))})" for lv in levels])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel(_("share of leads with a class (hot, warm or cold), 95% interval"))
    classified = count_text(q.sum())
    ax.set_title(
        _("Hot, warm and cold leads by source ({leads} leads with a class)", leads=classified)
        if factor == "source"
        else _(
            "Hot, warm and cold leads by {factor} ({leads} leads with a class)",
            factor=header_label(factor),
            leads=classified,
        )
    )
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def plot_managers(table: pd.DataFrame) -> plt.Figure:
    """Each manager's sales against what their leads would bring (observed / expected,
    shrunk, with its 95% interval), best first, with counts."""
    t = table.sort_values("shrunk", ascending=False).reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(t) + 1.8))
    y = np.arange(len(t))
    _point_ranges(ax, t["shrunk"], t["shrunk_low"], t["shrunk_high"], y, label=_("shrunk"))
    ax.scatter(
        t["ratio"], y, marker="x", color="#d7301f", zorder=3, label=_("raw observed / expected")
    )
    ax.axvline(1, color="#333333", lw=1, ls="--")
    ax.set_yticks(y, [f"{r.manager} ({r.sales}/{r.leads})" for r in t.itertuples()])
    ax.invert_yaxis()
    ax.set_xlabel(_("sales / sales expected from the leads received (1 = average), 95% interval"))
    ax.set_title(
        n_(
            "Managers, adjusted for the leads they got ({sales} sales of {n} lead)",
            "Managers, adjusted for the leads they got ({sales} sales of {n} leads)",
            t["leads"].sum(),
            sales=count_text(t["sales"].sum()),
        )
    )
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig
