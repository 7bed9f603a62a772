"""The engine: from a canonical leads table to grouped counts per cell, with Ibis.

The default backend is DuckDB in-process: a pandas frame, a Parquet or CSV file of
canonical leads goes in, and only the cells (one row per combination of the grouping
dimensions) come back. The same expressions run on any Ibis backend: pass a
connection or a spec string (``Engine("spark")``, ``Engine("duckdb:///crm.duckdb")``,
``Engine("postgres://...")``, see `analysis.backends`) and a table name, and the
grouping happens where the data live. The cells are tested equal on DuckDB and a
local Spark session (tests/test_spark.py); see docs/warehouse.md.

Everything downstream (unit economics, models) works on these cells, so its cost does
not grow with the number of leads.
"""

from __future__ import annotations

import functools
import hashlib
import os
import uuid
from pathlib import Path
from typing import TypeAlias

import ibis
import ibis.common.exceptions
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from analysis.engine.backends import connect, describe, table_by_name, to_arrow, upload
from analysis.engine.periods import NO_DATE, TIME_DIMENSIONS, data_end, period_key

__all__ = [
    "Leads",
    "DIMENSIONS",
    "TIME_DIMENSIONS",
    "NOT_SET",
    "COUNT_COLUMNS",
    "Engine",
    "default_engine",
    "engine_for",
    "cells",
    "count_true",
]


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

_PARQUET = (".parquet", ".pq")

_CSV = (".csv", ".tsv")


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """A pandas leads frame as Arrow, categoricals as text (Ibis reads Arrow without
    the pandas dtype inference that warns on pandas 3). Time zones are kept (maturity
    reads a naive ``as_of`` in created_at's zone); `backends.upload`, for other
    backends, makes timestamps UTC-naive."""
    frame = frame.copy()
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = frame[col].astype("str")
    return pa.Table.from_pandas(frame, preserve_index=False)


#: Where leads are read from: a frame, a Parquet or CSV file of canonical leads, the name
#: of a table in the engine's connection, or an Ibis table.
Leads: TypeAlias = pd.DataFrame | str | Path | ir.Table


