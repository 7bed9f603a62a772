"""Plain sentences from the fits: what the data can and cannot tell, whose part a change
is, how young the leads are, whether cheaper leads made sales dearer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.base.i18n import N_, _, fmt_int, join_words, language, locale_name, n_
from analysis.engine.cells import Engine, Leads, count_true
from analysis.insight.numbers import (
    day_words,
    fmt_measure,
    fmt_money,
    fmt_rate,
    fmt_share,
    signed_percent,
)
from analysis.stats.glm import POOLED, ConversionFit, about
from analysis.stats.intervals import rate_ratio, wilson_interval
from analysis.stats.period_change import period_name
from analysis.stats.survival import (
    as_list,
    attrs,
    day_counts,
    prepare,
    product_limit,
    sale_quantiles,
)

__all__ = [
    "main_cause",
    "maturity_caveat",
    "findings",
    "cpl_vs_cac_finding",
    "window_words",
]

# --- plain words -------------------------------------------------------------------------

#: The mix parts' labels (`analysis.stats.decompose`), marked for the catalogue and
#: looked up where a sentence names them.
MIX_LABELS = (
    N_("source mix"),
    N_("qualification mix"),
    N_("campaign mix"),
    N_("segment mix"),
    N_("qualification mix within source"),
    N_("qualification mix within campaign"),
    N_("qualification mix within segment"),
    N_("segment mix within source"),
    N_("campaign mix within source"),
)


def _word(text) -> str:
    """One of the kit's own words (a class, a flag, a factor's name) in the current
    language; a word the catalogue lacks, or "", as it is."""
    text = "" if text is None else str(text)
    return _(text) if text else text


def _dec(v: float, digits: int = 2) -> str:
    """A decimal number (an odds ratio) with the language's decimal mark."""
    text = f"{v:.{digits}f}"
    return text if language() == "en" else text.replace(".", ",").replace("-", "\u2212")


def _about(n: float) -> str:
    """`about` (two significant digits) with the page's thousands separator outside
    English (a comma would read as a decimal mark)."""
    text = about(n)
    return text if language() == "en" else text.replace(",", "\u202f")


def _whole_percent(x: float, sign: bool = False) -> str:
    """A relative change in whole percent: ``12%``, ``+12%`` (Babel's form outside
    English: ``12 %``, ``−12 %``)."""
    if language() == "en":
        return f"{x:+.0%}" if sign else f"{x:.0%}"
    if sign:
        return signed_percent(x)
    from babel.numbers import format_percent

    return format_percent(x, locale=locale_name())


def _part_name(part: str) -> str:
    """The name of a decomposition's part other than the mix, as the sentences say it."""
    if part == "volume":
        return _("marketing's lead volume")
    if part == "conversion":
        return _("the sales team's conversion")
    if part == "revenue_per_sale":
        return _("the sales team's revenue per sale")
    raise KeyError(part)


def _nothing_sentence(measure: str, days, **v) -> str:
    """No sale (or no revenue) in either period."""
    if measure == "revenue":
        if days is None:
            return _(
                "No revenue in either period ({a} in {a_label}, {b} in {b_label}): there is "
                "no change to split.",
                **v,
            )
        return n_(
            "No revenue of sales within {n} day in either period ({a} in {a_label}, {b} in "
            "{b_label}): there is no change to split.",
            "No revenue of sales within {n} days in either period ({a} in {a_label}, {b} in "
            "{b_label}): there is no change to split.",
            days,
            **v,
        )
    if days is None:
        return _(
            "No sales in either period ({a} in {a_label}, {b} in {b_label}): there is no "
            "change to split.",
            **v,
        )
    return n_(
        "No sales within {n} day in either period ({a} in {a_label}, {b} in {b_label}): "
        "there is no change to split.",
        "No sales within {n} days in either period ({a} in {a_label}, {b} in {b_label}): "
        "there is no change to split.",
        days,
        **v,
    )


def _still_sentence(measure: str, days, **v) -> str:
    """The totals did not move: the parts cancel out (``listed``)."""
    if measure == "revenue":
        if days is None:
            return _(
                "Revenue went from {a} in {a_label} to {b} in {b_label} ({change}): no "
                "change, the parts cancel out: {listed}.",
                **v,
            )
        return n_(
            "Revenue of sales within {n} day went from {a} in {a_label} to {b} in {b_label} "
            "({change}): no change, the parts cancel out: {listed}.",
            "Revenue of sales within {n} days went from {a} in {a_label} to {b} in {b_label} "
            "({change}): no change, the parts cancel out: {listed}.",
            days,
            **v,
        )
    if days is None:
        return _(
            "Sales went from {a} in {a_label} to {b} in {b_label} ({change}): no change, "
            "the parts cancel out: {listed}.",
            **v,
        )
    return n_(
        "Sales within {n} day went from {a} in {a_label} to {b} in {b_label} ({change}): "
        "no change, the parts cancel out: {listed}.",
        "Sales within {n} days went from {a} in {a_label} to {b} in {b_label} ({change}): "
        "no change, the parts cancel out: {listed}.",
        days,
        **v,
    )


