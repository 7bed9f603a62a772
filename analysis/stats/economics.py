"""Unit economics of the funnel, by any grouping: what each channel costs per lead,
per qualified lead and per sale, and what it pays back.

Everything is computed from grouped counts (cells), never row by row. Spend is joined
on source + campaign (+ the period, when grouping by week, month or quarter). Cost
columns are computed over *paid* leads only, the leads of campaigns that have spend
rows, so organic leads in the same source do not make paid traffic look cheap. Where
there is no spend the cost columns are NaN and the ``note`` column says why, never 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.base.i18n import _, fmt_int
from analysis.engine.cells import TIME_DIMENSIONS, Engine, Leads, check_by, default_engine
from analysis.engine.periods import NO_DATE, period_key
from analysis.stats.intervals import wilson_interval

__all__ = ["SPEND_DIMENSIONS", "lead_cells", "spend_by", "unit_economics", "unit_totals"]

SPEND_DIMENSIONS = ("source", "campaign", *TIME_DIMENSIONS)

_CLASSES = ("hot", "warm", "cold", "unknown")


def _check(leads: pd.DataFrame, by: list[str]) -> None:
    check_by(by)
    absent = [b for b in by if b not in TIME_DIMENSIONS and b not in leads.columns]
    if absent:
        raise ValueError(
            _(
                "the leads table has no column {columns} (the profile did not map it)",
                columns=absent,
            )
        )


def lead_cells(
    leads: Leads, by: list[str] | tuple[str, ...], engine: Engine | None = None
) -> pd.DataFrame:
    """Grouped counts per cell of ``by`` (see `engine.Engine.cells`).

    Returns
    -------
    DataFrame[*by, leads, hot, warm, cold, unknown, sales, revenue, sales_with_revenue]
    """
    return (engine or default_engine()).cells(leads, list(by))


def spend_by(
    spend: pd.DataFrame, keys: list[str] | tuple[str, ...], engine: Engine | None = None
) -> pd.DataFrame:
    """Spend summed per cell of ``keys`` (any of source, campaign, week, month, quarter).

    The time keys are `analysis.engine.periods.period_key` of the spend's ``date``, the
    same expression that puts a lead in its period, so a lead and the spend of its day
    always fall in the same week, month and quarter. The spend table is small and in
    memory: it is grouped on the in-process DuckDB unless ``engine`` is given.

    Returns
    -------
    DataFrame[*keys, spend], sorted by ``keys``.
    """
    keys = list(keys)
    eng = engine or default_engine()
    t = eng.table(spend[["date", *(k for k in keys if k not in TIME_DIMENSIONS), "spend"]])
    group = {k: period_key(t.date, k) if k in TIME_DIMENSIONS else t[k] for k in keys}
    expr = t.group_by(**group).aggregate(spend=t.spend.cast("float64").sum())
    out = eng.to_arrow(expr).to_pandas()
    out["spend"] = out["spend"].fillna(0.0).astype("float64")
    for k in keys:
        out[k] = out[k].astype("str")
    # sorted here, as the cells are: the same order on every backend
    return out.sort_values(keys, kind="stable", ignore_index=True)[[*keys, "spend"]]


def unit_economics(
    leads: Leads,
    spend: pd.DataFrame | None = None,
    by: list[str] | tuple[str, ...] = ("source",),
    *,
    level: float = 0.95,
    min_leads: int = 30,
    min_sales: int = 10,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """Spend, leads, qualification mix, sales, cost per lead / qualified lead / sale,
    revenue and ROMI for each group of ``by``.

    Parameters
    ----------
    leads : DataFrame, path, table name or Ibis table
        The canonical leads, grouped into cells by ``engine`` (DuckDB in-process by
        default) so only counts come back.
    spend : DataFrame, optional
        The canonical spend table; None or empty means "no spend data".
    by : list of str
        Any of source, medium, campaign, segment, manager, qualification, week, month,
        quarter. When ``by`` has dimensions spend is not recorded by (segment, manager,
        ...), each campaign's spend is allocated to its leads in equal shares.
    level : float
        Confidence level of the intervals.
    min_leads, min_sales : int
        Below these a row's ``data`` verdict is "too few leads" / "too few sales".
    engine : Engine, optional
        Where the grouping runs (see `analysis.engine`).

    Returns
    -------
    DataFrame
        ``*by, leads, hot, warm, cold, unknown, qualified`` (hot + warm), ``hot_share``,
        ``warm_share``, ``cold_share`` (of all leads, each with ``_low``/``_high``),
        ``sales, conversion, conversion_low, conversion_high, revenue,
        revenue_per_sale, paid_leads, paid_sales, paid_revenue, spend, cpl, cpql`` (cost per
        qualified lead), ``cac`` (cost per sale, with ``cac_low``/``cac_high`` from the
        conversion interval), ``romi`` ((revenue - spend) / spend of paid leads, with
        ``romi_low``/``romi_high`` from the conversion interval), ``rank_cpl,
        rank_cac`` (1 = cheapest), ``data`` (enough / too few leads / too few sales),
        ``note``.

    Examples
    --------
    >>> table = unit_economics(ds.leads, ds.spend, by=["source", "campaign"])  # doctest: +SKIP
    """
    by = list(by)
    if isinstance(leads, pd.DataFrame):
        _check(leads, by)
    table, has_spend = _summed(leads, spend, by, engine)
    return _measures(table, by, has_spend, level, min_leads, min_sales)


def unit_totals(
    leads: Leads,
    spend: pd.DataFrame | None = None,
    *,
    level: float = 0.95,
    min_leads: int = 30,
    min_sales: int = 10,
    engine: Engine | None = None,
) -> pd.Series:
    """The measures of `unit_economics` over all leads and all spend: the one set of
    totals every page, the index and run.json show.

    Spend is every spend row (the direct path by quarter keeps spend on campaigns that
    brought no lead), so the total equals the sum of any period table's rows; paid leads
    are the leads of campaigns with spend rows.
    """
    table, has_spend = _summed(leads, spend, ["quarter"], engine)
    counts = [c for c in table.columns if c != "quarter"]
    one = table[counts].sum().to_frame().T
    one.insert(0, "all", "all")
    for c in counts:
        if c not in ("revenue", "paid_revenue", "spend"):
            one[c] = one[c].astype("int64")
    if not has_spend:
        one["spend"] = np.nan
    return _measures(one, ["all"], has_spend, level, min_leads, min_sales).iloc[0]


def _summed(
    leads: Leads, spend: pd.DataFrame | None, by: list[str], engine: Engine | None
) -> tuple[pd.DataFrame, bool]:
    """Counts and spend summed per cell of ``by``, and whether there is spend."""
    if spend is not None and spend.empty:
        spend = None  # an empty spend table is no spend data
    has_spend = spend is not None
    spend_keys = ["source", "campaign"] + [b for b in by if b in TIME_DIMENSIONS]
    cell_keys = list(dict.fromkeys(by + (spend_keys if has_spend else [])))
    cells = lead_cells(leads, cell_keys, engine)

    if spend is not None:
        paid_pairs = spend[["source", "campaign"]].drop_duplicates()
        paid_pairs = paid_pairs.assign(_paid=True)
        cells = cells.merge(paid_pairs, on=["source", "campaign"], how="left")
        cells["_paid"] = cells["_paid"].fillna(False).astype(bool)
        sp = spend_by(spend, spend_keys)
        direct = set(by) <= set(SPEND_DIMENSIONS)
        if direct:
            # group spend straight to `by`, keeping spend that has no leads as its own rows
            cells["spend"] = 0.0
        else:
            # allocate each campaign-period's spend to its cells in proportion to leads
            k = cells.groupby(spend_keys)["leads"].transform("sum")
            cells = cells.merge(sp, on=spend_keys, how="left")
            cells["spend"] = (cells["spend"].fillna(0.0) * cells["leads"] / k).astype("float64")
        cells["paid_leads"] = np.where(cells["_paid"], cells["leads"], 0)
        cells["paid_sales"] = np.where(cells["_paid"], cells["sales"], 0)
        cells["paid_revenue"] = np.where(cells["_paid"], cells["revenue"], 0.0)
        cells["paid_qualified"] = np.where(cells["_paid"], cells["hot"] + cells["warm"], 0)
        counts = [
            "leads",
            *_CLASSES,
            "sales",
            "revenue",
            "sales_with_revenue",
            "paid_leads",
            "paid_sales",
            "paid_revenue",
            "paid_qualified",
            "spend",
        ]
        table = cells.groupby(by, sort=True)[counts].sum().reset_index()
        if direct:
            spb = spend_by(spend, by) if set(by) != set(spend_keys) else sp
            table = table.drop(columns="spend").merge(spb, on=by, how="outer")
            fill = [c for c in counts if c != "spend"]
            table[fill] = table[fill].fillna(0)
            table["spend"] = table["spend"].fillna(0.0)
            for c in fill:
                if c not in ("revenue", "paid_revenue"):
                    table[c] = table[c].astype("int64")
        else:
            unallocated = sp.merge(
                cells[spend_keys].drop_duplicates(), on=spend_keys, how="left", indicator=True
            )
            lost = unallocated.loc[unallocated["_merge"] == "left_only", "spend"].sum()
            if lost > 0:
                table.attrs["unallocated_spend"] = float(lost)
    else:
        table = (
            cells.groupby(by, sort=True)[
                ["leads", *_CLASSES, "sales", "revenue", "sales_with_revenue"]
            ]
            .sum()
            .reset_index()
        )
        table["paid_leads"] = 0
        table["paid_sales"] = 0
        table["paid_revenue"] = 0.0
        table["paid_qualified"] = 0
        table["spend"] = np.nan

    return table, has_spend


def _row_note(has_spend: bool, spend: float, paid_leads: int, leads: int, sales: int) -> str:
    """A row's note, in the reader's language (the ``note`` column is read, never
    compared)."""
    if not has_spend:
        return _("no spend data")
    parts = []
    if spend > 0 and leads == 0:
        parts.append(_("spend but no leads"))
    elif spend == 0 or np.isnan(spend):
        parts.append(_("no spend recorded"))
    elif paid_leads < leads:
        parts.append(
            _(
                "costs over {paid} paid of {leads} leads",
                paid=fmt_int(paid_leads),
                leads=fmt_int(leads),
            )
        )
    if spend > 0 and paid_leads > 0 and sales == 0:
        parts.append(_("no sales: cost per sale unknown"))
    return "; ".join(parts)


def _measures(
    table: pd.DataFrame,
    by: list[str],
    has_spend: bool,
    level: float,
    min_leads: int,
    min_sales: int,
) -> pd.DataFrame:
    """The measures of each row of summed counts (leads, classes, sales, revenue,
    sales_with_revenue, paid_* and spend)."""
    out = table[by].copy()
    n = table["leads"].to_numpy()
    for c in ("leads", "hot", "warm", "cold", "unknown"):
        out[c] = table[c].astype("int64")
    out["qualified"] = out["hot"] + out["warm"]
    with np.errstate(invalid="ignore", divide="ignore"):
        for c in ("hot", "warm", "cold"):
            k = out[c].to_numpy()
            out[f"{c}_share"] = np.where(n > 0, k / np.maximum(n, 1), np.nan)
            out[f"{c}_share_low"], out[f"{c}_share_high"] = wilson_interval(k, n, level)
        sales = table["sales"].to_numpy().astype("int64")
        out["sales"] = sales
        out["conversion"] = np.where(n > 0, sales / np.maximum(n, 1), np.nan)
        out["conversion_low"], out["conversion_high"] = wilson_interval(sales, n, level)
        swr = table["sales_with_revenue"].to_numpy()
        # revenue is unknown, not 0, where there are sales and none of them has a
        # recorded amount (the profile maps no revenue, or the CRM left it blank)
        rev_unknown = (sales > 0) & (swr == 0)
        out["revenue"] = np.where(rev_unknown, np.nan, table["revenue"].to_numpy(dtype="float64"))
        out["revenue_per_sale"] = np.where(swr > 0, out["revenue"] / np.maximum(swr, 1), np.nan)
        pl = table["paid_leads"].to_numpy().astype("int64")
        ps = table["paid_sales"].to_numpy().astype("int64")
        pr = table["paid_revenue"].to_numpy(dtype="float64")
        sp_ = table["spend"].to_numpy(dtype="float64")
        paid_q = table["paid_qualified"].to_numpy().astype("int64")
        out["paid_leads"] = pl
        out["paid_sales"] = ps
        out["paid_revenue"] = np.where(has_spend & ~(rev_unknown & (ps > 0)), pr, np.nan)
        pr = out["paid_revenue"].to_numpy(dtype="float64")
        out["spend"] = sp_
        costed = has_spend & (sp_ > 0)
        out["cpl"] = np.where(costed & (pl > 0), sp_ / np.maximum(pl, 1), np.nan)
        out["cpql"] = np.where(costed & (paid_q > 0), sp_ / np.maximum(paid_q, 1), np.nan)
        out["cac"] = np.where(costed & (ps > 0), sp_ / np.maximum(ps, 1), np.nan)
        c_lo, c_hi = wilson_interval(ps, pl, level)
        cpl = out["cpl"].to_numpy()
        out["cac_low"] = np.where(costed & (pl > 0), cpl / c_hi, np.nan)
        out["cac_high"] = np.where(
            costed & (pl > 0) & (c_lo > 0), cpl / np.where(c_lo > 0, c_lo, 1), np.nan
        )
        out.loc[costed & (pl > 0) & (c_lo == 0), "cac_high"] = np.inf
        rps = np.where(ps > 0, pr / np.maximum(ps, 1), np.nan)
        out["romi"] = np.where(costed, (pr - sp_) / np.where(costed, sp_, 1), np.nan)
        base = np.where(costed & (ps > 0), pl * rps / np.where(costed, sp_, 1), np.nan)
        out["romi_low"] = base * c_lo - 1
        out["romi_high"] = base * c_hi - 1
    for col, src in (("rank_cpl", "cpl"), ("rank_cac", "cac")):
        out[col] = out[src].replace([np.inf], np.nan).rank(method="min").astype("Int64")
    few_leads = n < min_leads
    out["data"] = np.where(
        few_leads, "too few leads", np.where(sales < min_sales, "too few sales", "enough")
    )
    no_revenue = _("no revenue recorded for its sales: revenue and ROMI unknown")
    out["note"] = [
        "; ".join(
            part
            for part in (
                _row_note(has_spend, s, p, nl, k),
                no_revenue if unk else "",
            )
            if part
        )
        for s, p, nl, k, unk in zip(sp_, pl, n, sales, rev_unknown, strict=True)
    ]
    # leads without a creation date are in no period: the spend is in the dated
    # periods, so their row has no cost of its own (not "no spend recorded")
    for col in by:
        if col in TIME_DIMENSIONS and col in out.columns:
            undated = out[col].astype("string") == NO_DATE
            out.loc[undated, "note"] = _(
                "no creation date: in no period, so its spend is in the dated periods' rows"
            )
    out.attrs.update(table.attrs)
    out.attrs["level"] = level
    return out.reset_index(drop=True)
