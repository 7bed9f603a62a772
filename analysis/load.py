"""From export files to the canonical, validated `leads` and `spend` tables.

`load_dataset` reads the inputs a mapping profile names, maps columns and values,
parses dates and numbers, attributes each lead to a source (CRM field, UTM tags,
web-analytics sessions), drops personal data, checks everything against the schemas,
and returns a `Dataset` with the tables and what was learned on the way (notes).

It writes nothing and never modifies an input file. Any problem that makes the data
unusable raises `DataError` naming the file, rows and column; problems that leave the
data usable become notes, shown in the data audit.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .attribution import attribute_sessions, is_direct, utm_from_urls
from .errors import DataError
from .profiles import InputSpec, Profile, load_profile
from .readers import (
    RawTable,
    file_sha256,
    parse_dates,
    parse_flags,
    parse_numbers,
    read_table,
)
from .schema import (
    LEADS_COLUMNS,
    NO_CAMPAIGN,
    QUALIFICATION_DTYPE,
    SPEND_COLUMNS,
    UNKNOWN_SOURCE,
    validate_leads,
    validate_spend,
)

__all__ = ["Dataset", "load_dataset", "PERSONAL_HEADER"]

#: Header words that mark a column as personal data (dropped unless a profile maps it).
PERSONAL_HEADER = re.compile(
    r"e-?mail|почт|phone|tel\b|телефон|мобильн|^name$|first.?name|last.?name|full.?name|"
    r"фио|^имя|фамил|отчеств|контакт|contact|passport|паспорт|address|адрес|birth|рожден",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"(?:\+?\d[\s()\-\xa0]*){10,}")
_TEXT_FIELDS = ("medium", "segment", "manager", "stage", "lost_reason")
#: Leads files larger than this are streamed in chunks (``load_dataset(stream=None)``).
STREAM_BYTES = 256 << 20
STREAMABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq")


@dataclass
class Dataset:
    """What `load_dataset` returns.

    Attributes
    ----------
    profile : Profile
    leads, spend : DataFrame
        The canonical tables (``spend`` has the canonical columns and no rows when the
        profile has no spend input).
    inputs : DataFrame[input, file, rows, encoding, delimiter, sha256, personal_columns_dropped]
        One row per file read.
    notes : DataFrame[severity, input, message]
        Things a user should know: unmatched spend, leads without a source, joined rows
        without a lead, values pseudonymised.
    facts : dict
        Counts behind the data audit (attribution coverage, spend matching).
    source : Path or None
        The canonical leads as a Parquet file, when they were streamed.
    """

    profile: Profile
    leads: pd.DataFrame
    spend: pd.DataFrame
    inputs: pd.DataFrame
    notes: pd.DataFrame
    facts: dict = field(default_factory=dict)
    source: Path | None = None

    @property
    def has_spend(self) -> bool:
        return not self.spend.empty


class _Notes:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, severity: str, input_name: str, message: str) -> None:
        self.rows.append({"severity": severity, "input": input_name, "message": message})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["severity", "input", "message"])


def _read(spec: InputSpec, override: Path | None) -> RawTable | None:
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


def _require_columns(table: RawTable, mapping: dict[str, str], where: str) -> None:
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


def _present(table: RawTable, cols: dict[str, str], optional, notes: _Notes) -> dict[str, str]:
    """Drop the mappings of optional fields whose column the file does not have."""
    optional = set(optional or ())
    absent = [k for k, v in cols.items() if k in optional and v not in table.frame.columns]
    if absent:
        notes.add(
            "info", table.name, f"optional field(s) not in {table.label}: {', '.join(absent)}"
        )
    return {k: v for k, v in cols.items() if k not in absent}


def _reject(mask, table: RawTable, column: str | None, message: str) -> None:
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


def _decimal(spec: InputSpec, table: RawTable) -> str:
    if spec.decimal:
        return spec.decimal
    return "," if table.delimiter == ";" else "."


def _blank_to_na(s: pd.Series) -> pd.Series:
    s = s.astype(str).str.strip()
    return s.where(s != "", pd.NA)


def _map_values(s: pd.Series, mapping: dict | None) -> pd.Series:
    if not mapping:
        return s
    lookup = {str(k).strip(): (None if v is None else str(v)) for k, v in mapping.items()}
    mapped = s.map(lambda v: lookup.get(v, v) if isinstance(v, str) else lookup.get("", v))
    # all-missing input maps to float NaN: back to text before filling
    return _blank_to_na(mapped.astype(object).fillna(""))


def _pseudonym(kind: str, value: str) -> str:
    return f"{kind}-{hashlib.sha256(value.encode('utf-8')).hexdigest()[:8]}"


def _scrub(s: pd.Series, column: str, input_name: str, notes: _Notes) -> pd.Series:
    """Replace values that look like e-mails or phone numbers by stable pseudonyms."""
    text = s.fillna("").astype(str)
    personal = text.str.contains(_EMAIL) | text.str.contains(_PHONE)
    if personal.any():
        notes.add(
            "warning",
            input_name,
            f"{int(personal.sum())} value(s) of {column!r} looked like e-mails or phone "
            "numbers; they were replaced by pseudonyms (e.g. manager-1a2b3c4d) so no personal "
            "data reaches a report",
        )
        s = s.where(~personal, text.map(lambda v: _pseudonym(column, v)))
    return s


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


def _normalise_source(s: pd.Series) -> pd.Series:
    return _blank_to_na(s.fillna("").astype(str).str.strip().str.lower())


def _build_leads(profile: Profile, tables: dict[str, RawTable], notes: _Notes, facts: dict):
    cfg = profile.leads
    table = tables[cfg["input"]]
    cols = _present(table, dict(cfg.get("columns") or {}), cfg.get("optional"), notes)
    _require_columns(table, cols, "leads")
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
    _reject(ids == "", table, cols["lead_id"], "{n} row(s) have no lead id; every lead needs one")
    dup = ids.duplicated(keep=False)
    examples = ", ".join(repr(v) for v in ids[dup].unique()[:5])
    _reject(
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
        _require_columns(jt, {"join key": join["key"], **jcols}, "leads.join")
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
                f"{int(orphan.sum())} row(s) of {jt.label} match no lead in "
                f"{table.label} (e.g. {join['on']}={key[orphan].iloc[0]!r}); they are left out",
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
    _reject(m, t, raw_col["created_at"], "{n} lead(s) have no creation date")

    # what counts as a sale
    conv = cfg["converted"]
    if "joined" in conv:
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
            "revenue", parse_numbers, decimal=_decimal(jspec("revenue"), col_table["revenue"])
        )
        t, m = rows_for("revenue", rev < 0)
        _reject(
            m, t, raw_col["revenue"], "{n} negative revenue value(s); revenue must be 0 or more"
        )
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
    for canon in _TEXT_FIELDS:
        if canon in raw:
            s = _map_values(_blank_to_na(raw[canon]), vmap.get(canon))
            leads[canon] = _scrub(s, canon, table.name, notes).astype("str")

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
    return leads.reset_index(drop=True)


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
        s = _normalise_source(s)
        take = src.isna() & s.notna()
        src.loc[take] = s[take]
        med.loc[take] = _normalise_source(m)[take] if m is not None else pd.NA
        camp.loc[take] = _blank_to_na(c.fillna(""))[take] if c is not None else pd.NA
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
            explicit = _blank_to_na(raw[key])
            utm[key] = explicit.fillna(utm[key]) if key in utm else explicit
    if utm["utm_source"].notna().any():
        fill("crm_utm", utm["utm_source"], utm["utm_medium"], utm["utm_campaign"])

    web = profile.web_analytics
    if web and web["input"] in tables:
        st = tables[web["input"]]
        wcols = web["columns"]
        _require_columns(st, wcols, "web_analytics")
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

    src = _map_values(src, vmap.get("source"))
    none = src.isna()
    by = by.where(~none, "none")
    leads["source"] = src.fillna(UNKNOWN_SOURCE).astype("str")
    leads["medium"] = _map_values(med, vmap.get("medium")).astype("str")
    leads["campaign"] = _map_values(camp, vmap.get("campaign")).fillna(NO_CAMPAIGN).astype("str")
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


def _build_spend(profile: Profile, tables: dict[str, RawTable], notes: _Notes) -> pd.DataFrame:
    empty = pd.DataFrame(
        {
            "date": pd.Series(dtype="datetime64[us]"),
            "source": pd.Series(dtype="str"),
            "campaign": pd.Series(dtype="str"),
            "spend": pd.Series(dtype="float64"),
        }
    )
    cfg = profile.spend
    if not cfg or cfg["input"] not in tables:
        notes.add(
            "info", "spend", "no spend data: cost per lead, cost per sale and ROMI are not computed"
        )
        return empty
    table = tables[cfg["input"]]
    spec = profile.inputs[cfg["input"]]
    cols = _present(table, dict(cfg["columns"]), cfg.get("optional"), notes)
    _require_columns(table, cols, "spend")
    raw = table.frame
    out = pd.DataFrame(index=raw.index)
    out["date"] = parse_dates(
        raw[cols["date"]],
        table=table,
        column=cols["date"],
        dayfirst=spec.dayfirst,
        formats=[spec.date_format] if spec.date_format else None,
    )
    vmap = cfg.get("values") or {}
    for canon in ("source", "campaign"):
        text = _blank_to_na(raw[cols[canon]])
        if canon == "source":
            text = _normalise_source(text)
        text = _map_values(text, vmap.get(canon))
        _reject(text.isna(), table, cols[canon], f"{{n}} spend row(s) have no {canon}")
        out[canon] = text.astype("str")
    _reject(out["date"].isna(), table, cols["date"], "{n} spend row(s) have no date")
    dec = _decimal(spec, table)
    out["spend"] = parse_numbers(raw[cols["spend"]], table=table, column=cols["spend"], decimal=dec)
    _reject(
        out["spend"].isna(),
        table,
        cols["spend"],
        "{n} spend row(s) have no amount; write 0 for a day with no spend",
    )
    neg = out["spend"] < 0
    example = raw.loc[neg, cols["spend"]].iloc[0] if neg.any() else ""
    _reject(
        neg,
        table,
        cols["spend"],
        f"{{n}} negative spend value(s) (e.g. {example!r}); refunds and corrections must be "
        "netted into the day's spend before loading",
    )
    for canon in ("clicks", "impressions"):
        if canon in cols:
            v = parse_numbers(raw[cols[canon]], table=table, column=cols[canon], decimal=dec)
            bad = (v < 0) | (v.notna() & (v != v.round()))
            _reject(bad, table, cols[canon], f"{canon} must be whole numbers of 0 or more")
            out[canon] = v.astype("Int64")
    _reject(
        raw.duplicated(keep=False),
        table,
        None,
        "{n} spend rows are exact duplicates of another row (the same export pasted "
        "twice?); remove them",
    )
    key = ["date", "source", "campaign"]
    split = out.duplicated(key, keep=False)
    if split.any():
        notes.add(
            "info",
            table.name,
            f"{int(split.sum())} spend rows share a date, source and campaign (split by ad "
            "group or device?); they were summed",
        )
        agg = {c: "sum" for c in ("spend", "clicks", "impressions") if c in out}
        out = out.groupby(key, as_index=False, sort=True).agg(agg)
    return out.reindex(columns=[c for c in SPEND_COLUMNS if c in out.columns]).reset_index(
        drop=True
    )


def _spend_match(
    leads: pd.DataFrame, spend: pd.DataFrame, notes: _Notes, facts: dict, currency: str | None
) -> None:
    if spend.empty:
        facts["spend_match"] = None
        return
    pairs = set(zip(spend["source"], spend["campaign"], strict=True))
    key = list(zip(leads["source"], leads["campaign"], strict=True))
    matched = np.fromiter((k in pairs for k in key), dtype=bool, count=len(key))
    with_campaign = (leads["campaign"] != NO_CAMPAIGN).to_numpy()
    unmatched = with_campaign & ~matched
    lead_pairs = set(key)
    orphan_spend = spend[
        [p not in lead_pairs for p in zip(spend["source"], spend["campaign"], strict=True)]
    ]
    facts["spend_match"] = {
        "leads": int(len(leads)),
        "leads_matched": int(matched.sum()),
        "leads_campaign_unmatched": int(unmatched.sum()),
        "leads_no_campaign": int((~with_campaign).sum()),
        "spend_total": float(spend["spend"].sum()),
        "spend_without_leads": float(orphan_spend["spend"].sum()),
        "campaigns_without_leads": sorted(
            f"{s}/{c}"
            for s, c in set(zip(orphan_spend["source"], orphan_spend["campaign"], strict=True))
        ),
        "campaigns_without_spend": sorted(
            f"{s}/{c}" for s, c in {k for k, u in zip(key, unmatched, strict=True) if u}
        ),
    }
    if unmatched.any():
        notes.add(
            "warning",
            "spend",
            f"{int(unmatched.sum())} leads ({unmatched.mean():.1%}) carry a campaign that has "
            "no spend row: "
            + ", ".join(facts["spend_match"]["campaigns_without_spend"][:5])
            + "; they are kept, with no cost",
        )
    if len(orphan_spend):
        cur = f" {currency}" if currency else ""
        amount = f"{orphan_spend['spend'].sum():,.0f}".replace(",", "\u202f")
        notes.add(
            "warning",
            "spend",
            f"{amount}{cur} of spend ({len(orphan_spend)} rows) is on campaigns with no leads: "
            + ", ".join(facts["spend_match"]["campaigns_without_leads"][:5]),
        )


def _drop_personal(profile: Profile, name: str, table: RawTable) -> tuple[RawTable, list[str]]:
    personal = [
        c for c in table.frame.columns if c in profile.personal_data or PERSONAL_HEADER.search(c)
    ]
    mapped = _mapped_columns(profile, name)
    personal = [c for c in personal if c not in mapped]
    if personal:
        table = RawTable(
            table.name,
            table.path,
            table.frame.drop(columns=personal),
            table.first_row,
            table.encoding,
            table.delimiter,
            table.sha256,
        )
    return table, personal


def _info_row(name: str, table: RawTable, rows: int, personal: list[str]) -> dict:
    return {
        "input": name,
        "file": table.label,
        "rows": rows,
        "encoding": table.encoding,
        "delimiter": {"\t": "tab"}.get(table.delimiter, table.delimiter),
        "sha256": table.sha256,
        "personal_columns_dropped": ", ".join(personal),
    }


def _read_input(profile: Profile, name: str, spec: InputSpec, override, notes: _Notes):
    """Read one input whole, drop its personal-data columns; None when optional and
    absent."""
    table = _read(spec, override)
    if table is None:
        notes.add("info", name, f"optional input {name!r} not given")
        return None
    table, personal = _drop_personal(profile, name, table)
    return table, _info_row(name, table, len(table.frame), personal)


def load_dataset(
    profile: Profile | str | Path,
    inputs: dict[str, str | Path] | None = None,
    *,
    start: str | None = None,
    end: str | None = None,
    currency: str | None = None,
    stream: bool | None = None,
    chunk_rows: int = 250_000,
    cache_dir: str | Path | None = None,
    cache: bool = False,
) -> Dataset:
    """Load a company's exports through a mapping profile into canonical tables.

    Parameters
    ----------
    profile : Profile, str or Path
        A loaded profile, a shipped profile's name, or a path to a YAML profile.
    inputs : dict, optional
        Files to use instead of the profile's default paths, by input name
        (``{"crm": "exports/crm_2026.csv"}``).
    start, end : str, optional
        The period to report (ISO dates, both inclusive): leads created outside it and
        spend dated outside it are left out after validation, and a note says how many.
    currency : str, optional
        The currency label for money columns, instead of the profile's ``currency``
        (a client file sets it per client).
    stream : bool, optional
        Read the leads file in chunks (see `analysis.stream`) instead of whole: True
        always, False never, None (default) as the profile's input says (``stream:``),
        else when it is a CSV or Parquet file larger than ``STREAM_BYTES`` (256 MB).
    chunk_rows : int
        Rows per chunk when streaming.
    cache_dir : path, optional
        Where streamed canonical leads are kept (default ``~/.cache/leadkit``, or
        ``$LEADKIT_CACHE``).
    cache : bool
        Keep the loaded dataset in that folder, keyed by the SHA-256 of the profile and
        of every input file, the period, the currency and the kit's code, and
        return the kept copy when all of them are unchanged. The report's notebooks
        use it, so a report reads and checks the exports once, not once per notebook.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        Naming file, rows and column, when the data cannot be used.

    Examples
    --------
    >>> ds = load_dataset("sample")  # doctest: +SKIP
    >>> ds.leads.groupby("source")["converted"].mean()  # doctest: +SKIP
    """
    if not isinstance(profile, Profile):
        profile = load_profile(profile)
    if currency:
        profile = replace(profile, currency=str(currency))
    window = _window(start, end)
    overrides = {k: Path(v) for k, v in (inputs or {}).items()}
    unknown = sorted(set(overrides) - set(profile.inputs))
    if unknown:
        raise DataError(
            f"unknown input name(s) {unknown}; the profile {profile.name!r} declares "
            f"{', '.join(profile.inputs)}"
        )
    if cache:
        from .stream import cache_folder

        key = _dataset_key(profile, overrides, start, end, stream)
        folder = cache_folder(cache_dir) / "datasets" / key[:32]
        kept = _from_cache(profile, folder)
        if kept is not None:
            return kept
        ds = load_dataset(
            profile,
            overrides,
            start=start,
            end=end,
            stream=stream,
            chunk_rows=chunk_rows,
            cache_dir=cache_dir,
        )
        _to_cache(ds, folder)
        return ds
    notes = _Notes()
    facts: dict = {}
    tables: dict[str, RawTable] = {}
    info = []
    leads_input = profile.leads["input"]
    leads_path = overrides.get(leads_input) or profile.inputs[leads_input].path
    if _should_stream(
        stream if stream is not None else profile.inputs[leads_input].stream, leads_path
    ):
        return _load_streamed(
            profile, overrides, notes, facts, window, chunk_rows=chunk_rows, cache_dir=cache_dir
        )
    for name, spec in profile.inputs.items():
        got = _read_input(profile, name, spec, overrides.get(name), notes)
        if got is not None:
            tables[name], row = got
            info.append(row)
    leads = validate_leads(_build_leads(profile, tables, notes, facts))
    return _finish(profile, leads, tables, info, notes, facts, window)


def _finish(profile, leads, tables, info, notes, facts, window, source=None) -> Dataset:
    spend = _build_spend(profile, tables, notes)
    if not spend.empty:
        spend = validate_spend(spend)
    if window is not None:
        leads, spend = _restrict(leads, spend, window, notes)
        source = None  # the engine must group what the report shows: the period's leads
    _spend_match(leads, spend, notes, facts, profile.currency)
    return Dataset(profile, leads, spend, pd.DataFrame(info), notes.frame(), facts, source)


def _should_stream(stream: bool | None, path) -> bool:
    if stream is not None:
        return bool(stream)
    if path is None:
        return False
    path = Path(path)
    return (
        path.suffix.lower() in STREAMABLE_SUFFIXES
        and path.exists()
        and path.stat().st_size > STREAM_BYTES
    )


def _load_streamed(profile, overrides, notes, facts, window, *, chunk_rows, cache_dir):
    from .stream import stream_leads

    li = profile.leads["input"]
    tables: dict[str, RawTable] = {}
    info = []
    for name, spec in profile.inputs.items():
        if name == li:
            continue
        got = _read_input(profile, name, spec, overrides.get(name), notes)
        if got is not None:
            tables[name], row = got
            info.append(row)
    streamed = stream_leads(
        profile, overrides.get(li), tables, chunk_rows=chunk_rows, cache_dir=cache_dir
    )
    info.insert(0, streamed.info)
    for row in streamed.notes:
        notes.add(row["severity"], row["input"], row["message"])
    facts.update(streamed.facts)
    return _finish(profile, streamed.leads, tables, info, notes, facts, window, streamed.path)


def input_files(profile: Profile, inputs: dict | None = None) -> dict[str, Path]:
    """The file each of the profile's inputs reads (the given one, else the profile's
    default), for the inputs whose file exists: the files a load reads."""
    out = {}
    for name, spec in profile.inputs.items():
        path = (inputs or {}).get(name) or spec.path
        if path is not None and Path(path).is_file():
            out[name] = Path(path).resolve()
    return out


def input_hashes(profile: Profile, inputs: dict | None = None) -> dict[str, str]:
    """SHA-256 of each file of `input_files`."""
    return {name: file_sha256(path) for name, path in input_files(profile, inputs).items()}


def _dataset_key(profile: Profile, overrides: dict, start, end, stream) -> str:
    from .files import code_hash

    payload = {
        "profile": file_sha256(Path(profile.path)),
        "currency": profile.currency,
        # the paths too: the inputs table names each file
        "files": {k: str(p) for k, p in input_files(profile, overrides).items()},
        "hashes": input_hashes(profile, overrides),
        "period": [str(start or ""), str(end or "")],
        "stream": stream,
        "code": code_hash(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _plain(value):
    """numpy scalars and tuples to what JSON keeps as it was."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _to_cache(ds: Dataset, folder: Path) -> None:
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        ds.leads.assign(qualification=ds.leads["qualification"].astype(str)).to_parquet(
            tmp / "leads.parquet", index=False
        )
        ds.spend.to_parquet(tmp / "spend.parquet", index=False)
        meta = {
            "inputs": _plain(ds.inputs.to_dict("records")),
            "notes": _plain(ds.notes.to_dict("records")),
            "facts": _plain(ds.facts),
            "source": str(ds.source) if ds.source is not None else None,
        }
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    except OSError:  # a cache that cannot be written is no reason to fail the load
        shutil.rmtree(tmp, ignore_errors=True)


