"""The canonical `spend` table, and how leads join to it: which campaigns have spend,
the share of leads whose campaign has no spend row, and the spend no lead came from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.base.i18n import _, fmt_int, language, locale_name, n_
from analysis.ingest.mapping import (
    blank_to_na,
    chosen_columns,
    decimal,
    duplicated_names,
    field_text,
    map_values,
    normalise_source,
    parsed_or_problem,
    present,
    reject,
    require_columns,
    scaled,
    source_values,
)
from analysis.ingest.notes import Notes, share
from analysis.ingest.parse import parse_dates, parse_numbers
from analysis.ingest.privacy import scrub
from analysis.ingest.problems import found, kind
from analysis.ingest.profiles import Profile
from analysis.ingest.readers import RawTable
from analysis.ingest.schema import NO_CAMPAIGN, SPEND_COLUMNS

_TS = "datetime64[us]"


def _empty_spend() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.Series(dtype="datetime64[us]"),
            "source": pd.Series(dtype="str"),
            "campaign": pd.Series(dtype="str"),
            "spend": pd.Series(dtype="float64"),
        }
    )


def build_spend(profile: Profile, tables: dict[str, RawTable], notes: Notes) -> pd.DataFrame:
    """The canonical spend of every spend section of the profile (one per ads export:
    Direct, VK, Google Ads ...), summed by date, source and campaign."""
    sections = [sec for sec in profile.spend or [] if sec["input"] in tables]
    if not sections:
        notes.add(
            "info",
            "spend",
            _("no spend data: cost per lead, cost per sale and ROMI are not computed"),
        )
        return _empty_spend()
    got = [_section_spend(profile, sec, tables[sec["input"]], notes) for sec in sections]
    parts = [p for p in got if p is not None]
    if not parts:
        return _empty_spend()
    out: pd.DataFrame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    key = ["date", "source", "campaign"]
    split = out.duplicated(key, keep=False)
    if split.any():
        notes.add(
            "info",
            "spend",
            n_(
                "{n} spend rows share a date, source and campaign (split by ad group or "
                "device?); they were summed",
                "{n} spend rows share a date, source and campaign (split by ad group or "
                "device?); they were summed",
                int(split.sum()),
            ),
        )
        agg = {c: "sum" for c in ("spend", "clicks", "impressions") if c in out}
        out = out.groupby(key, as_index=False, sort=True).agg(agg)
    return out.reindex(columns=[c for c in SPEND_COLUMNS if c in out.columns]).reset_index(
        drop=True
    )


def _section_spend(
    profile: Profile, cfg: dict, table: RawTable, notes: Notes
) -> pd.DataFrame | None:
    """One spend input's rows as canonical spend (None when its problems were recorded)."""
    spec = profile.inputs[cfg["input"]]
    opts = cfg.get("_options") or {}
    where = "spend"
    cols = present(
        table, chosen_columns(table, dict(cfg["columns"]), opts), cfg.get("optional"), notes
    )
    require_columns(table, cols, where)
    duplicated_names(table, cols, opts, f"{where}.columns")
    if any(v not in table.frame.columns for v in cols.values()):
        return None
    given = {c: field_text(table, spec, cols.get(c), opts.get(c)) for c in (*cols, *opts)}
    label = {c: cols.get(c) for c in given}  # None: a constant
    out = pd.DataFrame(index=table.frame.index)
    dates = parsed_or_problem(
        parse_dates,
        given["date"],
        table=table,
        column=label["date"],
        **spec.date_options,
    )
    out["date"] = dates if dates is not None else pd.Series(pd.NaT, index=out.index, dtype=_TS)
    vmap = cfg.get("values") or {}
    for canon in ("source", "campaign"):
        text = blank_to_na(given[canon])
        mapping = vmap.get(canon)
        if canon == "source":
            text, mapping = normalise_source(text), source_values(mapping)
        text = map_values(text, mapping)
        text = scrub(text, canon, table.name, notes)
        reject(
            text.isna(),
            table,
            label[canon],
            spend_no_source if canon == "source" else spend_no_campaign,
        )
        out[canon] = text.fillna("").astype("str")
    if dates is not None:
        reject(out["date"].isna(), table, label["date"], spend_no_date)
    dec = decimal(spec, table)
    amount = parsed_or_problem(
        parse_numbers, given["spend"], table=table, column=label["spend"], decimal=dec
    )
    if amount is not None:
        amount = scaled(amount, opts.get("spend"))
        reject(amount.isna(), table, label["spend"], spend_no_amount)
        neg = amount < 0
        example = given["spend"][neg].iloc[0] if neg.any() else ""
        reject(neg, table, label["spend"], spend_negative, example=repr(example))
    out["spend"] = amount if amount is not None else np.nan
    for canon in ("clicks", "impressions"):
        if canon in given:
            v = parsed_or_problem(
                parse_numbers, given[canon], table=table, column=label[canon], decimal=dec
            )
            if v is None:
                continue
            bad = (v < 0) | (v.notna() & (v != v.round()))
            reject(bad, table, label[canon], spend_not_whole, field=canon)
            out[canon] = v.where(~bad).astype("Int64")
    reject(table.frame.duplicated(keep=False), table, None, spend_duplicates)
    if found():
        return None
    return out


