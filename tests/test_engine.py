"""The Ibis engine: cells must equal a plain pandas count of the same leads, whatever
the input (frame or Parquet), with integer counts."""

import datetime
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.base.paths import PROJECT_ROOT
from analysis.engine.cells import NOT_SET, Engine, cells
from analysis.sample.large import SEGMENTS, synthetic_leads, write_synthetic_parquet
from analysis.stats import glm


@pytest.fixture(scope="module")
def leads():
    frame = synthetic_leads(20_000, seed=5)
    frame.loc[frame.index[:50], "segment"] = pd.NA  # some missing values
    return frame


def _pandas_reference(leads, by):
    q = leads["qualification"].astype(str)
    frame = leads.assign(
        **{b: leads[b].astype("str").fillna(NOT_SET) for b in by},
        hot=(q == "hot").astype(int),
        warm=(q == "warm").astype(int),
        cold=(q == "cold").astype(int),
        unknown=(q == "unknown").astype(int),
        sales=leads["converted"].astype(int),
        one=1,
    )
    ref = frame.groupby(by, sort=True).agg(
        leads=("one", "sum"),
        hot=("hot", "sum"),
        warm=("warm", "sum"),
        cold=("cold", "sum"),
        unknown=("unknown", "sum"),
        sales=("sales", "sum"),
        revenue=("revenue", "sum"),
    )
    return ref.reset_index()


@pytest.mark.parametrize(
    "by", [["source"], ["source", "campaign", "segment"], ["qualification", "manager"]]
)
def test_cells_equal_a_pandas_count(leads, by):
    got = cells(leads, by)
    ref = _pandas_reference(leads, by)
    pd.testing.assert_frame_equal(got[ref.columns], ref, check_dtype=False)
    for col in ("leads", "hot", "warm", "cold", "unknown", "sales", "sales_with_revenue"):
        assert got[col].dtype == np.int64, col  # DuckDB's HUGEINT sums must not turn float


def test_squared_revenues_per_cell_equal_a_pandas_sum(leads):
    """``revenue_sq``, summed in the cells' own query, against a row-level pandas sum of
    the squared revenues of sales with a known revenue; some revenues missing, some on
    leads that did not buy (not counted)."""
    frame = leads.copy()
    frame.loc[frame.index[::7], "revenue"] = np.nan
    frame.loc[frame.index[1::5], "revenue"] = 123.0  # some on leads that did not buy
    by = ["source", "qualification"]
    got = Engine().cells(frame, by, revenue_sq=True)
    plain = Engine().cells(frame, by)
    pd.testing.assert_frame_equal(got.drop(columns="revenue_sq"), plain)
    sale = frame["converted"].eq(1) & frame["revenue"].notna()
    squares = (
        (frame["revenue"].where(sale, 0.0) ** 2).groupby([frame[b].astype("str") for b in by]).sum()
    )
    ref = squares.reset_index(name="revenue_sq")
    merged = got[[*by, "revenue_sq"]].merge(ref, on=by, suffixes=("", "_ref"))
    assert len(merged) == len(got) and merged["revenue_sq"].gt(0).all()
    np.testing.assert_allclose(merged["revenue_sq"], merged["revenue_sq_ref"], rtol=1e-12)


def test_the_same_cells_asked_in_another_order_are_one_query(leads, monkeypatch):
    """Pages ask manager × source and source × manager: one SQL (so one answer kept for
    every page), each frame with its own column order and sorted by its own ``by``."""
    asked = []
    real = Engine.to_arrow

    def spy(self, expr):
        asked.append(str(self.con.compile(expr.as_table())))
        return real(self, expr)

    monkeypatch.setattr(Engine, "to_arrow", spy)
    eng = Engine()
    t = eng.table(leads)
    a = eng.cells(t, ["manager", "source", "segment"])
    b = eng.cells(t, ["segment", "source", "manager"])
    assert len(asked) == 2 and asked[0] == asked[1]
    assert list(a.columns[:3]) == ["manager", "source", "segment"]
    assert list(b.columns[:3]) == ["segment", "source", "manager"]
    assert b["segment"].is_monotonic_increasing and a["manager"].is_monotonic_increasing
    same = b[a.columns].sort_values(["manager", "source", "segment"], ignore_index=True)
    pd.testing.assert_frame_equal(same, a)


