"""leadkit: lead-quality analytics. Which marketing channels bring customers, not just
cheap leads.

The package's folders follow the data (docs/architecture.md):
``ingest`` (export files -> a mapping profile -> canonical `leads` and `spend` tables)
-> ``engine`` (grouped counts, on DuckDB, Spark or a warehouse) -> ``stats`` (fits and
unit economics on the counts) -> ``insight`` (facts, findings, recommendations) ->
``render`` (figures, tables, HTML, workbook) -> ``run`` (report and batch runs) ->
``cli``. ``base`` (errors, atomic files, paths) is below them all; ``sample`` makes
the built-in sample company's exports.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("leadkit")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
