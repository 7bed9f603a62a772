"""Reading export files as they really come: CSV in several encodings and dialects,
Excel and Parquet, and parsing their text into dates, numbers and flags.

Everything is read as text first and parsed here, on purpose: pandas' own number and
date parsing silently leaves "1 234,50" a string or swaps day and month. Every parse
failure raises `DataError` naming the file, the rows (as a spreadsheet numbers them:
the header is row 1) and the column.
"""

from __future__ import annotations

import csv
import hashlib
import html.parser
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.base.errors import DataError

__all__ = [
    "RawTable",
    "read_table",
    "detect_encoding",
    "detect_delimiter",
    "file_sha256",
    "find_header",
    "unique_names",
    "FOOTER_PATTERNS",
]

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}

PARQUET_SUFFIXES = {".parquet", ".pq"}

DELIMITERS = (",", ";", "\t")

# A valid multi-byte UTF-8 sequence. cp1251 Cyrillic text almost never forms one,
# so a file that fails to decode as UTF-8 but is full of them is broken UTF-8.
_UTF8_SEQ = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


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
        The row number of ``frame``'s first record as a user sees the file
        (2 for CSV and Excel, whose row 1 is the header; 1 for Parquet).
    encoding, delimiter : str or None
        What was detected (CSV only).
    sha256 : str
        Hash of the file's bytes, for the audit trail.
    """

    name: str
    path: Path
    frame: pd.DataFrame
    first_row: int = 2
    encoding: str | None = None
    delimiter: str | None = None
    sha256: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: each frame row's row in the file as a spreadsheet shows it (None: first_row + i)
    row_numbers: np.ndarray | None = None
    #: header names the file repeats, with how many times (later ones are "name [2]")
    duplicates: dict[str, int] = field(default_factory=dict)
    #: the header's row in the file
    header_row: int = 1

    @property
    def label(self) -> str:
        return self.path.name

    def rows(self, mask) -> list[int]:
        """File row numbers of the records where ``mask`` is true."""
        idx = np.flatnonzero(np.asarray(mask, dtype=bool))
        if self.row_numbers is not None and len(self.row_numbers) == len(self.frame):
            return [int(self.row_numbers[i]) for i in idx]
        return [int(i) + self.first_row for i in idx]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def detect_encoding(data: bytes, label: str = "input") -> str:
    """Tell UTF-8 (with or without BOM), UTF-16 (with BOM) and cp1251 apart.

    Raises `DataError` for a file that is neither, or that is UTF-8 with broken bytes,
    naming the line of the first bad byte.

    Examples
    --------
    >>> detect_encoding("Горячий".encode("cp1251"))
    'cp1251'
    >>> detect_encoding("\\ufeffDate".encode("utf-8"))
    'utf-8-sig'
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head16 = data[:4096]
    if len(head16) >= 8:  # UTF-16 without a BOM: every other byte NUL in ASCII text
        even, odd = head16[0::2].count(0), head16[1::2].count(0)
        if odd > 0.4 * len(head16) / 2 and even < 0.05 * len(head16) / 2:
            return "utf-16-le"
        if even > 0.4 * len(head16) / 2 and odd < 0.05 * len(head16) / 2:
            return "utf-16-be"
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
            f"the file is UTF-8 but has bytes that are not valid UTF-8 (first at line {line}, "
            f"byte {bad_at}); it was probably damaged or edited in another encoding. "
            "Export it again, or re-save it as UTF-8.",
            file=label,
        )
    guess = _guess_encoding(head)
    if guess:
        return guess
    text = head.decode("cp1251", errors="replace")
    if _looks_russian(text):
        return "cp1251"
    raise DataError(
        f"cannot tell the file's text encoding (not UTF-8, UTF-16, cp1251, KOI8-R or cp866; "
        f"first unreadable "
        f"byte at line {line}). Re-save it as UTF-8, or set `encoding:` for this input "
        "in the mapping profile.",
        file=label,
    )


#: The Cyrillic single-byte encodings a Russian export may come in.
_CANDIDATES = ("cp1251", "koi8_r", "cp866", "mac_cyrillic")


