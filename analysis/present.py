"""Turning tidy tables into what a reader sees: rates with their intervals and counts,
money with thousands separators, and short plain-language findings.

The tidy tables stay numeric (they are saved as CSV); these functions only format.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

__all__ = [
    "label_rows",
    "wrap",
    "fmt_money",
    "fmt_rate",
    "economics_view",
    "show",
    "cpl_vs_cac_finding",
    "notes_view",
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


def fmt_money(v: float, digits: int = 0) -> str:
    """``1234567.8`` -> ``'1 234 568'``; NaN -> ``'n/a'``; inf -> ``'∞'``."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or pd.isna(v):
        return "n/a"
    if np.isinf(v):
        return "∞"
    return f"{v:,.{digits}f}".replace(",", "\u202f")


def fmt_rate(p: float, low: float | None = None, high: float | None = None, digits: int = 1) -> str:
    """``0.123, 0.101, 0.148`` -> ``'12.3% (10.1–14.8)'``; NaN -> ``'n/a'``."""
    if p is None or pd.isna(p):
        return "n/a"
    text = f"{100 * p:.{digits}f}%"
    if low is not None and high is not None and not (pd.isna(low) or pd.isna(high)):
        text += f" ({100 * low:.{digits}f}–{100 * high:.{digits}f})"
    return text


def _range(v, lo, hi) -> str:
    if pd.isna(v):
        return "n/a"
    return f"{fmt_money(v)} ({fmt_money(lo)}–{fmt_money(hi)})"


def economics_view(table: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """A readable version of `funnel.unit_economics`: one string column per measure,
    every rate with its 95% interval, every cost next to the counts it divides by."""
    out = table[list(by)].copy()
    out["leads"] = table["leads"].map(lambda v: f"{v:,}")
    out["hot / warm / cold"] = [
        f"{r.hot_share:.0%} / {r.warm_share:.0%} / {r.cold_share:.0%}" if r.leads else "n/a"
        for r in table.itertuples()
    ]
    out["sales"] = table["sales"].map(lambda v: f"{v:,}")
    out["conversion (95% CI)"] = [
        fmt_rate(r.conversion, r.conversion_low, r.conversion_high) for r in table.itertuples()
    ]
    out["spend"] = table["spend"].map(fmt_money)
    out["cost per lead"] = table["cpl"].map(fmt_money)
    out["cost per qualified lead"] = table["cpql"].map(fmt_money)
    out["cost per sale (95% CI)"] = [
        _range(r.cac, r.cac_low, r.cac_high) for r in table.itertuples()
    ]
    out["revenue"] = table["revenue"].map(fmt_money)
    out["ROMI (95% CI)"] = [
        fmt_rate(r.romi, r.romi_low, r.romi_high, digits=0) for r in table.itertuples()
    ]
    out["rank: CPL / cost per sale"] = [
        f"{r.rank_cpl} / {r.rank_cac}" if pd.notna(r.rank_cpl) else "n/a"
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
                "ROMI (95% CI)",
                "rank: CPL / cost per sale",
            ]
        )
    return out


_PERCENT = (
    "share",
    "share_low",
    "share_high",
    "conversion",
    "conversion_low",
    "conversion_high",
    "filled_share",
)


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
    styler = frame.style.hide(axis="index")
    numeric = [
        c
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]
    formats = {c: (lambda v: fmt_rate(v)) if c in _PERCENT else _number for c in numeric}
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


def cpl_vs_cac_finding(table: pd.DataFrame, period: str, currency: str | None = None) -> str:
    """One paragraph comparing the first and last period's cost per lead and per sale.

    Says whether the change in cost per sale is larger than chance (the 95% intervals
    do not overlap) or not yet clear.
    """
    t = table.dropna(subset=["cpl"]).reset_index(drop=True)
    if len(t) < 2:
        return "Fewer than two periods with spend: no change to describe."
    a, b = t.iloc[0], t.iloc[-1]
    cur = f" {currency}" if currency else ""
    cpl_change = b["cpl"] / a["cpl"] - 1
    text = (
        f"From {a[period]} to {b[period]}, cost per lead went from "
        f"{fmt_money(a['cpl'])}{cur} ({a['paid_leads']:,} paid leads) to "
        f"{fmt_money(b['cpl'])}{cur} ({b['paid_leads']:,}), {cpl_change:+.0%}. "
    )
    if pd.isna(a["cac"]) or pd.isna(b["cac"]):
        return text + "Cost per sale cannot be compared: a period has no sales."
    cac_change = b["cac"] / a["cac"] - 1
    text += (
        f"Cost per sale went from {fmt_money(a['cac'])}{cur} ({a['paid_sales']:,} sales) to "
        f"{fmt_money(b['cac'])}{cur} ({b['paid_sales']:,} sales), {cac_change:+.0%}. "
    )
    separated = (b["cac_low"] > a["cac_high"]) or (b["cac_high"] < a["cac_low"])
    if separated:
        text += (
            "The 95% intervals of cost per sale do not overlap: the change is larger than chance."
        )
    else:
        text += (
            "The 95% intervals of cost per sale overlap: the data do not yet show "
            "that cost per sale changed."
        )
    if cpl_change < 0 < cac_change:
        text += " Leads got cheaper while sales got dearer."
    return text