# the problems of a spend input (`mapping.reject`)


@kind
def spend_no_source(n: int) -> str:
    return n_("{n} spend row(s) have no source", "{n} spend row(s) have no source", n)


@kind
def spend_no_campaign(n: int) -> str:
    return n_("{n} spend row(s) have no campaign", "{n} spend row(s) have no campaign", n)


@kind
def spend_no_date(n: int) -> str:
    return n_("{n} spend row(s) have no date", "{n} spend row(s) have no date", n)


@kind
def spend_no_amount(n: int) -> str:
    return n_(
        "{n} spend row(s) have no amount; write 0 for a day with no spend",
        "{n} spend row(s) have no amount; write 0 for a day with no spend",
        n,
    )


@kind
def spend_negative(n: int, example: str) -> str:
    return n_(
        "{n} negative spend value(s) (e.g. {example}); refunds and corrections must be netted "
        "into the day's spend before loading",
        "{n} negative spend value(s) (e.g. {example}); refunds and corrections must be netted "
        "into the day's spend before loading",
        n,
        example=example,
    )


@kind
def spend_not_whole(n: int, field: str) -> str:
    if field == "clicks":
        return _("clicks must be whole numbers of 0 or more")
    return _("impressions must be whole numbers of 0 or more")


@kind
def spend_duplicates(n: int) -> str:
    return n_(
        "{n} spend rows are exact duplicates of another row (the same export pasted twice?); "
        "remove them",
        "{n} spend rows are exact duplicates of another row (the same export pasted twice?); "
        "remove them",
        n,
    )


def _amount(value: float, currency: str | None) -> str:
    """A sum of spend as a note writes it: ``58 685 RUB`` (``58 685 ₽`` in Russian)."""
    amount = f"{value:,.0f}".replace(",", "\u202f")
    if not currency:
        return amount
    if language() == "en":
        return f"{amount} {currency}"
    from babel.numbers import get_currency_symbol

    return f"{amount}\u00a0{get_currency_symbol(currency, locale=locale_name())}"


def lead_pairs(leads: pd.DataFrame) -> pd.DataFrame:
    """Leads per (source, campaign): all `spend_match` needs of the leads."""
    return (
        leads.groupby(["source", "campaign"], observed=True, sort=True)
        .size()
        .rename("leads")
        .reset_index()
    )


def spend_match(
    pairs_counts: pd.DataFrame,
    spend: pd.DataFrame,
    notes: Notes,
    facts: dict,
    currency: str | None,
) -> None:
    """How the leads' campaigns and the spend rows' campaigns meet (facts and notes).

    ``pairs_counts``: leads per (source, campaign) in a ``leads`` column (`lead_pairs`
    of a frame; a load in DuckDB counts them without lead rows)."""
    if spend.empty:
        facts["spend_match"] = None
        return
    pairs = set(zip(spend["source"], spend["campaign"], strict=True))
    key = list(zip(pairs_counts["source"], pairs_counts["campaign"], strict=True))
    counts = pairs_counts["leads"].to_numpy(dtype="int64")
    total = int(counts.sum())
    matched = np.fromiter((k in pairs for k in key), dtype=bool, count=len(key))
    with_campaign = (pairs_counts["campaign"] != NO_CAMPAIGN).to_numpy()
    unmatched_pairs = with_campaign & ~matched
    n_unmatched = int(counts[unmatched_pairs].sum())
    lead_keys = set(key)
    orphan_spend = spend[
        [p not in lead_keys for p in zip(spend["source"], spend["campaign"], strict=True)]
    ]
    facts["spend_match"] = {
        "leads": total,
        "leads_matched": int(counts[matched].sum()),
        "leads_campaign_unmatched": n_unmatched,
        "leads_no_campaign": int(counts[~with_campaign].sum()),
        "spend_total": float(spend["spend"].sum()),
        "spend_without_leads": float(orphan_spend["spend"].sum()),
        "campaigns_without_leads": sorted(
            f"{s}/{c}"
            for s, c in set(zip(orphan_spend["source"], orphan_spend["campaign"], strict=True))
        ),
        "campaigns_without_spend": sorted(
            f"{s}/{c}" for s, c in {k for k, u in zip(key, unmatched_pairs, strict=True) if u}
        ),
    }
    if n_unmatched:
        notes.add(
            "warning",
            "spend",
            n_(
                "{n} leads ({share}) carry a campaign that has no spend row: {campaigns}; they "
                "are kept, with no cost",
                "{n} leads ({share}) carry a campaign that has no spend row: {campaigns}; they "
                "are kept, with no cost",
                n_unmatched,
                share=share(n_unmatched / total),
                campaigns=", ".join(facts["spend_match"]["campaigns_without_spend"][:5]),
            ),
        )
    if len(orphan_spend):
        notes.add(
            "warning",
            "spend",
            _(
                "{amount} of spend ({rows} rows) is on campaigns with no leads: {campaigns}",
                amount=_amount(orphan_spend["spend"].sum(), currency),
                rows=fmt_int(len(orphan_spend)),
                campaigns=", ".join(facts["spend_match"]["campaigns_without_leads"][:5]),
            ),
        )