def _guess_encoding(head: bytes) -> str | None:
    """cp1251, KOI8-R, cp866 or Mac Cyrillic, told apart by charset-normalizer (a library
    made for it): its best guess among them, kept only when the text then reads as
    Russian words (`_looks_russian`); None otherwise."""
    from charset_normalizer import from_bytes

    best = from_bytes(head[: 1 << 20], cp_isolation=list(_CANDIDATES)).best()
    if best is None:
        return None
    enc = best.encoding.replace("-", "_").lower()
    enc = {"windows_1251": "cp1251", "ibm866": "cp866"}.get(enc, enc)
    if enc not in _CANDIDATES:
        return None
    return enc if _looks_russian(head.decode(enc, errors="replace")) else None


def _looks_russian(text: str) -> bool:
    """True when text decoded as cp1251 reads as Cyrillic words.

    Latin-1 accented letters (é, ü) also decode to Cyrillic in cp1251, but they sit
    inside Latin words (cafй); real Russian has Cyrillic letters next to each other.
    """
    non_ascii = [i for i, ch in enumerate(text) if ord(ch) >= 0x80]
    if not non_ascii:
        return False
    cyr = [i for i in non_ascii if "\u0400" <= text[i] <= "\u04ff"]
    other_ok = sum(1 for i in non_ascii if text[i] in "\xa0\xab\xbb\u2116\u2014\u2013")
    if (len(cyr) + other_ok) / len(non_ascii) < 0.9:
        return False
    latin_next = sum(
        1
        for i in cyr
        if (i > 0 and text[i - 1].isascii() and text[i - 1].isalpha())
        or (i + 1 < len(text) and text[i + 1].isascii() and text[i + 1].isalpha())
    )
    return not cyr or latin_next / len(cyr) < 0.2


def detect_delimiter(text: str, label: str = "input") -> str:
    """Pick the delimiter (``,`` ``;`` or tab) from the first lines of a CSV text."""
    head = "\n".join(text[:65536].splitlines()[:20])
    try:
        return csv.Sniffer().sniff(head, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        pass
    header = text[:65536].splitlines()[0] if text else ""
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        raise DataError(
            "cannot find the column delimiter in the header row (expected ',', ';' or tab); "
            "is this a CSV export? Set `delimiter:` for this input in the mapping profile.",
            file=label,
            rows=[1],
        )
    return best


def read_table(
    path: Path | str,
    name: str = "input",
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
    drop_rows: list[str] | None = None,
    expect: list[str] | None = None,
    records: str | None = None,
) -> RawTable:
    """Read one export file as text.

    Parameters
    ----------
    path : path-like
        A ``.csv``/``.tsv``/``.txt``, ``.xlsx`` or ``.parquet`` file. The file is only read.
    name : str
        The input's name in the profile, used in messages.
    encoding, delimiter : str, optional
        Force what is otherwise detected (CSV only).
    sheet : str or int, optional
        Excel sheet; the first one by default.
    header_row : int, optional
        The header's row (1-based); by default found past title rows (`find_header`).
    drop_rows : list of str, optional
        Patterns of rows to drop (on a row's first non-empty cell); totals rows at the
        end (`FOOTER_PATTERNS`) are always dropped. Each drop is a note.
    expect : list of str, optional
        The column names the profile maps from this file, to find the header.
    records : str, optional
        JSON: where the records are (``items[].rows[]``).

    Returns
    -------
    RawTable
    """
    path = Path(path)
    label = path.name
    if not path.exists():
        raise DataError(f"input {name!r}: file not found at {path}", file=str(path))
    if path.is_dir():
        raise DataError(f"input {name!r}: {path} is a folder, not a file", file=str(path))
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise DataError("the file is empty (0 bytes); export it again", file=label)
    sha = file_sha256(path)
    layout = {"header_row": header_row, "drop_rows": drop_rows, "expect": expect}
    if suffix in {".xls", ".html", ".htm"}:
        head = path.read_bytes()[:8]
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise DataError(
                "an old binary Excel file (.xls): open it and save it as .xlsx or CSV",
                file=label,
            )
        if _looks_html(path.read_bytes()):
            return _read_html(path, name, label, sha, header_row, drop_rows, expect)
        raise DataError(f"a {suffix} file that is neither HTML nor Excel", file=label)
    if suffix == ".json":
        return _read_json(path, name, label, sha, records)
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, name, label, sha, encoding, delimiter, **layout)
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, name, label, sha, sheet, **layout)
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(path, name, label, sha)
    raise DataError(
        f"unsupported file type {suffix or '(none)'!r}; use CSV, TSV, XLSX, HTML, JSON or Parquet",
        file=label,
    )


