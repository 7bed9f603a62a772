"""Streaming a leads export that is too big to read whole.

`load_dataset` streams the leads file when it is larger than ``STREAM_BYTES`` (or when
asked): the file is read in chunks (Parquet through DuckDB in record batches, CSV by
pandas' C parser), each chunk goes through exactly the same mapping, checks and
pseudonymisation as a file read whole, and the canonical leads are appended to one
Parquet file. Checks that need the whole file (duplicate lead ids across chunks) run in
DuckDB on that Parquet file. Messages name the file's own rows.

The canonical Parquet file is kept in a cache (``~/.cache/leadkit``, or
``$LEADKIT_CACHE``) under a key made of the file's SHA-256, the profile and the
kit's code, so the report's six notebooks read it once each instead of streaming
the export six times; the engine groups it straight from disk (`analysis.engine.engine_for`).

What stays in memory is one chunk; the canonical leads are the Parquet file, which
`Dataset.leads` reads only if a page asks for the rows. Profiles that join a second
table onto the leads, or attribute sources from web-analytics sessions, need every lead
at once and are not streamed: the error says so.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.base.errors import DataError
from analysis.base.files import code_hash, write_atomic
from analysis.ingest.cache import cache_folder
from analysis.ingest.readers import RawTable, iter_table

__all__ = ["Streamed", "stream_leads", "merge_notes", "merge_facts"]


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


def cache_key(profile, spec, file_sha: str) -> str:
    """The key of the canonical leads made from one leads file: its SHA-256, the
    profile's bytes, the input's options and the kit's code."""
    digest = hashlib.sha256()
    digest.update(file_sha.encode())
    digest.update(Path(profile.path).read_bytes())
    digest.update(repr(sorted(vars(spec).items())).encode())
    digest.update(code_hash().encode())
    return digest.hexdigest()


_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?%?")


def merge_notes(chunks: list[list[dict]]) -> list[dict]:
    """Merge the notes of the chunks into the notes a whole-file read would give.

    Notes that say the same thing in every chunk appear once; notes that differ only
    in their counts are summed count by count (``12 sale(s) have no revenue`` and
    ``5 sale(s) ...`` give ``17 sale(s) ...``), and a percentage that follows
    ``<part> of <whole>`` is recomputed from the summed counts.
    """
    order: list[tuple] = []
    merged: dict[tuple, dict] = {}
    for notes in chunks:
        for note in notes:
            template = _NUMBER.sub("#", note["message"])
            key = (note["severity"], note["input"], template)
            numbers = _NUMBER.findall(note["message"])
            if key not in merged:
                order.append(key)
                merged[key] = {"note": note, "sums": [0] * len(numbers), "numbers": numbers}
            entry = merged[key]
            for i, text in enumerate(numbers):
                if not text.endswith("%") and "." not in text:
                    entry["sums"][i] += int(text.replace(",", ""))
    out = []
    for key in order:
        entry = merged[key]
        parts = _NUMBER.split(entry["note"]["message"])
        numbers = []
        for i, text in enumerate(entry["numbers"]):
            if text.endswith("%") and i >= 2:  # "<a> of <b> leads (<a/b>%)"
                a, b = entry["sums"][i - 2], entry["sums"][i - 1]
                numbers.append(f"{a / b:.1%}" if b else text)
            elif text.endswith("%") or "." in text:
                numbers.append(text)
            else:
                numbers.append(f"{entry['sums'][i]:,}" if "," in text else str(entry["sums"][i]))
        message = "".join(p + (numbers[i] if i < len(numbers) else "") for i, p in enumerate(parts))
        out.append({**entry["note"], "message": message})
    return out


_SHARE = re.compile(r"^(\d[\d,]*) of (\d[\d,]*) leads \((\d+(?:\.\d+)?%)\)")


def _of_all_leads(notes: list[dict], rows: int) -> list[dict]:
    """ "<a> of <n> leads (<p>%)": a note only some chunks made summed <n> over those
    chunks; the whole file's <n> is every row."""
    out = []
    for note in notes:
        m = _SHARE.match(note["message"])
        if m:
            part = int(m.group(1).replace(",", ""))
            text = f"{part} of {rows} leads ({part / rows:.1%})"
            note = {**note, "message": text + note["message"][m.end() :]}
        out.append(note)
    return out


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


def _duplicates(path: Path, label: str, column: str) -> None:
    import duckdb

    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT lead_id, count(*)::BIGINT AS n, min(_row)::BIGINT AS first_row, "
            "list(_row ORDER BY _row) AS rows FROM read_parquet(?) GROUP BY lead_id "
            "HAVING count(*) > 1 ORDER BY first_row",
            [str(path)],
        ).fetchall()
    finally:
        con.close()
    if not rows:
        return
    examples = ", ".join(repr(r[0]) for r in rows[:5])
    on_rows = sorted(int(x) for r in rows for x in r[3])
    raise DataError(
        f"duplicate lead ids: {examples} ({len(rows)} id(s) on {len(on_rows)} rows). Was the "
        "export appended twice? Remove the duplicates.",
        file=label,
        rows=on_rows,
        column=column,
    )


