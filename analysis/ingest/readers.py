"""Reading export files as they really come: CSV in several encodings and dialects,
Excel, an HTML table saved as ``.xls``, JSON and Parquet, all as text.

Everything is read as text first and parsed later (`analysis.ingest.parse`), on
purpose: pandas' own number and date parsing silently leaves "1 234,50" a string or
swaps day and month. Every problem raises `DataError` naming the file and the rows as a
spreadsheet numbers them (a CSV's every line-record counts, blank lines included; a
multi-line quoted cell is one row).

A table's header is found past the title lines exports put above it (the Direct
report's quoted name and period, the Google Ads report's title and date range), and
totals rows at the end (``Итого``, ``Total: Account``, ``Total rows: 183``) are dropped;
both with a note. A repeated header name keeps its first column as ``name`` and names
the later ones ``name [2]``, ``name [3]``.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import re
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.base.errors import DataError, format_rows
from analysis.base.i18n import N_, _, fmt_int, n_
from analysis.ingest.formats import html_rows, json_records, looks_like_html

__all__ = [
    "RawTable",
    "read_table",
    "iter_table",
    "detect_encoding",
    "detect_delimiter",
    "file_sha256",
    "FOOTER_PATTERNS",
]

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}

HTML_SUFFIXES = {".xls", ".html", ".htm"}

JSON_SUFFIXES = {".json"}

PARQUET_SUFFIXES = {".parquet", ".pq"}

DELIMITERS = (",", ";", "\t")

#: Single-byte encodings a non-UTF-8 export may be in (Russian Windows, old Unix and
#: DOS tools, old Macs; Western Windows).
PLAUSIBLE_ENCODINGS = ("cp1251", "koi8_r", "cp866", "mac_cyrillic", "cp1252", "latin_1")

#: A trailing row whose first non-empty cell matches one of these is a totals row.
FOOTER_PATTERNS = (r"^(Итого|Всего)\b", r"^Total rows:", r"^Total:", r"^Total$")
_FOOTER = [re.compile(p, re.IGNORECASE) for p in FOOTER_PATTERNS]
_TOTAL_ROWS = re.compile(r"^Total rows:\s*(\d+)\s*$", re.IGNORECASE)

#: Rows looked at to find the header: candidates among the first 50, the field counts
#: of up to 200.
HEADER_SEARCH_ROWS = 50
_HEAD_RECORDS = 200
_HEAD_CHARS = 1 << 20
#: Trailing records kept while reading, to find the totals block at the end.
_TAIL = 1000

# A valid multi-byte UTF-8 sequence. cp1251 Cyrillic text almost never forms one,
# so a file that fails to decode as UTF-8 but is full of them is broken UTF-8.
_UTF8_SEQ = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)

#: The message of a file with nothing but blank space.
NO_ROWS = N_("the file has no rows (only blank space); export it again")

#: The message of a file whose header has nothing under it.
NO_DATA_ROWS = N_("the file has a header but no data rows")

#: The message of an empty file.
EMPTY_FILE = N_("the file is empty (0 bytes); export it again")

#: The message of a file that is not where the profile or --input says.
NOT_FOUND = N_("input {name}: file not found at {path}")

#: The messages of a Parquet file that cannot be read, or holds no row.
NOT_PARQUET = N_("not a readable Parquet file ({kind}: {error})")
NO_PARQUET_ROWS = N_("the Parquet file has no rows")

_LINE_END = re.compile(r"\r\n|\r|\n")
_DUP_SUFFIX = re.compile(r" \[\d+\]$")


def _no_rows() -> np.ndarray:
    return np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class RawTable:
    """An input file read as text.

    Attributes
    ----------
    name : str
        The input's name in the mapping profile (``crm``, ``spend``, ...).
    path : Path
        Where it was read from.
    frame : DataFrame
        Every column as text (pandas ``str``), blanks as empty strings.
    first_row : int
        The row number of ``frame``'s first record as a spreadsheet shows the file
        (``row_numbers[0]``; 2 for a CSV whose row 1 is the header; 1 for Parquet and JSON).
    encoding, delimiter : str or None
        What was detected (CSV and HTML).
    sha256 : str
        Hash of the file's bytes, for the audit trail.
    notes : tuple of str
        What the reader did to the file (title and totals rows dropped, ...).
    row_numbers : ndarray of int64
        For each row of ``frame``, its row number as a spreadsheet shows it (the header
        row has its own number; blank lines and title rows count). For JSON, the
        record's 1-based position.
    duplicates : dict
        Header names that appear more than once, and how many times.
    header_row : int or None
        The header's row number (None for Parquet and JSON).
    """

    name: str
    path: Path
    frame: pd.DataFrame
    first_row: int = 2
    encoding: str | None = None
    delimiter: str | None = None
    sha256: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    row_numbers: np.ndarray = field(default_factory=_no_rows)
    duplicates: dict[str, int] = field(default_factory=dict)
    header_row: int | None = None

    def __post_init__(self) -> None:
        if len(self.row_numbers) != len(self.frame):
            numbers = np.arange(len(self.frame), dtype=np.int64) + self.first_row
            object.__setattr__(self, "row_numbers", numbers)

    @property
    def label(self) -> str:
        return self.path.name

    def rows(self, mask) -> list[int]:
        """File row numbers of the records where ``mask`` is true."""
        idx = np.flatnonzero(np.asarray(mask, dtype=bool))
        return [int(r) for r in self.row_numbers[idx]]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# -- encodings ---------------------------------------------------------------------


def detect_encoding(data: bytes, label: str = "input") -> str:
    """Tell the text encoding of a file's bytes.

    In this order: a BOM (UTF-8, UTF-16 LE/BE); UTF-16 without a BOM, from where its
    NUL bytes fall; valid UTF-8; else the one of `PLAUSIBLE_ENCODINGS` that
    ``charset_normalizer`` finds clearly best.

    Raises `DataError` for UTF-8 with broken bytes (naming the line of the first bad
    byte), and for a file whose encoding is not clear (naming the candidates, and how
    the first unreadable word reads in each).

    Examples
    --------
    >>> detect_encoding("Горячий лид, тёплый лид".encode("cp1251"))
    'cp1251'
    >>> detect_encoding("Горячий лид, тёплый лид".encode("koi8_r"))
    'koi8-r'
    >>> detect_encoding("\\ufeffDate".encode("utf-8"))
    'utf-8-sig'
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    utf16 = _utf16_without_bom(data)
    if utf16:
        return utf16
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        bad_at = exc.start
    line = data.count(b"\n", 0, bad_at) + 1
    head = data[: 1 << 22]  # the heuristics look at the first 4 MiB
    non_ascii = len(head) - len(re.sub(rb"[\x80-\xff]", b"", head))
    in_utf8_seqs = sum(len(m) for m in _UTF8_SEQ.findall(head))
    if non_ascii and in_utf8_seqs / non_ascii > 0.5:
        raise DataError(
            _(
                "the file is UTF-8 but has bytes that are not valid UTF-8 (first at line "
                "{line}, byte {byte}); it was probably damaged or edited in another encoding. "
                "Export it again, or re-save it as UTF-8.",
                line=line,
                byte=bad_at,
            ),
            file=label,
        )
    return _single_byte_encoding(head, bad_at, line, non_ascii, label)


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le`` or ``-be`` when NUL bytes fill one half of the byte pairs (the
    high bytes of ASCII characters) and hardly ever the other."""
    head = data[:8192]
    n = len(head) // 2
    if n < 4:
        return None
    even, odd = head[0 : 2 * n : 2].count(0), head[1 : 2 * n : 2].count(0)
    if odd >= 0.1 * n and even * 10 <= odd:
        enc = "utf-16-le"
    elif even >= 0.1 * n and odd * 10 <= even:
        enc = "utf-16-be"
    else:
        return None
    try:
        codecs.getincrementaldecoder(enc)().decode(head, final=False)
    except UnicodeDecodeError:
        return None
    return enc


_RUSSIAN = re.compile(r"^[А-ЯЁ]*[а-яё]*$|^[А-ЯЁ][а-яё]+$")
_PUNCT = set("«»№—–\xa0’‘“”„…€₽°·•")


def _plausible(text: str) -> float:
    """The share of a decoded text's non-ASCII characters that read right: Russian
    words (Cyrillic only, no capital after a small letter), Latin words with accented
    letters, and the usual typographic signs."""
    good = bad = 0
    for m in re.finditer(r"[^\W\d_]+|[^\x00-\x7f]", text):
        word = m.group()
        n = sum(1 for ch in word if ord(ch) > 0x7F)
        if not n:
            continue
        if len(word) == 1 and not word.isalpha():
            good, bad = (good + 1, bad) if word in _PUNCT else (good, bad + 1)
        elif _RUSSIAN.match(word) or (
            any(ch.isascii() for ch in word)
            and all(ch.isascii() or "\u00c0" <= ch <= "\u00ff" for ch in word)
        ):
            good += n
        else:
            bad += n
    return good / (good + bad) if good + bad else 0.0


def _single_byte_encoding(head: bytes, bad_at: int, line: int, non_ascii: int, label: str) -> str:
    """The plausible single-byte encoding that reads the text right, when one clearly
    does; ``charset_normalizer``'s measure of mess breaks ties."""
    from charset_normalizer import from_bytes

    sample = head[: 1 << 16]
    chaos = {
        codecs.lookup(m.encoding).name: m.chaos
        for m in from_bytes(sample, cp_isolation=list(PLAUSIBLE_ENCODINGS))
    }
    readings: dict[str, str] = {}  # decoded text -> first encoding giving it
    for enc in PLAUSIBLE_ENCODINGS:
        name = codecs.lookup(enc).name
        try:
            readings.setdefault(sample.decode(name), name)
        except UnicodeDecodeError:
            continue
    ranked = sorted(
        ((_plausible(text), -chaos.get(name, 1.0), name) for text, name in readings.items()),
        reverse=True,
    )
    names = [name for _, _, name in ranked]
    best = ranked[0] if ranked else (0.0, -1.0, "")
    rival = ranked[1] if len(ranked) > 1 else (0.0, -1.0, "")
    if non_ascii >= 4 and best[0] >= 0.9 and best[0] - rival[0] >= 0.1:
        return best[2]
    start = max(
        head.rfind(b" ", 0, bad_at), head.rfind(b",", 0, bad_at), head.rfind(b";", 0, bad_at)
    )
    end = len(head)
    for stop in (b" ", b",", b";", b"\t", b"\n", b"\r"):
        at = head.find(stop, bad_at)
        if at != -1:
            end = min(end, at)
    word = head[start + 1 : min(end, bad_at + 24)]
    shown = names[:4]
    could_be = ", ".join(f"{e} ({word.decode(e, errors='replace')!r})" for e in shown)
    raise DataError(
        _(
            "cannot tell the file's text encoding: it is not UTF-8 (first non-UTF-8 byte at "
            "line {line}), and it could be {could_be}. Set `encoding:` for this input in the "
            "mapping profile to the one that reads right, or re-save the file as UTF-8.",
            line=line,
            could_be=could_be,
        ),
        file=label,
    )