def _text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    return frame.astype(str).apply(lambda s: s.str.strip())


def _check_header(frame: pd.DataFrame, label: str) -> None:
    blank = [i + 1 for i, c in enumerate(frame.columns) if c == "" or c.startswith("Unnamed: ")]
    if blank:
        raise DataError(
            f"the header row has {len(blank)} blank column name(s) (column position(s) "
            f"{', '.join(map(str, blank))}); every column needs a name",
            file=label,
            rows=[1],
        )
    seen: dict[str, int] = {}
    for col in frame.columns:
        seen[col] = seen.get(col, 0) + 1
    dups = [c for c, n in seen.items() if n > 1]
    if dups:
        raise DataError(
            f"the header row names these columns more than once: {', '.join(map(repr, dups))}",
            file=label,
            rows=[1],
        )


def _ragged_row(exc: Exception, label: str) -> DataError:
    """pandas' "Expected 5 fields in line 7, saw 6" as the kit's error naming the row."""
    match = re.search(r"line (\d+), saw (\d+)", str(exc))
    return DataError(
        f"a row does not have as many fields as the header ({exc}); "
        "is a text field holding an unquoted delimiter?",
        file=label,
        rows=[int(match.group(1))] if match else None,
    )


def _read_csv(
    path, name, label, sha, encoding, delimiter, header_row=None, drop_rows=None, expect=None
) -> RawTable:
    data = path.read_bytes()
    enc = encoding or detect_encoding(data, label)
    try:
        text = data.decode(enc)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DataError(f"cannot decode the file as {enc}: {exc}", file=label) from None
    text = text.lstrip("\ufeff")
    notes: list[str] = []
    if "\x00" in text:
        n = text.count("\x00")
        lines = sorted({text.count("\n", 0, m.start()) + 1 for m in re.finditer("\x00", text)})
        text = text.replace("\x00", "")
        notes.append(f"removed {n} NUL byte(s) (lines {_rows_text(lines)})")
    if not text.strip():
        raise DataError("the file has no rows (only blank space); export it again", file=label)
    delim = delimiter or _pick_delimiter(text, label, expect)
    try:
        rows, numbers = _records(text, delim)
    except DataError as exc:
        raise DataError(exc.problem, file=label, rows=exc.rows) from None
    return _table_from_rows(
        rows,
        numbers,
        name,
        path,
        label,
        sha,
        encoding=enc,
        delimiter=delim,
        header_row=header_row,
        drop_rows=drop_rows,
        expect=expect,
        notes=notes,
    )


def _read_excel(path, name, label, sha, sheet, header_row=None, drop_rows=None, expect=None):
    try:
        frame = pd.read_excel(
            path,
            sheet_name=0 if sheet is None else sheet,
            dtype=str,
            keep_default_na=False,
            header=None,
        )
    except (KeyError, IndexError) as exc:
        raise DataError(f"no sheet {sheet!r} in the workbook ({exc})", file=label) from None
    except Exception as exc:  # zipfile.BadZipFile, ValueError, openpyxl's own errors
        raise DataError(
            f"not a readable .xlsx file ({type(exc).__name__}: {exc}); open it in a "
            "spreadsheet program and save it as .xlsx again",
            file=label,
        ) from None
    values = frame.fillna("").astype(str).to_numpy().tolist()
    keep = [i for i, r in enumerate(values) if any(c.strip() for c in r)]
    if not keep:
        raise DataError("the sheet has no data rows", file=label)
    # a sheet's rows are the spreadsheet's own (pandas keeps the empty ones inside)
    rows = [[c for c in values[i]] for i in keep]
    width = max(len(r) for r in rows)
    last = max((j for r in rows for j, c in enumerate(r) if c.strip()), default=width - 1)
    rows = [r[: last + 1] for r in rows]
    return _table_from_rows(
        rows,
        [i + 1 for i in keep],
        name,
        path,
        label,
        sha,
        encoding=None,
        delimiter=None,
        header_row=header_row,
        drop_rows=drop_rows,
        expect=expect,
        notes=[],
    )


def _read_parquet(path, name, label, sha) -> RawTable:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises its own ArrowInvalid and OSError types
        raise DataError(
            f"not a readable Parquet file ({type(exc).__name__}: {exc})", file=label
        ) from None
    if frame.empty:
        raise DataError("the Parquet file has no rows", file=label)
    return RawTable(name, path, _parquet_text(frame), 1, None, None, sha)


