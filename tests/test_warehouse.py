"""Leads in a warehouse table (`analysis.ingest.warehouse`): mapped and checked on the
engine, never fetched, and giving what the row-by-row mapping of the same leads in a
file gives.

The reference for every check is the kit's row-by-row load of the same leads written
as a Parquet file (`load_dataset(columnar=False)`), itself tested against hand counts
elsewhere. The PostgreSQL tests start a real server from Debian's package (initdb and
pg_ctl in a temporary folder, as the unprivileged user ``nobody`` when the tests run
as root, listening on 127.0.0.1 only); without the package they skip and say why,
unless LEADKIT_STRICT_SYSTEM_TESTS=1 (CI), where that is a failure.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from analysis.base.errors import DataError, DataErrors
from analysis.engine.cells import Engine
from analysis.ingest.load import load_dataset
from tests.test_canonical import _profile, _spend, files

STRICT = os.environ.get("LEADKIT_STRICT_SYSTEM_TESTS") == "1"


# -- helpers ---------------------------------------------------------------------------


def _table_profile(file_profile: Path, table: str = "leads") -> Path:
    """The same profile with its leads input a table instead of the file."""
    prof = yaml.safe_load(file_profile.read_text(encoding="utf-8"))
    prof["inputs"]["leads"] = {"table": table}
    out = file_profile.with_name("table.yaml")
    out.write_text(yaml.safe_dump(prof, allow_unicode=True), encoding="utf-8")
    return out


def _duckdb_with(path: Path, name: str = "leads") -> Engine:
    eng = Engine()
    eng.con.con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{path}')")
    return eng


#: where the row-by-row path names spreadsheet rows, the table path names lead ids
_WHERE = re.compile(r" \((?:rows?|lead ids?) (?:[^()]|\([^()]*\))*\)")


def _plain_notes(notes: pd.DataFrame) -> list[tuple]:
    return [(s, i, _WHERE.sub("", m)) for s, i, m in notes.itertuples(index=False)]


def _by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("lead_id", ignore_index=True)


def _problems(exc: DataError) -> list[str]:
    """The columns a load's problems are in (the wording differs: rows against ids)."""
    got = exc.problems if isinstance(exc, DataErrors) else [exc]
    return sorted(p.column or "" for p in got)


def _same_as_file(table_ds, file_ds) -> None:
    pd.testing.assert_frame_equal(_by_id(table_ds.leads), _by_id(file_ds.leads))
    pd.testing.assert_frame_equal(table_ds.spend, file_ds.spend)
    a, b = _plain_notes(table_ds.notes), _plain_notes(file_ds.notes)
    assert a == b, "\n".join(map(str, [*a, "---", *b]))
    assert table_ds.facts == file_ds.facts
    keep = ["input", "rows", "personal_columns_dropped"]
    pd.testing.assert_frame_equal(table_ds.inputs[keep], file_ds.inputs[keep])


# -- the mapping on an embedded DuckDB table, against the row-by-row load -------------


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=files())
def test_a_table_maps_as_the_row_by_row_load_of_the_same_leads(tmp_path_factory, case):
    """Generated leads (blank and cased sources, e-mails in values, unknown classes,
    undated leads, sales before their lead, NaN revenue, a yes/no or a stage column,
    a period): the table gives the row-by-row load's leads, spend, notes (lead ids in
    place of rows), facts and problems."""
    table, by_stage, extra, window = case
    folder = tmp_path_factory.mktemp("wh")
    _spend(folder)
    pq.write_table(table, folder / "leads.parquet")
    columns = {c: c for c in table.column_names}
    converted = {"column": "stage", "values": ["won"]} if by_stage else {"column": "converted"}
    if by_stage:
        columns.pop("converted")
    file_profile = _profile(folder, columns=columns, converted=converted, extra=extra)
    start, end = window or (None, None)
    eng = _duckdb_with(folder / "leads.parquet")
    try:
        want = load_dataset(
            file_profile, start=start, end=end, columnar=False, cache_dir=folder / "c"
        )
    except DataError as exc:
        with pytest.raises(DataError) as got:
            load_dataset(_table_profile(file_profile), start=start, end=end, engine=eng)
        assert _problems(got.value) == _problems(exc)
        return
    got = load_dataset(_table_profile(file_profile), start=start, end=end, engine=eng)
    assert got.source is None and got.table is not None
    _same_as_file(got, want)