def _story(measure: str, days, fell: bool, **v) -> str:
    """The change of the total as the start of a sentence: "Sales fell from 172 in
    2026Q1 to 108 in 2026Q2 (−64)" (``inner``: what the brackets hold)."""
    if measure == "revenue":
        if days is None:
            if fell:
                return _("Revenue fell from {a} in {a_label} to {b} in {b_label} ({inner})", **v)
            return _("Revenue rose from {a} in {a_label} to {b} in {b_label} ({inner})", **v)
        if fell:
            return n_(
                "Revenue of sales within {n} day fell from {a} in {a_label} to {b} in "
                "{b_label} ({inner})",
                "Revenue of sales within {n} days fell from {a} in {a_label} to {b} in "
                "{b_label} ({inner})",
                days,
                **v,
            )
        return n_(
            "Revenue of sales within {n} day rose from {a} in {a_label} to {b} in "
            "{b_label} ({inner})",
            "Revenue of sales within {n} days rose from {a} in {a_label} to {b} in "
            "{b_label} ({inner})",
            days,
            **v,
        )
    if days is None:
        if fell:
            return _("Sales fell from {a} in {a_label} to {b} in {b_label} ({inner})", **v)
        return _("Sales rose from {a} in {a_label} to {b} in {b_label} ({inner})", **v)
    if fell:
        return n_(
            "Sales within {n} day fell from {a} in {a_label} to {b} in {b_label} ({inner})",
            "Sales within {n} days fell from {a} in {a_label} to {b} in {b_label} ({inner})",
            days,
            **v,
        )
    return n_(
        "Sales within {n} day rose from {a} in {a_label} to {b} in {b_label} ({inner})",
        "Sales within {n} days rose from {a} in {a_label} to {b} in {b_label} ({inner})",
        days,
        **v,
    )


def _estimated_still(measure: str, days, **v) -> str:
    """At equal age, estimated totals that did not move (``side_a``, ``side_b``,
    ``listed``)."""
    if measure == "revenue":
        return n_(
            "Revenue of sales within {n} day, estimated for all leads at the rate of the "
            "leads old enough, did not change: {side_a} and {side_b}; the parts cancel out: "
            "{listed}.",
            "Revenue of sales within {n} days, estimated for all leads at the rate of the "
            "leads old enough, did not change: {side_a} and {side_b}; the parts cancel out: "
            "{listed}.",
            days,
            **v,
        )
    return n_(
        "Sales within {n} day, estimated for all leads at the rate of the leads old enough, "
        "did not change: {side_a} and {side_b}; the parts cancel out: {listed}.",
        "Sales within {n} days, estimated for all leads at the rate of the leads old "
        "enough, did not change: {side_a} and {side_b}; the parts cancel out: {listed}.",
        days,
        **v,
    )


def _estimated_story(measure: str, days, fell: bool, **v) -> str:
    """At equal age, the change of estimated totals as the start of a sentence
    (``change``: its size, ``side_a``, ``side_b``: each period's total in words)."""
    if measure == "revenue":
        if fell:
            return n_(
                "Revenue of sales within {n} day, estimated for all leads at the rate of the "
                "leads old enough, fell by about {change}: from {side_a} to {side_b}",
                "Revenue of sales within {n} days, estimated for all leads at the rate of "
                "the leads old enough, fell by about {change}: from {side_a} to {side_b}",
                days,
                **v,
            )
        return n_(
            "Revenue of sales within {n} day, estimated for all leads at the rate of the "
            "leads old enough, rose by about {change}: from {side_a} to {side_b}",
            "Revenue of sales within {n} days, estimated for all leads at the rate of the "
            "leads old enough, rose by about {change}: from {side_a} to {side_b}",
            days,
            **v,
        )
    if fell:
        return n_(
            "Sales within {n} day, estimated for all leads at the rate of the leads old "
            "enough, fell by about {change}: from {side_a} to {side_b}",
            "Sales within {n} days, estimated for all leads at the rate of the leads old "
            "enough, fell by about {change}: from {side_a} to {side_b}",
            days,
            **v,
        )
    return n_(
        "Sales within {n} day, estimated for all leads at the rate of the leads old enough, "
        "rose by about {change}: from {side_a} to {side_b}",
        "Sales within {n} days, estimated for all leads at the rate of the leads old "
        "enough, rose by about {change}: from {side_a} to {side_b}",
        days,
        **v,
    )