def _decode(data: bytes, enc: str, label: str) -> str:
    try:
        text = data.decode(enc)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DataError(
            _("cannot decode the file as {encoding}: {error}", encoding=enc, error=exc),
            file=label,
        ) from None
    return text.lstrip("\ufeff")


# -- finding the header ----------------------------------------------------------


class _Lines:
    """Lines of a text with their end offsets, for `csv.reader` (which reads one line
    at a time): after each record, ``pos`` is where the next one starts."""

    def __init__(self, text: str, limit: int | None = None) -> None:
        self.text = text
        self.pos = 0
        self.limit = len(text) if limit is None else min(limit, len(text))
        self._ends = _LINE_END.finditer(text, 0, self.limit)

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.pos >= self.limit:
            raise StopIteration
        m = next(self._ends, None)
        end = m.end() if m else self.limit
        line, self.pos = self.text[self.pos : end], end
        return line


@contextlib.contextmanager
def _big_fields() -> Iterator[None]:
    """A multi-line note in a CRM export can be longer than the csv module's default
    field limit (128 KiB)."""
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, 1 << 30))
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _head_records(text: str, delim: str, until: int = 0) -> tuple[list[list[str]], list[int]]:
    """The first records of a text and the offset each one ends at."""
    lines = _Lines(text)
    records, ends = [], []
    with _big_fields():
        reader = csv.reader(lines, delimiter=delim, strict=False)
        for rec in reader:
            records.append(rec)
            ends.append(lines.pos)
            if len(records) >= max(_HEAD_RECORDS, until + 1) or (
                lines.pos > _HEAD_CHARS and len(records) > until
            ):
                break
    return records, ends


def _cell(text: str) -> str:
    return text.strip().lstrip("\ufeff").strip()


def _blank(rec: Sequence[str]) -> bool:
    return not any(c.strip() for c in rec)


def _first_cell(rec: Sequence[str]) -> str:
    for c in rec:
        c = _cell(c)
        if c:
            return c
    return ""


def _width(rec: Sequence[str], trimmed: bool) -> int:
    if not trimmed:
        return len(rec)
    n = len(rec)
    while n and not rec[n - 1].strip():
        n -= 1
    return n


def _expected(expect: Iterable[str] | None) -> set[str]:
    return {_DUP_SUFFIX.sub("", str(e)).strip().casefold() for e in expect or ()} - {""}