def _canonical_case(tmp_path: Path, frame: pd.DataFrame) -> tuple[Path, Engine]:
    _spend(tmp_path)
    frame.to_parquet(tmp_path / "leads.parquet", index=False)
    columns = {c: c for c in frame.columns}
    file_profile = _profile(tmp_path, columns=columns, converted={"column": "converted"})
    return _table_profile(file_profile), _duckdb_with(tmp_path / "leads.parquet")


GOOD = pd.DataFrame(
    {
        "lead_id": ["1", "2", "3", "4"],
        "created_at": pd.to_datetime(["2026-01-02", "2026-01-03", "2026-01-04", "2026-01-05"]),
        "source": ["yandex", "vk", "yandex", "google"],
        "campaign": ["c1", "c2", "c1", "c9"],
        "qualification": ["hot", "warm", "cold", "hot"],
        "converted": [1, 0, 0, 1],
        "revenue": [100.0, 0.0, 0.0, 50.0],
    }
)


def test_the_table_never_leaves_the_engine(tmp_path, monkeypatch):
    """The load asks the engine for counts and distinct values only: a fetch of more
    rows than the table has categories would be a lead row read."""
    profile, eng = _canonical_case(tmp_path, GOOD)
    sizes = []
    real = eng.to_arrow

    def counting(expr):
        got = real(expr)
        sizes.append(got.num_rows)
        return got

    monkeypatch.setattr(eng, "to_arrow", counting)
    ds = load_dataset(profile, engine=eng)
    assert sizes and max(sizes) <= 4  # distinct sources: yandex, vk, google; 3 pairs
    assert not ds.leads_loaded
    assert eng.leads(ds) is ds.table


def test_every_problem_of_a_table_at_once(tmp_path):
    """Duplicated ids, a negative revenue and an unknown qualification: one error with
    all three, each naming the table and the column, the duplicated id shown."""
    bad = GOOD.assign(
        lead_id=["1", "1", "3", "4"],
        revenue=[100.0, 0.0, 0.0, -5.0],
        qualification=["hot", "maybe", "cold", "hot"],
    )
    profile, eng = _canonical_case(tmp_path, bad)
    with pytest.raises(DataErrors) as got:
        load_dataset(profile, engine=eng)
    problems = {p.column: p for p in got.value.problems}
    assert set(problems) == {"lead_id", "revenue", "qualification"}
    assert all(p.file == "leads" for p in problems.values())
    assert "lead id 1" in problems["lead_id"].problem
    assert "lead id 4" in problems["revenue"].problem
    assert "'maybe' (1 lead(s))" in problems["qualification"].problem


def test_blank_and_duplicated_ids_are_both_named(tmp_path):
    """A blank id and a duplicated one: two problems, the blank ids not counted as a
    duplicate of each other (the duplicate search groups the named ids only)."""
    bad = GOOD.assign(lead_id=["", "", "3", "3"])
    profile, eng = _canonical_case(tmp_path, bad)
    with pytest.raises(DataErrors) as got:
        load_dataset(profile, engine=eng)
    texts = [p.problem for p in got.value.problems if p.column == "lead_id"]
    assert len(texts) == 2
    assert any("2 lead(s) have no lead id" in t for t in texts)
    assert any(t.startswith("1 lead id(s) appear more than once (lead id 3)") for t in texts)


def test_a_text_date_column_and_a_missing_table_are_named(tmp_path):
    profile, eng = _canonical_case(tmp_path, GOOD.assign(created_at=["2026-01-02"] * 4))
    with pytest.raises(DataError, match="'created_at' .*is string, not a date or timestamp"):
        load_dataset(profile, engine=eng)
    prof = yaml.safe_load(profile.read_text(encoding="utf-8"))
    prof["inputs"]["leads"] = {"table": "crm.nothing"}
    profile.write_text(yaml.safe_dump(prof), encoding="utf-8")
    with pytest.raises(DataError, match="no table 'crm.nothing' on the engine"):
        load_dataset(profile, engine=eng)
    with pytest.raises(DataError, match="give the engine it is on"):
        load_dataset(profile)


