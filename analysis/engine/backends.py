"""Where the leads live: a connection spec string to an Ibis backend.

The engine (`analysis.engine.Engine`) groups leads into cells with Ibis expressions, so
the grouping can run wherever the leads table is: DuckDB in this process (the default),
a DuckDB file, a local or cluster Spark session, or any database Ibis connects to.

>>> con = connect("spark")  # doctest: +SKIP
>>> describe(con)  # doctest: +SKIP
'Spark local[2]'
>>> Engine(con).cells("crm.leads", ["source"])  # doctest: +SKIP

Specs
-----
``None`` or ``"duckdb"``
    DuckDB in memory.
``"duckdb:///abs/path/file.duckdb"``, ``"duckdb://rel/file.duckdb"``, ``"file.duckdb"``
    A DuckDB database file.
``"spark"``, ``"spark:local[N]"``, ``"spark:yarn"``, ``"spark://host:7077"``
    A Spark session built for the kit (master ``local[2]`` by default; needs Java 17+);
    only local masters are tested.
``"sc://host:15002"`` (Spark Connect's own URL, with its ``/;token=...`` options)
    A client session of a Spark Connect server: a cluster's, Databricks', or one
    started on this machine (docs/warehouse.md). No JVM runs here, every process's
    session sees the server's tables, and a report's pages all group on the server.
anything else with ``scheme://``
    Handed to `ibis.connect` (``postgres://``, ``clickhouse://``, ``bigquery://``, ...).
"""

from __future__ import annotations

import atexit
import functools
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import ibis
import ibis.common.exceptions
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from analysis.base.i18n import _

__all__ = [
    "DEFAULT_SPARK_MASTER",
    "MIN_JAVA",
    "connect",
    "describe",
    "frame_to_arrow",
    "is_spark_connect",
    "java_available",
    "table_by_name",
    "to_arrow",
    "upload",
]

#: The master of the Spark session `connect("spark")` builds.
DEFAULT_SPARK_MASTER = "local[2]"

#: Seconds to wait for a Spark Connect server's port before saying it is not there.
SPARK_CONNECT_TIMEOUT = 10

#: The oldest Java PySpark 4 runs on.
MIN_JAVA = 17

#: URL scheme -> the pip extra of ibis-framework that provides its backend.
_EXTRAS = {
    "postgres": "postgres",
    "postgresql": "postgres",
    "clickhouse": "clickhouse",
    "bigquery": "bigquery",
    "snowflake": "snowflake",
    "mysql": "mysql",
    "mssql": "mssql",
    "trino": "trino",
    "databricks": "databricks",
    "oracle": "oracle",
    "risingwave": "risingwave",
    "impala": "impala",
    "druid": "druid",
    "exasol": "exasol",
    "pyspark": "pyspark",
}

#: Ibis backend name -> how `describe` names it.
_NAMES = {
    "duckdb": "DuckDB",
    "pyspark": "Spark",
    "postgres": "PostgreSQL",
    "clickhouse": "ClickHouse",
    "bigquery": "BigQuery",
    "snowflake": "Snowflake",
    "mysql": "MySQL",
    "mssql": "SQL Server",
    "trino": "Trino",
    "sqlite": "SQLite",
    "databricks": "Databricks",
}