def main_cause(table: pd.DataFrame) -> str:
    """One plain sentence naming the largest part of the change and whose it is.

    The mix parts are taken together as marketing's lead mix (each given in brackets).
    The sentence names the largest part pushing the way the total moved, what offset
    it, and what each owner's parts add up to. When the two largest parts pushing the
    same way are of similar size (the smaller at least three quarters of the larger),
    both are named.

    At equal age (a table of ``within_days``) a period's total is an estimate when some
    of its leads are younger than ``within_days`` (``attrs["estimated"]``): the sentence
    says so, rounds it ("about 107") and gives the counts it scales (``attrs["counts"]``:
    the quick sales observed among the leads old enough, and all the period's leads).

    Examples
    --------
    >>> main_cause(decompose_periods(ds.leads, "2026Q1", "2026Q2"))  # doctest: +SKIP
    "Sales fell from 172 in 2026Q1 to 108 in 2026Q2 (−64), mainly through marketing's ..."
    """
    needed = {"part", "kind", "owner", "value"}
    if not isinstance(table, pd.DataFrame) or not needed <= set(table.columns):
        raise ValueError("main_cause takes the table from decompose or decompose_periods")
    attrs = table.attrs or {}
    measure = attrs.get("measure", "sales")
    days = attrs.get("within_days")
    a_label, b_label = (period_name(x) for x in attrs.get("labels", ("A", "B")))
    totals = table[table["kind"] == "total"].set_index("part")["value"]
    parts = table[table["kind"] == "part"]
    a, b, change = totals["period_a"], totals["period_b"], totals["change"]

    def num(v: float) -> str:
        return fmt_measure(v, measure, sign=True)

    spans = group_spans(table)

    groups = []  # (words, value, detail, key)
    mix = parts[parts["part"].str.startswith("mix:")]
    for r in parts.itertuples():
        if r.part.startswith("mix:"):
            if r.Index == mix.index[0]:
                detail = ", ".join(f"{_word(m.label)} {num(m.value)}" for m in mix.itertuples())
                name = (
                    _("marketing's lead mix")
                    if len(mix) > 1
                    else _("marketing's {name}", name=_word(mix["label"].iloc[0]))
                )
                # the group's total as the sum of its parts as shown, so the sentence adds up
                d = 0 if measure == "revenue" else 1
                shown = float(sum(round(v, d) for v in mix["value"]))
                groups.append((name, shown, detail, "mix"))
            continue
        groups.append((_part_name(r.part), float(r.value), "", r.part))

    def show(g, interval: bool = False) -> str:
        inner = num(g[1])
        span = spans.get(g[3]) if interval else None
        if span is not None:
            inner += f", {_interval_words(span, measure)}"
        inner += f": {g[2]}" if g[2] and len(mix) > 1 else ""
        return f"{g[0]} ({inner})"

    estimated = tuple(attrs.get("estimated") or (False, False))
    if a == 0 and b == 0:
        # nothing in either period: there is no change, and no parts to weigh
        return _nothing_sentence(
            measure,
            days,
            a=fmt_measure(a, measure),
            a_label=a_label,
            b=fmt_measure(b, measure),
            b_label=b_label,
        )
    scale = max(abs(a), abs(b), 1.0)
    still = abs(change) <= 1e-9 * scale
    chance, said = False, ""
    if "change" in spans:
        low, high = spans["change"]
        chance = low <= 0 <= high
        said = _interval_words(spans["change"], measure)
    if any(estimated):
        # at equal age the totals are estimates: say so, round them, give the counts
        # the observed counts of A and B (decompose's attrs); none in a hand-made table
        counts: tuple[dict, dict] = attrs.get("counts") or ({}, {})
        sides = [
            _estimated_side(v, label, est, c, measure, days)
            for v, label, est, c in zip((a, b), (a_label, b_label), estimated, counts, strict=True)
        ]
        if still:
            listed = ", ".join(show(g) for g in groups)
            return _estimated_still(measure, days, side_a=sides[0], side_b=sides[1], listed=listed)
        story = _estimated_story(
            measure,
            days,
            change < 0,
            change=fmt_measure(round(abs(change)), measure),
            side_a=sides[0],
            side_b=sides[1],
        )
        if said:
            # a clause of its own
            story += ", " + (
                _("a change with a {interval} (within chance)", interval=said)
                if chance
                else _("a change with a {interval}", interval=said)
            )
    else:
        ends = dict(
            a=fmt_measure(a, measure),
            a_label=a_label,
            b=fmt_measure(b, measure),
            b_label=b_label,
        )
        if still:
            listed = ", ".join(show(g) for g in groups)
            return _still_sentence(measure, days, change=num(change), listed=listed, **ends)
        inner = num(change)
        if said:
            # inside the change's brackets
            inner = (
                _("{change}; {interval}: within chance", change=inner, interval=said)
                if chance
                else f"{inner}; {said}"
            )
        story = _story(measure, days, change < 0, inner=inner, **ends)
    tiny = 0.005 * max(abs(g[1]) for g in groups)
    same = sorted((g for g in groups if g[1] * change > 0), key=lambda g: -abs(g[1]))
    against = [g for g in groups if g[1] * change < 0 and abs(g[1]) > tiny]
    lead = same[0]
    verdict = (attrs.get("intervals") or {}).get("lead")
    if verdict is not None and not verdict["supported"]:
        # the intervals do not support the largest part being the largest: say so
        by_key = {g[3]: g for g in groups}
        first, second = by_key[verdict["group"]], by_key[verdict["next"]]
        span = spans.get(first[3])
        if span is not None and span[0] <= 0 <= span[1]:
            named = [first]
            text = (
                story
                + ". "
                + _(
                    "The data cannot yet tell whose part it is: the largest part, {part}, could "
                    "as well be nothing",
                    part=show(first, True),
                )
            )
        else:
            named = [first, second]
            text = (
                story
                + ". "
                + _(
                    "The data cannot yet tell whose part is larger: {first} or {second}",
                    first=show(first, True),
                    second=show(second, True),
                )
            )
        rest = [g for g in groups if g not in named and abs(g[1]) > tiny]
        if rest:
            text += "; " + _("also {parts}", parts=join_words([show(g) for g in rest]))
        return text + "."
    if verdict is not None:
        # supported: the largest part's interval excludes 0 and so does its margin over
        # the next part's
        text = story + ", " + _through(lead, change, show(lead, True))
        others = same[1:]
    elif len(same) > 1 and abs(same[1][1]) >= 0.75 * abs(lead[1]):
        text = (
            story
            + ", "
            + _(
                "in similar parts through {first} and {second}",
                first=show(lead),
                second=show(same[1]),
            )
        )
        others = same[2:]
    else:
        text = story + ", " + _through(lead, change, show(lead))
        others = same[1:]
    if against:
        text += ", " + _("partly offset by {parts}", parts=join_words([show(g) for g in against]))
    others = [g for g in others if abs(g[1]) > tiny]
    if others:
        text += "; " + _("also {parts}", parts=join_words([show(g) for g in others]))
    owners = parts.groupby("owner", sort=False)["value"].sum()
    if len(owners) > 1 and (owners.abs() > tiny).all():
        marketing, sales = num(owners["marketing"]), num(owners["sales"])
        if "marketing" in spans:
            marketing += f" ({_interval_words(spans['marketing'], measure)})"
        if "sales" in spans:
            sales += f" ({_interval_words(spans['sales'], measure)})"
        text += "; " + _(
            "marketing's parts add up to {marketing}, the sales team's to {sales}",
            marketing=marketing,
            sales=sales,
        )
    return text + "."