#: Bytes of a CSV file read to detect its encoding and delimiter when streaming.
SNIFF_BYTES = 4 << 20


def iter_table(
    path: Path | str,
    name: str = "input",
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    chunk_rows: int = 250_000,
):
    """Read a CSV or Parquet export in chunks of ``chunk_rows`` rows, each a `RawTable`
    whose ``first_row`` is the chunk's first row in the file, so messages name the
    file's rows. The file is never held whole in memory: Parquet comes through DuckDB
    in record batches, CSV through pandas' C parser in chunks (DuckDB's CSV reader
    cannot decode cp1251 without the network). Encoding and delimiter are detected on
    the first 4 MB.

    Returns
    -------
    (dict, iterator)
        ``{"label", "sha256", "encoding", "delimiter", "bytes"}`` and the chunks.
    """
    path = Path(path)
    label = path.name
    if not path.exists():
        raise DataError(f"input {name!r}: file not found at {path}", file=str(path))
    size = path.stat().st_size
    if size == 0:
        raise DataError("the file is empty (0 bytes); export it again", file=label)
    suffix = path.suffix.lower()
    meta = {"label": label, "sha256": file_sha256(path), "bytes": size}
    if suffix in PARQUET_SUFFIXES:
        meta |= {"encoding": None, "delimiter": None}
        return meta, _parquet_chunks(path, name, label, meta["sha256"], chunk_rows)
    if suffix not in CSV_SUFFIXES:
        raise DataError(
            f"streaming reads CSV, TSV or Parquet, not {suffix or '(none)'!r}; convert the "
            "export (Excel files are small enough to load without streaming)",
            file=label,
        )
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if len(head) == SNIFF_BYTES:  # do not cut a character or a line in two
        head = head[: head.rfind(b"\n") + 1] or head
    enc = encoding or detect_encoding(head, label)
    try:
        text = head.decode(enc).lstrip("\ufeff")
    except (UnicodeDecodeError, LookupError) as exc:
        raise DataError(f"cannot decode the file as {enc}: {exc}", file=label) from None
    if not text.strip():
        raise DataError("the file has no rows (only blank space); export it again", file=label)
    delim = delimiter or detect_delimiter(text, label)
    header = next(csv.reader(io.StringIO(text), delimiter=delim))
    _check_header(pd.DataFrame(columns=[h.strip().lstrip("\ufeff") for h in header]), label)
    meta |= {"encoding": enc, "delimiter": delim}
    return meta, _csv_chunks(path, name, label, meta["sha256"], enc, delim, chunk_rows)


def _csv_chunks(path, name, label, sha, enc, delim, chunk_rows):
    offset = 0
    try:
        reader = pd.read_csv(
            path,
            sep=delim,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
            engine="c",
            encoding="utf-8-sig" if enc == "utf-8" else enc,
            chunksize=chunk_rows,
        )
        with reader:
            for frame in reader:
                frame = frame.reset_index(drop=True)
                yield RawTable(name, path, _text_frame(frame), 2 + offset, enc, delim, sha)
                offset += len(frame)
    except pd.errors.ParserError as exc:
        raise _ragged_row(exc, label) from None
    except UnicodeDecodeError as exc:
        raise DataError(
            f"cannot decode the file as {enc} after row {offset + 1}: {exc}", file=label
        ) from None
    if offset == 0:
        raise DataError("the file has a header but no data rows", file=label)


def _parquet_text(frame: pd.DataFrame) -> pd.DataFrame:
    text = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            text[str(col)] = s.dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")
        else:
            text[str(col)] = s.astype(object).where(s.notna(), "").astype(str)
    return _text_frame(text.reset_index(drop=True))


def _parquet_chunks(path, name, label, sha, chunk_rows):
    import duckdb

    con = duckdb.connect()
    try:
        try:
            rel = con.read_parquet(str(path))
            batches = rel.fetch_record_batch(chunk_rows)
        except duckdb.Error as exc:
            raise DataError(
                f"not a readable Parquet file ({type(exc).__name__}: {exc})", file=label
            ) from None
        offset = 0
        for batch in batches:
            frame = batch.to_pandas()
            if frame.empty:
                continue
            yield RawTable(name, path, _parquet_text(frame), 1 + offset, None, None, sha)
            offset += len(frame)
        if offset == 0:
            raise DataError("the Parquet file has no rows", file=label)
    finally:
        con.close()


