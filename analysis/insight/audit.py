"""The data audit: what was loaded, how much of it joins up, and where the gaps are.

Every function takes a `Dataset` (or its tables) and returns a tidy table; the
data-audit notebook shows them. Nothing here changes the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.engine.cells import cells
from analysis.ingest.dataset import Dataset
from analysis.ingest.schema import LEADS_COLUMNS, NO_CAMPAIGN, QUALIFICATIONS
from analysis.stats.economics import add_periods
from analysis.stats.intervals import count_flag, wilson_interval

__all__ = [
    "ATTRIBUTION_LABELS",
    "inputs_table",
    "field_coverage",
    "attribution_coverage",
    "spend_match_table",
    "qualification_mix",
    "weekly_activity",
    "lead_age",
    "outcome_dependent_fields",
    "headline",
    "counts_text",
]

ATTRIBUTION_LABELS = {
    "crm": "1. CRM source column",
    "crm_utm": "2. UTM tags in the CRM (columns or landing URL)",
    "web_analytics": "3. web-analytics sessions",
    "crm_field": "4. fallback: a CRM field the profile maps",
    "none": "no source found",
}

_OPTIONAL = ("medium", "segment", "manager", "won_at", "first_contact_at", "stage", "lost_reason")


def _share(k, n, level=0.95) -> dict:
    low, high = wilson_interval(k, n, level)
    return {"share": k / n if n else np.nan, "share_low": float(low), "share_high": float(high)}


def inputs_table(ds: Dataset) -> pd.DataFrame:
    """The files read.

    Returns DataFrame[input, file, rows, encoding, delimiter, sha256 (first 12 digits),
    personal_columns_dropped].
    """
    out = ds.inputs.copy()
    if not out.empty:
        out["sha256"] = out["sha256"].str[:12]
    return out


def outcome_dependent_fields(leads: pd.DataFrame) -> list[str]:
    """Fields filled only for converted leads (like Olist's segment): comparing conversion
    by them is meaningless, every lead with a value converted."""
    out = []
    conv = leads["converted"] == 1
    for col in ("segment", "manager", "medium"):
        if col in leads and leads[col].notna().any() and conv.any():
            known = leads[col].notna()
            if (conv[known]).all() and (~conv).any():
                out.append(col)
    return out


def field_coverage(leads: pd.DataFrame) -> pd.DataFrame:
    """How filled each canonical field is.

    Returns DataFrame[field, filled, leads, filled_share, note]. ``won_at`` is measured
    over converted leads and ``first_contact_at`` over all leads.
    """
    rows = []
    n = len(leads)
    dependent = set(outcome_dependent_fields(leads))
    sales = int(leads["converted"].sum())
    for col in LEADS_COLUMNS:
        if col in ("lead_id", "created_at", "converted", "attributed_by"):
            continue
        if col not in leads:
            rows.append(
                {
                    "field": col,
                    "filled": 0,
                    "leads": n,
                    "filled_share": 0.0,
                    "note": "not in the data (the profile does not map it)",
                }
            )
            continue
        s = leads[col]
        note = ""
        base = n
        if col == "source":
            filled = int((s != "unknown").sum())
        elif col == "campaign":
            filled = int((s != NO_CAMPAIGN).sum())
            note = "campaign '(none)': organic, direct or untagged"
        elif col == "qualification":
            filled = int((s.astype("str") != "unknown").sum())
            note = "hot, warm or cold"
        elif col == "won_at":
            base = sales
            filled = int(s[leads["converted"] == 1].notna().sum())
            note = "over sales"
        elif col == "revenue":
            base = sales
            filled = int(s[leads["converted"] == 1].notna().sum())
            note = "over sales"
        else:
            filled = int(s.notna().sum())
        if col in dependent:
            note = "known only for converted leads: do not compare conversion by it"
        rows.append(
            {
                "field": col,
                "filled": filled,
                "leads": base,
                "filled_share": filled / base if base else np.nan,
                "note": note,
            }
        )
    return pd.DataFrame(rows)


def attribution_coverage(leads: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Share of leads whose source came from each source of attribution.

    Returns DataFrame[attributed_by, how, leads, share, share_low, share_high].
    """
    n = len(leads)
    counts = leads["attributed_by"].fillna("none").value_counts()
    rows = []
    for key, label in ATTRIBUTION_LABELS.items():
        k = int(counts.get(key, 0))
        if k or key in ("none",):
            rows.append({"attributed_by": key, "how": label, "leads": k, **_share(k, n, level)})
    return pd.DataFrame(rows)


def spend_match_table(ds: Dataset) -> pd.DataFrame:
    """How leads and spend join on source + campaign.

    Returns DataFrame[what, count, share, detail]; empty when there is no spend data.
    """
    m = ds.facts.get("spend_match")
    if not m:
        return pd.DataFrame(columns=["what", "count", "share", "detail"])
    n = m["leads"]
    rows = [
        {
            "what": "leads whose campaign has spend rows",
            "count": m["leads_matched"],
            "share": m["leads_matched"] / n,
            "detail": "",
        },
        {
            "what": "leads with a campaign but no spend rows",
            "count": m["leads_campaign_unmatched"],
            "share": m["leads_campaign_unmatched"] / n,
            "detail": ", ".join(m["campaigns_without_spend"][:8]),
        },
        {
            "what": "leads with no campaign (organic, direct, calls, unknown)",
            "count": m["leads_no_campaign"],
            "share": m["leads_no_campaign"] / n,
            "detail": "",
        },
        {"what": "spend, total", "count": round(m["spend_total"], 2), "share": 1.0, "detail": ""},
        {
            "what": "spend on campaigns with no leads",
            "count": round(m["spend_without_leads"], 2),
            "share": m["spend_without_leads"] / m["spend_total"] if m["spend_total"] else np.nan,
            "detail": ", ".join(m["campaigns_without_leads"][:8]),
        },
    ]
    return pd.DataFrame(rows)


def qualification_mix(leads: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Leads, share (with interval), sales and conversion (with interval) per class.

    Returns DataFrame[qualification, leads, share, share_low, share_high, sales,
    conversion, conversion_low, conversion_high, flag].
    """
    n = len(leads)
    rows = []
    by_class = cells(leads, ["qualification"]).set_index("qualification")
    for cls in QUALIFICATIONS:
        k = int(by_class["leads"].get(cls, 0))
        s = int(by_class["sales"].get(cls, 0))
        lo, hi = wilson_interval(s, k, level)
        rows.append(
            {
                "qualification": cls,
                "leads": k,
                **_share(k, n, level),
                "sales": s,
                "conversion": s / k if k else np.nan,
                "conversion_low": float(lo),
                "conversion_high": float(hi),
                "flag": str(count_flag(k, s)),
            }
        )
    return pd.DataFrame(rows)


def weekly_activity(leads: pd.DataFrame, spend: pd.DataFrame | None = None) -> pd.DataFrame:
    """Leads, sales and spend per week (Monday), including empty weeks in the range.

    Returns DataFrame[week, leads, sales, spend, gap] where ``gap`` names what is missing
    in a week inside the data's range ("no leads", "no spend"), or says that the week is
    cut by the start or end of the data ("partial week ...").
    """
    lw = (
        add_periods(leads)
        .groupby("week")
        .agg(leads=("lead_id", "size"), sales=("converted", "sum"))
    )
    frames = [lw]
    has_spend = spend is not None and not spend.empty
    if has_spend:
        sw = add_periods(spend, "date").groupby("week")["spend"].sum().to_frame()
        frames.append(sw)
    wk = pd.concat(frames, axis=1)
    start, end = pd.Timestamp(min(wk.index)), pd.Timestamp(max(wk.index))
    full = pd.date_range(start, end, freq="7D").strftime("%Y-%m-%d")
    wk = wk.reindex(full)
    wk.index.name = "week"
    wk["leads"] = wk["leads"].fillna(0).astype("int64")
    wk["sales"] = wk["sales"].fillna(0).astype("int64")
    if has_spend:
        wk["spend"] = wk["spend"].fillna(0.0)
    else:
        wk["spend"] = np.nan
    gap = np.where(wk["leads"] == 0, "no leads", "")
    if has_spend:
        gap = np.where((wk["spend"] == 0) & (wk["leads"] > 0), "no spend", gap)
    # the first and last weeks are usually cut by the data's range: say so, so a short
    # bar is not read as a drop
    first, last = leads["created_at"].min(), leads["created_at"].max()
    starts = pd.to_datetime(wk.index)
    partial = (starts < first.normalize()) | (
        starts + pd.Timedelta(days=7) > last + pd.Timedelta(seconds=1)
    ) & (starts + pd.Timedelta(days=6) > last.normalize())
    gap = np.where(partial & (gap == ""), "partial week (data start or end)", gap)
    wk["gap"] = gap
    return wk.reset_index()


def lead_age(leads: pd.DataFrame, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """How mature the leads are: deals close days or weeks after the lead, so young
    leads look worse than they are.

    Returns DataFrame[measure, value] with the data's end date, the median and 90th
    percentile of days from lead to sale, and how many leads are younger than that
    90th percentile (their conversion is not final yet).
    """
    as_of = as_of or max(
        leads["created_at"].max(),
        leads["won_at"].max() if "won_at" in leads else leads["created_at"].max(),
    )
    rows = [{"measure": "data end (latest lead or sale)", "value": str(pd.Timestamp(as_of).date())}]
    if "won_at" in leads and leads["won_at"].notna().any():
        days = (leads["won_at"] - leads["created_at"]).dt.total_seconds() / 86400
        days = days[leads["converted"] == 1].dropna()
        p50, p90 = float(days.median()), float(days.quantile(0.9))
        young = leads["created_at"] > pd.Timestamp(as_of) - pd.Timedelta(days=p90)
        rows += [
            {"measure": "sales with a sale date", "value": f"{len(days):,}"},
            {"measure": "days from lead to sale, median", "value": f"{p50:.0f}"},
            {"measure": "days from lead to sale, 90th percentile", "value": f"{p90:.0f}"},
            {
                "measure": f"leads younger than {p90:.0f} days (conversion not final)",
                "value": f"{int(young.sum()):,} ({young.mean():.1%})",
            },
        ]
    else:
        rows.append(
            {"measure": "days from lead to sale", "value": "unknown: no sale dates in the data"}
        )
    return pd.DataFrame(rows)


def headline(ds: Dataset) -> str:
    """A few lines of Markdown: whose data, how many leads and sales over which period,
    how much spend, and the profile's own caveats."""
    leads = ds.leads
    start, end = leads["created_at"].min(), leads["created_at"].max()
    sales = int(leads["converted"].sum())
    lines = [
        f"**{ds.profile.title}** (profile `{ds.profile.name}`)",
        "",
        f"- {len(leads):,} leads created {start:%Y-%m-%d} to {end:%Y-%m-%d}; "
        f"{sales:,} of them converted to a sale.",
    ]
    if ds.has_spend:
        cur = f" {ds.profile.currency}" if ds.profile.currency else ""
        lines.append(
            f"- Ad spend: {ds.spend['spend'].sum():,.0f}{cur} over {len(ds.spend):,} rows, "
            f"{ds.spend['date'].min():%Y-%m-%d} to {ds.spend['date'].max():%Y-%m-%d}."
        )
    else:
        lines.append("- No ad spend data: costs, cost per sale and ROMI cannot be computed.")
    lines += [f"- {note}" for note in ds.profile.notes]
    return "\n".join(lines)


def counts_text(ds: Dataset) -> str:
    """Plain-text key counts (deterministic; the notebooks check them with nbval)."""
    leads = ds.leads
    q = leads["qualification"].astype("str").value_counts()
    parts = [
        f"leads: {len(leads)}",
        f"sales: {int(leads['converted'].sum())}",
        "qualification: " + ", ".join(f"{c}={int(q.get(c, 0))}" for c in QUALIFICATIONS),
        "attributed by: "
        + ", ".join(f"{k}={v}" for k, v in sorted(leads["attributed_by"].value_counts().items())),
        f"spend rows: {len(ds.spend)}",
    ]
    return "\n".join(parts)
