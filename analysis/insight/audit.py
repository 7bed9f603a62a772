"""The data audit: what was loaded, how much of it joins up, and where the gaps are.

Every function returns a tidy table; the data-audit page (`analysis.render.sections.audit`)
shows them. Counts over leads are computed on the engine (grouped counts; pass the
report context's ``ctx.leads`` and ``engine=ctx.engine``); numbers other pages also show
(spend, cost per lead, the data's end, young leads) are read from the report context's
facts, never recomputed. Nothing here changes the data.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from analysis.base.i18n import N_, _, fmt_int, n_
from analysis.engine.cells import Engine, count_true, default_engine
from analysis.engine.periods import NO_DATE, period_key, period_span
from analysis.ingest.dataset import Dataset
from analysis.ingest.schema import LEADS_COLUMNS, NO_CAMPAIGN, QUALIFICATIONS, UNKNOWN_SOURCE
from analysis.insight.findings import window_words
from analysis.insight.numbers import day_words, fmt_money, fmt_share, money
from analysis.stats.economics import spend_by
from analysis.stats.intervals import count_flag, wilson_interval

__all__ = [
    "ATTRIBUTION_LABELS",
    "inputs_table",
    "field_coverage",
    "attribution_coverage",
    "spend_match_table",
    "qualification_mix",
    "weekly_activity",
    "EXCLUDED_REASONS",
    "excluded_text",
    "lead_age",
    "outcome_dependent_fields",
    "headline",
    "counts_text",
    "OUTLIER_K",
    "OUTLIER_MIN_RATIO",
    "OUTLIER_MIN_VALUES",
    "outlier_cut",
    "revenue_outliers",
    "spend_outliers",
    "outliers_table",
    "outliers_sentence",
]

#: Where a lead's source came from, as the attribution table's ``how`` says it (marked
#: for the catalogue, written in the reader's language when the table is made).
ATTRIBUTION_LABELS = {
    "crm": N_("1. CRM source column"),
    "crm_utm": N_("2. UTM tags in the CRM (columns or landing URL)"),
    "web_analytics": N_("3. web-analytics sessions"),
    "crm_field": N_("4. fallback: a CRM field the profile maps"),
    "none": N_("no source found"),
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
        if "delimiter" in out:  # the one delimiter named in words
            out["delimiter"] = out["delimiter"].map(lambda d: _("tab") if d == "tab" else d)
    return out


#: The fields `outcome_dependent_fields` looks at.
_OUTCOME_FIELDS = ("segment", "manager", "medium")


def outcome_dependent_fields(leads, engine: Engine | None = None) -> list[str]:
    """Fields filled only for converted leads (like Olist's segment): comparing conversion
    by them is meaningless, every lead with a value converted.

    ``leads``: an Ibis table (the report context's ``ctx.leads``), DataFrame or path,
    counted on the engine in one pass."""
    eng = engine or default_engine()
    t = eng.table(leads)
    sale = t.converted.cast("int64") == 1
    cols = [c for c in _OUTCOME_FIELDS if c in t.columns]
    if not cols:
        return []
    metrics = {"_n": t.count(), "_sales": count_true(sale)}
    for c in cols:
        metrics[c] = count_true(t[c].notnull())
        metrics[f"_sales_{c}"] = count_true(t[c].notnull() & sale)
    got = _fetch_row(eng, t.aggregate(**metrics))
    return [c for c in cols if _only_for_sales(got, c)]


def _only_for_sales(got: dict, col: str) -> bool:
    """From the counts of `outcome_dependent_fields` (and `field_coverage`, which counts
    the same): every lead with a value of ``col`` converted, and not every lead did."""
    filled, sales = int(got[col]), int(got["_sales"])
    return bool(filled and sales and filled == got[f"_sales_{col}"] and sales < got["_n"])


def _fetch_row(engine: Engine, expr) -> dict:
    """The one row of an aggregate, missing values as 0."""
    row = engine.to_arrow(expr).to_pylist()
    return {k: (0 if v is None else v) for k, v in (row[0] if row else {}).items()}


def field_coverage(leads, engine: Engine | None = None) -> pd.DataFrame:
    """How filled each canonical field is, counted on the engine in one pass.

    Parameters
    ----------
    leads : Ibis table (the report context's ``ctx.leads``), DataFrame or path
    engine : Engine, optional

    Returns DataFrame[field, filled, leads, filled_share, note]. ``won_at`` and
    ``revenue`` are measured over converted leads, the others over all leads. A field
    known only for converted leads says so in ``note`` (comparing conversion by it is
    meaningless).
    """
    eng = engine or default_engine()
    t = eng.table(leads)
    sale = t.converted.cast("int64") == 1

    def count(cond):
        return count_true(cond)

    metrics = {"_n": t.count(), "_sales": count(sale)}
    for col in LEADS_COLUMNS:
        if col in ("lead_id", "created_at", "converted", "attributed_by") or col not in t.columns:
            continue
        c = t[col]
        if col == "source":
            metrics[col] = count(c.cast("string") != UNKNOWN_SOURCE)
        elif col == "campaign":
            metrics[col] = count(c.cast("string") != NO_CAMPAIGN)
        elif col == "qualification":
            metrics[col] = count(c.cast("string") != "unknown")
        elif col in ("won_at", "revenue"):
            metrics[col] = count(c.notnull() & sale)
        else:
            metrics[col] = count(c.notnull())
        if col in _OUTCOME_FIELDS:
            metrics[f"_sales_{col}"] = count(c.notnull() & sale)
    got = _fetch_row(eng, t.aggregate(**metrics))
    n, sales = int(got["_n"]), int(got["_sales"])
    rows = []
    for col in LEADS_COLUMNS:
        if col in ("lead_id", "created_at", "converted", "attributed_by"):
            continue
        if col not in metrics:
            rows.append(
                {
                    "field": col,
                    "filled": 0,
                    "leads": n,
                    "filled_share": 0.0,
                    "note": _("not in the data (the profile does not map it)"),
                }
            )
            continue
        filled = int(got[col])
        base = sales if col in ("won_at", "revenue") else n
        note = {
            "campaign": _("campaign '{none}': organic, direct or untagged", none=NO_CAMPAIGN),
            "qualification": _("hot, warm or cold"),
            "won_at": _("over sales"),
            "revenue": _("over sales"),
        }.get(col, "")
        if f"_sales_{col}" in got and _only_for_sales(got, col):
            note = _("known only for converted leads: do not compare conversion by it")
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


def _attributed(leads, engine: Engine | None) -> pd.Series:
    """Leads per ``attributed_by`` value (missing as "none"), counted on the engine."""
    eng = engine or default_engine()
    t = eng.table(leads)
    if "attributed_by" not in t.columns:
        n = _fetch_row(eng, t.aggregate(n=t.count()))["n"]
        return pd.Series({"none": int(n)}, dtype="int64")
    key = t.attributed_by.cast("string").fill_null("none")
    got = eng.to_arrow(t.group_by(by=key).aggregate(n=t.count())).to_pandas()
    return got.set_index("by")["n"].astype("int64").sort_index()


def attribution_coverage(leads, level: float = 0.95, engine: Engine | None = None) -> pd.DataFrame:
    """Share of leads whose source came from each source of attribution.

    Returns DataFrame[attributed_by, how, leads, share, share_low, share_high].
    """
    counts = _attributed(leads, engine)
    n = int(counts.sum())
    rows = []
    for key, label in ATTRIBUTION_LABELS.items():
        k = int(counts.get(key, 0))
        if k or key in ("none",):
            rows.append({"attributed_by": key, "how": _(label), "leads": k, **_share(k, n, level)})
    return pd.DataFrame(rows)


def spend_match_table(ds: Dataset, facts: dict) -> pd.DataFrame:
    """How leads and spend join on source + campaign.

    ``facts`` are the report context's facts: the spend rows (total, of which on
    campaigns with no leads) and cost per lead are theirs, the numbers every page shows.

    Returns DataFrame[what, count, share, detail]; empty when there is no spend data.
    """
    m = ds.facts.get("spend_match")
    spend = facts.get("spend") or {}
    if not m or spend.get("total") is None:
        return pd.DataFrame(columns=["what", "count", "share", "detail"])
    n = m["leads"]
    total, without = float(spend["total"]), float(spend["on_campaigns_without_leads"] or 0.0)
    totals = facts.get("totals") or {}
    rows = [
        {
            "what": _("leads whose campaign has spend rows"),
            "count": m["leads_matched"],
            "share": m["leads_matched"] / n,
            "detail": "",
        },
        {
            "what": _("leads with a campaign but no spend rows"),
            "count": m["leads_campaign_unmatched"],
            "share": m["leads_campaign_unmatched"] / n,
            "detail": ", ".join(m["campaigns_without_spend"][:8]),
        },
        {
            "what": _("leads with no campaign (organic, direct, calls, unknown)"),
            "count": m["leads_no_campaign"],
            "share": m["leads_no_campaign"] / n,
            "detail": "",
        },
        {"what": _("spend, total"), "count": round(total, 2), "share": 1.0, "detail": ""},
        {
            "what": _("spend on campaigns with no leads"),
            "count": round(without, 2),
            "share": without / total if total else np.nan,
            "detail": ", ".join(spend.get("campaigns_without_leads", [])[:8]),
        },
        {
            "what": _("cost per lead (all spend / paid leads)"),
            "count": None if totals.get("cpl") is None else round(float(totals["cpl"]), 2),
            "share": np.nan,
            "detail": n_(
                "over {n} paid lead",
                "over {n} paid leads",
                totals.get("paid_leads", 0),
            ),
        },
    ]
    return pd.DataFrame(rows)


def qualification_mix(leads, level: float = 0.95, engine: Engine | None = None) -> pd.DataFrame:
    """Leads, share (with interval), sales and conversion (with interval) per class,
    from the engine's grouped counts.

    Returns DataFrame[qualification, leads, share, share_low, share_high, sales,
    conversion, conversion_low, conversion_high, flag].
    """
    by_class = (engine or default_engine()).cells(leads, ["qualification"])
    by_class = by_class.set_index("qualification")
    n = int(by_class["leads"].sum())
    rows = []
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


def weekly_activity(
    leads,
    spend: pd.DataFrame | None = None,
    *,
    first=None,
    last=None,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """Leads, sales and spend per week (Monday), including empty weeks in the range.

    Leads and sales are the engine's grouped counts by ``week``; spend is summed by the
    same week key (`analysis.stats.economics.spend_by`).

    Parameters
    ----------
    leads : Ibis table (``ctx.leads``), DataFrame or path
    spend : DataFrame, optional
    first, last : date-like, optional
        The first and last lead's creation day (the report context's ``first_lead``,
        ``last_lead``); asked of the engine when not given.

    Returns DataFrame[week, leads, sales, spend, gap] where ``gap`` names what is missing
    in a week inside the data's range ("no leads", "no spend"), or says that the week is
    cut by the start or end of the data ("partial week ...").
    """
    eng = engine or default_engine()
    t = eng.table(leads)
    lw = eng.cells(t, ["week"]).set_index("week")[["leads", "sales"]]
    lw = lw[lw.index != NO_DATE]  # undated leads are in no week
    frames = [lw]
    has_spend = spend is not None and not spend.empty
    if has_spend:
        frames.append(spend_by(spend, ["week"]).set_index("week"))
    wk = pd.concat(frames, axis=1)
    if wk.empty:
        return pd.DataFrame(columns=["week", "leads", "sales", "spend", "gap"])
    if first is None or last is None:
        got = eng.to_arrow(t.aggregate(a=t.created_at.min(), b=t.created_at.max())).to_pylist()
        first, last = got[0]["a"], got[0]["b"]
    first, last = _day(first), _day(last)
    start, end = pd.Timestamp(min(wk.index)), pd.Timestamp(max(wk.index))
    full = pd.date_range(start, end, freq="7D").strftime("%Y-%m-%d")
    wk = wk.reindex(full)
    wk.index.name = "week"
    wk["leads"] = wk["leads"].fillna(0).astype("int64")
    wk["sales"] = wk["sales"].fillna(0).astype("int64")
    wk["spend"] = wk["spend"].fillna(0.0) if has_spend else np.nan
    gap = np.where(wk["leads"] == 0, _("no leads"), "")
    if has_spend:
        gap = np.where((wk["spend"] == 0) & (wk["leads"] > 0), _("no spend"), gap)
    # the first and last weeks are usually cut by the data's range: say so, so a short
    # bar is not read as a drop
    starts = pd.to_datetime(wk.index)
    partial = (starts < first) | (starts + pd.Timedelta(days=6) > last)
    gap = np.where(partial & (gap == ""), _("partial week (data start or end)"), gap)
    wk["gap"] = gap
    return wk.reset_index()


def _day(v) -> pd.Timestamp:
    ts = pd.Timestamp(v)
    return (ts.tz_localize(None) if ts.tzinfo is not None else ts).normalize()


#: Why a lead is left out of the time-to-sale measures (`analysis.stats.survival`).
EXCLUDED_REASONS = {
    "sale_before_lead": N_("sale dated before its lead"),
    "sale_without_won_at": N_("sale without a sale date"),
    "no_created_at": N_("no creation date"),
    "after_as_of": N_("created after the data's end"),
}


def excluded_text(excluded: dict | None) -> str:
    """The leads left out of the time-to-sale measures, in words: "none", "1 lead (sale
    dated before its lead)", "5 leads (sale dated before its lead: 3, no creation date: 2)"."""
    counts = {k: int(v) for k, v in (excluded or {}).items() if int(v) > 0}
    if not counts:
        return _("none")
    total = sum(counts.values())
    words = [
        _(EXCLUDED_REASONS[k]) if k in EXCLUDED_REASONS else k.replace("_", " ") for k in counts
    ]
    if len(counts) > 1:
        words = [f"{w}: {fmt_money(v)}" for w, v in zip(words, counts.values(), strict=True)]
    return n_("{n} lead ({reasons})", "{n} leads ({reasons})", total, reasons=", ".join(words))