def _find_header(
    records: list[list[str]],
    *,
    header_row: int | None,
    expect: Iterable[str] | None,
    trimmed: bool,
    th_row: int | None = None,
    label: str = "input",
) -> tuple[int, int]:
    """(index of the header record, how many expected names it holds)."""
    names = _expected(expect)
    if header_row is not None:
        i = int(header_row) - 1
        if i < 0 or i >= len(records) or _blank(records[i]):
            if i >= len(records):
                message = _(
                    "`header_row: {row}` is past the end of the file; set it to the row "
                    "number (as a spreadsheet shows it) of the row that names the columns",
                    row=header_row,
                )
            else:
                message = _(
                    "`header_row: {row}` is blank; set it to the row number (as a "
                    "spreadsheet shows it) of the row that names the columns",
                    row=header_row,
                )
            raise DataError(message, file=label)
        return i, sum(1 for c in set(map(_cell, records[i])) if c.casefold() in names)
    if names:
        best, best_k = -1, 0
        for i, rec in enumerate(records[:HEADER_SEARCH_ROWS]):
            k = sum(1 for c in {_cell(c).casefold() for c in rec} if c in names)
            if k > best_k:
                best, best_k = i, k
        if best_k:
            return best, best_k
    if th_row is not None:
        return th_row, 0
    # a row's width: its fields, and its fields up to the last filled one (a workbook
    # leaves blank cells out; some tools end data lines with a delimiter)
    raw = [None if _blank(r) else len(r) for r in records]
    cut = [None if _blank(r) else _width(r, True) for r in records]
    filled = [sum(1 for c in r if c.strip()) for r in records]
    for i in range(min(len(records), HEADER_SEARCH_ROWS)):
        if raw[i] is None or filled[i] < 2:
            continue
        if not any(w is not None for w in raw[i + 1 :]):
            return i, 0
        if (not trimmed and raw[i] in _modes(raw[i + 1 :])) or cut[i] in _modes(cut[i + 1 :]):
            return i, 0
        if trimmed and (cut[i] or 0) > max(_modes(cut[i + 1 :])):
            return i, 0
    for i, n in enumerate(filled):
        if n >= 2:
            return i, 0
    for i, w in enumerate(raw):
        if w is not None:
            return i, 0
    raise DataError(_(NO_ROWS), file=label)


def _modes(widths: Sequence[int | None]) -> set[int]:
    """The most common widths (all of those equally common)."""
    counts = Counter(w for w in widths if w is not None)
    top = max(counts.values())
    return {w for w, n in counts.items() if n == top}


@dataclass
class _Layout:
    delimiter: str
    header: int  # index of the header record (its row number - 1)
    records: list[list[str]]  # the first records, from row 1
    ends: list[int]  # the text offset each ends at


def _layout(
    text: str,
    label: str,
    delimiter: str | None,
    header_row: int | None,
    expect: Iterable[str] | None,
) -> _Layout:
    """The delimiter and header row: for each delimiter, find the header, and keep the
    one whose header and rows below it agree on the most fields."""
    until = int(header_row) if header_row else 0
    best: tuple[tuple[int, bool, int, int, int, int], _Layout] | None = None
    for rank, delim in enumerate([delimiter] if delimiter else DELIMITERS):
        records, ends = _head_records(text, delim, until)
        h, k = _find_header(
            records, header_row=header_row, expect=expect, trimmed=False, label=label
        )
        width = len(records[h])
        below = [r for r in records[h + 1 :] if not _blank(r)]
        same = sum(1 for r in below if len(r) == width)
        # title lines may hold another delimiter (a comma in a ';' table's title): read
        # with it, a title looks like a header, and the real header like a row of one
        # field. A table is the block below its header, so the delimiter under which
        # every row below the header has its width (the last one aside: a totals line)
        # comes first, then the most agreeing fields, then the fewest rows that
        # disagree, then the fewest blank names in the header. (A header of one field
        # agrees with anything: it never wins so.)
        clean = width > 1 and all(len(r) == width for r in below[:-1])
        agree = same - len(below) if width > 1 else -len(records)
        named = -sum(1 for c in records[h] if not c.strip())  # blank header names
        score = (k, clean, same * (width - 1), agree, named, -rank)
        if best is None or score > best[0]:
            best = (score, _Layout(delim, h, records, ends))
    assert best is not None  # noqa: S101 - DELIMITERS is not empty
    layout = best[1]
    if not delimiter and len(layout.records[layout.header]) < 2:
        raise DataError(
            _(
                "cannot find the column delimiter (expected ',', ';' or tab): no row has two "
                "or more fields; is this a CSV export? Set `delimiter:` for this input in the "
                "mapping profile."
            ),
            file=label,
            rows=[layout.header + 1],
        )
    return layout


def detect_delimiter(text: str, label: str = "input") -> str:
    """Pick the delimiter (``,`` ``;`` or tab) of a CSV text, judged on its header row
    (found past title lines) and the rows below it."""
    return _layout(text.lstrip("\ufeff"), label, None, None, None).delimiter


# -- the rows after the header: a survey, then a plan ----------------------------


@dataclass
class _Survey:
    """What one pass over the records after the header saw."""

    counts: np.ndarray  # fields per record
    odd: list[tuple[int, int, bool, bool]]  # (index, fields, blank, values past header)
    tail: list[tuple[int, list[str]]]
    matched: list[tuple[int, str]]  # records whose first cell matches drop_rows
    valued: dict[int, list[int]]  # blank-named column -> records with a value in it
    nul: list[int] = field(default_factory=list)  # records that held NUL characters
    nul_count: int = 0  # NUL characters removed from them


def _survey(
    records: Iterable[list[str]],
    width: int,
    named: int,
    blank_names: list[int],
    patterns: list[re.Pattern],
    nul: _NulLines | None = None,
) -> _Survey:
    """One pass over ``records``; ``nul``, the lines they are parsed from, marks the
    records that held NUL characters."""
    odd: list[tuple[int, int, bool, bool]] = []
    nul_rows: list[int] = []
    tail: deque[tuple[int, list[str]]] = deque(maxlen=_TAIL)
    matched: list[tuple[int, str]] = []
    valued: dict[int, list[int]] = {j: [] for j in blank_names}

    def fields() -> Iterator[int]:
        for i, rec in enumerate(records):
            n = len(rec)
            tail.append((i, rec))
            if n < named or n > width:
                odd.append((i, n, _blank(rec), any(c.strip() for c in rec[width:])))
            for j in blank_names:
                if j < n and rec[j].strip() and len(valued[j]) < 50:
                    valued[j].append(i)
            if patterns and n:
                first = _first_cell(rec)
                if first and any(p.search(first) for p in patterns):
                    matched.append((i, first))
            if nul is not None and nul.seen:
                nul_rows.append(i)
                nul.seen = False
            yield n

    with _big_fields():
        counts = np.fromiter(fields(), dtype=np.int64)
    if nul is not None and nul.seen:  # NULs after the last record: the row after it
        nul_rows.append(len(counts))
    return _Survey(
        counts, odd, list(tail), matched, valued, nul_rows, nul.count if nul is not None else 0
    )


@dataclass
class _Plan:
    names: list[str]  # one per kept column
    keep: list[int]  # positions of the kept columns
    drop: np.ndarray  # record indices to drop (totals, drop_rows)
    notes: list[str]
    duplicates: dict[str, int]
    width: int  # columns to read (the most fields any record has)


def _quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return "'" + (text if len(text) <= limit else text[: limit - 1] + "…") + "'"