def test_personal_data_in_a_table_are_pseudonymised(tmp_path):
    """An e-mail in a lead id and a phone in a campaign: pseudonyms in the leads (the
    same the row-by-row path gives), a note each, and no e-mail or phone in any
    value the engine hands back."""
    frame = GOOD.assign(
        lead_id=["1", "ivan@mail.example", "3", "4"],
        campaign=["c1", "c2", "call +7 912 345-67-89", "c9"],
    )
    profile, eng = _canonical_case(tmp_path, frame)
    got = load_dataset(profile, engine=eng)
    want = load_dataset(
        tmp_path / "canon.yaml", columnar=False, cache_dir=tmp_path / "c"
    )  # the file profile
    _same_as_file(got, want)
    text = got.leads.to_csv()
    assert "ivan@" not in text and "345-67" not in text
    assert got.notes["message"].str.contains("value(s) of 'campaign' held", regex=False).any()


def test_a_table_profile_is_checked(tmp_path):
    from analysis.ingest.profiles import load_profile

    base = {
        "name": "t",
        "inputs": {"crm": {"table": "leads"}},
        "leads": {
            "input": "crm",
            "columns": {"lead_id": "id", "created_at": "created", "converted": "won"},
            "converted": {"column": "converted"},
        },
    }
    for inputs, message in [
        ({"crm": {"table": "leads", "path": "x.csv"}}, "both a path and a table"),
        ({"crm": {"table": "leads", "encoding": "cp1251"}}, "encoding only apply to files"),
        ({"crm": {"table": ""}}, "must be a table name"),
        (
            {"crm": {"table": "leads"}, "spend": {"table": "ads"}},
            "only the leads input can be a table",
        ),
    ]:
        path = tmp_path / "p.yaml"
        path.write_text(yaml.safe_dump(base | {"inputs": inputs}), encoding="utf-8")
        with pytest.raises(DataError, match=message):
            load_profile(path)
    # value maps are for exports: a table says to make them in a view
    prof = base | {"leads": base["leads"] | {"values": {"source": {"ya": "yandex"}}}}
    path.write_text(yaml.safe_dump(prof), encoding="utf-8")
    frame = pd.DataFrame({"id": ["1"], "created": pd.to_datetime(["2026-01-01"]), "won": [1]})
    frame.to_parquet(tmp_path / "l.parquet")
    with pytest.raises(DataError, match="Make those in a view"):
        load_dataset(path, engine=_duckdb_with(tmp_path / "l.parquet"))


def _odd_duckdb_table(tmp_path: Path, n: int = 300) -> tuple[Path, str]:
    """One source, no sale, a third of the leads undated, as table ``leads`` of a DuckDB
    file: its profile and the engine spec."""
    import duckdb

    frame = pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(n)],
            "created_at": pd.date_range("2026-01-01", periods=n, freq="6h"),
            "source": ["yandex"] * n,
            "qualification": ["cold"] * n,
            "converted": [0] * n,
        }
    )
    frame.loc[::3, "created_at"] = pd.NaT
    frame.to_parquet(tmp_path / "leads.parquet", index=False)
    with duckdb.connect(str(tmp_path / "crm.duckdb")) as con:
        con.execute(f"CREATE TABLE leads AS SELECT * FROM read_parquet('{tmp_path}/leads.parquet')")
    prof = {
        "name": "odd",
        "inputs": {"crm": {"table": "leads"}},
        "leads": {
            "input": "crm",
            "columns": {c: c for c in frame.columns},
            "converted": {"column": "converted"},
        },
    }
    (tmp_path / "odd.yaml").write_text(yaml.safe_dump(prof), encoding="utf-8")
    return tmp_path / "odd.yaml", f"duckdb:///{tmp_path}/crm.duckdb"


def test_report_on_a_duckdb_file_table_with_no_sales_and_undated_leads(tmp_path):
    """An odd but legal table (one source, no sale, a third of the leads undated) in a
    DuckDB database file: every page renders, its notebooks reading the file at once
    (opened read-only: DuckDB lets one process write a file), and the audit counts
    the table's leads."""
    from analysis.run.report import run_report

    n = 300
    profile, spec = _odd_duckdb_table(tmp_path, n)
    result = run_report(
        profile, out_root=tmp_path / "out", run="odd", page_jobs=2,
        parameters={"ENGINE": spec},
    )  # fmt: skip
    assert len(result.html) == 6
    audit = pd.read_csv(result.folder / "tables" / "audit_inputs.csv")
    assert audit.loc[0, "rows"] == n and audit.loc[0, "file"] == "table leads"
    # read as its reader: no sale means no share of sales, said in words
    page = (result.folder / "data-audit.html").read_text(encoding="utf-8")
    assert "nan%" not in page and "n/a: no sales" in page


