"""One report context: the dataset, where its leads are grouped, the report's settings,
and the facts every page shares, computed once per report.

A report runs six notebooks in six kernels. Each calls `report_context` with the same
parameters: the first computes the facts on the engine and keeps them beside the
dataset cache (keyed by the dataset's fingerprint and the settings); the others read
them. So the data window, which periods are complete, the age at which a lead is
"young", total spend and cost per lead have one value on every page, the index,
run.json and the workbook.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from analysis.base.errors import DataError
from analysis.base.files import write_atomic
from analysis.base.i18n import _, chosen_language, set_language
from analysis.base.paths import RUN_FOLDER_ENV
from analysis.engine.cells import Engine, count_true, engine_for
from analysis.engine.periods import TIME_DIMENSIONS, data_end, period_table
from analysis.ingest.cache import cache_folder
from analysis.ingest.dataset import Dataset
from analysis.ingest.load import load_dataset
from analysis.ingest.profiles import Profile, load_profile
from analysis.ingest.schema import NO_CAMPAIGN
from analysis.insight.audit import outcome_dependent_fields, outliers_table
from analysis.insight.findings import maturity_caveat
from analysis.stats.economics import unit_totals
from analysis.stats.survival import sale_quantiles, time_to_sale

__all__ = ["Settings", "ReportContext", "report_context", "build_facts", "HEADLINE_KEYS"]

#: The totals run.json and the batch index carry (`ReportContext.headline`).
HEADLINE_KEYS = (
    "leads",
    "sales",
    "conversion",
    "conversion_low",
    "conversion_high",
    "revenue",
    "paid_leads",
    "paid_sales",
    "spend",
    "cpl",
    "cac",
    "cac_low",
    "cac_high",
    "romi",
    "romi_low",
    "romi_high",
    "hot_share",
)
#: Bump when the facts' shape changes, so kept facts of an older kit are not read.
_FACTS_VERSION = 3


@dataclass(frozen=True)
class Settings:
    """The report's settings that facts and sections depend on (notebook parameters)."""

    period: str = "quarter"
    min_leads: int = 30
    min_sales: int = 10
    equal_age_days: int = 30
    level: float = 0.95

    def __post_init__(self) -> None:
        problems = []
        if self.period not in TIME_DIMENSIONS:
            problems.append(
                _(
                    "PERIOD must be one of {units}, not {value}",
                    units=", ".join(TIME_DIMENSIONS),
                    value=repr(self.period),
                )
            )
        for name in ("min_leads", "min_sales", "equal_age_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                problems.append(
                    _(
                        "{name} must be a whole number >= 0, not {value}",
                        name=name.upper(),
                        value=repr(value),
                    )
                )
        if not 0 < self.level < 1:
            problems.append(
                _(
                    "the interval level must be between 0 and 1, not {value}",
                    value=repr(self.level),
                )
            )
        if problems:
            raise DataError(_("bad report parameters: {problems}", problems="; ".join(problems)))


@dataclass
class ReportContext:
    """What every page of a report reads.

    Attributes
    ----------
    dataset : Dataset
    engine : Engine
        Where the leads are grouped (DuckDB in process by default, Spark, a warehouse).
    leads : ibis Table
        The dataset's leads on the engine, made once: pass it to the statistics
        functions (``engine=ctx.engine``), never the frame.
    settings : Settings
    facts : dict
        The shared facts (see `build_facts`), JSON-able.
    language : str
        "en" or "ru".
    """

    dataset: Dataset
    engine: Engine
    leads: ir.Table
    settings: Settings
    facts: dict = field(default_factory=dict)
    #: the language the pages are written in (`analysis.base.i18n`)
    language: str = "en"
    #: what the page's sections computed, for the other sections of the same page
    #: (`remember`)
    _remembered: dict = field(default_factory=dict, repr=False, compare=False)

    def remember(self, key: tuple, make):
        """``make()``, computed once per context for ``key``: a table two sections of a
        page read (the executive summary's box and the section it sums up). The table
        is shared: treat it as read-only."""
        if key not in self._remembered:
            self._remembered[key] = make()
        return self._remembered[key]

    @property
    def spend(self) -> pd.DataFrame:
        return self.dataset.spend

    @property
    def currency(self) -> str | None:
        return self.dataset.profile.currency

    @property
    def can(self) -> dict:
        """What the data can support: ``qualification``, ``sale_dates``, ``campaigns``,
        ``managers``, ``segments``, ``revenue``, ``spend``, ``dates`` (each True or False)."""
        return self.facts["can"]

    def outliers(self) -> pd.DataFrame:
        """The revenue and spend values far out of their distribution (the facts'
        ``outliers``, `analysis.insight.audit.outliers_table`): the one list the audit,
        the period change and the summary flag."""
        kept = self.facts["outliers"]
        table = pd.DataFrame(kept["rows"], columns=kept["columns"])
        table.attrs = {"revenue": dict(kept["revenue"]), "spend": dict(kept["spend"])}
        return table

    def headline(self) -> dict:
        """The run's headline numbers (run.json, the batch index)."""
        out = {k: self.facts["totals"].get(k) for k in HEADLINE_KEYS}
        out.update(
            currency=self.currency,
            first_lead=self.facts["first_lead"],
            last_lead=self.facts["last_lead"],
            data_end=self.facts["data_end"],
            level=self.settings.level,
        )
        return out


