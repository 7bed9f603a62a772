"""The built-in sample company and large synthetic lead tables. Imports `base` and
`ingest` only.
"""