def lead_age(facts: dict) -> pd.DataFrame:
    """How mature the leads are, as the report context defines it once for every page:
    deals close days or weeks after the lead, so young leads look worse than they are.

    ``facts`` are the report context's facts: the data's end (``data_end``) and
    ``maturity`` (the median and 90th percentile of days to sale from the Kaplan-Meier
    curve of all leads, corrected for leads too young to have bought yet; the leads
    younger than that 90th percentile; the leads left out of the measure and why).

    Returns DataFrame[measure, value] (values as text).
    """
    rows = [{"measure": _("data end (latest lead or sale)"), "value": str(facts.get("data_end"))}]
    m = facts.get("maturity")
    if not m:
        rows.append(
            {
                "measure": _("days from lead to sale"),
                "value": _("unknown: no sale dates in the data"),
            }
        )
        return pd.DataFrame(rows)

    def days(v) -> str:
        return _("not reached yet") if v is None else f"{float(v):.0f}"

    young_days = m.get("young_days")
    rows += [
        {"measure": _("leads measured (time to sale)"), "value": fmt_money(m["leads_measured"])},
        {
            "measure": _("days from lead to sale, median (Kaplan-Meier)"),
            "value": days(m.get("days_50")),
        },
        {
            "measure": _("days from lead to sale, 90th percentile (Kaplan-Meier)"),
            "value": days(m.get("days_90")),
        },
    ]
    if young_days is not None:
        rows.append(
            {
                "measure": n_(
                    "leads younger than {n} day (conversion not final)",
                    "leads younger than {n} days (conversion not final)",
                    round(float(young_days)),
                ),
                "value": f"{fmt_money(m['young_leads'])} ({fmt_share(m['young_share'] or 0)})",
            }
        )
    rows.append(
        {
            "measure": _("leads left out of time-to-sale measures"),
            "value": excluded_text(m.get("excluded")),
        }
    )
    return pd.DataFrame(rows)


