"""The change from one period to another, straight from the leads: the cells of two
periods (`period_cells`, grouped by the engine), their decomposition (`decompose_periods`,
see `analysis.stats.decompose` for the parts) and which two periods to compare
(`default_periods`: the last two complete ones with enough leads).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import ibis.expr.types as ir
import pandas as pd

from analysis.engine.cells import Engine, Leads, default_engine
from analysis.engine.periods import period_table
from analysis.stats.decompose import Mix, decompose, norm_mix

__all__ = ["period_cells", "decompose_periods", "default_periods"]


def period_cells(
    leads: Leads,
    period_a: str,
    period_b: str,
    *,
    period: str = "quarter",
    mix: Mix = ("source", "qualification"),
    within_days: int | None = None,
    engine: Engine | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cells of two periods, ready for `decompose` and `contributions`.

    Grouped by the engine (``cells(leads, [period, *mix], within_days=...)``), whose
    ``sales_within`` counts the quick sales of the ``leads_aged`` leads only.

    Parameters
    ----------
    leads : DataFrame, path, table name or Ibis table
        Canonical leads, as `analysis.engine.Engine.cells` takes them.
    period_a, period_b : str
        The two periods as the engine labels them (``"2026Q1"``, ``"2026-04"``, ...).
    period : str
        The period dimension: ``week``, ``month`` or ``quarter``.
    mix, within_days
        As in `decompose`.
    engine : Engine, optional
        Where to group; the shared in-process DuckDB engine by default.

    Returns
    -------
    (cells_a, cells_b) : tuple of DataFrame
        Engine cells without the ``period`` column, with ``revenue_sq`` (the sum of the
        squared revenues of the cell's sales: the spread behind revenue's intervals).

    Examples
    --------
    >>> a, b = period_cells(ds.leads, "2026Q1", "2026Q2", within_days=30)  # doctest: +SKIP
    """
    mix = norm_mix(mix)
    if period in mix:
        raise ValueError(f"period {period!r} cannot also be a mix dimension {mix!r}")
    if str(period_a) == str(period_b):
        raise ValueError(f"period_a and period_b are the same ({period_a!r}): nothing to compare")
    eng = engine if engine is not None else default_engine()
    t = eng.table(leads)
    by = [period, *mix]
    cells = eng.cells(t, by, within_days=within_days)
    cells = cells.merge(_revenue_squares(t, by, eng), on=by, how="left")
    cells["revenue_sq"] = cells["revenue_sq"].fillna(0.0).astype("float64")
    found = sorted(cells[period].unique())
    out = []
    for p in (period_a, period_b):
        part = cells[cells[period] == str(p)]
        if part.empty:
            raise ValueError(f"no leads in {period} {p!r}; the leads have {period}s {found}")
        out.append(part.drop(columns=period).reset_index(drop=True))
    return out[0], out[1]


def _revenue_squares(t: ir.Table, by: list[str], eng: Engine) -> pd.DataFrame:
    """Per cell, the sum of the squared revenues of its sales with a known revenue (the
    spread of revenue per sale behind `decompose`'s intervals), grouped by the engine
    with the engine's cell keys."""
    known = t.revenue.notnull() & (t.converted.cast("int64") == 1)
    value = known.ifelse(t.revenue.cast("float64"), 0.0)
    return eng.group(t, by, revenue_sq=(value * value).sum().cast("float64"))


def decompose_periods(
    leads: Leads,
    period_a: str,
    period_b: str,
    period: str = "quarter",
    mix: Mix = ("source", "qualification"),
    measure: str = "sales",
    within_days: int | None = None,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """`decompose` the change from ``period_a`` to ``period_b`` straight from leads.

    Cells come from `period_cells`; see `decompose` for the parts and the table.

    Examples
    --------
    >>> t = decompose_periods(ds.leads, "2026Q1", "2026Q2", within_days=30)  # doctest: +SKIP
    >>> main_cause(t)  # doctest: +SKIP
    """
    cells_a, cells_b = period_cells(
        leads, period_a, period_b, period=period, mix=mix, within_days=within_days, engine=engine
    )
    return decompose(
        cells_a, cells_b, mix, measure, within_days, labels=(str(period_a), str(period_b))
    )


def default_periods(
    leads: Leads,
    period: str = "quarter",
    min_leads: int = 30,
    engine: Engine | None = None,
    *,
    periods: pd.DataFrame | Iterable[Mapping[str, Any]] | None = None,
) -> tuple[str, str] | None:
    """The two periods to compare, oldest first.

    The last two *complete* periods (leads collected over the whole period, see
    `analysis.engine.periods.period_table`) with at least ``min_leads`` leads each, so a
    quarter cut short by the data's end does not pass for a fall in lead volume. When
    fewer than two complete periods have enough leads, the last two periods with enough
    leads, complete or not (the caller should then say which is incomplete). None when
    fewer than two periods have ``min_leads`` leads.

    Parameters
    ----------
    leads : DataFrame, path, table name or Ibis table
        Canonical leads (not read when ``periods`` is given).
    periods : DataFrame or list of dict, optional
        The period table with ``period``, ``leads`` and ``complete``, e.g. a report's
        ``ctx.facts["periods"]``; computed on the engine when not given.

    Examples
    --------
    >>> default_periods(ctx.leads, "quarter", engine=ctx.engine,
    ...                 periods=ctx.facts["periods"])  # doctest: +SKIP
    ('2026Q1', '2026Q2')
    """
    if periods is None:
        eng = engine if engine is not None else default_engine()
        t = eng.table(leads)
        counts = eng.cells(t, [period])
        span = eng.to_arrow(t.aggregate(a=t.created_at.min(), b=t.created_at.max()))
        first, last = span.to_pylist()[0].values()
        table = period_table(list(counts[period]), period, first, last)
        table = table.merge(
            counts[[period, "leads"]].rename(columns={period: "period"}), on="period"
        )
    else:
        table = pd.DataFrame(list(periods) if not isinstance(periods, pd.DataFrame) else periods)
        if table.empty:  # no lead has a creation date: no period to compare
            return None
        missing = {"period", "leads", "complete"} - set(table.columns)
        if missing:
            raise ValueError(f"periods need the columns period, leads, complete; no {missing}")
    table = table.sort_values("period", kind="stable")
    enough = table[table["leads"] >= min_leads]
    whole = enough[enough["complete"].astype(bool)]["period"].astype(str).tolist()
    if len(whole) >= 2:
        return whole[-2], whole[-1]
    ok = enough["period"].astype(str).tolist()
    return (ok[-2], ok[-1]) if len(ok) >= 2 else None
