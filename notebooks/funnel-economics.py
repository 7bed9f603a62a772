# %% [markdown]
# # Funnel economics: cost per lead against cost per sale
# A channel is good when it brings customers, not when it brings cheap leads. Every rate
# below carries its count and a 95% interval; rows marked "too few leads" or "too few
# sales" cannot be told apart from chance yet.

# %%
from analysis.insight.context import report_context
from analysis.render import figures
from analysis.render.sections import funnel, save_tables, show_section

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
    period=PERIOD,
    min_leads=MIN_LEADS,
    min_sales=MIN_SALES,
)  # read and checked once per report: the other notebooks reuse the kept copy and facts
sections = [show_section(funnel.maturity(ctx))]

# %% [markdown]
# ## The headline

# %%
sections.append(show_section(funnel.headline(ctx)))

# %% [markdown]
# ## By period

# %%
by_period = show_section(funnel.by_period(ctx))
sections.append(by_period)

# %% tags=["report-hide"]
# NBVAL_CHECK_OUTPUT
print(
    by_period.tables["economics_by_period"][
        [PERIOD, "leads", "paid_leads", "sales", "paid_sales", "complete"]
    ].to_string(index=False)
)
print(
    by_period.tables["economics_by_period"][["spend", "cpl", "cac"]].round(0).to_string(index=False)
)

# %% [markdown]
# ## By source
# Cost columns count only leads of campaigns with spend rows, so organic leads do not
# make a paid source look cheap.

# %%
sections.append(show_section(funnel.by_source(ctx)))

# %% [markdown]
# ## By campaign: cheap leads or cheap sales?

# %%
sections.append(show_section(funnel.by_campaign(ctx)))

# %% [markdown]
# ## What each campaign brings: hot, warm or cold leads

# %%
sections.append(show_section(funnel.qualification_mix(ctx)))

# %% [markdown]
# ## Conversion to sale

# %%
sections.append(show_section(funnel.conversion(ctx)))

# %% [markdown]
# ## Each campaign, period by period

# %%
sections.append(show_section(funnel.by_campaign_period(ctx)))

# %% [markdown]
# ## How to read the tables
# - **leads**: all leads of the row; **paid leads**: leads of campaigns with spend rows.
#   Costs divide by paid leads and their sales, so organic and untagged leads never make
#   a paid channel look cheap.
# - **classified**: leads with a class (and their share of the row); **hot/warm/cold of
#   classified, %**: shares among those. Hot: need, money and intent; warm: need but not
#   now; cold: no need, not answering, "call later". Unclassified leads are unknown, not
#   cold, so they are left out of the shares.
# - **revenue**: "unknown" where the row has sales but none with a recorded amount.
# - **conversion (95% CI)**: sales / leads, with its 95% Wilson interval.
# - **cost per lead** = spend / paid leads; **cost per qualified lead** = spend / paid hot
#   and warm leads; **cost per sale** = spend / sales from paid leads, with the interval
#   that the conversion's uncertainty gives it.
# - **ROMI** = (revenue − spend) / spend over paid leads: 100% means the spend came back
#   twice; below 0%, it did not come back.
# - **rank: CPL / cost per sale**: 1 is the cheapest. A campaign ranked first by cost per
#   lead and last by cost per sale brings cheap leads that do not buy.
# - **data**: "too few leads" (under the report's MIN_LEADS) or "too few sales" (under
#   MIN_SALES): such a row's rates cannot be told apart from chance yet.
# - A period marked "leads only until ..." or "leads only from ..." is not covered whole
#   by the leads: compare its rates, not its counts.

# %%
saved = save_tables(sections, OUTPUT_DIR)
