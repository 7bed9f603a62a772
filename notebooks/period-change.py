# %% [markdown]
# # What changed between two periods, and whose part it is
# The change in sales (and revenue) split into parts that add up exactly to it: lead
# volume and lead mix (by source, and hot/warm/cold within each source) are marketing's
# part; conversion within each source and class, and revenue per sale, are the sales
# team's. Shapley decomposition: no order of factors is favoured, nothing is left over.

# %%
from analysis.insight.context import report_context
from analysis.render.sections import period, save_tables, show_section

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
PERIOD_A = ""
PERIOD_B = ""
EQUAL_AGE_DAYS = 30
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
    period=PERIOD,
    min_leads=MIN_LEADS,
    equal_age_days=EQUAL_AGE_DAYS,
)  # the data read and checked once per report, and the facts every page shares

# %%
sales = show_section(period.change(ctx, PERIOD_A, PERIOD_B))

# %% tags=["report-hide"]
# NBVAL_CHECK_OUTPUT
print(period.key_numbers(sales, "change_sales"))

# %% [markdown]
# ## At equal age
# Recent leads have not had time to buy. Counting, in both periods, only leads old
# enough and only the sales they closed within the same number of days removes that
# bias from the conversion part.

# %%
equal = show_section(period.equal_age(ctx, PERIOD_A, PERIOD_B))

# %% [markdown]
# ## Revenue

# %%
revenue = show_section(period.revenue(ctx, PERIOD_A, PERIOD_B))

# %% [markdown]
# ## Which sources and classes drove it

# %%
drivers = show_section(period.drivers(ctx, PERIOD_A, PERIOD_B))

# %% [markdown]
# ## How fast leads buy, cohort by cohort

# %%
maturity = show_section(period.maturity(ctx))
lead_age = show_section(period.lead_age(ctx))

# %%
written = save_tables([sales, equal, revenue, drivers, maturity, lead_age], OUTPUT_DIR)
