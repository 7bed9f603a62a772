# %% [markdown]
# # Data audit
# What was loaded, how leads join to spend and to their sources, and where the gaps are.
# Read this before trusting any number in the other reports.

# %%
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from analysis.ingest.load import load_dataset
from analysis.insight import audit
from analysis.render import figures
from analysis.render.sections import save_table
from analysis.render.tables import notes_view, show

# %% tags=["parameters"]
PROFILE = "sample"
INPUTS = {}
CLIENT = ""
OUTPUT_DIR = ""
CURRENCY = ""
DATE_FROM = ""
DATE_TO = ""

# %%
figures.set_style()
ds = load_dataset(
    PROFILE, INPUTS, start=DATE_FROM, end=DATE_TO, currency=CURRENCY, cache=True
)  # read and checked once per report: the other notebooks reuse the kept copy
display(Markdown(audit.headline(ds)))

# %% tags=["report-hide"]
# NBVAL_CHECK_OUTPUT
print(audit.counts_text(ds))

# %% [markdown]
# ## Files read
# Personal data (names, phones, e-mails) are dropped at load: only the column names are
# listed here, never their contents.

# %%
inputs = audit.inputs_table(ds)
display(show(inputs))

# %% [markdown]
# ## What the loader noticed

# %%
notes = notes_view(ds.notes)
display(show(notes) if len(notes) else Markdown("Nothing to report."))

# %% [markdown]
# ## How complete each field is

# %%
coverage = audit.field_coverage(ds.leads)
display(show(coverage.assign(filled_share=coverage["filled_share"].map("{:.1%}".format))))

# %% [markdown]
# ## Where each lead's source came from
# Each lead takes its source from the first of these that knows it: (1) a source column
# in the CRM, (2) UTM tags in the CRM (columns or the landing URL), (3) web-analytics
# sessions joined by lead id, (4) a CRM field the profile maps as a fallback (e.g.
# "incoming call" means phone).

# %%
attribution = audit.attribution_coverage(ds.leads)
figures.plot_attribution(attribution)
plt.show()

# %% [markdown]
# ## Do leads and spend join up?

# %%
match = audit.spend_match_table(ds)
display(show(match) if len(match) else Markdown("No spend data in these inputs."))

# %% [markdown]
# ## Qualification mix
# Hot: need, money and intent. Warm: need but not now. Cold: no need, not answering,
# "call later". Unknown: not qualified (yet). Each share and conversion with its 95%
# interval.

# %%
mix = audit.qualification_mix(ds.leads)
display(show(mix))

# %% [markdown]
# ## Leads, sales and spend over time

# %%
weekly = audit.weekly_activity(ds.leads, ds.spend)
figures.plot_weekly(weekly, ds.profile.currency)
plt.show()
gaps = weekly[weekly["gap"] != ""]
display(show(gaps, caption="Weeks with a gap") if len(gaps) else Markdown("No empty weeks."))

# %% [markdown]
# ## How mature the leads are
# Deals close days or weeks after the lead: the youngest leads have not had time to buy,
# so their conversion is not final.

# %%
age = audit.lead_age(ds.leads)
display(show(age))

# %%
for name, table in {
    "audit_inputs": inputs,
    "audit_notes": notes,
    "audit_field_coverage": coverage,
    "audit_attribution": attribution,
    "audit_spend_match": match,
    "audit_qualification_mix": mix,
    "audit_weekly": weekly,
    "audit_lead_age": age,
}.items():
    save_table(table, name, OUTPUT_DIR)
