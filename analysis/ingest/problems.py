"""All the problems of a load at once: while `collecting`, the checks of every column
of every input record their `DataError` here and go on, and the load then raises one
`DataErrors` listing them all (each with its file, rows and column), so a user fixes
an export in one pass instead of meeting the next problem on every run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from analysis.base.errors import DataError, DataErrors

__all__ = ["collecting", "problem", "found", "PROBLEM_LIMIT"]

#: How many problems a message lists (every one is kept in ``DataErrors.problems``).
PROBLEM_LIMIT = 50

_FOUND: ContextVar[list[DataError] | None] = ContextVar("leadkit_problems", default=None)


def problem(exc: DataError) -> None:
    """Record ``exc`` while `collecting`; raise it otherwise."""
    found = _FOUND.get()
    if found is None:
        raise exc
    if isinstance(exc, DataErrors):
        found.extend(exc.problems)
    else:
        found.append(exc)


def found() -> int:
    """How many problems were recorded so far (0 when not collecting)."""
    got = _FOUND.get()
    return len(got) if got else 0


@contextmanager
def collecting() -> Iterator[None]:
    """Collect the problems recorded inside; on leaving, raise them together (one as
    itself, several as `DataErrors`). A `DataError` raised inside (a problem after
    which nothing can be checked) joins the ones recorded before it."""
    outer = _FOUND.get()
    if outer is not None:  # nested: the outer one reports
        yield
        return
    token = _FOUND.set([])
    try:
        try:
            yield
        except DataError as exc:
            problem(exc)
        got = list(_FOUND.get() or [])
    finally:
        _FOUND.reset(token)
    if len(got) == 1:
        raise got[0]
    if got:
        raise DataErrors(got, limit=PROBLEM_LIMIT)
