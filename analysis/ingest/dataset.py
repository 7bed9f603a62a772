"""The loaded dataset: canonical tables plus what the load learned on the way."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.ingest.profiles import Profile

__all__ = ["Dataset"]


@dataclass
class Dataset:
    """What `load_dataset` returns.

    Attributes
    ----------
    profile : Profile
    leads, spend : DataFrame
        The canonical tables (``spend`` has the canonical columns and no rows when the
        profile has no spend input).
    inputs : DataFrame[input, file, rows, encoding, delimiter, sha256, personal_columns_dropped]
        One row per file read.
    notes : DataFrame[severity, input, message]
        Things a user should know: unmatched spend, leads without a source, joined rows
        without a lead, values pseudonymised.
    facts : dict
        Counts behind the data audit (attribution coverage, spend matching).
    source : Path or None
        The canonical leads as a Parquet file, when they were streamed.
    fingerprint : str
        Who this dataset is: the cache key (SHA-256 of profile, inputs, period and code)
        for a kept load, a fresh token otherwise. An engine keeps one table per
        fingerprint (`analysis.engine.cells.Engine.leads`): treat the frames as
        read-only, or load again.
    """

    profile: Profile
    leads: pd.DataFrame
    spend: pd.DataFrame
    inputs: pd.DataFrame
    notes: pd.DataFrame
    facts: dict = field(default_factory=dict)
    source: Path | None = None
    fingerprint: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def has_spend(self) -> bool:
        return not self.spend.empty
