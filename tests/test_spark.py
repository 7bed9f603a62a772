"""The same audit on Spark: cells and fitted coefficients from a local Spark session
(Ibis's PySpark backend) equal DuckDB's, on the sample's leads uploaded as a Spark
table and on a synthetic Parquet file Spark reads itself.

Needs Java 17+ and PySpark; without them the Spark tests skip and say why, unless
LEADKIT_STRICT_SYSTEM_TESTS=1 (CI), where a missing Java is a failure. The connection
specs and the Java check are tested without Spark.
"""

from __future__ import annotations

import importlib.util
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.engine.backends import connect, describe, java_available, upload
from analysis.engine.cells import COUNT_COLUMNS, Engine
from analysis.ingest.load import load_dataset
from analysis.sample.large import write_synthetic_parquet
from analysis.stats import glm

pytestmark = [
    # PySpark reads collected results from a local socket it leaves for the garbage
    # collector to close (pyspark/util.py _load_from_socket: "The socket will be
    # automatically closed when garbage-collected"): a ResourceWarning per query.
    pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning"),
]

STRICT = os.environ.get("LEADKIT_STRICT_SYSTEM_TESTS") == "1"
INTEGER_COLUMNS = [c for c in (*COUNT_COLUMNS, "sales_within", "leads_aged") if c != "revenue"]


def _spark_missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return 'PySpark is not installed (pip install "leadkit[spark]")'
    return java_available()


@pytest.fixture(scope="module")
def spark():
    """One local Spark session for the module (starting one takes 10-20 s)."""
    reason = _spark_missing()
    if reason is not None:
        if STRICT:
            pytest.fail(f"LEADKIT_STRICT_SYSTEM_TESTS=1 and Spark cannot run: {reason}")
        pytest.skip(f"Spark test skipped: {reason}")
    with pytest.MonkeyPatch.context() as mp:
        # C1 JIT only for this short-lived JVM: it halved the JVM's CPU to start and to
        # run its first query (9.7 s vs 16.9 s of CPU measured); peak speed does not
        # matter for 100k rows
        opts = os.environ.get("SPARK_SUBMIT_OPTS", "")
        mp.setenv("SPARK_SUBMIT_OPTS", f"{opts} -XX:TieredStopAtLevel=1".strip())
        con = connect("spark")
    yield con
    con.disconnect()


@pytest.fixture(scope="module")
def sample():
    return load_dataset("sample").leads


@pytest.fixture(scope="module")
def spark_leads(spark, sample):
    """The sample's canonical leads as a table in the Spark session."""
    return upload(spark, sample, "leadkit_sample_leads")