def _ranges(rows: Sequence[int], limit: int = 10) -> str:
    rows = sorted(set(rows))
    parts: list[str] = []
    start = prev = rows[0]
    for r in [*rows[1:], None]:
        if r is not None and r == prev + 1:
            prev = r
            continue
        parts.append(f"{start}-{prev}" if prev > start else str(start))
        if r is not None:
            start = prev = r
    more = len(parts) - limit
    text = ", ".join(parts[:limit])
    if len(rows) == 1:
        return _("row {row}", row=text)
    if more > 0:
        return _("rows {rows} and {more} more", rows=text, more=fmt_int(more))
    return _("rows {rows}", rows=text)


def _dedupe(names: list[str]) -> tuple[list[str], dict[str, int]]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} [{seen[name]}]")
    return out, {n: k for n, k in seen.items() if k > 1}


def _title_note(records: list[list[str]], header: int) -> list[str]:
    titles = [r for r in records[:header] if not _blank(r)]
    if not titles:
        return []
    return [
        n_(
            "dropped {n} title row(s) above the header (row {row}): {first}",
            "dropped {n} title row(s) above the header (row {row}): {first}",
            len(titles),
            row=header + 1,
            first=_quote(_first_cell(titles[0])),
        )
    ]


def _plan(
    survey: _Survey,
    header: list[str],
    header_number: int,
    label: str,
    *,
    check_fields: bool,
) -> _Plan:
    """Which records and columns to keep, what to call them, and the notes; raises for
    ragged rows and for a nameless column that holds values."""
    number = header_number + 1  # row number of record 0
    notes: list[str] = []
    # totals: the block of trailing records whose first cell says so
    footer: list[tuple[int, str]] = []
    for i, rec in reversed(survey.tail):
        if _blank(rec):
            continue
        first = _first_cell(rec)
        if not any(p.search(first) for p in _FOOTER):
            break
        footer.append((i, first))
    footer.reverse()
    footer_idx = {i for i, _ in footer}
    matched = [(i, t) for i, t in survey.matched if i not in footer_idx]
    drop = np.array(sorted(footer_idx | {i for i, _ in matched}), dtype=np.int64)
    dropped = set(drop.tolist())
    n_records = len(survey.counts)
    if check_fields:
        named = max((j + 1 for j, c in enumerate(header) if c), default=0)
        bad = [
            (i, n)
            for i, n, blank, extra in survey.odd
            if not blank and i not in dropped and (n < named or extra)
        ]
        if bad:
            raise _ragged(bad, len(header), number, label)
    blank_rows = sum(1 for i, n, blank, _ in survey.odd if blank and i not in dropped)
    data_rows = n_records - len(dropped) - blank_rows
    if data_rows <= 0:
        raise DataError(_(NO_DATA_ROWS), file=label)
    width = max(int(survey.counts.max(initial=0)), len(header))
    padded = header + [""] * (width - len(header))
    empty, valued = [], []
    for j, name in enumerate(padded):
        if name:
            continue
        if any(i not in dropped for i in survey.valued.get(j, ())):
            valued.append(j + 1)
        else:
            empty.append(j + 1)
    if valued:
        raise DataError(
            n_(
                "the header row has {n} blank column name(s) (column position(s) "
                "{positions}) over columns that hold values; every column needs a name",
                "the header row has {n} blank column name(s) (column position(s) "
                "{positions}) over columns that hold values; every column needs a name",
                len(valued),
                positions=", ".join(map(str, valued)),
            ),
            file=label,
            rows=[header_number],
        )
    if empty:
        notes.append(
            n_(
                "dropped {n} empty column(s) with no name (position(s) {positions})",
                "dropped {n} empty column(s) with no name (position(s) {positions})",
                len(empty),
                positions=", ".join(map(str, empty)),
            )
        )
    keep = [j for j, name in enumerate(padded) if name]
    names, dups = _dedupe([padded[j] for j in keep])
    if dups:
        shown = ", ".join(
            n_("{name} ({n} times)", "{name} ({n} times)", k, name=repr(n)) for n, k in dups.items()
        )
        first = next(iter(dups))
        notes.append(
            n_(
                "the header repeats {n} name(s): {names}; the first column keeps the name, "
                "the later ones are named like {example}",
                "the header repeats {n} name(s): {names}; the first column keeps the name, "
                "the later ones are named like {example}",
                len(dups),
                names=shown,
                example=repr(first + " [2]"),
            )
        )
    if matched:
        where = _ranges([number + i for i, _ in matched])
        said = _quote(matched[0][1])
        if len(matched) == 1:
            notes.append(
                _(
                    "dropped 1 row(s) matching `drop_rows` ({rows}: {first})",
                    rows=where,
                    first=said,
                )
            )
        else:
            notes.append(
                n_(
                    "dropped {n} row(s) matching `drop_rows` ({rows}: {first}, …)",
                    "dropped {n} row(s) matching `drop_rows` ({rows}: {first}, …)",
                    len(matched),
                    rows=where,
                    first=said,
                )
            )
    if footer:
        where = _ranges([number + i for i, _ in footer])
        said = _quote(footer[0][1])
        if len(footer) == 1:
            note = _("dropped 1 totals row(s) at the end ({rows}: {first})", rows=where, first=said)
        else:
            note = n_(
                "dropped {n} totals row(s) at the end ({rows}: {first}, …)",
                "dropped {n} totals row(s) at the end ({rows}: {first}, …)",
                len(footer),
                rows=where,
                first=said,
            )
        for _i, first in footer:
            m = _TOTAL_ROWS.match(first)
            if m and int(m.group(1)) != data_rows:
                note += n_(
                    "; the file says {said} but has {n} data row(s): the download may have "
                    "been cut off (export it again)",
                    "; the file says {said} but has {n} data row(s): the download may have "
                    "been cut off (export it again)",
                    data_rows,
                    said=repr(first),
                )
        notes.append(note)
    return _Plan(names, keep, drop, notes, dups, width)


def _ragged(bad: list[tuple[int, int]], width: int, number: int, label: str) -> DataError:
    shown = ", ".join(_("row {row} has {k}", row=number + i, k=n) for i, n in bad[:20])
    if len(bad) > 20:
        shown = _("{rows}, and {more} more", rows=shown, more=fmt_int(len(bad) - 20))
    hints = []
    if any(n > width for _i, n in bad):
        hints.append(
            _(
                "a row with more fields usually has a text field holding an unquoted "
                "delimiter (quote it, or export the file again)"
            )
        )
    if any(n < width for _i, n in bad):
        hints.append(
            _(
                "a row with fewer fields is usually a line cut short (an incomplete "
                "download: export the file again)"
            )
        )
    return DataError(
        n_(
            "{n} row(s) do not have as many fields as the header ({width}): {rows}; {hints}",
            "{n} row(s) do not have as many fields as the header ({width}): {rows}; {hints}",
            len(bad),
            width=width,
            rows=shown,
            hints="; ".join(hints),
        ),
        file=label,
        rows=[number + i for i, _ in bad],
    )