# Spark's log4j2 setup for a kit session: errors only (no "Using Spark's default log4j
# profile", no WARN lines at start); the three named loggers also keep Spark's
# "Setting default log level" banner away (the root level alone did not).
_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = error
logger.submit.name = org.apache.spark.deploy.SparkSubmit
logger.submit.level = error
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = error
"""


def connect(spec: str | None = None, *, read_only: bool = False) -> ibis.BaseBackend:
    """An Ibis connection from a spec string (see the module docstring).

    ``read_only`` opens a DuckDB database file read-only (temporary tables still
    work), so several processes can read it at once: a report's notebooks do. DuckDB
    lets only one process open a file for writing.

    Raises
    ------
    ValueError
        The spec is not understood, its backend is not installed (the message names
        the pip extra), or Spark was asked for and Java is missing.
    """
    if spec is None or spec.strip() in ("", "duckdb", "duckdb://", "duckdb:///:memory:"):
        return ibis.duckdb.connect()
    spec = spec.strip()
    if spec.startswith("duckdb://"):
        path = spec.removeprefix("duckdb://")
        if path in ("", ":memory:"):
            return ibis.duckdb.connect()
        return _duckdb_file(path, read_only)
    if "://" not in spec and Path(spec).suffix.lower() in (".duckdb", ".ddb"):
        return _duckdb_file(spec, read_only)
    if spec.startswith("sc://"):
        return _connect_spark_connect(spec)
    if spec.startswith("spark://"):  # a standalone cluster's master URL
        return _connect_spark(spec, spec)
    if spec == "spark" or spec.startswith("spark:"):
        master = spec.removeprefix("spark").removeprefix(":") or DEFAULT_SPARK_MASTER
        return _connect_spark(spec, master)
    scheme = spec.split("://", 1)[0].lower() if "://" in spec else None
    if scheme is None:
        raise ValueError(
            _(
                "cannot connect to {spec}: give 'duckdb', 'duckdb:///path/file.duckdb', "
                "'spark', 'spark:local[N]' or an Ibis URL such as 'postgres://user@host/db'",
                spec=repr(spec),
            )
        )
    try:
        return ibis.connect(spec)
    except ImportError as exc:
        extra = _EXTRAS.get(scheme, scheme)
        missing = _missing_module(exc)
        if missing:
            message = _(
                "cannot connect to {spec}: the {extra} backend of Ibis is not installed (no "
                'module {module}); pip install "ibis-framework[{extra}]"',
                spec=repr(_redact(spec)),
                extra=extra,
                module=missing,
            )
        else:
            message = _(
                "cannot connect to {spec}: the {extra} backend of Ibis is not installed; "
                'pip install "ibis-framework[{extra}]"',
                spec=repr(_redact(spec)),
                extra=extra,
            )
        raise ValueError(message) from exc
    except ValueError as exc:
        raise ValueError(
            _("cannot connect to {spec}: {error}", spec=repr(_redact(spec)), error=exc)
        ) from exc


def _missing_module(exc: BaseException | None) -> str | None:
    """The module whose import failed, from an ImportError or its causes."""
    while exc is not None:
        if isinstance(exc, ImportError) and exc.name:
            return exc.name
        exc = exc.__cause__ or exc.__context__
    return None


def _redact(spec: str) -> str:
    """The spec without a password (``user:secret@`` -> ``user:***@``)."""
    return re.sub(r"(://[^/:@]+:)[^@/]*@", r"\1***@", spec)


def _local_threads(master: str) -> int | None:
    m = re.fullmatch(r"local(?:\[(\d+|\*)(?:,\s*\d+)?\])?", master)
    if m is None:
        return None
    n = m.group(1)
    return 1 if n is None else (os.cpu_count() or 1) if n == "*" else int(n)


def _connect_spark(spec: str, master: str) -> ibis.BaseBackend:
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ValueError(
            _(
                "cannot connect to {spec}: PySpark is not installed; "
                'pip install "leadkit[spark]" (or "ibis-framework[pyspark]")',
                spec=repr(spec),
            )
        ) from exc
    running = SparkSession.getActiveSession()
    if os.environ.get("SPARK_CONNECT_MODE_ENABLED") or (
        running is not None and _is_connect_session(running)
    ):
        # PySpark marks a process that made a Spark Connect session, so that no local
        # Spark runs beside it (pyspark/sql/session.py, getOrCreate)
        raise ValueError(
            _(
                "cannot connect to {spec}: this process already has a Spark Connect "
                "session, and PySpark runs no local Spark session beside one; use the "
                "Spark Connect server (sc://host:port) or another process",
                spec=repr(spec),
            )
        )
    if running is not None:
        if running.sparkContext.master != master:
            raise ValueError(
                _(
                    "cannot connect to {spec}: a Spark session with master {master} already "
                    "runs in this process (one per process); stop it first or ask for that "
                    "master",
                    spec=repr(spec),
                    master=repr(running.sparkContext.master),
                )
            )
        return ibis.pyspark.connect(running)
    reason = java_available()
    if reason is not None:
        raise ValueError(_("cannot connect to {spec}: {error}", spec=repr(spec), error=reason))

    threads = _local_threads(master)
    conf_dir = Path(tempfile.mkdtemp(prefix="leadkit-spark-"))
    log4j = conf_dir / "log4j2.properties"
    log4j.write_text(_LOG4J2)
    builder = (
        SparkSession.builder.master(master)
        .appName("leadkit")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={log4j.as_uri()}")
    )
    if threads is not None:
        # a local session: few shuffle partitions (cells are small), loopback only, and
        # its warehouse (Spark makes ./spark-warehouse on first catalog use) in a
        # temporary directory: without a metastore its tables die with the session
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        warehouse = tempfile.mkdtemp(prefix="leadkit-spark-warehouse-")
        atexit.register(shutil.rmtree, warehouse, ignore_errors=True)
        builder = (
            builder.config("spark.sql.shuffle.partitions", str(max(1, threads)))
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.warehouse.dir", warehouse)
        )
    try:
        session = builder.getOrCreate()
    finally:
        shutil.rmtree(conf_dir, ignore_errors=True)  # read once, at the JVM's start
    session.sparkContext.setLogLevel("ERROR")
    return ibis.pyspark.connect(session)


def _connect_spark_connect(spec: str) -> ibis.BaseBackend:
    """A Spark Connect client session of the server at ``spec`` (``sc://host:port``),
    in UTC as the kit's own sessions (Ibis sets the session's time zone too)."""
    try:
        from pyspark.sql import SparkSession
        from pyspark.sql.connect.utils import check_dependencies

        check_dependencies("pyspark.sql.connect.session")
    except ImportError as exc:
        raise ValueError(
            _(
                "cannot connect to {spec}: the Spark Connect client is not installed (no "
                'module {module}); pip install "leadkit[spark]" (or "pyspark[connect]")',
                spec=repr(_redact_token(spec)),
                module=_missing_module(exc) or "pyspark",
            )
        ) from exc
    # the client retries an absent server for minutes: ask once, quickly, whether it is there
    m = re.fullmatch(r"sc://(\[[^\]]+\]|[^/:;]+)(?::(\d+))?(/.*)?", spec)
    if m is None:
        raise ValueError(
            _(
                "cannot connect to {spec}: a Spark Connect URL is sc://host:port",
                spec=repr(_redact_token(spec)),
            )
        )
    host, port = m.group(1).strip("[]"), int(m.group(2) or 15002)
    import socket

    try:
        socket.create_connection((host, port), timeout=SPARK_CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise ValueError(
            _(
                "cannot connect to {spec}: no Spark Connect server answers at {host}:{port} "
                "({error})",
                spec=repr(_redact_token(spec)),
                host=host,
                port=port,
                error=exc.strerror or exc,
            )
        ) from exc
    try:
        session = SparkSession.builder.remote(spec).getOrCreate()
        session.conf.set("spark.sql.session.timeZone", "UTC")
    except Exception as exc:  # gRPC's errors: the server is not there, refuses, ...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(
            _(
                "cannot connect to {spec}: {error}",
                spec=repr(_redact_token(spec)),
                error=first,
            )
        ) from exc
    return ibis.pyspark.connect(session)


def _redact_token(spec: str) -> str:
    """A Spark Connect URL without its token (``;token=...`` -> ``;token=***``)."""
    return re.sub(r"(;\s*token\s*=)[^;]*", r"\1***", _redact(spec), flags=re.IGNORECASE)


def is_spark_connect(con: ibis.BaseBackend) -> bool:
    """Whether ``con`` is a Spark Connect client's (no SparkContext in this process)."""
    return con.name == "pyspark" and _is_connect_session(con._session)


