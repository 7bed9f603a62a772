"""Time to sale: how long sales take, estimated with right-censoring (Kaplan-Meier).

Deals close days or weeks after the lead, so a table of conversion by month or by
campaign makes recent leads look worse than they are: many of them have not had time
to buy. This module estimates the time to sale with right-censoring (Kaplan-Meier), a
lead without a sale counting as "not sold yet" at its age on the data's end date;
`analysis.stats.maturity` reads the curves at a given age and compares groups at the
same age.

Everything is computed from grouped counts: the engine groups the leads by (group, day)
and returns, per day since the lead, the number of sales and the number of leads whose
observation ends that day. The product-limit estimate and its Greenwood variance are
closed forms on those counts, so the cost does not grow with the number of leads beyond
the group-by.

Days are whole days since the lead, counted so that "by day d" means "within d days":

- a sale ``x`` days after its lead (``won_at - created_at``, fractional) is counted on
  day ``ceil(x)``: day 1 holds the sales of the first 24 hours, day 0 only sales
  stamped at the lead's own instant;
- a lead without a sale by ``as_of``, aged ``a`` days, is censored at day ``floor(a)``,
  the last day it was watched through, and is at risk on that day (censoring after the
  day's sales, the usual convention).

So the share converted by day ``d`` estimates P(sale within ``d`` days), the same
event as ``won_at <= created_at + d days``.

Data errors are counted, left out and described in ``attrs["notes"]`` of each returned
table, never raised: a sale dated before its lead, a sale without ``won_at``, a lead
without ``created_at`` or created after ``as_of``. A sale closed after ``as_of`` counts
as "not sold yet" (the data as they stood on ``as_of``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from analysis.base.i18n import _, fmt_count
from analysis.engine.cells import (
    TIME_DIMENSIONS,
    Engine,
    Leads,
    check_by,
    count_true,
    default_engine,
    dimension,
)
from analysis.stats.intervals import z_value

__all__ = [
    "CURVE_COLUMNS",
    "By",
    "Prepared",
    "prepare",
    "day_counts",
    "product_limit",
    "time_to_sale",
    "cohort_curves",
    "sale_quantiles",
    "curve_keys",
    "groups",
    "key_row",
    "as_list",
    "attrs",
]

#: The columns of a time-to-sale table besides its group columns.
CURVE_COLUMNS = (
    "day",
    "at_risk",
    "sales",
    "censored",
    "converted_share",
    "se",
    "low",
    "high",
)

_US_PER_DAY = 86_400_000_000

_NEEDED = ("created_at", "converted", "won_at")

#: The grouping a function takes: one dimension, several, or None for all leads together.
By: TypeAlias = str | list[str] | tuple[str, ...] | None

# --- preparation: one pass of checks, the per-lead expressions ----------------------


@dataclass(frozen=True)
class Prepared:
    """A leads table with ``as_of`` fixed, its valid rows and per-lead expressions."""

    engine: Engine
    table: ir.Table
    as_of: pd.Timestamp
    notes: tuple[str, ...]
    excluded: dict[str, int]
    #: What each note is about (``sale_before_lead``, ``no_created_at``...), in order.
    causes: tuple[str, ...] = ()

    @property
    def is_sale(self) -> ir.BooleanValue:
        t = self.table
        sold = (t.converted.cast("int64") == 1).fill_null(False)
        return sold & t.won_at.notnull() & (t.won_at <= self._as_of_literal)

    @property
    def sale_day(self) -> ir.IntegerValue:
        """ceil((won_at - created_at) in days): day d holds sales within (d-1, d] days."""
        t = self.table
        us = t.won_at.delta(t.created_at, unit="microsecond")
        return (us + (_US_PER_DAY - 1)) // _US_PER_DAY

    @property
    def age_day(self) -> ir.IntegerValue:
        """floor((as_of - created_at) in days): the last whole day the lead was watched."""
        t = self.table
        return self._as_of_literal.delta(t.created_at, unit="microsecond") // _US_PER_DAY

    @property
    def day(self) -> ir.IntegerValue:
        """The day a lead leaves the risk set: its sale day, or its age if not sold."""
        return self.is_sale.ifelse(self.sale_day, self.age_day)

    @property
    def _as_of_literal(self) -> ir.TimestampScalar:
        return _literal(self.as_of, self.table)

    def valid(self) -> Prepared:
        """The same, on the rows that can be measured (see the module notes)."""
        t = self.table
        sold = (t.converted.cast("int64") == 1).fill_null(False)
        ok = (
            t.created_at.notnull()
            & (t.created_at <= self._as_of_literal)
            & ~(sold & t.won_at.isnull())
            & ~(sold & t.won_at.notnull() & (t.won_at < t.created_at))
        )
        return Prepared(
            self.engine, t.filter(ok), self.as_of, self.notes, self.excluded, self.causes
        )

    def keys(self, by: list[str]) -> dict[str, ir.Value]:
        return {b: dimension(self.table, b) for b in by}

    def collect(self, by: list[str], metrics: Mapping[str, ir.Value]) -> pd.DataFrame:
        """``metrics`` per group of ``by`` from the engine, integer counts as int64."""
        out = self.engine.group(self.table, by, **metrics)
        for col in metrics:
            # integer sums must come back as integers (DuckDB's HUGEINT would be float)
            out[col] = out[col].fillna(0).astype("int64")
        if by:  # in the order of the keys' text on every backend
            out = out.sort_values(by, kind="stable", ignore_index=True)
        return out


def _literal(when: pd.Timestamp, t: ir.Table) -> ir.TimestampScalar:
    """``when`` as a timestamp literal of created_at's own type (time zone included)."""
    dtype = t.created_at.type()
    return ibis.literal(when.to_pydatetime(), type=dtype)