def _apply(
    frame: pd.DataFrame, index: np.ndarray, plan: _Plan, number: int, stripped: bool = False
):
    """The kept rows and columns of a frame of records (``index``: their record
    indices), stripped, and their row numbers."""
    frame = frame.iloc[:, plan.keep]
    frame.columns = plan.names
    if not stripped:
        frame = frame.apply(lambda s: s.astype("str").str.strip())
    keep = ~(frame == "").all(axis=1).to_numpy()
    if len(plan.drop):
        keep &= ~np.isin(index, plan.drop)
    frame = frame.loc[keep].reset_index(drop=True)
    return frame, (index[keep] + number).astype(np.int64)


# -- CSV -----------------------------------------------------------------------


def _nul_note(count: int, rows: Sequence[int]) -> str:
    return n_(
        "removed {n} NUL byte(s) from the file ({rows}); the tool that wrote it padded it "
        "with them",
        "removed {n} NUL byte(s) from the file ({rows}); the tool that wrote it padded it "
        "with them",
        count,
        rows=format_rows(sorted(set(rows))),
    )


class _NulLines:
    """The lines of a text stream with their NUL characters removed, counted, and the
    record being read marked (``seen``), for the streamed read's survey."""

    def __init__(self, lines: Iterable[str]):
        self._lines = iter(lines)
        self._next: str | None = None
        self.count = 0
        self.seen = False

    def __iter__(self) -> Iterator[str]:
        return self

    def _take(self) -> tuple[str, bool]:
        """The next line without NULs (lines of NULs alone skipped), and whether it
        started with one."""
        while True:
            if self._next is not None:
                line, self._next = self._next, None
                return line, False
            line = next(self._lines)
            if "\x00" not in line:
                return line, False
            self.count += line.count("\x00")
            self.seen = True
            clean = line.replace("\x00", "")
            if clean:
                return clean, line.startswith("\x00")

    def __next__(self) -> str:
        line, _ = self._take()
        if line.endswith("\r"):
            # "\r", NULs, "\n" was split in two lines; without the NULs it is one end
            try:
                after, nul_first = self._take()
            except StopIteration:
                return line
            if nul_first and after.startswith("\n"):
                line, after = line + "\n", after[1:]
            if after:
                self._next = after
        return line


class _NulFreeText(io.TextIOBase):
    """A text stream read without its NUL characters (for the parser of a streamed
    read, so that it parses what the survey and the whole-file read parse)."""

    def __init__(self, inner: io.TextIOBase):
        self._inner = inner

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        while True:
            text = self._inner.read(size)
            clean = text.replace("\x00", "")
            if clean or not text:  # a block of NULs alone is not the end of the file
                return clean

    def readline(self, size: int = -1) -> str:  # type: ignore[override]
        while True:
            text = self._inner.readline(size)
            clean = text.replace("\x00", "")
            if clean or not text:
                return clean


def _strip_nul(text: str, delim: str) -> tuple[str, list[str]]:
    """Remove NUL characters, naming the rows they were in."""
    count = text.count("\x00")
    if not count:
        return text, []
    clean = text.replace("\x00", "")
    starts = [0]
    lines = _Lines(clean)
    with _big_fields():
        for _ in csv.reader(lines, delimiter=delim, strict=False):
            starts.append(lines.pos)
    # each NUL's place in the text without them: the row it is read with
    positions = [m.start() - k for k, m in enumerate(re.finditer("\x00", text))]
    rows = (np.searchsorted(np.array(starts), positions, side="right")).tolist()
    return clean, [_nul_note(count, rows)]


def _header_cells(rec: list[str]) -> list[str]:
    return [_cell(c) for c in rec]