def _is_connect_session(session) -> bool:
    return type(session).__module__.startswith("pyspark.sql.connect")


@functools.cache
def java_available() -> str | None:
    """None when Java 17+ (what PySpark 4 needs) runs here, else the reason it does not.

    Looks where Spark's launcher looks: ``$JAVA_HOME/bin/java``, else ``java`` on PATH.
    """
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    where = f"$JAVA_HOME ({home})" if home else "PATH"
    if not java or not os.access(java, os.X_OK):
        return _(
            "no Java on {where}: Spark needs Java {min} or newer (e.g. Debian's "
            "openjdk-17-jre-headless)",
            where=where,
            min=MIN_JAVA,
        )
    try:
        run = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return _("{java} -version failed: {error}", java=java, error=exc)
    m = re.search(r'version "(\d+)(?:\.(\d+))?', run.stderr + run.stdout)
    if run.returncode != 0 or m is None:
        return _(
            "{java} -version failed (exit {code}): {error}",
            java=java,
            code=run.returncode,
            error=run.stderr.strip()[:200],
        )
    major = int(m.group(1))
    if major == 1 and m.group(2):  # "1.8.0" is Java 8
        major = int(m.group(2))
    if major < MIN_JAVA:
        return _(
            "Java {major} at {java}: Spark needs Java {min} or newer",
            major=major,
            java=java,
            min=MIN_JAVA,
        )
    return None