def assert_same_cells(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Counts exactly equal, revenue to 1e-9 (relative: sums of ~1e7 may differ in the
    last bits with the order Spark adds them in), same cells in the same order."""
    assert list(got.columns) == list(want.columns)
    keys = [c for c in want.columns if c not in (*INTEGER_COLUMNS, "revenue")]
    pd.testing.assert_frame_equal(got[keys], want[keys])
    ints = [c for c in INTEGER_COLUMNS if c in want.columns]
    assert (got[ints].dtypes == np.int64).all() and (want[ints].dtypes == np.int64).all()
    pd.testing.assert_frame_equal(got[ints], want[ints], check_exact=True)
    np.testing.assert_allclose(got["revenue"], want["revenue"], rtol=1e-9, atol=1e-9)


def assert_same_fit(got: glm.ConversionFit, want: glm.ConversionFit) -> None:
    assert got.result is not None and want.result is not None
    assert list(got.result.params.index) == list(want.result.params.index)
    np.testing.assert_allclose(got.result.params, want.result.params, rtol=0, atol=1e-9)
    np.testing.assert_allclose(got.result.bse, want.result.bse, rtol=0, atol=1e-9)
    pd.testing.assert_frame_equal(
        got.terms[["term", "level", "reference", "leads", "sales"]],
        want.terms[["term", "level", "reference", "leads", "sales"]],
    )
    np.testing.assert_allclose(got.terms["coef"], want.terms["coef"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(got.terms["se"], want.terms["se"], rtol=0, atol=1e-9)


# --- without Spark (first: the Java check needs no session running yet) -----------


def test_java_check_gives_a_reason(tmp_path, monkeypatch):
    java_available.cache_clear()
    try:
        monkeypatch.setenv("JAVA_HOME", str(tmp_path))
        assert "no Java" in java_available()
        java_available.cache_clear()
        fake = tmp_path / "bin" / "java"
        fake.parent.mkdir()
        fake.write_text("#!/bin/sh\necho 'openjdk version \"11.0.2\" 2019-01-15' >&2\n")
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
        assert f"Java 11 at {fake}: Spark needs Java 17" in java_available()
        if importlib.util.find_spec("pyspark") is not None:
            from pyspark.sql import SparkSession

            if SparkSession.getActiveSession() is None:  # else connect() reuses it
                with pytest.raises(ValueError, match="cannot connect to 'spark': Java 11"):
                    connect("spark")
    finally:
        java_available.cache_clear()


def test_duckdb_specs(tmp_path, sample):
    assert describe(connect(None)) == "DuckDB in memory"
    assert describe(connect("duckdb")) == "DuckDB in memory"
    path = tmp_path / "crm.duckdb"
    con = connect(f"duckdb://{path}")
    assert describe(con) == f"DuckDB file {path}"
    upload(con, sample, "leads", temp=False)
    upload(con, sample, "leads", temp=False)  # replaced, not appended
    eng = Engine(con)
    assert eng.describe() == f"DuckDB file {path}"
    assert_same_cells(eng.cells("leads", ["source"]), Engine().cells(sample, ["source"]))
    con.raw_sql("CREATE SCHEMA sales; CREATE TABLE sales.leads AS SELECT * FROM leads")
    assert eng.cells("sales.leads", ["source"])["leads"].sum() == len(sample)
    with pytest.raises(ValueError, match="no leads table at 'sales.nothing'"):
        eng.cells("sales.nothing", ["source"])
    con.disconnect()
    # the table stays in the file
    again = Engine(f"duckdb://{path}")
    assert again.cells("leads", ["source"])["leads"].sum() == len(sample)
    again.con.disconnect()


def test_unknown_or_uninstalled_backends_say_what_to_install():
    with pytest.raises(ValueError, match="cannot connect to 'warehouse'"):
        connect("warehouse")
    if importlib.util.find_spec("psycopg") is None:
        with pytest.raises(ValueError, match=r"ibis-framework\[postgres\]") as err:
            connect("postgres://kit:s3cret@localhost:5432/crm")
        assert "s3cret" not in str(err.value)  # no password in the message
    if importlib.util.find_spec("clickhouse_connect") is None:
        with pytest.raises(ValueError, match=r"ibis-framework\[clickhouse\]"):
            connect("clickhouse://localhost/crm")


# --- on Spark ------------------------------------------------------------------


def test_the_uploaded_table_keeps_canonical_types(spark, spark_leads, sample):
    assert describe(spark) == "Spark local[2]"
    assert spark._session.conf.get("spark.sql.session.timeZone") == "UTC"
    schema = spark_leads.schema()
    assert schema["created_at"].is_timestamp() and schema["won_at"].is_timestamp()
    assert schema["converted"].is_integer() and schema["qualification"].is_string()
    ends = Engine(spark).to_arrow(
        spark_leads.aggregate(a=spark_leads.created_at.min(), b=spark_leads.won_at.max())
    )
    # no time-zone shift on the way in or out
    a, b = ends.to_pylist()[0].values()
    assert pd.Timestamp(a) == sample["created_at"].min()
    assert pd.Timestamp(b) == sample["won_at"].max()


@pytest.mark.parametrize(
    "by, within_days",
    [
        (["source"], None),
        (["campaign"], None),
        (["qualification"], None),
        (["segment"], None),
        (["source", "campaign", "qualification", "segment"], None),
        (["week", "source"], None),
        (["quarter", "qualification"], None),
        (["source", "segment"], 30),
    ],
)
def test_cells_on_spark_equal_duckdb(spark, spark_leads, sample, by, within_days):
    got = Engine(spark).cells(spark_leads, by, within_days=within_days)
    want = Engine().cells(sample, by, within_days=within_days)
    assert_same_cells(got, want)
    assert got["leads"].sum() == len(sample)


def test_a_bool_outcome_counts_the_same(spark, spark_leads, sample):
    """A bool ``converted`` is uploaded as an integer; a boolean column already in a
    Spark table counts true as a sale (Spark's ANSI mode would not compare it with 1)."""
    as_bool = sample.assign(converted=sample["converted"].astype(bool))
    assert upload(spark, as_bool, "leadkit_sample_bool").schema()["converted"].is_integer()
    frame = spark._session.table("leadkit_sample_leads")
    frame.withColumn("converted", frame["converted"].cast("boolean")).createOrReplaceTempView(
        "leadkit_sample_boolean"
    )
    assert spark.table("leadkit_sample_boolean").schema()["converted"].is_boolean()
    want = Engine().cells(sample, ["source"], within_days=30)
    for name in ("leadkit_sample_bool", "leadkit_sample_boolean"):
        assert_same_cells(Engine(spark).cells(name, ["source"], within_days=30), want)


def test_fit_on_spark_cells_equals_duckdb(spark, spark_leads, sample):
    by = ["source", "segment", "qualification"]
    got = glm.fit_conversion(Engine(spark).cells(spark_leads, by), by)
    want = glm.fit_conversion(Engine().cells(sample, by), by)
    assert_same_fit(got, want)


def test_a_synthetic_parquet_read_by_spark(spark, tmp_path_factory):
    """100k leads in a Parquet file that Spark reads itself: same cells (also by week),
    same fit as DuckDB reading the same file."""
    path = write_synthetic_parquet(tmp_path_factory.mktemp("spark") / "l.parquet", 100_000, 21)
    by = ["source", "segment", "qualification", "manager", "campaign"]
    got = Engine(spark).cells(path, by)
    want = Engine().cells(path, by)
    assert_same_cells(got, want)
    assert got["leads"].sum() == 100_000
    terms = ["qualification", "segment", "source"]  # (+ campaign, manager: 95 parameters, ~20 s)
    assert_same_fit(glm.fit_conversion(got, terms), glm.fit_conversion(want, terms))
    assert_same_cells(Engine(spark).cells(path, ["week"]), Engine().cells(path, ["week"]))


def test_a_spark_table_by_database_and_name(spark, sample):
    """A "database.table" name, as warehouse tables are named (the kit's local session
    keeps its warehouse in a temporary directory)."""
    spark.raw_sql("CREATE DATABASE IF NOT EXISTS crm")
    table = upload(spark, sample, "crm.leads", temp=False)
    assert table.schema()["converted"].is_integer()
    assert spark._session.table("crm.leads").count() == len(sample)
    got = Engine(spark).cells("crm.leads", ["source", "week"], within_days=30)
    assert_same_cells(got, Engine().cells(sample, ["source", "week"], within_days=30))
    with pytest.raises(ValueError, match="no leads table at 'nowhere.leads' on Spark"):
        Engine(spark).cells("nowhere.leads", ["source"])
    assert not (Path.cwd() / "spark-warehouse").exists()


def test_time_zone_aware_leads_age_alike(spark, sample):
    """The same instants in Moscow time: DuckDB keeps the zone, Spark gets them as
    UTC-naive (3 hours earlier on the clock); ages within 30 days count alike."""
    moscow = sample.assign(
        created_at=sample["created_at"].dt.tz_localize("Europe/Moscow"),
        won_at=sample["won_at"].dt.tz_localize("Europe/Moscow"),
    )
    want = Engine().cells(sample, ["source"], within_days=30)
    assert_same_cells(Engine().cells(moscow, ["source"], within_days=30), want)
    table = upload(spark, moscow, "leadkit_moscow_leads")
    first = Engine(spark).to_arrow(table.created_at.min().name("first")).column(0)[0]
    assert pd.Timestamp(first.as_py()) == sample["created_at"].min() - pd.Timedelta(hours=3)
    assert_same_cells(Engine(spark).cells(table, ["source"], within_days=30), want)


def test_report_notebooks_on_spark_equal_duckdb(spark, report_runs, tmp_path):
    """`leadkit report --engine spark`: the notebooks group the leads in their own Spark
    session and give the DuckDB run's tables (counts exactly, floats to 1e-9)."""
    from analysis.run.report import run_report

    notebooks = ("conversion-models", "sales-processing")
    with pytest.MonkeyPatch.context() as mp:
        opts = os.environ.get("SPARK_SUBMIT_OPTS", "")
        mp.setenv("SPARK_SUBMIT_OPTS", f"{opts} -XX:TieredStopAtLevel=1".strip())
        result = run_report(
            "sample",
            out_root=tmp_path,
            run="spark",
            notebooks=notebooks,
            parameters={"ENGINE": "spark"},
        )
    meta = __import__("json").loads((result.folder / "run.json").read_text())
    assert meta["parameters"]["ENGINE"] == "spark"
    duck = report_runs["sample"].folder / "tables"
    names = sorted(p.name for p in (result.folder / "tables").glob("*.csv"))
    assert {"models_cells.csv", "models_terms.csv", "managers.csv"} <= set(names)
    for name in names:
        got = pd.read_csv(result.folder / "tables" / name)
        want = pd.read_csv(duck / name)
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9, atol=1e-12, obj=name)


def test_a_leads_table_on_spark_maps_as_the_file(spark, sample, tmp_path):
    """A profile whose leads input is a Spark table: mapped and checked in the Spark
    session (`analysis.ingest.warehouse`), it gives the row-by-row load of the same
    leads from a Parquet file: leads, notes, facts, spend matching."""
    import yaml

    from analysis.ingest.dataset import canonical_frame

    leads = sample.drop(columns="attributed_by")
    leads = leads.assign(qualification=leads["qualification"].astype(str))
    leads.to_parquet(tmp_path / "leads.parquet", index=False)
    upload(spark, leads, "leadkit_table_leads")
    prof = {
        "name": "spark-table",
        "currency": "RUB",
        "inputs": {"crm": {"path": "leads.parquet"}},
        "leads": {
            "input": "crm",
            "columns": {c: c for c in leads.columns},
            "qualification": {q: [q] for q in ("hot", "warm", "cold", "unknown")},
            "converted": {"column": "converted"},
        },
    }
    (tmp_path / "file.yaml").write_text(yaml.safe_dump(prof), encoding="utf-8")
    prof["inputs"]["crm"] = {"table": "leadkit_table_leads"}
    (tmp_path / "table.yaml").write_text(yaml.safe_dump(prof), encoding="utf-8")
    want = load_dataset(tmp_path / "file.yaml", columnar=False, cache_dir=tmp_path / "c")
    eng = Engine(spark)
    got = load_dataset(tmp_path / "table.yaml", engine=eng)
    # fetched through the engine's Arrow collector (Ibis's own goes through pandas)
    frame = canonical_frame(eng.to_arrow(got.table).to_pandas())
    by_id = lambda f: f.sort_values("lead_id", ignore_index=True)  # noqa: E731
    pd.testing.assert_frame_equal(by_id(frame), by_id(want.leads))
    pd.testing.assert_frame_equal(got.notes, want.notes)
    assert got.facts == want.facts