class Engine:
    """Where grouped counts are computed.

    Parameters
    ----------
    con : Ibis backend or str, optional
        A connected Ibis backend, or a spec for `analysis.backends.connect`
        (``"duckdb:///crm.duckdb"``, ``"spark"``, ``"postgres://..."``); an in-memory
        DuckDB by default.
    read_only : bool
        Open a DuckDB database file of ``con`` read-only, so several processes (a
        report's notebooks) read it at once.

    Examples
    --------
    >>> eng = Engine()
    >>> cells = eng.cells(ds.leads, ["source", "qualification"])  # doctest: +SKIP
    >>> spark = Engine(ibis.pyspark.connect(session))  # doctest: +SKIP
    >>> spark = Engine("spark:local[2]")  # doctest: +SKIP
    >>> cells = spark.cells("crm.leads", ["source"])  # doctest: +SKIP
    """

    def __init__(self, con: ibis.BaseBackend | str | None = None, *, read_only: bool = False):
        if con is None:
            self.con: ibis.BaseBackend = ibis.duckdb.connect()
        elif isinstance(con, str):
            self.con = connect(con, read_only=read_only)
        else:
            self.con = con
        # a connection the engine made is the engine's to close (`close`)
        self._own = con is None or isinstance(con, str)
        # the leads table of each dataset this engine was asked for, by fingerprint
        self._datasets: dict[str, ir.Table] = {}
        # answers to queries over the datasets' leads (`to_arrow`): by SQL, and for a
        # kept load's file also in files beside it, which every page of a report shares
        self._kept_tables: dict[str, Path] = {}  # table name -> the kept leads file
        self._stable: set[str] = set()  # the tables of the datasets' leads
        # tables whose answers one report's run keeps (`keep_answers`): folder, salt
        self._run_tables: dict[str, tuple[Path, str]] = {}
        self._results: dict[str, pa.Table] = {}
        self._sql: dict[object, str] = {}  # the SQL of each expression asked (`to_arrow`)

    def close(self) -> None:
        """Close the connection if this engine made it (from a spec); one passed in is
        its owner's to close. A Spark session stays: there is one per process, shared
        by every connection made to the same master (`backends.connect`)."""
        if self._own and self.name != "pyspark":
            self.con.disconnect()

    @property
    def name(self) -> str:
        """The Ibis backend's name: ``duckdb``, ``pyspark``, ``postgres``, ..."""
        return self.con.name

    def describe(self) -> str:
        """Where the grouping runs, e.g. "DuckDB in memory", "Spark local[2]"."""
        return describe(self.con)

    def to_arrow(self, expr: ir.Expr) -> pa.Table:
        """Run an Ibis expression on this engine's connection; the result as Arrow.

        A query over nothing but a dataset's leads (`leads`: a warehouse table, or the
        leads file of a kept load) is asked once per engine: its answer is remembered
        by the query's SQL, since a page asks many of the same questions (the cells per
        period, per source). Over a kept load's file, on DuckDB, the answer is also kept
        in a file in the folder ``queries`` beside the leads, keyed by the SQL and the
        file's size and time, which every page of a report reads: the file is the
        load's own and is never changed in place (a new load writes a new one), so
        the answer stays the answer. A warehouse table may change between two runs,
        so its answers are kept only for one run's pages (`keep_answers`)."""
        if not self._stable:
            return to_arrow(self.con, expr)
        names = _table_names(expr)
        if not names or not names <= self._stable:
            return to_arrow(self.con, expr)
        table_expr = expr.as_table()
        op = table_expr.op()
        sql = self._sql.get(op)
        if sql is None:  # compiled once per expression: compiling costs 5-15 ms
            sql = self._sql[op] = str(self.con.compile(table_expr))
        got = self._results.get(sql)
        if got is not None:
            return got
        where = self._kept_where(next(iter(names))) if len(names) == 1 else None
        if where is None:
            got = self._run(table_expr, sql)
        else:
            got = self._kept_answer(table_expr, sql, *where)
        self._results[sql] = got
        return got

    def _run(self, expr: ir.Table, sql: str) -> pa.Table:
        """Run a query over the datasets' own tables: on DuckDB its SQL as compiled for
        the answers' key (Ibis would compile it again), with Ibis's conversion of the
        result to the expression's types; elsewhere through `backends.to_arrow`."""
        if self.name != "duckdb":
            return to_arrow(self.con, expr)
        from ibis.backends.duckdb.converter import DuckDBPyArrowData

        raw = self.con.con.sql(sql).to_arrow_table()
        return expr.__pyarrow_result__(raw, data_mapper=DuckDBPyArrowData)

    def keep_answers(self, table: ir.Table, folder: str | Path, salt: str) -> None:
        """Keep the answers to queries over ``table`` (a dataset's leads on a warehouse
        table) in files in ``folder`` too, keyed by their SQL and ``salt``: the folder
        of one report's run (`analysis.insight.context.report_context`), whose pages
        then share them, as the pages of a kept load share theirs. The table is taken
        to stay as it is for the run's length; the folder goes with the run."""
        for name in _table_names(table) or ():
            self._run_tables[name] = (Path(folder), salt)

    def _kept_where(self, name: str) -> tuple[Path, str] | None:
        """Where the answers to queries over table ``name`` are kept, and their key's
        salt; None if they are not kept past this engine."""
        if name in self._run_tables:
            return self._run_tables[name]
        leads = self._kept_tables.get(name)
        if leads is None:
            return None
        try:
            stat = leads.stat()
        except OSError:
            return None
        return leads.parent / "queries", f"{stat.st_size}\n{stat.st_mtime_ns}"

    def _kept_answer(self, expr: ir.Expr, sql: str, folder: Path, salt: str) -> pa.Table:
        key = hashlib.sha256(f"{sql}\n{salt}".encode()).hexdigest()
        path = folder / f"{key[:32]}.arrow"
        got = _read_result(path)
        if got is None:
            got = self._run(expr.as_table(), sql)
            _write_result(path, got)
        return got

    def leads(self, dataset) -> ir.Table:
        """The leads of a loaded `Dataset` as a table on this engine, made once per
        dataset (by its fingerprint): the expression over its warehouse table (loaded
        with this engine), else the canonical Parquet file (read from disk), else the
        frame, converted or uploaded once."""
        if getattr(dataset, "table", None) is not None:
            # a warehouse table's leads, mapped where they live
            self._stable |= _table_names(dataset.table) or set()
            return dataset.table
        table = self._datasets.get(dataset.fingerprint)
        if table is None:
            source = getattr(dataset, "source", None)
            path = Path(source) if source is not None else None
            if (
                path is not None
                and self.name == "duckdb"
                and len(dataset.fingerprint) == 64  # a kept load (`load_dataset`)
                and path.suffix.lower() in _PARQUET
                and path.exists()
            ):
                # named by the load's key, so the same query has the same SQL in every
                # page's process, and its answer is kept (`to_arrow`)
                name = f"leadkit_leads_{dataset.fingerprint[:32]}"
                table = self.con.read_parquet(str(path), table_name=name)
                self._kept_tables[name] = path
                self._stable.add(name)
            else:
                table = self.table(source if source is not None else dataset.leads)
            self._datasets[dataset.fingerprint] = table
        return table

    def table(self, source: Leads) -> ir.Table:
        """An Ibis table of canonical leads from a frame, a file or a table name."""
        if isinstance(source, ir.Table):
            return source
        if isinstance(source, pd.DataFrame):
            # converted on every call: a frame may have changed since the last one
            # (a report's pages pass `leads(dataset)`, made once, instead)
            if self.name == "duckdb":
                return ibis.memtable(_arrow(source))
            return upload(self.con, source, f"leadkit_leads_{uuid.uuid4().hex}")
        path = Path(source)
        suffix = path.suffix.lower()
        if suffix in _PARQUET and path.exists():
            return self.con.read_parquet(str(path))
        if suffix in _CSV and path.exists():
            return self.con.read_csv(str(path))
        if isinstance(source, str) and suffix not in _PARQUET + _CSV:
            # a table name, or "database.table" / "catalog.database.table"
            # (not list_tables(): ibis 12 calls a DuckDB method that warns or is gone)
            try:
                return table_by_name(self.con, source)
            except ibis.common.exceptions.TableNotFound:
                pass
            except Exception as exc:  # e.g. Spark's AnalysisException: no such database
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                raise ValueError(
                    f"no leads table at {source!r} on {self.describe()}: "
                    f"{type(exc).__name__}: {first}"
                ) from exc
        raise ValueError(
            f"no leads table at {source!r}: give a DataFrame, a Parquet/CSV "
            "file of canonical leads, or the name of a table in the connection"
        )

    def cells(
        self,
        source: Leads,
        by: list[str] | tuple[str, ...],
        *,
        within_days: int | None = None,
        revenue_sq: bool = False,
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
        revenue_sq : bool
            Also sum ``revenue_sq``: the squared revenues of the cell's sales where it is
            known (the spread of revenue per sale behind an interval), in the same query.

        Returns
        -------
        DataFrame[*by, leads, hot, warm, cold, unknown, sales, revenue, sales_with_revenue]
            One row per non-empty cell, sorted by ``by`` (here, by code point, so every
            backend gives the same order). Counts are int64; ``revenue`` sums the revenue
            of sales where it is known. Missing dimension values are `NOT_SET`.
        """
        by = list(by)
        check_by(by)
        t = self.table(source)
        missing = [b for b in by if b not in TIME_DIMENSIONS and b not in t.columns]
        if missing:
            raise ValueError(
                f"the leads table has no column {missing} (the profile did not map it)"
            )
        # two steps: the leads counted per cell and per combination of the few row
        # values the counts depend on (class, sale, revenue known, and with
        # within_days the age tests), then those few rows per cell summed with the
        # conditions. The same counts as conditional sums over every lead, in half the
        # time on DuckDB (10M leads, 4 dimensions: 0.16 s against 0.33 s), since a
        # condition is then tested once per combination, not once per lead
        # (a bool `converted` too: 1 is a sale on every backend, Spark's ANSI mode
        # would not compare a boolean with 1)
        sale = t.converted.cast("int64")
        parts = {
            "_q": t.qualification.cast("string"),
            "_sale": sale,
            "_known": t.revenue.notnull(),
            **self._aged(t, within_days),
        }
        rev = t.revenue.cast("float64")
        sums = {"_n": t.count().cast("int64"), "_rev": rev.sum()}
        if revenue_sq:
            sums["_rev2"] = (rev * rev).sum()
        # grouped in one order whatever the order asked (the same cells asked as
        # manager, source and as source, manager are then one query, and one answer
        # kept for every page); the rows are sorted by ``by`` below
        order = sorted(by, key=DIMENSIONS.index)
        inner = t.group_by(**self._keys(t, order), **parts).aggregate(**sums)
        n, q = inner._n, inner._q
        known_rev = inner._known & (inner._sale == 1)
        aged = {}
        if within_days is not None:
            aged = {
                "sales_within": (inner._quick & inner._aged).ifelse(n, 0).sum(),
                "leads_aged": inner._aged.ifelse(n, 0).sum(),
            }
        if revenue_sq:
            aged["revenue_sq"] = known_rev.ifelse(inner._rev2, 0.0).sum().cast("float64")
        out = self._fetch(
            (inner.group_by(order) if order else inner).aggregate(
                leads=n.sum().cast("int64"),
                hot=(q == "hot").ifelse(n, 0).sum().cast("int64"),
                warm=(q == "warm").ifelse(n, 0).sum().cast("int64"),
                cold=(q == "cold").ifelse(n, 0).sum().cast("int64"),
                unknown=(q == "unknown").ifelse(n, 0).sum().cast("int64"),
                sales=(inner._sale * n).sum().cast("int64"),
                revenue=known_rev.ifelse(inner._rev, 0.0).sum().cast("float64"),
                sales_with_revenue=known_rev.ifelse(n, 0).sum().cast("int64"),
                **aged,
            ),
            order,
        )
        for col in [*COUNT_COLUMNS, "sales_within", "leads_aged"]:
            # integer sums must come back as integers (DuckDB's HUGEINT would be float)
            if col != "revenue" and col in out:
                out[col] = out[col].fillna(0).astype("int64")
        for col in ("revenue", "revenue_sq"):
            if col in out:
                out[col] = out[col].fillna(0.0).astype("float64")
        # sorted here, not in SQL: collations and null order differ between backends,
        # and the cells are small
        out = out.sort_values(by, kind="stable", ignore_index=True)
        return out[[*by, *(c for c in out.columns if c not in by)]]

    def group(self, t: ir.Table, by: list[str], **metrics: ir.Value) -> pd.DataFrame:
        """``metrics`` per cell of the dimensions ``by`` (`DIMENSIONS`), fetched from the
        engine as a frame whose ``by`` columns are text, as `dimension` gives them (a
        missing value is `NOT_SET`, a period is `period_key`'s label).

        On DuckDB, with naive timestamps, a period is grouped by a number or the
        period's first moment (`_period_code`) and named after the grouping, on the few
        cells: building the label's text for every lead cost three to four times the
        rest of such a query (10M leads: 0.73 s against 0.18 s)."""
        grouped = t.group_by(**self._keys(t, by)) if by else t
        return self._fetch(grouped.aggregate(**metrics), by)

    def _keys(self, t: ir.Table, by: list[str]) -> dict[str, ir.Value]:
        """The grouping value of each dimension of ``by`` (see `group`)."""
        fast = self.name == "duckdb" and _naive_timestamps(t)
        return {
            b: _period_code(t, b) if fast and b in TIME_DIMENSIONS else dimension(t, b) for b in by
        }

    def _fetch(self, expr: ir.Table, by: list[str]) -> pd.DataFrame:
        """An aggregation grouped by `_keys` (``by``), fetched, its ``by`` columns as
        text (`_labels`)."""
        return _labels(self.to_arrow(expr).to_pandas(), by)

    def _aged(self, t: ir.Table, within_days: int | None) -> dict:
        if within_days is None:
            return {}
        if "won_at" not in t.columns:
            raise ValueError("within_days needs won_at (when each sale closed) in the leads")
        # as the column is: naive, or aware for a tz-aware column (to_arrow gives the
        # Ibis schema's types on every backend, so Spark's naive columns stay naive)
        end = data_end(t, self.to_arrow)
        days = int(within_days)
        cut = ibis.literal((end - pd.Timedelta(days=days)).to_pydatetime())
        quick = (
            (t.converted.cast("int64") == 1)
            & t.won_at.notnull()
            # a sale dated before its lead is a data error, not a quick sale: it is
            # left out of time measures (analysis.stats.survival says how many)
            & (t.won_at >= t.created_at)
            & (t.won_at <= t.created_at + ibis.interval(days=days))
        )
        # only leads old enough to have had the full D days count: a ratio
        # sales_within / leads_aged is then conversion at equal age (`cells` counts
        # the leads of each combination of these two tests)
        return {"_quick": quick, "_aged": t.created_at <= cut}


def _labels(out: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The ``by`` columns of a fetched frame as text; a period grouped by its first
    moment (`Engine._keys` on DuckDB) named by `period_labels`."""
    for b in by:
        if b in TIME_DIMENSIONS and not pd.api.types.is_string_dtype(out[b]):
            out[b] = period_labels(_period_starts(out[b], b), b)
        out[b] = out[b].astype("str")
    return out


def _period_code(t: ir.Table, b: str) -> ir.Value:
    """What `Engine._keys` groups a lead's period by on DuckDB: a month or quarter as
    a whole number (year × 12 + month − 1, year × 4 + quarter − 1), read from the
    timestamp's fields, and a week as its Monday: on 10M leads the numbers took 0.10
    and 0.14 s, truncating the timestamps 0.27 s, and the label's text per lead about
    four times that (`_period_starts` names the few cells)."""
    at = t.created_at
    if b == "quarter":
        return at.year() * 4 + at.quarter() - 1
    if b == "month":
        return at.year() * 12 + at.month() - 1
    return at.truncate("W")


def _period_starts(codes: pd.Series, unit: str) -> pd.Series:
    """The first moment of each period `_period_code` gave (a week's is its Monday)."""
    if unit == "week":
        return pd.to_datetime(codes)
    per = 4 if unit == "quarter" else 12
    starts = {
        c: pd.Timestamp(int(c) // per, (int(c) % per) * (12 // per) + 1, 1)
        for c in pd.unique(codes.dropna())
    }
    return pd.to_datetime(codes.map(starts))


def bind(expr: ir.Table, con) -> ir.Table:
    """An unbound expression (``expr.unbind()``, e.g. one another process made and
    pickled) over the tables of the same names on ``con``."""
    import ibis.expr.operations as ops

    tables = {}
    for node in expr.op().find(ops.UnboundTable):
        ns = node.namespace
        where = (ns.catalog, ns.database) if ns.catalog else ns.database
        tables[node] = con.table(node.name, database=where).op()
    return expr.op().replace(tables).to_expr()


def _table_names(expr: ir.Expr) -> set[str] | None:
    """The names of the tables ``expr`` reads; None if it reads a frame or another
    table that is not a named table of the connection."""
    import ibis.expr.operations as ops

    found = expr.op().find(ops.PhysicalTable)
    if any(not isinstance(t, ops.DatabaseTable) for t in found):
        return None
    return {t.name for t in found}


def _read_result(path: Path) -> pa.Table | None:
    """A kept query result, or None when there is none (or it cannot be read)."""
    import pyarrow.ipc

    try:
        with pa.OSFile(str(path), "rb") as source:  # read into memory: results are small
            return pyarrow.ipc.open_file(source).read_all()
    except (OSError, pa.ArrowInvalid):
        return None


def _write_result(path: Path, table: pa.Table) -> None:
    """Keep a query result (under a temporary name, then renamed: a page reading it
    never sees half a file); a folder that cannot be written keeps nothing."""
    import pyarrow.ipc

    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with pa.OSFile(str(tmp), "wb") as sink, pyarrow.ipc.new_file(sink, table.schema) as w:
            w.write_table(table)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


def count_true(cond: ir.BooleanValue) -> ir.IntegerScalar:
    """How many rows ``cond`` holds for (a missing value counts as not): the boolean
    summed as 1 or 0, which every backend compiles (PostgreSQL casts no boolean to
    bigint, so ``cond.cast("int64").sum()`` fails there)."""
    return cond.ifelse(1, 0).sum()


def check_by(by: list[str]) -> None:
    if not by:
        raise ValueError("`by` needs at least one dimension, e.g. by=['source']")
    unknown = [b for b in by if b not in DIMENSIONS]
    if unknown:
        raise ValueError(f"cannot group by {unknown}; choose from {', '.join(DIMENSIONS)}")
    if len(set(by)) != len(by):
        raise ValueError(f"`by` names a dimension twice: {by}")


def _naive_timestamps(t: ir.Table) -> bool:
    """Whether ``created_at`` is a timestamp without a time zone."""
    if "created_at" not in t.columns:
        return False
    kind = t.created_at.type()
    return bool(kind.is_timestamp() and kind.timezone is None)


def period_labels(starts: pd.Series, unit: str) -> pd.Series:
    """`period_key`'s labels for periods given by their first moment (missing: `NO_DATE`)."""
    starts = pd.to_datetime(starts)
    if unit == "week":
        text = starts.dt.strftime("%Y-%m-%d")
    elif unit == "month":
        text = starts.dt.strftime("%Y-%m")
    elif unit == "quarter":
        text = starts.dt.year.astype("Int64").astype("str") + "Q"
        text = text + starts.dt.quarter.astype("Int64").astype("str")
    else:
        raise ValueError(f"unknown period {unit!r}: choose from {', '.join(TIME_DIMENSIONS)}")
    return text.where(starts.notna(), NO_DATE).astype("object")


def dimension(t: ir.Table, name: str) -> ir.Value:
    if name in TIME_DIMENSIONS:
        return period_key(t.created_at, name)
    return t[name].cast("string").fill_null(NOT_SET)


def engine_for(dataset, spec: str | None = None, *, read_only: bool = False) -> Engine:
    """The engine a report notebook uses: ``spec`` (``ENGINE``; DuckDB in process when
    empty). Pass ``eng.leads(dataset)`` to the functions: the streamed canonical Parquet
    file, or the frame converted once."""
    eng = Engine(spec or None, read_only=read_only)
    eng.leads(dataset)
    return eng


@functools.cache
def default_engine() -> Engine:
    """The shared in-process DuckDB engine, made on first use."""
    return Engine()


def cells(source, by, *, within_days: int | None = None) -> pd.DataFrame:
    """`Engine.cells` on the default in-process DuckDB engine."""
    return default_engine().cells(source, by, within_days=within_days)
