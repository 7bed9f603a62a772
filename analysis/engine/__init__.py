"""Grouped counts per cell with Ibis: DuckDB in process by default, the same expressions
on Spark, PostgreSQL or a warehouse. Imports `base` and `ingest`.
"""