def headline(ds: Dataset, facts: dict, outliers: pd.DataFrame | None = None) -> str:
    """A few lines of Markdown: whose data, how many leads and sales over which period,
    how much spend (of which on campaigns with no leads) and the cost per lead, and the
    profile's own caveats, and the money values far out of their distribution
    (``outliers``, from `outliers_table`). Every number is the report context's
    (``facts``) but the outliers'."""
    dated = facts.get("dated_leads", facts["leads"])
    said = dict(
        window=window_words(facts),
        sales=fmt_money(facts["sales"]),
        end=day_words(facts["data_end"]) or _("unknown"),
    )
    if dated:
        leads = n_(
            "{n} lead created {window}; {sales} of them converted to a sale (data end, the "
            "latest lead or sale: {end}).",
            "{n} leads created {window}; {sales} of them converted to a sale (data end, the "
            "latest lead or sale: {end}).",
            facts["leads"],
            **said,
        )
    else:
        leads = n_(
            "{n} lead {window}; {sales} of them converted to a sale (data end, the latest "
            "lead or sale: {end}).",
            "{n} leads {window}; {sales} of them converted to a sale (data end, the latest "
            "lead or sale: {end}).",
            facts["leads"],
            **said,
        )
    lines = [
        _("**{title}** (profile `{name}`)", title=ds.profile.title, name=ds.profile.name),
        "",
        f"- {leads}",
    ]
    spend = facts.get("spend") or {}
    if spend.get("total") is not None:
        cur = ds.profile.currency
        totals = facts.get("totals") or {}
        without = spend.get("on_campaigns_without_leads") or 0.0
        rows = dict(
            spend=money(spend["total"], cur),
            first=day_words(f"{ds.spend['date'].min():%Y-%m-%d}"),
            last=day_words(f"{ds.spend['date'].max():%Y-%m-%d}"),
        )
        if without > 0:
            text = n_(
                "Ad spend: {spend} over {n} row, {first} to {last}, of which {without} on "
                "campaigns with no leads.",
                "Ad spend: {spend} over {n} rows, {first} to {last}, of which {without} on "
                "campaigns with no leads.",
                len(ds.spend),
                **rows,
                without=money(without, cur),
            )
        else:
            text = n_(
                "Ad spend: {spend} over {n} row, {first} to {last}.",
                "Ad spend: {spend} over {n} rows, {first} to {last}.",
                len(ds.spend),
                **rows,
            )
        if totals.get("cpl") is not None:
            text += " " + n_(
                "Cost per lead {cpl}: all spend over {n} paid lead (leads of campaigns with "
                "spend rows).",
                "Cost per lead {cpl}: all spend over {n} paid leads (leads of campaigns with "
                "spend rows).",
                totals["paid_leads"],
                cpl=money(totals["cpl"], cur),
            )
        lines.append(f"- {text}")
    else:
        lines.append(
            "- " + _("No ad spend data: costs, cost per sale and ROMI cannot be computed.")
        )
    if outliers is not None and len(outliers):
        lines.append(
            "- "
            + _(
                "Far out: {outliers} (the table of values far out of their distribution "
                "lists them).",
                outliers=outliers_sentence(outliers, ds.profile.currency).removesuffix("."),
            )
        )
    lines += [f"- {note}" for note in ds.profile.notes]
    return "\n".join(lines)


