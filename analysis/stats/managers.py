"""Managers: who converts the leads they are given, who should get the cold ones, how
fast leads are reached, and the lead-processing checks a sales director asks for.

A manager's raw conversion mostly reflects the leads they received. Here each manager's
sales are compared with the sales *expected* from their leads (each lead counted at the
conversion of its source x qualification x segment cell over all managers: indirect
standardisation), and the ratio observed / expected is shrunk toward 1 with an
empirical-Bayes gamma prior, so a manager with twelve leads is not ranked first or last
by luck. Everything runs on grouped counts from the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize, special
from scipy import stats as _st

from analysis.engine.cells import Engine, Leads, default_engine
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
    "fit_gamma_prior",
]

#: What a manager's expected conversion is adjusted for, where the data have it.
ADJUST_FOR = ("source", "qualification", "segment")

SPEED_BINS = (0, 5, 60, 240, 1440, np.inf)  # minutes to first contact

SPEED_LABELS = ("under 5 min", "5-60 min", "1-4 h", "4-24 h", "over a day")


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


def fit_gamma_prior(observed: ArrayLike, expected: ArrayLike) -> float:
    """Strength ``alpha`` of a Gamma(alpha, alpha) prior (mean 1) on per-unit ratios
    theta with observed ~ Poisson(expected * theta), by marginal maximum likelihood
    (negative binomial). Large alpha: the units do not differ beyond chance."""
    o = np.asarray(observed, dtype="float64")
    e = np.asarray(expected, dtype="float64")
    keep = e > 0
    o, e = o[keep], e[keep]

    def nll(log_alpha: float) -> float:
        a = np.exp(log_alpha)
        return -float(
            np.sum(
                special.gammaln(o + a)
                - special.gammaln(a)
                + a * np.log(a / (a + e))
                + o * np.log(e / (a + e))
            )
        )

    res = optimize.minimize_scalar(nll, bounds=(np.log(0.1), np.log(1e6)), method="bounded")
    return float(np.exp(res.x))


def _oe_table(
    cells: pd.DataFrame, unit: str, adjust: list[str], level: float, min_leads: int
) -> pd.DataFrame:
    """Observed vs expected sales per ``unit`` (and shrunk ratio) from cells."""
    if adjust:
        ref = cells.groupby(adjust)[["leads", "sales"]].sum()
        rate = (ref["sales"] / ref["leads"]).rename("_p")
        c = cells.merge(rate, left_on=adjust, right_index=True, how="left")
    else:
        c = cells.assign(_p=cells["sales"].sum() / cells["leads"].sum())
    c["_e"] = c["leads"] * c["_p"]
    t = c.groupby(unit, as_index=False, sort=True).agg(
        leads=("leads", "sum"), sales=("sales", "sum"), expected=("_e", "sum")
    )
    alpha = fit_gamma_prior(t["sales"], t["expected"]) if len(t) >= 3 else 1e6
    overall = cells["sales"].sum() / cells["leads"].sum()
    t["rate"] = t["sales"] / t["leads"]
    t["rate_low"], t["rate_high"] = wilson_interval(t["sales"], t["leads"], level)
    t["ratio"] = np.where(t["expected"] > 0, t["sales"] / t["expected"], np.nan)
    shape, rate_ = t["sales"] + alpha, t["expected"] + alpha
    t["shrunk"] = shape / rate_
    q = (1 - level) / 2
    t["shrunk_low"] = _st.gamma.ppf(q, shape, scale=1 / rate_)
    t["shrunk_high"] = _st.gamma.ppf(1 - q, shape, scale=1 / rate_)
    t["adjusted_rate"] = t["shrunk"] * overall
    t["prior_strength"] = alpha
    t["rank"] = t["shrunk"].rank(ascending=False, method="min").astype("int64")
    t["flag"] = count_flag(t["leads"], t["sales"], min_leads)
    t["verdict"] = np.select(
        [t["shrunk_low"] > 1, t["shrunk_high"] < 1],
        [
            "converts better than the leads it got would predict",
            "converts worse than the leads it got would predict",
        ],
        default="not distinguishable from the average with these data",
    )
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
    shrunk_low, shrunk_high, adjusted_rate, prior_strength, rank, flag, verdict]
        ``expected``: sales the manager's leads would bring at the average conversion of
        their cells; ``ratio``: observed / expected; ``shrunk``: that ratio pulled toward
        1 by the evidence (with its 95% interval); ``adjusted_rate``: the conversion the
        manager would have with the average lead mix; ``rank``: 1 = best by ``shrunk``.
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
    out = _oe_table(cells, "manager", adjust, level, min_leads)
    out.attrs["managers"] = state
    return out


def routing_table(
    leads: Leads,
    classes: Sequence[str] = ("cold", "warm", "hot"),
    *,
    adjust_for: Sequence[str] = ("source", "segment"),
    min_leads: int = 20,
    level: float = 0.95,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """Which managers convert each class of lead best: per qualification class, each
    manager's observed vs expected sales (adjusted for source and segment within the
    class), shrunk, ranked.

    Returns DataFrame[qualification, manager, leads, sales, expected, rate, ratio,
    shrunk, shrunk_low, shrunk_high, rank, flag, verdict, send, basis].
    ``send`` is "yes" for the managers to route this class to first: within 10% of the
    best shrunk ratio where the class's own data tell managers apart; otherwise the two
    best managers by adjusted conversion over all leads (``basis`` says which).
    Empty when `manager_table` is (no managers, or managers only on converted leads).
    """
    eng = engine or default_engine()
    t = eng.table(leads)
    overall = manager_table(t, min_leads=min_leads, level=level, engine=eng)
    if overall.empty:
        return pd.DataFrame(columns=["qualification", "manager", "leads", "sales", "send"])
    adjust = _adjusters(t, eng, adjust_for)
    cells = eng.cells(t, ["qualification", "manager", *adjust])
    overall_top = set(overall.loc[(overall["rank"] <= 2) & (overall["flag"] == ""), "manager"])
    out = []
    for cls in classes:
        c = cells[cells["qualification"] == cls]
        if c.empty or c["sales"].sum() == 0:
            continue
        t = _oe_table(c, "manager", adjust, level, min_leads)
        t.insert(0, "qualification", cls)
        if (t["verdict"] != "not distinguishable from the average with these data").any():
            top = t["shrunk"].max()
            t["send"] = np.where((t["shrunk"] >= top * 0.9) & (t["flag"] == ""), "yes", "")
            t["basis"] = f"{cls} leads: managers differ on these"
        else:
            # the class alone cannot tell managers apart: fall back on their adjusted
            # conversion over all leads, and say so
            t["send"] = np.where(t["manager"].isin(overall_top), "yes", "")
            t["basis"] = (
                f"{cls} leads alone cannot tell managers apart: best adjusted "
                "conversion over all leads"
            )
        out.append(t)
    if not out:
        return pd.DataFrame(columns=["qualification", "manager", "leads", "sales", "send"])
    return pd.concat(out, ignore_index=True)


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
    speed = t.first_contact_at.isnull().ifelse("never contacted", speed)
    keys = {"speed": speed} | ({by: t[by].cast("string").fill_null("(not set)")} if by else {})
    expr = t.group_by(**keys).aggregate(leads=t.count(), sales=t.converted.cast("int64").sum())
    out = eng.to_arrow(expr).to_pandas()
    out["leads"] = out["leads"].astype("int64")
    out["sales"] = out["sales"].fillna(0).astype("int64")
    order = {label: i for i, label in enumerate([*SPEED_LABELS, "never contacted"])}
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
            never_contacted=(never & (t.converted == 0)).cast("int64").sum(),
            open=is_open.cast("int64").sum(),
            stuck=(is_open & old).cast("int64").sum(),
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
