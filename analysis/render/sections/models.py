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

from analysis.base.i18n import _, fmt_count, n_
from analysis.engine.cells import NOT_SET
from analysis.ingest.schema import NO_CAMPAIGN
from analysis.insight import findings as _findings
from analysis.render import figures
from analysis.render.sections import Section, period
from analysis.render.tables import show
from analysis.stats import compare, glm, ordinal
from analysis.stats.intervals import fmt_number
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
            return n_(
                "The data name no segment for the leads (the profile maps no segment "
                "field), so the {count} leads are compared by source only, and source "
                "comparisons cannot be adjusted for the segments each source brings.",
                "The data name no segment for the leads (the profile maps no segment "
                "field), so the {count} leads are compared by source only, and source "
                "comparisons cannot be adjusted for the segments each source brings.",
                n,
                count=fmt_count(n),
            )
        if state == "empty":
            return n_(
                "Not one of the {count} lead has a segment recorded, so leads are compared "
                "by source only, without adjusting for segment.",
                "Not one of the {count} leads has a segment recorded, so leads are compared "
                "by source only, without adjusting for segment.",
                n,
                count=fmt_count(n),
            )
        segments = self.segments
        if segments is None:  # "unmapped", answered above
            return ""
        known = segments[segments["segment"] != NOT_SET]
        with_segment = int(known["leads"].sum())
        if state == "one":
            return n_(
                "All {known} leads with a segment (of {count}) are in the same one "
                "({segment}), so leads are compared by source only: there is no segment "
                "mix to adjust for.",
                "All {known} leads with a segment (of {count}) are in the same one "
                "({segment}), so leads are compared by source only: there is no segment "
                "mix to adjust for.",
                with_segment,
                known=fmt_count(with_segment),
                count=fmt_count(n),
                segment=known["segment"].iloc[0],
            )
        if state == "converted_only":
            return n_(
                "A segment is recorded only for converted leads ({known} leads have one, "
                "and every one of them is a sale, of {count} leads), so conversion cannot "
                "be compared or adjusted by segment: leads are compared by source only.",
                "A segment is recorded only for converted leads ({known} leads have one, "
                "and every one of them is a sale, of {count} leads), so conversion cannot "
                "be compared or adjusted by segment: leads are compared by source only.",
                with_segment,
                known=fmt_count(with_segment),
                count=fmt_count(n),
            )
        return ""

    def caveats(self) -> list[str]:
        out = []
        if self.segment_state == "converted_only":
            out.append(
                _(
                    "Segment is recorded only for converted leads, so conversion cannot be "
                    "compared or adjusted by segment."
                )
            )
        elif self.segment_state == "unmapped":
            out.append(_("The data have no segment: source comparisons cannot be adjusted for it."))
        elif self.segment_state in ("empty", "one"):
            out.append(
                _(
                    "The data have no segment mix (no segment, or only one): source "
                    "comparisons are not adjusted for it."
                )
            )
        if not self.has_qualification:
            out.append(_("The data have no lead qualification: the hot/warm/cold mix is unknown."))
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
    """``280 sales of 4,335 leads``, in the reader's language."""
    k, n = ctx.facts["sales"], ctx.facts["leads"]
    sales = n_("{count} sales", "{count} sales", k, count=fmt_count(k))
    return n_(
        "{sales} of {count} leads", "{sales} of {count} leads", n, sales=sales, count=fmt_count(n)
    )


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
        text = _(
            "No segment and source cell has {min_leads} leads or more ({totals}), too few "
            "for a rate per cell: conversion by source only; the table gives every cell's "
            "counts.",
            min_leads=_HEATMAP_MIN_LEADS,
            totals=_totals(ctx),
        )
    elif m.has_segment:
        fig = figures.plot_rate_heatmap(cells, "segment", "source")
        text = _(
            "Conversion of each source within each segment ({totals}); a cell's rate rests "
            "on the leads written in it.",
            totals=_totals(ctx),
        )
    else:
        # the counts have no segment column: rates_within gives the per-source rows only
        fig = figures.plot_conversion(within, "source")
        text = _(
            "{why} Conversion by source ({totals}).", why=m.segment_words(), totals=_totals(ctx)
        )
    return Section(text=text, tables={"models_rates_within": within}, figure=fig)


