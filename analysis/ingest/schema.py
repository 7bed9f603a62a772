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

import pandas as pd
import pandera.pandas as pa

from analysis.base.errors import DataError, format_rows
from analysis.base.i18n import _, fmt_int

__all__ = [
    "QUALIFICATIONS",
    "QUALIFICATION_DTYPE",
    "UNKNOWN_SOURCE",
    "NO_CAMPAIGN",
    "LEADS_COLUMNS",
    "LEADS_REQUIRED",
    "SPEND_COLUMNS",
    "SPEND_REQUIRED",
    "LEADS_SCHEMA",
    "SPEND_SCHEMA",
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

_LEADS_SPEC: dict[str, pa.Column] = {
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

LEADS_COLUMNS = tuple(_LEADS_SPEC)

LEADS_REQUIRED = tuple(name for name, col in _LEADS_SPEC.items() if col.required)

LEADS_SCHEMA = pa.DataFrameSchema(
    _LEADS_SPEC,
    strict=True,
    checks=[
        pa.Check(
            lambda df: (df["converted"] == 1) | (df["revenue"].fillna(0) == 0),
            error="revenue of a lead that did not convert must be 0",
        ),
    ],
    name="leads",
)

_SPEND_SPEC: dict[str, pa.Column] = {
    "date": pa.Column(_TS, nullable=False),
    "source": pa.Column(str, pa.Check.str_length(min_value=1), nullable=False),
    "campaign": pa.Column(str, pa.Check.str_length(min_value=1), nullable=False),
    "spend": pa.Column(float, pa.Check.ge(0), nullable=False),
    "clicks": pa.Column("Int64", pa.Check.ge(0), nullable=True, required=False),
    "impressions": pa.Column("Int64", pa.Check.ge(0), nullable=True, required=False),
}

SPEND_COLUMNS = tuple(_SPEND_SPEC)

SPEND_REQUIRED = tuple(name for name, col in _SPEND_SPEC.items() if col.required)

SPEND_SCHEMA = pa.DataFrameSchema(_SPEND_SPEC, strict=True, name="spend")


def _validate(df: pd.DataFrame, schema: pa.DataFrameSchema, what: str) -> pd.DataFrame:
    try:
        return schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
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
    return _validate(leads, LEADS_SCHEMA, "leads")


def validate_spend(spend: pd.DataFrame) -> pd.DataFrame:
    """Check a canonical spend table; raise `DataError` naming the column if it fails."""
    return _validate(spend, SPEND_SCHEMA, "spend")