def stream_leads(
    profile,
    path: str | Path | None,
    other_tables: dict[str, RawTable],
    *,
    chunk_rows: int = 250_000,
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
    chunk_rows : int
        Rows per chunk.
    cache_dir : path, optional
        See `cache_folder`.

    Raises
    ------
    DataError
        As a whole-file load would, naming the file's rows; nothing is left in the cache.
    """
    import pyarrow.parquet as pq

    from analysis.ingest.mapping import build_leads
    from analysis.ingest.notes import Notes
    from analysis.ingest.privacy import drop_personal
    from analysis.ingest.schema import validate_leads

    li = profile.leads["input"]
    spec = profile.inputs[li]
    path = path or spec.path
    if path is None:
        raise DataError(f"input {li!r} has no file: pass it as --input {li}=PATH")
    if profile.leads.get("join"):
        raise DataError(
            f"the profile {profile.name!r} joins {profile.leads['join']['input']!r} onto the "
            "leads, which needs every lead at once: load it without streaming",
            file=str(profile.path),
        )
    web = profile.web_analytics
    if web and web["input"] in other_tables:
        raise DataError(
            f"the profile {profile.name!r} attributes sources from web-analytics sessions "
            f"({web['input']!r}), which needs every lead at once: load it without streaming",
            file=str(profile.path),
        )
    from analysis.ingest.profiles import mapped_columns

    if profile.leads.get("no_created_at") == "drop":
        raise DataError(
            f"the profile {profile.name!r} drops leads without a creation date "
            "(leads.no_created_at: drop), which a streamed read does not do: load it "
            "without streaming, or keep them",
            file=str(profile.path),
        )
    meta, chunks = iter_table(
        path,
        li,
        encoding=spec.encoding,
        delimiter=spec.delimiter,
        header_row=spec.header_row,
        drop_rows=list(spec.drop_rows) or None,
        expect=sorted(mapped_columns(profile, li)),
        chunk_rows=chunk_rows,
    )
    folder = cache_folder(cache_dir)
    key = cache_key(profile, spec, meta["sha256"])
    final = folder / f"leads-{key[:32]}.parquet"
    sidecar = final.with_suffix(".json")
    if final.exists() and sidecar.exists():
        saved = json.loads(sidecar.read_text(encoding="utf-8"))
        notes = saved["notes"] + [
            {
                "severity": "info",
                "input": li,
                "message": f"{saved['info']['rows']:,} rows of {meta['label']} were read from "
                "the canonical copy an earlier streamed read of the same file left in the cache",
            }
        ]
        return Streamed(
            final, saved["info"], notes, saved["facts"], True, saved.get("read_notes", 0)
        )

    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{final.name}.{os.getpid()}.tmp"
    notes_chunks: list[list[dict]] = []
    facts_chunks: list[dict] = []
    personal: list[str] = []
    rows = n_chunks = 0
    writer = schema = None
    lead_id_column = (profile.leads.get("columns") or {}).get("lead_id", "lead_id")
    try:
        for chunk in chunks:
            table, dropped = drop_personal(profile, li, chunk)
            personal = personal or dropped
            notes, facts = Notes(), dict[str, Any]()
            leads = validate_leads(build_leads(profile, {li: table, **other_tables}, notes, facts))
            if len(leads) != len(table.frame):  # every row is a lead (no join when streaming)
                raise AssertionError("the leads mapping changed the number of rows")
            leads["_row"] = np.asarray(table.row_numbers, dtype="int64")
            if writer is None:
                schema = _arrow_schema(leads)
                writer = pq.ParquetWriter(tmp, schema)
            writer.write_table(_to_arrow(leads, schema))
            notes_chunks.append(notes.rows)
            facts_chunks.append(facts)
            rows += len(leads)
            n_chunks += 1
        if writer is not None:
            writer.close()
            writer = None
        _duplicates(tmp, meta["label"], lead_id_column)
        info = {
            "input": li,
            "file": meta["label"],
            "rows": rows,
            "encoding": meta["encoding"],
            "delimiter": {"\t": "tab"}.get(meta["delimiter"], meta["delimiter"]),
            "sha256": meta["sha256"],
            "personal_columns_dropped": ", ".join(personal),
        }
        label = meta["label"]
        read_notes = [
            {"severity": "info", "input": li, "message": f"{label}: {n}"}
            for n in meta.get("notes") or ()
        ]
        notes = (
            read_notes
            + _of_all_leads(merge_notes(notes_chunks), rows)
            + [
                {
                    "severity": "info",
                    "input": li,
                    "message": f"{rows:,} rows of {label} ({meta['bytes'] / 2**20:,.0f} MB) "
                    f"were streamed in {n_chunks} chunk(s) of up to {chunk_rows:,} rows; the file "
                    "was never held whole in memory",
                }
            ]
        )
        facts = merge_facts(facts_chunks)
        os.replace(tmp, final)
        write_atomic(
            sidecar,
            json.dumps(
                {"info": info, "notes": notes, "facts": facts, "read_notes": len(read_notes)},
                default=str,
            ),
        )
    except BaseException:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)
        raise
    return Streamed(final, info, notes, facts, False, len(read_notes))
