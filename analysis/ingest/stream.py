"""The load of every leads export, in chunks: one path for every size.

`load_dataset` reads every leads export this way (a file under ``chunk_rows`` rows is
one chunk): the file is read in chunks (Parquet through DuckDB in record batches, CSV by
pandas' C parser, other formats read whole and sliced), each chunk goes through the
mapping, checks and pseudonymisation, and the canonical leads are appended to one
Parquet file. Checks that need the whole file (duplicate lead ids across chunks, the
ids of leads the profile drops for want of a creation date included) run in DuckDB on
that Parquet file. Messages name the file's own rows; the chunks' notes are merged
into a whole-file read's (`analysis.ingest.notes.merge`), and so are the problems: every
chunk is checked, nothing is written once one has a problem, and the problems of all
chunks (with the duplicate ids) are merged and raised together
(`analysis.ingest.problems.merge_problems`).

The canonical Parquet file is kept in a cache (``~/.cache/leadkit``, or
``$LEADKIT_CACHE``) under a key made of the file's SHA-256, the profile and the
kit's code, so the report's six notebooks read it once each instead of streaming
the export six times; the engine groups it straight from disk (`analysis.engine.engine_for`).

What stays in memory is one chunk and the profile's other inputs (a joined table,
lookups, sessions, spend: read whole); the canonical leads are the Parquet file, which
`Dataset.leads` reads only if a page asks for the rows. What needs every lead (joined
rows and sessions that no lead matched) is gathered across the chunks
(`analysis.ingest.mapping.Across`).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.base.errors import DataError
from analysis.base.files import code_hash, write_atomic
from analysis.base.i18n import _, fmt_count, language, n_
from analysis.ingest.cache import cache_folder
from analysis.ingest.readers import RawTable, iter_table

__all__ = ["Streamed", "stream_leads", "merge_facts"]


@dataclass
class Streamed:
    """What `stream_leads` returns: the canonical leads file (read only if a page asks,
    `Dataset.leads`) and what the mapping learned."""

    path: Path
    info: dict
    notes: list[dict] = field(default_factory=list)
    facts: dict = field(default_factory=dict)
    cached: bool = False
    read_notes: int = 0  # the first notes are the reader's (title, totals, NULs dropped)


def cache_key(
    profile, spec, file_sha: str, other_tables: dict[str, RawTable], chunk_rows=None
) -> str:
    """The key of the canonical leads made from one leads file: its SHA-256, the
    profile's bytes, the input's options, the SHA-256 of every other input (a joined
    table, sessions and lookups change the leads), the chunk size (which the notes
    name), the language (which the notes are written in) and the kit's code."""
    digest = hashlib.sha256()
    digest.update(repr(chunk_rows).encode())
    digest.update(language().encode())
    digest.update(file_sha.encode())
    digest.update(Path(profile.path).read_bytes())
    digest.update(repr(sorted(vars(spec).items())).encode())
    digest.update(repr(sorted((k, t.sha256) for k, t in other_tables.items())).encode())
    digest.update(code_hash().encode())
    return digest.hexdigest()


def _size(n_bytes: int) -> str:
    """A file size a reader takes in: 512 bytes, 3.4 KB, 12 MB, 1.2 GB (``3,4 КБ`` in
    Russian)."""
    if n_bytes < 1024:
        return n_("{n} bytes", "{n} bytes", n_bytes)
    for unit, scale in (("KB", 2**10), ("MB", 2**20), ("GB", 2**30)):
        value = n_bytes / scale
        if value < 1024 or unit == "GB":
            text = f"{value:,.1f}" if value < 10 else f"{value:,.0f}"
            if language() != "en":  # a decimal comma, narrow spaces between thousands
                text = text.replace(",", "\u202f").replace(".", ",")
            if unit == "KB":
                return _("{size} KB", size=text)
            if unit == "MB":
                return _("{size} MB", size=text)
            return _("{size} GB", size=text)
    raise AssertionError("unreachable")


def merge_facts(chunks: list[dict]) -> dict:
    """Sum counts across chunks (recursively in nested dicts); keep the first value of
    anything else (a model name, say)."""
    out: dict = {}
    for facts in chunks:
        for key, value in facts.items():
            if key not in out:
                out[key] = value if not isinstance(value, dict) else merge_facts([value])
            elif isinstance(value, dict):
                out[key] = merge_facts([out[key], value])
            elif isinstance(value, bool) or not isinstance(value, int | float | np.integer):
                continue
            else:
                out[key] = out[key] + value
    return out