def counts_text(ds: Dataset, leads=None, engine: Engine | None = None) -> str:
    """Plain-text key counts (deterministic; the notebooks check them with nbval),
    counted on the engine (``leads``: the report context's ``ctx.leads``; the
    dataset's leads on the in-process DuckDB when not given)."""
    eng = engine or default_engine()
    t = leads if leads is not None else eng.leads(ds)
    by_class = eng.cells(t, ["qualification"]).set_index("qualification")
    q, n, sales = by_class["leads"], int(by_class["leads"].sum()), int(by_class["sales"].sum())
    attributed = pd.Series(dtype="int64")
    table = eng.table(t)
    if "attributed_by" in table.columns:  # missing values left out, as value_counts does
        known = table.filter(table.attributed_by.notnull())
        expr = known.group_by(by=known.attributed_by.cast("string")).aggregate(n=known.count())
        attributed = eng.to_arrow(expr).to_pandas().set_index("by")["n"].astype("int64")
    parts = [
        _("leads: {n}", n=n),
        _("sales: {n}", n=sales),
        _(
            "qualification: {counts}",
            counts=", ".join(f"{c}={int(q.get(c, 0))}" for c in QUALIFICATIONS),
        ),
        _(
            "attributed by: {counts}",
            counts=", ".join(f"{k}={v}" for k, v in sorted(attributed.items())),
        ),
        _("spend rows: {n}", n=len(ds.spend)),
    ]
    return "\n".join(parts)


