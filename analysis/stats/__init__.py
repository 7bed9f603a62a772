"""Fits and unit economics on grouped counts: intervals, the binomial GLM, the ordinal
model, shrinkage, the period decomposition, time to sale, managers. No plotting, no
sentences. Imports `base`, `ingest`, `engine`.
"""