# ---------------------------------------------------------------- layout of real exports

#: Rows at the end of an export that are totals, not data (first non-empty cell).
FOOTER_PATTERNS = (r"^(итого|всего)\b", r"^total rows:", r"^total:", r"^total$")

#: How many records at the top are searched for the header row.
HEADER_SEARCH = 60

#: The most rows a message lists one by one.
ROW_LIST_LIMIT = 20


def _first_cell(row: list[str]) -> str:
    return next((c.strip() for c in row if c.strip()), "")


def find_header(
    rows: list[list[str]], expect: list[str] | None = None, header_row: int | None = None
) -> int:
    """The index of the header among the first records: ``header_row`` (1-based) when
    given; else the record that holds the most of the ``expect``ed column names; else
    the first with two or more non-empty cells whose field count is the most common of
    the records below it. Title lines above it (a Direct report's quoted name, Google
    Ads' "Campaign report" and date range, the wizard's four lines) are skipped."""
    if header_row is not None:
        return header_row - 1
    head = rows[:HEADER_SEARCH]
    if expect:
        wanted = {e.strip() for e in expect}
        hits = [len(wanted & {c.strip().lstrip("\ufeff") for c in r}) for r in head]
        if hits and max(hits) > 0:
            return hits.index(max(hits))
    for i, r in enumerate(head):
        if sum(1 for c in r if c.strip()) < 2:
            continue
        below = [len(x) for x in rows[i + 1 : i + 21] if any(c.strip() for c in x)]
        if not below or len(r) == max(set(below), key=below.count):
            return i
    return 0


def unique_names(header: list[str]) -> tuple[list[str], dict[str, int]]:
    """Header names made unique the same way for every format: the first of a repeated
    name keeps it, later ones are ``name [2]``, ``name [3]``; blank names are
    ``(blank N)`` (N its position). Returns the names and {repeated name: count}."""
    names, seen = [], {}
    for pos, raw in enumerate(header, start=1):
        name = str(raw).strip().lstrip("\ufeff")
        if not name:
            names.append(f"(blank {pos})")
            continue
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} [{seen[name]}]")
    return names, {k: v for k, v in seen.items() if v > 1}


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(map(str, rows[:ROW_LIST_LIMIT]))
    more = len(rows) - ROW_LIST_LIMIT
    return shown + (f" and {more} more" if more > 0 else "")