def _csv_frame(payload: bytes, delim: str, width: int, label: str, rows_hint: int) -> pd.DataFrame:
    try:
        return pd.read_csv(
            io.BytesIO(payload),
            sep=delim,
            header=None,
            names=list(range(width)),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            engine="c",
            encoding="utf-8",
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame({j: pd.Series(dtype="str") for j in range(width)})
    except pd.errors.ParserError as exc:
        if "EOF inside string" in str(exc):
            raise DataError(
                _(
                    "a quoted cell that starts in row {row} is never closed, so the rest of "
                    "the file would be one cell; the file was cut off in the middle of a "
                    "cell, or a quote is unmatched: export it again",
                    row=rows_hint,
                ),
                file=label,
                rows=[rows_hint],
            ) from None
        raise


def _slow_frame(payload: bytes, delim: str, width: int) -> pd.DataFrame:
    """The same frame through the csv module (when the C parser splits differently)."""
    text = io.TextIOWrapper(io.BytesIO(payload), encoding="utf-8", newline="")
    with _big_fields():
        rows = [r + [""] * (width - len(r)) for r in csv.reader(text, delimiter=delim)]
    return pd.DataFrame(rows, columns=list(range(width)), dtype="str")


def _patterns(drop_rows: Iterable[str] | None, label: str) -> list[re.Pattern]:
    out = []
    for p in drop_rows or ():
        try:
            out.append(re.compile(p, re.IGNORECASE))
        except re.error as exc:
            raise DataError(
                _(
                    "`drop_rows` pattern {pattern} is not a regular expression: {error}",
                    pattern=repr(p),
                    error=exc,
                ),
                file=label,
            ) from None
    return out


def _count_fields(payload: bytes, delim: str) -> np.ndarray:
    """Fields of every record of a CSV text, at the csv module's C speed."""
    lines = io.TextIOWrapper(io.BytesIO(payload), encoding="utf-8", newline="")
    with _big_fields():
        return np.fromiter(
            map(len, csv.reader(lines, delimiter=delim, strict=False)), dtype=np.int64
        )


def _survey_frame(
    counts: np.ndarray,
    frame: pd.DataFrame,
    width: int,
    named: int,
    blank_names: list[int],
    patterns: list[re.Pattern],
) -> _Survey:
    """What `_survey` sees, from the field counts and the stripped frame of every
    record (padded with blanks: a missing field and an empty one look alike there,
    and the counts tell them apart)."""
    filled = frame != ""
    odd_idx = np.flatnonzero((counts < named) | (counts > width))
    blank = ~filled.to_numpy().any(axis=1)
    extra = filled.iloc[:, width:].to_numpy().any(axis=1)
    odd = [(int(i), int(counts[i]), bool(blank[i]), bool(extra[i])) for i in odd_idx]
    start = max(0, len(frame) - _TAIL)
    cells = frame.iloc[start:].to_numpy(dtype=object).tolist()
    tail = [(start + k, list(rec)) for k, rec in enumerate(cells)]
    matched: list[tuple[int, str]] = []
    if patterns and len(frame):
        first = frame.iloc[:, -1]
        for j in range(frame.shape[1] - 2, -1, -1):
            first = frame.iloc[:, j].where(filled.iloc[:, j], first)
        for i, text in enumerate(first.to_numpy(dtype=object).tolist()):
            if text and any(p.search(text) for p in patterns):
                matched.append((i, text))
    valued = {j: np.flatnonzero(filled[j].to_numpy())[:50].tolist() for j in blank_names}
    return _Survey(counts, odd, tail, matched, valued)


def _read_csv(path, name, label, sha, encoding, delimiter, header_row, drop_rows, expect):
    data = path.read_bytes()
    enc = encoding or detect_encoding(data, label)
    text = _decode(data, enc, label)
    del data
    if not text.strip():
        raise DataError(_(NO_ROWS), file=label)
    notes: list[str] = []
    if "\x00" in text:  # the layout is found on the text without NULs, as when streamed
        found = _layout(text.replace("\x00", ""), label, delimiter, header_row, expect)
        text, notes = _strip_nul(text, found.delimiter)
        delimiter = found.delimiter
    layout = _layout(text, label, delimiter, header_row, expect)
    h, delim = layout.header, layout.delimiter
    header = _header_cells(layout.records[h])
    payload = text[layout.ends[h] :].encode("utf-8")
    del text
    counts = _count_fields(payload, delim)
    n, number = len(counts), h + 2
    if not n:
        raise DataError(_(NO_DATA_ROWS), file=label)
    width = max(int(counts.max()), len(header))
    frame = _csv_frame(payload, delim, width, label, number + n - 1)
    if len(frame) != n:
        frame = _slow_frame(payload, delim, width)
    del payload
    frame = frame.apply(lambda s: s.astype("str").str.strip())
    survey = _survey_frame(
        counts,
        frame,
        len(header),
        max((j + 1 for j, c in enumerate(header) if c), default=0),
        [j for j, c in enumerate(header) if not c],
        _patterns(drop_rows, label),
    )
    plan = _plan(survey, header, h + 1, label, check_fields=True)
    plan.notes[:0] = notes + _title_note(layout.records, h)
    frame, rows = _apply(frame, np.arange(n, dtype=np.int64), plan, number, stripped=True)
    return RawTable(
        name, path, frame, int(rows[0]), enc, delim, sha, tuple(plan.notes), rows,
        plan.duplicates, h + 1,
    )  # fmt: skip


# -- tables given as rows (Excel, HTML) -----------------------------------------


def _read_rows(
    records: list[list[str]],
    label: str,
    *,
    header_row: int | None,
    drop_rows: Iterable[str] | None,
    expect: Iterable[str] | None,
    th_row: int | None = None,
) -> tuple[pd.DataFrame, np.ndarray, _Plan, int]:
    """Header, title and totals rows of a table read as rows (row 1 first)."""
    width = max((len(r) for r in records), default=0)
    records = [r + [""] * (width - len(r)) for r in records]
    if not any(not _blank(r) for r in records):
        raise DataError(_("the sheet has no rows"), file=label)
    h, _k = _find_header(
        records,
        header_row=header_row,
        expect=expect,
        trimmed=True,
        th_row=th_row if header_row is None else None,
        label=label,
    )
    header = _header_cells(records[h])
    body = records[h + 1 :]
    survey = _survey(
        body,
        width,
        width,
        [j for j, c in enumerate(header) if not c],
        _patterns(drop_rows, label),
    )
    plan = _plan(survey, header, h + 1, label, check_fields=False)
    plan.notes[:0] = _title_note(records, h)
    frame = pd.DataFrame(body, columns=list(range(width)), dtype="str")
    frame, rows = _apply(frame, np.arange(len(body), dtype=np.int64), plan, h + 2)
    return frame, rows, plan, h + 1


def _excel_text(value: Any) -> str:
    import datetime as dt

    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value)


def _read_excel(path, name, label, sha, sheet, header_row, drop_rows, expect) -> RawTable:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, openpyxl's own errors
        raise DataError(
            _(
                "not a readable .xlsx file ({kind}: {error}); open it in a spreadsheet "
                "program and save it as .xlsx again",
                kind=type(exc).__name__,
                error=exc,
            ),
            file=label,
        ) from None
    try:
        try:
            ws = (
                book.worksheets[sheet]
                if isinstance(sheet, int)
                else book[sheet or book.sheetnames[0]]
            )
        except (KeyError, IndexError) as exc:
            raise DataError(
                _(
                    "no sheet {sheet} in the workbook ({error}); its sheets are {sheets}",
                    sheet=repr(sheet),
                    error=exc,
                    sheets=", ".join(map(repr, book.sheetnames)),
                ),
                file=label,
            ) from None
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # the stored size is often wrong; read every cell
        records = [[_excel_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        book.close()
    while records and _blank(records[-1]):
        records.pop()
    if not records:
        raise DataError(_("the sheet has no data rows"), file=label)
    frame, rows, plan, hrow = _read_rows(
        records, label, header_row=header_row, drop_rows=drop_rows, expect=expect
    )
    return RawTable(
        name, path, frame, int(rows[0]), None, None, sha, tuple(plan.notes), rows,
        plan.duplicates, hrow,
    )  # fmt: skip


def _read_html(path, name, label, sha, encoding, header_row, drop_rows, expect) -> RawTable:
    data = path.read_bytes()
    enc = encoding
    if enc is None and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        m = re.search(rb"""charset\s*=\s*["']?([A-Za-z0-9_-]+)""", data[:4096], re.IGNORECASE)
        if m:
            try:
                enc = codecs.lookup(m.group(1).decode("ascii")).name
            except LookupError:
                enc = None
    enc = enc or detect_encoding(data, label)
    text = _decode(data, enc, label)
    records, th = html_rows(text, label)
    if not records:
        raise DataError(_("the HTML table has no rows"), file=label)
    frame, rows, plan, hrow = _read_rows(
        records, label, header_row=header_row, drop_rows=drop_rows, expect=expect, th_row=th
    )
    return RawTable(
        name, path, frame, int(rows[0]), enc, None, sha, tuple(plan.notes), rows,
        plan.duplicates, hrow,
    )  # fmt: skip


def _read_json(path, name, label, sha, records) -> RawTable:
    columns, rows, where = json_records(path.read_bytes(), records, label)
    names, dups = _dedupe(columns)
    frame = pd.DataFrame(rows, columns=names, dtype="str").apply(lambda s: s.str.strip())
    note = n_(
        "read {n} record(s) from {where}",
        "read {n} record(s) from {where}",
        len(frame),
        where=where,
    )
    return RawTable(
        name, path, frame, 1, None, None, sha, (note,),
        np.arange(1, len(frame) + 1, dtype=np.int64), dups, None,
    )  # fmt: skip


# -- the entry points -----------------------------------------------------------


def read_table(
    path: Path | str,
    name: str = "input",
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
    drop_rows: Sequence[str] | None = None,
    expect: Iterable[str] | None = None,
    records: str | None = None,
) -> RawTable:
    """Read one export file as text.

    Parameters
    ----------
    path : path-like
        A ``.csv``/``.tsv``/``.txt``, ``.xlsx``, ``.xls``/``.html`` holding an HTML table
        (Bitrix24's «Excel» export), ``.json`` or ``.parquet`` file. It is only read.
    name : str
        The input's name in the profile, used in messages.
    encoding, delimiter : str, optional
        Force what is otherwise detected (CSV; ``encoding`` also HTML).
    sheet : str or int, optional
        Excel sheet; the first one by default.
    header_row : int, optional
        The header's row number as a spreadsheet shows it. By default the row among the
        first 50 that holds the most of ``expect``; without ``expect`` (or when no row
        holds any), the first row with two or more filled cells that has as many fields
        as most rows below it. Rows above it are dropped with a note.
    drop_rows : list of str, optional
        Regular expressions (case-insensitive, matched anywhere unless anchored with
        ``^``): a row whose first non-empty cell matches is dropped, anywhere in the
        file. Totals rows at the end (`FOOTER_PATTERNS`) are always dropped.
    expect : iterable of str, optional
        Column names the profile maps from this input.
    records : str, optional
        JSON only: where the records are, as ``items[].rows[]``.

    Returns
    -------
    RawTable

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "direct.tsv"
    >>> _ = p.write_text('"report (2026-03-01 - 2026-03-02)"\\nDate\\tClicks\\n'
    ...                  '2026-03-01\\t5\\nTotal rows: 1\\n')
    >>> t = read_table(p)
    >>> t.frame.to_dict("list"), t.row_numbers.tolist(), t.header_row
    ({'Date': ['2026-03-01'], 'Clicks': ['5']}, [3], 2)
    """
    path = Path(path)
    label = path.name
    if not path.exists():
        raise DataError(_(NOT_FOUND, name=repr(name), path=path), file=str(path))
    if path.is_dir():
        raise DataError(
            _("input {name}: {path} is a folder, not a file", name=repr(name), path=path),
            file=str(path),
        )
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise DataError(_(EMPTY_FILE), file=label)
    sha = file_sha256(path)
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, name, label, sha, encoding, delimiter, header_row, drop_rows, expect)
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, name, label, sha, sheet, header_row, drop_rows, expect)
    if suffix in HTML_SUFFIXES:
        with open(path, "rb") as fh:
            head = fh.read(65536)
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise DataError(
                _("an old binary Excel file: open it and save it as .xlsx or CSV"), file=label
            )
        if head.startswith(b"PK\x03\x04"):  # an .xlsx named .xls
            return _read_excel(path, name, label, sha, sheet, header_row, drop_rows, expect)
        if looks_like_html(head):
            return _read_html(path, name, label, sha, encoding, header_row, drop_rows, expect)
        raise DataError(
            _(
                "the {suffix} file is neither an Excel workbook nor an HTML table; if it is "
                "text with delimiters, rename it to .csv",
                suffix=suffix,
            ),
            file=label,
        )
    if suffix in JSON_SUFFIXES:
        return _read_json(path, name, label, sha, records)
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(path, name, label, sha)
    if not suffix:
        raise DataError(
            _(
                "unsupported file type '(none)'; use CSV, TSV, XLSX, Parquet, JSON or an HTML "
                "table (.xls, .html)"
            ),
            file=label,
        )
    raise DataError(
        _(
            "unsupported file type {suffix}; use CSV, TSV, XLSX, Parquet, JSON or an HTML "
            "table (.xls, .html)",
            suffix=repr(suffix),
        ),
        file=label,
    )