def _through(lead, change: float, shown: str) -> str:
    """ "mainly through ..." (the part is at least half the change) or "most of all
    through ..."."""
    if abs(lead[1]) >= 0.5 * abs(change):
        return _("mainly through {part}", part=shown)
    return _("most of all through {part}", part=shown)


def group_spans(table: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """The intervals of a decomposition's groups (volume, mix, conversion, revenue per
    sale, the owners) and of its change, where `decompose` gave them."""
    out: dict[str, tuple[float, float]] = {}
    summary = (table.attrs or {}).get("intervals") or {}
    for key, g in (summary.get("groups") or {}).items():
        if np.isfinite(g["low"]) and np.isfinite(g["high"]):
            out[key] = (float(g["low"]), float(g["high"]))
    if not summary.get("revenue_spread_known", True):
        out.pop("revenue_per_sale", None)
        out.pop("sales", None)
    if {"low", "high"} <= set(table.columns):
        row = table[table["part"] == "change"]
        if len(row) and row[["low", "high"]].notna().all(axis=None):
            out["change"] = (float(row["low"].iloc[0]), float(row["high"].iloc[0]))
    return out


def _interval_words(span: tuple[float, float], measure: str) -> str:
    """'95% interval −12.0 to +3.5'."""
    lo, hi = span
    return _(
        "95% interval {low} to {high}",
        low=fmt_measure(lo, measure, sign=True),
        high=fmt_measure(hi, measure, sign=True),
    )


def _estimated_side(
    value: float, label: str, estimated: bool, counts: dict, measure: str, days
) -> str:
    """One period's total at equal age in words: observed, or an estimate and the counts
    it scales."""
    shown = fmt_measure(round(value), measure)
    if not estimated:
        if measure == "sales":
            return _("{value} in {label} (observed)", value=shown, label=label)
        return n_(
            "{value} in {label} (every lead at least {n} day old)",
            "{value} in {label} (every lead at least {n} days old)",
            days,
            value=shown,
            label=label,
        )
    aged, leads = counts.get("leads_aged"), counts.get("leads")
    if aged is None or leads is None:
        return _("about {value} in {label}", value=shown, label=label)
    if measure == "sales":
        return n_(
            "about {value} in {label} ({within} observed among the {aged} leads at least "
            "{n} day old, scaled to {leads})",
            "about {value} in {label} ({within} observed among the {aged} leads at least "
            "{n} days old, scaled to {leads})",
            days,
            value=shown,
            label=label,
            within=fmt_money(counts.get("sales_within", 0)),
            aged=fmt_money(aged),
            leads=fmt_money(leads),
        )
    return n_(
        "about {value} in {label} (at the rate of the {aged} leads at least {n} day old, "
        "scaled to {leads})",
        "about {value} in {label} (at the rate of the {aged} leads at least {n} days old, "
        "scaled to {leads})",
        days,
        value=shown,
        label=label,
        aged=fmt_money(aged),
        leads=fmt_money(leads),
    )


def maturity_caveat(
    leads: Leads,
    by: str | list[str] | tuple[str, ...] | None = None,
    *,
    quantile: float = 0.9,
    days: int | None = None,
    as_of=None,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """Does a conversion table by ``by`` mix young and old leads? Per group, the leads
    younger than the time within which ``quantile`` (90%) of sales close, and a
    plain-language caveat.

    The threshold is one number for all leads: the ``quantile`` of time to sale from the
    Kaplan-Meier curve of all leads (see `sale_quantiles`), unless ``days`` is given.

    Returns
    -------
    DataFrame[*by, leads, young_leads, young_share, days, caveat]
        ``days``: the threshold; ``caveat``: e.g. "212 leads (18%) are younger than 41
        days, the time within which 90% of sales close: their conversion is not final",
        or "" when no lead is that young. ``attrs`` as in `time_to_sale`.

    Examples
    --------
    >>> maturity_caveat(ds.leads, "quarter")["caveat"].tolist()  # doctest: +SKIP
    """
    by = as_list(by)
    if not 0 < quantile <= 1:
        raise ValueError(f"quantile must be between 0 and 1, got {quantile}")
    prep = prepare(leads, by, as_of, engine)
    if days is None:
        pooled = product_limit(day_counts(prep, []), [], 0.95)
        col = f"days_{round(quantile * 100)}"
        threshold = sale_quantiles(pooled, (quantile,))[col].iloc[0] if len(pooled) else np.nan
    else:
        threshold = float(days)
    pv = prep.valid()
    limit = int(threshold) if np.isfinite(threshold) else 0
    out = pv.collect(
        by,
        {"leads": pv.table.count(), "young_leads": count_true(pv.age_day < limit)},
    )
    n = out["leads"].to_numpy()
    out["young_share"] = np.where(n > 0, out["young_leads"] / np.maximum(n, 1), np.nan)
    out["days"] = threshold
    if not np.isfinite(threshold):
        caveat = [_("no sales yet: how long sales take cannot be told")] * len(out)
    else:
        caveat = [
            _young_words(y, s, limit, quantile if days is None else None) if y > 0 else ""
            for y, s in zip(out["young_leads"], out["young_share"], strict=True)
        ]
    out["caveat"] = caveat
    out = out[[*by, "leads", "young_leads", "young_share", "days", "caveat"]]
    return attrs(out.reset_index(drop=True), prep, 0.95, by=by, quantile=quantile)


def _young_words(young: int, share: float, limit: int, quantile: float | None) -> str:
    """ "212 leads (18%) are younger than 41 days, the time within which 90% of sales
    close: their conversion is not final" (``quantile`` None: the age at which
    conversion is compared)."""
    if quantile is None:
        return n_(
            "{leads} leads ({share}) are younger than {n} day, the age at which conversion "
            "is compared: their conversion is not final",
            "{leads} leads ({share}) are younger than {n} days, the age at which conversion "
            "is compared: their conversion is not final",
            limit,
            leads=fmt_money(young),
            share=fmt_share(share),
        )
    return n_(
        "{leads} leads ({share}) are younger than {n} day, the time within which "
        "{quantile} of sales close: their conversion is not final",
        "{leads} leads ({share}) are younger than {n} days, the time within which "
        "{quantile} of sales close: their conversion is not final",
        limit,
        leads=fmt_money(young),
        share=fmt_share(share),
        quantile=fmt_share(quantile),
    )


def _pct(v: float) -> str:
    """A rate in percent with one decimal, in the language's decimal mark."""
    return _dec(100 * v, 1) + ("%" if language() == "en" else "\u00a0%")


def _counts(sales: int, leads: int) -> str:
    """ "12 sales of 340 leads"."""
    return n_(
        "{sales} sales of {n} leads",
        "{sales} sales of {n} leads",
        leads,
        sales=fmt_int(sales),
    )


def _crude_kind(r) -> str:
    """What a row of `crude_vs_adjusted` reads, from its numbers (as its ``reading`` says
    it): "nested", "uncertain", "mix", "hidden", "real_mix", "real" or "none"."""
    if r.nested_in:
        return "nested"
    if not np.isfinite(r.adjusted_or):
        return "none"
    crude_sig = bool(np.isfinite(r.crude_q) and r.crude_q < 0.05)
    adj_sig = bool(np.isfinite(r.adjusted_q) and r.adjusted_q < 0.05)
    if crude_sig and not adj_sig:
        return "uncertain" if r.adjusted_low <= r.crude_or <= r.adjusted_high else "mix"
    if adj_sig and not crude_sig:
        return "hidden"
    if crude_sig and adj_sig:
        return "real_mix" if r.mix_effect > 1.5 or r.mix_effect < 1 / 1.5 else "real"
    return "none"


def findings(
    fit: ConversionFit | None = None,
    crude_adjusted: pd.DataFrame | None = None,
    interaction: dict | None = None,
    shrunk: pd.DataFrame | None = None,
    quality=None,
    caveats: list[str] | tuple[str, ...] = (),
) -> list[str]:
    """What the data can and cannot yet tell, in plain sentences (Markdown bullets).

    Each argument is optional: the output of `fit_conversion`, `crude_vs_adjusted`,
    `interaction_test`, `analysis.shrink.shrink_rates` and `analysis.ordinal.fit_quality`,
    and caveats the caller knows (missing fields, young leads).
    """
    can: list[str] = []
    cannot: list[str] = []
    if fit is not None:
        _fit_findings(fit, can, cannot)
    if crude_adjusted is not None and len(crude_adjusted):
        for r in crude_adjusted.itertuples():
            kind = _crude_kind(r)
            if kind == "nested" and fit is not None:
                continue  # said with the fit's own rows
            if kind in ("nested", "uncertain"):
                cannot.append(
                    _(
                        "**{level}** ({counts}, {rate}): {reading}.",
                        level=r.level,
                        counts=_counts(r.sales, r.leads),
                        rate=_pct(r.rate),
                        reading=r.reading,
                    )
                )
            elif kind in ("mix", "hidden", "real_mix"):
                can.append(
                    _(
                        "**{level}**: {reading} (crude odds ratio {crude}, adjusted {adjusted}).",
                        level=r.level,
                        reading=r.reading,
                        crude=_dec(r.crude_or),
                        adjusted=_dec(r.adjusted_or),
                    )
                )
    if interaction is not None and np.isfinite(interaction.get("p_value", np.nan)):
        (can if interaction["p_value"] < 0.05 else cannot).append(interaction["verdict"] + ".")
    if shrunk is not None and len(shrunk):
        level_col = [
            c
            for c in shrunk.columns
            if c
            not in (
                "leads",
                "sales",
                "rate",
                "rate_low",
                "rate_high",
                "shrunk",
                "shrunk_low",
                "shrunk_high",
                "prior_rate",
                "prior_leads",
                "weight",
                "flag",
            )
        ][-1]
        for r in shrunk[shrunk["flag"] != ""].itertuples():
            said = dict(
                term=_word(level_col),
                name=getattr(r, level_col),
                leads=fmt_int(r.leads),
                sales=fmt_int(r.sales),
                flag=_word(r.flag),
            )
            if r.weight >= 1:  # nothing to borrow from: its parent has no sales (or only)
                cannot.append(
                    _(
                        "{term} **{name}** has {leads} leads and {sales} sales ({flag}): "
                        "{rate} ({low}–{high}), and the leads of its parent are all alike "
                        "(no sales, or only sales), so there is nothing to pool it with.",
                        **said,
                        rate=_pct(r.rate),
                        low=_pct(r.rate_low),
                        high=_pct(r.rate_high),
                    )
                )
                continue
            cannot.append(
                _(
                    "{term} **{name}** has {leads} leads and {sales} sales ({flag}): its own "
                    "rate is not reliable; pooled with its parent it is about {rate} "
                    "({low}–{high}).",
                    **said,
                    rate=_pct(r.shrunk),
                    low=_pct(r.shrunk_low),
                    high=_pct(r.shrunk_high),
                )
            )
    if quality is not None and len(quality.terms):
        factor = _word(quality.factor)
        for r in quality.terms.itertuples():
            classified = fmt_int(r.classified)
            if str(r.flag).startswith("all "):  # every classified lead in one class
                cls = str(r.flag).split(":")[0].removeprefix("all ")
                # with every level in one class there is no reference level to name
                if isinstance(r.reference, str):
                    cannot.append(
                        _(
                            "{factor} **{level}**: all {n} classified leads are {cls}; no "
                            "odds ratio against {reference} can be estimated.",
                            factor=factor,
                            level=r.level,
                            n=classified,
                            cls=_word(cls),
                            reference=r.reference,
                        )
                    )
                else:
                    cannot.append(
                        _(
                            "{factor} **{level}**: all {n} classified leads are {cls}; no "
                            "odds ratio can be estimated.",
                            factor=factor,
                            level=r.level,
                            n=classified,
                            cls=_word(cls),
                        )
                    )
            elif not np.isfinite(r.odds_ratio):
                cannot.append(
                    _(
                        "{factor} **{level}**: too few classified leads ({n}) spread over the "
                        "classes to compare its lead quality with {reference}.",
                        factor=factor,
                        level=r.level,
                        n=classified,
                        reference=r.reference,
                    )
                )
            else:
                said = dict(
                    factor=factor,
                    level=r.level,
                    reference=r.reference,
                    odds=_dec(r.odds_ratio),
                    low=_dec(r.or_low),
                    high=_dec(r.or_high),
                    n=classified,
                )
                if r.q_value >= 0.05 or r.flag != "":
                    cannot.append(
                        _(
                            "{factor} **{level}**: lead quality not distinguishable from "
                            "{reference} (odds of a hotter class ×{odds}, {low}–{high}; {n} "
                            "classified leads).",
                            **said,
                        )
                    )
                elif r.odds_ratio > 1:
                    can.append(
                        _(
                            "{factor} **{level}** brings hotter leads than {reference}: odds "
                            "of a hotter class ×{odds} ({low}–{high}), {n} classified leads.",
                            **said,
                        )
                    )
                else:
                    can.append(
                        _(
                            "{factor} **{level}** brings colder leads than {reference}: odds "
                            "of a hotter class ×{odds} ({low}–{high}), {n} classified leads.",
                            **said,
                        )
                    )
    out = [_("**What the data can tell:**")]
    out += [f"- {x}" for x in _at_most(can) or [_("nothing yet.")]]
    out += ["", _("**What the data cannot tell yet:**")]
    out += [f"- {x}" for x in _at_most([*cannot, *caveats]) or [_("nothing left open.")]]
    return out


#: Sentences a list of findings shows at most (a report of 5,000 campaigns listed them
#: all, 3 MB of one page); the page's tables have every one.
LISTED = 25


def _at_most(items: list[str]) -> list[str]:
    """The first `LISTED` sentences of ``items`` and one saying how many more there are."""
    if len(items) <= LISTED:
        return items
    more = len(items) - LISTED
    return [
        *items[:LISTED],
        n_(
            "and {n} more like these: each is in this page's tables and the workbook.",
            "and {n} more like these: each is in this page's tables and the workbook.",
            more,
        ),
    ]


def _fit_findings(fit: ConversionFit, can: list[str], cannot: list[str]) -> None:
    """The sentences of one conversion fit: each comparison by its ``status``, so the
    words never say more than the interval shown beside them (see `fit_conversion`)."""
    if fit.state != "ok":
        n, k = int(fit.cells["leads"].sum()), int(fit.cells["sales"].sum())
        if fit.state == "no_sales":
            cannot.append(
                n_(
                    "Not one of the {n} lead is a sale yet, so no conversion can be compared: "
                    "every group converts at 0% for want of sales.",
                    "Not one of the {n} leads is a sale yet, so no conversion can be "
                    "compared: every group converts at 0% for want of sales.",
                    n,
                )
            )
        elif fit.state == "all_sales" and n == 1:
            cannot.append(
                _(
                    "The one lead is a sale, so no group can convert better than another: "
                    "there is nothing to compare."
                )
            )
        elif fit.state == "all_sales":
            cannot.append(
                n_(
                    "Every one of the {n} leads is a sale, so no group can convert better "
                    "than another: there is nothing to compare.",
                    "Every one of the {n} leads is a sale, so no group can convert better "
                    "than another: there is nothing to compare.",
                    n,
                )
            )
        else:
            cannot.append(
                _(
                    "Too little data to compare conversion ({counts}): no level has enough "
                    "leads both with and without a sale to be estimated.",
                    counts=_counts(k, n),
                )
            )
        return
    for r in fit.terms.itertuples():
        name = f"{_word(r.term)} **{r.level}**"
        if r.level == POOLED and r.members:
            name = _("{name} (levels {members})", name=name, members=r.members)
        said = dict(
            name=name,
            counts=_counts(r.sales, r.leads),
            reference=r.reference,
            rate=_pct(r.rate),
            reference_rate=_pct(r.reference_rate),
        )
        odds = dict(odds=_dec(r.odds_ratio), low=_dec(r.or_low), high=_dec(r.or_high))
        status = getattr(r, "status", "")
        if status == "not_separable":
            cannot.append(
                _(
                    "{name} ({counts}, {rate} against {reference_rate} for {reference}) "
                    "cannot be separated from {nested}: (nearly) all its leads are there and "
                    "few others are, so whether the difference is its own or {nested}'s "
                    "cannot be told.",
                    **said,
                    nested=r.nested_in,
                )
            )
        elif status in ("no_estimate", "unstable") or not np.isfinite(r.odds_ratio):
            cannot.append(
                _(
                    "{name} ({counts}): no estimate of its own ({flag}).",
                    name=name,
                    counts=said["counts"],
                    flag=_word(r.flag) if r.flag else _("no data"),
                )
            )
        elif status == "differs" and r.odds_ratio > 1:
            can.append(
                _(
                    "{name} converts more often than {reference} with the other factors held "
                    "equal: odds ratio {odds} ({low}–{high}); raw conversion {rate} against "
                    "{reference_rate} ({counts}).",
                    **said,
                    **odds,
                )
            )
        elif status == "differs":
            can.append(
                _(
                    "{name} converts less often than {reference} with the other factors held "
                    "equal: odds ratio {odds} ({low}–{high}); raw conversion {rate} against "
                    "{reference_rate} ({counts}).",
                    **said,
                    **odds,
                )
            )
        elif status == "differs_alone":
            cannot.append(
                _(
                    "{name} against {reference}: odds ratio {odds} ({low}–{high}) on its own, "
                    "but among all the comparisons made a gap this size can come from chance "
                    "({counts}).",
                    **said,
                    **odds,
                )
            )
        elif status == "not_by_waiting":
            cannot.append(
                _(
                    "{name} against {reference}: {rate} vs {reference_rate} ({counts}; odds "
                    "ratio {odds}, {low}–{high}). Waiting will not settle it: telling a gap "
                    "this small would take about {needed} more leads, over ten times as many "
                    "as there are; the interval bounds how large the difference can be.",
                    **said,
                    **odds,
                    needed=_about(r.leads_needed),
                )
            )
        elif status == "no_difference" or not np.isfinite(r.leads_needed):
            cannot.append(_("{name}: no difference from {reference} seen ({counts}).", **said))
        else:
            cannot.append(
                _(
                    "{name} against {reference}: {rate} vs {reference_rate} is within chance "
                    "({counts}; odds ratio {odds}, {low}–{high}); about {needed} more leads "
                    "would tell a difference this size.",
                    **said,
                    **odds,
                    needed=_about(r.leads_needed),
                )
            )


def cpl_vs_cac_finding(table: pd.DataFrame, period: str, currency: str | None = None) -> str:
    """A Markdown paragraph comparing the first and last period's cost per lead, the
    conversion of paid leads and the cost per sale.

    Cost per lead carries no sampling error (spend and leads are counted); cost per sale
    does, through conversion, so its change gets a 95% interval from the ratio of the
    two conversion rates (Katz log interval) and a plain verdict.
    """
    from analysis.insight.numbers import money

    t = table.dropna(subset=["cpl"]).reset_index(drop=True)
    if len(t) < 2:
        return _("Fewer than two periods with spend: no change to describe.")
    a, b = t.iloc[0], t.iloc[-1]
    cpl_change = b["cpl"] / a["cpl"] - 1
    ca, cb = a["paid_sales"] / a["paid_leads"], b["paid_sales"] / b["paid_leads"]
    lo_a, hi_a = wilson_interval(a["paid_sales"], a["paid_leads"])
    lo_b, hi_b = wilson_interval(b["paid_sales"], b["paid_leads"])
    said = dict(
        a=period_name(a[period]),
        b=period_name(b[period]),
        change=_whole_percent(abs(cpl_change)),
        cpl_a=money(a["cpl"], currency),
        cpl_b=money(b["cpl"], currency),
        leads_a=fmt_money(a["paid_leads"]),
        leads_b=fmt_money(b["paid_leads"]),
    )
    if cpl_change > 0:
        text = _(
            "From {a} to {b}, **cost per lead rose {change}**: {cpl_a} over {leads_a} paid "
            "leads, then {cpl_b} over {leads_b}.",
            **said,
        )
    elif cpl_change < 0:
        text = _(
            "From {a} to {b}, **cost per lead fell {change}**: {cpl_a} over {leads_a} paid "
            "leads, then {cpl_b} over {leads_b}.",
            **said,
        )
    else:
        text = _(
            "From {a} to {b}, **cost per lead did not change {change}**: {cpl_a} over "
            "{leads_a} paid leads, then {cpl_b} over {leads_b}.",
            **said,
        )
    text += " " + _(
        "Conversion of paid leads to a sale went from {a} to {b}.",
        a=fmt_rate(ca, float(lo_a), float(hi_a)),
        b=fmt_rate(cb, float(lo_b), float(hi_b)),
    )
    text += " "
    if a["paid_sales"] == 0 or b["paid_sales"] == 0:
        return text + _("Cost per sale cannot be compared: a period has no sales from paid leads.")
    cac_change, lo, hi = cost_per_sale_change(a, b)
    verdict = (
        _("the change is larger than chance.")
        if lo > 0 or hi < 0
        else _("within chance, so the data do not yet show that cost per sale changed.")
    )
    said = dict(
        change=_whole_percent(abs(cac_change)),
        cac_a=money(a["cac"], currency),
        cac_b=money(b["cac"], currency),
        sales_a=fmt_money(a["paid_sales"]),
        sales_b=fmt_money(b["paid_sales"]),
        low=_whole_percent(lo, sign=True),
        high=_whole_percent(hi, sign=True),
        verdict=verdict,
    )
    if cac_change > 0:
        text += _(
            "So **cost per sale rose {change}**, from {cac_a} ({sales_a} sales from paid "
            "leads) to {cac_b} ({sales_b} sales); 95% interval of the change {low} to "
            "{high}: {verdict}",
            **said,
        )
    elif cac_change < 0:
        text += _(
            "So **cost per sale fell {change}**, from {cac_a} ({sales_a} sales from paid "
            "leads) to {cac_b} ({sales_b} sales); 95% interval of the change {low} to "
            "{high}: {verdict}",
            **said,
        )
    else:
        text += _(
            "So **cost per sale did not change {change}**, from {cac_a} ({sales_a} sales "
            "from paid leads) to {cac_b} ({sales_b} sales); 95% interval of the change "
            "{low} to {high}: {verdict}",
            **said,
        )
    if cpl_change < 0 and lo > 0:
        text += " " + _("**Leads got cheaper while sales got dearer.**")
    elif cpl_change < 0 and cb < ca:
        text += " " + _("Leads got cheaper, and fewer of them buy.")
    return text


def cost_per_sale_change(a, b) -> tuple[float, float, float]:
    """The relative change of cost per sale from period row ``a`` to ``b`` (rows of
    `unit_economics` with ``cpl``, ``cac``, ``paid_sales``, ``paid_leads``), with its 95%
    interval: CAC_b / CAC_a = (CPL_b / CPL_a) / (conv_b / conv_a), and only the
    conversions are uncertain (Katz log interval of their ratio). Both periods need a
    sale from paid leads."""
    rr, rr_lo, rr_hi = rate_ratio(
        int(b["paid_sales"]), int(b["paid_leads"]), int(a["paid_sales"]), int(a["paid_leads"])
    )
    ratio = b["cpl"] / a["cpl"]
    return float(b["cac"] / a["cac"] - 1), float(ratio / rr_hi - 1), float(ratio / rr_lo - 1)


def window_words(facts: dict, created: str = "") -> str:
    """The leads' dates as the pages say them: ``from 2026-01-05 to 2026-06-30``, with
    how many leads have no creation date, or that the data have none. ``created``:
    a verb put before the dates (``"created "``)."""
    n, dated = facts["leads"], facts.get("dated_leads", facts["leads"])
    if not dated:
        return _("with no creation dates (periods and time to sale cannot be computed)")
    words = created + _(
        "from {first} to {last}",
        first=day_words(facts["first_lead"]),
        last=day_words(facts["last_lead"]),
    )
    if dated < n:
        words += " " + n_(
            "({n} of them without a creation date)",
            "({n} of them without a creation date)",
            n - dated,
        )
    return words
