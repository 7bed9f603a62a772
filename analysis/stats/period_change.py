"""The change from one period to another, straight from the leads: the cells of two
periods (`period_cells`, grouped by the engine), their decomposition (`decompose_periods`,
see `analysis.stats.decompose` for the parts) and which two periods to compare
(`default_periods`: the last two complete ones with enough leads), and a period's key as
the reader sees it (`period_name`: ``2026Q1`` is «1 кв. 2026» in Russian).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from analysis.base.i18n import N_, _
from analysis.engine.cells import Engine, Leads, default_engine
from analysis.engine.periods import NO_DATE, period_table
from analysis.stats.decompose import Mix, decompose, norm_mix

__all__ = ["period_cells", "decompose_periods", "default_periods", "period_name"]

#: A quarter's and a month's key as the reader sees it, by the quarter's number or the
#: month's (the key itself in English: ``2026Q1``, ``2026-04``).
_QUARTERS = {
    "1": N_("{year}Q1"),
    "2": N_("{year}Q2"),
    "3": N_("{year}Q3"),
    "4": N_("{year}Q4"),
}
_MONTHS = {
    "01": N_("{year}-01"),
    "02": N_("{year}-02"),
    "03": N_("{year}-03"),
    "04": N_("{year}-04"),
    "05": N_("{year}-05"),
    "06": N_("{year}-06"),
    "07": N_("{year}-07"),
    "08": N_("{year}-08"),
    "09": N_("{year}-09"),
    "10": N_("{year}-10"),
    "11": N_("{year}-11"),
    "12": N_("{year}-12"),
}
_NO_DATE = N_("(no date)")
assert _NO_DATE == NO_DATE


def period_name(key: object) -> str:
    """A period's key (``2026Q1``, ``2026-04``, a week's Monday ``2026-03-30``, `NO_DATE`)
    as the reader sees it in the current language: the key itself in English; in
    Russian «1 кв. 2026», «апр. 2026», «нед. с 30.03.2026». Keys stay the codes of the
    tables and joins; this is for what a page, a figure or a workbook shows. Anything
    else (a label such as "Q1", "May") is returned as it is."""
    text = str(key)
    if text == NO_DATE:
        return _(_NO_DATE)
    found = re.fullmatch(r"(\d{4})Q([1-4])", text)
    if found:
        return _(_QUARTERS[found[2]], year=found[1])
    found = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if found and found[2] in _MONTHS:
        return _(_MONTHS[found[2]], year=found[1])
    found = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    if found:
        return _(
            "{week_year}-{week_month}-{week_day}",
            week_year=found[1],
            week_month=found[2],
            week_day=found[3],
        )
    return key if isinstance(key, str) else text


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
        raise ValueError(
            _(
                "period_a and period_b are the same ({key}): nothing to compare",
                key=repr(period_a),
            )
        )
    eng = engine if engine is not None else default_engine()
    t = eng.table(leads)
    by = [period, *mix]
    cells = eng.cells(t, by, within_days=within_days, revenue_sq=True)
    found = sorted(cells[period].unique())
    out = []
    for p in (period_a, period_b):
        part = cells[cells[period] == str(p)]
        if part.empty:
            raise ValueError(_no_leads_in(period, p, found))
        out.append(part.drop(columns=period).reset_index(drop=True))
    return out[0], out[1]


def _no_leads_in(period: str, key: object, found: list[str]) -> str:
    """Why a period asked for cannot be compared: no lead in it (the keys it has, as the
    reader types them)."""
    values = {"key": repr(key), "found": repr(found)}
    if period == "week":
        return _("no leads in week {key}; the leads have weeks {found}", **values)
    if period == "month":
        return _("no leads in month {key}; the leads have months {found}", **values)
    if period == "quarter":
        return _("no leads in quarter {key}; the leads have quarters {found}", **values)
    return f"no leads in {period} {key!r}; the leads have {period}s {found}"


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
