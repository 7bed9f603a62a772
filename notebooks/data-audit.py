# %% [markdown]
# # Data audit
# What was loaded, how leads join to spend and to their sources, and where the gaps are.
# Read this before trusting any number in the other reports.

# %%
from analysis.insight.context import report_context
from analysis.render import figures
from analysis.render.sections import audit, save_tables, show_section

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

# %%
figures.set_style()
ctx = report_context(
    PROFILE,
    INPUTS,
    start=DATE_FROM,
    end=DATE_TO,
    currency=CURRENCY,
    engine=ENGINE,
    language=LANGUAGE,
)  # read and checked once per report: the other notebooks reuse the kept copy and facts
sections = [show_section(audit.headline(ctx))]

# %% tags=["report-hide"]
# NBVAL_CHECK_OUTPUT
print(audit.counts_text(ctx))

# %% [markdown]
# ## Files read
# Personal data (names, phones, e-mails) are dropped at load: only the column names are
# listed here, never their contents.

# %%
sections.append(show_section(audit.inputs(ctx)))

# %% [markdown]
# ## What the loader noticed

# %%
sections.append(show_section(audit.notes(ctx)))

# %% [markdown]
# ## How complete each field is

# %%
sections.append(show_section(audit.field_coverage(ctx)))

# %% [markdown]
# ## Where each lead's source came from
# Each lead takes its source from the first of these that knows it: (1) a source column
# in the CRM, (2) UTM tags in the CRM (columns or the landing URL), (3) web-analytics
# sessions joined by lead id, (4) a CRM field the profile maps as a fallback (e.g.
# "incoming call" means phone).

# %%
sections.append(show_section(audit.attribution(ctx)))

# %% [markdown]
# ## Do leads and spend join up?

# %%
sections.append(show_section(audit.spend_match(ctx)))

# %% [markdown]
# ## Values far out of their distribution
# Revenue per sale and spend per day and campaign that lie far above the rest (more than
# 3.5 scaled deviations above the median on the log scale, and at least ten times it):
# one such value can decide a total.

# %%
sections.append(show_section(audit.outliers(ctx)))

# %% [markdown]
# ## Qualification mix
# Hot: need, money and intent. Warm: need but not now. Cold: no need, not answering,
# "call later". Unknown: not qualified (yet). Each share and conversion with its 95%
# interval.

# %%
sections.append(show_section(audit.qualification_mix(ctx)))

# %% [markdown]
# ## Leads, sales and spend over time

# %%
sections.append(show_section(audit.weekly(ctx)))

# %% [markdown]
# ## How mature the leads are
# Deals close days or weeks after the lead: the youngest leads have not had time to buy,
# so their conversion is not final.

# %%
sections.append(show_section(audit.lead_age(ctx)))

# %%
saved = save_tables(sections, OUTPUT_DIR)