def test_a_run_maps_a_table_once_and_its_pages_share_answers(tmp_path, monkeypatch):
    """Within one run (`report_context`'s ``run_folder``, which `run_report` gives its
    kernels), the first call maps and checks the table and keeps its load; a second
    call with the same arguments takes it (the mapping would fail here) with the same
    facts and cells, and reads the first engine's answers instead of asking the table;
    a call with other arguments maps the table again."""
    import analysis.engine.cells as cells_module
    import analysis.ingest.warehouse as warehouse
    from analysis.insight.context import report_context

    profile, spec = _odd_duckdb_table(tmp_path)
    run = tmp_path / "run"
    first = report_context(profile, engine=spec, run_folder=run)
    want = first.engine.cells(first.leads, ["source", "qualification"])
    assert list((run / "queries").glob("*.arrow"))

    def no_mapping(*args, **kwargs):
        raise AssertionError("the table was mapped again")

    monkeypatch.setattr(warehouse, "map_table", no_mapping)
    asked = []
    real = cells_module.Engine._run  # what runs a query over the table
    monkeypatch.setattr(
        cells_module.Engine, "_run", lambda self, e, sql: asked.append(e) or real(self, e, sql)
    )
    second = report_context(profile, engine=spec, run_folder=run)
    assert second.facts == first.facts
    pd.testing.assert_frame_equal(second.dataset.notes, first.dataset.notes)
    assert second.dataset.fingerprint == first.dataset.fingerprint
    got = second.engine.cells(second.leads, ["source", "qualification"])
    pd.testing.assert_frame_equal(got, want)
    assert not asked  # the first engine's answer, read from the run folder
    assert second.engine.to_arrow(second.leads.count().name("n")).column(0)[0].as_py() == 300
    with pytest.raises(AssertionError, match="mapped again"):
        report_context(profile, engine=spec, run_folder=run, start="2026-01-10")
    with pytest.raises(AssertionError, match="mapped again"):
        report_context(profile, engine=spec)  # no run folder: nothing handed over
    first.engine.close()
    second.engine.close()


# -- a real PostgreSQL server -----------------------------------------------------------


