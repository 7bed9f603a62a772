# %% [markdown]
# # Executive summary: marketing or sales, and what to do on Monday

# %%
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from analysis.engine.cells import engine_for
from analysis.ingest.load import load_dataset
from analysis.insight import findings
from analysis.insight.audit import outcome_dependent_fields
from analysis.insight.findings import cpl_vs_cac_finding
from analysis.insight.numbers import fmt_range, fmt_rate
from analysis.insight.recommend import Thresholds, recommend
from analysis.render import figures
from analysis.render.sections import save_table
from analysis.render.tables import show
from analysis.stats import decompose, managers
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
EQUAL_AGE_DAYS = 30
HOT_SHARE = 0.30
WARM_SHARE = 0.40
COLD_SHARE = 0.60

# %%
figures.set_style()
ds = load_dataset(
    PROFILE, INPUTS, start=DATE_FROM, end=DATE_TO, currency=CURRENCY, cache=True
)  # read and checked once per report: the other notebooks reuse the kept copy
eng = engine_for(ds, ENGINE)  # where leads are grouped (DuckDB, Spark, a warehouse)
display(
    Markdown(
        f"**{ds.profile.title}**: {len(ds.leads):,} leads, "
        f"{int(ds.leads['converted'].sum()):,} sales."
    )
)
has_qualification = (ds.leads["qualification"] != "unknown").any()
mix = ("source", "qualification") if has_qualification else ("source",)
periods = decompose.default_periods(ds.leads, PERIOD, MIN_LEADS, engine=eng)

# %% [markdown]
# ## Whose part is the change?

# %%
if periods:
    change = decompose.decompose_periods(ds.leads, *periods, period=PERIOD, mix=mix, engine=eng)
    display(Markdown(findings.main_cause(change)))
    if "won_at" in ds.leads and ds.leads["won_at"].notna().any():
        equal = decompose.decompose_periods(
            ds.leads, *periods, period=PERIOD, mix=mix, within_days=EQUAL_AGE_DAYS, engine=eng
        )
        display(
            Markdown(
                f"*At equal age (only leads {EQUAL_AGE_DAYS}+ days old, and the "
                f"sales they closed within {EQUAL_AGE_DAYS} days, in both periods):* "
                + findings.main_cause(equal)
                + " The difference from the line "
                "above is leads too young to have bought yet."
            )
        )
    figures.plot_waterfall(
        change,
        f"Sales, {periods[0]} to {periods[1]}: marketing (blue) and sales (red) parts",
        "sales",
    )
    plt.show()
else:
    change = None
    display(Markdown("Fewer than two periods with enough leads: no change to split."))

# %% tags=["report-hide"]
# NBVAL_CHECK_OUTPUT
print(change[["part", "value"]].round(6).to_string(index=False) if periods else "none")

# %% [markdown]
# ## Cheap leads or cheap sales?

# %%
by_period = unit_economics(
    ds.leads, ds.spend, by=[PERIOD], min_leads=MIN_LEADS, min_sales=MIN_SALES, engine=eng
)
if ds.has_spend:
    display(Markdown(cpl_vs_cac_finding(by_period, PERIOD, ds.profile.currency)))
    figures.plot_cpl_vs_cac(by_period, PERIOD, ds.profile.currency)
    plt.show()
else:
    display(Markdown("No spend data: cost per lead and cost per sale are unknown."))

# %% [markdown]
# ## What to do with each campaign

# %%
thresholds = Thresholds(
    min_leads=MIN_LEADS,
    min_sales=MIN_SALES,
    hot_share=HOT_SHARE,
    warm_share=WARM_SHARE,
    cold_share=COLD_SHARE,
)
by = ["source", "campaign"] if (ds.leads["campaign"] != "(none)").any() else ["source"]
actions = recommend(ds.leads, ds.spend, by=by, thresholds=thresholds, engine=eng)
view = actions[[*by, "action", "rule", "leads", "sales"]].copy()
view["cost per sale"] = [fmt_range(r.cac, r.cac_low, r.cac_high) for r in actions.itertuples()]
view["ROMI (95% CI)"] = [
    fmt_rate(r.romi, r.romi_low, r.romi_high, digits=0) for r in actions.itertuples()
]
display(show(view))

# %% [markdown]
# ## Who should get the cold leads

# %%
routing = managers.routing_table(ds.leads, engine=eng)
if not routing.empty:
    lines = []
    for cls, g in routing[routing["send"] == "yes"].groupby("qualification", sort=False):
        lines.append(f"- **{cls} leads** → {', '.join(g['manager'])} ({g['basis'].iloc[0]})")
    display(Markdown("\n".join(lines) or "No manager stands out yet."))
else:
    display(Markdown("The data do not say which manager handled each lead: no routing."))

# %% [markdown]
# ## Caveats: what these numbers rest on

# %%
caveats = [f"- {note}" for note in ds.profile.notes]
caveats += [f"- {m}" for m in ds.notes.loc[ds.notes["severity"] == "warning", "message"]]
if "won_at" in ds.leads and ds.leads["won_at"].notna().any():
    young = findings.maturity_caveat(ds.leads, engine=eng)["caveat"].iloc[0]
    if young:
        caveats.append(
            f"- {young}; the period comparison at equal age is in the period-change report."
        )
for field in outcome_dependent_fields(ds.leads):
    caveats.append(f"- {field} is known only for converted leads: not used to compare conversion.")
display(Markdown("\n".join(caveats) or "No caveats."))

# %%
for name, frame in {
    "summary_change": change,
    "summary_actions": actions,
    "summary_routing": routing,
}.items():
    if frame is not None:
        save_table(frame, name, OUTPUT_DIR)