def _from_cache(profile: Profile, folder: Path) -> Dataset | None:
    from .stream import read_canonical

    meta_path = folder / "meta.json"
    if not meta_path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        source = Path(meta["source"]) if meta.get("source") else None
        if source is not None and not source.exists():
            return None
        leads = read_canonical(folder / "leads.parquet")
        spend = pd.read_parquet(folder / "spend.parquet")
        if not spend.empty:
            spend = validate_spend(spend)
    except (OSError, ValueError, KeyError):
        return None
    inputs = pd.DataFrame(meta["inputs"])
    notes = pd.DataFrame(meta["notes"], columns=["severity", "input", "message"])
    return Dataset(profile, leads, spend, inputs, notes, meta["facts"], source)


def _window(start, end) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    if not start and not end:
        return None
    bounds = []
    for label, value in (("start", start), ("end", end)):
        if not value:
            bounds.append(None)
            continue
        try:
            bounds.append(pd.Timestamp(str(value)))
        except ValueError:
            raise DataError(
                f"the period {label} {value!r} is not a date (use 2026-01-31)"
            ) from None
    lo = bounds[0] if bounds[0] is not None else pd.Timestamp.min
    # an end date includes its whole day
    hi = bounds[1] + pd.Timedelta(days=1) if bounds[1] is not None else pd.Timestamp.max
    if lo >= hi:
        raise DataError(f"the period starts ({start}) after it ends ({end})")
    return lo, hi


