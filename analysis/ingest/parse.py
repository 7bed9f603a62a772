"""Text cells of an export to typed values: dates (ISO, day-first, with or without
time), numbers (decimal comma, non-breaking-space thousands, currency signs) and yes/no
flags, each failure named by spreadsheet row and column.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis.base.i18n import n_
from analysis.ingest.problems import kind, kinded
from analysis.ingest.readers import RawTable

__all__ = ["parse_dates", "parse_numbers", "parse_flags"]

# --- parsing text into values -------------------------------------------------------

# with fractions of a second too (a database's or a script's export writes them:
# 2026-01-01 14:14:03.000742), kept to the second as every canonical time is
_ISO_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
)

_TIME_PARTS = (" %H:%M:%S", " %H:%M", "")


def _dmy_formats(dayfirst: bool) -> list[str]:
    out = []
    for sep in (".", "-", "/"):
        order = f"%d{sep}%m{sep}%Y" if dayfirst else f"%m{sep}%d{sep}%Y"
        out += [order + t for t in _TIME_PARTS]
    return out


def parse_dates(
    values: pd.Series,
    *,
    table: RawTable | None = None,
    column: str | None = None,
    dayfirst: bool = True,
    formats: list[str] | None = None,
) -> pd.Series:
    """Parse text dates (ISO, or day-first ``31.12.2026 [23:59[:59]]`` with ``.`` ``-`` ``/``).

    Blank text becomes NaT. Any other text that no format reads raises `DataError`
    with its rows. Returns ``datetime64[us]``.

    Examples
    --------
    >>> parse_dates(pd.Series(["05.02.2026 10:30", "2026-02-05", ""])).dt.day.tolist()
    [5.0, 5.0, nan]
    """
    text = values.astype(str).str.strip()
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    todo = text != ""
    for fmt in formats or (list(_ISO_FORMATS) + _dmy_formats(dayfirst)):
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        if "%f" in fmt:
            parsed = parsed.dt.floor("s")
        ok = parsed.notna()
        out.loc[ok[ok].index] = parsed[ok].astype("datetime64[us]")
        todo.loc[ok[ok].index] = False
    if todo.any():
        raise kinded(
            not_dates,
            file=table.label if table else None,
            rows=table.rows(todo) if table else None,
            column=column,
            n=int(todo.sum()),
            examples=list(text[todo].unique()[:5]),
            dayfirst=dayfirst,
        )
    return out


def _examples(values: list[str]) -> str:
    return ", ".join(repr(v) for v in values[:3])


@kind
def not_dates(n: int, examples: list[str], dayfirst: bool) -> str:
    if dayfirst:
        return n_(
            "{n} value(s) are not dates the kit can read, e.g. {examples}; expected ISO "
            "(2026-12-31) or day-first (31.12.2026), optionally with a time. Fix them or set "
            "`date_format:` for this input in the mapping profile.",
            "{n} value(s) are not dates the kit can read, e.g. {examples}; expected ISO "
            "(2026-12-31) or day-first (31.12.2026), optionally with a time. Fix them or set "
            "`date_format:` for this input in the mapping profile.",
            n,
            examples=_examples(examples),
        )
    return n_(
        "{n} value(s) are not dates the kit can read, e.g. {examples}; expected ISO "
        "(2026-12-31) or month-first (12/31/2026), optionally with a time. Fix them or set "
        "`date_format:` for this input in the mapping profile.",
        "{n} value(s) are not dates the kit can read, e.g. {examples}; expected ISO "
        "(2026-12-31) or month-first (12/31/2026), optionally with a time. Fix them or set "
        "`date_format:` for this input in the mapping profile.",
        n,
        examples=_examples(examples),
    )


@kind
def not_numbers(n: int, examples: list[str], decimal: str) -> str:
    return n_(
        "{n} value(s) are not numbers, e.g. {examples} (decimal mark {decimal}). Fix them "
        "or set `decimal:` for this input in the mapping profile.",
        "{n} value(s) are not numbers, e.g. {examples} (decimal mark {decimal}). Fix them "
        "or set `decimal:` for this input in the mapping profile.",
        n,
        examples=_examples(examples),
        decimal=repr(decimal),
    )


@kind
def not_flags(n: int, examples: list[str]) -> str:
    return n_(
        "{n} value(s) are not yes/no flags, e.g. {examples}; use 1/0, true/false or yes/no, "
        "or map the values in the profile",
        "{n} value(s) are not yes/no flags, e.g. {examples}; use 1/0, true/false or yes/no, "
        "or map the values in the profile",
        n,
        examples=_examples(examples),
    )


_NUMBER_JUNK = re.compile(r"[\s\xa0\u202f\u2009'’]|₽|руб\.?|р\.|rub|usd|eur|\$|€", re.IGNORECASE)


def parse_numbers(
    values: pd.Series,
    *,
    table: RawTable | None = None,
    column: str | None = None,
    decimal: str = ".",
) -> pd.Series:
    """Parse money and counts written as people write them.

    Handles space, non-breaking-space and apostrophe thousands, a decimal comma
    (``decimal=","``, then ``.`` is a thousands mark) and currency marks. Blank text
    becomes NaN; anything else unreadable raises `DataError` with its rows.

    Examples
    --------
    >>> parse_numbers(pd.Series(["1\\xa0234\\xa0567,89", "12,5", ""]), decimal=",").tolist()
    [1234567.89, 12.5, nan]
    >>> parse_numbers(pd.Series(["1,234.50", "-3"])).tolist()
    [1234.5, -3.0]
    """
    if decimal not in {".", ","}:
        raise ValueError("decimal must be '.' or ','")
    text = values.astype(str).str.strip()
    clean = text.str.replace(_NUMBER_JUNK, "", regex=True)
    thousands = "." if decimal == "," else ","
    grouped = clean.str.fullmatch(rf"[-+]?\d{{1,3}}(\{thousands}\d{{3}})+(\{decimal}\d*)?")
    clean = clean.where(~grouped, clean.str.replace(thousands, "", regex=False))
    if decimal == ",":
        clean = clean.str.replace(",", ".", regex=False)
    clean = clean.where(clean != "", None)
    out = pd.to_numeric(clean, errors="coerce").astype("float64")
    # "inf" and "nan" parse as floats but are no amount anybody wrote down
    bad = (out.isna() | np.isinf(out)) & (text != "")
    out = out.where(~bad)
    if bad.any():
        raise kinded(
            not_numbers,
            file=table.label if table else None,
            rows=table.rows(bad) if table else None,
            column=column,
            n=int(bad.sum()),
            examples=list(text[bad].unique()[:5]),
            decimal=decimal,
        )
    return out


_TRUE = {"1", "true", "yes", "y", "да", "t", "won", "1.0"}

_FALSE = {"0", "false", "no", "n", "нет", "f", "", "0.0"}


def parse_flags(
    values: pd.Series, *, table: RawTable | None = None, column: str | None = None
) -> pd.Series:
    """Parse yes/no text (1/0, true/false, yes/no, да/нет; blank is no) into int8 0/1."""
    text = values.astype(str).str.strip().str.lower()
    yes = text.isin(_TRUE)
    bad = ~(yes | text.isin(_FALSE))
    if bad.any():
        raise kinded(
            not_flags,
            file=table.label if table else None,
            rows=table.rows(bad) if table else None,
            column=column,
            n=int(bad.sum()),
            examples=list(values[bad].unique()[:5]),
        )
    return yes.astype("int8")