def test_parquet_input_gives_the_same_cells(leads, tmp_path):
    path = write_synthetic_parquet(tmp_path / "l.parquet", 30_000, seed=2, chunk=7_000)
    frame = pd.concat(
        [synthetic_leads(7_000, seed=2 + i, first_id=7_000 * i) for i in range(4)]
        + [synthetic_leads(2_000, seed=6, first_id=28_000)]
    )
    a = Engine().cells(path, ["source", "segment", "week"])
    b = Engine().cells(frame, ["source", "segment", "week"])
    pd.testing.assert_frame_equal(a, b)
    assert a["leads"].sum() == 30_000


def test_time_dimensions():
    frame = synthetic_leads(4, seed=0)
    frame["created_at"] = pd.to_datetime(
        ["2026-03-29 23:59", "2026-03-30 00:01", "2026-04-05 12:00", "2025-12-31 10:00"]
    ).astype("datetime64[us]")
    got = cells(frame, ["week", "month", "quarter"])
    assert got[["week", "month", "quarter"]].values.tolist() == [
        ["2025-12-29", "2025-12", "2025Q4"],
        ["2026-03-23", "2026-03", "2026Q1"],
        ["2026-03-30", "2026-03", "2026Q1"],
        ["2026-03-30", "2026-04", "2026Q2"],
    ]


def test_clear_errors(leads):
    with pytest.raises(ValueError, match="cannot group by"):
        cells(leads, ["colour"])
    with pytest.raises(ValueError, match="no column"):
        cells(leads.drop(columns="manager"), ["manager"])
    with pytest.raises(ValueError, match="no leads table at"):
        Engine().cells("nowhere.parquet", ["source"])
    with pytest.raises(ValueError, match="no leads table at"):
        Engine().cells("no_such_table", ["source"])


def test_a_table_in_the_connection_by_name(leads, tmp_path):
    """A warehouse-style source: a table that lives in the engine's connection."""
    path = write_synthetic_parquet(tmp_path / "w.parquet", 5_000, seed=9)
    eng = Engine()
    eng.con.raw_sql(f"CREATE TABLE crm_leads AS SELECT * FROM read_parquet('{path}')")
    pd.testing.assert_frame_equal(eng.cells("crm_leads", ["source"]), eng.cells(path, ["source"]))


def test_synthetic_model_is_recovered_from_cells():
    """The GLM on cells recovers the known generating coefficient of segment (the
    generator's SEGMENTS constants) within sampling error."""
    c = cells(
        synthetic_leads(200_000, seed=11),
        ["source", "segment", "qualification", "manager", "campaign"],
    )
    fit = glm.fit_conversion(
        c, ["qualification", "segment", "campaign", "manager"], reference={"segment": "small"}
    )
    t = fit.terms[fit.terms["term"] == "segment"].set_index("level")
    for seg in ("medium", "large", "enterprise"):
        true = SEGMENTS[seg] - SEGMENTS["small"]
        assert abs(t.loc[seg, "coef"] - true) < 3 * t.loc[seg, "se"], seg


def test_benchmark_script_runs_and_agrees(tmp_path):
    """The benchmark's two measurements (no timing asserted: benchmarks/ does that)."""
    sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))
    try:
        import model_step
    finally:
        sys.path.pop(0)
    path = write_synthetic_parquet(tmp_path / "b.parquet", 30_000, seed=3)
    kit, rows = model_step.run_kit(str(path)), model_step.run_rows(str(path))
    assert kit["leads"] == 30_000
    assert max(abs(kit["coefs"][k] - rows["coefs"][k]) for k in rows["coefs"]) < 1e-6


def test_sales_within_days_and_aged_leads_match_pandas():
    frame = synthetic_leads(3_000, seed=4)
    rng = np.random.default_rng(0)
    # a few sales dated before their lead (a data error): never a sale "within 30 days"
    lag = pd.to_timedelta(rng.integers(-3, 90, size=len(frame)), unit="D")
    frame["won_at"] = (frame["created_at"] + lag).where(frame["converted"] == 1)
    got = cells(frame, ["source"], within_days=30).set_index("source")
    end = max(frame["created_at"].max(), frame["won_at"].max())
    wait = frame["won_at"] - frame["created_at"]
    quick = (frame["converted"] == 1) & (wait >= pd.Timedelta(0)) & (wait <= pd.Timedelta(days=30))
    assert (frame["converted"].eq(1) & (wait < pd.Timedelta(0))).sum() > 5
    aged = frame["created_at"] + pd.Timedelta(days=30) <= end
    assert got["sales_within"].to_dict() == (quick & aged).groupby(frame["source"]).sum().to_dict()
    assert got["leads_aged"].to_dict() == aged.groupby(frame["source"]).sum().to_dict()
    with pytest.raises(ValueError, match="needs won_at"):
        cells(frame.drop(columns="won_at"), ["source"], within_days=30)


