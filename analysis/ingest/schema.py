"""The canonical data model: the `leads` and `spend` tables every analysis reads.

Every loader ends by validating its output against these schemas, so a notebook or
a model never sees a table of another shape. See the glossary in the README for what
each column means.

leads
    lead_id, created_at, source, medium, campaign, segment, manager, qualification,
    converted, revenue, won_at, first_contact_at, stage, lost_reason, attributed_by
    (required: lead_id, created_at (may be empty), source, campaign, qualification,
    converted, revenue)
spend
    date, source, campaign, spend, clicks, impressions
    (required: date, source, campaign, spend)
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd

from analysis.base.errors import DataError, format_rows
from analysis.base.i18n import _, fmt_int

if TYPE_CHECKING:
    import pandera.pandas as pa

__all__ = [
    "QUALIFICATIONS",
    "QUALIFICATION_DTYPE",
    "UNKNOWN_SOURCE",
    "NO_CAMPAIGN",
    "LEADS_COLUMNS",
    "LEADS_REQUIRED",
    "SPEND_COLUMNS",
    "SPEND_REQUIRED",
    "leads_schema",
    "spend_schema",
    "validate_leads",
    "validate_spend",
]

#: Lead qualification classes, best first. ``unknown`` means "not qualified yet".
QUALIFICATIONS = ("hot", "warm", "cold", "unknown")

QUALIFICATION_DTYPE = pd.CategoricalDtype(list(QUALIFICATIONS), ordered=True)

#: Value of ``source`` for a lead whose source no input could tell.
UNKNOWN_SOURCE = "unknown"

#: Value of ``campaign`` for a lead that came through no campaign (organic, direct, ...).
NO_CAMPAIGN = "(none)"

_TS = "datetime64[us]"

# pandera is imported when a table is validated, not with the module: the report's
# pages read the column names here, and pandera's import took 0.36 s of every
# kernel's start. Each column is described once, in plain values (`_Column`), and
# `leads_schema` / `spend_schema` make pandera's columns from them.


class _Column(NamedTuple):
    """A canonical column: its type, whether a value may be missing, whether a table
    must have the column, whether its values are unique, and its checks (the name of
    a pandera ``Check`` and its arguments)."""

    dtype: object
    nullable: bool
    required: bool = True
    unique: bool = False
    checks: tuple[tuple[str, dict], ...] = ()


_NOT_BLANK = (("str_length", {"min_value": 1}),)
_NOT_NEGATIVE = (("ge", {"min_value": 0}),)

_LEADS_SPEC = {
    "lead_id": _Column(str, nullable=False, unique=True),
    # a lead without a creation date counts in leads, sales and models; time-based
    # sections leave it out and say so (leads.no_created_at in the profile)
    "created_at": _Column(_TS, nullable=True),
    "source": _Column(str, nullable=False, checks=_NOT_BLANK),
    "medium": _Column(str, nullable=True, required=False),
    "campaign": _Column(str, nullable=False, checks=_NOT_BLANK),
    "segment": _Column(str, nullable=True, required=False),
    "manager": _Column(str, nullable=True, required=False),
    "qualification": _Column(QUALIFICATION_DTYPE, nullable=False),
    "converted": _Column("int8", nullable=False, checks=(("isin", {"allowed_values": [0, 1]}),)),
    "revenue": _Column(float, nullable=True, checks=_NOT_NEGATIVE),
    "won_at": _Column(_TS, nullable=True, required=False),
    "first_contact_at": _Column(_TS, nullable=True, required=False),
    "stage": _Column(str, nullable=True, required=False),
    "lost_reason": _Column(str, nullable=True, required=False),
    "attributed_by": _Column(str, nullable=True, required=False),
}

LEADS_COLUMNS = tuple(_LEADS_SPEC)

LEADS_REQUIRED = tuple(name for name, col in _LEADS_SPEC.items() if col.required)

_SPEND_SPEC = {
    "date": _Column(_TS, nullable=False),
    "source": _Column(str, nullable=False, checks=_NOT_BLANK),
    "campaign": _Column(str, nullable=False, checks=_NOT_BLANK),
    "spend": _Column(float, nullable=False, checks=_NOT_NEGATIVE),
    "clicks": _Column("Int64", nullable=True, required=False, checks=_NOT_NEGATIVE),
    "impressions": _Column("Int64", nullable=True, required=False, checks=_NOT_NEGATIVE),
}

SPEND_COLUMNS = tuple(_SPEND_SPEC)

SPEND_REQUIRED = tuple(name for name, col in _SPEND_SPEC.items() if col.required)


def _pandera_columns(spec: dict[str, _Column]) -> dict:
    import pandera.pandas as pa

    return {
        name: pa.Column(
            col.dtype,
            [getattr(pa.Check, check)(**args) for check, args in col.checks],
            nullable=col.nullable,
            required=col.required,
            unique=col.unique,
        )
        for name, col in spec.items()
    }


@functools.cache
def leads_schema() -> pa.DataFrameSchema:
    """The pandera schema of the canonical leads table."""
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        _pandera_columns(_LEADS_SPEC),
        strict=True,
        checks=[
            pa.Check(
                lambda df: (df["converted"] == 1) | (df["revenue"].fillna(0) == 0),
                error="revenue of a lead that did not convert must be 0",
            ),
        ],
        name="leads",
    )


@functools.cache
def spend_schema() -> pa.DataFrameSchema:
    """The pandera schema of the canonical spend table."""
    import pandera.pandas as pa

    return pa.DataFrameSchema(_pandera_columns(_SPEND_SPEC), strict=True, name="spend")


def _validate(df: pd.DataFrame, schema: pa.DataFrameSchema, what: str) -> pd.DataFrame:
    import pandera.errors

    try:
        return schema.validate(df, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        first = cases.iloc[0]
        column = first["column"] if isinstance(first["column"], str) else None
        bad = cases[cases["column"] == first["column"]] if column else cases
        rows = [int(i) + 1 for i in bad["index"].dropna()] if "index" in bad else []
        values = {
            "what": what,
            "check": repr(first["check"]),
            "k": fmt_int(len(cases)),
            "value": repr(first["failure_case"]),
        }
        if rows:
            message = _(
                "the canonical {what} table fails check {check} ({k} failure(s)); first "
                "failing value {value} in canonical {rows}",
                rows=format_rows(rows),
                **values,
            )
        else:
            message = _(
                "the canonical {what} table fails check {check} ({k} failure(s)); first "
                "failing value {value}",
                **values,
            )
        raise DataError(
            message,
            column=column,
        ) from None


def validate_leads(leads: pd.DataFrame) -> pd.DataFrame:
    """Check a canonical leads table; raise `DataError` naming the column if it fails.

    Returns the table unchanged, so it can be chained.
    """
    return _validate(leads, leads_schema(), "leads")


def validate_spend(spend: pd.DataFrame) -> pd.DataFrame:
    """Check a canonical spend table; raise `DataError` naming the column if it fails."""
    return _validate(spend, spend_schema(), "spend")
