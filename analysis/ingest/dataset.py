"""The loaded dataset: canonical tables plus what the load learned on the way."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.ingest.profiles import Profile
from analysis.ingest.schema import QUALIFICATION_DTYPE

__all__ = ["Dataset", "read_canonical", "canonical_frame"]


@dataclass
class Dataset:
    """What `load_dataset` returns.

    Attributes
    ----------
    profile : Profile
    leads, spend : DataFrame
        The canonical tables (``spend`` has the canonical columns and no rows when the
        profile has no spend input). A dataset made with ``leads=None`` and a ``source``
        file reads its leads from that file the first time ``leads`` is asked for: a
        load in DuckDB (`analysis.ingest.canonical`) holds no lead row until then, and
        the engine groups the file without ever asking.
    inputs : DataFrame[input, file, rows, encoding, delimiter, sha256, personal_columns_dropped]
        One row per file read.
    notes : DataFrame[severity, input, message]
        Things a user should know: unmatched spend, leads without a source, joined rows
        without a lead, values pseudonymised.
    facts : dict
        Counts behind the data audit (attribution coverage, spend matching).
    source : Path or None
        The canonical leads as a Parquet file (every load writes one).
    fingerprint : str
        Who this dataset is: the cache key (SHA-256 of profile, inputs, period and code)
        for a kept load or a warehouse table's summary (`analysis.ingest.warehouse`),
        a fresh token otherwise. An engine keeps one table per
        fingerprint (`analysis.engine.cells.Engine.leads`): treat the frames as
        read-only, or load again.
    table : Ibis table or None
        The canonical leads as an expression over a warehouse table (a profile whose
        leads input is a ``table:``): the engine groups it where it lives, and
        ``leads`` fetches its rows only if asked.
    """

    profile: Profile
    leads: pd.DataFrame = field(repr=False)
    spend: pd.DataFrame
    inputs: pd.DataFrame
    notes: pd.DataFrame
    facts: dict = field(default_factory=dict)
    source: Path | None = None
    fingerprint: str = field(default_factory=lambda: uuid.uuid4().hex)
    table: Any = field(default=None, repr=False)

    @property
    def has_spend(self) -> bool:
        return not self.spend.empty

    @property
    def leads_loaded(self) -> bool:
        """Whether the leads are held in memory (False: still only in ``source``)."""
        return self.__dict__.get("_leads") is not None


def _get_leads(self: Dataset) -> pd.DataFrame:
    frame = self.__dict__.get("_leads")
    if frame is None:
        if self.source is not None:
            frame = read_canonical(self.source)
        elif self.table is not None:  # every lead fetched from the warehouse: tests, tools
            frame = canonical_frame(self.table.to_pyarrow().to_pandas())
        else:
            raise ValueError("a dataset needs its leads, a source file or a table of them")
        self.__dict__["_leads"] = frame
    return frame


def _set_leads(self: Dataset, frame: pd.DataFrame | None) -> None:
    self.__dict__["_leads"] = frame


# a property over the dataclass field: __init__ and dataclasses.replace go through it
Dataset.leads = property(_get_leads, _set_leads)


def read_canonical(path: Path) -> pd.DataFrame:
    """The canonical leads from a Parquet file of the streamed or the DuckDB load, in the
    file's order, with the kit's dtypes."""
    return canonical_frame(pd.read_parquet(path))


def canonical_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Canonical leads read from Parquet or a table, in their order (by ``_row`` when
    they keep their file row), with the kit's dtypes."""
    if "_row" in frame.columns:  # the DuckDB load writes the leads in any order
        if not frame["_row"].is_monotonic_increasing:
            frame = frame.sort_values("_row", kind="stable", ignore_index=True)
        frame = frame.drop(columns="_row")
    for col in frame.columns:
        if col == "qualification":
            frame[col] = frame[col].astype(str).astype(QUALIFICATION_DTYPE)
        elif pd.api.types.is_datetime64_any_dtype(frame[col]):
            frame[col] = frame[col].astype("datetime64[us]")
        elif frame[col].dtype == object or str(frame[col].dtype).startswith(("string", "str")):
            frame[col] = frame[col].astype("str")
    return frame