def test_a_changed_frame_is_grouped_as_it_is_now(tmp_path):
    """The engine never keeps a table by a frame's identity: a frame changed in place
    (``ds.leads["converted"] = 0`` in a notebook) is grouped as it is now. A dataset's
    table is made once, keyed by the dataset's fingerprint, from its Parquet copy when
    it was streamed."""
    import pandas as pd

    from analysis.engine.cells import Engine
    from analysis.ingest.load import load_dataset

    ds = load_dataset("sample")
    leads = ds.leads.copy()
    eng = Engine()
    before = eng.cells(leads, ["source"])["sales"].sum()
    assert before == int(leads["converted"].sum()) > 0
    leads["converted"] = 0
    assert eng.cells(leads, ["source"])["sales"].sum() == 0
    leads.loc[leads.index[:10], "source"] = "changed"
    assert eng.cells(leads, ["source"]).set_index("source").loc["changed", "leads"] == 10
    # a dataset's table: once per fingerprint
    assert eng.leads(ds) is eng.leads(ds)
    other = load_dataset("sample")
    assert other.fingerprint != ds.fingerprint and eng.leads(other) is not eng.leads(ds)
    by = ["source", "campaign", "qualification", "quarter"]
    pd.testing.assert_frame_equal(eng.cells(eng.leads(ds), by), eng.cells(ds.leads, by))
    # a streamed dataset's table is its Parquet file: a file of 100 rows gives 100 leads
    ds.leads.head(100).to_parquet(tmp_path / "head.parquet")
    ds.source = tmp_path / "head.parquet"
    ds.fingerprint = "streamed"
    fresh = Engine()
    assert fresh.cells(fresh.leads(ds), ["source"])["leads"].sum() == 100


def test_a_kept_datasets_queries_are_asked_of_the_leads_once(tmp_path, monkeypatch):
    """The pages of a report run in separate kernels and ask many of the same questions:
    over a kept dataset's leads file, each query's answer is kept beside the file, and
    an engine in another process (here: another Engine) reads it instead of the leads.
    A leads file written again (new size or time) is asked again."""
    import os

    from analysis.ingest.load import load_dataset

    ds = load_dataset("sample", cache=True, cache_dir=tmp_path)
    assert len(ds.fingerprint) == 64 and ds.source is not None
    by = ["quarter", "source", "qualification"]
    first = Engine()
    asked = first.cells(first.leads(ds), by, within_days=30)
    assert list(ds.source.parent.glob("queries/*.arrow"))
    real = Engine._run  # what runs a query over a dataset's leads

    def refuse(self, expr, sql):
        raise AssertionError("the leads were asked again")

    monkeypatch.setattr(Engine, "_run", refuse)
    second = Engine()
    pd.testing.assert_frame_equal(second.cells(second.leads(ds), by, within_days=30), asked)
    # the kept answer is the leads' own: the same count from the frame (never kept)
    monkeypatch.setattr(Engine, "_run", real)
    pd.testing.assert_frame_equal(cells(ds.leads, by, within_days=30), asked)
    calls = []

    def counted(self, expr, sql):
        calls.append(1)
        return real(self, expr, sql)

    monkeypatch.setattr(Engine, "_run", counted)
    stat = ds.source.stat()
    os.utime(ds.source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    third = Engine()
    pd.testing.assert_frame_equal(third.cells(third.leads(ds), by, within_days=30), asked)
    assert calls


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.datetimes(
                min_value=datetime.datetime(1999, 12, 20), max_value=datetime.datetime(2031, 1, 10)
            ),
        ),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from(["week", "month", "quarter"]),
)
def test_period_cells_are_labelled_as_period_key_labels_each_lead(stamps, unit):
    """`Engine.group` groups a period by its first moment and labels the few cells; the
    labels and counts equal grouping by `period_key`'s text made for every lead (year
    ends, ISO weeks across years, undated leads)."""
    from analysis.engine.cells import dimension

    frame = pd.DataFrame({"created_at": pd.to_datetime(pd.Series(stamps, dtype="object"))})
    frame["created_at"] = frame["created_at"].astype("datetime64[us]")
    eng = Engine()
    t = eng.table(frame)
    got = eng.group(t, [unit], n=t.count()).sort_values(unit, ignore_index=True)
    expr = t.group_by(**{unit: dimension(t, unit)}).aggregate(n=t.count())
    want = eng.to_arrow(expr).to_pandas().sort_values(unit, ignore_index=True)
    assert got[unit].tolist() == want[unit].tolist()
    assert got["n"].tolist() == want["n"].tolist()


