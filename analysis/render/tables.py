"""Turning tidy tables into what a reader sees: rates with their intervals and counts,
money with thousands separators, and short plain-language findings.

The tidy tables stay numeric (they are saved as CSV); these functions only format.
"""

from __future__ import annotations

import re

import pandas as pd
from pandas.io.formats.style import Styler

from analysis.base.i18n import N_, _, language, n_
from analysis.insight.numbers import fmt_money, fmt_range, fmt_rate, fmt_share
from analysis.stats.managers import SPEED_LABELS
from analysis.stats.period_change import period_name

__all__ = [
    "label_rows",
    "wrap",
    "economics_view",
    "show",
    "notes_view",
    "header_label",
    "value_label",
]


def wrap(text: str, width: int = 100) -> str:
    """Wrap a paragraph for printing in a report."""
    import textwrap

    return textwrap.fill(text, width=width)


def label_rows(table: pd.DataFrame, columns: list[str], sep: str = " / ") -> pd.DataFrame:
    """A copy of ``table`` with a ``label`` column joining ``columns`` (for figures),
    leaving out rows without leads."""
    out = table[table["leads"] > 0].copy()
    out["label"] = out[columns].astype(str).agg(sep.join, axis=1)
    return out.reset_index(drop=True)


def economics_view(table: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """A readable version of `funnel.unit_economics`: one string column per measure,
    every rate with its 95% interval, every cost next to the counts it divides by."""
    out = table[list(by)].copy()
    out["leads"] = table["leads"].map(fmt_money)
    # shares among the classified leads (an unclassified lead is unknown, not cold),
    # with how many of the row's leads are classified beside them
    out["classified"] = [
        f"{fmt_money(r.hot + r.warm + r.cold)} ({fmt_share((r.hot + r.warm + r.cold) / r.leads)})"
        if r.leads > 0
        else "n/a"
        for r in table.itertuples()
    ]
    out["hot/warm/cold of classified, %"] = [
        "/".join(f"{100 * k / (r.hot + r.warm + r.cold):.0f}" for k in (r.hot, r.warm, r.cold))
        if r.hot + r.warm + r.cold > 0
        else "n/a"  # no lead of the row has a class: unknown, not zero quality
        for r in table.itertuples()
    ]
    out["sales"] = table["sales"].map(fmt_money)
    out["conversion, all leads (95% CI)"] = [
        fmt_rate(r.conversion, r.conversion_low, r.conversion_high) for r in table.itertuples()
    ]
    out["spend"] = table["spend"].map(fmt_money)
    out["cost per lead"] = table["cpl"].map(fmt_money)
    out["cost per qualified lead"] = table["cpql"].map(fmt_money)
    out["cost per sale (95% CI)"] = [
        fmt_range(r.cac, r.cac_low, r.cac_high) for r in table.itertuples()
    ]
    # unknown revenue (sales without a recorded amount) is shown as such, never as 0
    out["revenue, all leads"] = [
        "unknown" if r.sales > 0 and pd.isna(r.revenue) else fmt_money(r.revenue)
        for r in table.itertuples()
    ]
    out["revenue, paid leads"] = [
        "unknown"
        if r.paid_sales > 0 and pd.isna(r.paid_revenue) and pd.notna(r.spend)
        else fmt_money(r.paid_revenue)
        for r in table.itertuples()
    ]
    out["ROMI, paid leads (95% CI)"] = [
        fmt_rate(r.romi, r.romi_low, r.romi_high, digits=0) for r in table.itertuples()
    ]
    out["rank: CPL / cost per sale"] = [
        f"{r.rank_cpl} / {_rank(r.rank_cac)}" if pd.notna(r.rank_cpl) else "n/a"
        for r in table.itertuples()
    ]
    out["data"] = table["data"]
    out["note"] = table["note"]
    if table["spend"].isna().all():
        out = out.drop(
            columns=[
                "spend",
                "cost per lead",
                "cost per qualified lead",
                "cost per sale (95% CI)",
                "revenue, paid leads",
                "ROMI, paid leads (95% CI)",
                "rank: CPL / cost per sale",
            ]
        )
    return out


def _rank(v) -> str:
    """A rank, or "n/a" where there is none (no sale: no cost per sale to rank)."""
    return "n/a" if v is None or pd.isna(v) else str(v)


_NAMES = {
    "or_low": N_("odds ratio, 95% low"),
    "or_high": N_("odds ratio, 95% high"),
    "crude_or": N_("crude odds ratio"),
    "adjusted_or": N_("adjusted odds ratio"),
    "mix_effect": N_("crude / adjusted odds ratio"),
    "weight": N_("weight of own data"),
    "q_value": N_("q-value (BH)"),
    "p_value": N_("p-value"),
    "cac": N_("cost per sale"),
    "cac_low": N_("cost per sale, 95% low"),
    "cac_high": N_("cost per sale, 95% high"),
    "cpl": N_("cost per lead"),
    "cpql": N_("cost per qualified lead"),
    "romi_low": N_("ROMI, 95% low"),
    "romi_high": N_("ROMI, 95% high"),
    "rank_cpl": N_("rank by cost per lead"),
    "rank_cac": N_("rank by cost per sale"),
    "lead_id": N_("lead id"),
    "p_sale": N_("probability of a sale"),
    "p_sale_low": N_("probability of a sale, 95% low"),
    "p_sale_high": N_("probability of a sale, 95% high"),
    "expected_revenue": N_("expected revenue"),
    "age_days": N_("age, days"),
    "cell_leads": N_("leads behind the estimate"),
    "cell_rate": N_("cell's conversion"),
    "closed_by_age": N_("share of sales closed by this age"),
    "km_share": N_("converted share (Kaplan-Meier)"),
    "km_low": N_("converted share, 95% low"),
    "km_high": N_("converted share, 95% high"),
    "sales_change": N_("change in sales"),
    "sales_change_low": N_("change in sales, 95% low"),
    "sales_change_high": N_("change in sales, 95% high"),
    "sales_per_rub": N_("sales per 1 000 ₽"),
    "moved": N_("money moved"),
    "headroom": N_("headroom"),
    "revenue_change": N_("change in revenue"),
}

#: The headers the kit's tables show, in English as the code writes them (a column
#: code with its underscores as spaces, or a view's own name), marked for the catalogue
#: and looked up when a table is shown.
HEADERS = (
    N_("95% interval"),
    N_("ROMI (95% CI)"),
    N_("ROMI, paid leads (95% CI)"),
    N_("action"),
    N_("adjusted odds ratio"),
    N_("adjusted rate"),
    N_("adjusted, 95% high"),
    N_("adjusted, 95% low"),
    N_("aged leads"),
    N_("campaign"),
    N_("change in sales (all parts)"),
    N_("class"),
    N_("classified"),
    N_("classified share"),
    N_("conversion"),
    N_("conversion (95% CI)"),
    N_("conversion within"),
    N_("conversion within cells"),
    N_("conversion within, 95% high"),
    N_("conversion within, 95% low"),
    N_("conversion, 95% high"),
    N_("conversion, 95% low"),
    N_("conversion, all leads (95% CI)"),
    N_("cost per lead"),
    N_("cost per qualified lead"),
    N_("cost per sale"),
    N_("cost per sale (95% CI)"),
    N_("count"),
    N_("crude odds ratio"),
    N_("crude, 95% high"),
    N_("crude, 95% low"),
    N_("data"),
    N_("delimiter"),
    N_("detail"),
    N_("encoding"),
    N_("expected"),
    N_("field"),
    N_("file"),
    N_("filled"),
    N_("filled share"),
    N_("flag"),
    N_("gap"),
    N_("hot"),
    N_("hot share"),
    N_("hot/warm/cold of classified, %"),
    N_("input"),
    N_("lead volume"),
    N_("leads"),
    N_("leads needed"),
    N_("level"),
    N_("lost"),
    N_("lost reason"),
    N_("manager"),
    N_("measure"),
    N_("message"),
    N_("money at stake"),
    N_("never contacted"),
    N_("never contacted share"),
    N_("note"),
    N_("odds ratio"),
    N_("open"),
    N_("owner"),
    N_("paid leads"),
    N_("paid sales"),
    N_("part"),
    N_("period"),
    N_("personal columns dropped"),
    N_("qualification"),
    N_("qualification mix within source"),
    N_("qualified"),
    N_("quarter"),
    N_("rank: CPL / cost per sale"),
    N_("rate"),
    N_("rate, 95% high"),
    N_("rate, 95% low"),
    N_("ratio"),
    N_("reading"),
    N_("reference"),
    N_("revenue"),
    N_("revenue, all leads"),
    N_("revenue, paid leads"),
    N_("rows"),
    N_("rule"),
    N_("sales"),
    N_("sales within"),
    N_("segment"),
    N_("send"),
    N_("severity"),
    N_("share"),
    N_("share of change"),
    N_("share, 95% high"),
    N_("share, 95% low"),
    N_("shrunk"),
    N_("shrunk ratio"),
    N_("shrunk ratio, 95% high"),
    N_("shrunk ratio, 95% low"),
    N_("shrunk, 95% high"),
    N_("shrunk, 95% low"),
    N_("source"),
    N_("source mix"),
    N_("spend"),
    N_("standing"),
    N_("stuck"),
    N_("stuck share"),
    N_("unknown"),
    N_("value"),
    N_("verdict"),
    N_("warm"),
    N_("cold"),
    N_("week"),
    N_("what"),
    N_("young share"),
    N_("why"),
    N_("ROMI"),
    N_("ROMI, 95% low"),
    N_("ROMI, 95% high"),
    N_("paid revenue"),
    N_("revenue per spend"),
    N_("at stake"),
    N_("hot share, 95% low"),
    N_("hot share, 95% high"),
    N_("warm share"),
    N_("warm share, 95% low"),
    N_("warm share, 95% high"),
    N_("cold share"),
    N_("cold share, 95% low"),
    N_("cold share, 95% high"),
    N_("predicted"),
    N_("predicted, 95% low"),
    N_("predicted, 95% high"),
    N_("prior rate"),
    N_("prior leads"),
    N_("reference rate"),
    N_("coef"),
    N_("se"),
    N_("crude q"),
    N_("adjusted q"),
    N_("adjusted status"),
    N_("enough data"),
    N_("nested in"),
    N_("members"),
    N_("term"),
    N_("status"),
    N_("spread"),
    N_("rank"),
    N_("at risk"),
    N_("censored"),
    N_("converted share"),
    N_("day"),
    N_("days"),
    N_("young leads"),
    N_("left out"),
    N_("median"),
    N_("attributed by"),
    N_("how"),
    N_("kind"),
    N_("label"),
    N_("low"),
    N_("high"),
    N_("leads a"),
    N_("leads b"),
    N_("rate a"),
    N_("rate b"),
    N_("share of total"),
    N_("speed"),
    N_("basis"),
    N_("complete"),
    N_("date"),
    N_("id"),
    N_("revenue per sale"),
    N_("list"),
    N_("position"),
    N_("role"),
    N_("weeks"),
    N_("busiest"),
    N_("before"),
    N_("after"),
    N_("change"),
    N_("romi"),
    N_("q"),
    N_("p"),
    N_("sales per rub"),
    N_("sales per rub, 95% low"),
    N_("sales per rub, 95% high"),
    N_("cell rate, 95% low"),
    N_("cell rate, 95% high"),
    N_("deal value"),
    N_("lead id"),
)

#: The kit's own words in table cells (classes, actions, verdicts, flags, owners),
#: shown in the reader's language; a cell of a column that holds the data's names is
#: never looked up (a campaign may be called "hot").
VALUES = frozenset(
    (
        N_("hot"),
        N_("warm"),
        N_("cold"),
        N_("unknown"),
        N_("scale"),
        N_("cut"),
        N_("keep"),
        N_("wait"),
        N_("rework offer"),
        N_("route fast"),
        N_("enough"),
        N_("few leads"),
        N_("few sales"),
        N_("no sales"),
        N_("no leads"),
        N_("no spend recorded"),
        N_("not distinguishable"),
        N_("spend but no leads"),
        N_("too few leads"),
        N_("too few sales"),
        N_("info"),
        N_("warning"),
        N_("marketing"),
        N_("sales team"),
        N_("lead volume"),
        N_("source mix"),
        N_("qualification mix within source"),
        N_("conversion within cells"),
        N_("yes"),
        N_("no"),
        N_("none"),
        N_("change"),
        N_("over sales"),
        N_("revenue"),
        N_("revenue per sale"),
        N_("spend"),
        N_("campaign"),
        N_("source"),
        N_("manager"),
        N_("qualification"),
        N_("segment"),
        N_("stage"),
        N_("n/a"),
        N_("part"),
        N_("total"),
        N_("differs"),
        N_("sales"),
        N_("tab"),
        N_("stuck"),
        N_("never contacted"),
        N_("down"),
        N_("up"),
        N_("(small levels)"),
        N_("(no date)"),
        N_("medium"),
        *SPEED_LABELS,
    )
)

#: Columns whose cells are periods' keys, shown as the reader names periods.
_PERIOD_COLUMNS = frozenset(("period", "week", "month", "quarter", "period_a", "period_b"))

#: Columns whose cells are the data's own names, never the kit's words.
_DATA_COLUMNS = frozenset(
    (
        "source",
        "campaign",
        "manager",
        "segment",
        "label",
        "input",
        "file",
        "lead_id",
        "name",
        "lost_reason",
        "id",
        "members",
        "nested_in",
        "sha256",
        "personal_columns_dropped",
    )
)


def header_label(column: str) -> str:
    """A table's column (its code, ``conversion_low``, or a view's English header) as
    the reader sees it, in the current language."""
    return _(_pretty(str(column)))


def value_label(value):
    """One of the kit's own words in a cell (``hot``, ``cut``, ``too few leads``) in the
    current language; any other value (a name from the data, a number) as it is."""
    if isinstance(value, str):
        if value in VALUES:
            return _(value)
        rank = re.fullmatch(r"rank (\d+)", value)
        if rank:
            return _("rank {n}", n=rank.group(1))
    return value


def _pretty(column: str) -> str:
    """``conversion_low`` -> ``conversion, 95% low``; ``filled_share`` -> ``filled share``."""
    if column in _NAMES:
        return _NAMES[column]
    for end, words in (("_low", ", 95% low"), ("_high", ", 95% high")):
        if column.endswith(end):
            return column[: -len(end)].replace("_", " ") + words
    return column.replace("_", " ")


_PERCENT = (
    "rate",
    "rate_low",
    "rate_high",
    "reference_rate",
    "shrunk",
    "shrunk_low",
    "shrunk_high",
    "prior_rate",
    "adjusted_rate",
    "predicted",
    "predicted_low",
    "predicted_high",
    "share",
    "share_low",
    "share_high",
    "conversion",
    "conversion_low",
    "conversion_high",
    "conversion_within",
    "conversion_within_low",
    "conversion_within_high",
    "young_share",
    "filled_share",
    "hot_share",
    "hot_share_low",
    "hot_share_high",
    "warm_share",
    "warm_share_low",
    "warm_share_high",
    "cold_share",
    "cold_share_low",
    "cold_share_high",
    "never_contacted_share",
    "stuck_share",
    "classified_share",
    "km_share",
    "km_low",
    "km_high",
    "converted_share",
    "p_sale",
    "p_sale_low",
    "p_sale_high",
    "cell_rate",
    "cell_rate_low",
    "cell_rate_high",
    "closed_by_age",
)


def _pvalue(v) -> str:
    if pd.isna(v):
        return _("n/a")
    text = "<0.001" if v < 0.001 else f"{v:.3f}"
    # the decimal sign of the reader's language (<0,001 in Russian)
    return text if language() == "en" else text.replace(".", ",")


def _number(v) -> str:
    if pd.isna(v):
        return _("n/a")
    if isinstance(v, float) and not float(v).is_integer() and abs(v) < 100:
        text = f"{v:.3g}"
        # the decimal sign of the reader's language (0,141 in Russian)
        return text if language() == "en" else text.replace(".", ",")
    return fmt_money(float(v))


#: Rows a table on a page shows at most: past them, the rows with the most leads (a
#: page of 5,000 campaigns held tables of 27,000 rows, 34 MB of HTML that took minutes
#: to write); the table's CSV file and the workbook have every row.
PAGE_ROWS = 200


def _leads_weight(frame: pd.DataFrame) -> pd.Series | None:
    """Each row's leads, from a ``leads`` column as numbers or as the pages write them
    (``1 234``, ``1 234 (98 %)``); None without one."""
    if "leads" not in frame.columns:
        return None
    leads = frame["leads"]
    if pd.api.types.is_numeric_dtype(leads):
        return pd.to_numeric(leads, errors="coerce")
    head = leads.astype(str).str.split("(", n=1).str[0].str.replace(r"\D", "", regex=True)
    return pd.to_numeric(head.where(head != ""), errors="coerce")


def page_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """At most `PAGE_ROWS` rows of ``frame`` for a page, in their order: those with the
    most leads (ties: the first), else the first; and the sentence saying so (None
    when every row is shown)."""
    total = len(frame)
    if total <= PAGE_ROWS:
        return frame, None
    weight = _leads_weight(frame)
    values = {"shown": fmt_money(PAGE_ROWS), "total": fmt_money(total)}
    if weight is None:
        note = n_(
            "The first {shown} row of {total}; the table's file in the run's tables folder "
            "and the workbook have every row.",
            "The first {shown} rows of {total}; the table's file in the run's tables folder "
            "and the workbook have every row.",
            PAGE_ROWS,
            **values,
        )
        return frame.head(PAGE_ROWS), note
    note = n_(
        "The {shown} row with the most leads of {total}; the table's file in the run's "
        "tables folder and the workbook have every row.",
        "The {shown} rows with the most leads of {total}; the table's file in the run's "
        "tables folder and the workbook have every row.",
        PAGE_ROWS,
        **values,
    )
    return most_leads(frame, PAGE_ROWS, weight), note


def most_leads(frame: pd.DataFrame, n: int, leads: pd.Series | None = None) -> pd.DataFrame:
    """The ``n`` rows of ``frame`` with the most ``leads`` (its ``leads`` column by
    default; missing counts last), in their order, ties to the first rows."""
    weight = (frame["leads"] if leads is None else leads).fillna(-1).reset_index(drop=True)
    keep = sorted(weight.sort_values(ascending=False, kind="stable").index[:n])
    return frame.iloc[keep]


def show(frame: pd.DataFrame, caption: str | None = None) -> Styler:
    """Style a table for a report: no index, left-aligned text, optional caption.

    Shares and conversions show as percentages, counts and money with thousands
    separators, missing values as "n/a". A table of more than `PAGE_ROWS` rows shows
    those with the most leads and says so in its caption (`page_rows`).
    """
    frame, cut = page_rows(frame)
    if cut:
        caption = f"{caption} {cut}" if caption else cut
    frame = frame.copy()
    for c in frame.columns:
        kind = frame[c].dtype
        text = pd.api.types.is_object_dtype(kind) or pd.api.types.is_string_dtype(kind)
        if text and str(c) in _PERIOD_COLUMNS:
            # a period's key (2026Q1) as the reader names it («1 кв. 2026»)
            frame[c] = frame[c].map(lambda v: period_name(v) if isinstance(v, str) else v)
        elif text and str(c) not in _DATA_COLUMNS:
            frame[c] = frame[c].map(value_label)
    frame = frame.rename(columns=header_label)
    styler = frame.style.hide(axis="index")
    numeric = [
        c
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]
    percent = {header_label(c) for c in _PERCENT}
    pvals = {header_label("q_value"), header_label("p_value")}
    formats = {
        c: (lambda v: fmt_rate(v)) if c in percent else _pvalue if c in pvals else _number
        for c in numeric
    }
    styler = styler.format(formats, na_rep=_("n/a"))
    styler = styler.set_table_styles(
        [
            {"selector": "th", "props": "text-align: left; background: #f0f0f0;"},
            {"selector": "td", "props": "text-align: left; padding: 2px 8px;"},
        ]
    )
    if caption:
        styler = styler.set_caption(caption)
    return styler


def notes_view(notes: pd.DataFrame) -> pd.DataFrame:
    """The loader's notes, warnings first."""
    order = {"warning": 0, "info": 1}
    return notes.sort_values("severity", key=lambda s: s.map(order), kind="stable")