def _table_from_rows(
    rows: list[list[str]],
    numbers: list[int],
    name: str,
    path: Path,
    label: str,
    sha: str,
    *,
    encoding: str | None,
    delimiter: str | None,
    header_row: int | None,
    drop_rows: list[str] | None,
    expect: list[str] | None,
    notes: list[str],
) -> RawTable:
    """A table of text records (CSV, XLSX, HTML alike): the header found past title
    rows, totals rows at the end and the profile's ``drop_rows`` dropped with a note,
    repeated names numbered, empty unnamed columns dropped, ragged rows refused naming
    every one. ``numbers``: each record's spreadsheet row."""
    if not rows:
        raise DataError("the file has no rows (only blank space); export it again", file=label)
    h = find_header(rows, expect, header_row)
    if h >= len(rows):
        raise DataError(f"header_row {header_row} is past the file's last row", file=label)
    if h > 0:
        first = _first_cell(rows[0])[:60]
        notes.append(f"dropped {h} title row(s) above the header (row {numbers[h]}): {first!r}")
    header_at = numbers[h]
    names, dups = unique_names(rows[h])
    body, nums = rows[h + 1 :], numbers[h + 1 :]
    # totals rows at the end (Итого, Total rows: N, Total: Account, ...)
    footer = [re.compile(p, re.IGNORECASE) for p in FOOTER_PATTERNS]
    end = len(body)
    while end > 0 and any(p.search(_first_cell(body[end - 1])) for p in footer):
        end -= 1
    if end < len(body):
        dropped = body[end:]
        cells = ", ".join(repr(_first_cell(r)[:40]) for r in dropped[:4])
        note = (
            f"dropped {len(dropped)} totals row(s) at the end (rows "
            f"{_rows_text(nums[end:])}: {cells})"
        )
        for r in dropped:
            m = re.match(r"total rows:\s*(\d+)", _first_cell(r), re.IGNORECASE)
            if m and int(m.group(1)) != end:
                note += (
                    f"; it says {m.group(1)} data rows but the file has {end}: the download "
                    "may be cut short"
                )
        notes.append(note)
        body, nums = body[:end], nums[:end]
    if drop_rows:
        pats = [re.compile(p) for p in drop_rows]
        keep = [not any(p.search(_first_cell(r)) for p in pats) for r in body]
        if not all(keep):
            gone = [n for n, k in zip(nums, keep, strict=True) if not k]
            notes.append(
                f"dropped {len(gone)} row(s) the profile's drop_rows match "
                f"(rows {_rows_text(gone)})"
            )
            body = [r for r, k in zip(body, keep, strict=True) if k]
            nums = [n for n, k in zip(nums, keep, strict=True) if k]
    width = len(names)
    short = [n for r, n in zip(body, nums, strict=True) if len(r) < width]
    long_ = [n for r, n in zip(body, nums, strict=True) if len(r) > width]
    problems = []
    if short:
        problems.append(
            f"{len(short)} row(s) have fewer fields than the header's {width} (rows "
            f"{_rows_text(short)}): a cut-off line, or a missing delimiter"
        )
    if long_:
        problems.append(
            f"{len(long_)} row(s) have more fields than the header's {width} (rows "
            f"{_rows_text(long_)}): is a text field holding an unquoted delimiter?"
        )
    if problems:
        raise DataError("; ".join(problems), file=label, rows=(short + long_)[:ROW_LIST_LIMIT])
    if not body:
        raise DataError("the file has a header but no data rows", file=label)
    frame = pd.DataFrame(body, columns=names, dtype="str") if body else pd.DataFrame(columns=names)
    frame = frame.apply(lambda s: s.str.strip())
    blank = [c for c in names if c.startswith("(blank ")]
    empty = [c for c in blank if not (frame[c] != "").any()]
    if empty:
        frame = frame.drop(columns=empty)
        notes.append(
            f"ignored {len(empty)} empty column(s) without a name (a separator at the end "
            "of every line)"
        )
    named = [c for c in blank if c not in empty]
    if named:
        pos = ", ".join(c[len("(blank ") : -1] for c in named)
        raise DataError(
            f"the header row has {len(named)} blank column name(s) (column position(s) {pos}) "
            "over columns that hold values; every column needs a name",
            file=label,
            rows=[header_at],
        )
    return RawTable(
        name,
        path,
        frame.reset_index(drop=True),
        int(nums[0]) if nums else header_at + 1,
        encoding,
        delimiter,
        sha,
        tuple(notes),
        np.asarray(nums, dtype="int64"),
        dups,
        header_at,
    )


