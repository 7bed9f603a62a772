# %% [markdown]
# # Conversion models: signal or noise?
# "Campaign X converts 12% and campaign Y 9%" means nothing until we know whether the gap
# is larger than chance, and whether it is the campaign or the mix of segments it brings.
# Every estimate below comes with its interval and the leads behind it; small campaigns
# are pooled toward their source instead of being ranked by luck.

# %%
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from analysis.engine.cells import engine_for
from analysis.ingest.load import load_dataset
from analysis.insight import findings
from analysis.insight.audit import outcome_dependent_fields
from analysis.render import figures
from analysis.render.sections import save_table
from analysis.render.tables import show
from analysis.stats import glm, ordinal
from analysis.stats.shrink import shrink_rates

# %% tags=["parameters"]
PROFILE = "sample"
INPUTS = {}
CLIENT = ""
OUTPUT_DIR = ""
CURRENCY = ""
DATE_FROM = ""
DATE_TO = ""
ENGINE = ""
MIN_LEADS = 30

# %%
figures.set_style()
ds = load_dataset(
    PROFILE, INPUTS, start=DATE_FROM, end=DATE_TO, currency=CURRENCY, cache=True
)  # read and checked once per report: the other notebooks reuse the kept copy
eng = engine_for(ds, ENGINE)  # where leads are grouped (DuckDB, Spark, a warehouse)
dims = ["source", "campaign", "qualification"]
has_segment = "segment" in ds.leads and "segment" not in outcome_dependent_fields(ds.leads)
has_qualification = (ds.leads["qualification"] != "unknown").any()
counts = eng.cells(ds.leads, dims + (["segment"] if has_segment else []))
caveats = []
if "segment" in outcome_dependent_fields(ds.leads):
    caveats.append(
        "Segment is recorded only for converted leads, so conversion cannot be "
        "compared or adjusted by segment."
    )
elif "segment" not in ds.leads:
    caveats.append("The data have no segment: source comparisons cannot be adjusted for it.")
if not has_qualification:
    caveats.append("The data have no lead qualification: the hot/warm/cold mix is unknown.")

# %%
if "won_at" in ds.leads and ds.leads["won_at"].notna().any():
    young = findings.maturity_caveat(ds.leads, engine=eng)["caveat"].iloc[0]
    if young:
        display(
            Markdown(
                f"*Mind the age of the leads: {young}. The period-change report "
                "compares periods at equal age.*"
            )
        )

# %% [markdown]
# ## Conversion by segment and source

# %%
if has_segment:
    within = glm.rates_within(counts, "source", "segment")
    figures.plot_rate_heatmap(within, "segment", "source")
    plt.show()
else:
    within = glm.rates_within(counts.assign(segment="all"), "source", "segment")
    display(Markdown("No usable segment: conversion by source only."))
    figures.plot_conversion(within[within["segment"] == "all"], "source")
    plt.show()

# %% [markdown]
# ## Which sources convert better, other things equal?
# Odds ratios from a binomial model of conversion on source (and segment, where known),
# fitted on grouped counts; each against the source with most leads.

# %%
adjust = ["segment"] if has_segment else []
fit = glm.fit_conversion(counts, ["source", *adjust], min_leads=MIN_LEADS)
figures.plot_forest(fit.terms, "Conversion odds ratios")
plt.show()
for note in fit.notes:
    display(Markdown(f"*{note}*"))

# %% tags=["report-hide"]
# NBVAL_CHECK_OUTPUT
print(fit.terms[["term", "level", "leads", "sales"]].to_string(index=False))

# %% [markdown]
# ## Crude against adjusted: is it the source, or the segments it brings?

# %%
crude_adj = glm.crude_vs_adjusted(counts, "source", adjust) if has_segment else None
interaction = (
    glm.interaction_test(counts, "source", "segment", min_leads=MIN_LEADS) if has_segment else None
)
if has_segment:
    display(
        show(
            crude_adj[
                [
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
            ]
        )
    )
    display(
        Markdown(
            f"**Do source effects differ by segment?** {interaction['verdict']} "
            f"(likelihood ratio {interaction['statistic']:.1f} on "
            f"{interaction['df']:.0f} df)."
        )
    )
else:
    display(Markdown("No usable segment: no adjusted comparison."))

# %% [markdown]
# ## Campaigns, pooled toward their source
# A campaign's own rate next to its rate shrunk toward its source (empirical Bayes):
# small campaigns move most, large ones hardly at all.

# %%
shrunk = shrink_rates(counts, "campaign", "source", min_leads=MIN_LEADS)
display(
    show(
        shrunk[
            [
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
        ]
    )
)

# %% [markdown]
# ## Lead quality: what each source and campaign brings

# %%
quality = None
if has_qualification:
    by_source = ordinal.quality_shares(counts, "source")
    figures.plot_quality_shares(by_source, "source")
    plt.show()
    quality = ordinal.fit_quality(counts, "campaign", min_leads=MIN_LEADS)
    display(
        Markdown(
            "Odds of a hotter lead than the reference campaign (ordinal logit, cold < warm < hot):"
        )
    )
    display(
        show(
            quality.terms[
                [
                    "level",
                    "reference",
                    "classified",
                    "odds_ratio",
                    "or_low",
                    "or_high",
                    "q_value",
                    "flag",
                ]
            ]
        )
    )
    class_conv = glm.rates_within(
        counts[counts["qualification"] != "unknown"], "qualification", "source"
    )
    display(Markdown("Conversion of each class, by source and overall:"))
    display(show(class_conv))
else:
    by_source = class_conv = None
    display(Markdown("No qualification in these data."))

# %% [markdown]
# ## What the data can and cannot tell

# %%
display(
    Markdown("\n".join(findings.findings(fit, crude_adj, interaction, shrunk, quality, caveats)))
)

# %%
tables = {
    "models_terms": fit.terms,
    "models_cells": fit.cells,
    "models_campaigns_shrunk": shrunk,
    "models_rates_within": within,
}
if crude_adj is not None:
    tables["models_crude_vs_adjusted"] = crude_adj
if quality is not None:
    tables |= {
        "models_quality_terms": quality.terms,
        "models_quality_shares": quality.shares,
        "models_class_conversion": class_conv,
    }
for name, table in tables.items():
    save_table(table, name, OUTPUT_DIR)