def frame_to_arrow(frame: pd.DataFrame) -> pa.Table:
    """A pandas leads frame as Arrow with the canonical types every backend reads alike:
    categoricals as text, a bool ``converted`` as int8, timestamps naive (tz-aware ones
    converted to UTC first)."""
    frame = frame.copy()
    for col in frame.columns:
        dtype = frame[col].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            frame[col] = frame[col].astype("str")
        elif isinstance(dtype, pd.DatetimeTZDtype):
            frame[col] = frame[col].dt.tz_convert("UTC").dt.tz_localize(None)
        elif col == "converted" and pd.api.types.is_bool_dtype(dtype):
            frame[col] = frame[col].astype("Int8" if frame[col].isna().any() else "int8")
    return pa.Table.from_pandas(frame, preserve_index=False)


def upload(con: ibis.BaseBackend, frame: pd.DataFrame, name: str, *, temp: bool = True) -> ir.Table:
    """Put a pandas leads frame into table ``name`` on ``con`` (replacing it) and
    return the table.

    Timestamps arrive UTC-naive, ``converted`` as an integer, categoricals as text
    (`frame_to_arrow`). With ``temp`` (the default) the table lasts as long as the
    connection: on Spark a temporary view made from Arrow (no files written), on
    DuckDB and others a temporary table. ``temp=False`` stores it: a table in a
    DuckDB file, Spark's ``saveAsTable`` (files under ``spark.sql.warehouse.dir``).
    """
    table = frame_to_arrow(frame)
    if con.name == "pyspark":
        df = con._session.createDataFrame(table)
        if temp:
            df.createOrReplaceTempView(name)
        else:
            df.write.saveAsTable(name, mode="overwrite")
        return table_by_name(con, name)
    if con.name == "duckdb":
        if "." in name:
            raise ValueError(f"upload to DuckDB takes a plain table name, not {name!r}")
        # DuckDB's own API: Ibis 12's DROP statements come out nameless with
        # sqlglot >= 30.18 (ibis-project/ibis#12101), so no create_table(overwrite=True)
        view = f"leadkit_upload_{os.getpid()}_{id(table):x}"
        quoted = '"' + name.replace('"', '""') + '"'
        con.con.register(view, table)
        try:
            kind = "TEMP TABLE" if temp else "TABLE"
            con.con.execute(f"CREATE OR REPLACE {kind} {quoted} AS SELECT * FROM {view}")
        finally:
            con.con.unregister(view)
        return table_by_name(con, name)
    *where, short = name.split(".")
    try:
        table_by_name(con, name)
    except ibis.common.exceptions.TableNotFound:
        exists = False
    else:
        exists = True
    return con.create_table(
        short,
        ibis.memtable(table),
        database=_database(where),
        temp=temp,
        overwrite=exists,
    )


#: DuckDB's memory in each process for a database file, unless LEADKIT_DUCKDB_MEMORY
#: says otherwise: a report's process then stays under 2 GB (DuckDB's limit plus the
#: Python process's own ~0.5 GB); what does not fit spills to disk.
DUCKDB_FILE_MEMORY = "1GB"


def _database(where: list[str]) -> str | tuple[str, ...] | None:
    return None if not where else where[0] if len(where) == 1 else tuple(where)


def table_by_name(con: ibis.BaseBackend, name: str) -> ir.Table:
    """The table ``name``, ``database.name`` or ``catalog.database.name`` on ``con``.

    Raises Ibis's ``TableNotFound`` when it is not there (or the backend's own error,
    e.g. Spark's for a database that does not exist)."""
    *where, short = name.split(".")
    return con.table(short, database=_database(where))


