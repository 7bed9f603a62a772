"""Managers: who converts the leads they are given, who should get the cold ones, how fast
leads are reached, and the lead-processing checks a sales director asks for.

A manager's raw conversion mostly reflects the leads they received. Here each manager's
sales are compared with the sales *expected* from their leads (each lead counted at the
conversion of its source x qualification x segment cell over all managers: indirect
standardisation), and the ratio observed / expected is shrunk toward 1, so a manager
with twelve leads is not ranked first or last by luck. The shrinkage is a mixed binomial
model on the (manager x lead-mix cell) counts (`fit_unit_effects`): binomial, so it
holds at 1% and at 60% conversion (a Poisson model overstates the variance by
1 / (1 - p) and hides real differences when conversion is high). Managers are ranked only where
their intervals separate. Everything runs on grouped counts from the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import special
from scipy import stats as _st

from analysis.base.i18n import N_, _
from analysis.engine.cells import Engine, Leads, count_true, default_engine
from analysis.engine.periods import data_end
from analysis.stats.intervals import count_flag, wilson_interval

__all__ = [
    "ADJUST_FOR",
    "manager_coverage",
    "manager_table",
    "routing_table",
    "speed_to_lead",
    "processing_checks",
    "loss_reasons",
    "fit_unit_effects",
    "compare_units",
    "separated_rank",
    "ROUTING_RULE",
    "NOT_DISTINGUISHABLE",
    "NEVER_CONTACTED",
]

#: What a manager's expected conversion is adjusted for, where the data have it.
ADJUST_FOR = ("source", "qualification", "segment")

#: The verdict of a unit whose interval includes the average (written into the table in
#: the reader's language: ``_(NOT_DISTINGUISHABLE)``).
NOT_DISTINGUISHABLE = N_("not distinguishable from the average with these data")

SPEED_BINS = (0, 5, 60, 240, 1440, np.inf)  # minutes to first contact

#: The speed bins' codes in the table (a figure shows them with ``_``), and the code of
#: leads never contacted.
SPEED_LABELS = (N_("under 5 min"), N_("5-60 min"), N_("1-4 h"), N_("4-24 h"), N_("over a day"))
NEVER_CONTACTED = N_("never contacted")


def _filled(t: ir.Table, eng: Engine, columns: Sequence[str]) -> dict[str, int]:
    """Leads with a value of each of ``columns`` (0 for a column the table lacks), in
    one query on the engine."""
    present = [c for c in dict.fromkeys(columns) if c in t.columns]
    out = dict.fromkeys(columns, 0)
    if present:
        expr = t.aggregate(**{f"n{i}": t[c].count() for i, c in enumerate(present)})
        row = eng.to_arrow(expr).to_pylist()[0]
        out |= {c: int(row[f"n{i}"] or 0) for i, c in enumerate(present)}
    return out


def _adjusters(t: ir.Table, eng: Engine, adjust_for: Sequence[str]) -> list[str]:
    """The dimensions of ``adjust_for`` that some lead has a value of."""
    filled = _filled(t, eng, adjust_for)
    return [a for a in adjust_for if filled[a] > 0]


def manager_coverage(leads: Leads, *, engine: Engine | None = None) -> dict[str, Any]:
    """How the data record managers, counted on the engine.

    Returns a dict with ``mapped`` (the leads have a manager column), ``leads``,
    ``sales``, ``with_manager`` (leads with a manager), ``sales_with_manager`` and
    ``state``: "unmapped" (no manager column), "empty" (no lead has a manager),
    "converted_only" (every lead with a manager converted while some leads did not: the
    manager is recorded on the sale, so managers' conversion cannot be compared) or
    "ok".
    """
    eng = engine or default_engine()
    t = eng.table(leads)
    mapped = "manager" in t.columns
    sale = t.converted.cast("int64")
    aggs = {"leads": t.count(), "sales": sale.sum()}
    if mapped:
        aggs |= {
            "with_manager": t.manager.count(),
            "sales_with_manager": t.manager.notnull().ifelse(sale, 0).sum(),
        }
    row = {k: int(v or 0) for k, v in eng.to_arrow(t.aggregate(**aggs)).to_pylist()[0].items()}
    row.setdefault("with_manager", 0)
    row.setdefault("sales_with_manager", 0)
    if not mapped:
        state = "unmapped"
    elif row["with_manager"] == 0:
        state = "empty"
    elif row["sales_with_manager"] == row["with_manager"] and row["sales"] < row["leads"]:
        state = "converted_only"
    else:
        state = "ok"
    return {"mapped": mapped, **row, "state": state}


#: The grid of manager effects u (log-odds against the cell's pooled conversion) and of
#: their spread sigma over which the mixed binomial model is integrated.
_U = np.linspace(-4.0, 4.0, 801)
_SIGMA = np.linspace(0.0, 2.0, 81)


def _unit_loglik(
    codes: np.ndarray, n: np.ndarray, k: np.ndarray, offset: np.ndarray, units: int
) -> np.ndarray:
    """log P(k | n, expit(offset + u)) summed per unit, on the grid `_U`: (units, grid).
    Cells whose pooled conversion is 0 or 1 carry no information on u and are skipped."""
    out = np.zeros((units, _U.size))
    live = np.isfinite(offset)
    for code, nn, kk, oo in zip(codes[live], n[live], k[live], offset[live], strict=True):
        eta = oo + _U
        # log expit(eta) and log(1 - expit(eta)), stable
        out[code] += -kk * np.logaddexp(0.0, -eta) - (nn - kk) * np.logaddexp(0.0, eta)
    return out


def fit_unit_effects(
    codes: ArrayLike, leads: ArrayLike, sales: ArrayLike, offset: ArrayLike, units: int
) -> dict[str, np.ndarray]:
    """A mixed binomial model on counts: in each (unit, cell) row, sales ~
    Binomial(leads, expit(offset + u_unit)) with u_unit ~ Normal(0, sigma^2), the offset
    being the logit of the cell's pooled conversion. Binomial, not Poisson: the variance
    is right at 1% and at 60% conversion. sigma gets a flat prior on `_SIGMA` (0 to 2 on
    the log-odds scale) and is integrated out, so its uncertainty widens each unit's
    interval instead of collapsing it to a point.

    Returns ``u_grid``, ``posterior`` (units x grid, each row summing to 1),
    ``sigma_grid``, ``sigma_posterior`` and ``sigma`` (its posterior mean).
    """
    c = np.asarray(codes, dtype="int64")
    n = np.asarray(leads, dtype="float64")
    k = np.asarray(sales, dtype="float64")
    o = np.asarray(offset, dtype="float64")
    ll = _unit_loglik(c, n, k, o, units)
    ll0 = ll[:, _U.size // 2]  # u = 0 exactly (the grid is symmetric, odd-sized)
    du = _U[1] - _U[0]
    logm = np.empty(_SIGMA.size)
    per = np.empty((_SIGMA.size, units))
    for i, s in enumerate(_SIGMA):
        if s == 0:
            per[i] = ll0
        else:
            lp = _st.norm.logpdf(_U, scale=s) + np.log(du)
            per[i] = special.logsumexp(ll + lp, axis=1)
        logm[i] = per[i].sum()
    w = np.exp(logm - logm.max())
    w /= w.sum()
    post = np.zeros((units, _U.size))
    centre = _U.size // 2
    for i, s in enumerate(_SIGMA):
        if w[i] < 1e-12:
            continue
        if s == 0:
            post[:, centre] += w[i]
        else:
            lp = _st.norm.logpdf(_U, scale=s) + np.log(du) + ll - per[i][:, None]
            post += w[i] * np.exp(lp)
    post /= post.sum(axis=1, keepdims=True)
    return {
        "u_grid": _U,
        "posterior": post,
        "sigma_grid": _SIGMA,
        "sigma_posterior": w,
        "sigma": np.asarray(float(np.sum(w * _SIGMA))),
    }


def _quantile(post: np.ndarray, q: float) -> np.ndarray:
    """The ``q`` quantile of each row's distribution on `_U` (linear in the CDF)."""
    cdf = np.cumsum(post, axis=1)
    return np.array([np.interp(q, row, _U) for row in cdf])


def separated_rank(low: ArrayLike, high: ArrayLike) -> np.ndarray:
    """Rank only where intervals separate: 1 + the number of units whose whole interval
    lies above this unit's. Units whose intervals overlap share a rank."""
    lo = np.asarray(low, dtype="float64")
    hi = np.asarray(high, dtype="float64")
    above: np.ndarray = (lo[None, :] > hi[:, None]).sum(axis=1)
    return 1 + above


def compare_units(
    cells: pd.DataFrame, unit: str, adjust: list[str], level: float, min_leads: int
) -> pd.DataFrame:
    """Observed vs expected sales per ``unit`` from cells (``unit``, ``adjust``...,
    ``leads``, ``sales``), and the ratio shrunk by the mixed binomial model
    (`fit_unit_effects`): its posterior mean and ``level`` interval, a verdict from that
    interval and a rank only where intervals separate (`separated_rank`)."""
    if adjust:
        ref = cells.groupby(adjust)[["leads", "sales"]].sum()
        rate = (ref["sales"] / ref["leads"]).rename("_p")
        c = cells.merge(rate, left_on=adjust, right_index=True, how="left")
    else:
        c = cells.assign(_p=cells["sales"].sum() / cells["leads"].sum())
    c = c[c["leads"] > 0].copy()
    c["_e"] = c["leads"] * c["_p"]
    t = c.groupby(unit, as_index=False, sort=True).agg(
        leads=("leads", "sum"), sales=("sales", "sum"), expected=("_e", "sum")
    )
    codes = pd.Categorical(c[unit], categories=t[unit]).codes.astype("int64")
    p = c["_p"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore"):
        offset = np.where((p > 0) & (p < 1), special.logit(np.clip(p, 1e-12, 1 - 1e-12)), np.inf)
    fit = fit_unit_effects(codes, c["leads"], c["sales"], offset, len(t))
    # expected sales of each unit's leads at effect u, on the grid: (units, grid)
    live = np.isfinite(offset)
    n = c["leads"].to_numpy(dtype="float64")
    at_u = np.zeros((len(t), _U.size))
    for code, nn, oo in zip(codes[live], n[live], offset[live], strict=True):
        at_u[code] += nn * special.expit(oo + _U)
    fixed = np.bincount(codes[~live], weights=(n * p)[~live], minlength=len(t))
    e = t["expected"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio_u = (at_u + fixed[:, None]) / e[:, None]
    ratio_u = np.where(e[:, None] > 0, ratio_u, np.nan)
    post = fit["posterior"]
    q = (1 - level) / 2
    overall = cells["sales"].sum() / cells["leads"].sum()
    t["rate"] = t["sales"] / t["leads"]
    t["rate_low"], t["rate_high"] = wilson_interval(t["sales"], t["leads"], level)
    t["ratio"] = np.where(e > 0, t["sales"] / np.where(e > 0, e, 1), np.nan)
    t["shrunk"] = np.nansum(post * ratio_u, axis=1)
    rows = np.arange(len(t))
    t["shrunk_low"] = [
        np.interp(lo, _U, ratio_u[i]) for i, lo in zip(rows, _quantile(post, q), strict=True)
    ]
    t["shrunk_high"] = [
        np.interp(hi, _U, ratio_u[i]) for i, hi in zip(rows, _quantile(post, 1 - q), strict=True)
    ]
    t.loc[e <= 0, ["shrunk", "shrunk_low", "shrunk_high"]] = np.nan
    t["adjusted_rate"] = t["shrunk"] * overall
    t["spread"] = float(fit["sigma"])
    t["rank"] = separated_rank(t["shrunk_low"], t["shrunk_high"]).astype("int64")
    t["flag"] = count_flag(t["leads"], t["sales"], min_leads)
    # the verdict is a sentence for the reader, written in the report's language
    t["verdict"] = np.select(
        [t["shrunk_low"] > 1, t["shrunk_high"] < 1],
        [
            _("converts better than the leads it got would predict"),
            _("converts worse than the leads it got would predict"),
        ],
        default=_(NOT_DISTINGUISHABLE),
    )
    lo, hi = t["shrunk_low"].to_numpy(), t["shrunk_high"].to_numpy()
    apart = ((lo[None, :] > hi[:, None]) | (hi[None, :] < lo[:, None])).any(axis=1)
    t["standing"] = np.where(apart, "rank " + t["rank"].astype(str), "not distinguishable")
    return t


def manager_table(
    leads: Leads,
    *,
    adjust_for: Sequence[str] = ADJUST_FOR,
    min_leads: int = 30,
    level: float = 0.95,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """Conversion by manager, adjusted for the leads each received, shrunk.

    Returns
    -------
    DataFrame[manager, leads, sales, expected, rate, rate_low, rate_high, ratio, shrunk,
    shrunk_low, shrunk_high, adjusted_rate, spread, rank, flag, verdict, standing]
        ``expected``: sales the manager's leads would bring at the average conversion of
        their cells; ``ratio``: observed / expected; ``shrunk``: that ratio pulled toward
        1 by the evidence (with its 95% interval); ``adjusted_rate``: the conversion the
        manager would have with the average lead mix; ``spread``: the model's posterior
        mean sd of managers' log-odds effects (0: alike); ``rank``: 1 + the number of
        managers whose whole interval lies above this one's (overlapping intervals share
        a rank); ``standing``: that rank, or "not distinguishable" where the manager's
        interval overlaps every other's.
        Empty (with no rows) when the data have no manager, and when managers are
        recorded only for converted leads (nobody is ranked on sales that define who is
        named); ``attrs["managers"]`` is `manager_coverage`'s state.
    """
    eng = engine or default_engine()
    t = eng.table(leads)
    state = manager_coverage(t, engine=eng)["state"]
    if state != "ok":
        out = pd.DataFrame(
            columns=["manager", "leads", "sales", "expected", "rate", "flag", "verdict"]
        )
        out.attrs["managers"] = state
        return out
    adjust = _adjusters(t, eng, adjust_for)
    cells = eng.cells(t, ["manager", *adjust])
    out = compare_units(cells, "manager", adjust, level, min_leads)
    out.attrs["managers"] = state
    return out


def routing_table(
    leads: Leads,
    classes: Sequence[str] = ("cold", "warm", "hot"),
    *,
    adjust_for: Sequence[str] = ("source", "segment"),
    min_leads: int = 20,
    level: float = 0.95,
    per_class: int = 2,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """Which managers to send each class of lead: per qualification class, each
    manager's observed vs expected sales (adjusted for source and segment within the
    class), shrunk, ranked only where intervals separate, with their workload.

    Returns DataFrame[qualification, manager, leads, sales, expected, rate, ratio,
    shrunk, shrunk_low, shrunk_high, rank, standing, open, flag, verdict, send, basis].
    The rule (``ROUTING_RULE``): candidates for a class are the managers with enough
    leads whom no other manager's interval lies wholly above, where the class's own
    data separate some managers; otherwise the same over all leads (adjusted); where
    neither separates anyone, every manager with enough leads. Among candidates the
    ones with the fewest open leads (``open``, neither sold nor lost) get the class, up
    to ``per_class``: hot leads are given out first, those whom the class's data rank
    first ahead, then a manager already given another class last; no manager gets every
    class unless she is the only candidate. Empty when `manager_table` is.
    """
    eng = engine or default_engine()
    t = eng.table(leads)
    overall = manager_table(t, min_leads=min_leads, level=level, engine=eng)
    if overall.empty:
        return pd.DataFrame(columns=["qualification", "manager", "leads", "sales", "send"])
    load = processing_checks(t, engine=eng).set_index("manager")["open"]
    adjust = _adjusters(t, eng, adjust_for)
    cells = eng.cells(t, ["qualification", "manager", *adjust])
    ok = overall["flag"] == ""
    overall_apart = (overall["rank"] > 1).any()
    overall_top = list(overall.loc[ok & (overall["rank"] == 1), "manager"])
    out = []
    for cls in classes:
        c = cells[cells["qualification"] == cls]
        if c.empty or c["sales"].sum() == 0:
            continue
        tc = compare_units(c, "manager", adjust, level, min_leads)
        tc.insert(0, "qualification", cls)
        tc["open"] = tc["manager"].map(load).fillna(0).astype("int64")
        enough = tc["flag"] == ""
        # the basis is read on the page: in the reader's language, the class's name too
        name = _(cls)
        if (tc.loc[enough, "rank"] > 1).any():
            cand = list(tc.loc[enough & (tc["rank"] == 1), "manager"])
            tc["basis"] = _(
                "{cls} leads: those clearly above someone on these first, then fewest open leads",
                cls=name,
            )
        elif overall_apart and overall_top:
            cand = [m for m in overall_top if m in set(tc.loc[tc["leads"] >= min_leads, "manager"])]
            tc["basis"] = _(
                "{cls} leads alone cannot tell managers apart: those no one clearly "
                "beats over all leads (adjusted), fewest open leads first",
                cls=name,
            )
        else:
            cand = list(tc.loc[enough, "manager"])
            tc["basis"] = _(
                "managers are not distinguishable on {cls} leads nor over all leads: by workload",
                cls=name,
            )
        tc["send"] = ""
        tc.attrs["candidates"] = cand
        out.append(tc)
    if not out:
        return pd.DataFrame(columns=["qualification", "manager", "leads", "sales", "send"])
    given: dict[str, int] = {}
    # the most valuable class is given out first (hot, warm, cold), so those who
    # clearly convert best get it; then the fewest classes already given, then workload
    value = {"hot": 0, "warm": 1, "cold": 2}
    for tc in sorted(out, key=lambda x: value.get(str(x["qualification"].iloc[0]), 3)):
        cand = tc.attrs["candidates"]
        top = set(tc.loc[tc["standing"] == "rank 1", "manager"])
        pick = sorted(cand, key=lambda m: (m not in top, given.get(m, 0), int(load.get(m, 0)), m))[
            :per_class
        ]
        for m in pick:
            given[m] = given.get(m, 0) + 1
        tc.loc[tc["manager"].isin(pick), "send"] = "yes"
    if len(out) > 1:
        for m, times in given.items():
            if times < len(out):
                continue
            # sent every class: drop her where another candidate takes the class
            for tc in sorted(out, key=lambda x: -len(x.attrs["candidates"])):
                sent = tc["send"] == "yes"
                if sent.sum() > 1 and m in set(tc.loc[sent, "manager"]):
                    tc.loc[tc["manager"] == m, "send"] = ""
                    break
                others = [x for x in tc.attrs["candidates"] if x != m]
                if sent.sum() == 1 and others:
                    alt = min(others, key=lambda x: (given.get(x, 0), int(load.get(x, 0)), x))
                    tc.loc[tc["manager"] == m, "send"] = ""
                    tc.loc[tc["manager"] == alt, "send"] = "yes"
                    break
    for tc in out:
        tc.attrs.pop("candidates", None)
    return pd.concat(out, ignore_index=True)


#: The routing rule in words (shown with ``_(ROUTING_RULE)``, in the reader's language).
ROUTING_RULE = N_(
    "A class goes to managers whom no other manager clearly beats on it (their "
    "intervals do not lie wholly below another's); if that class alone cannot tell "
    "them apart, to those no one clearly beats over all leads; if nobody can be told "
    "apart, to anyone with enough leads. Hot leads are given out first; among the "
    "candidates, those the class's own data put clearly above someone come first, then "
    "those given fewer classes, then those with fewer open leads; no manager gets every "
    "class unless she is the only one to choose."
)


def speed_to_lead(
    leads: Leads, by: str | None = None, *, level: float = 0.95, engine: Engine | None = None
) -> pd.DataFrame:
    """Conversion by time from lead to first contact (bins in `SPEED_LABELS`, plus
    "never contacted"), optionally per ``by`` (e.g. manager).

    Returns DataFrame[by?, speed, leads, sales, conversion, conversion_low,
    conversion_high, flag]; empty when the data have no first_contact_at.
    """
    eng = engine or default_engine()
    t = eng.table(leads)
    if _filled(t, eng, ["first_contact_at", *([by] if by else [])])["first_contact_at"] == 0:
        return pd.DataFrame(columns=[*([by] if by else []), "speed", "leads", "sales"])
    minutes = (t.first_contact_at.epoch_seconds() - t.created_at.epoch_seconds()) / 60
    import ibis

    speed = ibis.cases(
        *[
            (minutes < hi, label)
            for hi, label in zip(SPEED_BINS[1:], SPEED_LABELS, strict=True)
            if np.isfinite(hi)
        ],
        else_=SPEED_LABELS[-1],
    )
    speed = t.first_contact_at.isnull().ifelse(NEVER_CONTACTED, speed)
    keys = {"speed": speed} | ({by: t[by].cast("string").fill_null("(not set)")} if by else {})
    expr = t.group_by(**keys).aggregate(leads=t.count(), sales=t.converted.cast("int64").sum())
    out = eng.to_arrow(expr).to_pandas()
    out["leads"] = out["leads"].astype("int64")
    out["sales"] = out["sales"].fillna(0).astype("int64")
    order = {label: i for i, label in enumerate([*SPEED_LABELS, NEVER_CONTACTED])}
    out = out.sort_values(
        [*([by] if by else []), "speed"], key=lambda s: s.map(order) if s.name == "speed" else s
    )
    out = out[[*([by] if by else []), "speed", "leads", "sales"]].reset_index(drop=True)
    out["conversion"] = out["sales"] / out["leads"]
    out["conversion_low"], out["conversion_high"] = wilson_interval(
        out["sales"], out["leads"], level
    )
    out["flag"] = count_flag(out["leads"], out["sales"])
    return out


def processing_checks(
    leads: Leads,
    *,
    stuck_days: int = 14,
    as_of: pd.Timestamp | None = None,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """The lead-processing checks a sales director asks for, per manager.

    Open leads are those neither sold nor lost (no lost_reason). Returns
    DataFrame[manager, leads, never_contacted, never_contacted_share, open, stuck,
    stuck_share] where ``stuck`` counts open leads older than ``stuck_days`` at
    ``as_of`` (the data's end by default, `analysis.engine.periods.data_end`); empty
    when the data have no manager.
    """
    eng = engine or default_engine()
    t = eng.table(leads)
    if _filled(t, eng, ["manager"])["manager"] == 0:
        return pd.DataFrame(columns=["manager", "leads", "never_contacted", "open", "stuck"])
    if as_of is None:
        as_of = data_end(t, eng.to_arrow)
    import ibis

    never = t.first_contact_at.isnull() if "first_contact_at" in t.columns else ibis.literal(False)
    lost = t.lost_reason.notnull() if "lost_reason" in t.columns else ibis.literal(False)
    is_open = (t.converted == 0) & ~lost
    old = t.created_at + ibis.interval(days=int(stuck_days)) < ibis.literal(pd.Timestamp(as_of))
    expr = (
        t.group_by(manager=t.manager.cast("string").fill_null("(not set)"))
        .aggregate(
            leads=t.count(),
            never_contacted=count_true(never & (t.converted == 0)),
            open=count_true(is_open),
            stuck=count_true(is_open & old),
        )
        .order_by("manager")
    )
    out = eng.to_arrow(expr).to_pandas()
    for c in ("leads", "never_contacted", "open", "stuck"):
        out[c] = out[c].fillna(0).astype("int64")
    out["never_contacted_share"] = out["never_contacted"] / out["leads"]
    out["stuck_share"] = out["stuck"] / out["leads"]
    if "first_contact_at" not in t.columns:
        out["never_contacted"] = pd.NA
        out["never_contacted_share"] = np.nan
    return out[
        [
            "manager",
            "leads",
            "never_contacted",
            "never_contacted_share",
            "open",
            "stuck",
            "stuck_share",
        ]
    ]


def loss_reasons(leads: Leads, by: str, *, engine: Engine | None = None) -> pd.DataFrame:
    """Lost leads by reason and ``by`` (manager or source), with each reason's share of
    the row's lost leads. Returns DataFrame[by, lost_reason, lost, share]; empty when
    the data have no loss reasons or no ``by`` column."""
    eng = engine or default_engine()
    t = eng.table(leads)
    if by not in t.columns or _filled(t, eng, ["lost_reason"])["lost_reason"] == 0:
        return pd.DataFrame(columns=[by, "lost_reason", "lost", "share"])
    t = t.filter(t.lost_reason.notnull())
    expr = t.group_by(
        **{by: t[by].cast("string").fill_null("(not set)"), "lost_reason": t.lost_reason}
    ).aggregate(lost=t.count())
    out = eng.to_arrow(expr).to_pandas()
    out["lost"] = out["lost"].astype("int64")
    out["share"] = out["lost"] / out.groupby(by)["lost"].transform("sum")
    # reason breaks ties, so every backend gives the same order
    return out.sort_values([by, "lost", "lost_reason"], ascending=[True, False, True]).reset_index(
        drop=True
    )
