"""Exports that are not CSV or a workbook: an HTML table saved as ``.xls`` (Bitrix24's
«Excel» export) and a JSON API response (VK Ads statistics).

Both give plain rows of text; `analysis.ingest.readers.read_table` finds the header,
drops title and totals rows and numbers the rows as for any other table.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

from analysis.base.errors import DataError
from analysis.base.i18n import _

__all__ = ["html_rows", "json_records", "looks_like_html", "record_paths"]

_BR = "\x1e"  # a <br> while a cell is collected; a line break once blank space is collapsed
_SPACE = re.compile(r"[ \t\n\r\f\v]+")  # not U+00A0: &nbsp; stays in money like 240 000


def looks_like_html(head: bytes) -> bool:
    """True when a file's first bytes are markup: after a BOM and blank space it starts
    with ``<``, or it has a ``<table`` tag."""
    text = head.lstrip(b"\xef\xbb\xbf").lstrip(b"\xff\xfe").lstrip(b"\xfe\xff")
    if b"\x00" in text[:200]:  # UTF-16 markup
        text = text.replace(b"\x00", b"")
    return text.lstrip().startswith(b"<") or b"<table" in text.lower()


class _TableParser(HTMLParser):
    """The rows of the first ``<table>``: each a list of (text, is_th)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[tuple[str, bool]]] = []
        self.depth = 0  # of <table> tags; only depth 1 is read
        self.done = False
        self.row: list[tuple[str, bool]] | None = None
        self.cell: list[str] | None = None
        self.is_th = False
        self.span = 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if tag == "table":
            self.depth += 1
            return
        if self.depth != 1:
            if tag == "br" and self.cell is not None:
                self.cell.append(_BR)
            return
        if tag == "tr":
            self._end_row()
            self.row = []
        elif tag in ("td", "th"):
            self._end_cell()
            if self.row is None:
                self.row = []
            self.cell, self.is_th = [], tag == "th"
            span = dict(attrs).get("colspan") or "1"
            self.span = int(span) if span.isdigit() and 0 < int(span) < 1000 else 1
        elif tag == "br" and self.cell is not None:
            self.cell.append(_BR)

    def handle_endtag(self, tag: str) -> None:
        if self.done:
            return
        if tag == "table":
            self.depth -= 1
            if self.depth == 0:
                self._end_row()
                self.done = True
        elif self.depth == 1 and tag in ("td", "th"):
            self._end_cell()
        elif self.depth == 1 and tag == "tr":
            self._end_row()

    def handle_data(self, data: str) -> None:
        if self.cell is not None and not self.done:
            self.cell.append(data)

    def _end_cell(self) -> None:
        if self.cell is None or self.row is None:
            return
        pieces = "".join(self.cell).split(_BR)
        text = "\n".join(_SPACE.sub(" ", p).strip(" ") for p in pieces).strip("\n")
        self.row.append((text, self.is_th))
        self.row.extend(("", self.is_th) for _ in range(self.span - 1))
        self.cell, self.span = None, 1

    def _end_row(self) -> None:
        self._end_cell()
        if self.row is not None:
            self.rows.append(self.row)
        self.row = None


def html_rows(text: str, label: str = "input") -> tuple[list[list[str]], int | None]:
    """The rows of the first HTML table as text, and the index of the first row made
    of ``<th>`` cells (None when there is none).

    Cell text has its entities decoded and its blank space collapsed; ``&nbsp;`` stays
    U+00A0 and ``<br>`` a line break.

    Examples
    --------
    >>> html_rows("<table><tr><th>ID</th><th>Сумма</th></tr>"
    ...           "<tr><td>1</td><td>240&nbsp;000</td></tr></table>")
    ([['ID', 'Сумма'], ['1', '240\\xa0000']], 0)
    """
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    parser._end_row()
    if not parser.rows and parser.depth == 0 and not parser.done:
        raise DataError(_("the file is HTML but has no <table>; export the list again"), file=label)
    rows = [[t for t, _ in row] for row in parser.rows]
    th = next((i for i, row in enumerate(parser.rows) if row and all(h for _, h in row)), None)
    return rows, th


# -- JSON --------------------------------------------------------------------------


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def record_paths(obj: Any) -> list[str]:
    """Every chain of lists of objects from the top of a JSON document, as
    ``items[].rows[]``; a chain ends where its records hold no further list of objects.

    Examples
    --------
    >>> record_paths({"items": [{"id": 1, "rows": [{"date": "2026-03-01"}]}], "total": {}})
    ['items[].rows[]']
    """
    if _is_records(obj):
        return ["[]"]  # a top-level list of records is the table
    return _dict_paths(obj, "") if isinstance(obj, dict) else []


def _dict_paths(obj: dict, prefix: str) -> list[str]:
    out: list[str] = []
    for key, value in obj.items():
        here = f"{prefix}{key}"
        if _is_records(value):
            below = _paths_below(value)
            if below:
                out.extend(f"{here}[].{p}" for p in below)
            else:
                out.append(f"{here}[]")
        elif isinstance(value, dict):
            out.extend(_dict_paths(value, here + "."))
    return out