def _free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on (for a server a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _postgres_bin() -> str | None:
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(os.path.join(folder, "initdb"), os.X_OK):
            return folder
    found = shutil.which("initdb")
    return os.path.dirname(found) if found else None


def _postgres_missing() -> str | None:
    import importlib.util

    if _postgres_bin() is None:
        return "PostgreSQL's initdb is not installed (apt-get install postgresql)"
    if importlib.util.find_spec("psycopg") is None:
        return 'psycopg is not installed (pip install "ibis-framework[postgres]")'
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: PostgreSQL will not start as root"
    return None


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server of its own (a temporary cluster on a free port of
    127.0.0.1), and its connection spec."""
    reason = _postgres_missing()
    if reason is not None:
        if STRICT:
            pytest.fail(f"LEADKIT_STRICT_SYSTEM_TESTS=1 and PostgreSQL cannot run: {reason}")
        pytest.skip(f"PostgreSQL test skipped: {reason}")
    bin_dir = _postgres_bin()
    assert bin_dir is not None
    folder = Path(tempfile.mkdtemp(prefix="leadkit-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # the server refuses root: run it as nobody, in its own folder
        shutil.chown(folder, "nobody")
        run_as = ["runuser", "-u", "nobody", "--"]
    port = _free_port()
    data = folder / "data"

    def run(*args: str) -> None:
        subprocess.run([*run_as, *args], check=True, capture_output=True, timeout=120)

    run(f"{bin_dir}/initdb", "-D", str(data), "-U", "kit", "--auth=trust", "-E", "UTF8",
        "--no-locale")  # fmt: skip
    run(
        f"{bin_dir}/pg_ctl", "-D", str(data), "-l", str(folder / "server.log"), "-w",
        "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off",
        "start",
    )  # fmt: skip
    try:
        yield f"postgres://kit@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*run_as, f"{bin_dir}/pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop"],
            capture_output=True,
            timeout=120,
        )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory):
    """The sample company's canonical leads as a Parquet file and its spend as a CSV,
    with a profile of the files (``file.yaml``) and one whose leads are table
    ``crm.leads`` on the report's engine (``table.yaml``)."""
    folder = tmp_path_factory.mktemp("warehouse-sample")
    ds = load_dataset("sample")
    leads = ds.leads.drop(columns="attributed_by")
    leads = leads.assign(qualification=leads["qualification"].astype(str))
    leads.to_parquet(folder / "leads.parquet", index=False)
    ds.spend.to_csv(folder / "spend.csv", index=False)
    prof = {
        "name": "warehouse-sample",
        "title": "The sample company, leads in a warehouse table",
        "currency": "RUB",
        "inputs": {
            "crm": {"path": "leads.parquet"},
            "spend": {"path": "spend.csv", "dayfirst": False},
        },
        "personal_data": [],
        "leads": {
            "input": "crm",
            "columns": {c: c for c in leads.columns},
            "optional": ["won_at", "first_contact_at"],
            "qualification": {q: [q] for q in ("hot", "warm", "cold", "unknown")},
            "converted": {"column": "converted"},
        },
        "spend": {
            "input": "spend",
            "columns": {c: c for c in ("date", "source", "campaign", "spend", "clicks")},
            "optional": ["clicks"],
        },
    }
    (folder / "file.yaml").write_text(yaml.safe_dump(prof, allow_unicode=True), encoding="utf-8")
    prof["inputs"]["crm"] = {"table": "crm.leads"}
    (folder / "table.yaml").write_text(yaml.safe_dump(prof, allow_unicode=True), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def duckdb_report(sample_files, tmp_path_factory):
    """The report of ``file.yaml`` on DuckDB: what every warehouse's report must give."""
    from analysis.run.report import run_report

    out = tmp_path_factory.mktemp("warehouse-duckdb-report")
    return run_report(sample_files / "file.yaml", out_root=out, run="duck", page_jobs=2)


def assert_same_report_tables(got_folder: Path, want_folder: Path, table: str) -> None:
    """Every page table of a report on a warehouse table equals the DuckDB report's of
    the same leads in a file: counts exactly, floats to 1e-9; only the audit's name of
    the leads input (``table crm.leads``, no file hash) differs."""
    names = sorted(p.name for p in (got_folder / "tables").glob("*.csv"))
    assert names == sorted(p.name for p in (want_folder / "tables").glob("*.csv"))
    assert len(names) > 30
    for name in names:
        got = pd.read_csv(got_folder / "tables" / name)
        want = pd.read_csv(want_folder / "tables" / name)
        if name == "audit_inputs.csv":
            assert got.loc[got["input"] == "crm", "file"].tolist() == [f"table {table}"]
            # a table has no file to hash
            assert got["sha256"].isna().tolist() == (got["input"] == "crm").tolist()
            got, want = got.drop(columns=["file", "sha256"]), want.drop(columns=["file", "sha256"])
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9, atol=1e-12, obj=name)


@pytest.fixture(scope="module")
def sample_in_postgres(postgres, sample_files):
    """`sample_files`, with the leads also in a PostgreSQL table ``crm.leads``."""
    folder = sample_files
    eng = Engine(postgres)
    eng.con.raw_sql("CREATE SCHEMA IF NOT EXISTS crm").close()
    eng.con.create_table("leads", pq.read_table(folder / "leads.parquet"), database="crm")
    eng.con.disconnect()
    return folder


def test_sample_leads_in_postgres_load_as_the_file(postgres, sample_in_postgres):
    folder = sample_in_postgres
    eng = Engine(postgres)
    try:
        got = load_dataset(folder / "table.yaml", engine=eng)
        assert eng.name == "postgres"
        want = load_dataset(folder / "file.yaml", columnar=False, cache_dir=folder / "c")
        _same_as_file(got, want)
        # a period, applied on the server
        got = load_dataset(folder / "table.yaml", start="2026-03-01", end="2026-04-15", engine=eng)
        want = load_dataset(
            folder / "file.yaml", start="2026-03-01", end="2026-04-15", columnar=False,
            cache_dir=folder / "c",
        )  # fmt: skip
        _same_as_file(got, want)
    finally:
        eng.con.disconnect()


def test_report_on_postgres_equals_the_duckdb_report(
    postgres, sample_in_postgres, duckdb_report, tmp_path
):
    """`leadkit report --engine postgres://...` on a profile whose leads are a table:
    every page's tables equal the DuckDB report of the same leads from a file."""
    from analysis.run.report import run_report

    pg = run_report(
        sample_in_postgres / "table.yaml", out_root=tmp_path, run="pg",
        parameters={"ENGINE": postgres}, page_jobs=2,
    )  # fmt: skip
    assert_same_report_tables(pg.folder, duckdb_report.folder, "crm.leads")


# -- Spark Connect: a server of its own, its pages as clients --------------------------


def _spark_connect_missing() -> str | None:
    from tests.test_spark import _spark_missing

    reason = _spark_missing()
    if reason is not None:
        return reason
    try:
        from pyspark.sql.connect.utils import check_dependencies

        check_dependencies("pyspark.sql.connect.session")
    except ImportError as exc:
        return f'the Spark Connect client is not installed ({exc}; pip install "leadkit[spark]")'
    return None


@pytest.fixture(scope="module")
def spark_connect():
    """A Spark Connect server of its own (Spark's `SparkConnectServer` class, started
    with PySpark's own spark-submit, master local[2], on a free port of 127.0.0.1, its
    warehouse in a temporary folder), and its URL. A report's kernels are its clients:
    the table one client saves, every other sees."""
    reason = _spark_connect_missing()
    if reason is not None:
        if STRICT:
            pytest.fail(f"LEADKIT_STRICT_SYSTEM_TESTS=1 and Spark Connect cannot run: {reason}")
        pytest.skip(f"Spark Connect test skipped: {reason}")
    import time

    import pyspark

    folder = Path(tempfile.mkdtemp(prefix="leadkit-spark-connect-"))
    from analysis.engine.backends import _LOG4J2  # the kit's own sessions' setup: errors only

    (folder / "log4j2.properties").write_text(_LOG4J2)
    port = _free_port()
    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    conf = {
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.ui.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "2",
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
    }
    command = [str(submit), "--master", "local[2]", "--name", "leadkit-test-connect"]
    for k, v in conf.items():
        command += ["--conf", f"{k}={v}"]
    command += [
        "--driver-java-options",
        f"-Dlog4j2.configurationFile={(folder / 'log4j2.properties').as_uri()}",
        "--class",
        "org.apache.spark.sql.connect.service.SparkConnectServer",
        "spark-internal",
    ]
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}
    log = open(folder / "server.log", "wb")  # noqa: SIM115 - closed at teardown
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 240
        while True:
            if server.poll() is not None:
                pytest.fail(
                    f"the Spark Connect server exited ({server.returncode}):\n"
                    + (folder / "server.log").read_text(errors="replace")[-3000:]
                )
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("the Spark Connect server did not listen within 240 s")
                time.sleep(0.5)
        yield f"sc://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")
