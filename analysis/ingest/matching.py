"""The canonical `spend` table, and how leads join to it: which campaigns have spend,
the share of leads whose campaign has no spend row, and the spend no lead came from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.ingest.mapping import (
    blank_to_na,
    decimal,
    map_values,
    normalise_source,
    present,
    reject,
    require_columns,
)
from analysis.ingest.notes import Notes
from analysis.ingest.parse import parse_dates, parse_numbers
from analysis.ingest.privacy import scrub
from analysis.ingest.profiles import Profile
from analysis.ingest.readers import RawTable
from analysis.ingest.schema import NO_CAMPAIGN, SPEND_COLUMNS


def build_spend(profile: Profile, tables: dict[str, RawTable], notes: Notes) -> pd.DataFrame:
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
    cols = present(table, dict(cfg["columns"]), cfg.get("optional"), notes)
    require_columns(table, cols, "spend")
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
        text = blank_to_na(raw[cols[canon]])
        if canon == "source":
            text = normalise_source(text)
        text = map_values(text, vmap.get(canon))
        text = scrub(text, canon, table.name, notes)
        reject(text.isna(), table, cols[canon], f"{{n}} spend row(s) have no {canon}")
        out[canon] = text.astype("str")
    reject(out["date"].isna(), table, cols["date"], "{n} spend row(s) have no date")
    dec = decimal(spec, table)
    out["spend"] = parse_numbers(raw[cols["spend"]], table=table, column=cols["spend"], decimal=dec)
    reject(
        out["spend"].isna(),
        table,
        cols["spend"],
        "{n} spend row(s) have no amount; write 0 for a day with no spend",
    )
    neg = out["spend"] < 0
    example = raw.loc[neg, cols["spend"]].iloc[0] if neg.any() else ""
    reject(
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
            reject(bad, table, cols[canon], f"{canon} must be whole numbers of 0 or more")
            out[canon] = v.astype("Int64")
    reject(
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


def spend_match(
    leads: pd.DataFrame, spend: pd.DataFrame, notes: Notes, facts: dict, currency: str | None
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
