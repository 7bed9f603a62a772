"""Columns and values of the raw export tables to the canonical `leads` columns: the
profile's mapping, dates and numbers parsed, qualification mapped to hot/warm/cold,
sources normalised and attributed (CRM field, UTM tags, web-analytics sessions).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.base.errors import DataError
from analysis.ingest.attribution import attribute_sessions, is_direct, utm_from_urls
from analysis.ingest.notes import Notes
from analysis.ingest.parse import parse_dates, parse_flags, parse_numbers
from analysis.ingest.privacy import pseudonymise, scrub
from analysis.ingest.profiles import InputSpec, Profile
from analysis.ingest.readers import RawTable, read_table
from analysis.ingest.schema import LEADS_COLUMNS, NO_CAMPAIGN, QUALIFICATION_DTYPE, UNKNOWN_SOURCE

#: Text fields taken from their own column (source and campaign come through `_attribute`;
#: medium from both: its column here, and a UTM tag or session when the source is one).
TEXT_FIELDS = ("medium", "segment", "manager", "stage", "lost_reason")


def read(spec: InputSpec, override: Path | None) -> RawTable | None:
    path = override or spec.path
    if path is None:
        if spec.required:
            raise DataError(
                f"input {spec.name!r} has no file: pass it as --input {spec.name}=PATH "
                "(or set `path:` in the profile)"
            )
        return None
    path = Path(path)
    if not path.exists() and not spec.required and override is None:
        return None
    return read_table(
        path, spec.name, encoding=spec.encoding, delimiter=spec.delimiter, sheet=spec.sheet
    )


def require_columns(table: RawTable, mapping: dict[str, str], where: str) -> None:
    missing = [(canon, src) for canon, src in mapping.items() if src not in table.frame.columns]
    if missing:
        canon, src = missing[0]
        have = ", ".join(repr(c) for c in table.frame.columns[:30])
        raise DataError(
            f"required column missing: the profile maps {where}.{canon} to {src!r}, which "
            f"the file does not have"
            + (
                f" (also missing: {', '.join(repr(s) for _, s in missing[1:])})"
                if len(missing) > 1
                else ""
            )
            + f". Columns in the file: {have}. Fix the export or the profile's {where}.columns.",
            file=table.label,
            rows=[1],
            column=src,
        )


def present(table: RawTable, cols: dict[str, str], optional, notes: Notes) -> dict[str, str]:
    """Drop the mappings of optional fields whose column the file does not have."""
    optional = set(optional or ())
    absent = [k for k, v in cols.items() if k in optional and v not in table.frame.columns]
    if absent:
        notes.add(
            "info", table.name, f"optional field(s) not in {table.label}: {', '.join(absent)}"
        )
    return {k: v for k, v in cols.items() if k not in absent}


def reject(mask, table: RawTable, column: str | None, message: str) -> None:
    """Raise `DataError` naming the file rows where ``mask`` is true; ``{n}`` in the
    message becomes their count."""
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        raise DataError(
            message.replace("{n}", str(int(mask.sum()))),
            file=table.label,
            rows=table.rows(mask),
            column=column,
        )


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


def _qualification(s: pd.Series, mapping: dict, table: RawTable, column: str | None) -> pd.Series:
    text = s.fillna("").astype(str).str.strip()
    if not mapping:
        if column is None:
            return pd.Series(
                pd.Categorical(["unknown"] * len(s), dtype=QUALIFICATION_DTYPE), index=s.index
            )
        mapping = {q: [q] for q in ("hot", "warm", "cold")} | {"unknown": [""]}
    lookup: dict[str, str] = {}
    for cls, raw_values in mapping.items():
        for raw in raw_values if isinstance(raw_values, list) else [raw_values]:
            lookup[str(raw if raw is not None else "").strip().casefold()] = cls
    key = text.str.casefold()
    out = key.map(lookup)
    bad = out.isna()
    if bad.any():
        values = ", ".join(repr(v) for v in text[bad].unique()[:8])
        raise DataError(
            f"unknown qualification value(s): {values} ({int(bad.sum())} row(s)). Add each to "
            "leads.qualification in the mapping profile as hot, warm, cold or unknown.",
            file=table.label,
            rows=table.rows(bad),
            column=column,
        )
    return pd.Series(pd.Categorical(out, dtype=QUALIFICATION_DTYPE), index=s.index)


def normalise_source(s: pd.Series) -> pd.Series:
    return blank_to_na(s.fillna("").astype(str).str.strip().str.lower())


def build_leads(profile: Profile, tables: dict[str, RawTable], notes: Notes, facts: dict):
    cfg = profile.leads
    table = tables[cfg["input"]]
    cols = present(table, dict(cfg.get("columns") or {}), cfg.get("optional"), notes)
    require_columns(table, cols, "leads")
    personal_mapped = [c for c in cols.values() if c in profile.personal_data]
    if personal_mapped:
        raise DataError(
            f"the profile maps personal-data column(s) {personal_mapped} into the leads table; "
            "personal data never enter the kit's tables",
            file=str(profile.path),
        )
    raw = pd.DataFrame({canon: table.frame[src] for canon, src in cols.items()})
    raw_col = dict(cols)  # canonical -> column name in its file, for messages
    col_table = dict.fromkeys(cols, table)

    # lead ids: present and unique
    ids = raw["lead_id"].astype(str).str.strip()
    reject(ids == "", table, cols["lead_id"], "{n} row(s) have no lead id; every lead needs one")
    dup = ids.duplicated(keep=False)
    examples = ", ".join(repr(v) for v in ids[dup].unique()[:5])
    reject(
        dup,
        table,
        cols["lead_id"],
        f"duplicate lead ids: {examples} ({ids[dup].nunique()} id(s) on {{n}} rows). Was the "
        "export appended twice? Remove the duplicates.",
    )

    joined_flag = None
    join = cfg.get("join")
    if join:
        jt = tables[join["input"]]
        jcols = dict(join.get("columns") or {})
        require_columns(jt, {"join key": join["key"], **jcols}, "leads.join")
        key = jt.frame[join["key"]].astype(str).str.strip()
        jdup = key.duplicated(keep=False) & (key != "")
        if jdup.any():
            raise DataError(
                f"{int(key[jdup].nunique())} key(s) appear more than once in the joined input "
                f"(e.g. {key[jdup].iloc[0]!r}); one lead can have only one row there",
                file=jt.label,
                rows=jt.rows(jdup),
                column=join["key"],
            )
        pos = pd.Series(np.arange(len(key)), index=key)
        match = ids.map(pos)
        orphan = ~key.isin(set(ids)) & (key != "")
        if orphan.any():
            notes.add(
                "warning",
                join["input"],
                f"{int(orphan.sum())} row(s) of {jt.label} match no lead in {table.label} "
                f"(e.g. {join['on']}={pseudonymise(key[orphan].iloc[0])!r}); they are left out",
            )
        facts["joined_rows"] = int(len(key))
        facts["joined_orphans"] = int(orphan.sum())
        joined_flag = match.notna()
        take = match.fillna(-1).astype(int).to_numpy()
        for canon, src in jcols.items():
            vals = jt.frame[src].to_numpy(dtype=object)
            col = np.where(take >= 0, vals[np.clip(take, 0, None)], "")
            raw[canon] = pd.Series(col, index=raw.index, dtype="str")
            raw_col[canon] = src
            col_table[canon] = jt
        # errors in joined columns are reported against the joined file's rows
        raw["_join_row"] = take

    def rows_for(canon: str, mask: pd.Series) -> tuple[RawTable, pd.Series]:
        t = col_table[canon]
        if t is table:
            return t, mask
        jmask = np.zeros(len(t.frame), dtype=bool)
        jmask[raw.loc[mask.to_numpy(), "_join_row"].to_numpy()] = True
        return t, pd.Series(jmask)

    def parse(canon: str, fn, **kw):
        t = col_table[canon]
        if t is table:
            return fn(raw[canon], table=t, column=raw_col[canon], **kw)
        # joined column: parse in the joined file's own row order so errors name its rows
        take = raw["_join_row"].to_numpy()
        parsed_join = fn(t.frame[raw_col[canon]], table=t, column=raw_col[canon], **kw)
        out = parsed_join.to_numpy()[np.clip(take, 0, None)]
        out = pd.Series(out, index=raw.index)
        return out.where(take >= 0, None).astype(parsed_join.dtype) if len(out) else out

    def jspec(canon: str) -> InputSpec:
        return profile.inputs[col_table[canon].name]

    leads = pd.DataFrame(index=raw.index)
    leads["lead_id"] = ids.astype("str")
    for canon in ("created_at", "won_at", "first_contact_at"):
        if canon in raw:
            s = jspec(canon)
            leads[canon] = parse(
                canon,
                parse_dates,
                dayfirst=s.dayfirst,
                formats=[s.date_format] if s.date_format else None,
            )
    t, m = rows_for("created_at", leads["created_at"].isna())
    reject(m, t, raw_col["created_at"], "{n} lead(s) have no creation date")

    # what counts as a sale
    conv = cfg["converted"]
    if "joined" in conv:
        if joined_flag is None:
            raise DataError(
                "the profile says a lead converted when it appears in the joined table "
                "(converted: joined), but joins no table: add leads.join to the profile"
            )
        converted = joined_flag.astype("int8")
    elif "values" in conv:
        field_ = conv["column"]
        if field_ not in raw:
            raise DataError(
                f"leads.converted.column {field_!r} is not mapped in leads.columns",
                file=str(profile.path),
            )
        wanted = {str(v).strip().casefold() for v in conv["values"]}
        converted = raw[field_].astype(str).str.strip().str.casefold().isin(wanted).astype("int8")
    else:
        field_ = conv["column"]
        if field_ not in raw:
            raise DataError(
                f"leads.converted.column {field_!r} is not mapped in leads.columns",
                file=str(profile.path),
            )
        converted = parse(field_, parse_flags)
    leads["converted"] = converted.astype("int8").to_numpy()

    if "revenue" in raw:
        rev = parse(
            "revenue", parse_numbers, decimal=decimal(jspec("revenue"), col_table["revenue"])
        )
        t, m = rows_for("revenue", rev < 0)
        reject(m, t, raw_col["revenue"], "{n} negative revenue value(s); revenue must be 0 or more")
        # revenue counts only for sales; a budget on an open or lost deal is a plan
        leads["revenue"] = rev.where(leads["converted"] == 1, 0.0).astype("float64")
        unknown_rev = (leads["converted"] == 1) & leads["revenue"].isna()
        if unknown_rev.any():
            notes.add(
                "info",
                table.name,
                f"{int(unknown_rev.sum())} sale(s) have no revenue; revenue totals leave them out",
            )
    else:
        leads["revenue"] = np.where(leads["converted"] == 1, np.nan, 0.0)
        notes.add(
            "info", table.name, "no revenue column mapped: revenue and ROMI cannot be computed"
        )
    if "won_at" in leads:
        leads["won_at"] = leads["won_at"].where(leads["converted"] == 1)

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

    _attribute(profile, leads, raw, tables, notes, facts)
    leads = leads.reindex(columns=[c for c in LEADS_COLUMNS if c in leads.columns])
    _pseudonymise(leads, table.name, notes)
    return leads.reset_index(drop=True)


def _pseudonymise(leads: pd.DataFrame, input_name: str, notes: Notes) -> None:
    """E-mails and phones inside every text field of the leads, whichever input or
    UTM tag it came from, to pseudonyms (`analysis.ingest.privacy`), in place. A lead id
    keeps the pseudonym of its id as written, so distinct ids stay distinct."""
    for col in leads.columns:
        if col != "attributed_by" and pd.api.types.is_string_dtype(leads[col].dtype):
            exact = col == "lead_id"
            leads[col] = scrub(leads[col], col, input_name, notes, exact=exact).astype("str")


def _attribute(profile, leads, raw, tables, notes, facts) -> None:
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
        st = tables[web["input"]]
        wcols = web["columns"]
        require_columns(st, wcols, "web_analytics")
        spec = profile.inputs[web["input"]]
        sessions = pd.DataFrame({k: st.frame[v] for k, v in wcols.items()})
        for k in ("utm_medium", "utm_campaign"):
            if k not in sessions:
                sessions[k] = ""
        sessions["session_start"] = parse_dates(
            sessions["session_start"],
            table=st,
            column=wcols["session_start"],
            dayfirst=spec.dayfirst,
            formats=[spec.date_format] if spec.date_format else None,
        )
        att = attribute_sessions(sessions, web.get("attribution", "last_non_direct"))
        att = att.set_index("lead_id")
        known = set(leads["lead_id"])
        orphan = ~att.index.isin(known)
        facts["sessions_rows"] = int(len(sessions))
        facts["sessions_leads_unknown"] = int(orphan.sum())
        if orphan.any():
            notes.add(
                "warning",
                web["input"],
                f"{int(orphan.sum())} lead id(s) in the web-analytics export are not in the "
                "leads table (a different period, or test submissions); they are left out",
            )
        a = att.reindex(leads["lead_id"])
        a.index = leads.index
        fill("web_analytics", a["source"], a["medium"], a["campaign"])
        facts["attribution_model"] = web.get("attribution", "last_non_direct")

    fb = cfg.get("source_fallback")
    if fb:
        field_ = fb.get("column")
        if field_ not in raw:
            raise DataError(
                f"leads.source_fallback.column {field_!r} is not mapped in leads.columns",
                file=str(profile.path),
            )
        text = raw[field_].astype(str).str.strip()
        for value, target in (fb.get("values") or {}).items():
            hit = text == str(value).strip()
            if hit.any():
                fill(
                    "crm_field",
                    pd.Series(np.where(hit, target.get("source", ""), ""), index=leads.index),
                    pd.Series(np.where(hit, target.get("medium", ""), ""), index=leads.index),
                    pd.Series(np.where(hit, target.get("campaign", ""), ""), index=leads.index),
                )

    src = map_values(src, vmap.get("source"))
    none = src.isna()
    by = by.where(~none, "none")
    leads["source"] = src.fillna(UNKNOWN_SOURCE).astype("str")
    leads["medium"] = map_values(med, vmap.get("medium")).astype("str")
    leads["campaign"] = map_values(camp, vmap.get("campaign")).fillna(NO_CAMPAIGN).astype("str")
    leads["attributed_by"] = by.astype("str")
    if none.any():
        notes.add(
            "warning",
            cfg["input"],
            f"{int(none.sum())} of {n} leads ({none.mean():.1%}) have no source in any input; "
            f"they are kept as source {UNKNOWN_SOURCE!r}",
        )
    facts["attribution"] = leads["attributed_by"].value_counts().to_dict()
    facts["direct_only"] = int(is_direct(leads["source"]).sum())
