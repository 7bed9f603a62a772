# %% [markdown]
# # Conversion models: signal or noise?
# "Campaign X converts 12% and campaign Y 9%" means nothing until we know whether the gap
# is larger than chance, and whether it is the campaign or the mix of segments it brings.
# Every estimate below comes with its interval and the leads behind it; small campaigns
# are pooled toward their source instead of being ranked by luck.

# %%
from analysis.insight.context import report_context
from analysis.render.sections import models, save_tables, show_section

# %% tags=["parameters"]
PROFILE = "sample"
INPUTS = {}
CLIENT = ""
OUTPUT_DIR = ""
CURRENCY = ""
DATE_FROM = ""
DATE_TO = ""
ENGINE = ""
LANGUAGE = ""
MIN_LEADS = 30

# %%
ctx = report_context(
    PROFILE,
    INPUTS,
    start=DATE_FROM,
    end=DATE_TO,
    currency=CURRENCY,
    engine=ENGINE,
    language=LANGUAGE,
    min_leads=MIN_LEADS,
)  # read and checked once per report; the facts every page shares are computed once
sections = [show_section(models.maturity(ctx))]

# %% [markdown]
# ## Conversion by segment and source

# %%
sections.append(show_section(models.segment_source(ctx)))

# %% [markdown]
# ## Which sources convert better, other things equal?
# Odds ratios from a binomial model of conversion on source (and segment, where known),
# fitted on grouped counts; each against the source with most leads.

# %%
s = show_section(models.source_odds(ctx))
sections.append(s)

# %% tags=["report-hide"]
# NBVAL_CHECK_OUTPUT
print(models.terms_check(s))

# %% [markdown]
# ## Crude against adjusted: is it the source, or the segments it brings?

# %%
sections.append(show_section(models.crude_adjusted(ctx)))

# %% [markdown]
# ## Campaigns, pooled toward their source
# A campaign's own rate next to its rate shrunk toward its source (empirical Bayes):
# small campaigns move most, large ones hardly at all.

# %%
sections.append(show_section(models.campaigns(ctx)))

# %% [markdown]
# ## Lead quality: what each source and campaign brings

# %%
sections.append(show_section(models.lead_quality(ctx)))

# %% [markdown]
# ## What the data can and cannot tell

# %%
sections.append(show_section(models.what_data_tell(ctx)))

# %%
saved = save_tables(sections, OUTPUT_DIR)  # tables/<name>.csv for the workbook
