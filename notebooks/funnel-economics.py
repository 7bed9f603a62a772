# %% [markdown]
# # Funnel economics: cost per lead against cost per sale
# A channel is good when it brings customers, not when it brings cheap leads. Every rate
# below carries its count and a 95% interval; rows marked "too few leads" or "too few
# sales" cannot be told apart from chance yet.

# %%
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from analysis.engine.cells import engine_for
from analysis.ingest.load import load_dataset
from analysis.insight import findings
from analysis.insight.findings import cpl_vs_cac_finding
from analysis.render import figures
from analysis.render.sections import save_table
from analysis.render.tables import economics_view, label_rows, show
from analysis.stats.economics import unit_economics

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
MIN_LEADS = 30
MIN_SALES = 10

# %%
figures.set_style()
ds = load_dataset(
    PROFILE, INPUTS, start=DATE_FROM, end=DATE_TO, currency=CURRENCY, cache=True
)  # read and checked once per report: the other notebooks reuse the kept copy
eng = engine_for(ds, ENGINE)  # where leads are grouped (DuckDB, Spark, a warehouse)
currency = ds.profile.currency
limits = {"min_leads": MIN_LEADS, "min_sales": MIN_SALES}
by_period = unit_economics(ds.leads, ds.spend, by=[PERIOD], **limits, engine=eng)
by_source = unit_economics(ds.leads, ds.spend, by=["source"], **limits, engine=eng)
by_campaign = unit_economics(ds.leads, ds.spend, by=["source", "campaign"], **limits, engine=eng)
by_campaign_period = unit_economics(
    ds.leads, ds.spend, by=["source", "campaign", PERIOD], **limits, engine=eng
)
has_campaigns = (ds.leads["campaign"] != "(none)").any()
has_qualification = (ds.leads["qualification"] != "unknown").any()
# rows for figures: campaigns (labelled source / campaign) where there are any, else sources
figure_rows = (
    label_rows(by_campaign, ["source", "campaign"])
    if has_campaigns
    else label_rows(by_source, ["source"])
)

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
# ## The headline

# %%
display(
    Markdown(
        cpl_vs_cac_finding(by_period, PERIOD, currency)
        if ds.has_spend
        else "No spend data: cost per lead and cost per sale cannot be compared."
    )
)

# %% tags=["report-hide"]
# NBVAL_CHECK_OUTPUT
print(by_period[[PERIOD, "leads", "paid_leads", "sales", "paid_sales"]].to_string(index=False))
print(by_period[["spend", "cpl", "cac"]].round(0).to_string(index=False))

# %%
if ds.has_spend:
    figures.plot_cpl_vs_cac(by_period, PERIOD, currency)
    plt.show()

# %% [markdown]
# ## By period

# %%
display(show(economics_view(by_period, [PERIOD])))

# %% [markdown]
# ## By source
# Cost columns count only leads of campaigns with spend rows, so organic leads do not
# make a paid source look cheap.

# %%
display(show(economics_view(by_source, ["source"])))

# %% [markdown]
# ## By campaign: cheap leads or cheap sales?

# %%
display(show(economics_view(by_campaign, ["source", "campaign"])))
if ds.has_spend:
    figures.plot_cost_ranks(figure_rows, "label", currency)
    plt.show()

# %% [markdown]
# ## What each campaign brings: hot, warm or cold leads

# %%
if has_qualification:
    figures.plot_qualification_mix(figure_rows, "label")
    plt.show()
else:
    display(
        Markdown(
            "The data have no lead qualification (hot / warm / cold): map it in the "
            "profile's `leads.qualification` to see what each channel brings."
        )
    )

# %% [markdown]
# ## Conversion to sale

# %%
figures.plot_conversion(figure_rows, "label")
plt.show()

# %% [markdown]
# ## Each campaign, period by period

# %%
display(show(economics_view(by_campaign_period, ["source", "campaign", PERIOD])))

# %% [markdown]
# ## How to read the tables
# - **leads**: all leads of the row; **paid leads**: leads of campaigns with spend rows.
#   Costs divide by paid leads and their sales, so organic and untagged leads never make
#   a paid channel look cheap.
# - **hot/warm/cold, %**: shares of all leads. Hot: need, money and intent; warm: need
#   but not now; cold: no need, not answering, "call later". The rest are unqualified.
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

# %%
for name, table in {
    "economics_by_period": by_period,
    "economics_by_source": by_source,
    "economics_by_campaign": by_campaign,
    "economics_by_campaign_period": by_campaign_period,
}.items():
    save_table(table, name, OUTPUT_DIR)
