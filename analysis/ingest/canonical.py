"""Leads that are already canonical, loaded and checked inside DuckDB.

A Parquet file whose columns are the canonical lead fields (the kit's own output, a
warehouse extract, the benchmark's synthetic leads) needs no text parsing: its dates are
timestamps, its revenue numbers, and its text columns hold a few hundred distinct
values. `load_canonical` maps and checks such a file in DuckDB and writes the canonical
leads once as Parquet, so no lead row enters pandas: the `Dataset` reads them only if a
page asks (`Dataset.leads`), and the engine groups the file straight from disk.

Every per-value rule of the row-by-row mapping (`analysis.ingest.mapping`) is applied
to the distinct values of each column with the same functions (stripping, lower-cased
sources, qualification classes, yes/no flags, e-mails and phones), and joined back in
SQL; counts in notes and facts are SQL counts. The result is the one
`mapping.build_leads` gives (a test compares both on generated files).

Anything this path does not do exactly (a value map, UTM tags, sessions, lookups, text
dates, a blank or duplicated lead id, an unknown qualification, an e-mail in a value,
...) makes `load_canonical` return None, and the load takes the row-by-row path, which
then gives its usual result or its usual error with file rows: one set of rules and of
messages, whichever path runs.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.base.errors import format_rows
from analysis.base.i18n import _

__all__ = [
    "Canonical",
    "load_canonical",
    "eligible_profile",
    "file_pairs",
    "parquet_sql",
    "restrict_file",
]

#: Distinct values per text column above which the file is not "canonical" (the values
#: are then ids or free text, and the row-by-row path handles them).
MAX_DISTINCT = 5_000

#: DuckDB's memory for the load; what does not fit is spilled to disk.
MEMORY_LIMIT = "512MB"

#: Lead fields this path maps (each from a column of the same meaning, no options).
_FIELDS = {
    "lead_id",
    "created_at",
    "won_at",
    "first_contact_at",
    "revenue",
    "qualification",
    "source",
    "medium",
    "campaign",
    "segment",
    "manager",
    "stage",
    "lost_reason",
    "converted",  # the yes/no column a sale is read from
}
_DATES = ("created_at", "won_at", "first_contact_at")
_TEXT = ("segment", "manager", "stage", "lost_reason")  # mapping.TEXT_FIELDS less medium
_TIMESTAMPS = {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATE"}
_NUMBERS = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "DOUBLE",  # not FLOAT: its text (0.1) and its double (0.100000001) differ
}
# the characters Python's str.strip() removes, and NUL: an id with them at either end
# is read stripped by the row-by-row path, which this path leaves to it (code points,
# for SQL's unicode() of the first and last character)
_SPACE = ", ".join(str(c) for c in range(0x3001) if chr(c).isspace() or c == 0)


@dataclass
class Canonical:
    """What `load_canonical` returns: the leads file it wrote and what the mapping
    learned (the notes and facts `mapping.build_leads` would give)."""

    path: Path
    file_rows: int  # rows of the input file (the leads, before undated ones are dropped)
    notes: list[tuple[str, str, str]]
    facts: dict
    pairs: pd.DataFrame  # leads per (source, campaign), for spend matching


def eligible_profile(profile, tables_given: set[str]) -> bool:
    """Whether the profile's leads mapping is one this path does exactly: fields of
    `_FIELDS` by plain column names, no value maps, joins, lookups, fallbacks, options
    or sessions (``tables_given``: the inputs that have a file)."""
    cfg = profile.leads
    cols = cfg.get("columns") or {}
    conv = cfg.get("converted") or {}
    web = profile.web_analytics
    return (
        set(cols) <= _FIELDS
        and "lead_id" in cols
        and not cfg.get("_options")
        and not cfg.get("values")
        and not cfg.get("join")
        and not cfg.get("lookups")
        and not cfg.get("source_fallback")
        and "joined" not in conv
        and conv.get("column") in cols
        and not (web and web["input"] in tables_given)
    )


def load_canonical(profile, path: Path, sha: str, cache_dir=None) -> Canonical | None:
    """Map and check the canonical leads Parquet file ``path`` in DuckDB (see the module's
    text); None when the row-by-row path must do it. ``sha``: the file's SHA-256."""
    import duckdb

    from analysis.base.files import write_atomic
    from analysis.ingest.cache import cache_folder
    from analysis.ingest.stream import cache_key

    li = profile.leads["input"]
    spec = profile.inputs[li]
    if spec.decimal not in (None, ".") or spec.null_values or (spec.date_options.get("formats")):
        return None
    folder = cache_folder(cache_dir) / "canonical"
    # the streamed copy's key, in its own folder (an eligible profile's leads depend on
    # no other input)
    key = cache_key(profile, spec, sha, {})
    final = folder / f"leads-{key[:32]}.parquet"
    sidecar = final.with_suffix(".json")
    if final.exists() and sidecar.exists():
        saved = json.loads(sidecar.read_text(encoding="utf-8"))
        if saved is None:
            return None
        pairs = pd.DataFrame(saved["pairs"], columns=["source", "campaign", "leads"])
        notes = [tuple(n) for n in saved["notes"]]
        return Canonical(final, saved["file_rows"], notes, saved["facts"], pairs)
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        config={
            # bounded: what does not fit spills to the cache folder rather than grow
            "memory_limit": MEMORY_LIMIT,
            "temp_directory": str(folder / "duckdb-tmp"),
            # written in any order, twice as fast on two cores: each lead keeps its
            # file row (``_row``), and `dataset.read_canonical` restores the order
            "preserve_insertion_order": False,
        }
    )
    try:
        got = _Mapper(con, profile, path).run(final)
    except _NotHere:
        got = None
    finally:
        con.close()
    # None: this file goes row by row, which the next load need not find out again
    saved = None
    if got is not None:
        saved = {
            "file_rows": got.file_rows,
            "notes": got.notes,
            "facts": got.facts,
            "pairs": got.pairs.to_numpy().tolist(),
        }
    write_atomic(sidecar, json.dumps(saved, ensure_ascii=False, default=str))
    return got


