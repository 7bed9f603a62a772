"""Plain sentences from the fits: what the data can and cannot tell, whose part a change
is, how young the leads are, whether cheaper leads made sales dearer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.base.i18n import _, n_
from analysis.engine.cells import Engine, Leads, count_true
from analysis.insight.numbers import fmt_measure, fmt_money, fmt_rate, fmt_share
from analysis.stats.glm import POOLED, ConversionFit, about
from analysis.stats.intervals import rate_ratio, wilson_interval
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


def _measure_words(attrs: dict) -> str:
    measure = attrs.get("measure", "sales")
    days = attrs.get("within_days")
    if days is None:
        return measure
    return (
        f"{measure} within {days} days"
        if measure == "sales"
        else (f"revenue of sales within {days} days")
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
    a_label, b_label = attrs.get("labels", ("A", "B"))
    words = _measure_words(attrs)
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
                detail = ", ".join(f"{m.label} {num(m.value)}" for m in mix.itertuples())
                name = "lead mix" if len(mix) > 1 else str(mix["label"].iloc[0])
                # the group's total as the sum of its parts as shown, so the sentence adds up
                d = 0 if measure == "revenue" else 1
                shown = float(sum(round(v, d) for v in mix["value"]))
                groups.append((f"marketing's {name}", shown, detail, "mix"))
            continue
        name = {
            "volume": "marketing's lead volume",
            "conversion": "the sales team's conversion",
            "revenue_per_sale": "the sales team's revenue per sale",
        }[r.part]
        groups.append((name, float(r.value), "", r.part))

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
        return (
            f"No {words} in either period ({fmt_measure(a, measure)} in {a_label}, "
            f"{fmt_measure(b, measure)} in {b_label}): there is no change to split."
        )
    scale = max(abs(a), abs(b), 1.0)
    still = abs(change) <= 1e-9 * scale
    if any(estimated):
        # at equal age the totals are estimates: say so, round them, give the counts
        # the observed counts of A and B (decompose's attrs); none in a hand-made table
        counts: tuple[dict, dict] = attrs.get("counts") or ({}, {})
        sides = [
            _estimated_side(v, label, est, c, measure, attrs.get("within_days"))
            for v, label, est, c in zip((a, b), (a_label, b_label), estimated, counts, strict=True)
        ]
        head = f"{words.capitalize()}, estimated for all leads at the rate of the leads old enough,"
        if still:
            listed = ", ".join(show(g) for g in groups)
            return (
                f"{head} did not change: {sides[0]} and {sides[1]}; the parts cancel out: {listed}."
            )
        verb = "fell" if change < 0 else "rose"
        story = f"{head} {verb} by about {fmt_measure(round(abs(change)), measure)}: "
        story += f"from {sides[0]} to {sides[1]}"
    else:
        story = f"{words.capitalize()} {{verb}} from {fmt_measure(a, measure)} in {a_label} to "
        story += f"{fmt_measure(b, measure)} in {b_label} ({num(change)})"
        if still:
            listed = ", ".join(show(g) for g in groups)
            return story.format(verb="went") + f": no change, the parts cancel out: {listed}."
        story = story.format(verb="fell" if change < 0 else "rose")
    tiny = 0.005 * max(abs(g[1]) for g in groups)
    same = sorted((g for g in groups if g[1] * change > 0), key=lambda g: -abs(g[1]))
    against = [g for g in groups if g[1] * change < 0 and abs(g[1]) > tiny]
    lead = same[0]
    verdict = (attrs.get("intervals") or {}).get("lead")
    if "change" in spans:
        low, high = spans["change"]
        chance = low <= 0 <= high
        said = _interval_words(spans["change"], measure)
        # inside the change's brackets, or (at equal age) a clause of its own
        if any(estimated):
            story += f", a change with a {said}" + (" (within chance)" if chance else "")
        else:
            story = f"{story[:-1]}; {said}" + (": within chance)" if chance else ")")
    if verdict is not None and not verdict["supported"]:
        # the intervals do not support the largest part being the largest: say so
        by_key = {g[3]: g for g in groups}
        first, second = by_key[verdict["group"]], by_key[verdict["next"]]
        span = spans.get(first[3])
        if span is not None and span[0] <= 0 <= span[1]:
            named = [first]
            text = (
                f"{story}. The data cannot yet tell whose part it is: the largest part, "
                f"{show(first, True)}, could as well be nothing"
            )
        else:
            named = [first, second]
            text = (
                f"{story}. The data cannot yet tell whose part is larger: "
                f"{show(first, True)} or {show(second, True)}"
            )
        rest = [g for g in groups if g not in named and abs(g[1]) > tiny]
        if rest:
            text += "; also " + " and ".join(show(g) for g in rest)
        return text + "."
    if verdict is not None:
        # supported: the largest part's interval excludes 0 and so does its margin over
        # the next part's
        how = "mainly" if abs(lead[1]) >= 0.5 * abs(change) else "most of all"
        text = f"{story}, {how} through {show(lead, True)}"
        others = same[1:]
    elif len(same) > 1 and abs(same[1][1]) >= 0.75 * abs(lead[1]):
        text = f"{story}, in similar parts through {show(lead)} and {show(same[1])}"
        others = same[2:]
    else:
        how = "mainly" if abs(lead[1]) >= 0.5 * abs(change) else "most of all"
        text = f"{story}, {how} through {show(lead)}"
        others = same[1:]
    if against:
        text += ", partly offset by " + " and ".join(show(g) for g in against)
    others = [g for g in others if abs(g[1]) > tiny]
    if others:
        text += "; also " + " and ".join(show(g) for g in others)
    owners = parts.groupby("owner", sort=False)["value"].sum()
    if len(owners) > 1 and (owners.abs() > tiny).all():
        text += f"; marketing's parts add up to {num(owners['marketing'])}"
        if "marketing" in spans:
            text += f" ({_interval_words(spans['marketing'], measure)})"
        text += f", the sales team's to {num(owners['sales'])}"
        if "sales" in spans:
            text += f" ({_interval_words(spans['sales'], measure)})"
    return text + "."


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
    return (
        f"95% interval {fmt_measure(lo, measure, sign=True)} to "
        f"{fmt_measure(hi, measure, sign=True)}"
    )


def _estimated_side(
    value: float, label: str, estimated: bool, counts: dict, measure: str, days
) -> str:
    """One period's total at equal age in words: observed, or an estimate and the counts
    it scales."""
    if not estimated:
        seen = "observed" if measure == "sales" else f"every lead at least {days} days old"
        return f"{fmt_measure(round(value), measure)} in {label} ({seen})"
    aged, leads = counts.get("leads_aged"), counts.get("leads")
    text = f"about {fmt_measure(round(value), measure)} in {label}"
    if aged is None or leads is None:
        return text
    if measure == "sales":
        within = counts.get("sales_within", 0)
        return (
            text + f" ({fmt_money(within)} observed among the {fmt_money(aged)} leads at "
            f"least {days} days old, scaled to {fmt_money(leads)})"
        )
    return (
        text + f" (at the rate of the {fmt_money(aged)} leads at least {days} days old, "
        f"scaled to {fmt_money(leads)})"
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
    what = (
        f"the time within which {fmt_share(quantile)} of sales close"
        if days is None
        else "the age at which conversion is compared"
    )
    if not np.isfinite(threshold):
        caveat = ["no sales yet: how long sales take cannot be told"] * len(out)
    else:
        caveat = [
            f"{fmt_money(y)} leads ({fmt_share(s)}) are younger than {limit} days, {what}: "
            "their conversion is not final"
            if y > 0
            else ""
            for y, s in zip(out["young_leads"], out["young_share"], strict=True)
        ]
    out["caveat"] = caveat
    out = out[[*by, "leads", "young_leads", "young_share", "days", "caveat"]]
    return attrs(out.reset_index(drop=True), prep, 0.95, by=by, quantile=quantile)


def _pct(v: float) -> str:
    return f"{100 * v:.1f}%"


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
            if r.reading.startswith("cannot be separated") and fit is not None:
                continue  # said with the fit's own rows
            if r.reading.startswith(("cannot be separated", "the adjusted comparison is too")):
                cannot.append(
                    f"**{r.level}** ({r.sales:,} sales of {r.leads:,} leads, "
                    f"{_pct(r.rate)}): {r.reading}."
                )
            elif r.reading.startswith(
                ("the crude difference goes away", "a difference hidden", "a real difference, but")
            ):
                can.append(
                    f"**{r.level}**: {r.reading} (crude odds ratio {r.crude_or:.2f}, "
                    f"adjusted {r.adjusted_or:.2f})."
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
            name = getattr(r, level_col)
            if r.weight >= 1:  # nothing to borrow from: its parent has no sales (or only)
                cannot.append(
                    f"{level_col} **{name}** has {r.leads:,} leads and {r.sales:,} sales "
                    f"({r.flag}): {_pct(r.rate)} ({_pct(r.rate_low)}–{_pct(r.rate_high)}), "
                    "and the leads of its parent are all alike (no sales, or only sales), so "
                    "there is nothing to pool it with."
                )
                continue
            cannot.append(
                f"{level_col} **{name}** has {r.leads:,} leads and {r.sales:,} sales "
                f"({r.flag}): its own rate is not reliable; pooled with its parent it is "
                f"about {_pct(r.shrunk)} ({_pct(r.shrunk_low)}–{_pct(r.shrunk_high)})."
            )
    if quality is not None and len(quality.terms):
        for r in quality.terms.itertuples():
            if str(r.flag).startswith("all "):  # every classified lead in one class
                cls = str(r.flag).split(":")[0].removeprefix("all ")
                # with every level in one class there is no reference level to name
                against = f" against {r.reference}" if isinstance(r.reference, str) else ""
                cannot.append(
                    f"{quality.factor} **{r.level}**: all {r.classified:,} classified leads "
                    f"are {cls}; no odds ratio{against} can be estimated."
                )
            elif not np.isfinite(r.odds_ratio):
                cannot.append(
                    f"{quality.factor} **{r.level}**: too few classified leads "
                    f"({r.classified:,}) spread over the classes to compare its lead quality "
                    f"with {r.reference}."
                )
            elif r.q_value >= 0.05 or r.flag != "":
                cannot.append(
                    f"{quality.factor} **{r.level}**: lead quality not distinguishable from "
                    f"{r.reference} (odds of a hotter class ×{r.odds_ratio:.2f}, "
                    f"{r.or_low:.2f}–{r.or_high:.2f}; {r.classified:,} classified leads)."
                )
            else:
                word = "hotter" if r.odds_ratio > 1 else "colder"
                can.append(
                    f"{quality.factor} **{r.level}** brings {word} leads than "
                    f"{r.reference}: odds of a hotter class ×{r.odds_ratio:.2f} "
                    f"({r.or_low:.2f}–{r.or_high:.2f}), {r.classified:,} classified leads."
                )
    out = ["**What the data can tell:**"] + [f"- {x}" for x in can or ["nothing yet."]]
    out += ["", "**What the data cannot tell yet:**"]
    out += [f"- {x}" for x in [*cannot, *caveats] or ["nothing left open."]]
    return out


def _fit_findings(fit: ConversionFit, can: list[str], cannot: list[str]) -> None:
    """The sentences of one conversion fit: each comparison by its ``status``, so the
    words never say more than the interval shown beside them (see `fit_conversion`)."""
    if fit.state != "ok":
        n, k = int(fit.cells["leads"].sum()), int(fit.cells["sales"].sum())
        cannot.append(
            {
                "no_sales": (
                    f"Not one of the {n:,} lead{'s' if n != 1 else ''} is a sale yet, so no "
                    "conversion can be compared: every group converts at 0% for want of sales."
                ),
                "all_sales": (
                    f"{f'Every one of the {n:,} leads' if n != 1 else 'The one lead'} is a "
                    "sale, so no group can convert better than another: there is nothing "
                    "to compare."
                ),
            }.get(
                fit.state,
                f"Too little data to compare conversion ({k:,} sales of {n:,} leads): no "
                "level has enough leads both with and without a sale to be estimated.",
            )
        )
        return
    for r in fit.terms.itertuples():
        counts = f"{r.sales:,} sales of {r.leads:,} leads"
        name = f"{r.term} **{r.level}**"
        if r.level == POOLED and r.members:
            name += f" (levels {r.members})"
        status = getattr(r, "status", "")
        if status == "not_separable":
            cannot.append(
                f"{name} ({counts}, {_pct(r.rate)} against {_pct(r.reference_rate)} for "
                f"{r.reference}) cannot be separated from {r.nested_in}: (nearly) all its "
                f"leads are there and few others are, so whether the difference is its own "
                f"or {r.nested_in}'s cannot be told."
            )
        elif status in ("no_estimate", "unstable") or not np.isfinite(r.odds_ratio):
            cannot.append(f"{name} ({counts}): no estimate of its own ({r.flag or 'no data'}).")
        elif status == "differs":
            word = "more" if r.odds_ratio > 1 else "less"
            can.append(
                f"{name} converts {word} often than {r.reference} with "
                f"the other factors held equal: odds ratio {r.odds_ratio:.2f} "
                f"({r.or_low:.2f}–{r.or_high:.2f}); raw conversion {_pct(r.rate)} "
                f"against {_pct(r.reference_rate)} ({counts})."
            )
        elif status == "differs_alone":
            cannot.append(
                f"{name} against {r.reference}: odds ratio {r.odds_ratio:.2f} "
                f"({r.or_low:.2f}–{r.or_high:.2f}) on its own, but among all the comparisons "
                f"made a gap this size can come from chance ({counts})."
            )
        elif status == "not_by_waiting":
            cannot.append(
                f"{name} against {r.reference}: {_pct(r.rate)} vs {_pct(r.reference_rate)} "
                f"({counts}; odds ratio {r.odds_ratio:.2f}, {r.or_low:.2f}–{r.or_high:.2f}). "
                f"Waiting will not settle it: telling a gap this small would take about "
                f"{about(r.leads_needed)} more leads, over ten times as many as there are; "
                "the interval bounds how large the difference can be."
            )
        elif status == "no_difference" or not np.isfinite(r.leads_needed):
            cannot.append(f"{name}: no difference from {r.reference} seen ({counts}).")
        else:
            cannot.append(
                f"{name} against {r.reference}: {_pct(r.rate)} vs "
                f"{_pct(r.reference_rate)} is within chance ({counts}; odds ratio "
                f"{r.odds_ratio:.2f}, {r.or_low:.2f}–{r.or_high:.2f}); about "
                f"{about(r.leads_needed)} more leads would tell a difference this size."
            )


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
    cac_change, lo, hi = cost_per_sale_change(a, b)
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


def _change_word(change: float) -> str:
    return "rose" if change > 0 else "fell" if change < 0 else "did not change"


def window_words(facts: dict, created: str = "") -> str:
    """The leads' dates as the pages say them: ``from 2026-01-05 to 2026-06-30``, with
    how many leads have no creation date, or that the data have none. ``created``:
    a verb put before the dates (``"created "``)."""
    n, dated = facts["leads"], facts.get("dated_leads", facts["leads"])
    if not dated:
        return _("with no creation dates (periods and time to sale cannot be computed)")
    words = created + _(
        "from {first} to {last}", first=facts["first_lead"], last=facts["last_lead"]
    )
    if dated < n:
        words += " " + n_(
            "({n} of them without a creation date)",
            "({n} of them without a creation date)",
            n - dated,
        )
    return words
