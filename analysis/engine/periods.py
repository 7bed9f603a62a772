"""Time on the engine, defined once: the week, month and quarter keys of a date, the
data's end, and which periods the data cover completely.

Every page, table and fit takes its period keys and its "data end" from here, so a lead
on a period's boundary falls in the same period everywhere.
"""

from __future__ import annotations

import ibis.expr.types as ir
import pandas as pd

__all__ = [
    "TIME_DIMENSIONS",
    "NO_DATE",
    "period_key",
    "data_end",
    "period_span",
    "period_table",
]

#: The time dimensions a table can be grouped by.
TIME_DIMENSIONS = ("week", "month", "quarter")

#: The period key of a lead without a creation date: it counts in every total and is
#: in no period (`period_table` leaves it out, so no comparison of periods uses it).
NO_DATE = "(no date)"


def period_key(column: ir.TimestampValue, unit: str) -> ir.StringValue:
    """The period key of a timestamp column: ``week`` is its Monday (``2026-03-30``),
    ``month`` ``2026-04``, ``quarter`` ``2026Q2``; in the column's own time zone; `NO_DATE`
    where the timestamp is missing."""
    if unit == "week":
        key = column.truncate("W").strftime("%Y-%m-%d")
    elif unit == "month":
        key = column.strftime("%Y-%m")
    elif unit == "quarter":
        key = column.year().cast("string").concat("Q", column.quarter().cast("string"))
    else:
        raise ValueError(f"unknown period {unit!r}: choose from {', '.join(TIME_DIMENSIONS)}")
    return column.isnull().ifelse(NO_DATE, key)


def data_end(table: ir.Table, fetch) -> pd.Timestamp | None:
    """The data's end: the latest lead or sale date in ``table`` (``created_at`` and, where
    there is one, ``won_at``). ``fetch`` turns an Ibis expression into an Arrow table
    (`analysis.engine.cells.Engine.to_arrow`). None when no lead has a date."""
    aggs = {"a": table.created_at.max()}
    if "won_at" in table.columns:
        aggs["b"] = table.won_at.max()
    row = fetch(table.aggregate(**aggs)).to_pylist()[0]
    seen = [v for v in row.values() if v is not None]
    return pd.Timestamp(max(seen)) if seen else None


def period_span(key: str, unit: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first moment of period ``key`` and the first moment after it."""
    if unit == "week":
        start = pd.Timestamp(key)
        return start, start + pd.Timedelta(days=7)
    if unit == "month":
        start = pd.Timestamp(f"{key}-01")
        return start, start + pd.offsets.MonthBegin(1)
    if unit == "quarter":
        year, q = key.split("Q")
        start = pd.Timestamp(year=int(year), month=3 * int(q) - 2, day=1)
        return start, start + pd.offsets.QuarterBegin(1, startingMonth=1)
    raise ValueError(f"unknown period {unit!r}: choose from {', '.join(TIME_DIMENSIONS)}")


def period_table(
    keys: list[str],
    unit: str,
    first: pd.Timestamp | None,
    last: pd.Timestamp | None,
    slack_days: int = 3,
) -> pd.DataFrame:
    """Each period with its span and whether the leads cover it whole.

    Parameters
    ----------
    first, last : Timestamp
        The first and the last lead's creation date: the window in which leads were
        collected (sales may close long after the last lead; that does not make a
        period of leads complete).
    slack_days : int
        A period counts as complete when the leads start at most this many days after
        its first day and end at most this many days before its last (a holiday or a
        weekend without leads at either end).

    Returns
    -------
    DataFrame[period, start, stop, days_covered, complete]
    """
    rows = []
    slack = pd.Timedelta(days=slack_days)
    for key in sorted(k for k in keys if isinstance(k, str) and k != NO_DATE):
        start, stop = period_span(key, unit)
        last_day = stop - pd.Timedelta(days=1)
        lo = max(start, _naive(first).normalize()) if first is not None else start
        hi = min(last_day, _naive(last).normalize()) if last is not None else last_day
        covered = max((hi - lo).days + 1, 0)
        complete = (first is None or _naive(first) <= start + slack) and (
            last is None or _naive(last) >= last_day - slack
        )
        rows.append(
            {
                "period": key,
                "start": start.date().isoformat(),
                "stop": last_day.date().isoformat(),
                "days_covered": covered,
                "complete": bool(complete),
            }
        )
    return pd.DataFrame(rows, columns=["period", "start", "stop", "days_covered", "complete"])


def _naive(ts: pd.Timestamp) -> pd.Timestamp:
    ts = pd.Timestamp(ts)
    return ts.tz_localize(None) if ts.tzinfo is not None else ts
