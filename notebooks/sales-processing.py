# %% [markdown]
# # Sales processing: managers, speed and lost leads
# A manager's raw conversion mostly reflects the leads they were given. Here each one is
# compared with what their leads would bring at the average conversion of leads like
# them (same source, qualification and segment), and pulled toward the average by how
# much evidence there is, so nobody is ranked first or last by luck.

# %%
from analysis.insight.context import report_context
from analysis.render.sections import sales, save_tables, show_section

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
STUCK_DAYS = 14
CALL_LIST_TOP = 20
CALL_LIST_LIMIT = 5000

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
sections = []

# %% [markdown]
# ## Conversion by manager, adjusted for the leads each received

# %%
s = show_section(sales.manager_conversion(ctx))
sections.append(s)

# %% tags=["report-hide"]
# NBVAL_CHECK_OUTPUT
print(sales.managers_check(s))

# %% [markdown]
# ## Who should get the cold and warm leads

# %%
sections.append(show_section(sales.routing(ctx)))

# %% [markdown]
# ## Speed to lead

# %%
sections.append(show_section(sales.speed_to_lead(ctx)))

# %% [markdown]
# ## Lead processing: never contacted, stuck in a stage

# %%
sections.append(show_section(sales.processing(ctx, stuck_days=STUCK_DAYS)))

# %% [markdown]
# ## Whom to call first: open leads by their chance of a sale

# %%
calls = show_section(sales.call_list(ctx, top=CALL_LIST_TOP, limit=CALL_LIST_LIMIT))
sales.write_call_list(calls, OUTPUT_DIR)  # call-list.csv: lead ids, never personal data
sections.append(calls)

# %% [markdown]
# ## Lists per manager: never contacted and stuck leads

# %%
sections.append(show_section(sales.manager_lists(ctx, stuck_days=STUCK_DAYS)))

# %% [markdown]
# ## Why leads are lost

# %%
sections.append(show_section(sales.losses(ctx)))

# %%
saved = save_tables(sections, OUTPUT_DIR)  # tables/<name>.csv for the workbook
