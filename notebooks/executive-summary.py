# %% [markdown]
# # Executive summary: marketing or sales, and what to do on Monday

# %%
from analysis.insight.context import report_context
from analysis.render.sections import period, save_tables, show_section, summary

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
PERIOD = "quarter"
MIN_LEADS = 30
MIN_SALES = 10
EQUAL_AGE_DAYS = 30
HOT_SHARE = 0.30
WARM_SHARE = 0.40
COLD_SHARE = 0.60
WHAT_IF_AMOUNT = 0  # the sum to move from the campaigns to cut (0: all their spend)

# %% tags=["contents-below"]
ctx = report_context(
    PROFILE,
    INPUTS,
    start=DATE_FROM,
    end=DATE_TO,
    currency=CURRENCY,
    engine=ENGINE,
    language=LANGUAGE,
    period=PERIOD,
    min_leads=MIN_LEADS,
    min_sales=MIN_SALES,
    equal_age_days=EQUAL_AGE_DAYS,
)  # the data read and checked once per report, and the facts every page shares
# what happened, whose part it is, what to do this week: first, above the contents
conclusion = show_section(
    summary.conclusion(ctx, hot_share=HOT_SHARE, warm_share=WARM_SHARE, cold_share=COLD_SHARE)
)

# %%
headline = show_section(summary.headline(ctx))

# %% [markdown]
# ## Whose part is the change?

# %%
change = show_section(summary.whose_part(ctx))

# %% tags=["report-hide"]
# NBVAL_CHECK_OUTPUT
print(period.key_numbers(change, "summary_change"))

# %% [markdown]
# ## Cheap leads or cheap sales?

# %%
cheap = show_section(summary.cheap_leads(ctx))

# %% [markdown]
# ## What to do with each campaign

# %%
actions = show_section(
    summary.actions(ctx, hot_share=HOT_SHARE, warm_share=WARM_SHARE, cold_share=COLD_SHARE)
)

# %% [markdown]
# ## What moving the budget would buy

# %%
what_if = show_section(
    summary.what_if(
        ctx,
        WHAT_IF_AMOUNT or None,
        hot_share=HOT_SHARE,
        warm_share=WARM_SHARE,
        cold_share=COLD_SHARE,
    )
)

# %% [markdown]
# ## Who should get the cold leads

# %%
routing = show_section(summary.routing(ctx))

# %% [markdown]
# ## Caveats: what these numbers rest on

# %%
caveats = show_section(summary.caveats(ctx))

# %% [markdown]
# ## Terms

# %%
terms = show_section(summary.glossary(ctx))

# %%
written = save_tables(
    [conclusion, headline, change, cheap, actions, what_if, routing, caveats], OUTPUT_DIR
)
