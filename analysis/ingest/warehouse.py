"""Leads that live in a table of a warehouse (DuckDB, PostgreSQL, Spark, ...), mapped
and checked there as Ibis expressions: no lead row leaves the engine.

A profile's leads input names a ``table:`` instead of a file. Its columns map onto the
canonical lead fields by plain names (as for a canonical Parquet file,
`analysis.ingest.canonical`): value maps, UTM tags, sessions, joins and lookups are
for exports, and a warehouse makes them as a view. `map_table` asks the engine for
what the rules need (counts, and the distinct values of each category column, a few
thousand at most), applies to those values the functions the row-by-row mapping
applies (`analysis.ingest.mapping`: stripping, lower-cased sources, qualification
classes, yes/no flags, pseudonyms for e-mails and phones), and returns the canonical
leads as one Ibis expression over the table (each value map a CASE), which every page
then groups on the engine.

What the row-by-row path reports by spreadsheet row is reported here by lead id (a
table has no rows to count): the lead ids without a creation date, the sales dated
before their lead. A problem that makes the table unusable (no lead id, a duplicated
one, a negative revenue, an unknown qualification, a text column where a date
belongs) is a `DataError` naming the table and the column; every problem of the table
is collected and reported at once.

This module takes the connection and a ``fetch`` function (an Ibis expression to an
Arrow table: `analysis.engine.cells.Engine.to_arrow`) from its caller: ingest does not
import the engine.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import pandas as pd

from analysis.base.errors import DataError
from analysis.base.i18n import _, fmt_count, n_
from analysis.ingest.notes import Notes
from analysis.ingest.problems import collecting, problem

__all__ = ["TableLeads", "map_table", "table_by_name", "restrict_table", "TABLE_MAX_DISTINCT"]

#: Distinct values a category column of a leads table may hold (source, campaign,
#: manager, ...): their map is a CASE on the engine.
TABLE_MAX_DISTINCT = 5_000

#: Lead ids shown in a note or an error.
_SHOWN = 10

Fetch = Callable[[Any], Any]  # an Ibis expression -> a pyarrow Table


@dataclass
class TableLeads:
    """What `map_table` returns."""

    table: Any  # ibis Table: the canonical leads, an expression over the warehouse table
    rows: int  # rows of the warehouse table (before undated leads are dropped)
    notes: Notes
    facts: dict
    pairs: pd.DataFrame  # leads per (source, campaign), for spend matching
    columns: list[str]  # the table's columns
    summary: dict = field(default_factory=dict)  # what the fingerprint is made of


def table_by_name(con, name: str):
    """The table ``name``, ``database.name`` or ``catalog.database.name`` on ``con``;
    a `DataError` naming it when it is not there."""
    *where, short = name.split(".")
    database = None if not where else where[0] if len(where) == 1 else tuple(where)
    try:
        return con.table(short, database=database)
    except Exception as exc:  # TableNotFound, or the backend's own (Spark, PostgreSQL)
        first = (str(exc).strip().splitlines() or [""])[0]
        raise DataError(
            _(
                "no table {name} on the engine ({engine}): {kind}: {error}",
                name=repr(name),
                engine=con.name,
                kind=type(exc).__name__,
                error=first,
            ),
            file=name,
        ) from None


def _n_true(cond):
    """Rows where ``cond`` holds, summed as 1 or 0 (every backend compiles it)."""
    return cond.ifelse(1, 0).sum()


def _scalar(fetch: Fetch, expr) -> dict:
    """The one row of an aggregate as a dict."""
    got = fetch(expr)
    return {k: v[0] for k, v in got.to_pydict().items()}


def _ids_text(ids: list, total: int) -> str:
    from analysis.ingest.privacy import pseudonymise

    shown = ", ".join(pseudonymise(str(i), exact=True) for i in ids[:_SHOWN])
    if total > len(ids[:_SHOWN]):
        return _("lead ids {ids}, … ({total} in all)", ids=shown, total=fmt_count(total))
    if total == 1:
        return _("lead id {ids}", ids=shown)
    return _("lead ids {ids}", ids=shown)


class _Mapper:
    def __init__(self, profile, t, fetch: Fetch, label: str):
        self.profile = profile
        self.cfg = profile.leads
        self.li = self.cfg["input"]
        self.t = t
        self.fetch = fetch
        self.label = label
        self.notes = Notes()
        self.facts: dict = {}
        self.schema = t.schema()
        self.values: dict[str, pd.DataFrame] = {}  # column -> its values and their counts
        self.keys: dict[str, list] = {}  # column -> its values as Python objects
        self.pseudonyms: dict[str, set] = {}  # lead field -> the pseudonyms it holds

    # -- helpers ----------------------------------------------------------------
    def fail(self, column: str | None, message: str) -> None:
        problem(DataError(message, file=self.label, column=column))

    def category_values(self, columns: list[str]) -> None:
        """The distinct values of ``columns`` with their counts, one query each after
        one that counts them all."""
        columns = [c for c in dict.fromkeys(columns) if c not in self.values]
        if not columns:
            return
        counts = _scalar(
            self.fetch,
            self.t.aggregate(**{f"c{i}": self.t[c].nunique() for i, c in enumerate(columns)}),
        )
        for i, c in enumerate(columns):
            k = int(counts[f"c{i}"])
            if k > TABLE_MAX_DISTINCT:
                self.fail(
                    c,
                    _(
                        "column {column} holds {k} distinct values; a lead field read from a "
                        "table is a category (at most {most} values): map ids or free text to "
                        "categories in a view",
                        column=repr(c),
                        k=fmt_count(k),
                        most=fmt_count(TABLE_MAX_DISTINCT),
                    ),
                )
                continue
            got = self.fetch(self.t.group_by(v=self.t[c]).aggregate(n=self.t.count()))
            self.values[c] = got.to_pandas()
            self.keys[c] = got.column("v").to_pylist()  # as the engine gives them

    def text_of(self, column: str) -> pd.Series:
        """The text the row-by-row reader makes of ``column``'s distinct values."""
        from analysis.ingest.readers import _parquet_text

        values = self.values[column]["v"]
        return _parquet_text(pd.DataFrame({"v": values}))["v"]

    def mapped(self, column: str, mapped, ibis_type: str):
        """An expression giving each row what its value of ``column`` maps to
        (``mapped``: one per distinct value, in `category_values`' order)."""
        col = self.t[column]
        keys = self.keys[column]
        null_value = None
        entries: dict = {}
        for k, v in zip(keys, list(mapped), strict=True):
            v = None if v is None or (not isinstance(v, str) and pd.isna(v)) else v
            if k is None or (not isinstance(k, str) and pd.isna(k)):
                null_value = v
            else:
                entries[k] = v
        target = dt.dtype(ibis_type)
        null_lit = ibis.literal(null_value, type=target) if null_value is not None else None
        if self.schema[column].is_string() and target.is_string():
            changed = {k: v for k, v in entries.items() if v != k}
            if not changed:
                body = col
            else:
                body = col.substitute(
                    {k: ibis.literal(v, type=target) if v is not None else ibis.null(target)
                     for k, v in changed.items()}
                )  # fmt: skip
        else:
            distinct = set(entries.values())
            if len(distinct) == 1 and None not in distinct:
                body = ibis.literal(distinct.pop(), type=target)
            elif entries:
                body = col.substitute(
                    {k: ibis.literal(v, type=target) if v is not None else ibis.null(target)
                     for k, v in entries.items()},
                    else_=ibis.null(target),
                )  # fmt: skip
            else:
                body = ibis.null(target)
        body = body.cast(target)
        if null_lit is None:
            return ibis.ifelse(col.isnull(), ibis.null(target), body)
        return ibis.ifelse(col.isnull(), null_lit, body)

    def scrubbed(self, canon: str, values: pd.Series) -> pd.Series:
        """``values`` (one per distinct value of a column) with the e-mails and phones
        in them pseudonymised; the pseudonyms are kept to count the leads that carry
        them (`_scrub_notes`)."""
        from analysis.ingest.privacy import pseudonymise

        out, new = [], set()
        for v in values.tolist():
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                out.append(v)
                continue
            changed = pseudonymise(str(v))
            if changed != v:
                new.add(changed)
            out.append(changed)
        self.pseudonyms[canon] = new
        return pd.Series(out, dtype=object)

    def _scrub_notes(self, leads) -> None:
        """The row-by-row path's note per text field: how many of the leads kept carry
        a value that held an e-mail or a phone (never which)."""
        from analysis.ingest.privacy import scrubbed_note
        from analysis.ingest.schema import LEADS_COLUMNS

        fields = [c for c in LEADS_COLUMNS if c in self.pseudonyms]
        hits = [c for c in fields if self.pseudonyms[c]]
        counts = {}
        if hits:
            counts = _scalar(
                self.fetch,
                leads.aggregate(
                    **{c: leads[c].isin(sorted(self.pseudonyms[c])).ifelse(1, 0).sum()
                       for c in hits}
                ),
            )  # fmt: skip
        for c in fields:
            n = int(counts.get(c) or 0)
            self.notes.add_counted("warning", self.li, scrubbed_note, n=n, column=c)

    # -- the mapping ------------------------------------------------------------
    def run(self) -> TableLeads:
        from analysis.ingest.canonical import eligible_profile

        if not eligible_profile(self.profile, set()):
            raise DataError(
                _(
                    "a leads table is mapped by plain column names: leads.columns of fields "
                    "lead_id, created_at, won_at, first_contact_at, revenue, qualification, "
                    "source, medium, campaign, segment, manager, stage, lost_reason and the "
                    "converted column, without value maps, UTM tags, joins, lookups, source "
                    "fallbacks or sessions. Make those in a view of the warehouse and name "
                    "the view."
                ),
                file=self.label,
            )
        with collecting():
            got = self._run()
        return got

    def _run(self) -> TableLeads:
        from analysis.ingest.mapping import (
            NO_DATES_NOTE,
            NO_REVENUE_NOTE,
            absent_note,
            blank_to_na,
            class_lookup,
            no_source_note,
            normalise_source,
            undated_note,
            unknown_revenue_note,
            won_before_note,
        )
        from analysis.ingest.schema import LEADS_COLUMNS, NO_CAMPAIGN, UNKNOWN_SOURCE

        cfg, t, schema = self.cfg, self.t, self.schema
        cols = dict(cfg.get("columns") or {})
        optional = set(cfg.get("optional") or ())
        absent = [k for k, v in cols.items() if v not in schema]
        missing = [k for k in absent if k not in optional]
        if missing:
            named = [_("{column} (for {field})", column=repr(cols[k]), field=k) for k in missing]
            raise DataError(
                _(
                    "the table has no column(s) {missing}; its columns are {columns}",
                    missing=", ".join(named),
                    columns=", ".join(schema.names),
                ),
                file=self.label,
            )
        if absent:
            self.notes.add("info", self.li, absent_note(self.label, absent))
        cols = {k: v for k, v in cols.items() if k not in absent}
        n = int(_scalar(self.fetch, t.aggregate(n=t.count()))["n"])
        if n == 0:
            raise DataError(_("the table has no rows"), file=self.label)
        select: dict[str, Any] = {}

        # lead ids: text, stripped, none blank, unique
        lid = cols["lead_id"]
        ltype = schema[lid]
        if not (ltype.is_string() or ltype.is_integer()):
            raise DataError(
                _("lead ids must be text or whole numbers, not {type}", type=ltype),
                file=self.label,
                column=lid,
            )
        idx = self._ids(t[lid].cast("string"), lid)
        blank = idx.isnull() | (idx == "")
        blanks = int(_scalar(self.fetch, t.aggregate(blank=_n_true(blank)))["blank"] or 0)
        if blanks:
            self.fail(
                lid,
                n_(
                    "{count} lead(s) have no lead id; every lead needs one",
                    "{count} lead(s) have no lead id; every lead needs one",
                    blanks,
                    count=fmt_count(blanks),
                ),
            )
        # ids seen more than once, counted by grouping: a grouped count spills to disk
        # under a memory limit where a count of distinct ids does not (DuckDB on 100M
        # ids in 1 GB: 17 s by grouping, out of memory by count(DISTINCT))
        named = t.filter(~blank)
        dup = named.group_by(i=idx).aggregate(k=named.count()).filter(lambda d: d.k > 1)
        total = int(_scalar(self.fetch, dup.aggregate(n=dup.count()))["n"])
        if total:
            shown = self.fetch(dup.order_by("i").limit(_SHOWN)).column("i").to_pylist()
            self.fail(
                lid,
                n_(
                    "{count} lead id(s) appear more than once ({ids}); every lead needs its own",
                    "{count} lead id(s) appear more than once ({ids}); every lead needs its own",
                    total,
                    count=fmt_count(total),
                    ids=_ids_text(shown, total),
                ),
            )

        select["lead_id"] = idx

        # dates: timestamps to the second
        for canon in ("created_at", "won_at", "first_contact_at"):
            if canon not in cols:
                continue
            c = cols[canon]
            if not (schema[c].is_timestamp() or schema[c].is_date()):
                self.fail(
                    c,
                    _(
                        "column {column} ({field}) is {type}, not a date or timestamp: cast it "
                        "in a view",
                        column=repr(c),
                        field=canon,
                        type=schema[c],
                    ),
                )
                continue
            value = t[c].cast(dt.Timestamp())
            select[canon] = value.truncate("s")

        self.category_values(
            [cols[cfg["converted"]["column"]]]
            + [
                cols[c]
                for c in ("segment", "manager", "stage", "lost_reason", "qualification",
                          "source", "medium", "campaign")
                if c in cols
            ]
        )  # fmt: skip

        # what counts as a sale
        conv = cfg["converted"]
        ccol = cols[conv["column"]]
        if ccol in self.values:
            from analysis.ingest.mapping import sale_flags

            text = self.text_of(ccol)
            try:
                flag = sale_flags(text, conv)
            except DataError as exc:
                self.fail(ccol, exc.problem)
                flag = pd.Series(0, index=text.index, dtype="int8")
            select["converted"] = self.mapped(ccol, flag.to_numpy(), "int8")
        else:
            select["converted"] = ibis.literal(0, type="int8")
        sold = select["converted"].fill_null(0) == 1

        if "revenue" in cols:
            r = cols["revenue"]
            if not (schema[r].is_numeric() and not schema[r].is_boolean()):
                self.fail(
                    r,
                    _(
                        "column {column} (revenue) is {type}, not a number",
                        column=repr(r),
                        type=schema[r],
                    ),
                )
                rq = ibis.null(dt.float64)
            else:
                rq = t[r].cast("float64")
                if schema[r].is_floating():
                    bad_value = (rq < 0) | rq.isinf()
                    rq = ibis.ifelse(rq.isnan(), ibis.null(dt.float64), rq)
                else:
                    bad_value = rq < 0
                neg = int(_scalar(self.fetch, t.aggregate(k=_n_true(bad_value)))["k"] or 0)
                if neg:
                    shown = (
                        self.fetch(t.filter(bad_value).select(i=idx).order_by("i").limit(_SHOWN))
                        .column("i")
                        .to_pylist()
                    )
                    self.fail(
                        r,
                        n_(
                            "{count} revenue value(s) are negative or infinite ({ids})",
                            "{count} revenue value(s) are negative or infinite ({ids})",
                            neg,
                            count=fmt_count(neg),
                            ids=_ids_text(shown, neg),
                        ),
                    )
            select["revenue"] = ibis.ifelse(sold, rq, ibis.literal(0.0))
        else:
            select["revenue"] = ibis.ifelse(sold, ibis.null(dt.float64), ibis.literal(0.0))
        if "won_at" in select:
            select["won_at"] = ibis.ifelse(sold, select["won_at"], ibis.null(dt.Timestamp()))

        for canon in ("segment", "manager", "stage", "lost_reason"):
            if canon in cols and cols[canon] in self.values:
                c = cols[canon]
                final = self.scrubbed(canon, blank_to_na(self.text_of(c)))
                select[canon] = self.mapped(c, final.to_numpy(dtype=object), "string")

        mapping = cfg.get("qualification") or {}
        if "qualification" in cols and cols["qualification"] in self.values:
            c = cols["qualification"]
            text = self.text_of(c).fillna("").astype(str).str.strip()
            classes = text.str.casefold().map(class_lookup(mapping))
            bad = classes.isna()
            if bad.any():
                k = int(self.values[c]["n"][bad.to_numpy()].sum())
                values = ", ".join(repr(v) for v in text[bad].unique()[:8])
                self.fail(
                    c,
                    n_(
                        "unknown qualification value(s): {values} ({count} lead(s)). Add each "
                        "to leads.qualification in the mapping profile as hot, warm, cold or "
                        "unknown.",
                        "unknown qualification value(s): {values} ({count} lead(s)). Add each "
                        "to leads.qualification in the mapping profile as hot, warm, cold or "
                        "unknown.",
                        k,
                        values=values,
                        count=fmt_count(k),
                    ),
                )
                classes = classes.fillna("unknown")
            select["qualification"] = self.mapped(c, classes.to_numpy(dtype=object), "string")
        elif "qualification" not in cols:
            got_class = class_lookup(mapping).get("") if mapping else "unknown"
            if got_class is None:
                self.fail(
                    None,
                    _(
                        "no qualification column, and the profile's leads.qualification gives "
                        "no class to blank text"
                    ),
                )
                got_class = "unknown"
            select["qualification"] = ibis.literal(got_class)

        if "source" in cols and cols["source"] in self.values:
            c = cols["source"]
            found = self.scrubbed("source", normalise_source(self.text_of(c)))
            found = found.where(found.notna(), None)
            select["source"] = self.mapped(
                c, found.fillna(UNKNOWN_SOURCE).to_numpy(dtype=object), "string"
            )
            take = self.mapped(c, found.notna().to_numpy(), "boolean").fill_null(False)
        else:
            select["source"], take = ibis.literal(UNKNOWN_SOURCE), ibis.literal(False)
        medium = campaign = ibis.null(dt.string)
        if "medium" in cols and cols["medium"] in self.values:
            c = cols["medium"]
            found = self.scrubbed("medium", normalise_source(self.text_of(c)))
            medium = self.mapped(c, found.to_numpy(dtype=object), "string")
        if "campaign" in cols and cols["campaign"] in self.values:
            c = cols["campaign"]
            found = self.scrubbed("campaign", blank_to_na(self.text_of(c).fillna("")))
            campaign = self.mapped(c, found.to_numpy(dtype=object), "string")
        select["medium"] = ibis.ifelse(take, medium, ibis.null(dt.string))
        select["campaign"] = ibis.ifelse(take, campaign, ibis.null(dt.string)).fill_null(
            NO_CAMPAIGN
        )
        select["attributed_by"] = ibis.ifelse(take, "crm", "none")
        if "created_at" not in select:
            select["created_at"] = ibis.null(dt.Timestamp())
        order = [c for c in LEADS_COLUMNS if c in select]
        leads = t.select(**{c: select[c] for c in order})

        # the notes of `mapping.build_leads`, counted on the engine
        kept = leads
        if "created_at" not in cols:
            self.notes.add("warning", self.li, _(NO_DATES_NOTE))
            self.facts["no_created_at"] = n
        else:
            undated, ids = self._count(leads, leads.created_at.isnull())
            self.facts["no_created_at"] = undated
            drop = cfg.get("no_created_at", "keep") == "drop"
            if undated:
                self.notes.add("warning", self.li, undated_note(undated, n, ids, drop))
            if undated and drop:
                self.facts["no_created_at_dropped"] = undated
                # the notes below count every lead, as the row-by-row path counts them
                # before it drops the undated ones
                kept = leads.filter(leads.created_at.notnull())
        if "revenue" in cols:
            unknown = int(
                _scalar(
                    self.fetch,
                    leads.aggregate(k=_n_true((leads.converted == 1) & leads.revenue.isnull())),
                )["k"]
                or 0
            )
            if unknown:
                self.notes.add("info", self.li, unknown_revenue_note(unknown))
        else:
            self.notes.add("info", self.li, _(NO_REVENUE_NOTE))
        if "won_at" in select and "created_at" in cols:  # a won_at of a text type failed above
            early, ids = self._count(leads, leads.won_at < leads.created_at)
            self.facts["won_before_created"] = early
            if early:
                self.notes.add("warning", self.li, won_before_note(early, ids))
        counts = self.fetch(
            leads.group_by(["attributed_by", "source"]).aggregate(n=leads.count())
        ).to_pandas()
        none = int(counts.loc[counts["attributed_by"] == "none", "n"].sum())
        if none:
            self.notes.add("warning", self.li, no_source_note(none, int(counts["n"].sum())))
        by = counts.groupby("attributed_by")["n"].sum()
        self.facts["attribution"] = {
            str(k): int(v) for k, v in sorted(by.items(), key=lambda kv: -kv[1])
        }
        from analysis.ingest.attribution import is_direct

        direct = is_direct(counts["source"].astype("str")).to_numpy()
        self.facts["direct_only"] = int(counts.loc[direct, "n"].sum())
        self._scrub_notes(kept)
        pairs = table_pairs(self.fetch, kept)
        summary = self._summary(kept, n)
        return TableLeads(kept, n, self.notes, self.facts, pairs, list(schema.names), summary)

    def _ids(self, raw, column: str):
        """Lead ids as the row-by-row path writes them: stripped of the spaces Python
        strips (Unicode's, which SQL's trim leaves), the e-mails and phones in them
        pseudonymised (each id as written, so distinct ids stay distinct). The few
        ids that need either are fetched and mapped; the others stay on the engine."""
        from analysis.ingest.privacy import (
            MAYBE,
            MAYBE_DIGITS,
            MAYBE_SEPARATED,
            pseudonymise,
        )

        space = "".join(re.escape(chr(c)) for c in range(0x3001) if chr(c).isspace())
        odd = (
            raw.re_search(f"^[{space}]|[{space}]$")
            | raw.re_search(MAYBE)
            | ((raw.length() >= 10) & raw.re_search(MAYBE_DIGITS) & raw.re_search(MAYBE_SEPARATED))
        )
        odd = odd.fill_null(False)
        k = int(_scalar(self.fetch, self.t.aggregate(k=_n_true(odd)))["k"] or 0)
        changed: dict[str, str] = {}
        pseudonyms = set()
        if k > TABLE_MAX_DISTINCT:
            self.fail(
                column,
                _(
                    "{count} lead ids have spaces at an end or may hold e-mails or phone "
                    "numbers; use an id column that holds plain ids",
                    count=fmt_count(k),
                ),
            )
        elif k:
            for v in self.fetch(self.t.filter(odd).select(i=raw)).column("i").to_pylist():
                stripped = v.strip()
                new = pseudonymise(stripped, exact=True)
                if new != stripped:
                    pseudonyms.add(new)
                if new != v:
                    changed[v] = new
        self.pseudonyms["lead_id"] = pseudonyms
        return raw.substitute(changed) if changed else raw

    def _count(self, leads, condition) -> tuple[int, str]:
        k = int(_scalar(self.fetch, leads.aggregate(k=_n_true(condition)))["k"] or 0)
        if not k:
            return 0, ""
        shown = (
            self.fetch(leads.filter(condition).select("lead_id").order_by("lead_id").limit(_SHOWN))
            .column("lead_id")
            .to_pylist()
        )
        return k, _ids_text(shown, k)

    def _summary(self, leads, n: int) -> dict:
        """What the dataset's fingerprint is made of: counts and sums of the mapped
        leads, and every category column's value counts."""
        agg = {
            "n": leads.count(),
            "sales": leads.converted.sum(),
            "revenue": leads.revenue.sum(),
            "created_lo": leads.created_at.min().cast("string"),
            "created_hi": leads.created_at.max().cast("string"),
            "dated": leads.created_at.count(),
        }
        if "won_at" in leads.columns:
            agg |= {"won_lo": leads.won_at.min().cast("string"), "won": leads.won_at.count()}
        got = _scalar(self.fetch, leads.aggregate(**agg))
        return {
            "rows": n,
            "aggregates": {k: (None if v is None else str(v)) for k, v in got.items()},
            "values": {
                c: sorted(
                    ([str(v), int(k)] for v, k in zip(f["v"], f["n"], strict=True)),
                )
                for c, f in self.values.items()
            },
        }