def _engine(make):
    """The report's engine, or the reason its ``ENGINE`` spec cannot connect (no such
    server, a backend not installed: `analysis.engine.backends.connect`) as a
    `DataError` the command line prints in one line."""
    try:
        return make()
    except ValueError as exc:
        raise DataError(_("bad report parameters: ENGINE: {error}", error=exc)) from None


def report_context(
    profile,
    inputs: dict | None = None,
    *,
    start=None,
    end=None,
    currency: str | None = None,
    engine: str | None = None,
    period: str = "quarter",
    min_leads: int = 30,
    min_sales: int = 10,
    equal_age_days: int = 30,
    cache_dir: str | Path | None = None,
    run_folder: str | Path | None = None,
    language: str | None = None,
) -> ReportContext:
    """Load the dataset (read and checked once per report, `load_dataset(cache=True)`),
    connect the engine, and compute or read the shared facts.

    Leads in a warehouse table are not kept between reports (the table may change),
    but within one run: ``run_folder`` (by default ``$LEADKIT_RUN_FOLDER``, which
    `analysis.run.report.run_report` sets for its kernels) holds the first call's
    mapped and checked load, which the other calls with the same arguments take
    instead of mapping and checking the table again, and the answers to the queries
    over it, which the pages share.

    ``language`` ("en", "ru"; else ``$LEADKIT_LANGUAGE``, else the profile's
    ``language:``; `analysis.base.i18n.chosen_language`) is what the pages write in: it
    is set for this process (`analysis.base.i18n.set_language`).

    Examples
    --------
    >>> ctx = report_context("sample")  # doctest: +SKIP
    >>> ctx.facts["totals"]["cpl"]  # doctest: +SKIP
    """
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    try:
        lang = set_language(chosen_language(language, prof.language))
    except ValueError as exc:
        raise DataError(_("bad report parameters: LANGUAGE: {error}", error=exc)) from None
    if prof.inputs[prof.leads["input"]].table and prof.leads["input"] not in (inputs or {}):
        # leads in a warehouse table: mapped and checked on the engine they live on
        # a DuckDB file read-only: the report's notebooks read it at once
        eng = _engine(lambda: Engine(engine, read_only=True)) if engine else None
        run = run_folder or os.environ.get(RUN_FOLDER_ENV) or None
        key = _load_key(prof, inputs, start, end, currency, engine)
        ds = _handed_over(Path(run), key, eng) if run and eng else None
        if ds is None:
            ds = load_dataset(prof, inputs, start=start, end=end, currency=currency, engine=eng)
            if run:
                _hand_over(Path(run), key, ds)
        assert eng is not None  # else load_dataset asked for one
        if run:
            eng.keep_answers(ds.table, Path(run) / "queries", ds.fingerprint)
    else:
        ds = load_dataset(
            prof, inputs, start=start, end=end, currency=currency, cache=True, cache_dir=cache_dir
        )
        eng = _engine(lambda: engine_for(ds, engine or None, read_only=True))
    settings = Settings(period, min_leads, min_sales, equal_age_days)
    ctx = ReportContext(ds, eng, eng.leads(ds), settings, language=lang)
    kept = _facts_path(ds, settings, engine, cache_dir, lang)
    if kept is not None and kept.exists():
        ctx.facts = json.loads(kept.read_text(encoding="utf-8"))
    else:
        ctx.facts = build_facts(ctx)
        if kept is not None:
            try:
                kept.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(kept, json.dumps(ctx.facts, ensure_ascii=False, sort_keys=True))
            except OSError:  # facts that cannot be kept are computed again; no reason to fail
                pass
    return ctx