# --- money values far out of their distribution -------------------------------------------

#: The outlier rule for money (revenue per sale, spend per row). On the log scale (money
#: is right-skewed: a value ten times the typical one is as far as a tenth of it), a
#: positive value is far out when it lies more than ``OUTLIER_K`` scaled median absolute
#: deviations above the median (Iglewicz and Hoaglin's modified z-score, cut 3.5; the
#: MAD times 1.4826 is the standard deviation of normal data) *and* is at least
#: ``OUTLIER_MIN_RATIO`` times the median (so tightly bunched values are not flagged for
#: being a little above the rest). Only high values are flagged: they are the ones that
#: can carry a total. Fewer than ``OUTLIER_MIN_VALUES`` positive values: no flag (too
#: few to know the distribution). Zeros and missing values are not part of it.
OUTLIER_K = 3.5
OUTLIER_MIN_RATIO = 10.0
OUTLIER_MIN_VALUES = 10

_OUTLIER_COLUMNS = [
    "what",
    "id",
    "date",
    "period",
    "source",
    "campaign",
    "value",
    "share_of_total",
    "median",
    "cut",
]


def outlier_cut(log_median: float, log_mad: float) -> float:
    """The value above which a money value is flagged, from the median and the median
    absolute deviation of the logarithms of the positive values (see `OUTLIER_K`)."""
    step = max(OUTLIER_K * 1.4826 * log_mad, float(np.log(OUTLIER_MIN_RATIO)))
    return float(np.exp(log_median + step))


