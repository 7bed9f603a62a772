"""The conversion-models page: is a difference in conversion signal or noise?

Each function takes the report context and returns a `Section`. The fits run on grouped
counts from the engine (``ctx.engine.cells(ctx.leads, ...)``), computed once per
context and shared by the sections; the lead and sale totals in the sentences are the
context's facts.
"""

from __future__ import annotations

import weakref
from functools import cached_property

import pandas as pd

from analysis.engine.cells import NOT_SET
from analysis.ingest.schema import NO_CAMPAIGN
from analysis.insight import findings as _findings
from analysis.render import figures
from analysis.render.sections import Section, period
from analysis.render.tables import show
from analysis.stats import compare, glm, ordinal
from analysis.stats.shrink import shrink_rates

__all__ = [
    "maturity",
    "segment_source",
    "source_odds",
    "crude_adjusted",
    "campaigns",
    "lead_quality",
    "what_data_tell",
]

_DIMS = ["source", "campaign", "qualification"]

_TERMS_COLUMNS = ["term", "level", "leads", "sales"]

#: The leads a cell of `figures.plot_rate_heatmap` needs to be coloured (fewer are
#: hatched); with none that large the heatmap would be empty.
_HEATMAP_MIN_LEADS = 30

_CRUDE_COLUMNS = [
    "level",
    "reference",
    "leads",
    "sales",
    "rate",
    "crude_or",
    "crude_low",
    "crude_high",
    "adjusted_or",
    "adjusted_low",
    "adjusted_high",
    "mix_effect",
    "reading",
]

_SHRUNK_COLUMNS = [
    "source",
    "campaign",
    "leads",
    "sales",
    "rate",
    "rate_low",
    "rate_high",
    "shrunk",
    "shrunk_low",
    "shrunk_high",
    "weight",
    "flag",
]

_QUALITY_COLUMNS = [
    "level",
    "reference",
    "classified",
    "odds_ratio",
    "or_low",
    "or_high",
    "q_value",
    "flag",
]


class _Models:
    """What the page's sections share, computed on first use, once per context."""

    def __init__(self, ctx) -> None:
        self._ctx = weakref.ref(ctx)

    @property
    def ctx(self):
        return self._ctx()

    @cached_property
    def segments(self) -> pd.DataFrame | None:
        """Leads and sales per segment (None when the leads have no segment column)."""
        ctx = self.ctx
        if "segment" not in ctx.leads.columns:
            return None
        return ctx.engine.cells(ctx.leads, ["segment"])

    @cached_property
    def segment_state(self) -> str:
        """ "ok", "unmapped", "empty", "one" (a single segment) or "converted_only"."""
        ctx = self.ctx
        if self.segments is None:  # the leads have no segment column
            return "unmapped"
        if "segment" in ctx.facts["outcome_dependent"]:
            return "converted_only"
        known = self.segments[self.segments["segment"] != NOT_SET]
        if known.empty:
            return "empty"
        if len(known) == 1 or not ctx.facts["can"]["segments"]:
            return "one"
        return "ok"

    @property
    def has_segment(self) -> bool:
        return self.segment_state == "ok"

    @property
    def has_qualification(self) -> bool:
        return bool(self.ctx.facts["can"]["qualification"])

    @cached_property
    def counts(self) -> pd.DataFrame:
        ctx = self.ctx
        return ctx.engine.cells(ctx.leads, _DIMS + (["segment"] if self.has_segment else []))

    @property
    def adjust(self) -> list[str]:
        return ["segment"] if self.has_segment else []

    @property
    def min_leads(self) -> int:
        return self.ctx.settings.min_leads

    @cached_property
    def fit(self) -> glm.ConversionFit:
        return glm.fit_conversion(self.counts, ["source", *self.adjust], min_leads=self.min_leads)

    @cached_property
    def crude(self) -> pd.DataFrame | None:
        if not self.has_segment:
            return None
        return compare.crude_vs_adjusted(
            self.counts, "source", self.adjust, min_leads=self.min_leads
        )

    @cached_property
    def interaction(self) -> dict | None:
        if not self.has_segment:
            return None
        return compare.interaction_test(self.counts, "source", "segment", min_leads=self.min_leads)

    @cached_property
    def shrunk(self) -> pd.DataFrame | None:
        if not self.ctx.facts["can"]["campaigns"]:
            return None
        return shrink_rates(
            self.counts,
            "campaign",
            "source",
            min_leads=self.min_leads,
            min_sales=self.ctx.settings.min_sales,
        )

    @cached_property
    def quality(self):
        if not self.has_qualification:
            return None
        return ordinal.fit_quality(self.counts, "campaign", min_leads=self.min_leads)

    def segment_words(self) -> str:
        """Why segments cannot be used, in plain words with the leads behind it."""
        facts, state = self.ctx.facts, self.segment_state
        n = facts["leads"]
        if state == "unmapped":
            return (
                f"The data name no segment for the leads (the profile maps no segment "
                f"field), so the {n:,} leads are compared by source only, and source "
                "comparisons cannot be adjusted for the segments each source brings."
            )
        if state == "empty":
            return (
                f"Not one of the {n:,} lead{'s' if n != 1 else ''} has a segment recorded, "
                "so leads are compared by source only, without adjusting for segment."
            )
        segments = self.segments
        if segments is None:  # "unmapped", answered above
            return ""
        known = segments[segments["segment"] != NOT_SET]
        if state == "one":
            return (
                f"All {int(known['leads'].sum()):,} leads with a segment (of {n:,}) are in "
                f"the same one ({known['segment'].iloc[0]}), so leads are compared by "
                "source only: there is no segment mix to adjust for."
            )
        if state == "converted_only":
            return (
                f"A segment is recorded only for converted leads ({int(known['leads'].sum()):,}"
                f" leads have one, and every one of them is a sale, of {n:,} leads), so "
                "conversion cannot be compared or adjusted by segment: leads are compared "
                "by source only."
            )
        return ""

    def caveats(self) -> list[str]:
        out = []
        if self.segment_state == "converted_only":
            out.append(
                "Segment is recorded only for converted leads, so conversion cannot be "
                "compared or adjusted by segment."
            )
        elif self.segment_state == "unmapped":
            out.append("The data have no segment: source comparisons cannot be adjusted for it.")
        elif self.segment_state in ("empty", "one"):
            out.append(
                "The data have no segment mix (no segment, or only one): source "
                "comparisons are not adjusted for it."
            )
        if not self.has_qualification:
            out.append("The data have no lead qualification: the hot/warm/cold mix is unknown.")
        return out