def _no_model_words(ctx, fit: glm.ConversionFit, what: str) -> str:
    """Why ``what`` (e.g. "No odds ratios", in the reader's language) cannot be given,
    in plain words."""
    n, k = ctx.facts["leads"], ctx.facts["sales"]
    if fit.state == "no_sales" or k == 0:
        why = n_(
            "none of the {count} leads is a sale yet, so every source converts at 0% and "
            "there is no difference in conversion to estimate",
            "none of the {count} leads is a sale yet, so every source converts at 0% and "
            "there is no difference in conversion to estimate",
            n,
            count=fmt_count(n),
        )
    elif fit.state == "all_sales" or k == n:
        why = n_(
            "every one of the {count} leads is a sale (100%), so no source can convert "
            "better than another",
            "every one of the {count} leads is a sale (100%), so no source can convert "
            "better than another",
            n,
            count=fmt_count(n),
        )
    else:
        why = _(
            "the data are too few to compare ({totals}): no source has enough leads both "
            "with and without a sale (levels under {min_leads} leads are pooled, and what "
            "is still all sales or no sales is left out)",
            totals=_totals(ctx),
            min_leads=ctx.settings.min_leads,
        )
    return _("{what}: {why}.", what=what, why=why)


def _nested_words(terms: pd.DataFrame, min_leads: int) -> str:
    nested = terms[terms.get("status", pd.Series(dtype="str")) == "not_separable"]
    if nested.empty:
        return ""
    items = "; ".join(_nested_item(r) for r in nested.itertuples())
    return _(
        "Some levels cannot be separated from a level of the other factor ({items}): at "
        "least {share} of their leads are there and the other levels have fewer than "
        "{min_leads} leads there (or no sales, or only sales), so the model cannot tell "
        "their effects apart; they are grey in the chart and get no verdict.",
        items=items,
        share=format(glm.NESTED_SHARE, ".0%"),
        min_leads=min_leads,
    )


def _nested_item(r) -> str:
    """``source vk (1,651 leads) from segment lead form``, in the reader's language."""
    term, level = glm.nested_parts(r.nested_in)
    return n_(
        "{term} {level} ({count} leads) from {in_term} {in_level}",
        "{term} {level} ({count} leads) from {in_term} {in_level}",
        r.leads,
        term=_(r.term),
        level=glm.shown_level(r.level),
        count=fmt_count(r.leads),
        in_term=_(term),
        in_level=glm.shown_level(level),
    )


def source_odds(ctx) -> Section:
    """Odds ratios of conversion by source (adjusted for segment where usable), from a
    binomial GLM on grouped counts. Tables ``models_terms``, ``models_cells``."""
    m = _models(ctx)
    fit = m.fit
    tables = {"models_terms": fit.terms, "models_cells": fit.cells}
    notes = "\n\n".join(f"*{note[:1].upper()}{note[1:]}.*" for note in fit.notes)
    sources = m.counts["source"].nunique()
    if fit.state != "ok":
        return Section(
            text=_no_model_words(ctx, fit, _("No odds ratios")),
            tables=tables,
            empty=True,
        )
    finite = pd.to_numeric(fit.terms["odds_ratio"], errors="coerce").notna()
    if fit.terms.empty or not finite.any():
        why = (
            _(
                "No odds ratios: the data have only one source ({source}) ({totals}).",
                source=m.counts["source"].iloc[0],
                totals=_totals(ctx),
            )
            if sources < 2
            else _(
                "No odds ratios: the data have no source with enough leads and sales to "
                "estimate ({totals}).",
                totals=_totals(ctx),
            )
        )
        return Section(text=f"{why}\n\n{notes}".strip(), tables=tables, empty=True)
    ref = fit.terms.loc[fit.terms["term"] == "source", "reference"]
    if len(ref):
        ref_words = _(
            "; each source against {reference}, the source with most leads",
            reference=ref.iloc[0],
        )
    elif sources < 2:
        ref_words = _(
            "; the data have one source ({source}), so sources cannot be compared and only "
            "segments are",
            source=m.counts["source"].iloc[0],
        )
    else:
        ref_words = ""
    figures.set_style()
    fig = figures.plot_forest(fit.terms, _("Conversion odds ratios"))
    text = (
        _(
            "A binomial model of conversion on source and segment, fitted on the grouped "
            "counts of {totals}{reference}.",
            totals=_totals(ctx),
            reference=ref_words,
        )
        if m.has_segment
        else _(
            "A binomial model of conversion on source, fitted on the grouped counts of "
            "{totals}{reference}.",
            totals=_totals(ctx),
            reference=ref_words,
        )
    )
    nested = _nested_words(fit.terms, m.min_leads)
    return Section(text=f"{text}\n\n{nested}\n\n{notes}".strip(), tables=tables, figure=fig)