def _arrow(result):
    """A DuckDB result as an Arrow table (newer DuckDB gives a batch reader)."""
    got = result.arrow()
    return got.read_all() if hasattr(got, "read_all") else got


class _NotHere(Exception):
    """The file or profile needs the row-by-row path."""


def _sql_value(v) -> str:
    """A Python value as a SQL literal (text, yes/no, integer or NULL)."""
    if v is None:
        return "NULL"
    if isinstance(v, bool | np.bool_):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int | np.integer):
        return str(int(v))
    return "'" + str(v).replace("'", "''") + "'"


def _literal(path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def parquet_sql(path) -> str:
    """SQL reading the Parquet file ``path``."""
    return f"read_parquet({_literal(path)})"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Mapper:
    def __init__(self, con, profile, path: Path):
        self.con = con
        self.profile = profile
        self.cfg = profile.leads
        self.li = self.cfg["input"]
        self.path = path
        self.notes: list[tuple[str, str, str]] = []
        self.facts: dict = {}
        self._distinct: dict = {}  # column -> its distinct values (`prefetch`)
        con.execute(
            "CREATE TEMP VIEW f AS SELECT * EXCLUDE (file_row_number), file_row_number + 1 "
            f"AS _row FROM read_parquet({_literal(path)}, file_row_number = true)"
        )
        self.types = {
            r[0]: r[1] for r in con.execute("DESCRIBE SELECT * FROM f").fetchall() if r[0] != "_row"
        }
        self.n = int(con.execute("SELECT count(*) FROM f").fetchone()[0])
        if self.n == 0:
            raise _NotHere  # the row-by-row reader names the empty file

    def note(self, severity: str, message: str) -> None:
        self.notes.append((severity, self.li, message))

    def distinct(self, column: str) -> pd.Series:
        """The text of ``column``'s distinct values as the row-by-row reader makes it;
        their SQL text is kept for `_mapped` (``self.keys``)."""
        from analysis.ingest.readers import _parquet_text

        if column not in self._distinct:
            self.prefetch([column])
        table = self._distinct[column]
        self.keys = table.column("k").to_pylist()
        return _parquet_text(table.select(["v"]).to_pandas())["v"]

    def prefetch(self, columns: list[str]) -> None:
        """The distinct values of ``columns`` (with their SQL text), read in one scan of
        the file; `_NotHere` when a column has more than `MAX_DISTINCT`."""
        import duckdb
        import pyarrow as pa

        columns = [c for c in dict.fromkeys(columns) if c not in self._distinct]
        if not columns:
            return
        # the first rows tell cheaply whether a column is ids or free text
        head = self.con.execute(
            "SELECT "
            + ", ".join(f"count(DISTINCT {_quote(c)})" for c in columns)
            + f" FROM (SELECT * FROM f LIMIT {20 * MAX_DISTINCT})"
        ).fetchone()
        assert head is not None
        if any(int(k) > MAX_DISTINCT for k in head):
            raise _NotHere
        # list() leaves the missing value out: whether there is one is asked beside it
        lists = ", ".join(
            f"list(DISTINCT {_quote(c)}), bool_or({_quote(c)} IS NULL)" for c in columns
        )
        try:
            got = _arrow(self.con.execute(f"SELECT {lists} FROM f"))
        except duckdb.OutOfMemoryException:
            raise _NotHere from None  # many values after all: not a canonical file
        for i, c in enumerate(columns):
            values = pa.concat_arrays([chunk.flatten() for chunk in got.column(2 * i).chunks])
            if got.column(2 * i + 1)[0].as_py():
                values = pa.concat_arrays([values, pa.nulls(1, values.type)])
            if len(values) > MAX_DISTINCT:
                raise _NotHere
            table = pa.table({"v": values})
            if self.types[c] == "VARCHAR":
                keys = values
            else:  # DuckDB's text of each value, as `_mapped` looks it up
                self.con.register("_values", table)
                try:
                    keys = _arrow(
                        self.con.execute("SELECT CAST(v AS VARCHAR) AS k FROM _values")
                    ).column("k")
                finally:
                    self.con.unregister("_values")
            self._distinct[c] = table.append_column("k", keys)

    def run(self, final: Path) -> Canonical:
        from analysis.ingest.mapping import (
            TEXT_FIELDS,
            blank_to_na,
            normalise_source,
        )
        from analysis.ingest.schema import (
            LEADS_COLUMNS,
            NO_CAMPAIGN,
            QUALIFICATIONS,
            UNKNOWN_SOURCE,
        )

        assert set(_TEXT) | {"medium"} == set(TEXT_FIELDS)
        cfg, n = self.cfg, self.n
        cols = dict(cfg.get("columns") or {})
        optional = set(cfg.get("optional") or ())
        absent = [k for k, v in cols.items() if v not in self.types]
        if any(k not in optional for k in absent):
            raise _NotHere  # the row-by-row path names the missing column
        if absent:
            from analysis.ingest.mapping import absent_note

            self.note("info", absent_note(self.path.name, absent))
        cols = {k: v for k, v in cols.items() if k not in absent}
        if cfg["converted"]["column"] not in cols or "lead_id" not in cols:
            raise _NotHere
        select: dict[str, str] = {}  # canonical field -> SQL over f and the joined maps
        words: dict[str, set[str]] = {}  # text field -> every text it may hold (`_enum`)

        # lead ids: text, no blank, no stray spaces, unique, no e-mail or phone
        lid = cols["lead_id"]
        if self.types[lid] not in {"VARCHAR", "BIGINT", "INTEGER", "SMALLINT", "UBIGINT"}:
            raise _NotHere
        idx = _quote(lid) if self.types[lid] == "VARCHAR" else f"CAST({_quote(lid)} AS VARCHAR)"
        maybe = _maybe_personal(idx)
        bad, distinct, candidates = self.con.execute(
            f"SELECT count(*) FILTER ({idx} IS NULL OR {idx} = '' OR "
            f"unicode({idx}) IN ({_SPACE}) OR unicode(right({idx}, 1)) IN ({_SPACE})), "
            # distinct hashes: equal counts prove the ids unique; a collision only sends
            # the file to the row-by-row path, which checks the ids themselves
            f"count(DISTINCT hash({idx})), count(*) FILTER ({maybe}) FROM f"
        ).fetchone()
        if bad or distinct != n or candidates > MAX_DISTINCT:
            raise _NotHere
        if candidates:
            self._no_personal_ids(idx, maybe)
        select["lead_id"] = idx

        # dates: timestamps to the second, as the row-by-row reader writes them
        for canon in _DATES:
            if canon not in cols:
                continue
            c = cols[canon]
            if self.types[c] not in _TIMESTAMPS:
                raise _NotHere
            lo, hi = self.con.execute(
                f"SELECT min(year({_quote(c)})), max(year({_quote(c)})) FROM f"
            ).fetchone()
            if lo is not None and (lo < 1000 or hi > 9999):
                raise _NotHere
            select[canon] = f"date_trunc('second', CAST({_quote(c)} AS TIMESTAMP))"

        # every mapped column's distinct values in one scan
        self.prefetch(
            [cols[cfg["converted"]["column"]]]
            + [
                cols[c]
                for c in (*_TEXT, "qualification", "source", "medium", "campaign")
                if c in cols
            ]
        )

        # what counts as a sale, from the distinct values of its column
        conv = cfg["converted"]
        ccol = cols[conv["column"]]
        text = self.distinct(ccol)
        from analysis.base.errors import DataError
        from analysis.ingest.mapping import sale_flags

        try:
            flag = sale_flags(text, conv)
        except DataError:
            raise _NotHere from None
        select["converted"] = self._mapped(ccol, flag.to_numpy(), "TINYINT")
        conv_sql = f"coalesce({select['converted']}, 0)"

        if "revenue" in cols:
            r = cols["revenue"]
            if self.types[r] not in _NUMBERS and not self.types[r].startswith("DECIMAL"):
                raise _NotHere
            rq = f"CAST({_quote(r)} AS DOUBLE)"
            neg = self.con.execute(
                f"SELECT count(*) FILTER ({rq} < 0 OR isinf({rq})) FROM f"
            ).fetchone()[0]
            if neg:
                raise _NotHere
            # isnan: a NaN in the file is "no value", as the row-by-row reader reads it
            rq = f"CASE WHEN isnan({rq}) THEN NULL ELSE {rq} END"
            select["revenue"] = f"CASE WHEN {conv_sql} = 1 THEN {rq} ELSE 0.0 END"
        else:
            select["revenue"] = f"CASE WHEN {conv_sql} = 1 THEN NULL ELSE 0.0 END"
        if "won_at" in select:
            select["won_at"] = f"CASE WHEN {conv_sql} = 1 THEN {select['won_at']} END"

        # text fields: stripped, blank -> missing
        for canon in _TEXT:
            if canon not in cols:
                continue
            c = cols[canon]
            final_text = blank_to_na(self.distinct(c)).astype("str")
            self._no_personal(final_text)
            select[canon] = self._mapped(c, final_text.to_numpy(dtype=object), "VARCHAR")
            words[canon] = _texts(final_text)

        select["qualification"] = self._qualification(cols)
        words["qualification"] = set(QUALIFICATIONS)

        # the source of each lead: the CRM's own fields, else unknown (each output
        # column depends on its own column and on whether the source is blank)
        if "source" in cols:
            found = normalise_source(self.distinct(cols["source"]))
            self._no_personal(found)
            sources = found.fillna(UNKNOWN_SOURCE)
            select["source"] = self._mapped(
                cols["source"], sources.to_numpy(dtype=object), "VARCHAR"
            )
            words["source"] = _texts(sources)
            take = self._mapped(cols["source"], found.notna().to_numpy(), "BOOLEAN")
        else:
            select["source"], take = f"'{UNKNOWN_SOURCE}'", "FALSE"
        medium, campaign = "NULL", "NULL"
        if "medium" in cols:
            found = normalise_source(self.distinct(cols["medium"]))
            self._no_personal(found)
            medium = self._mapped(cols["medium"], found.to_numpy(dtype=object), "VARCHAR")
            words["medium"] = _texts(found)
        if "campaign" in cols:
            found = blank_to_na(self.distinct(cols["campaign"]).fillna(""))
            self._no_personal(found)
            campaign = self._mapped(cols["campaign"], found.to_numpy(dtype=object), "VARCHAR")
            words["campaign"] = _texts(found) | {NO_CAMPAIGN}
        select["medium"] = f"CAST(CASE WHEN {take} THEN {medium} END AS VARCHAR)"
        select["campaign"] = (
            f"coalesce(CAST(CASE WHEN {take} THEN {campaign} END AS VARCHAR), '{NO_CAMPAIGN}')"
        )
        select["attributed_by"] = f"CASE WHEN {take} THEN 'crm' ELSE 'none' END"
        words["attributed_by"] = {"crm", "none"}
        for canon, texts in words.items():
            select[canon] = _enum(select[canon], texts)

        order = [c for c in LEADS_COLUMNS if c in select or c == "created_at"]
        if "created_at" not in select:
            select["created_at"] = "CAST(NULL AS TIMESTAMP)"
        body = ", ".join(f"{select[c]} AS {_quote(c)}" for c in order)
        tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        kept = final.with_name(f".{final.name}.{os.getpid()}.kept")
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            # every lead written once, in the file's order (no join, no sort: each value
            # map is a MAP lookup); the notes are counted on it
            self.con.execute(
                f"COPY (SELECT f._row, {body} FROM f) TO {_literal(tmp)} (FORMAT parquet)"
            )
            self.con.execute(
                f"CREATE TEMP VIEW leads AS SELECT * FROM read_parquet({_literal(tmp)})"
            )
            where = self._notes(cols)
            if where:  # leads without a creation date dropped, as the profile says
                self.con.execute(
                    f"COPY (SELECT * FROM leads {where}) TO {_literal(kept)} (FORMAT parquet)"
                )
                os.replace(kept, final)
                tmp.unlink()
            else:
                os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            kept.unlink(missing_ok=True)
            raise
        pairs = file_pairs(self.con, parquet_sql(final))
        return Canonical(final, n, self.notes, self.facts, pairs)

    def _mapped(self, column: str, mapped, sql_type: str) -> str:
        """SQL giving, for each row, what the last `distinct` value of ``column`` maps
        to: a MAP lookup by the value's text (no join, so the file's order stays)."""
        null_value = None
        entries = {}
        for k, v in zip(self.keys, mapped, strict=True):
            v = None if v is None or (not isinstance(v, str) and pd.isna(v)) else v
            if k is None:
                null_value = v
            else:
                entries[k] = v
        col = f"f.{_quote(column)}"
        values = {_sql_value(v) for v in entries.values()}
        if null_value is None and all(
            isinstance(v, str | int | np.integer)
            and not isinstance(v, bool | np.bool_)
            and str(v) == k
            for k, v in entries.items()
        ):
            return f"CAST({col} AS {sql_type})"  # every value maps to its own text
        if len(values) == 1:  # every value maps to one (a source for every lead, ...)
            lookup = values.pop()
        elif entries:
            pairs = ", ".join(f"{_sql_value(k)}: {_sql_value(v)}" for k, v in entries.items())
            lookup = f"MAP {{{pairs}}}[CAST({col} AS VARCHAR)]"
        else:
            lookup = "NULL"
        return (
            f"CAST(CASE WHEN {col} IS NULL THEN {_sql_value(null_value)} ELSE {lookup} END "
            f"AS {sql_type})"
        )

    def _qualification(self, cols) -> str:
        mapping = self.cfg.get("qualification") or {}
        if "qualification" not in cols:
            # the row-by-row path classes blank text: "" must have a class
            text = pd.Series([""])
            return self._classes_sql(mapping, None, text)
        c = cols["qualification"]
        return self._classes_sql(mapping, c, self.distinct(c))

    def _classes_sql(self, mapping, column, text: pd.Series) -> str:
        from analysis.ingest.mapping import class_lookup

        if not mapping and column is None:
            return "'unknown'"
        got = text.fillna("").astype(str).str.strip().str.casefold().map(class_lookup(mapping))
        if got.isna().any():
            raise _NotHere  # the row-by-row path names the unknown values and rows
        if column is None:
            return f"'{got.iloc[0]}'"
        return self._mapped(column, got.to_numpy(dtype=object), "VARCHAR")

    def _no_personal(self, values: pd.Series) -> None:
        for v in values.dropna().unique():
            if pseudonymise_changes(str(v)):
                raise _NotHere  # the row-by-row path pseudonymises and says so

    def _no_personal_ids(self, idx: str, maybe: str) -> None:
        """No id that could hold an e-mail or a phone (`_maybe_personal`) holds one,
        searched as the row-by-row path searches them."""
        for (v,) in self.con.execute(f"SELECT {idx} FROM f WHERE {maybe}").fetchall():
            if pseudonymise_changes(v, exact=True):
                raise _NotHere

    def _rows_text(self, condition: str) -> tuple[int, str]:
        total = int(self.con.execute(f"SELECT count(*) FROM leads WHERE {condition}").fetchone()[0])
        first = [
            int(r[0])
            for r in self.con.execute(
                f"SELECT _row FROM leads WHERE {condition} ORDER BY _row LIMIT 10"
            ).fetchall()
        ]
        return total, format_rows(first, total=total)

    def _notes(self, cols) -> str:
        """The notes and facts of `mapping.build_leads`, in its order; the WHERE clause
        of the leads kept."""
        from analysis.ingest.attribution import is_direct
        from analysis.ingest.mapping import (
            NO_DATES_NOTE,
            NO_REVENUE_NOTE,
            no_source_note,
            undated_note,
            unknown_revenue_note,
            won_before_note,
        )

        n, where = self.n, ""
        if "created_at" not in cols:
            self.note("warning", _(NO_DATES_NOTE))
            self.facts["no_created_at"] = n
        else:
            missing, rows = self._rows_text("created_at IS NULL")
            self.facts["no_created_at"] = missing
            drop = self.cfg.get("no_created_at", "keep") == "drop"
            if missing:
                self.note("warning", undated_note(missing, n, rows, drop))
            if missing and drop:
                self.facts["no_created_at_dropped"] = missing
                where = "WHERE created_at IS NOT NULL"
        if "revenue" in cols:
            unknown = self.con.execute(
                "SELECT count(*) FROM leads WHERE converted = 1 AND revenue IS NULL"
            ).fetchone()[0]
            if unknown:
                self.note("info", unknown_revenue_note(int(unknown)))
        else:
            self.note("info", _(NO_REVENUE_NOTE))
        if "won_at" in cols:
            early, rows = self._rows_text("won_at < created_at")
            self.facts["won_before_created"] = early
            if early:
                self.note("warning", won_before_note(early, rows))
        # attribution counts over every lead, as the row-by-row path counts them before
        # it drops the undated ones
        counts = self.con.execute(
            "SELECT attributed_by, source, count(*)::BIGINT FROM leads GROUP BY ALL"
        ).fetchall()
        kept = sum(int(c) for _, _, c in counts)
        none = sum(int(c) for by, _, c in counts if by == "none")
        if none:
            self.note("warning", no_source_note(none, kept))
        by: dict[str, int] = {}
        for b, _s, c in counts:
            by[b] = by.get(b, 0) + int(c)
        self.facts["attribution"] = dict(sorted(by.items(), key=lambda kv: -kv[1]))
        sources = pd.Series([s for _, s, _ in counts], dtype="str")
        direct = is_direct(sources).to_numpy()
        self.facts["direct_only"] = int(
            sum(int(c) for (_, _, c), d in zip(counts, direct, strict=True) if d)
        )
        return where


def _texts(values: pd.Series) -> set[str]:
    """The texts a value map to ``values`` can give (`_Mapper._mapped`), missing aside."""
    return {str(v) for v in values.dropna()}


def _enum(sql: str, texts: set[str]) -> str:
    """The text SQL ``sql`` as an ENUM of ``texts`` (every text it may give, or more):
    the same Parquet column (text, one dictionary per row group), written faster, as
    DuckDB need not collect each row group's distinct texts (the copy of 10M leads
    3.5 -> 2.6 s). An empty set (every value missing) keeps the text."""
    if not texts:
        return sql
    return f"CAST({sql} AS ENUM({', '.join(_sql_value(t) for t in sorted(texts))}))"


def _maybe_personal(idx: str) -> str:
    """SQL true where a text could hold an e-mail or a phone: the cheap test
    `privacy.scrub` makes before it searches a value (the same regular expressions, which
    DuckDB's RE2 runs as Arrow's does), so this path searches the values that one does."""
    from analysis.ingest.privacy import MAYBE, MAYBE_DIGITS, MAYBE_SEPARATED

    # ten digits need ten characters: the two slower tests only run on those
    return (
        f"regexp_matches({idx}, {_sql_value(MAYBE)}) OR CASE WHEN strlen({idx}) >= 10 THEN "
        f"regexp_matches({idx}, {_sql_value(MAYBE_DIGITS)}) AND "
        f"regexp_matches({idx}, {_sql_value(MAYBE_SEPARATED)}) ELSE FALSE END"
    )


def pseudonymise_changes(value: str, exact: bool = False) -> bool:
    from analysis.ingest.privacy import pseudonymise

    return pseudonymise(value, exact) != value


def file_pairs(con, table: str, where: str = "TRUE") -> pd.DataFrame:
    """Leads per (source, campaign) of a canonical leads table (SQL ``table``, e.g.
    ``read_parquet('...')``), for spend matching: `analysis.ingest.matching.lead_pairs`
    of a frame, counted in DuckDB. ``con``: a DuckDB connection, or None for a new one."""
    import duckdb

    own = con is None
    con = duckdb.connect() if own else con
    try:
        return con.execute(
            f"SELECT source, campaign, count(*)::BIGINT AS leads FROM {table} WHERE {where} "
            "GROUP BY ALL ORDER BY ALL"
        ).df()
    finally:
        if own:
            con.close()


def restrict_file(source: Path, window) -> tuple[Path | None, pd.DataFrame, tuple[int, int, int]]:
    """The period's leads of a canonical Parquet file, written beside it (None when the
    period holds no lead), their counts per (source, campaign), and (leads, leads in
    the period, leads without a creation date) for `load._period_notes`."""
    import duckdb

    lo, hi = window
    conds = ["created_at IS NOT NULL"]
    if lo != pd.Timestamp.min:
        conds.append(f"created_at >= TIMESTAMP '{lo.isoformat(sep=' ')}'")
    if hi != pd.Timestamp.max:
        conds.append(f"created_at < TIMESTAMP '{hi.isoformat(sep=' ')}'")
    keep = " AND ".join(conds)
    digest = hashlib.sha256(f"{source.name}|{lo}|{hi}".encode()).hexdigest()[:16]
    out = source.with_name(f"{source.stem}-period-{digest}.parquet")
    import pyarrow.parquet as pq

    # leads that keep their file row (``_row``, as every load that gets here writes
    # them) may be copied in any order, which is twice as fast
    ordered = "_row" not in pq.read_schema(source).names
    con = duckdb.connect(config={"preserve_insertion_order": ordered})
    try:
        con.execute(f"CREATE TEMP VIEW l AS SELECT * FROM read_parquet({_literal(source)})")
        row = con.execute(
            f"SELECT count(*), count(*) FILTER ({keep}), count(*) FILTER (created_at IS NULL) "
            "FROM l"
        ).fetchone()
        assert row is not None
        counts = (int(row[0]), int(row[1]), int(row[2]))
        if not counts[1]:
            return None, pd.DataFrame(columns=["source", "campaign", "leads"]), counts
        if not out.exists():
            tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
            try:
                con.execute(
                    f"COPY (SELECT * FROM l WHERE {keep}) TO {_literal(tmp)} (FORMAT parquet)"
                )
                os.replace(tmp, out)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        pairs = file_pairs(con, "l", keep)
    finally:
        con.close()
    return out, pairs, counts
