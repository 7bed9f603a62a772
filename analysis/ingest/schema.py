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
from typing import TYPE_CHECKING

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
# kernel's start (`leads_schema`, `spend_schema`)

#: The leads columns in order, and whether each is required.
_LEADS_REQUIRED = {
    "lead_id": True,
    "created_at": True,
    "source": True,
    "medium": False,
    "campaign": True,
    "segment": False,
    "manager": False,
    "qualification": True,
    "converted": True,
    "revenue": True,
    "won_at": False,
    "first_contact_at": False,
    "stage": False,
    "lost_reason": False,
    "attributed_by": False,
}

LEADS_COLUMNS = tuple(_LEADS_REQUIRED)

LEADS_REQUIRED = tuple(name for name, required in _LEADS_REQUIRED.items() if required)

#: The spend columns in order, and whether each is required.
_SPEND_REQUIRED = {
    "date": True,
    "source": True,
    "campaign": True,
    "spend": True,
    "clicks": False,
    "impressions": False,
}

SPEND_COLUMNS = tuple(_SPEND_REQUIRED)

SPEND_REQUIRED = tuple(name for name, required in _SPEND_REQUIRED.items() if required)


@functools.cache
def leads_schema() -> pa.DataFrameSchema:
    """The pandera schema of the canonical leads table."""
    import pandera.pandas as pa

    spec = {
        "lead_id": pa.Column(str, unique=True, nullable=False),
        # a lead without a creation date counts in leads, sales and models; time-based
        # sections leave it out and say so (leads.no_created_at in the profile)
        "created_at": pa.Column(_TS, nullable=True),
        "source": pa.Column(str, pa.Check.str_length(min_value=1), nullable=False),
        "medium": pa.Column(str, nullable=True, required=False),
        "campaign": pa.Column(str, pa.Check.str_length(min_value=1), nullable=False),
        "segment": pa.Column(str, nullable=True, required=False),
        "manager": pa.Column(str, nullable=True, required=False),
        "qualification": pa.Column(QUALIFICATION_DTYPE, nullable=False),
        "converted": pa.Column("int8", pa.Check.isin([0, 1]), nullable=False),
        "revenue": pa.Column(float, pa.Check.ge(0), nullable=True),
        "won_at": pa.Column(_TS, nullable=True, required=False),
        "first_contact_at": pa.Column(_TS, nullable=True, required=False),
        "stage": pa.Column(str, nullable=True, required=False),
        "lost_reason": pa.Column(str, nullable=True, required=False),
        "attributed_by": pa.Column(str, nullable=True, required=False),
    }
    _same_columns(spec, _LEADS_REQUIRED)
    return pa.DataFrameSchema(
        spec,
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

    spec = {
        "date": pa.Column(_TS, nullable=False),
        "source": pa.Column(str, pa.Check.str_length(min_value=1), nullable=False),
        "campaign": pa.Column(str, pa.Check.str_length(min_value=1), nullable=False),
        "spend": pa.Column(float, pa.Check.ge(0), nullable=False),
        "clicks": pa.Column("Int64", pa.Check.ge(0), nullable=True, required=False),
        "impressions": pa.Column("Int64", pa.Check.ge(0), nullable=True, required=False),
    }
    _same_columns(spec, _SPEND_REQUIRED)
    return pa.DataFrameSchema(spec, strict=True, name="spend")


def _same_columns(spec: dict, required: dict[str, bool]) -> None:
    """The schema's columns are the listed ones, in order, required as listed."""
    got = {name: col.required for name, col in spec.items()}
    if list(got.items()) != list(required.items()):
        raise AssertionError(f"schema columns {got} differ from {required}")


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