def table_pairs(fetch: Fetch, leads) -> pd.DataFrame:
    """Leads per (source, campaign) of a canonical leads table, for spend matching."""
    got = fetch(leads.group_by(["source", "campaign"]).aggregate(leads=leads.count()))
    frame = got.to_pandas()
    frame["leads"] = frame["leads"].astype("int64")
    return frame.sort_values(["source", "campaign"], ignore_index=True)


def map_table(profile, con, name: str, fetch: Fetch) -> TableLeads:
    """The profile's leads from table ``name`` on ``con`` (see the module's text)."""
    t = table_by_name(con, name)
    return _Mapper(profile, t, fetch, name).run()


def restrict_table(fetch: Fetch, leads, window):
    """The period's leads of a canonical leads table (an expression), their pairs, and
    (leads, leads in the period, leads without a creation date) for the period's notes."""
    lo, hi = window
    keep = leads.created_at.notnull()
    if lo != pd.Timestamp.min:
        keep &= leads.created_at >= ibis.literal(lo.to_pydatetime(), type=dt.Timestamp())
    if hi != pd.Timestamp.max:
        keep &= leads.created_at < ibis.literal(hi.to_pydatetime(), type=dt.Timestamp())
    got = _scalar(
        fetch,
        leads.aggregate(
            n=leads.count(), kept=_n_true(keep), undated=_n_true(leads.created_at.isnull())
        ),
    )
    counts = (int(got["n"]), int(got["kept"] or 0), int(got["undated"] or 0))
    inside = leads.filter(keep)
    return inside, table_pairs(fetch, inside), counts


def table_fingerprint(profile, con_name: str, name: str, summary: dict, extra: dict) -> str:
    """SHA-256 of the profile, where the table is, its summary and the kit's code: the
    key of the facts a report keeps for this dataset."""
    from analysis.base.files import code_hash
    from analysis.ingest.readers import file_sha256

    payload = {
        "profile": file_sha256(profile.path) if profile.path and profile.path.is_file() else "",
        "engine": con_name,
        "table": name,
        "summary": summary,
        "extra": extra,
        "code": code_hash(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