def _as_of(value: object, t: ir.Table) -> pd.Timestamp:
    """A user's as_of in created_at's time zone (a naive date is read in that zone)."""
    when = pd.Timestamp(value)
    if pd.isna(when):
        raise ValueError(f"as_of must be a date, e.g. as_of='2026-07-09', got {value!r}")
    tz = getattr(t.created_at.type(), "timezone", None)
    if tz and when.tzinfo is None:
        return when.tz_localize(tz)
    if not tz and when.tzinfo is not None:
        raise ValueError(
            f"as_of {when} has a time zone but created_at has none: give as_of without one"
        )
    return when


def as_list(by: By) -> list[str]:
    """``by`` as a list of dimensions: [] for None, [name] for one name."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def _check(t: ir.Table, by: list[str]) -> None:
    if by:
        check_by(by)
    missing = [c for c in _NEEDED if c not in t.columns]
    if missing:
        raise ValueError(
            _(
                "the leads table has no column {columns}: time to sale needs created_at, "
                "converted and won_at (when each sale closed); map them in the profile",
                columns=missing,
            )
        )
    absent = [b for b in by if b not in TIME_DIMENSIONS and b not in t.columns]
    if absent:
        raise ValueError(
            _(
                "the leads table has no column {columns} (the profile did not map it)",
                columns=absent,
            )
        )


def prepare(leads: Leads, by: list[str], as_of: object, engine: Engine | None) -> Prepared:
    """Check the leads for the time measures once, fix ``as_of`` (the latest created_at
    or won_at when None) and count the rows left out, with the notes that say why."""
    eng = engine or default_engine()
    t = eng.table(leads)
    _check(t, by)
    if as_of is None:
        ends = eng.to_arrow(t.aggregate(a=t.created_at.max(), b=t.won_at.max()))
        seen = [v for v in ends.to_pylist()[0].values() if v is not None]
        if not seen:
            raise ValueError(_("the leads table has no created_at dates: nothing to measure"))
        as_of = max(seen)
    as_of_ts = _as_of(as_of, t)
    as_of_lit = _literal(as_of_ts, t)

    sold = (t.converted.cast("int64") == 1).fill_null(False)
    created = t.created_at.notnull()

    def count(cond: ir.BooleanValue) -> ir.IntegerScalar:
        return count_true(cond.fill_null(False))

    checks = t.aggregate(
        leads=t.count(),
        no_created_at=count(~created),
        after_as_of=count(created & (t.created_at > as_of_lit)),
        sale_without_won_at=count(created & (t.created_at <= as_of_lit) & sold & t.won_at.isnull()),
        sale_before_lead=count(
            created & (t.created_at <= as_of_lit) & sold & (t.won_at < t.created_at)
        ),
        sale_after_as_of=count(
            created & (t.created_at <= as_of_lit) & sold & (t.won_at > as_of_lit)
        ),
    )
    got = {k: int(v or 0) for k, v in eng.to_arrow(checks).to_pylist()[0].items()}
    # the notes are read on the pages, in the reader's language
    when = f"{as_of_ts:%Y-%m-%d %H:%M}"
    words = {
        "sale_before_lead": lambda n: _(
            "{n} sale(s) have won_at before created_at (a data "
            "error): left out; check their dates in the CRM",
            n=n,
        ),
        "sale_without_won_at": lambda n: _(
            "{n} sale(s) have no won_at, so their time to sale is unknown: left out", n=n
        ),
        "no_created_at": lambda n: _("{n} lead(s) have no created_at: left out", n=n),
        "after_as_of": lambda n: _(
            "{n} lead(s) were created after as_of {when}: left out", n=n, when=when
        ),
        "sale_after_as_of": lambda n: _(
            "{n} sale(s) closed after as_of {when}: counted as not sold yet", n=n, when=when
        ),
    }
    causes = tuple(k for k in words if got[k])
    notes = tuple(words[k](fmt_count(got[k])) for k in causes)
    excluded = {
        k: got[k]
        for k in ("sale_before_lead", "sale_without_won_at", "no_created_at", "after_as_of")
    }
    return Prepared(eng, t, as_of_ts, notes, excluded, causes)


def day_counts(prep: Prepared, by: list[str]) -> pd.DataFrame:
    """Per group and day: sales on that day and leads censored on that day (engine)."""
    pv = prep.valid()
    t = pv.table
    sale = pv.is_sale
    expr = (
        t.group_by(**pv.keys(by), day=pv.day)
        .aggregate(
            sales=count_true(sale),
            censored=count_true(~sale),
        )
        .order_by([*by, "day"])
    )
    out = prep.engine.to_arrow(expr).to_pandas()
    for col in ("day", "sales", "censored"):
        # integer sums must come back as integers (DuckDB's HUGEINT would be float)
        out[col] = out[col].fillna(0).astype("int64")
    for b in by:
        out[b] = out[b].astype("str")
    return out


def attrs(frame: pd.DataFrame, prep: Prepared, level: float, **more: object) -> pd.DataFrame:
    """``frame`` with the attrs every time-to-sale table carries (``as_of``, ``level``,
    ``notes``, ``notes_by_cause`` (each note under its cause: ``sale_before_lead``,
    ``sale_without_won_at``, ``no_created_at``, ``after_as_of``, ``sale_after_as_of``),
    ``excluded``) and ``more``."""
    frame.attrs.update(
        {
            "as_of": prep.as_of,
            "level": level,
            "notes": list(prep.notes),
            "notes_by_cause": dict(zip(prep.causes, prep.notes, strict=True)),
            "excluded": dict(prep.excluded),
            **more,
        }
    )
    return frame


# --- Kaplan-Meier on grouped counts -------------------------------------------------


def product_limit(counts: pd.DataFrame, by: list[str], level: float) -> pd.DataFrame:
    """Kaplan-Meier per group from (by, day, sales, censored), with Greenwood's variance
    and the log-log interval, as the cumulative share converted 1 - S(day)."""
    z = z_value(level)
    c = counts.sort_values([*by, "day"], kind="stable").reset_index(drop=True)
    gkey = c.groupby(by, sort=False).ngroup() if by else pd.Series(0, index=c.index)
    removed = c["sales"] + c["censored"]
    total = removed.groupby(gkey).transform("sum")
    at_risk = (total - (removed.groupby(gkey).cumsum() - removed)).astype("int64")
    d = c["sales"].to_numpy(dtype="float64")
    n = at_risk.to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        step = 1.0 - d / n
        surv = pd.Series(step, index=c.index).groupby(gkey).cumprod().to_numpy()
        term = np.where(d > 0, d / (n * (n - d)), 0.0)  # inf once everyone left has bought
        gw = pd.Series(term, index=c.index).groupby(gkey).cumsum().to_numpy()
        se = surv * np.sqrt(gw)
        # log-log interval (Kalbfleisch & Prentice 1980): theta = log(-log S)
        log_s = np.log(surv)
        v = np.sqrt(gw) / np.abs(log_s)
        s_low = np.exp(-np.exp(np.log(-log_s) + z * v))
        s_high = np.exp(-np.exp(np.log(-log_s) - z * v))
    none_yet = surv >= 1.0
    all_sold = surv <= 0.0
    share = 1.0 - surv
    low = np.where(none_yet, 0.0, np.where(all_sold, 1.0, 1.0 - s_high))
    high = np.where(none_yet, 0.0, np.where(all_sold, 1.0, 1.0 - s_low))
    se = np.where(none_yet, 0.0, np.where(all_sold, np.nan, se))
    out = c[[*by, "day"]].copy()
    out["at_risk"] = at_risk
    out["sales"] = c["sales"]
    out["censored"] = c["censored"]
    out["converted_share"] = share
    out["se"] = se
    out["low"] = low
    out["high"] = high
    return out.reset_index(drop=True)


def time_to_sale(
    leads: Leads,
    by: By = None,
    *,
    as_of: object = None,
    level: float = 0.95,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """Time-to-sale curves: the Kaplan-Meier share of leads converted by each day since
    the lead, per group, leads without a sale censored at their age on ``as_of``.

    Parameters
    ----------
    leads : DataFrame, path, table name or Ibis table
        Canonical leads with created_at, converted, won_at and the ``by`` columns.
    by : str or list of str, optional
        Dimensions from `analysis.engine.DIMENSIONS` (``source``, ``campaign``,
        ``qualification``, ``week``, ``month``, ...); None for one curve of all leads.
    as_of : date-like, optional
        The data's end date; the latest created_at or won_at by default.
    level : float
        Confidence level of the intervals.
    engine : Engine, optional
        Where the grouping runs (see `analysis.engine`).

    Returns
    -------
    DataFrame[*by, day, at_risk, sales, censored, converted_share, se, low, high]
        One row per group and day on which a sale closed or a lead's observation ended,
        sorted by ``by`` and ``day``. ``at_risk``: leads still unsold and watched
        through ``day``; ``sales``: sales on that day; ``censored``: unsold leads whose
        age on ``as_of`` is ``day``; ``converted_share``: 1 - S(day), the share of
        leads converted within ``day`` days (Kaplan-Meier); ``se``: its Greenwood
        standard error; ``low``, ``high``: its interval, from the log-log transform of
        S (Kalbfleisch & Prentice 1980; lifelines' and R's ``conf.type="log-log"``),
        which stays within [0, 1]. Before a group's first sale the share and its bounds
        are 0. ``attrs``: ``as_of``, ``level``, ``notes`` (rows left out and why),
        ``excluded`` (their counts).

    Examples
    --------
    >>> curves = time_to_sale(ds.leads, "source")  # doctest: +SKIP
    >>> share_at(curves, 30)  # doctest: +SKIP
    """
    by = as_list(by)
    prep = prepare(leads, by, as_of, engine)
    curves = product_limit(day_counts(prep, by), by, level)
    return attrs(curves, prep, level, by=by)


def cohort_curves(
    leads: Leads,
    period: str = "month",
    by: By = None,
    *,
    as_of: object = None,
    level: float = 0.95,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """Time-to-sale curves per cohort of lead creation (``month`` by default, or
    ``week``/``quarter``), optionally within ``by`` (e.g. per campaign).

    A young cohort's curve simply stops early: compare it with older cohorts at the days
    it has reached, not by its final value (a campaign launched last week has had at
    most seven days to sell).

    Returns
    -------
    DataFrame[period, *by, day, at_risk, sales, censored, converted_share, se, low, high]
        As `time_to_sale`.

    Examples
    --------
    >>> curves = cohort_curves(ds.leads, "month")  # doctest: +SKIP
    >>> share_at(curves, 14)  # every cohort at 14 days  # doctest: +SKIP
    """
    if period not in TIME_DIMENSIONS:
        raise ValueError(f"period must be one of {', '.join(TIME_DIMENSIONS)}, got {period!r}")
    return time_to_sale(leads, [period, *as_list(by)], as_of=as_of, level=level, engine=engine)


def curve_keys(curves: pd.DataFrame) -> list[str]:
    missing = [c for c in CURVE_COLUMNS if c not in curves.columns]
    if missing:
        raise ValueError(
            f"not a time-to-sale table (no column {missing}): make it with time_to_sale()"
        )
    return [c for c in curves.columns if c not in CURVE_COLUMNS]


def groups(curves: pd.DataFrame, keys: list[str]) -> Iterator[tuple[Any, pd.DataFrame]]:
    """(group name, its rows by day) for each non-empty group."""
    if keys:
        for name, g in curves.groupby(keys, sort=False):
            yield name, g.sort_values("day")
    elif len(curves):
        yield (), curves.sort_values("day")


def key_row(keys: list[str], name: object) -> dict[str, object]:
    """A group's name (a value, or a tuple of values) as {key column: value}."""
    name = name if isinstance(name, tuple) else (name,)
    return dict(zip(keys, name, strict=True))