def _arrow_schema(frame: pd.DataFrame):
    import pyarrow as pa

    fields = []
    for col in frame.columns:
        dtype = frame[col].dtype
        if col == "_row":
            typ = pa.int64()
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            typ = pa.timestamp("us")
        elif str(dtype) == "int8":
            typ = pa.int8()
        elif pd.api.types.is_float_dtype(dtype):
            typ = pa.float64()
        else:
            typ = pa.string()
        fields.append(pa.field(col, typ))
    return pa.schema(fields)


def _to_arrow(frame: pd.DataFrame, schema):
    import pyarrow as pa

    columns = {}
    for f in schema:
        s = frame[f.name]
        if pa.types.is_string(f.type):
            s = s.astype(object).where(s.notna(), None)
        columns[f.name] = pa.array(s, type=f.type, from_pandas=True)
    return pa.table(columns, schema=schema)


def _left_out(profile, table: RawTable, kept_rows: np.ndarray) -> pd.DataFrame:
    """The canonical ids and file rows of a chunk's rows the mapping left out (leads
    without a creation date the profile drops), for the duplicate check."""
    from analysis.ingest.mapping import lead_ids

    out = ~np.isin(table.row_numbers, kept_rows)
    ids = lead_ids(profile, table)  # readable: the chunk was mapped without a problem
    if ids is None:
        raise AssertionError("the lead ids of a mapped chunk could not be read")
    return pd.DataFrame({"lead_id": ids[out].to_numpy(), "_row": table.row_numbers[out]})


def _duplicates(path: Path | None, label: str, column: str, left_out=()) -> DataError | None:
    """The duplicate lead ids of the canonical file ``path`` and of ``left_out`` (ids
    of rows not in it), as one problem; None when every id is unique."""
    import duckdb

    parts = []
    if path is not None:
        parts.append("SELECT lead_id, _row FROM read_parquet(?)")
    con = duckdb.connect()
    try:
        if left_out:
            con.register("left_out", pd.concat(list(left_out), ignore_index=True))
            parts.append("SELECT lead_id, _row FROM left_out")
        if not parts:
            return None
        rows = con.execute(
            "SELECT lead_id, count(*)::BIGINT AS n, min(_row)::BIGINT AS first_row, "
            f"list(_row ORDER BY _row) AS rows FROM ({' UNION ALL '.join(parts)}) "
            "WHERE lead_id <> '' GROUP BY lead_id HAVING count(*) > 1 ORDER BY first_row",
            [str(path)] if path is not None else [],
        ).fetchall()
    finally:
        con.close()
    if not rows:
        return None
    from analysis.ingest.mapping import duplicate_ids

    examples = ", ".join(repr(r[0]) for r in rows[:5])
    on_rows = sorted(int(x) for r in rows for x in r[3])
    return DataError(
        duplicate_ids(len(on_rows), examples, len(rows)),
        file=label,
        rows=on_rows,
        column=column,
    )