def _duckdb_file(path: str, read_only: bool) -> ibis.BaseBackend:
    """A DuckDB database file's connection, its memory limited in each process to
    `DUCKDB_FILE_MEMORY` (or ``LEADKIT_DUCKDB_MEMORY``, e.g. ``4GB``; ``none``: DuckDB's
    own default, 80% of the machine's), with a spill folder of its own in the system's
    temporary folder. Without a limit DuckDB keeps a file's blocks in memory: 100M
    leads in a file took 6.4 GB in each of a report's processes."""
    limit = os.environ.get("LEADKIT_DUCKDB_MEMORY") or DUCKDB_FILE_MEMORY
    if limit.strip().lower() == "none":
        return ibis.duckdb.connect(path, read_only=read_only)
    return ibis.duckdb.connect(
        path, read_only=read_only, memory_limit=limit, temp_directory=_spill_folder()
    )


def _spill_folder() -> str:
    """A folder for what DuckDB spills, one per process (DuckDB refuses a second
    connection to a file with another setting): in a report's run folder in its
    kernels (removed with the run: a kernel is stopped, not left to exit), else a
    temporary folder removed when the process exits."""
    from analysis.base.paths import RUN_FOLDER_ENV

    return _spill_folder_in(os.environ.get(RUN_FOLDER_ENV) or "")


@functools.cache
def _spill_folder_in(run: str) -> str:
    import shutil
    import tempfile

    if run:
        return os.path.join(run, f"spill-{os.getpid()}")
    folder = tempfile.mkdtemp(prefix="leadkit-duckdb-")
    atexit.register(shutil.rmtree, folder, True)
    return folder


def to_arrow(con: ibis.BaseBackend, expr: ir.Expr) -> pa.Table:
    """Run ``expr`` on ``con`` and fetch the result as Arrow.

    On Spark, straight from Spark's Arrow collector (Ibis 12's ``to_pyarrow`` goes
    through pandas there, and warns on pandas 3), then cast to the expression's Ibis
    schema as Ibis does: Spark hands timestamps over tagged UTC, the schema has them
    naive (same instants, no shift: the kit's sessions run in UTC).
    """
    table_expr = expr.as_table()
    if con.name == "pyspark" and _spark_has_to_arrow():
        from ibis.formats.pyarrow import PyArrowData

        _register_memtables_as_arrow(con, table_expr)
        hooks = getattr(con, "_run_pre_execute_hooks", None)
        if hooks is not None:  # registers in-memory tables the expression uses
            hooks(table_expr)
        raw = con.raw_sql(con.compile(table_expr)).toArrow()
        return PyArrowData.convert_table(raw, table_expr.schema())
    return con.to_pyarrow(table_expr)


def _register_memtables_as_arrow(con: ibis.BaseBackend, expr: ir.Table) -> None:
    """Register the expression's in-memory tables on Spark from Arrow, as `upload` does.
    Ibis 12 goes through pandas, and a Spark Connect session cannot take pandas 3's
    Arrow-backed columns (``Cannot convert pyarrow.lib.ChunkedArray``); Ibis's hook
    then finds them registered and leaves them."""
    import ibis.expr.operations as ops

    known = getattr(con, "_memtables", None)
    if known is None:
        return
    for op in expr.op().find(ops.InMemoryTable):
        if op in known:
            continue
        data = op.data.to_pyarrow(op.schema)
        con._session.createDataFrame(data).createOrReplaceTempView(op.name)
        known.add(op)


def _spark_has_to_arrow() -> bool:
    from pyspark.sql import DataFrame

    return hasattr(DataFrame, "toArrow")  # PySpark 4.0+


def describe(con: ibis.BaseBackend) -> str:
    """A short human name of where ``con`` runs: "DuckDB in memory", "DuckDB file
    /data/crm.duckdb", "Spark local[2]", "PostgreSQL database crm", ..."""
    if con.name == "duckdb":
        try:
            row = con.con.execute(
                "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
            ).fetchone()
        except Exception:  # a name is all this needs
            row = None
        return f"DuckDB file {row[0]}" if row and row[0] else "DuckDB in memory"
    if con.name == "pyspark":
        if is_spark_connect(con):
            builder = getattr(getattr(con._session, "client", None), "_builder", None)
            where = getattr(builder, "endpoint", None)  # host:port, never the token
            return f"Spark Connect sc://{where}" if where else "Spark Connect"
        return f"Spark {con._session.sparkContext.master}"
    name = _NAMES.get(con.name, con.name)
    try:
        db = con.current_database
    except Exception:
        db = None
    return f"{name} database {db}" if db else name