def _text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    return frame.astype(str).apply(lambda s: s.str.strip())


def _read_parquet(path, name, label, sha) -> RawTable:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises its own ArrowInvalid and OSError types
        raise DataError(_(NOT_PARQUET, kind=type(exc).__name__, error=exc), file=label) from None
    if frame.empty:
        raise DataError(_(NO_PARQUET_ROWS), file=label)
    return RawTable(name, path, _parquet_text(frame), 1, None, None, sha)


#: Bytes of a CSV file read to detect its encoding, delimiter and header when streaming.
SNIFF_BYTES = 4 << 20


def iter_table(
    path: Path | str,
    name: str = "input",
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
    drop_rows: Sequence[str] | None = None,
    expect: Iterable[str] | None = None,
    chunk_rows: int | None = 250_000,
    sheet: str | int | None = None,
    records: str | None = None,
):
    """Read an export in chunks of up to ``chunk_rows`` rows (None: the whole file as
    one chunk), each a `RawTable` whose ``row_numbers`` are the file's rows, so messages
    name them.

    CSV and Parquet are streamed (below); the formats whose readers need the whole file
    (Excel, an HTML table, JSON: exports of a size that fits in memory) are read by
    `read_table` and handed on in chunks, so every format goes the same way after.

    The file is never held whole in memory: Parquet comes through DuckDB in record
    batches, CSV through pandas' C parser in chunks (DuckDB's CSV reader cannot decode
    cp1251 without the network). Encoding, delimiter and header are found on the first
    4 MB, as `read_table` finds them. Before the first chunk, one pass of the csv
    module over the file counts every row's fields, so ragged rows are an error before
    anything is read, and the totals rows at the end are known (and left out).

    Returns
    -------
    (dict, iterator)
        ``{"label", "sha256", "encoding", "delimiter", "bytes", "header_row", "notes"}``
        and the chunks. ``notes`` (what `read_table` would note) are also on the first
        chunk's ``notes``.
    """
    path = Path(path)
    label = path.name
    if not path.exists():
        raise DataError(_(NOT_FOUND, name=repr(name), path=path), file=str(path))
    size = path.stat().st_size
    if size == 0:
        raise DataError(_(EMPTY_FILE), file=label)
    suffix = path.suffix.lower()
    meta: dict[str, Any] = {"label": label, "sha256": file_sha256(path), "bytes": size}
    if suffix in PARQUET_SUFFIXES:
        meta |= {"encoding": None, "delimiter": None, "header_row": None, "notes": ()}
        if chunk_rows is None:
            chunk_rows = _parquet_rows(path, label)
        return meta, _parquet_chunks(path, name, label, meta["sha256"], chunk_rows)
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if suffix not in CSV_SUFFIXES:
        table = read_table(
            path,
            name,
            encoding=encoding,
            delimiter=delimiter,
            sheet=sheet,
            header_row=header_row,
            drop_rows=drop_rows,
            expect=expect,
            records=records,
        )
        meta |= {
            "encoding": table.encoding,
            "delimiter": table.delimiter,
            "header_row": table.header_row,
            "notes": tuple(table.notes),
        }
        return meta, _slices(table, chunk_rows or len(table.frame))
    whole = len(head) < SNIFF_BYTES
    enc = encoding or detect_encoding(
        head if whole else head[: head.rfind(b"\n") + 1] or head, label
    )
    codec, bom = _codec_and_bom(head, enc)
    try:
        text = codecs.getincrementaldecoder(codec)().decode(head[bom:], final=whole)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DataError(
            _("cannot decode the file as {encoding}: {error}", encoding=enc, error=exc),
            file=label,
        ) from None
    if not whole:  # do not judge a line cut in two
        text = text[: max(text.rfind("\n"), text.rfind("\r")) + 1] or text
    if text.startswith("\ufeff"):
        text, bom = text[1:], bom + len("\ufeff".encode(codec))
    if not text.strip():
        raise DataError(_(NO_ROWS), file=label)
    # NUL characters are removed as the whole-file read removes them: the layout is
    # found on the text without them, and the records are surveyed and read without them
    head_nul = [m.start() for m in re.finditer("\x00", text)]
    layout = _layout(text.replace("\x00", ""), label, delimiter, header_row, expect)
    h = layout.header
    header = _header_cells(layout.records[h])
    end = layout.ends[h]  # in the text without NULs: the same place in the text with them
    for pos in head_nul:
        if pos >= end:
            break
        end += 1
    before = [p - k for k, p in enumerate(head_nul) if p < end]  # NULs of the title and header
    start = bom + len(text[:end].encode(codec))
    with open(path, "rb") as fh:
        fh.seek(start)
        lines = io.TextIOWrapper(fh, encoding=codec, newline="")
        nul = _NulLines(lines)
        try:
            survey = _survey(
                csv.reader(nul, delimiter=layout.delimiter, strict=False),
                len(header),
                max((j + 1 for j, c in enumerate(header) if c), default=0),
                [j for j, c in enumerate(header) if not c],
                _patterns(drop_rows, label),
                nul,
            )
        except UnicodeDecodeError as exc:
            raise DataError(
                _("cannot decode the file as {encoding}: {error}", encoding=enc, error=exc),
                file=label,
            ) from None
    plan = _plan(survey, header, h + 1, label, check_fields=True)
    plan.notes[:0] = _title_note(layout.records, h)
    if before or survey.nul_count:
        ends = np.array(layout.ends[: h + 1])
        rows = (np.searchsorted(ends, before, side="right") + 1).tolist()
        rows += [h + 2 + i for i in survey.nul]
        plan.notes.insert(0, _nul_note(len(before) + survey.nul_count, rows))
    meta |= {
        "encoding": enc,
        "delimiter": layout.delimiter,
        "header_row": h + 1,
        "notes": tuple(plan.notes),
    }
    rows = chunk_rows or max(1, len(survey.counts))
    chunks = _csv_chunks(
        path, name, label, meta["sha256"], enc, codec, start, layout, survey, plan, rows
    )
    return meta, chunks


