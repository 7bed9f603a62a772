"""The engine: from a canonical leads table to grouped counts per cell, with Ibis.

The default backend is DuckDB in-process: a pandas frame, a Parquet or CSV file of
canonical leads goes in, and only the cells (one row per combination of the grouping
dimensions) come back. The same expressions run on any Ibis backend: pass a
connection (Spark, PostgreSQL, BigQuery, a DuckDB file) and a table name, and the
grouping happens where the data live.

Everything downstream (unit economics, models) works on these cells, so its cost does
not grow with the number of leads.
"""

from __future__ import annotations

import functools
from pathlib import Path

import ibis
import ibis.common.exceptions
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

__all__ = [
    "DIMENSIONS",
    "TIME_DIMENSIONS",
    "NOT_SET",
    "COUNT_COLUMNS",
    "Engine",
    "default_engine",
    "cells",
]

TIME_DIMENSIONS = ("week", "month", "quarter")
DIMENSIONS = (
    "source",
    "medium",
    "campaign",
    "segment",
    "manager",
    "qualification",
    *TIME_DIMENSIONS,
)
#: How a missing dimension value is shown in cells.
NOT_SET = "(not set)"
#: The counts every cell carries (all integers but ``revenue``).
COUNT_COLUMNS = (
    "leads",
    "hot",
    "warm",
    "cold",
    "unknown",
    "sales",
    "revenue",
    "sales_with_revenue",
)


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """A pandas leads frame as Arrow, categoricals as text (Ibis reads Arrow without
    the pandas dtype inference that warns on pandas 3)."""
    frame = frame.copy()
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = frame[col].astype("str")
    return pa.Table.from_pandas(frame, preserve_index=False)


