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
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.base.errors import DataError

__all__ = ["RawTable", "read_table", "detect_encoding", "detect_delimiter", "file_sha256"]

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

    @property
    def label(self) -> str:
        return self.path.name

    def rows(self, mask) -> list[int]:
        """File row numbers of the records where ``mask`` is true."""
        idx = np.flatnonzero(np.asarray(mask, dtype=bool))
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
    text = head.decode("cp1251", errors="replace")
    if _looks_russian(text):
        return "cp1251"
    raise DataError(
        f"cannot tell the file's text encoding (not UTF-8, not cp1251; first unreadable "
        f"byte at line {line}). Re-save it as UTF-8, or set `encoding:` for this input "
        "in the mapping profile.",
        file=label,
    )


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
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, name, label, sha, encoding, delimiter)
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, name, label, sha, sheet)
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(path, name, label, sha)
    raise DataError(
        f"unsupported file type {suffix or '(none)'!r}; use CSV, TSV, XLSX or Parquet "
        "(old .xls: open it and save as .xlsx)",
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


def _read_csv(path, name, label, sha, encoding, delimiter) -> RawTable:
    data = path.read_bytes()
    enc = encoding or detect_encoding(data, label)
    try:
        text = data.decode(enc)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DataError(f"cannot decode the file as {enc}: {exc}", file=label) from None
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise DataError("the file has no rows (only blank space); export it again", file=label)
    delim = delimiter or detect_delimiter(text, label)
    # pandas would rename duplicate headers silently (a, a.1): check the raw header first.
    header = next(csv.reader(io.StringIO(text), delimiter=delim))
    _check_header(pd.DataFrame(columns=[h.strip().lstrip("\ufeff") for h in header]), label)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delim,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        raise _ragged_row(exc, label) from None
    if frame.empty:
        raise DataError("the file has a header but no data rows", file=label)
    return RawTable(name, path, _text_frame(frame), 2, enc, delim, sha)


def _read_excel(path, name, label, sha, sheet) -> RawTable:
    try:
        frame = pd.read_excel(
            path, sheet_name=0 if sheet is None else sheet, dtype=str, keep_default_na=False
        )
    except (KeyError, IndexError) as exc:
        raise DataError(f"no sheet {sheet!r} in the workbook ({exc})", file=label) from None
    except Exception as exc:  # zipfile.BadZipFile, ValueError, openpyxl's own errors
        raise DataError(
            f"not a readable .xlsx file ({type(exc).__name__}: {exc}); open it in a "
            "spreadsheet program and save it as .xlsx again",
            file=label,
        ) from None
    frame = frame.dropna(how="all")
    if frame.empty:
        raise DataError("the sheet has no data rows", file=label)
    _check_header(frame, label)
    return RawTable(name, path, _text_frame(frame.reset_index(drop=True)), 2, None, None, sha)


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
