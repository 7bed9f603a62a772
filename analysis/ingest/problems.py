"""All the problems of a load at once: while `collecting`, the checks of every column
of every input record their `DataError` here and go on, and the load then raises one
`DataErrors` listing them all (each with its file, rows and column), so a user fixes
an export in one pass instead of meeting the next problem on every run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from analysis.base.errors import DataError, DataErrors

__all__ = [
    "collecting",
    "gathering",
    "problem",
    "found",
    "kind",
    "kinded",
    "merge_problems",
    "raise_all",
    "PROBLEM_LIMIT",
]

#: Example values a problem keeps (its message shows the first few).
EXAMPLE_LIMIT = 5

_KINDS: dict[str, Callable[..., str]] = {}


def kind(fn: Callable[..., str]) -> Callable[..., str]:
    """Register a problem's message function (see `kinded`): ``n`` is a count
    (summed over chunks), ``examples`` a list of values (the first kept), any other
    argument says what the problem is about."""
    _KINDS[fn.__name__] = fn
    return fn


def kinded(fn: Callable[..., str], *, file, rows, column, **args) -> DataError:
    """A `DataError` whose message is ``fn(**args)``, mergeable across chunks."""
    if _KINDS.get(fn.__name__) is not fn:
        raise ValueError(f"{fn.__name__} is not registered with problems.kind")
    if "examples" in args:
        args["examples"] = list(dict.fromkeys(args["examples"]))[:EXAMPLE_LIMIT]
    return DataError(fn(**args), file=file, rows=rows, column=column, kind=fn.__name__, args=args)


def _key(exc: DataError) -> tuple:
    if not exc.kind:
        return (str(exc),)
    about = tuple((k, v) for k, v in sorted(exc.details.items()) if k not in ("n", "examples"))
    return (exc.file, exc.column, exc.kind, about)


def merge_problems(chunks: Iterable[list[DataError]]) -> list[DataError]:
    """The problems of a file read in chunks, as a whole-file read reports them: the
    same kind of problem in the same column merged (counts summed, rows joined, the
    first examples), the same message once (`raise_all` puts them in order)."""
    merged: dict[tuple, DataError] = {}
    for problems in chunks:
        for exc in problems:
            key = _key(exc)
            if key not in merged:
                merged[key] = exc
            elif exc.kind:
                old = merged[key]
                args = dict(old.details)
                args["n"] = args.get("n", 0) + exc.details.get("n", 0)
                if "examples" in args:
                    args["examples"] = [*args["examples"], *exc.details.get("examples", [])]
                merged[key] = kinded(
                    _KINDS[exc.kind],
                    file=old.file,
                    rows=[*old.rows, *exc.rows],
                    column=old.column,
                    **args,
                )
    return list(merged.values())


def raise_all(problems: list[DataError]) -> None:
    """Raise ``problems`` as `collecting` does: one as itself, several together, in
    the order of the files, then of the first row each names (a problem of the whole
    file first), then of the column, whatever order the checks ran in (so a file read
    whole or in chunks lists them alike)."""
    files = list(dict.fromkeys(p.file for p in problems))
    problems = sorted(
        problems,
        key=lambda p: (files.index(p.file), p.rows[0] if p.rows else 0, p.column or "", str(p)),
    )
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise DataErrors(problems, limit=PROBLEM_LIMIT)


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
    raise_all(got)


@contextmanager
def gathering(into: list[DataError]) -> Iterator[None]:
    """As `collecting`, but the problems are appended to ``into`` and not raised (a
    streamed read gathers each chunk's, then merges them, `merge_problems`)."""
    token = _FOUND.set(into)
    try:
        yield
    except DataError as exc:
        problem(exc)
    finally:
        _FOUND.reset(token)