def crude_adjusted(ctx) -> Section:
    """Crude against segment-adjusted odds ratios of each source, and whether source
    effects differ by segment. Table ``models_crude_vs_adjusted``."""
    m = _models(ctx)
    if not m.has_segment:
        return Section(text=_("No adjusted comparison. {why}", why=m.segment_words()), empty=True)
    crude, inter = m.crude, m.interaction
    if crude is None or inter is None:  # both are computed whenever segments are usable
        raise RuntimeError("segments are usable but the adjusted comparison is missing")
    if m.fit.state != "ok":
        return Section(text=_no_model_words(ctx, m.fit, _("No adjusted comparison")), empty=True)
    if crude.empty:
        return Section(
            text=_(
                "No adjusted comparison: the data have only one source to compare "
                "({source}, {totals}).",
                source=m.counts["source"].iloc[0],
                totals=_totals(ctx),
            ),
            empty=True,
        )
    text = (
        n_(
            "**Do source effects differ by segment?** {verdict} (likelihood ratio "
            "{statistic} on {df} df, {n} cells of {totals}).",
            "**Do source effects differ by segment?** {verdict} (likelihood ratio "
            "{statistic} on {df} df, {n} cells of {totals}).",
            inter["cells"],
            verdict=inter["verdict"],
            statistic=fmt_number(inter["statistic"], ".1f"),
            df=fmt_number(inter["df"], ".0f"),
            totals=_totals(ctx),
        )
        if pd.notna(inter["statistic"])
        else _(
            "**Do source effects differ by segment?** {verdict} ({totals}).",
            verdict=inter["verdict"],
            totals=_totals(ctx),
        )
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
    n, k = ctx.facts["leads"], ctx.facts["sales"]
    if m.shrunk is None:
        return Section(
            text=n_(
                "The data name no campaign for the {count} leads, so there are no campaigns "
                "to compare.",
                "The data name no campaign for the {count} leads, so there are no campaigns "
                "to compare.",
                n,
                count=fmt_count(n),
            ),
            empty=True,
        )
    shrunk = m.shrunk
    named = int((shrunk["campaign"] != NO_CAMPAIGN).sum())
    if k == 0 or k == n:
        return Section(
            text=(
                _(
                    "{named} campaigns over {count} leads, and none of the leads is a sale "
                    "yet, so campaigns cannot differ in conversion: the table gives each "
                    "one's leads.",
                    named=named,
                    count=fmt_count(n),
                )
                if k == 0
                else _(
                    "{named} campaigns over {count} leads, and every lead is a sale, so "
                    "campaigns cannot differ in conversion: the table gives each one's leads.",
                    named=named,
                    count=fmt_count(n),
                )
            ),
            tables={"models_campaigns_shrunk": shrunk},
            views=[show(shrunk[_SHRUNK_COLUMNS])],
        )
    flagged = int((shrunk["flag"] != "").sum())
    text = (
        _(
            "{named} campaigns over {count} leads (a source's leads without a campaign are "
            "its '{none}' row).",
            named=named,
            count=fmt_count(n),
            none=NO_CAMPAIGN,
        )
        + " "
        + (
            _(
                "{flagged} of the {rows} rows rest on few leads or few sales: read their "
                "shrunk rate, not their own.",
                flagged=flagged,
                rows=len(shrunk),
            )
            if flagged
            else _("Every row has enough leads and sales for its own rate to be read.")
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
    n = ctx.facts["leads"]
    if not m.has_qualification:
        return Section(
            text=n_(
                "The data have no lead qualification (hot, warm or cold) for any of the "
                "{count} leads, so lead quality cannot be compared.",
                "The data have no lead qualification (hot, warm or cold) for any of the "
                "{count} leads, so lead quality cannot be compared.",
                n,
                count=fmt_count(n),
            ),
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
        text=n_(
            "{classified} of {count} leads have a class (hot, warm or cold); leads without "
            "one are left out here.",
            "{classified} of {count} leads have a class (hot, warm or cold); leads without "
            "one are left out here.",
            n,
            classified=fmt_count(classified),
            count=fmt_count(n),
        ),
        tables={
            "models_quality_terms": quality.terms,
            "models_quality_shares": quality.shares,
            "models_class_conversion": class_conv,
        },
        views=[
            show(
                quality.terms[_QUALITY_COLUMNS],
                caption=_(
                    "Odds of a hotter lead than the reference campaign "
                    "(ordinal logit, cold < warm < hot)"
                ),
            ),
            show(class_conv, caption=_("Conversion of each class, by source and overall")),
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