def stream_leads(
    profile,
    path: str | Path | None,
    other_tables: dict[str, RawTable],
    *,
    chunk_rows: int | None = 250_000,
    cache_dir: str | Path | None = None,
) -> Streamed:
    """Stream the profile's leads input into canonical leads (see the module's text).

    Parameters
    ----------
    profile : Profile
    path : path, optional
        The leads file; the profile's default path when None.
    other_tables : dict
        The profile's other inputs, read whole (spend is small).
    chunk_rows : int or None
        Rows per chunk (None: the whole file is one chunk).
    cache_dir : path, optional
        See `cache_folder`.

    Raises
    ------
    DataError
        As a whole-file load would, naming the file's rows; nothing is left in the cache.
    """
    import pyarrow.parquet as pq

    from analysis.ingest.mapping import Across, build_leads, lead_ids
    from analysis.ingest.notes import Notes, merge
    from analysis.ingest.privacy import drop_personal
    from analysis.ingest.problems import gathering, merge_problems, raise_all
    from analysis.ingest.schema import validate_leads

    li = profile.leads["input"]
    spec = profile.inputs[li]
    path = path or spec.path
    if path is None:
        raise DataError(
            _(
                "input {name} has no file: pass it as --input {input}=PATH",
                name=repr(li),
                input=li,
            )
        )
    from analysis.ingest.profiles import mapped_columns

    meta, chunks = iter_table(
        path,
        li,
        encoding=spec.encoding,
        delimiter=spec.delimiter,
        header_row=spec.header_row,
        drop_rows=list(spec.drop_rows) or None,
        expect=sorted(mapped_columns(profile, li)),
        chunk_rows=chunk_rows,
        sheet=spec.sheet,
        records=spec.records,
    )
    folder = cache_folder(cache_dir)
    key = cache_key(profile, spec, meta["sha256"], other_tables, chunk_rows)
    final = folder / f"leads-{key[:32]}.parquet"
    sidecar = final.with_suffix(".json")
    if final.exists() and sidecar.exists():
        # made from the same bytes by the same code: the same leads, notes and facts
        saved = json.loads(sidecar.read_text(encoding="utf-8"))
        return Streamed(
            final, saved["info"], saved["notes"], saved["facts"], True, saved["read_notes"]
        )

    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{final.name}.{os.getpid()}.tmp"
    notes_chunks: list[list[dict]] = []
    facts_chunks: list[dict] = []
    personal: list[str] = []
    rows = file_rows = n_chunks = 0
    writer = schema = None
    # the ids of leads the profile drops (no creation date) still count as duplicates
    left_out: list[pd.DataFrame] = []
    across = Across()  # joined rows and sessions no lead of any chunk matched
    lead_id_column = (profile.leads.get("columns") or {}).get("lead_id", "lead_id")
    # every chunk's problems, merged at the end into the whole-file read's (with the
    # duplicate ids of every chunk, found last); no chunk is written after the first
    problems: list[list[DataError]] = []
    try:
        for chunk in chunks:
            table, dropped = drop_personal(profile, li, chunk)
            personal = personal or dropped
            notes, facts = Notes(), dict[str, Any]()
            found: list[DataError] = []
            with gathering(found):
                leads = build_leads(
                    profile,
                    {li: table, **other_tables},
                    notes,
                    facts,
                    file_rows=True,
                    across=across,
                )
            # a lead id twice in this chunk: the duplicate check after the last chunk
            # names it with the others (the schema check would name canonical rows)
            if found or problems or leads["lead_id"].duplicated().any():
                problems.append(found)
                ids = lead_ids(profile, table)
                if ids is not None:
                    left_out.append(pd.DataFrame({"lead_id": ids, "_row": table.row_numbers}))
                continue
            file_row = leads.pop("_row").to_numpy()
            leads = validate_leads(leads)
            leads["_row"] = file_row
            if len(leads) != len(table.frame) - int(facts.get("no_created_at_dropped", 0)):
                raise AssertionError("the leads mapping changed the number of rows")
            if len(leads) < len(table.frame):
                left_out.append(_left_out(profile, table, file_row))
            if writer is None:
                schema = _arrow_schema(leads)
                writer = pq.ParquetWriter(tmp, schema)
            writer.write_table(_to_arrow(leads, schema))
            notes_chunks.append(notes.rows)
            facts_chunks.append(facts)
            rows += len(leads)
            file_rows += len(table.frame)
            n_chunks += 1
        if writer is not None:
            writer.close()
            writer = None
        duplicated = _duplicates(
            tmp if tmp.exists() else None, meta["label"], lead_id_column, left_out
        )
        merged = merge_problems(problems)
        raise_all(merged + ([duplicated] if duplicated is not None else []))
        info = {
            "input": li,
            "file": meta["label"],
            "rows": file_rows,
            "encoding": meta["encoding"],
            "delimiter": {"\t": "tab"}.get(meta["delimiter"], meta["delimiter"]),
            "sha256": meta["sha256"],
            "personal_columns_dropped": ", ".join(personal),
        }
        label = meta["label"]
        final_args, whole_facts = across.finish()
        read_notes = [
            {"severity": "info", "input": li, "message": f"{label}: {n}"}
            for n in meta.get("notes") or ()
        ]
        all_notes = read_notes + merge(notes_chunks, file_rows, final_args)
        if n_chunks > 1:
            all_notes.append(
                {
                    "severity": "info",
                    "input": li,
                    "message": _(
                        "{rows} rows of {file} ({size}) were read in {chunks} chunks of up to "
                        "{chunk_rows} rows; the file was never held whole in memory",
                        rows=fmt_count(file_rows),
                        file=label,
                        size=_size(meta["bytes"]),
                        chunks=fmt_count(n_chunks),
                        chunk_rows=fmt_count(chunk_rows or 0),
                    ),
                }
            )
        facts = merge_facts(facts_chunks) | whole_facts
        os.replace(tmp, final)
        write_atomic(
            sidecar,
            json.dumps(
                {"info": info, "notes": all_notes, "facts": facts, "read_notes": len(read_notes)},
                default=str,
            ),
        )
    except BaseException:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)
        raise
    return Streamed(final, info, all_notes, facts, False, len(read_notes))
