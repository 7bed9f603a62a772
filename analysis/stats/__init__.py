"""Fits and unit economics on grouped counts: intervals, the binomial GLM and the
comparisons built on it, the ordinal model, shrinkage, the period decomposition and its
period wrappers, time to sale and conversion at equal age, managers. No plotting, no
sentences. Imports `base`, `ingest`, `engine`.
"""