def flagged_sales(t, cut: float, periods: list[str] | None = None, unit: str = "quarter"):
    """An Ibis condition over leads table ``t``: the sales `revenue_outliers` flags with
    threshold ``cut`` (a known revenue above it), created in one of ``periods`` (keys of
    ``unit``) when given; never null (a lead without a date is in no period).

    The rule as one condition, so a page leaves the flagged sales out of a query by a
    comparison of numbers: their 48 ids in a ``NOT IN`` list took twice as long on 10M
    leads (1.1 s against 0.6 s)."""
    flag = (t.converted.cast("int64") == 1) & t.revenue.notnull()
    flag = flag & (t.revenue.cast("float64") > cut)
    if periods is not None:
        zone = getattr(t.created_at.type(), "timezone", None)
        within = ibis.literal(False)
        for key in periods:
            start, end = period_span(str(key), unit)
            if zone:  # the period's bounds in the column's zone, as `period_key` reads it
                start, end = start.tz_localize(zone), end.tz_localize(zone)
            within = within | (
                (t.created_at >= start.to_pydatetime()) & (t.created_at < end.to_pydatetime())
            )
        flag = flag & within
    return flag.fill_null(False)


def revenue_outliers(leads, period: str = "quarter", engine: Engine | None = None) -> pd.DataFrame:
    """Sales whose revenue is far out of the distribution of revenue per sale (the rule of
    `OUTLIER_K`), computed on the engine over converted leads with a positive revenue.

    Returns DataFrame[what, id, date, period, source, campaign, value, share_of_total,
    median, cut]: one row per flagged sale (``id`` the lead id, ``period`` the key of
    its creation date), ``share_of_total`` its share of all known revenue, ``median``
    the median positive revenue per sale and ``cut`` the threshold. ``attrs``: ``n``
    (positive values), ``total``, ``median``, ``cut`` (None when too few values).
    """
    eng = engine or default_engine()
    t = eng.table(leads)
    sale = (t.converted.cast("int64") == 1) & t.revenue.notnull()
    sold = t.filter(sale)
    total = float(_fetch_row(eng, sold.aggregate(x=sold.revenue.cast("float64").sum()))["x"])
    pos = sold.filter(sold.revenue.cast("float64") > 0)
    lr = pos.revenue.cast("float64").ln()
    got = _fetch_row(eng, pos.aggregate(n=pos.count(), med=lr.median()))
    n = int(got["n"])
    out = pd.DataFrame(columns=_OUTLIER_COLUMNS)
    out.attrs = {"n": n, "total": total, "median": None, "cut": None}
    if n < OUTLIER_MIN_VALUES:
        return out
    med = float(got["med"])
    mad = float(_fetch_row(eng, pos.aggregate(m=(lr - med).abs().median()))["m"])
    cut = outlier_cut(med, mad)
    far = t.filter(flagged_sales(t, cut))
    cols = {
        "id": far.lead_id.cast("string"),
        "date": far.created_at.cast("date").cast("string"),
        "period": period_key(far.created_at, period),
        "source": far.source.cast("string"),
        "campaign": far.campaign.cast("string"),
        "value": far.revenue.cast("float64"),
    }
    rows = eng.to_arrow(far.select(**cols)).to_pandas()
    rows = rows.sort_values("value", ascending=False, ignore_index=True)
    rows.insert(0, "what", "revenue of a sale")
    rows["share_of_total"] = rows["value"] / total if total > 0 else np.nan
    rows["median"], rows["cut"] = float(np.exp(med)), cut
    rows = rows[_OUTLIER_COLUMNS]
    rows.attrs = {"n": n, "total": total, "median": float(np.exp(med)), "cut": cut}
    return rows