_KEPT: dict[int, _Models] = {}


def _models(ctx) -> _Models:
    """The shared computations of ``ctx``, made on the first section's call."""
    kept = _KEPT.get(id(ctx))
    if kept is not None and kept.ctx is ctx:
        return kept
    m = _Models(ctx)
    key = id(ctx)
    _KEPT[key] = m
    weakref.finalize(ctx, _KEPT.pop, key, None)
    return m


def _totals(ctx) -> str:
    return f"{ctx.facts['sales']:,} sales of {ctx.facts['leads']:,} leads"


def maturity(ctx) -> Section:
    """The report's one "mind the age of the leads" caveat (`period.lead_age`)."""
    return period.lead_age(ctx)


def segment_source(ctx) -> Section:
    """Conversion by segment and source (a heatmap), or by source only when the data
    have no usable segment. Table ``models_rates_within``: `compare.rates_within`, the
    overall rows labelled `compare.OVERALL`."""
    m = _models(ctx)
    figures.set_style()
    within = compare.rates_within(m.counts, "source", "segment", min_leads=m.min_leads)
    cells = within[within["segment"] != compare.OVERALL]
    if m.has_segment and not (cells["leads"] >= _HEATMAP_MIN_LEADS).any():
        overall = within[within["segment"] == compare.OVERALL]
        fig = figures.plot_conversion(overall, "source")
        text = (
            f"No segment and source cell has {_HEATMAP_MIN_LEADS} leads or more "
            f"({_totals(ctx)}), too few for a rate per cell: conversion by source only; "
            "the table gives every cell's counts."
        )
    elif m.has_segment:
        fig = figures.plot_rate_heatmap(cells, "segment", "source")
        text = (
            f"Conversion of each source within each segment ({_totals(ctx)}); a cell's "
            "rate rests on the leads written in it."
        )
    else:
        # the counts have no segment column: rates_within gives the per-source rows only
        fig = figures.plot_conversion(within, "source")
        text = f"{m.segment_words()} Conversion by source ({_totals(ctx)})."
    return Section(text=text, tables={"models_rates_within": within}, figure=fig)