def _restrict(leads, spend, window, notes: _Notes):
    lo, hi = window
    keep = (leads["created_at"] >= lo) & (leads["created_at"] < hi)
    label = f"{lo.date() if lo != pd.Timestamp.min else '…'} to " + (
        f"{(hi - pd.Timedelta(days=1)).date()}" if hi != pd.Timestamp.max else "…"
    )
    if not keep.any():
        raise DataError(f"no lead was created in the period {label}")
    dropped = int((~keep).sum())
    if dropped:
        notes.add(
            "info",
            "leads",
            f"{dropped:,} of {len(leads):,} leads were created outside the period {label} "
            "and are left out",
        )
    leads = leads.loc[keep].reset_index(drop=True)
    if not spend.empty:
        in_period = (spend["date"] >= lo) & (spend["date"] < hi)
        if (~in_period).any():
            notes.add(
                "info",
                "spend",
                f"{int((~in_period).sum()):,} spend rows dated outside the period {label} "
                "are left out",
            )
        spend = spend.loc[in_period].reset_index(drop=True)
    return leads, spend


def _mapped_columns(profile: Profile, input_name: str) -> set[str]:
    out: set[str] = set()
    sections = [
        profile.leads,
        profile.leads.get("join") or {},
        profile.spend or {},
        profile.web_analytics or {},
    ]
    for sec in sections:
        if sec.get("input") == input_name:
            out |= set((sec.get("columns") or {}).values())
            if "key" in sec:
                out.add(sec["key"])
    return out
