"""Columns and values of the raw export tables to the canonical `leads` columns: the
profile's mapping, dates and numbers parsed, qualification mapped to hot/warm/cold,
sources normalised and attributed (CRM field, UTM tags, web-analytics sessions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.base.errors import DataError, format_rows
from analysis.base.i18n import N_, _, fmt_int, n_
from analysis.ingest.attribution import (
    attribute_sessions,
    attribute_visitors,
    is_direct,
    utm_from_urls,
)
from analysis.ingest.notes import Notes, counted, share
from analysis.ingest.parse import parse_dates, parse_flags, parse_numbers
from analysis.ingest.privacy import pseudonymise, scrub
from analysis.ingest.problems import kind, kinded, problem
from analysis.ingest.profiles import InputSpec, Profile
from analysis.ingest.readers import RawTable, read_table
from analysis.ingest.schema import LEADS_COLUMNS, NO_CAMPAIGN, QUALIFICATION_DTYPE, UNKNOWN_SOURCE

#: Text fields taken from their own column (source and campaign come through `_attribute`;
#: medium from both: its column here, and a UTM tag or session when the source is one).
TEXT_FIELDS = ("medium", "segment", "manager", "stage", "lost_reason")


def read(spec: InputSpec, override: Path | None, expect=None) -> RawTable | None:
    """Read one input with the profile's options; ``expect``: the column names the
    profile maps from it (to find the header row past title lines)."""
    path = override or spec.path
    if path is None:
        if spec.required:
            raise DataError(
                _(
                    "input {name} has no file: pass it as --input {input}=PATH (or set "
                    "`path:` in the profile)",
                    name=repr(spec.name),
                    input=spec.name,
                )
            )
        return None
    path = Path(path)
    if not path.exists() and not spec.required and override is None:
        return None
    return read_table(
        path,
        spec.name,
        encoding=spec.encoding,
        delimiter=spec.delimiter,
        sheet=spec.sheet,
        header_row=spec.header_row,
        drop_rows=list(spec.drop_rows) or None,
        expect=sorted(expect) if expect else None,
        records=spec.records,
    )


def chosen_columns(table: RawTable, cols: dict[str, str], opts: dict) -> dict[str, str]:
    """``cols`` with each field given as a list of columns (``also`` in its options)
    read from the first of them the file has, so a file without the first one still
    maps the field."""
    out = dict(cols)
    have = set(table.frame.columns)
    for canon, name in cols.items():
        also = (opts.get(canon) or {}).get("also", ())
        if name not in have:
            out[canon] = next((c for c in also if c in have), name)
    return out


def field_text(table: RawTable, spec: InputSpec, name: str | None, opt: dict | None) -> pd.Series:
    """The text of one mapped field: its column (the profile's ``null_values`` of the
    input and of the column made blank, its ``pattern``'s group extracted), or the
    column's ``constant`` for every row. A field given as several columns takes, row by
    row, the first of them (those the file has) that is not blank."""
    opt = opt or {}
    index = table.frame.index
    if "constant" in opt:
        return pd.Series([opt["constant"]] * len(index), index=index, dtype="str")
    s = _one_column_text(table, spec, name, opt)
    for other in opt.get("also", ()):
        if other == name or other not in table.frame.columns:
            continue
        blank = s.str.strip() == ""
        if not blank.any():
            break
        s = s.where(~blank, _one_column_text(table, spec, other, opt))
    return s


def _one_column_text(table: RawTable, spec: InputSpec, name, opt: dict) -> pd.Series:
    s = table.frame[name].astype("str")
    nulls = {v.strip().casefold() for v in (*spec.null_values, *opt.get("null_values", ()))}
    if nulls:
        s = s.where(~s.str.strip().str.casefold().isin(nulls), "")
    if "pattern" in opt:
        rx = re.compile(opt["pattern"])
        pattern = opt["pattern"] if rx.groups else f"({opt['pattern']})"
        s = s.str.extract(pattern, expand=False).fillna("").astype("str")
    return s


def scaled(values: pd.Series, opt: dict | None) -> pd.Series:
    """Numbers times the column's ``scale`` (Direct's micros: 0.000001)."""
    scale = (opt or {}).get("scale")
    return values * scale if scale else values


def duplicated_names(table: RawTable, cols: dict[str, str], opts: dict, where: str) -> None:
    """A mapped column whose name the file has more than once, without ``occurrence``:
    which one is meant cannot be guessed (amoCRM has form-made utm_* fields beside its
    own tracking group of the same names)."""
    dups = table.duplicates
    for canon, name in cols.items():
        if name in dups and "occurrence" not in opts.get(canon, {}):
            problem(
                DataError(
                    n_(
                        "the file has {n} columns named {name}; say which one {field} means: "
                        "{{column: {column}, occurrence: N}} (1 is the leftmost)",
                        "the file has {n} columns named {name}; say which one {field} means: "
                        "{{column: {column}, occurrence: N}} (1 is the leftmost)",
                        dups[name],
                        name=repr(name),
                        field=where + "." + canon,
                        column=name,
                    ),
                    file=table.label,
                    rows=[table.header_row or 1],
                    column=name,
                )
            )


def require_columns(table: RawTable, mapping: dict[str, str], where: str) -> None:
    missing = [(canon, src) for canon, src in mapping.items() if src not in table.frame.columns]
    if missing:
        canon, src = missing[0]
        values = {
            "field": where + "." + canon,
            "column": repr(src),
            "have": ", ".join(repr(c) for c in table.frame.columns[:30]),
            "section": f"{where}.columns",
        }
        if len(missing) > 1:
            message = _(
                "required column missing: the profile maps {field} to {column}, which the "
                "file does not have (also missing: {others}). Columns in the file: {have}. "
                "Fix the export or the profile's {section}.",
                others=", ".join(repr(s) for _c, s in missing[1:]),
                **values,
            )
        else:
            message = _(
                "required column missing: the profile maps {field} to {column}, which the "
                "file does not have. Columns in the file: {have}. Fix the export or the "
                "profile's {section}.",
                **values,
            )
        problem(
            DataError(
                message,
                file=table.label,
                rows=[1],
                column=src,
            )
        )


def present(table: RawTable, cols: dict[str, str], optional, notes: Notes) -> dict[str, str]:
    """Drop the mappings of optional fields whose column the file does not have."""
    optional = set(optional or ())
    absent = [k for k, v in cols.items() if k in optional and v not in table.frame.columns]
    if absent:
        notes.add("info", table.name, absent_note(table.label, absent))
    return {k: v for k, v in cols.items() if k not in absent}


def reject(mask, table: RawTable, column: str | None, message, **values) -> None:
    """A `DataError` naming the file rows where ``mask`` is true, recorded as a problem
    of the load (`problems.collecting`). ``message``: a message function registered
    with `problems.kind`, given their count ``n`` and ``values``."""
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        problem(
            kinded(
                message,
                file=table.label,
                rows=table.rows(mask),
                column=column,
                n=int(mask.sum()),
                **values,
            )
        )


@kind
def no_lead_id(n: int) -> str:
    return n_(
        "{n} row(s) have no lead id; every lead needs one",
        "{n} row(s) have no lead id; every lead needs one",
        n,
    )


@kind
def duplicate_ids(n: int, shown: str, ids: int) -> str:
    return _(
        "duplicate lead ids: {shown} ({ids} id(s) on {n} rows). Was the export appended "
        "twice? Remove the duplicates.",
        shown=shown,
        ids=fmt_int(ids),
        n=fmt_int(n),
    )


@kind
def negative_revenue(n: int) -> str:
    return n_(
        "{n} negative revenue value(s); revenue must be 0 or more",
        "{n} negative revenue value(s); revenue must be 0 or more",
        n,
    )


@kind
def lookup_repeats(n: int, field: str, example: str) -> str:
    return n_(
        "{n} rows of the lookup table repeat a {field} (e.g. {example}); each may appear once",
        "{n} rows of the lookup table repeat a {field} (e.g. {example}); each may appear once",
        n,
        field=field,
        example=example,
    )


def lead_ids(profile: Profile, table: RawTable) -> pd.Series | None:
    """The lead ids of the leads file ``table`` as the leads table writes them, for a
    duplicate check of rows that do not reach it; None when the ids cannot be read."""
    cfg = profile.leads
    spec = profile.inputs[cfg["input"]]
    opts = cfg.get("_options") or {}
    try:
        cols = chosen_columns(table, dict(cfg.get("columns") or {}), opts)
        src = cols.get("lead_id")
        if src is None or src not in table.frame.columns:
            return None
        ids = field_text(table, spec, src, opts.get("lead_id")).astype(str).str.strip()
    except DataError:
        return None
    return scrub(ids, "lead_id", table.name, Notes(), exact=True).astype("str")


def decimal(spec: InputSpec, table: RawTable) -> str:
    if spec.decimal:
        return spec.decimal
    return "," if table.delimiter == ";" else "."


def blank_to_na(s: pd.Series) -> pd.Series:
    s = s.astype(str).str.strip()
    return s.where(s != "", pd.NA)


def map_values(s: pd.Series, mapping: dict | None) -> pd.Series:
    if not mapping:
        return s
    lookup = {str(k).strip(): (None if v is None else str(v)) for k, v in mapping.items()}
    mapped = s.map(lambda v: lookup.get(v, v) if isinstance(v, str) else lookup.get("", v))
    # all-missing input maps to float NaN: back to text before filling
    return blank_to_na(mapped.astype(object).fillna(""))


def class_lookup(mapping: dict) -> dict[str, str]:
    """The profile's ``qualification`` map as {stripped, case-folded text: class}; an
    empty map reads the class names themselves (and blank as unknown)."""
    if not mapping:
        mapping = {q: [q] for q in ("hot", "warm", "cold")} | {"unknown": [""]}
    lookup: dict[str, str] = {}
    for cls, raw_values in mapping.items():
        for raw in raw_values if isinstance(raw_values, list) else [raw_values]:
            lookup[str(raw if raw is not None else "").strip().casefold()] = cls
    return lookup


def _qualification(s: pd.Series, mapping: dict, table: RawTable, column: str | None) -> pd.Series:
    text = s.fillna("").astype(str).str.strip()
    if not mapping and column is None:
        return pd.Series(
            pd.Categorical(["unknown"] * len(s), dtype=QUALIFICATION_DTYPE), index=s.index
        )
    out = text.str.casefold().map(class_lookup(mapping))
    bad = out.isna()
    if bad.any():
        values = ", ".join(repr(v) for v in text[bad].unique()[:8])
        problem(
            DataError(
                n_(
                    "unknown qualification value(s): {values} ({n} row(s)). Add each to "
                    "leads.qualification in the mapping profile as hot, warm, cold or unknown.",
                    "unknown qualification value(s): {values} ({n} row(s)). Add each to "
                    "leads.qualification in the mapping profile as hot, warm, cold or unknown.",
                    int(bad.sum()),
                    values=values,
                ),
                file=table.label,
                rows=table.rows(bad),
                column=column,
            )
        )
        out = out.fillna("unknown")
    return pd.Series(pd.Categorical(out, dtype=QUALIFICATION_DTYPE), index=s.index)


def sale_flags(text: pd.Series, conv: dict) -> pd.Series:
    """0/1 per value of the sale column: one of ``conv["values"]`` (stripped, any
    case) when the profile lists them, else the value read as yes/no (`parse_flags`,
    which raises a `DataError` naming the values it cannot read)."""
    if "values" in conv:
        wanted = {str(v).strip().casefold() for v in conv["values"]}
        return text.astype(str).str.strip().str.casefold().isin(wanted).astype("int8")
    return parse_flags(text)


def normalise_source(s: pd.Series) -> pd.Series:
    return blank_to_na(s.fillna("").astype(str).str.strip().str.lower())


def source_values(mapping: dict | None) -> dict:
    """A profile's ``values`` map of sources with its keys lower-cased, as
    `normalise_source` leaves the values ("Paid Search" matches "paid search")."""
    return {str(k).strip().lower(): v for k, v in (mapping or {}).items()}


def parsed_or_problem(fn, values: pd.Series, **kw) -> pd.Series | None:
    """``fn(values, **kw)``, or None after recording its `DataError` as a problem (the
    field's later checks are then skipped, so one bad column is reported once)."""
    try:
        return fn(values, **kw)
    except DataError as exc:
        problem(exc)
        return None


_NAT = "datetime64[us]"


def build_leads(
    profile: Profile,
    tables: dict[str, RawTable],
    notes: Notes,
    facts: dict,
    *,
    file_rows: bool = False,
    across: Across | None = None,
):
    """The canonical leads from the profile's leads input (and its join and lookups);
    with ``file_rows``, a ``_row`` column gives each lead's row in its file (a streamed
    read keeps it: the leads without a creation date the profile drops are left out).
    ``across``: the leads are one chunk of a streamed read, and what needs every lead
    (joined rows and sessions no lead matched) is gathered there (`Across`).

    Every problem of every column is recorded (`analysis.ingest.problems`) rather than
    raised at the first, so a load inside `problems.collecting` reports them together.
    """
    cfg = profile.leads
    table = tables[cfg["input"]]
    spec = profile.inputs[cfg["input"]]
    opts = cfg.get("_options") or {}
    cols = chosen_columns(table, dict(cfg.get("columns") or {}), opts)
    cols = present(table, cols, cfg.get("optional"), notes)
    require_columns(table, cols, "leads")
    duplicated_names(table, cols, opts, "leads.columns")
    cols = {k: v for k, v in cols.items() if v in table.frame.columns}
    personal_mapped = [c for c in cols.values() if c in profile.personal_data]
    if personal_mapped:
        raise DataError(
            _(
                "the profile maps personal-data column(s) {columns} into the leads table; "
                "personal data never enter the kit's tables",
                columns=personal_mapped,
            ),
            file=str(profile.path),
        )
    if "lead_id" not in cols:
        raise DataError(_("no lead id column: nothing else can be checked"), file=table.label)
    raw = pd.DataFrame(
        {canon: field_text(table, spec, src, opts.get(canon)) for canon, src in cols.items()},
        index=table.frame.index,
    )
    raw_col: dict[str, str | None] = dict(cols)  # canonical -> column in its file
    for canon, opt in opts.items():
        if "constant" in opt:
            raw[canon] = field_text(table, spec, None, opt)
            raw_col[canon] = None
    col_table = dict.fromkeys(raw.columns, table)
    failed: set[str] = set()

    # lead ids: present and unique
    ids = raw["lead_id"].astype(str).str.strip()
    reject(ids == "", table, cols["lead_id"], no_lead_id)
    if across is None:  # a streamed read finds the duplicates of every chunk at once
        dup = ids.duplicated(keep=False) & (ids != "")
        examples = ", ".join(repr(pseudonymise(v)) for v in ids[dup].unique()[:5])
        reject(
            dup,
            table,
            cols["lead_id"],
            duplicate_ids,
            shown=examples,
            ids=int(ids[dup].nunique()),
        )

    joined_flag = None
    join = cfg.get("join")
    if join and join["input"] in tables:
        jt = tables[join["input"]]
        jspec_ = profile.inputs[join["input"]]
        jopts = join.get("_options") or {}
        jcols = chosen_columns(jt, dict(join.get("columns") or {}), jopts)
        require_columns(jt, {"join key": join["key"], **jcols}, "leads.join")
        jcols = {k: v for k, v in jcols.items() if v in jt.frame.columns}
        if join["key"] in jt.frame.columns:
            key = jt.frame[join["key"]].astype(str).str.strip()
            jdup = key.duplicated(keep=False) & (key != "")
            if jdup.any():
                problem(
                    DataError(
                        n_(
                            "{n} key(s) appear more than once in the joined input (e.g. "
                            "{example}); one lead can have only one row there",
                            "{n} key(s) appear more than once in the joined input (e.g. "
                            "{example}); one lead can have only one row there",
                            int(key[jdup].nunique()),
                            example=repr(pseudonymise(key[jdup].iloc[0])),
                        ),
                        file=jt.label,
                        rows=jt.rows(jdup),
                        column=join["key"],
                    )
                )
            first = ~key.duplicated(keep="first") & (key != "")
            pos = pd.Series(np.flatnonzero(first.to_numpy()), index=key[first])
            match = ids.map(pos)
            matched = key.isin(set(ids))
            if across is not None:  # the orphans are known after the last chunk
                if across.join_matched is None:
                    across.join_matched = np.zeros(len(key), dtype=bool)
                    across.join_key = key
                across.join_matched |= matched.to_numpy()
                matched = pd.Series(True, index=key.index)
            orphan = ~matched & (key != "")
            notes.add_counted(
                "warning",
                join["input"],
                join_orphans_note,
                n=int(orphan.sum()),
                label=jt.label,
                leads=table.label,
                key=join["key"],
                example=pseudonymise(key[orphan].iloc[0]) if orphan.any() else "",
            )
            facts["joined_rows"] = int(len(key))
            facts["joined_orphans"] = int(orphan.sum())
            joined_flag = match.notna()
            take = match.fillna(-1).astype(int).to_numpy()
            for canon, src in jcols.items():
                vals = field_text(jt, jspec_, src, jopts.get(canon)).to_numpy(dtype=object)
                col = np.where(take >= 0, vals[np.clip(take, 0, None)], "")
                raw[canon] = pd.Series(col, index=raw.index, dtype="str")
                raw_col[canon] = src
                col_table[canon] = jt
            # errors in joined columns are reported against the joined file's rows
            raw["_join_row"] = take

    for lk in cfg.get("lookups") or []:
        _lookup(profile, lk, raw, raw_col, col_table, tables, notes)

    def rows_for(canon: str, mask: pd.Series) -> tuple[RawTable, pd.Series]:
        t = col_table[canon]
        if t is table:
            return t, mask
        jmask = np.zeros(len(t.frame), dtype=bool)
        jmask[raw.loc[mask.to_numpy(), "_join_row"].to_numpy()] = True
        return t, pd.Series(jmask)

    def jspec(canon: str) -> InputSpec:
        return profile.inputs[col_table[canon].name]

    def parse(canon: str, fn, **kw):
        t = col_table[canon]
        if t is table:
            got = parsed_or_problem(fn, raw[canon], table=t, column=raw_col[canon], **kw)
        else:
            # joined column: parse in the joined file's own row order so errors name its rows
            take = raw["_join_row"].to_numpy()
            opt = ((cfg.get("join") or {}).get("_options") or {}).get(canon)
            text = field_text(t, jspec(canon), raw_col[canon], opt)
            parsed_join = parsed_or_problem(fn, text, table=t, column=raw_col[canon], **kw)
            if parsed_join is None:
                got = None
            else:
                out = pd.Series(parsed_join.to_numpy()[np.clip(take, 0, None)], index=raw.index)
                got = out.where(take >= 0, None).astype(parsed_join.dtype) if len(out) else out
        if got is None:
            failed.add(canon)
        return got

    leads = pd.DataFrame(index=raw.index)
    leads["lead_id"] = ids.astype("str")
    for canon in ("created_at", "won_at", "first_contact_at"):
        if canon in raw:
            s = jspec(canon)
            got = parse(canon, parse_dates, **s.date_options)
            leads[canon] = (
                got if got is not None else pd.Series(pd.NaT, index=raw.index, dtype=_NAT)
            )
    no_date = _creation_dates(cfg, leads, raw, table, notes, facts, failed)

    # what counts as a sale
    conv = cfg["converted"]
    converted = pd.Series(np.zeros(len(raw), dtype="int8"), index=raw.index)
    if "joined" in conv:
        if joined_flag is None:
            problem(
                DataError(
                    _(
                        "the profile says a lead converted when it appears in the joined table "
                        "(converted: joined), but the joined input is not there"
                    )
                )
            )
        else:
            converted = joined_flag.astype("int8")
    else:
        field_ = conv["column"]
        if field_ not in raw:
            if field_ not in (cfg.get("columns") or {}):
                problem(
                    DataError(
                        _(
                            "leads.converted.column {column} is not mapped in leads.columns",
                            column=repr(field_),
                        ),
                        file=str(profile.path),
                    )
                )
        elif "values" in conv:
            wanted = {str(v).strip().casefold() for v in conv["values"]}
            converted = raw[field_].astype(str).str.strip().str.casefold().isin(wanted)
        else:
            got = parse(field_, parse_flags)
            if got is not None:
                converted = got
    leads["converted"] = converted.astype("int8").to_numpy()

    if "revenue" in raw:
        rev = parse(
            "revenue", parse_numbers, decimal=decimal(jspec("revenue"), col_table["revenue"])
        )
        if rev is None:
            rev = pd.Series(np.nan, index=raw.index)
        rev = scaled(rev, _options_of(cfg, "revenue"))
        t, m = rows_for("revenue", rev < 0)
        reject(m, t, raw_col["revenue"], negative_revenue)
        # revenue counts only for sales; a budget on an open or lost deal is a plan
        leads["revenue"] = rev.where(leads["converted"] == 1, 0.0).astype("float64")
        unknown_rev = (leads["converted"] == 1) & leads["revenue"].isna()
        if "revenue" not in failed:
            notes.add_counted("info", table.name, unknown_revenue_note, n=int(unknown_rev.sum()))
    else:
        leads["revenue"] = np.where(leads["converted"] == 1, np.nan, 0.0)
        notes.add("info", table.name, _(NO_REVENUE_NOTE))
    if "won_at" in leads:
        leads["won_at"] = leads["won_at"].where(leads["converted"] == 1)
        _won_before_created(leads, table, notes, facts)

    vmap = cfg.get("values") or {}
    for canon in TEXT_FIELDS:
        if canon in raw:
            leads[canon] = map_values(blank_to_na(raw[canon]), vmap.get(canon)).astype("str")

    q_col = (
        raw["qualification"]
        if "qualification" in raw
        else pd.Series([""] * len(raw), index=raw.index)
    )
    leads["qualification"] = _qualification(
        q_col,
        cfg.get("qualification") or {},
        col_table.get("qualification", table),
        raw_col.get("qualification"),
    )

    _attribute(profile, leads, raw, tables, notes, facts, across)
    keep = [c for c in LEADS_COLUMNS if c in leads.columns]
    if file_rows:
        if len(leads) != len(table.frame):  # a join changed the rows: no file row each
            raise ValueError("file_rows: the leads are not one per row of their file")
        leads["_row"] = np.asarray(table.row_numbers, dtype="int64")
        keep.append("_row")
    if no_date is not None:
        leads = leads[~no_date.to_numpy()]
    leads = leads.reindex(columns=keep)
    _pseudonymise(leads, table.name, notes)
    return leads.reset_index(drop=True)


def _options_of(cfg: dict, canon: str) -> dict:
    """A lead field's column options, from leads.columns or the join's columns."""
    if canon in (cfg.get("_options") or {}):
        return cfg["_options"][canon]
    return ((cfg.get("join") or {}).get("_options") or {}).get(canon, {})


#: Lead fields a lookup table may give (text fields: a lookup has no row of its own in
#: the leads file for a date's or a number's error to name).
LOOKUP_FIELDS = (*TEXT_FIELDS, "source", "campaign", "channel")


def _lookup(profile, lk: dict, raw, raw_col, col_table, tables, notes: Notes) -> None:
    """Add a lookup table's columns to the leads by a lead field (manager -> team,
    company -> sector): every lead whose key the table lists gets its row's values."""
    name = lk["input"]
    if name not in tables:
        notes.add(
            "info", name, _("lookup input {name} not given: its fields stay empty", name=repr(name))
        )
        return
    lt = tables[name]
    spec = profile.inputs[name]
    kfield, kcol = lk["key"]["field"], lk["key"]["column"]
    lopts = lk.get("_options") or {}
    lcols = chosen_columns(lt, dict(lk.get("columns") or {}), lopts)
    bad = [c for c in lcols if c not in LOOKUP_FIELDS]
    if bad:
        problem(
            DataError(
                _(
                    "a lookup table can give text fields ({fields}), not {bad}",
                    fields=", ".join(LOOKUP_FIELDS),
                    bad=", ".join(bad),
                ),
                file=str(profile.path),
            )
        )
        return
    require_columns(lt, {"key": kcol, **lcols}, f"leads.lookups ({name})")
    if kcol not in lt.frame.columns or kfield not in raw:
        return
    lcols = {k: v for k, v in lcols.items() if v in lt.frame.columns}
    key = field_text(lt, spec, kcol, None).str.strip()
    dup = key.duplicated(keep=False) & (key != "")
    if dup.any():
        reject(
            dup,
            lt,
            kcol,
            lookup_repeats,
            field=kfield,
            example=repr(pseudonymise(key[dup].iloc[0])),
        )
    first = ~key.duplicated(keep="first") & (key != "")
    pos = pd.Series(np.flatnonzero(first.to_numpy()), index=key[first])
    lead_key = raw[kfield].astype(str).str.strip()
    match = lead_key.map(pos)
    unmatched = match.isna() & (lead_key != "")
    notes.add_counted(
        "warning",
        name,
        lookup_unmatched_note,
        n=int(unmatched.sum()),
        key=kfield,
        label=lt.label,
        example=pseudonymise(lead_key[unmatched].iloc[0]) if unmatched.any() else "",
        fields=", ".join(lcols),
    )
    take = match.fillna(-1).astype(int).to_numpy()
    for canon, src in lcols.items():
        vals = field_text(lt, spec, src, lopts.get(canon)).to_numpy(dtype=object)
        raw[canon] = pd.Series(
            np.where(take >= 0, vals[np.clip(take, 0, None)], ""), index=raw.index, dtype="str"
        )
        raw_col[canon] = src
        col_table[canon] = lt


# The notes of a leads mapping, as texts of their counts: the row-by-row mapping here
# and the one in DuckDB (`analysis.ingest.canonical`) say the same things the same way.

#: (shown with `_`: a constant is written in the language of the load, not of the import)
NO_DATES_NOTE = N_(
    "the data have no creation dates: counts, conversion and models use every lead; "
    "periods, time to sale and lead age cannot be computed"
)


def absent_note(label: str, fields) -> str:
    return _("optional field(s) not in {label}: {fields}", label=label, fields=", ".join(fields))


@counted
def join_orphans_note(n: int, label: str, leads: str, key: str, example: str) -> str:
    return n_(
        "{n} row(s) of {label} match no lead in {leads} (e.g. {example}); they are left out",
        "{n} row(s) of {label} match no lead in {leads} (e.g. {example}); they are left out",
        n,
        label=label,
        leads=leads,
        example=key + "=" + repr(example),
    )


@counted
def session_orphans_note(n: int) -> str:
    return n_(
        "{n} lead id(s) in the web-analytics export are not in the leads table (a different "
        "period, or test submissions); they are left out",
        "{n} lead id(s) in the web-analytics export are not in the leads table (a different "
        "period, or test submissions); they are left out",
        n,
    )


@counted
def visitors_linked_note(linked: int, with_id: int, without: int) -> str:
    return _(
        "sessions linked to leads by the visitor id the CRM keeps: {linked} of {with_id} "
        "leads with a visitor id have sessions up to their creation ({without} leads have "
        "no visitor id)",
        linked=fmt_int(linked),
        with_id=fmt_int(with_id),
        without=fmt_int(without),
    )


@dataclass
class Across:
    """What a streamed read carries from chunk to chunk (`analysis.ingest.stream`): the
    parts of the mapping that look at every lead at once. After the last chunk,
    `finish` gives the notes' arguments and the facts a whole-file read would give."""

    join_matched: np.ndarray | None = None  # rows of the joined input some lead matched
    join_key: pd.Series | None = None  # their keys
    sessions: pd.DataFrame | None = None  # the sessions, parsed once
    session_att: pd.DataFrame | None = None  # each session lead id's source (by lead id)
    session_matched: np.ndarray | None = None  # ... that some lead has
    visitors_seen: set = field(default_factory=set)  # visitor ids of the sessions
    visitors_known: set = field(default_factory=set)  # ... that some lead keeps

    def finish(self) -> tuple[dict[str, dict], dict]:
        """(final arguments of counted notes by function name, facts to set)."""
        final: dict[str, dict] = {}
        facts: dict = {}
        if self.join_matched is not None and self.join_key is not None:
            orphan = ~self.join_matched & (self.join_key != "").to_numpy()
            example = self.join_key[orphan].iloc[0] if orphan.any() else ""
            final["join_orphans_note"] = {
                "n": int(orphan.sum()),
                "example": pseudonymise(example) if example else "",
            }
            facts["joined_orphans"] = int(orphan.sum())
            facts["joined_rows"] = int(len(self.join_key))
        if self.sessions is not None:
            facts["sessions_rows"] = int(len(self.sessions))
        if self.session_matched is not None:
            n = int((~self.session_matched).sum())
            final["session_orphans_note"] = {"n": n}
            facts["sessions_leads_unknown"] = n
        elif self.sessions is not None and "lead_id" not in self.sessions:
            facts["sessions_leads_unknown"] = len(self.visitors_seen - self.visitors_known - {""})
        return final, facts


@counted
def lookup_unmatched_note(n: int, key: str, label: str, example: str, fields: str) -> str:
    return n_(
        "{n} lead(s) have a {key} that {label} does not list (e.g. {example}); their {fields} "
        "stay empty",
        "{n} lead(s) have a {key} that {label} does not list (e.g. {example}); their {fields} "
        "stay empty",
        n,
        key=key,
        label=label,
        example=repr(example),
        fields=fields,
    )


NO_REVENUE_NOTE = N_("no revenue column mapped: revenue and ROMI cannot be computed")


def _where(n: int, rows: str | list[int]) -> str:
    """Rows as a note shows them: ``rows`` given as text, or the first row numbers of
    ``n``."""
    return rows if isinstance(rows, str) else format_rows(rows, total=n)


@counted
def undated_note(n: int, total: int, rows: str | list[int], drop: bool) -> str:
    """``n`` of ``total`` leads without a creation date (``rows``: theirs)."""
    where = _where(n, rows)
    if drop:
        return n_(
            "{n} lead(s) have no creation date ({rows}); they are left out, as the profile "
            "says (leads.no_created_at: drop)",
            "{n} lead(s) have no creation date ({rows}); they are left out, as the profile "
            "says (leads.no_created_at: drop)",
            n,
            rows=where,
        )
    return _(
        "{n} of {total} lead(s) have no creation date ({rows}): they count in leads, sales "
        "and models, and are left out of periods, time to sale and lead age (set "
        "leads.no_created_at: drop in the profile to leave them out everywhere)",
        n=fmt_int(n),
        total=fmt_int(total),
        rows=where,
    )


@counted
def unknown_revenue_note(n: int) -> str:
    return n_(
        "{n} sale(s) have no revenue; revenue totals leave them out",
        "{n} sale(s) have no revenue; revenue totals leave them out",
        n,
    )


@counted
def won_before_note(n: int, rows: str | list[int]) -> str:
    return n_(
        "{n} sale(s) are dated before their lead was created ({rows}); they count as sales, "
        "and their time to sale is left out. Check the CRM's close and creation dates.",
        "{n} sale(s) are dated before their lead was created ({rows}); they count as sales, "
        "and their time to sale is left out. Check the CRM's close and creation dates.",
        n,
        rows=_where(n, rows),
    )


@counted
def no_source_note(n: int, total: int) -> str:
    return _(
        "{n} of {total} leads ({share}) have no source in any input; they are kept as source "
        "{source}",
        n=fmt_int(n),
        total=fmt_int(total),
        share=share(n / total),
        source=repr(UNKNOWN_SOURCE),
    )


def _creation_dates(cfg, leads, raw, table, notes: Notes, facts: dict, failed) -> pd.Series | None:
    """Leads without a creation date: kept (counts and models use them; time-based
    figures leave them out and say so) or, where the profile says
    ``no_created_at: drop``, dropped with a note. Returns the rows to drop, or None."""
    if "created_at" not in leads:
        leads["created_at"] = pd.Series(pd.NaT, index=leads.index, dtype=_NAT)
        notes.add("warning", table.name, _(NO_DATES_NOTE))
        facts["no_created_at"] = int(len(leads))
        return None
    if "created_at" in failed:
        return None
    missing = leads["created_at"].isna()
    facts["no_created_at"] = int(missing.sum())
    n = int(missing.sum())
    drop = cfg.get("no_created_at", "keep") == "drop"
    notes.add_counted(
        "warning",
        table.name,
        undated_note,
        n=n,
        total=len(leads),
        rows=table.rows(missing),
        drop=drop,
    )
    if not n:
        return None
    if drop:
        facts["no_created_at_dropped"] = n
        return missing
    return None


def _won_before_created(leads: pd.DataFrame, table: RawTable, notes: Notes, facts: dict) -> None:
    """Sales dated before their lead was created: kept, flagged (check and the audit),
    and left out of the time to sale."""
    early = (leads["won_at"] < leads["created_at"]).fillna(False).to_numpy(dtype=bool)
    facts["won_before_created"] = int(early.sum())
    notes.add_counted(
        "warning", table.name, won_before_note, n=int(early.sum()), rows=table.rows(early)
    )


def _pseudonymise(leads: pd.DataFrame, input_name: str, notes: Notes) -> None:
    """E-mails and phones inside every text field of the leads, whichever input or
    UTM tag it came from, to pseudonyms (`analysis.ingest.privacy`), in place. A lead id
    keeps the pseudonym of its id as written, so distinct ids stay distinct."""
    for col in leads.columns:
        if col != "attributed_by" and pd.api.types.is_string_dtype(leads[col].dtype):
            exact = col == "lead_id"
            leads[col] = scrub(leads[col], col, input_name, notes, exact=exact).astype("str")


def _attribute(profile, leads, raw, tables, notes, facts, across=None) -> None:
    """Fill source/medium/campaign/attributed_by in order: CRM source field, UTM tags
    (columns or landing URL), web-analytics sessions, the profile's fallback field."""
    cfg = profile.leads
    vmap = cfg.get("values") or {}
    n = len(leads)
    src = pd.Series(pd.NA, index=leads.index, dtype="str")
    med = pd.Series(pd.NA, index=leads.index, dtype="str")
    camp = pd.Series(pd.NA, index=leads.index, dtype="str")
    by = pd.Series(pd.NA, index=leads.index, dtype="str")

    def fill(origin: str, s, m, c) -> None:
        s = normalise_source(s)
        take = src.isna() & s.notna()
        src.loc[take] = s[take]
        med.loc[take] = normalise_source(m)[take] if m is not None else pd.NA
        camp.loc[take] = blank_to_na(c.fillna(""))[take] if c is not None else pd.NA
        by.loc[take] = origin

    if "source" in raw:
        fill("crm", raw["source"], raw.get("medium"), raw.get("campaign"))
    utm = pd.DataFrame(
        index=leads.index, columns=["utm_source", "utm_medium", "utm_campaign"], dtype="str"
    )
    if "landing_url" in raw:
        utm = utm_from_urls(raw["landing_url"])
    for key in ("utm_source", "utm_medium", "utm_campaign"):
        if key in raw:  # explicit UTM columns win over the URL's
            explicit = blank_to_na(raw[key])
            utm[key] = explicit.fillna(utm[key]) if key in utm else explicit
    if utm["utm_source"].notna().any():
        fill("crm_utm", utm["utm_source"], utm["utm_medium"], utm["utm_campaign"])

    web = profile.web_analytics
    if web and web["input"] in tables:
        att = _sessions(profile, web, leads, raw, tables, notes, facts, across)
        if att is not None:
            a = att.reindex(leads["lead_id"])
            a.index = leads.index
            fill("web_analytics", a["source"], a["medium"], a["campaign"])
            facts["attribution_model"] = web.get("attribution", "last_non_direct")

    fb = cfg.get("source_fallback")
    if fb:
        field_ = fb.get("column")
        if field_ not in raw:
            raise DataError(
                _(
                    "leads.source_fallback.column {column} is not mapped in leads.columns",
                    column=repr(field_),
                ),
                file=str(profile.path),
            )
        text = raw[field_].astype(str).str.strip()
        sep = fb.get("split")
        parts = (
            text.str.split(str(sep)).map(lambda xs: {x.strip().casefold() for x in xs})
            if sep
            else text
        )
        for value, target in (fb.get("values") or {}).items():
            want = str(value).strip()
            # with `split:` (a CRM's tag list, "yandex, hot"), any one tag matches
            folded = want.casefold()
            hit = parts.map(lambda xs, w=folded: w in xs) if sep else text == want
            if hit.any():
                fill(
                    "crm_field",
                    pd.Series(np.where(hit, target.get("source", ""), ""), index=leads.index),
                    pd.Series(np.where(hit, target.get("medium", ""), ""), index=leads.index),
                    pd.Series(np.where(hit, target.get("campaign", ""), ""), index=leads.index),
                )

    src = map_values(src, source_values(vmap.get("source")))
    none = src.isna()
    by = by.where(~none, "none")
    leads["source"] = src.fillna(UNKNOWN_SOURCE).astype("str")
    leads["medium"] = map_values(med, vmap.get("medium")).astype("str")
    leads["campaign"] = map_values(camp, vmap.get("campaign")).fillna(NO_CAMPAIGN).astype("str")
    leads["attributed_by"] = by.astype("str")
    notes.add_counted("warning", cfg["input"], no_source_note, n=int(none.sum()), total=n)
    facts["attribution"] = leads["attributed_by"].value_counts().to_dict()
    facts["direct_only"] = int(is_direct(leads["source"]).sum())


def _sessions(profile, web: dict, leads, raw, tables, notes: Notes, facts: dict, across=None):
    """Each lead's source from the web-analytics sessions: by the lead id the sessions
    carry, or by the visitor id the CRM keeps (`attribute_visitors`). None when the
    sessions cannot be used (the problem is recorded)."""
    st = tables[web["input"]]
    if across is not None and across.sessions is not None:  # parsed for an earlier chunk
        sessions = across.sessions
    else:
        sessions = _session_rows(profile, web, st)
        if across is not None:
            across.sessions = sessions
    if sessions is None:
        return None
    model = web.get("attribution", "last_non_direct")
    facts["sessions_rows"] = int(len(sessions))
    if "lead_id" in sessions:
        if across is not None and across.session_att is not None:
            att = across.session_att
        else:
            att = attribute_sessions(sessions, model).set_index("lead_id")
        matched = att.index.isin(set(leads["lead_id"]))
        if across is not None:
            across.session_att = att
            if across.session_matched is None:
                across.session_matched = np.zeros(len(att), dtype=bool)
            across.session_matched |= matched
            matched = np.ones(len(att), dtype=bool)
        orphan = ~matched
        facts["sessions_leads_unknown"] = int(orphan.sum())
        notes.add_counted("warning", web["input"], session_orphans_note, n=int(orphan.sum()))
        return att
    links = pd.DataFrame(
        {
            "lead_id": leads["lead_id"],
            "visitor_id": raw["visitor_id"] if "visitor_id" in raw else "",
            "created_at": leads["created_at"],
        }
    )
    att = attribute_visitors(sessions.drop(columns=["lead_id"], errors="ignore"), links, model)
    att = att.set_index("lead_id")
    with_id = links["visitor_id"].astype(str).str.strip() != ""
    seen = set(sessions["visitor_id"].astype(str).str.strip())
    known = set(links.loc[with_id, "visitor_id"].astype(str).str.strip())
    if across is not None:
        across.visitors_seen = seen
        across.visitors_known |= known
    facts["sessions_visitors_linked"] = int(len(att))
    facts["leads_with_visitor_id"] = int(with_id.sum())
    facts["sessions_leads_unknown"] = len(seen - known - {""})
    notes.add_counted(
        "info",
        web["input"],
        visitors_linked_note,
        linked=int(len(att)),
        with_id=int(with_id.sum()),
        without=len(leads) - int(with_id.sum()),
    )
    return att


def _session_rows(profile, web: dict, st: RawTable) -> pd.DataFrame | None:
    """The sessions as text fields and parsed start times; None when they cannot be
    used (the problem is recorded)."""
    spec = profile.inputs[web["input"]]
    wopts = web.get("_options") or {}
    wcols = chosen_columns(st, dict(web["columns"]), wopts)
    require_columns(st, wcols, "web_analytics")
    duplicated_names(st, wcols, wopts, "web_analytics.columns")
    if any(v not in st.frame.columns for v in wcols.values()):
        return None
    sessions = pd.DataFrame(
        {k: field_text(st, spec, v, wopts.get(k)) for k, v in wcols.items()}, index=st.frame.index
    )
    for k, opt in wopts.items():
        if "constant" in opt:
            sessions[k] = field_text(st, spec, None, opt)
    wvals = web.get("values") or {}
    for k in ("utm_source", "utm_medium", "utm_campaign"):
        if k not in sessions:
            sessions[k] = ""
        elif k in wvals:  # Metrica's lastAdvEngine ya_direct -> yandex, ...
            sessions[k] = map_values(blank_to_na(sessions[k]), wvals[k]).fillna("").astype("str")
    got = parsed_or_problem(
        parse_dates,
        sessions["session_start"],
        table=st,
        column=wcols["session_start"],
        **spec.date_options,
    )
    if got is None:
        return None
    sessions["session_start"] = got
    return sessions
