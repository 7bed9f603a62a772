# %% [markdown]
# # What changed between two periods, and whose part it is
# The change in sales (and revenue) split into parts that add up exactly to it: lead
# volume and lead mix (by source, and hot/warm/cold within each source) are marketing's
# part; conversion within each source and class, and revenue per sale, are the sales
# team's. Shapley decomposition: no order of factors is favoured, nothing is left over.

# %%
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from analysis.engine.cells import engine_for
from analysis.ingest.load import load_dataset
from analysis.insight import findings
from analysis.render import figures
from analysis.render.sections import save_table
from analysis.render.tables import show
from analysis.stats import decompose, survival

# %% tags=["parameters"]
PROFILE = "sample"
INPUTS = {}
CLIENT = ""
OUTPUT_DIR = ""
CURRENCY = ""
DATE_FROM = ""
DATE_TO = ""
ENGINE = ""
PERIOD = "quarter"
PERIOD_A = ""
PERIOD_B = ""
EQUAL_AGE_DAYS = 30
MIN_LEADS = 30

# %%
figures.set_style()
ds = load_dataset(
    PROFILE, INPUTS, start=DATE_FROM, end=DATE_TO, currency=CURRENCY, cache=True
)  # read and checked once per report: the other notebooks reuse the kept copy
eng = engine_for(ds, ENGINE)  # where leads are grouped (DuckDB, Spark, a warehouse)
has_qualification = (ds.leads["qualification"] != "unknown").any()
mix = ("source", "qualification") if has_qualification else ("source",)
periods = (
    (PERIOD_A, PERIOD_B)
    if PERIOD_A and PERIOD_B
    else decompose.default_periods(ds.leads, PERIOD, MIN_LEADS, engine=eng)
)
has_periods = periods is not None
has_dates = "won_at" in ds.leads and ds.leads["won_at"].notna().any()

# %%
if has_periods:
    sales = decompose.decompose_periods(ds.leads, *periods, period=PERIOD, mix=mix, engine=eng)
    revenue = decompose.decompose_periods(
        ds.leads, *periods, period=PERIOD, mix=mix, measure="revenue", engine=eng
    )
    display(Markdown("**" + findings.main_cause(sales) + "**"))
    figures.plot_waterfall(sales, f"Sales, {periods[0]} to {periods[1]}", "sales")
    plt.show()
else:
    sales = revenue = None
    display(
        Markdown(f"Fewer than two {PERIOD}s with {MIN_LEADS} leads or more: nothing to compare.")
    )

# %% tags=["report-hide"]
# NBVAL_CHECK_OUTPUT
print(sales[["part", "value"]].round(6).to_string(index=False) if has_periods else "none")

# %% [markdown]
# ## At equal age
# Recent leads have not had time to buy. Counting, in both periods, only leads old
# enough and only the sales they closed within the same number of days removes that
# bias from the conversion part.

# %%
if has_periods and has_dates:
    equal = decompose.decompose_periods(
        ds.leads, *periods, period=PERIOD, mix=mix, within_days=EQUAL_AGE_DAYS, engine=eng
    )
    display(Markdown(f"Within {EQUAL_AGE_DAYS} days of the lead: " + findings.main_cause(equal)))
    display(show(equal[["part", "owner", "label", "value", "share"]]))
else:
    equal = None
    display(Markdown("No sale dates (or no two periods): no comparison at equal age."))

# %% [markdown]
# ## Revenue

# %%
if has_periods:
    display(Markdown(findings.main_cause(revenue)))
    unit = f"revenue, {ds.profile.currency}" if ds.profile.currency else "revenue"
    figures.plot_waterfall(revenue, f"Revenue, {periods[0]} to {periods[1]}", unit)
    plt.show()

# %% [markdown]
# ## Which sources and classes drove it

# %%
if has_periods:
    parts = decompose.contributions(
        *decompose.period_cells(ds.leads, *periods, period=PERIOD, mix=mix, engine=eng), mix=mix
    )
    by_source = (
        parts.groupby(["source", "part"], as_index=False)["value"]
        .sum()
        .pivot(index="source", columns="part", values="value")
        .add_suffix(", sales")  # each part's change in sales, not a rate
        .reset_index()
    )
    display(show(by_source, caption="Change in sales by source and part"))
else:
    parts = None

# %% [markdown]
# ## How fast leads buy, cohort by cohort

# %%
if has_dates:
    curves = survival.cohort_curves(ds.leads, period="month", engine=eng)
    figures.plot_time_to_sale(curves, title="Share of leads converted by days since the lead")
    plt.show()
    at_age = survival.conversion_at_age(ds.leads, PERIOD, days=EQUAL_AGE_DAYS, engine=eng)
    display(
        show(
            at_age[
                [
                    PERIOD,
                    "leads",
                    "sales",
                    "conversion",
                    "aged_leads",
                    "sales_within",
                    "conversion_within",
                    "conversion_within_low",
                    "conversion_within_high",
                    "young_share",
                ]
            ]
        )
    )
    caveat = findings.maturity_caveat(ds.leads, engine=eng)["caveat"].iloc[0]
    if caveat:
        display(Markdown(f"*{caveat}.*"))
else:
    curves = at_age = None
    display(Markdown("No sale dates: time to sale is unknown."))

# %%
tables = {
    "change_sales": sales,
    "change_revenue": revenue,
    "change_sales_equal_age": equal,
    "change_contributions": parts,
    "maturity_curves": curves,
    "maturity_conversion_at_age": at_age,
}
for name, frame in tables.items():
    if frame is not None:
        save_table(frame, name, OUTPUT_DIR)