def test_a_warehouse_tables_query_is_asked_once_per_engine_and_never_kept(monkeypatch):
    """Over a table dataset (leads mapped where they live), a page's repeated question is
    asked of the table once; a second engine (the next page, the next run) asks again,
    since a warehouse table may change between runs."""
    import types

    import ibis

    import analysis.engine.cells as engine_cells

    con = ibis.duckdb.connect()
    con.create_table("crm_leads", engine_cells._arrow(synthetic_leads(2_000, seed=5)))
    real, real_run, calls = engine_cells.to_arrow, Engine._run, []

    def counted(c, expr):  # a query over a frame
        calls.append(1)
        return real(c, expr)

    def counted_run(self, expr, sql):  # a query over a dataset's table
        calls.append(1)
        return real_run(self, expr, sql)

    monkeypatch.setattr(engine_cells, "to_arrow", counted)
    monkeypatch.setattr(Engine, "_run", counted_run)
    first = Engine(con)
    table = first.leads(types.SimpleNamespace(table=con.table("crm_leads")))
    a = first.cells(table, ["source", "qualification"])
    b = first.cells(table, ["source", "qualification"])
    pd.testing.assert_frame_equal(a, b)
    assert len(calls) == 1
    # a frame is never remembered: it may change between two questions
    frame = synthetic_leads(500, seed=6)
    first.cells(frame, ["source"])
    first.cells(frame, ["source"])
    assert len(calls) == 3
    second = Engine(con)
    second.leads(types.SimpleNamespace(table=con.table("crm_leads")))
    pd.testing.assert_frame_equal(
        second.cells(con.table("crm_leads"), ["source", "qualification"]), a
    )
    assert len(calls) == 4


def test_duckdb_memory_for_a_database_file_is_limited(tmp_path, monkeypatch):
    """A database file's connection has DuckDB's memory limited to 1 GB by default, with
    a spill folder; LEADKIT_DUCKDB_MEMORY sets another limit, and ``none`` DuckDB's own
    default (80% of the RAM)."""
    from analysis.engine.backends import connect

    def setting(con, name):
        return con.raw_sql(f"SELECT current_setting('{name}')").fetchone()[0]

    monkeypatch.delenv("LEADKIT_DUCKDB_MEMORY", raising=False)
    default = connect(f"duckdb://{tmp_path / 'a.duckdb'}")
    assert setting(default, "memory_limit") == "953.6 MiB"  # 1 GB in MiB
    assert "leadkit-duckdb-" in setting(default, "temp_directory")
    # a second connection to the file in the same process has the same settings (DuckDB
    # refuses one with another spill folder)
    again = connect(f"duckdb://{tmp_path / 'a.duckdb'}")
    assert setting(again, "temp_directory") == setting(default, "temp_directory")
    again.disconnect()
    default.disconnect()
    monkeypatch.setenv("LEADKIT_DUCKDB_MEMORY", "512MB")
    limited = connect(str(tmp_path / "b.duckdb"))
    assert setting(limited, "memory_limit") == "488.2 MiB"  # 512 MB in MiB
    limited.disconnect()
    monkeypatch.setenv("LEADKIT_DUCKDB_MEMORY", "none")
    free = connect(str(tmp_path / "c.duckdb"))
    assert setting(free, "memory_limit") not in {"953.6 MiB", "488.2 MiB"}
    free.disconnect()