_HANDOFF = "table-load.pickle"


def _load_key(prof: Profile, inputs, start, end, currency, engine) -> str:
    what = {
        "profile": str(prof.path or prof.name),
        "inputs": {k: str(v) for k, v in (inputs or {}).items()},
        "window": [str(start or ""), str(end or "")],
        "currency": currency or "",
        "engine": engine or "",
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def _hand_over(run: Path, key: str, ds: Dataset) -> None:
    """Keep a table's load for the run's other processes: the dataset without its
    connection, its leads as an expression unbound from it."""
    import pickle

    kept = replace(ds, leads=None, table=None)
    blob = pickle.dumps({"key": key, "dataset": kept, "table": ds.table.unbind()})
    try:
        run.mkdir(parents=True, exist_ok=True)
        write_atomic(run / _HANDOFF, blob)
    except OSError:  # the other pages map and check the table themselves
        pass


def _handed_over(run: Path, key: str, eng: Engine | None) -> Dataset | None:
    """The run's table load made with the same arguments, bound to ``eng``; None if
    there is none (or it was made with other arguments)."""
    import pickle

    from analysis.engine.cells import bind

    if eng is None:
        return None
    try:
        kept = pickle.loads((run / _HANDOFF).read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError):
        return None
    if kept.get("key") != key:
        return None
    ds = kept["dataset"]
    ds.table = bind(kept["table"], eng.con)
    return ds


def _facts_path(ds: Dataset, settings: Settings, engine, cache_dir, lang: str) -> Path | None:
    if len(ds.fingerprint) != 64:  # not a kept load: nothing to key the facts by
        return None
    key = json.dumps(
        {
            "settings": asdict(settings),
            "engine": engine or "",
            "language": lang,  # a fact's words are in the report's language
            "v": _FACTS_VERSION,
        },
        sort_keys=True,
    )
    name = f"context-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
    return cache_folder(cache_dir) / "facts" / ds.fingerprint[:32] / name


def build_facts(ctx: ReportContext) -> dict:
    """The facts every page shares, computed on the engine.

    Returns a dict with
    ``leads, sales, first_lead, last_lead, data_end`` (the latest lead or sale: the one
    "as of" date of every age), ``can`` (what the data support), ``totals`` (the measures
    of `unit_totals` over all leads and all spend), ``spend`` (total, on campaigns with
    leads, on campaigns without), ``periods`` (per period of ``settings.period``: leads,
    sales, span, ``complete``: leads were collected over the whole period), ``maturity``
    (the one definition of a "young" lead: younger
    than the time within which 90% of sales close, from the Kaplan-Meier curve of all
    leads; how many there are, and the median and 90th-percentile days to sale),
    ``outcome_dependent`` (fields filled only for converted leads,
    `outcome_dependent_fields`).
    """
    ds, eng, t, s = ctx.dataset, ctx.engine, ctx.leads, ctx.settings
    end = data_end(t, eng.to_arrow)
    by_period = eng.cells(t, [s.period])
    # what the data hold, counted on the engine in one pass (no lead row in pandas)
    cols = set(t.columns)
    count = count_true

    metrics = {
        "leads": t.count(),
        "sales": count(t.converted.cast("int64") == 1),
        "dated": count(t.created_at.notnull()),
        "qualified": count(t.qualification.cast("string") != "unknown"),
        "campaigns": count(t.campaign.cast("string") != NO_CAMPAIGN),
        "revenue": count(t.revenue.cast("float64") > 0),
    }
    if "won_at" in cols:
        metrics["won"] = count(t.won_at.notnull())
    if "manager" in cols:
        metrics["managers"] = count(t.manager.notnull())
    if "segment" in cols:
        metrics["segments"] = t.segment.nunique()
    row = eng.to_arrow(
        t.aggregate(**metrics, first=t.created_at.min(), last=t.created_at.max())
    ).to_pylist()[0]
    # no dated lead: no first or last date (not 0, as for the counts)
    first, last = (pd.Timestamp(row[k]) if row[k] is not None else None for k in ("first", "last"))
    got = {k: 0 if v is None else v for k, v in row.items()}
    dated = int(got["dated"])
    has_won = bool(got.get("won"))
    dependent = outcome_dependent_fields(t, eng)
    can = {
        "qualification": bool(got["qualified"]),
        "sale_dates": has_won,
        "campaigns": bool(got["campaigns"]),
        "managers": bool(got.get("managers")) and "manager" not in dependent,
        "segments": int(got.get("segments", 0)) > 1 and "segment" not in dependent,
        "revenue": bool(got["revenue"]),
        "dates": dated > 0,
        "spend": ds.has_spend,
    }
    totals = unit_totals(
        t, ds.spend, level=s.level, min_leads=s.min_leads, min_sales=s.min_sales, engine=eng
    )
    match = ds.facts.get("spend_match") or {}
    spend_total = float(ds.spend["spend"].sum()) if ds.has_spend else None
    without = float(match.get("spend_without_leads", 0.0)) if ds.has_spend else None
    periods = period_table(list(by_period[s.period]), s.period, first, last)
    periods = periods.merge(
        by_period[[s.period, "leads", "sales"]], left_on="period", right_on=s.period
    ).drop(columns=s.period)
    facts = {
        "leads": int(got["leads"]),
        "sales": int(got["sales"]),
        "dated_leads": dated,
        "first_lead": str(pd.Timestamp(first).date()) if first is not None else None,
        "last_lead": str(pd.Timestamp(last).date()) if last is not None else None,
        "data_end": str(end.date()) if end is not None else None,
        "can": can,
        "totals": {k: _plain(v) for k, v in totals.items()},
        "spend": {
            "total": spend_total,
            "on_campaigns_with_leads": (
                None if spend_total is None or without is None else spend_total - without
            ),
            "on_campaigns_without_leads": without,
            "campaigns_without_leads": match.get("campaigns_without_leads", []),
        },
        "periods": [{k: _plain(v) for k, v in r.items()} for r in periods.to_dict("records")],
        "maturity": _maturity(ctx, end) if has_won else None,
        "outliers": _outliers(ctx),
        # fields filled only for converted leads: no page compares conversion by them
        "outcome_dependent": dependent,
    }
    return facts


def _outliers(ctx: ReportContext) -> dict:
    table = outliers_table(
        ctx.leads,
        ctx.dataset.spend if ctx.dataset.has_spend else None,
        ctx.settings.period,
        ctx.engine,
    )
    return {
        "columns": list(table.columns),
        "rows": [[_plain(v) for v in row] for row in table.itertuples(index=False)],
        "revenue": {k: _plain(v) for k, v in table.attrs["revenue"].items()},
        "spend": {k: _plain(v) for k, v in table.attrs["spend"].items()},
    }


def _maturity(ctx: ReportContext, end) -> dict:
    t, eng = ctx.leads, ctx.engine
    caveat = maturity_caveat(t, as_of=end, engine=eng)
    row = caveat.iloc[0]
    curve = time_to_sale(t, as_of=end, engine=eng)
    q = sale_quantiles(curve, (0.5, 0.9)).iloc[0] if len(curve) else {}
    return {
        "as_of": str(pd.Timestamp(end).date()),
        "young_days": _plain(row["days"]),
        "young_leads": int(row["young_leads"]),
        "young_share": _plain(row["young_share"]),
        "leads_measured": int(row["leads"]),
        "caveat": row["caveat"],
        "days_50": _plain(q.get("days_50", np.nan)),
        "days_90": _plain(q.get("days_90", np.nan)),
        "excluded": {str(k): int(v) for k, v in caveat.attrs.get("excluded", {}).items()},
    }


def _plain(v):
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and np.isnan(v):
        return None  # an infinite bound stays a float: json writes Infinity
    if isinstance(v, pd.Timestamp):
        return str(v)
    return v
