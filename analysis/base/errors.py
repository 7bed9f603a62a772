"""Errors and warnings about input data.

`DataError` is raised when input cannot be used; its message names the file, the
row(s) and the column, and says what to do. `DataWarning` is issued where the data
are usable but a user should know something (unmatched spend, dropped personal data).
"""

from __future__ import annotations

from collections.abc import Iterable

from analysis.base.i18n import _, n_

__all__ = ["DataError", "DataErrors", "DataWarning", "format_rows"]


class DataError(ValueError):
    """Input data that the kit cannot use.

    Parameters
    ----------
    message : str
        What is wrong and what to do about it.
    file : str, optional
        The input file (or table) the problem is in.
    rows : iterable of int, optional
        1-based row numbers as a spreadsheet shows them (the header is row 1).
    column : str, optional
        The column as named in the input file.
    kind, args : str and dict, optional
        The message function and the arguments the message was made from (kept as
        ``kind`` and ``details``)
        (`analysis.ingest.problems.kinded`), so the problems of a file read in chunks
        merge into the problem a whole-file read reports.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        rows: Iterable[int] | None = None,
        column: str | None = None,
        kind: str | None = None,
        args: dict | None = None,
    ) -> None:
        self.kind = kind
        self.details = dict(args or {})
        self.file = file
        self.rows = sorted(set(int(r) for r in rows)) if rows is not None else []
        self.column = column
        self.problem = message
        where = []
        if file:
            where.append(_("file {file}", file=file))
        if self.rows:
            where.append(format_rows(self.rows))
        if column:
            where.append(_("column {column}", column=repr(column)))
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class DataErrors(DataError):
    """Several problems of the input found in one load, reported together so a user
    fixes them in one pass (each keeps its file, rows and column).

    Parameters
    ----------
    problems : list of DataError
    limit : int
        How many are written into the message (all are kept in ``problems``).
    """

    def __init__(self, problems: list[DataError], limit: int = 50) -> None:
        self.problems = list(problems)
        files = {p.file for p in self.problems}
        shown = [f"- {p}" for p in self.problems[:limit]]
        if len(self.problems) > limit:
            shown.append(_("- and {n} more", n=len(self.problems) - limit))
        n = len(self.problems)
        # each line names its own file, rows and column: no prefix for the whole
        head = n_(
            "{n} problems in the input; fix them all, then load again:",
            "{n} problems in the input; fix them all, then load again:",
            n,
        )
        super().__init__(head + "\n" + "\n".join(shown))
        self.file = files.pop() if len(files) == 1 else None


class DataWarning(UserWarning):
    """Input data are usable, but something in them needs a user's attention."""


def format_rows(rows: Iterable[int], limit: int = 10, total: int | None = None) -> str:
    """Describe row numbers briefly: ``row 5`` or ``rows 5, 9, 12 and 40 more``.

    ``total``: how many rows there are when ``rows`` holds only the first of them (a
    count made in SQL, with the first rows fetched).

    Examples
    --------
    >>> format_rows([3])
    'row 3'
    >>> format_rows(range(2, 15), limit=3)
    'rows 2, 3, 4 and 10 more'
    >>> format_rows([2, 3, 4], limit=3, total=13)
    'rows 2, 3, 4 and 10 more'
    """
    rows = sorted(set(int(r) for r in rows))
    count = len(rows) if total is None else int(total)
    if count == 1:
        return _("row {row}", row=rows[0])
    shown = ", ".join(str(r) for r in rows[:limit])
    more = count - limit
    if more > 0:
        return _("rows {rows} and {more} more", rows=shown, more=more)
    return _("rows {rows}", rows=shown)