def _records(text: str, delim: str) -> tuple[list[list[str]], list[int]]:
    """Every record of a CSV text with its spreadsheet row (blank lines count as rows,
    a quoted multi-line cell is one row), blank records left out."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    rows, numbers = [], []
    row_no = 0
    try:
        for rec in reader:
            row_no += 1
            if rec and any(c.strip() for c in rec):
                rows.append(rec)
                numbers.append(row_no)
    except csv.Error as exc:
        raise DataError(f"cannot read the file as CSV: {exc}", rows=[row_no + 1]) from None
    return rows, numbers


def _pick_delimiter(text: str, label: str, expect: list[str] | None) -> str:
    """The delimiter under which the header (past any title lines) names most of the
    expected columns; else the csv Sniffer on the lines from the header on."""
    head = "\n".join(text[:65536].splitlines()[:HEADER_SEARCH])
    if expect:
        best, score = None, 0
        for d in DELIMITERS:
            rows = list(csv.reader(io.StringIO(head), delimiter=d))
            wanted = {e.strip() for e in expect}
            s = max(
                (len(wanted & {c.strip().lstrip("\ufeff") for c in r}) for r in rows), default=0
            )
            if s > score:
                best, score = d, s
        if best:
            return best
    # the delimiter that splits the rows below the header into the most fields, the same
    # number in (nearly) every row ("CTR, %" in a ";" file has commas, but fewer)
    best, width = None, 1
    for d in DELIMITERS:
        rows = [r for r in csv.reader(io.StringIO(head), delimiter=d) if any(c.strip() for c in r)]
        if len(rows) < 2:
            continue
        h = find_header(rows)
        body = [len(r) for r in rows[h + 1 :]] or [len(rows[h])]
        same = sum(n == len(rows[h]) for n in body) / len(body)
        if same >= 0.8 and len(rows[h]) > width:
            best, width = d, len(rows[h])
    return best or detect_delimiter(text, label)


class _HTMLTable(html.parser.HTMLParser):
    """The cells of the first <table> of an HTML file, row by row."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.tables = 0

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables += 1
        if self.tables != 1:
            return
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if self.tables != 1:
            return
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(re.sub(r"[ \t\r\n]+", " ", "".join(self._cell)).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        elif tag == "table":
            self.tables += 1  # only the first table is read

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _looks_html(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf").lstrip().lower()
    return head.startswith(b"<") or b"<table" in data[:65536].lower()


def _read_html(path, name, label, sha, header_row, drop_rows, expect) -> RawTable:
    data = path.read_bytes()
    enc = detect_encoding(data, label)
    text = data.decode(enc).lstrip("\ufeff")
    parser = _HTMLTable()
    parser.feed(text)
    if not parser.rows:
        raise DataError("an HTML file without a table: not an export the kit can read", file=label)
    rows = [r for r in parser.rows if any(c.strip() for c in r)]
    numbers = [i + 1 for i, r in enumerate(parser.rows) if any(c.strip() for c in r)]
    return _table_from_rows(
        rows,
        numbers,
        name,
        path,
        label,
        sha,
        encoding=enc,
        delimiter=None,
        header_row=header_row,
        drop_rows=drop_rows,
        expect=expect,
        notes=["an HTML table (a CRM's «Excel» export is HTML named .xls)"],
    )


def _walk(node, path: list[str], parents: dict, label: str):
    """Records under ``path`` (``["items", "rows"]``), each with its parents' scalar
    fields as ``items.id``."""
    if not path:
        yield node, parents
        return
    key, rest = path[0], path[1:]
    if not isinstance(node, dict) or key not in node:
        raise DataError(f"the JSON has no list {key!r} where `records:` says", file=label)
    items = node[key]
    if not isinstance(items, list):
        raise DataError(f"{key!r} in the JSON is not a list", file=label)
    for item in items:
        mine = dict(parents)
        if rest and isinstance(item, dict):
            for k, v in item.items():
                if not isinstance(v, (dict, list)):
                    mine[f"{key}.{k}"] = v
        yield from _walk(item, rest, mine, label)


def _flat(record, prefix="") -> dict:
    out = {}
    if not isinstance(record, dict):
        return {prefix or "value": record}
    for k, v in record.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flat(v, key + "."))
        elif not isinstance(v, list):
            out[key] = v
    return out


def _record_path(data, label: str) -> list[str]:
    """The unique chain of lists of objects from the top of a JSON document."""
    path, node = [], data
    while isinstance(node, dict):
        lists = [k for k, v in node.items() if isinstance(v, list) and v and isinstance(v[0], dict)]
        if not lists:
            break
        if len(lists) > 1:
            raise DataError(
                f"the JSON has several lists of records ({', '.join(lists)}); say which with "
                "`records:` for this input (e.g. items[].rows[])",
                file=label,
            )
        path.append(lists[0])
        node = node[lists[0]][0]
    return path


def _read_json(path, name, label, sha, records) -> RawTable:
    import json

    try:
        data = json.loads(
            path.read_bytes().decode(detect_encoding(path.read_bytes(), label)).lstrip("\ufeff")
        )
    except ValueError as exc:
        raise DataError(f"not valid JSON: {exc}", file=label) from None
    if isinstance(data, list):
        items = [(r, {}) for r in data]
    else:
        steps = (
            [p.strip() for p in records.replace("[]", "").split(".") if p.strip()]
            if records
            else _record_path(data, label)
        )
        items = list(_walk(data, steps, {}, label))
    rows = [{**parents, **_flat(rec)} for rec, parents in items]
    if not rows:
        raise DataError("the JSON holds no records", file=label)
    frame = pd.DataFrame(rows)
    frame = frame.astype(object).where(frame.notna(), "").astype(str)
    frame = frame.apply(lambda s: s.str.strip())
    return RawTable(
        name,
        path,
        frame,
        1,
        "utf-8",
        None,
        sha,
        (),
        np.arange(1, len(frame) + 1, dtype="int64"),
        {},
        0,
    )
