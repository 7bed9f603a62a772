"""What a load learned on the way (unmatched spend, leads without a source, values
pseudonymised), collected as rows for the data audit.

A note that counts something (``8 of 13 lead(s) have no creation date (rows 2, 4, …)``)
is made by a message function registered with `counted` and keeps the arguments it was
made from, so the notes of a file read in chunks merge into the note a whole-file read
gives (`merge`): counts summed, row numbers joined, the file's lead count for
``total``. A note without arguments says the same in every chunk and appears once.

A counted note is added whether or not its count ``n`` is 0 (a zero one is not shown):
so every chunk lists the counted notes in the order the code makes them, and the
merged notes keep that order whichever chunks had something to say.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd

from analysis.base.i18n import language

__all__ = ["Notes", "counted", "merge", "share", "ROW_LIMIT"]

#: Row numbers a note keeps (as many as `analysis.base.errors.format_rows` shows).
ROW_LIMIT = 10

_COUNTED: dict[str, Callable[..., str]] = {}


def counted(fn: Callable[..., str]) -> Callable[..., str]:
    """Register a message function for `Notes.add_counted`. Its arguments are merged
    by kind: an int is a count (summed), a list holds row numbers (joined, the first
    `ROW_LIMIT` kept), ``total`` is the number of leads the note is about (the whole
    file's), ``example`` is a value shown (the first kept); any other (a column name, a
    flag) says what the note is about: notes differing in it are different notes."""
    _COUNTED[fn.__name__] = fn
    return fn


class Notes:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, severity: str, input_name: str, message: str) -> None:
        self.rows.append({"severity": severity, "input": input_name, "message": message})

    def add_counted(self, severity: str, input_name: str, fn: Callable[..., str], **args) -> None:
        """A note made by ``fn`` (registered with `counted`) from ``args``; shown when
        its count ``n`` is not 0."""
        if _COUNTED.get(fn.__name__) is not fn:
            raise ValueError(f"{fn.__name__} is not registered with notes.counted")
        args = {k: sorted(v)[:ROW_LIMIT] if isinstance(v, list) else v for k, v in args.items()}
        self.rows.append(
            {
                "severity": severity,
                "input": input_name,
                "message": fn(**args) if args.get("n", 1) else "",
                "counted": fn.__name__,
                "args": args,
            }
        )

    def frame(self) -> pd.DataFrame:
        """The notes shown (counted notes with a count of 0 left out)."""
        return pd.DataFrame(
            [r for r in self.rows if _shown(r)], columns=["severity", "input", "message"]
        )


def share(x: float) -> str:
    """A share as a note writes it: ``1.1%`` (``1,1 %`` in Russian, with the decimal
    comma and the no-break space before % of the pages' rates)."""
    text = f"{x:.1%}"
    return text if language() == "en" else text.replace(".", ",").replace("%", "\u00a0%")


def _shown(note: dict) -> bool:
    return not note.get("counted") or note["args"].get("n", 1) != 0


def _key(note: dict) -> tuple:
    if not note.get("counted"):
        return (note["severity"], note["input"], note["message"])
    about = tuple(
        (k, v)
        for k, v in sorted(note["args"].items())
        if k not in ("total", "example") and (isinstance(v, bool) or not isinstance(v, int | list))
    )
    return (note["severity"], note["input"], note["counted"], about)


def merge(
    chunks: Iterable[list[dict]], total: int, final: dict[str, dict] | None = None
) -> list[dict]:
    """The notes of a file read in chunks, as a read of the whole file gives them.

    Counted notes of the same function are merged argument by argument (see
    `counted`); ``total`` is the file's number of leads; ``final`` replaces arguments
    by function name where only the whole file can tell (joined rows no lead matched).
    Other notes appear once. A note first made by a later chunk goes after the note it
    follows in that chunk, so the order is the whole-file read's wherever a chunk
    shows it.
    """
    order: list[tuple] = []
    merged: dict[tuple, dict] = {}
    for notes in chunks:
        after = -1  # the position of this chunk's previous note in ``order``
        for note in notes:
            key = _key(note)
            if key not in merged:
                merged[key] = {**note, "args": dict(note.get("args") or {})}
                order.insert(after + 1, key)
            elif note.get("counted"):
                args = merged[key]["args"]
                for name, value in note["args"].items():
                    if isinstance(value, bool):
                        continue
                    if isinstance(value, int):
                        args[name] = args[name] + value
                    elif isinstance(value, list):
                        args[name] = sorted(args[name] + value)[:ROW_LIMIT]
            after = order.index(key)
    out = []
    for key in order:
        note = merged[key]
        if note.get("counted"):
            args = note["args"]
            if "total" in args:
                args["total"] = int(total)
            args.update((final or {}).get(note["counted"], {}))
            if not _shown(note):
                continue
            note = {**note, "message": _COUNTED[note["counted"]](**args)}
        else:
            note = {k: v for k, v in note.items() if k != "args"}
        out.append(note)
    return out
