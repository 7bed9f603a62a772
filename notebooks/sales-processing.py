# %% [markdown]
# # Sales processing: managers, speed and lost leads
# A manager's raw conversion mostly reflects the leads they were given. Here each one is
# compared with what their leads would bring at the average conversion of leads like
# them (same source, qualification and segment), and pulled toward the average by how
# much evidence there is, so nobody is ranked first or last by luck.

# %%
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from analysis.engine.cells import engine_for
from analysis.ingest.load import load_dataset
from analysis.render import figures
from analysis.render.sections import save_table
from analysis.render.tables import show
from analysis.stats import managers

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
STUCK_DAYS = 14

# %%
figures.set_style()
ds = load_dataset(
    PROFILE, INPUTS, start=DATE_FROM, end=DATE_TO, currency=CURRENCY, cache=True
)  # read and checked once per report: the other notebooks reuse the kept copy
eng = engine_for(ds, ENGINE)  # where leads are grouped (DuckDB, Spark, a warehouse)
table = managers.manager_table(ds.leads, min_leads=MIN_LEADS, engine=eng)
routing = managers.routing_table(ds.leads, engine=eng)
speed = managers.speed_to_lead(ds.leads, engine=eng)
checks = managers.processing_checks(ds.leads, stuck_days=STUCK_DAYS, engine=eng)
lost_by_manager = managers.loss_reasons(ds.leads, "manager", engine=eng)
lost_by_source = managers.loss_reasons(ds.leads, "source", engine=eng)
has_managers = not table.empty

# %% [markdown]
# ## Conversion by manager, adjusted for the leads each received

# %%
if has_managers:
    figures.plot_managers(table)
    plt.show()
    display(
        show(
            table[
                [
                    "manager",
                    "leads",
                    "sales",
                    "rate",
                    "expected",
                    "ratio",
                    "shrunk",
                    "shrunk_low",
                    "shrunk_high",
                    "adjusted_rate",
                    "rank",
                    "flag",
                    "verdict",
                ]
            ]
        )
    )
else:
    display(
        Markdown(
            "The data name no manager for most leads (in the Olist data sales reps "
            "are known only for won deals), so managers cannot be compared."
        )
    )

# %% tags=["report-hide"]
# NBVAL_CHECK_OUTPUT
print(table[["manager", "leads", "sales"]].to_string(index=False) if has_managers else "none")

# %% [markdown]
# ## Who should get the cold and warm leads

# %%
if not routing.empty:
    send = routing[routing["send"] == "yes"]
    for cls, g in send.groupby("qualification", sort=False):
        display(Markdown(f"- **{cls} leads** → {', '.join(g['manager'])} ({g['basis'].iloc[0]})"))
    display(
        show(
            routing[
                [
                    "qualification",
                    "manager",
                    "leads",
                    "sales",
                    "rate",
                    "shrunk",
                    "shrunk_low",
                    "shrunk_high",
                    "rank",
                    "send",
                    "flag",
                ]
            ]
        )
    )
else:
    display(Markdown("No routing table: the data have no managers or no qualification."))

# %% [markdown]
# ## Speed to lead

# %%
if not speed.empty:
    figures.plot_conversion(speed.assign(label=speed["speed"]), "label")
    plt.show()
else:
    display(Markdown("The data have no time of first contact."))

# %% [markdown]
# ## Lead processing: never contacted, stuck in a stage

# %%
if not checks.empty:
    display(
        show(
            checks,
            caption=f"Open: neither sold nor lost; stuck: open for more than "
            f"{STUCK_DAYS} days at the data's end",
        )
    )
else:
    display(Markdown("No managers in the data: no processing checks."))

# %% [markdown]
# ## Why leads are lost

# %%
if not lost_by_source.empty:
    display(show(lost_by_source, caption="By source"))
    display(show(lost_by_manager, caption="By manager"))
else:
    display(Markdown("The data have no loss reasons."))

# %%
for name, frame in {
    "managers": table,
    "managers_routing": routing,
    "managers_speed": speed,
    "managers_checks": checks,
    "lost_by_manager": lost_by_manager,
    "lost_by_source": lost_by_source,
}.items():
    save_table(frame, name, OUTPUT_DIR)