def _slices(table: RawTable, chunk_rows: int) -> Iterator[RawTable]:
    """A table read whole, in chunks of ``chunk_rows`` rows (its notes on the first)."""
    from dataclasses import replace

    for start in range(0, len(table.frame), max(1, chunk_rows)):
        numbers = table.row_numbers[start : start + chunk_rows]
        yield replace(
            table,
            frame=table.frame.iloc[start : start + chunk_rows].reset_index(drop=True),
            row_numbers=numbers,
            first_row=int(numbers[0]),
            notes=table.notes if start == 0 else (),
        )


def _codec_and_bom(head: bytes, enc: str) -> tuple[str, int]:
    """The codec to read the file from an offset with, and its BOM's length."""
    name = codecs.lookup(enc).name
    if name == "utf-8-sig":
        return "utf-8", 3 if head.startswith(b"\xef\xbb\xbf") else 0
    if name == "utf-16":
        if head.startswith(b"\xfe\xff"):
            return "utf-16-be", 2
        return "utf-16-le", 2 if head.startswith(b"\xff\xfe") else 0
    return name, 0


def _csv_chunks(path, name, label, sha, enc, codec, start, layout, survey, plan, chunk_rows):
    number = layout.header + 2
    offset = 0
    first = True
    with open(path, "rb") as fh:
        fh.seek(start)
        source: Any = fh
        if survey.nul_count:  # the parser reads the text the survey read: without NULs
            source = _NulFreeText(io.TextIOWrapper(fh, encoding=codec, newline=""))
        try:
            reader = pd.read_csv(
                source,
                sep=layout.delimiter,
                header=None,
                names=list(range(plan.width)),
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,
                engine="c",
                encoding=None if survey.nul_count else codec,
                chunksize=chunk_rows,
            )
            with reader:
                for frame in reader:
                    index = np.arange(offset, offset + len(frame), dtype=np.int64)
                    offset += len(frame)
                    frame, rows = _apply(frame, index, plan, number)
                    if frame.empty:
                        continue
                    notes = tuple(plan.notes) if first else ()
                    first = False
                    yield RawTable(
                        name, path, frame, int(rows[0]), enc, layout.delimiter, sha,
                        notes, rows, plan.duplicates, layout.header + 1,
                    )  # fmt: skip
        except pd.errors.ParserError as exc:
            if "EOF inside string" in str(exc):
                # as the whole read says it: the quote opens in the file's last record
                last = layout.header + 2 + len(survey.counts) - 1
                raise DataError(
                    _(
                        "a quoted cell that starts in row {row} is never closed, so the rest "
                        "of the file would be one cell; the file was cut off in the middle of "
                        "a cell, or a quote is unmatched: export it again",
                        row=last,
                    ),
                    file=label,
                    rows=[last],
                ) from None
            raise DataError(
                _("the file could not be read to the end ({error}); export it again", error=exc),
                file=label,
            ) from None
        except UnicodeDecodeError as exc:
            raise DataError(
                _(
                    "cannot decode the file as {encoding} after row {row}: {error}",
                    encoding=enc,
                    row=number + offset,
                    error=exc,
                ),
                file=label,
            ) from None
    if offset != len(survey.counts):
        raise DataError(
            _(
                "the file's rows were split two ways ({a} and {b} records); export it again, "
                "or load it without streaming",
                a=offset,
                b=len(survey.counts),
            ),
            file=label,
        )
    if first:
        raise DataError(_(NO_DATA_ROWS), file=label)


def _parquet_text(frame: pd.DataFrame) -> pd.DataFrame:
    text = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            text[str(col)] = s.dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")
        else:
            text[str(col)] = s.astype(object).where(s.notna(), "").astype(str)
    return _text_frame(text.reset_index(drop=True))


def _parquet_rows(path: Path, label: str) -> int:
    """The rows of a Parquet file (at least 1), from its footer."""
    import pyarrow.parquet as pq

    try:
        return max(1, pq.ParquetFile(path).metadata.num_rows)
    except Exception as exc:  # pyarrow raises several kinds for a file that is not Parquet
        raise DataError(_(NOT_PARQUET, kind=type(exc).__name__, error=exc), file=label) from None


def _parquet_chunks(path, name, label, sha, chunk_rows):
    import duckdb

    con = duckdb.connect()
    try:
        try:
            rel = con.read_parquet(str(path))
            batches = rel.fetch_record_batch(chunk_rows)
        except duckdb.Error as exc:
            raise DataError(
                _(NOT_PARQUET, kind=type(exc).__name__, error=exc), file=label
            ) from None
        offset = 0
        for batch in batches:
            frame = batch.to_pandas()
            if frame.empty:
                continue
            yield RawTable(name, path, _parquet_text(frame), 1 + offset, None, None, sha)
            offset += len(frame)
        if offset == 0:
            raise DataError(_(NO_PARQUET_ROWS), file=label)
    finally:
        con.close()