def test_report_on_a_spark_connect_table_equals_the_duckdb_report(
    spark_connect, sample_files, duckdb_report, tmp_path
):
    """`leadkit report --engine sc://...` on a profile whose leads are table
    ``crm.leads`` of a Spark Connect server: mapped and checked on the server once,
    every page a client of it (no JVM in the kernels), and every page table equal to
    the DuckDB report of the same leads from a file."""
    from analysis.engine.backends import connect, describe, upload
    from analysis.run.report import run_report

    marked = "SPARK_CONNECT_MODE_ENABLED" in os.environ
    con = connect(spark_connect)
    try:
        assert describe(con) == f"Spark Connect {spark_connect}"
        # PySpark marks this process as Spark Connect's: no local session beside it
        with pytest.raises(ValueError, match="already has a Spark Connect session"):
            connect("spark")
        con._session.sql("CREATE DATABASE IF NOT EXISTS crm")
        leads = pd.read_parquet(sample_files / "leads.parquet")
        upload(con, leads, "crm.leads", temp=False)  # saved in the server's catalog
        got = run_report(
            sample_files / "table.yaml", out_root=tmp_path, run="spark-connect",
            parameters={"ENGINE": spark_connect}, page_jobs=2,
        )  # fmt: skip
        assert_same_report_tables(got.folder, duckdb_report.folder, "crm.leads")
    finally:
        # the tests after this one may start a local Spark session in this process
        con._session.stop()
        if not marked:
            os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)


def test_an_absent_spark_connect_server_is_named_at_once():
    """The Spark Connect client retries a server that is not there for minutes; the kit
    asks the port once and names it, without the URL's token."""
    import time

    from analysis.engine.backends import connect

    port = _free_port()  # nothing listens there
    t = time.monotonic()
    absent = f"no Spark Connect server answers at 127.0.0.1:{port}"
    with pytest.raises(ValueError, match=absent) as e:
        connect(f"sc://127.0.0.1:{port}/;token=s3cret")
    assert time.monotonic() - t < 30
    assert "s3cret" not in str(e.value) and "token=***" in str(e.value)
    with pytest.raises(ValueError, match="sc://host:port"):
        connect("sc://")