def spend_outliers(spend: pd.DataFrame | None) -> pd.DataFrame:
    """Spend rows (a campaign's day) far out of the distribution of spend per row (the
    rule of `OUTLIER_K`). Same columns as `revenue_outliers` (``id``: the row's
    source / campaign / date); ``attrs`` likewise."""
    out = pd.DataFrame(columns=_OUTLIER_COLUMNS)
    out.attrs = {"n": 0, "total": 0.0, "median": None, "cut": None}
    if spend is None or spend.empty:
        return out
    values = pd.to_numeric(spend["spend"], errors="coerce")
    total = float(values.sum())
    pos = values[values > 0]
    out.attrs.update(n=int(len(pos)), total=total)
    if len(pos) < OUTLIER_MIN_VALUES:
        return out
    lr = np.log(pos.to_numpy(dtype="float64"))
    med = float(np.median(lr))
    cut = outlier_cut(med, float(np.median(np.abs(lr - med))))
    far = spend.loc[values > cut]
    dates = pd.to_datetime(far["date"]).dt.strftime("%Y-%m-%d")
    rows = pd.DataFrame(
        {
            "what": "spend of a campaign day",
            "id": far["source"].astype(str) + " / " + far["campaign"].astype(str) + " / " + dates,
            "date": dates,
            "period": "",
            "source": far["source"].astype(str),
            "campaign": far["campaign"].astype(str),
            "value": values[far.index].astype("float64"),
        }
    )
    rows["share_of_total"] = rows["value"] / total if total > 0 else np.nan
    rows["median"], rows["cut"] = float(np.exp(med)), cut
    rows = rows.sort_values("value", ascending=False, ignore_index=True)[_OUTLIER_COLUMNS]
    rows.attrs = {"n": int(len(pos)), "total": total, "median": float(np.exp(med)), "cut": cut}
    return rows


def outliers_table(
    leads, spend: pd.DataFrame | None, period: str = "quarter", engine: Engine | None = None
) -> pd.DataFrame:
    """The revenue and spend values far out of their distribution, revenue first; attrs
    ``revenue`` and ``spend`` hold each rule's attrs."""
    rev, sp = revenue_outliers(leads, period, engine), spend_outliers(spend)
    parts = [x for x in (rev, sp) if len(x)]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_OUTLIER_COLUMNS)
    out.attrs = {"revenue": dict(rev.attrs), "spend": dict(sp.attrs)}
    return out


def outliers_sentence(table: pd.DataFrame, currency: str | None = None) -> str:
    """The outliers of `outliers_table` in one or two sentences, or "" when none."""
    said = []
    for what, key in (("revenue of a sale", "revenue"), ("spend of a campaign day", "spend")):
        rows = table[table["what"] == what]
        if not len(rows):
            continue
        info = table.attrs.get(key, {})
        share = float(rows["value"].sum() / info["total"]) if info.get("total") else np.nan
        shown = [
            _("lead {id} ({value})", id=r.id, value=money(r.value, currency))
            if key == "revenue"
            else f"{r.id} ({money(r.value, currency)})"
            for r in rows.head(3).itertuples()
        ]
        listed = ", ".join(shown)
        if len(rows) > 3:
            listed = _("{listed} and {n} more", listed=listed, n=fmt_int(len(rows) - 3))
        values = dict(
            total=fmt_money(info["n"]),
            listed=listed,
            cut=money(info["cut"], currency),
            median=money(info["median"], currency),
            share=fmt_share(share),
        )
        if key == "revenue":
            said.append(
                n_(
                    "{n} revenue value of {total} is far out of the rest: {listed}, above the "
                    "cut of {cut} (the median is {median}); it holds {share} of all revenue",
                    "{n} revenue values of {total} are far out of the rest: {listed}, above "
                    "the cut of {cut} (the median is {median}); they hold {share} of all "
                    "revenue",
                    len(rows),
                    **values,
                )
            )
        else:
            said.append(
                n_(
                    "{n} spend value of {total} is far out of the rest: {listed}, above the "
                    "cut of {cut} (the median is {median}); it holds {share} of all spend",
                    "{n} spend values of {total} are far out of the rest: {listed}, above the "
                    "cut of {cut} (the median is {median}); they hold {share} of all spend",
                    len(rows),
                    **values,
                )
            )
    return ("; ".join(said) + ".") if said else ""