def _no_model_words(ctx, fit: glm.ConversionFit, what: str) -> str:
    """Why ``what`` (e.g. "No odds ratios") cannot be given, in plain words."""
    n, k = ctx.facts["leads"], ctx.facts["sales"]
    if fit.state == "no_sales" or k == 0:
        why = (
            f"none of the {n:,} leads is a sale yet, so every source converts at 0% and "
            "there is no difference in conversion to estimate"
        )
    elif fit.state == "all_sales" or k == n:
        why = (
            f"every one of the {n:,} leads is a sale (100%), so no source can convert "
            "better than another"
        )
    else:
        why = (
            f"the data are too few to compare ({_totals(ctx)}): no source has enough "
            f"leads both with and without a sale (levels under {ctx.settings.min_leads} "
            "leads are pooled, and what is still all sales or no sales is left out)"
        )
    return f"{what}: {why}."


def _nested_words(terms: pd.DataFrame, min_leads: int) -> str:
    nested = terms[terms.get("status", pd.Series(dtype="str")) == "not_separable"]
    if nested.empty:
        return ""
    items = "; ".join(
        f"{r.term} {r.level} ({r.leads:,} leads) from {r.nested_in}" for r in nested.itertuples()
    )
    return (
        f"Some levels cannot be separated from a level of the other factor ({items}): at "
        f"least {glm.NESTED_SHARE:.0%} of their leads are there and the other levels have "
        f"fewer than {min_leads} leads there (or no sales, or only sales), so the model "
        "cannot tell their effects apart; they are grey in the chart and get no verdict."
    )


def source_odds(ctx) -> Section:
    """Odds ratios of conversion by source (adjusted for segment where usable), from a
    binomial GLM on grouped counts. Tables ``models_terms``, ``models_cells``."""
    m = _models(ctx)
    fit = m.fit
    tables = {"models_terms": fit.terms, "models_cells": fit.cells}
    adjusted = " and segment" if m.has_segment else ""
    notes = "\n\n".join(f"*{note[:1].upper()}{note[1:]}.*" for note in fit.notes)
    sources = m.counts["source"].nunique()
    if fit.state != "ok":
        return Section(
            text=_no_model_words(ctx, fit, "No odds ratios"),
            tables=tables,
            empty=True,
        )
    finite = pd.to_numeric(fit.terms["odds_ratio"], errors="coerce").notna()
    if fit.terms.empty or not finite.any():
        why = (
            f"only one source ({m.counts['source'].iloc[0]})"
            if sources < 2
            else "no source with enough leads and sales to estimate"
        )
        return Section(
            text=f"No odds ratios: the data have {why} ({_totals(ctx)}).\n\n{notes}".strip(),
            tables=tables,
            empty=True,
        )
    ref = fit.terms.loc[fit.terms["term"] == "source", "reference"]
    if len(ref):
        ref_words = f"; each source against {ref.iloc[0]}, the source with most leads"
    elif sources < 2:
        ref_words = (
            f"; the data have one source ({m.counts['source'].iloc[0]}), so sources "
            "cannot be compared and only segments are"
        )
    else:
        ref_words = ""
    figures.set_style()
    fig = figures.plot_forest(fit.terms, "Conversion odds ratios")
    text = (
        f"A binomial model of conversion on source{adjusted}, fitted on the grouped counts "
        f"of {_totals(ctx)}{ref_words}."
    )
    nested = _nested_words(fit.terms, m.min_leads)
    return Section(text=f"{text}\n\n{nested}\n\n{notes}".strip(), tables=tables, figure=fig)


def crude_adjusted(ctx) -> Section:
    """Crude against segment-adjusted odds ratios of each source, and whether source
    effects differ by segment. Table ``models_crude_vs_adjusted``."""
    m = _models(ctx)
    if not m.has_segment:
        return Section(text=f"No adjusted comparison. {m.segment_words()}", empty=True)
    crude, inter = m.crude, m.interaction
    if crude is None or inter is None:  # both are computed whenever segments are usable
        raise RuntimeError("segments are usable but the adjusted comparison is missing")
    if m.fit.state != "ok":
        return Section(text=_no_model_words(ctx, m.fit, "No adjusted comparison"), empty=True)
    if crude.empty:
        return Section(
            text=f"No adjusted comparison: the data have only one source to compare "
            f"({m.counts['source'].iloc[0]}, {_totals(ctx)}).",
            empty=True,
        )
    text = (
        f"**Do source effects differ by segment?** {inter['verdict']} (likelihood ratio "
        f"{inter['statistic']:.1f} on {inter['df']:.0f} df, {inter['cells']} cells of "
        f"{_totals(ctx)})."
        if pd.notna(inter["statistic"])
        else f"**Do source effects differ by segment?** {inter['verdict']} ({_totals(ctx)})."
    )
    return Section(
        text=text,
        tables={"models_crude_vs_adjusted": crude},
        views=[show(crude[_CRUDE_COLUMNS])],
    )