class Engine:
    """Where grouped counts are computed.

    Parameters
    ----------
    con : Ibis backend, optional
        A connected Ibis backend; an in-memory DuckDB by default.

    Examples
    --------
    >>> eng = Engine()
    >>> cells = eng.cells(ds.leads, ["source", "qualification"])  # doctest: +SKIP
    >>> spark = Engine(ibis.pyspark.connect(session))  # doctest: +SKIP
    >>> cells = spark.cells("crm.leads", ["source"])  # doctest: +SKIP
    """

    def __init__(self, con: ibis.BaseBackend | None = None) -> None:
        self.con = con if con is not None else ibis.duckdb.connect()

    @property
    def name(self) -> str:
        return self.con.name

    def table(self, source: pd.DataFrame | str | Path | ir.Table) -> ir.Table:
        """An Ibis table of canonical leads from a frame, a file or a table name."""
        if isinstance(source, ir.Table):
            return source
        if isinstance(source, pd.DataFrame):
            if self.name == "duckdb":
                return ibis.memtable(_arrow(source))
            name = f"leadkit_leads_{id(source):x}"
            return self.con.create_table(name, _arrow(source), temp=True, overwrite=True)
        path = Path(source)
        if path.suffix.lower() in {".parquet", ".pq"} and path.exists():
            return self.con.read_parquet(str(path))
        if path.suffix.lower() in {".csv", ".tsv"} and path.exists():
            return self.con.read_csv(str(path))
        if isinstance(source, str) and path.suffix == "":
            # (not list_tables(): ibis 12 calls a DuckDB method that warns or is gone)
            try:
                return self.con.table(source)
            except ibis.common.exceptions.TableNotFound:
                pass
        raise ValueError(
            f"no leads table at {source!r}: give a DataFrame, a Parquet/CSV "
            "file of canonical leads, or the name of a table in the connection"
        )

    def cells(
        self,
        source: pd.DataFrame | str | Path | ir.Table,
        by: list[str] | tuple[str, ...],
        *,
        within_days: int | None = None,
    ) -> pd.DataFrame:
        """Grouped counts per cell of ``by``.

        Parameters
        ----------
        source : DataFrame, path, table name or Ibis table
            Canonical leads (at least lead_id, created_at, qualification, converted,
            revenue and the ``by`` columns).
        by : list of str
            Dimensions from `DIMENSIONS`; ``week`` is the Monday of the lead's week
            (ISO date text), ``month`` ``2026-04``, ``quarter`` ``2026Q2``.
        within_days : int, optional
            Also count ``leads_aged``: leads at least this many days old at the data's
            end (the latest ``created_at`` or ``won_at``), and ``sales_within``: those of
            them that sold within this many days of the lead (needs ``won_at``), so
            ``sales_within / leads_aged`` compares cohorts of different ages fairly.

        Returns
        -------
        DataFrame[*by, leads, hot, warm, cold, unknown, sales, revenue, sales_with_revenue]
            One row per non-empty cell, sorted by ``by``. Counts are int64; ``revenue``
            sums the revenue of sales where it is known. Missing dimension values are
            `NOT_SET`.
        """
        by = list(by)
        _check_by(by)
        t = self.table(source)
        missing = [b for b in by if b not in TIME_DIMENSIONS and b not in t.columns]
        if missing:
            raise ValueError(
                f"the leads table has no column {missing} (the profile did not map it)"
            )
        keys = {b: _dimension(t, b) for b in by}
        q = t.qualification.cast("string")
        sale = t.converted.cast("int64")
        known_rev = t.revenue.notnull() & (t.converted == 1)
        expr = (
            t.group_by(**keys)
            .aggregate(
                leads=t.count(),
                hot=(q == "hot").cast("int64").sum(),
                warm=(q == "warm").cast("int64").sum(),
                cold=(q == "cold").cast("int64").sum(),
                unknown=(q == "unknown").cast("int64").sum(),
                sales=sale.sum(),
                revenue=known_rev.ifelse(t.revenue, 0.0).sum().cast("float64"),
                sales_with_revenue=known_rev.cast("int64").sum(),
                **self._aged(t, within_days),
            )
            .order_by(by)
        )
        out = self.con.to_pyarrow(expr).to_pandas()
        for col in [*COUNT_COLUMNS, "sales_within", "leads_aged"]:
            # integer sums must come back as integers (DuckDB's HUGEINT would be float)
            if col != "revenue" and col in out:
                out[col] = out[col].fillna(0).astype("int64")
        out["revenue"] = out["revenue"].fillna(0.0).astype("float64")
        for b in by:
            out[b] = out[b].astype("str")
        return out.reset_index(drop=True)

    def _aged(self, t: ir.Table, within_days: int | None) -> dict:
        if within_days is None:
            return {}
        if "won_at" not in t.columns:
            raise ValueError("within_days needs won_at (when each sale closed) in the leads")
        end = t.aggregate(a=t.created_at.max(), b=t.won_at.max())
        end = self.con.to_pyarrow(end).to_pylist()[0]
        data_end = max(v for v in end.values() if v is not None)
        days = ibis.interval(days=int(within_days))
        quick = (t.converted == 1) & t.won_at.notnull() & (t.won_at <= t.created_at + days)
        aged = t.created_at + days <= ibis.literal(data_end)
        return {
            # only leads old enough to have had the full D days count: a ratio
            # sales_within / leads_aged is then conversion at equal age
            "sales_within": (quick & aged).cast("int64").sum(),
            "leads_aged": aged.cast("int64").sum(),
        }


def _check_by(by: list[str]) -> None:
    if not by:
        raise ValueError("`by` needs at least one dimension, e.g. by=['source']")
    unknown = [b for b in by if b not in DIMENSIONS]
    if unknown:
        raise ValueError(f"cannot group by {unknown}; choose from {', '.join(DIMENSIONS)}")
    if len(set(by)) != len(by):
        raise ValueError(f"`by` names a dimension twice: {by}")


def _dimension(t: ir.Table, name: str) -> ir.Value:
    if name == "week":
        return t.created_at.truncate("W").strftime("%Y-%m-%d")
    if name == "month":
        return t.created_at.strftime("%Y-%m")
    if name == "quarter":
        return t.created_at.year().cast("string").concat("Q", t.created_at.quarter().cast("string"))
    return t[name].cast("string").fill_null(NOT_SET)


@functools.cache
def default_engine() -> Engine:
    """The shared in-process DuckDB engine, made on first use."""
    return Engine()


def cells(source, by, *, within_days: int | None = None) -> pd.DataFrame:
    """`Engine.cells` on the default in-process DuckDB engine."""
    return default_engine().cells(source, by, within_days=within_days)