def sale_quantiles(curves: pd.DataFrame, quantiles: ArrayLike = (0.5, 0.9)) -> pd.DataFrame:
    """How long sales take: per group, the days within which a given share of the
    group's sales close (e.g. the median time to sale and its 90th percentile).

    Most leads never buy, so the Kaplan-Meier curve of all leads rarely reaches 50%.
    The q-quantile here is the first day on which the curve reaches q times its final
    value (the share converted by the group's longest observation): the time to sale
    among leads that buy, corrected for leads too young to have bought. For a group
    whose leads are all younger than the sales cycle the final value is not yet the
    plateau and the quantiles come out too short: check ``last_day``.

    Returns
    -------
    DataFrame[*by, leads, sales, final_share, last_day, days_50, days_90]
        One ``days_<q·100>`` column per quantile (NaN without sales); ``last_day``: the
        longest a lead of the group was watched.

    Examples
    --------
    >>> sale_quantiles(time_to_sale(ds.leads, "source"))  # doctest: +SKIP
    """
    keys = curve_keys(curves)
    qs = [float(q) for q in np.atleast_1d(quantiles)]
    if any(not 0 < q <= 1 for q in qs):
        raise ValueError(f"quantiles must be between 0 and 1, got {qs}")
    cols = [f"days_{round(q * 100)}" for q in qs]
    rows = []
    for name, g in groups(curves, keys):
        share = g["converted_share"].to_numpy()
        final = float(share[-1]) if len(share) else np.nan
        row = {
            **key_row(keys, name),
            "leads": int(g["at_risk"].iloc[0]),
            "sales": int(g["sales"].sum()),
            "final_share": final,
            "last_day": int(g["day"].max()),
        }
        for q, col in zip(qs, cols, strict=True):
            if not final > 0:
                row[col] = np.nan
                continue
            reached = np.flatnonzero(share >= q * final - 1e-12)
            row[col] = float(g["day"].to_numpy()[reached[0]])
        rows.append(row)
    out = pd.DataFrame(rows, columns=[*keys, "leads", "sales", "final_share", "last_day", *cols])
    out.attrs.update(curves.attrs)
    return out