def campaigns(ctx) -> Section:
    """Each campaign's own rate beside its rate shrunk toward its source (empirical
    Bayes). Table ``models_campaigns_shrunk``."""
    m = _models(ctx)
    if m.shrunk is None:
        return Section(
            text=f"The data name no campaign for the {ctx.facts['leads']:,} leads, so "
            "there are no campaigns to compare.",
            empty=True,
        )
    shrunk = m.shrunk
    named = int((shrunk["campaign"] != NO_CAMPAIGN).sum())
    n, k = ctx.facts["leads"], ctx.facts["sales"]
    if k == 0 or k == n:
        return Section(
            text=f"{named} campaigns over {n:,} leads, and "
            + ("none of the leads is a sale yet" if k == 0 else "every lead is a sale")
            + ", so campaigns cannot differ in conversion: the table gives each one's leads.",
            tables={"models_campaigns_shrunk": shrunk},
            views=[show(shrunk[_SHRUNK_COLUMNS])],
        )
    flagged = int((shrunk["flag"] != "").sum())
    text = (
        f"{named} campaigns over {ctx.facts['leads']:,} leads (a source's leads "
        f"without a campaign are its {NO_CAMPAIGN!r} row). "
        + (
            f"{flagged} of the {len(shrunk)} rows rest on few leads or few sales: read "
            "their shrunk rate, not their own."
            if flagged
            else "Every row has enough leads and sales for its own rate to be read."
        )
    )
    return Section(
        text=text,
        tables={"models_campaigns_shrunk": shrunk},
        views=[show(shrunk[_SHRUNK_COLUMNS])],
    )


def lead_quality(ctx) -> Section:
    """Hot, warm and cold shares by source; odds of a hotter lead by campaign (ordinal
    logit); conversion of each class by source. Tables ``models_quality_terms``,
    ``models_quality_shares``, ``models_class_conversion``."""
    m = _models(ctx)
    if not m.has_qualification:
        return Section(
            text=f"The data have no lead qualification (hot, warm or cold) for any of "
            f"the {ctx.facts['leads']:,} leads, so lead quality cannot be compared.",
            empty=True,
        )
    counts = m.counts
    by_source = ordinal.quality_shares(counts, "source")
    quality = m.quality
    class_conv = compare.rates_within(
        counts[counts["qualification"] != "unknown"],
        "qualification",
        "source",
        min_leads=m.min_leads,
    )
    classified = int(counts.loc[counts["qualification"] != "unknown", "leads"].sum())
    figures.set_style()
    fig = figures.plot_quality_shares(by_source, "source")
    return Section(
        text=f"{classified:,} of {ctx.facts['leads']:,} leads have a class (hot, warm or "
        "cold); leads without one are left out here.",
        tables={
            "models_quality_terms": quality.terms,
            "models_quality_shares": quality.shares,
            "models_class_conversion": class_conv,
        },
        views=[
            show(
                quality.terms[_QUALITY_COLUMNS],
                caption="Odds of a hotter lead than the reference campaign "
                "(ordinal logit, cold < warm < hot)",
            ),
            show(class_conv, caption="Conversion of each class, by source and overall"),
        ],
        figure=fig,
    )


def what_data_tell(ctx) -> Section:
    """What the data can and cannot tell yet, in plain sentences."""
    m = _models(ctx)
    lines = _findings.findings(m.fit, m.crude, m.interaction, m.shrunk, m.quality, m.caveats())
    return Section(text="\n".join(lines))


def terms_check(section: Section) -> str:
    """The reproducible text of the odds-ratio section (the notebook's output check)."""
    return section.tables["models_terms"][_TERMS_COLUMNS].to_string(index=False)
