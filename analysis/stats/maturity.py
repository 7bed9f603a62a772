"""Conversion at equal lead age: the Kaplan-Meier share converted within a given number
of days (`share_at`, on the curves of `analysis.stats.survival`), and conversion within
that many days among the leads old enough to have had them (`conversion_at_age`), next
to the naive rate that judges young leads as failures.

The day counting and the data errors left out are those of `analysis.stats.survival`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.base.i18n import _
from analysis.engine.cells import Engine, Leads, count_true
from analysis.stats.intervals import count_flag, wilson_interval
from analysis.stats.survival import (
    By,
    as_list,
    attrs,
    curve_keys,
    day_counts,
    groups,
    key_row,
    prepare,
    product_limit,
)

__all__ = ["share_at", "conversion_at_age"]


def share_at(curves: pd.DataFrame, day: int) -> pd.DataFrame:
    """The Kaplan-Meier share converted within ``day`` days, per group of a
    time-to-sale table.

    Returns
    -------
    DataFrame[*by, day, leads, at_risk, converted_share, low, high]
        ``leads``: the group's leads; ``at_risk``: those still watched on ``day`` (unsold
        and at least that old). Where no lead of the group was watched that long the
        share is NaN: the curve says nothing about that day.

    Examples
    --------
    >>> share_at(time_to_sale(ds.leads, "quarter"), 30)  # doctest: +SKIP
    """
    keys = curve_keys(curves)
    day = int(day)
    rows = []
    for name, g in groups(curves, keys):
        before = g[g["day"] <= day]
        after = g[g["day"] >= day]
        at_risk = int(after["at_risk"].iloc[0]) if len(after) else 0
        if at_risk == 0:
            share = low = high = np.nan
        elif len(before):
            last = before.iloc[-1]
            share, low, high = last["converted_share"], last["low"], last["high"]
        else:
            share = low = high = 0.0
        rows.append(
            {
                **key_row(keys, name),
                "day": day,
                "leads": int(g["at_risk"].iloc[0]),
                "at_risk": at_risk,
                "converted_share": float(share),
                "low": float(low),
                "high": float(high),
            }
        )
    out = pd.DataFrame(
        rows, columns=[*keys, "day", "leads", "at_risk", "converted_share", "low", "high"]
    )
    out.attrs.update(curves.attrs)
    return out


def conversion_at_age(
    leads: Leads,
    by: By = None,
    *,
    days: int = 30,
    as_of: object = None,
    level: float = 0.95,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """Conversion within ``days`` days of the lead, among leads at least ``days`` old,
    next to the naive conversion and the Kaplan-Meier estimate at ``days``.

    The naive rate (sales so far / leads) mixes leads that had months to buy with leads
    from last week. The equal-age rate counts only leads that had the full ``days``
    days, and only their sales within ``days`` days, so old and new groups are compared
    on the same footing. The Kaplan-Meier share at ``days`` estimates the same thing
    using the young leads too (as censored).

    Parameters
    ----------
    leads : DataFrame, path, table name or Ibis table
        Canonical leads with created_at, converted, won_at and the ``by`` columns.
    by : str or list of str, optional
        Dimensions from `analysis.engine.DIMENSIONS`; None for all leads together.
    days : int
        The age at which groups are compared (30 by default).
    as_of : date-like, optional
        The data's end date; the latest created_at or won_at by default.
    level : float
        Confidence level of the intervals.
    engine : Engine, optional
        Where the grouping runs.

    Returns
    -------
    DataFrame
        ``*by, leads, sales, conversion, conversion_low, conversion_high`` (naive: sales
        so far / leads, Wilson interval; of every lead of the group, so ``leads`` and
        ``sales`` are the counts every other table shows), ``days, aged_leads`` (leads
        at least ``days`` old on ``as_of``), ``sales_within`` (their sales within
        ``days`` days), ``conversion_within, conversion_within_low,
        conversion_within_high`` (Wilson), ``km_share, km_low, km_high`` (Kaplan-Meier
        at ``days``, log-log interval), ``young_leads, young_share`` (leads younger than
        ``days``, of the timed leads), ``flag`` ("no sales", "few leads" among the aged
        ones, or ""), ``left_out`` (leads counted in ``leads`` but left out of the time
        measures: a sale dated before its lead or without a date, a lead without a
        date or created after ``as_of``; ``attrs["notes"]`` says why). ``attrs`` as in
        `time_to_sale`.

    Examples
    --------
    >>> conversion_at_age(ds.leads, "quarter", days=30)  # doctest: +SKIP
    """
    by = as_list(by)
    if int(days) != days or days < 1:
        raise ValueError(
            _("days must be a whole number of days, at least 1, got {days}", days=repr(days))
        )
    days = int(days)
    prep = prepare(leads, by, as_of, engine)
    # the naive counts are of every lead, as every other table counts them (a sale is
    # `converted`); only the time measures leave out the leads whose age cannot be told
    every = prep.collect(
        by,
        {
            "leads": prep.table.count(),
            "sales": count_true((prep.table.converted.cast("int64") == 1).fill_null(False)),
        },
    )
    pv = prep.valid()
    sale = pv.is_sale
    aged = pv.age_day >= days
    timed = pv.collect(
        by,
        {
            "timed_leads": pv.table.count(),
            "aged_leads": count_true(aged),
            "sales_within": count_true(aged & sale & (pv.sale_day <= days)),
        },
    )
    if by:
        counts = every.merge(timed, on=by, how="left")
    else:
        counts = pd.concat([every, timed], axis=1)
    for col in ("timed_leads", "aged_leads", "sales_within"):
        counts[col] = counts[col].fillna(0).astype("int64")

    out = counts[by].copy()
    n = counts["leads"].to_numpy()
    k = counts["sales"].to_numpy()
    nt = counts["timed_leads"].to_numpy()
    na = counts["aged_leads"].to_numpy()
    kw = counts["sales_within"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["leads"] = n
        out["sales"] = k
        out["conversion"] = np.where(n > 0, k / np.maximum(n, 1), np.nan)
        out["conversion_low"], out["conversion_high"] = wilson_interval(k, n, level)
        out["days"] = days
        out["aged_leads"] = na
        out["sales_within"] = kw
        out["conversion_within"] = np.where(na > 0, kw / np.maximum(na, 1), np.nan)
        out["conversion_within_low"], out["conversion_within_high"] = wilson_interval(kw, na, level)
    curves = product_limit(day_counts(prep, by), by, level)
    km = share_at(curves, days)
    km = km.rename(columns={"converted_share": "km_share", "low": "km_low", "high": "km_high"})
    km_cols = ["km_share", "km_low", "km_high"]
    if by:
        out = out.merge(km[[*by, *km_cols]], on=by, how="left")
    else:
        for col in km_cols:
            out[col] = km[col].iloc[0] if len(km) else np.nan
    out["young_leads"] = nt - na
    out["young_share"] = np.where(nt > 0, out["young_leads"] / np.maximum(nt, 1), np.nan)
    # the equal-age rate rests on the aged leads and their quick sales
    out["flag"] = count_flag(out["aged_leads"], out["sales_within"])
    out.loc[out["sales"] == 0, "flag"] = "no sales"
    out["left_out"] = (n - nt).astype("int64")
    return attrs(out.reset_index(drop=True), prep, level, by=by, days=days)