def _paths_below(records: list[dict]) -> list[str]:
    found: dict[str, None] = {}
    for rec in records:
        for p in _dict_paths(rec, ""):
            found.setdefault(p, None)
    return list(found)


def _parse_path(path: str, label: str) -> list[tuple[str, bool]]:
    steps: list[tuple[str, bool]] = []
    for part in path.split("."):
        is_list = part.endswith("[]")
        key = part[:-2] if is_list else part
        if not key and not (is_list and not steps):
            raise DataError(
                _(
                    "`records: {path}` is not a path like items[].rows[] (names joined by "
                    "dots, [] after each list)",
                    path=path,
                ),
                file=label,
            )
        steps.append((key, is_list))
    if not steps[-1][1]:
        raise DataError(
            _(
                "`records: {path}` must end at a list of records, written with [] "
                "(e.g. items[].rows[])",
                path=path,
            ),
            file=label,
        )
    return steps


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _flatten(obj: dict, prefix: str, out: dict[str, str], scalars_only: bool = False) -> None:
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if not scalars_only:
                _flatten(value, name + ".", out)
        elif isinstance(value, list) and scalars_only:
            continue
        else:
            out[name] = _text(value)


def json_records(
    data: bytes, records: str | None = None, label: str = "input"
) -> tuple[list[str], list[list[str]], str]:
    """The records of a JSON export as columns and rows of text.

    Parameters
    ----------
    data : bytes
        The file (UTF-8, -16 or -32, a BOM allowed).
    records : str, optional
        Where the records are: ``items[].rows[]`` (each ``rows`` entry of each
        ``items`` entry). By default a top-level list of objects, or the only chain of
        lists of objects from the top.

    Returns
    -------
    (columns, rows, path)
        Nested objects are flattened with dots (``base.spent``); the scalar fields of
        the records' parents are carried as ``items.id``; every value is text (numbers
        and true/false as JSON writes them, null blank, lists as JSON).
    """
    try:
        obj = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        if isinstance(exc, json.JSONDecodeError):
            message = _(
                "not a valid JSON file (line {line}, column {column}: {error})",
                line=exc.lineno,
                column=exc.colno,
                error=exc.msg,
            )
        else:
            message = _("not a valid JSON file ({error})", error=exc)
        raise DataError(message, file=label) from None
    if records is None:
        paths = record_paths(obj)
        if not paths:
            raise DataError(
                _(
                    "the JSON file has no list of records (objects); set `records:` for this "
                    "input in the mapping profile"
                ),
                file=label,
            )
        if len(paths) > 1:
            raise DataError(
                _(
                    "the JSON file has several lists of records: {paths}; set `records:` for "
                    "this input in the mapping profile to the one to read (e.g. records: "
                    "{first})",
                    paths=", ".join(map(repr, paths)),
                    first=paths[0],
                ),
                file=label,
            )
        records = paths[0]
    steps = _parse_path(records, label)
    out: list[dict[str, str]] = []
    _walk(obj, steps, "", {}, out, records, label)
    if not out:
        raise DataError(_("the JSON file has no records at {path}", path=records), file=label)
    columns: dict[str, None] = {}
    for rec in out:
        for key in rec:
            columns.setdefault(key, None)
    names = list(columns)
    return names, [[rec.get(c, "") for c in names] for rec in out], records


def _walk(node, steps, prefix, carried, out, path, label) -> None:
    (key, is_list), rest = steps[0], steps[1:]
    value = node.get(key) if isinstance(node, dict) and key else node
    if isinstance(node, dict) and key and key not in node:
        return  # this parent has no such list: no records from it
    name = f"{prefix}{key}" if key else prefix.rstrip(".")
    if not is_list:
        if not isinstance(value, dict):
            raise DataError(
                _("{name} in the JSON file is not an object ({path})", name=repr(name), path=path),
                file=label,
            )
        _walk(value, rest, f"{name}.", carried, out, path, label)
        return
    if not isinstance(value, list):
        if not name:
            message = _("'the top' in the JSON file is not a list ({path})", path=path)
        else:
            message = _(
                "{name} in the JSON file is not a list ({path})", name=repr(name), path=path
            )
        raise DataError(message, file=label)
    for item in value:
        if not isinstance(item, dict):
            if not name:
                message = _(
                    "'the top' in the JSON file holds {kind} values, not records ({path})",
                    kind=type(item).__name__,
                    path=path,
                )
            else:
                message = _(
                    "{name} in the JSON file holds {kind} values, not records ({path})",
                    name=repr(name),
                    kind=type(item).__name__,
                    path=path,
                )
            raise DataError(message, file=label)
        if rest:
            mine = dict(carried)
            _flatten(item, f"{name}." if name else "", mine, scalars_only=True)
            _walk(item, rest, "", mine, out, path, label)
        else:
            rec = dict(carried)
            _flatten(item, "", rec)
            out.append(rec)
