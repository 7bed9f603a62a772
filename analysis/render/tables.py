"""Turning tidy tables into what a reader sees: rates with their intervals and counts,
money with thousands separators, and short plain-language findings.

The tidy tables stay numeric (they are saved as CSV); these functions only format.
"""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from analysis.insight.numbers import fmt_money, fmt_range, fmt_rate

__all__ = ["label_rows", "wrap", "economics_view", "show", "notes_view"]


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
        f"{fmt_money(r.hot + r.warm + r.cold)} ({100 * (r.hot + r.warm + r.cold) / r.leads:.0f}%)"
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
    "or_low": "odds ratio, 95% low",
    "or_high": "odds ratio, 95% high",
    "crude_or": "crude odds ratio",
    "adjusted_or": "adjusted odds ratio",
    "mix_effect": "crude / adjusted odds ratio",
    "weight": "weight of own data",
    "q_value": "q-value (BH)",
    "p_value": "p-value",
}


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
)


def _pvalue(v) -> str:
    if pd.isna(v):
        return "n/a"
    return "<0.001" if v < 0.001 else f"{v:.3f}"


def _number(v) -> str:
    if pd.isna(v):
        return "n/a"
    if isinstance(v, float) and not float(v).is_integer() and abs(v) < 100:
        return f"{v:.3g}"
    return fmt_money(float(v))


def show(frame: pd.DataFrame, caption: str | None = None) -> Styler:
    """Style a table for a report: no index, left-aligned text, optional caption.

    Shares and conversions show as percentages, counts and money with thousands
    separators, missing values as "n/a".
    """
    frame = frame.rename(columns=_pretty)
    styler = frame.style.hide(axis="index")
    numeric = [
        c
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]
    percent = {_pretty(c) for c in _PERCENT}
    pvals = {_pretty("q_value"), _pretty("p_value")}
    formats = {
        c: (lambda v: fmt_rate(v)) if c in percent else _pvalue if c in pvals else _number
        for c in numeric
    }
    styler = styler.format(formats, na_rep="n/a")
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
