"""Turning tidy tables into what a reader sees: rates with their intervals and counts,
money with thousands separators, and short plain-language findings.

The tidy tables stay numeric (they are saved as CSV); these functions only format.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from .stats import rate_ratio, wilson_interval

__all__ = [
    "label_rows",
    "wrap",
    "fmt_money",
    "fmt_rate",
    "fmt_range",
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
        # a dash between negative numbers reads as a minus: write "to" there
        sep = " to " if low < 0 or high < 0 else "–"
        text += f" ({100 * low:.{digits}f}{sep}{100 * high:.{digits}f})"
    return text.replace("-", "−")


def fmt_range(v, lo, hi) -> str:
    """``14408, 12241, 17032`` -> ``'14 408 (12 241–17 032)'``; NaN -> ``'n/a'``."""
    if pd.isna(v):
        return "n/a"
    return f"{fmt_money(v)} ({fmt_money(lo)}–{fmt_money(hi)})"


def economics_view(table: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """A readable version of `funnel.unit_economics`: one string column per measure,
    every rate with its 95% interval, every cost next to the counts it divides by."""
    out = table[list(by)].copy()
    out["leads"] = table["leads"].map(fmt_money)
    out["hot/warm/cold, %"] = [
        f"{100 * r.hot_share:.0f}/{100 * r.warm_share:.0f}/{100 * r.cold_share:.0f}"
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
    out["revenue, all leads"] = table["revenue"].map(fmt_money)
    out["revenue, paid leads"] = table["paid_revenue"].map(fmt_money)
    out["ROMI, paid leads (95% CI)"] = [
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
                "revenue, paid leads",
                "ROMI, paid leads (95% CI)",
                "rank: CPL / cost per sale",
            ]
        )
    return out


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


def cpl_vs_cac_finding(table: pd.DataFrame, period: str, currency: str | None = None) -> str:
    """A Markdown paragraph comparing the first and last period's cost per lead, the
    conversion of paid leads and the cost per sale.

    Cost per lead carries no sampling error (spend and leads are counted); cost per sale
    does, through conversion, so its change gets a 95% interval from the ratio of the
    two conversion rates (Katz log interval) and a plain verdict.
    """
    t = table.dropna(subset=["cpl"]).reset_index(drop=True)
    if len(t) < 2:
        return "Fewer than two periods with spend: no change to describe."
    a, b = t.iloc[0], t.iloc[-1]
    cur = f"\u00a0{currency}" if currency else ""
    cpl_change = b["cpl"] / a["cpl"] - 1
    ca, cb = a["paid_sales"] / a["paid_leads"], b["paid_sales"] / b["paid_leads"]
    lo_a, hi_a = wilson_interval(a["paid_sales"], a["paid_leads"])
    lo_b, hi_b = wilson_interval(b["paid_sales"], b["paid_leads"])
    text = (
        f"From {a[period]} to {b[period]}, **cost per lead {_change_word(cpl_change)} "
        f"{abs(cpl_change):.0%}**: {fmt_money(a['cpl'])}{cur} over {fmt_money(a['paid_leads'])} "
        f"paid leads, then {fmt_money(b['cpl'])}{cur} over {fmt_money(b['paid_leads'])}. "
        f"Conversion of paid leads to a sale went from {fmt_rate(ca, float(lo_a), float(hi_a))} "
        f"to {fmt_rate(cb, float(lo_b), float(hi_b))}. "
    )
    if a["paid_sales"] == 0 or b["paid_sales"] == 0:
        return text + "Cost per sale cannot be compared: a period has no sales from paid leads."
    cac_change = b["cac"] / a["cac"] - 1
    # CAC_b / CAC_a = (CPL_b / CPL_a) / (conv_b / conv_a); only the conversions are uncertain
    rr, rr_lo, rr_hi = rate_ratio(
        int(b["paid_sales"]), int(b["paid_leads"]), int(a["paid_sales"]), int(a["paid_leads"])
    )
    ratio = b["cpl"] / a["cpl"]
    lo, hi = ratio / rr_hi - 1, ratio / rr_lo - 1
    text += (
        f"So **cost per sale {_change_word(cac_change)} {abs(cac_change):.0%}**, from "
        f"{fmt_money(a['cac'])}{cur} ({fmt_money(a['paid_sales'])} sales from paid leads) to "
        f"{fmt_money(b['cac'])}{cur} ({fmt_money(b['paid_sales'])} sales); 95% interval of the "
        f"change {lo:+.0%} to {hi:+.0%}: "
    )
    if lo > 0 or hi < 0:
        text += "the change is larger than chance."
    else:
        text += "within chance, so the data do not yet show that cost per sale changed."
    if cpl_change < 0 and lo > 0:
        text += " **Leads got cheaper while sales got dearer.**"
    elif cpl_change < 0 and cb < ca:
        text += " Leads got cheaper, and fewer of them buy."
    return text


def _change_word(change: float) -> str:
    return "rose" if change > 0 else "fell" if change < 0 else "did not change"
