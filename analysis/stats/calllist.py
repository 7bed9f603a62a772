"""A scored call list: for every open lead (neither sold nor lost), the probability
that it still becomes a sale, with its interval, and the revenue it is expected to
bring.

The score of an open lead of age ``a`` days in its cell (source, campaign, segment,
qualification) combines two things the data tell separately:

- ``p``, the share of the cell's leads that ever become a sale. Young leads have not
  had time to close, so the cell's sales are divided by its *matured* leads: each lead
  counts as ``F(age)``, the share of its class's sales that close by that age (a lead
  of 40 days in a class that closes 90% of its sales by day 30 counts 0.9 or more, a
  lead of two days almost nothing). Cells are pooled toward their class by a
  beta-binomial prior fitted to the class's cells (`fit_beta_binomial`), so a cell of
  five leads is not ranked by luck; the interval is the posterior's.
- ``F``, the class's time-to-sale curve: the Kaplan-Meier share converted by each day
  (`analysis.stats.survival.time_to_sale`), divided by its plateau (the share at the
  last day still watched by enough leads), so F reads "the share of the eventual
  sales closed by day d".

A lead not sold by age ``a`` becomes a sale later with probability
``p (1 - F(a)) / (1 - p F(a))`` (Bayes' rule on "not sold yet"). Lost leads are not
sold yet either, and a lead that will be sold is open now, so among *open* leads the
probability is that divided by ``q``, the share of the class's unsold leads of that
age band that are still open (counted on the data). The expected revenue is that
probability times the mean revenue of a sale in the lead's segment (the overall mean
where the segment has fewer than ``min_sales`` sales with an amount).

Everything is computed from grouped counts (cells by age day); only the open leads of
the list's top leave the engine, joined there with the scores of their cells.

The interval is the cell rate's (95% by default); the time curve and the open share
are taken as known, which they nearly are next to a cell's rate (they pool a whole
class). The scores are checked against the sample generator's truth (calibration by
decile, `tests/test_calllist.py`) and on a time split (`benchmarks/calllist.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import ArrayLike
from scipy import stats as sps

from analysis.base.i18n import _
from analysis.engine.cells import Engine, Leads, count_true, default_engine, dimension
from analysis.ingest.schema import QUALIFICATIONS
from analysis.stats.intervals import wilson_interval
from analysis.stats.shrink import fit_beta_binomial
from analysis.stats.survival import day_counts, prepare, product_limit

__all__ = [
    "CELL",
    "AGE_BANDS",
    "CallList",
    "call_list",
    "calibration",
    "manager_lists",
    "STUCK",
    "NEVER_CONTACTED",
]

#: The cell a lead's conversion is estimated in.
CELL = ("source", "campaign", "segment", "qualification")

#: Age bands (days, lower bounds) in which the open share of unsold leads is counted.
AGE_BANDS = (0, 2, 4, 7, 10, 14, 18, 22, 26, 30, 37, 45, 60, 75, 90, 120, 180, 270, 365)

_CLASS = "qualification"
UNKNOWN = QUALIFICATIONS[-1]


@dataclass
class CallList:
    """A call list and what it was computed from.

    Attributes
    ----------
    leads : DataFrame
        One row per open lead of the list (the top ``limit`` by expected revenue):
        rank, lead_id, manager, source, campaign, segment, qualification, age_days,
        p_sale, p_sale_low, p_sale_high, expected_revenue, cell_leads (the matured
        leads behind the cell's rate), cell_rate, cell_rate_low, cell_rate_high (the
        cell's eventual conversion), closed_by_age (F at the lead's age).
    cells : DataFrame
        Per cell: leads, sales, matured (sum of F(age)), prior_mean, prior_strength,
        rate (posterior mean of the eventual conversion), rate_low, rate_high.
    curves : DataFrame
        Per class and day: F, the share of the class's eventual sales closed by the day.
    open_leads : int
        Open leads scored (the list may show fewer).
    expected_sales : float
        The sum of p_sale over all open leads: the sales the open leads should still
        bring.
    notes : list of str
        Rows left out and why (data errors), and the assumptions in plain words.
    """

    leads: pd.DataFrame
    cells: pd.DataFrame
    curves: pd.DataFrame
    open_leads: int
    expected_sales: float
    expected_revenue: float | None
    as_of: pd.Timestamp
    level: float
    notes: list[str] = field(default_factory=list)


def _plateau(curve: pd.DataFrame, min_at_risk: int) -> tuple[np.ndarray, np.ndarray]:
    """(days, F) of one class's Kaplan-Meier curve, F = share(d) / share(H), H the last
    day at least ``min_at_risk`` leads were watched through."""
    c = curve.sort_values("day")
    watched = c[c["at_risk"] >= min_at_risk]
    if watched.empty or float(watched["converted_share"].iloc[-1]) <= 0:
        return np.array([0.0]), np.array([1.0])
    top = float(watched["converted_share"].iloc[-1])
    days = watched["day"].to_numpy(dtype="float64")
    share = np.minimum(watched["converted_share"].to_numpy(dtype="float64") / top, 1.0)
    return days, share


def _f_at(days: np.ndarray, share: np.ndarray, age: np.ndarray) -> np.ndarray:
    """The step function F at ``age`` (0 before the first day, 1 after the plateau)."""
    idx = np.searchsorted(days, age, side="right") - 1
    out = np.where(idx >= 0, share[np.clip(idx, 0, len(share) - 1)], 0.0)
    return np.where(age > days[-1], 1.0, out)


def _band(age: pd.Series) -> pd.Series:
    return pd.Series(
        np.searchsorted(np.asarray(AGE_BANDS), age.to_numpy(), side="right") - 1, index=age.index
    )


def _pooled(
    grouped: pd.DataFrame, keys: list[str], f: str, prior_by: str | None, level: float
) -> pd.DataFrame:
    """Per cell of ``keys``: leads, sales, matured leads (sum of leads x F(age)) and the
    eventual rate, its posterior under a beta-binomial prior fitted to the cells of
    each ``prior_by`` (all cells together for None)."""
    g = grouped.assign(matured=grouped["leads"] * grouped[f])
    cells = g.groupby(keys, as_index=False)[["leads", "sales", "open", "matured"]].sum()
    cells["matured"] = np.maximum(cells["matured"], cells["sales"])
    cells["prior_mean"] = np.nan
    cells["prior_strength"] = np.nan
    parts = cells.groupby(prior_by) if prior_by else [(None, cells)]
    for _key, part in parts:
        k, n = part["sales"].to_numpy(float), part["matured"].to_numpy(float)
        ok = n > 0
        if ok.sum() >= 3 and 0 < k.sum() < n.sum():
            mu, kappa = fit_beta_binomial(k[ok], n[ok])
        else:  # too few cells to tell how they differ: a weak prior at their pooled rate
            mu, kappa = (k.sum() + 0.5) / (n.sum() + 1.0), 2.0
        cells.loc[part.index, "prior_mean"] = mu
        # a prior is never surer than the leads it was learned from (kappa at its bound
        # says the cells do not differ beyond chance, not that their mean is exact)
        cells.loc[part.index, "prior_strength"] = min(kappa, max(float(n.sum()), 2.0))
    a = cells["sales"] + cells["prior_mean"] * cells["prior_strength"]
    b = cells["matured"] - cells["sales"] + (1 - cells["prior_mean"]) * cells["prior_strength"]
    cells["rate"] = a / (a + b)
    tail = (1 - level) / 2
    cells["rate_low"] = sps.beta.ppf(tail, a, b)
    cells["rate_high"] = sps.beta.ppf(1 - tail, a, b)
    return cells


_P_COLS = ("p_sale", "p_sale_low", "p_sale_high")


#: The call list's columns after the cell's.
_SCORE_COLUMNS = (
    "age_days", "p_sale", "p_sale_low", "p_sale_high", "expected_revenue", "cell_leads",
    "cell_rate", "cell_rate_low", "cell_rate_high", "closed_by_age",
)  # fmt: skip


def _p_open(rate: ArrayLike, x: ArrayLike, q: ArrayLike) -> np.ndarray:
    """P(sale later | open at an age where a share ``x`` of the cell's sales have
    closed), for an eventual rate ``rate`` and an open share ``q`` of unsold leads."""
    p = np.asarray(rate, dtype=float)
    x = np.asarray(x, dtype=float)
    q = np.asarray(q, dtype=float)
    # no open share counted (no unsold lead of the kind in the band): P(sale | unsold)
    q = np.where(np.isfinite(q) & (q > 0), q, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        later = p * (1 - x) / (1 - p * x) / q
    return np.asarray(np.clip(np.nan_to_num(later), 0.0, 1.0), dtype=float)


def _pending_share(grouped: pd.DataFrame) -> pd.DataFrame:
    """Per age band: of the open leads not qualified yet, the share that will be
    qualified (``pending``), the excess of the unqualified share among open leads over
    that among the band's closed leads (leads never qualified close as others do); and
    the class mix of the band's qualified open leads (``w_<class>``)."""
    g = grouped.assign(closed=grouped["leads"] - grouped["open"])
    unq = g[_CLASS] == UNKNOWN
    band = (
        g.assign(u_open=np.where(unq, g["open"], 0), u_closed=np.where(unq, g["closed"], 0))
        .groupby("_band", as_index=False)[["open", "closed", "u_open", "u_closed"]]
        .sum()
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        u_o = band["u_open"] / band["open"]
        u_c = (band["u_closed"] / band["closed"]).fillna(0.0)
        band["pending"] = np.clip(np.nan_to_num((u_o - u_c) / u_o), 0.0, 1.0)
    mix = g[~unq].pivot_table(index="_band", columns=_CLASS, values="open", aggfunc="sum")
    overall = mix.sum() / max(float(mix.to_numpy().sum()), 1.0)
    mix = mix.div(mix.sum(axis=1), axis=0)
    mix = mix.apply(lambda r: overall if not np.isfinite(r).all() else r, axis=1)
    mix.columns = [f"w_{c}" for c in mix.columns]
    return band[["_band", "pending"]].merge(mix.reset_index(), on="_band", how="left")


def _open_shares(grouped: pd.DataFrame, pending: pd.DataFrame) -> pd.DataFrame:
    """Per class and age band, ``q``: the share of the class's unsold leads that are
    still open. A lead that will be sold is open, so P(sale | open) = P(sale | unsold) /
    q. Leads whose qualification is pending sit in the unqualified class while open,
    so the band's pending leads are given back to the classes in the mix of the band's
    qualified open leads (`_pending_share`'s ``w_<class>``, the overall mix where the
    band has none) and taken from the unqualified class."""
    g = grouped.assign(unsold=grouped["leads"] - grouped["sales"])
    t = g.groupby([_CLASS, "_band"], as_index=False)[["unsold", "open"]].sum()
    t = t.merge(pending, on="_band", how="left").fillna({"pending": 0.0})
    unq = t[_CLASS] == UNKNOWN
    u = t[unq].set_index("_band")["open"]
    moved = t["_band"].map(u).fillna(0.0) * t["pending"]
    weight = pd.Series(0.0, index=t.index)
    for klass in t[_CLASS].unique():
        col = f"w_{klass}"
        if klass != UNKNOWN and col in t.columns:
            m = t[_CLASS] == klass
            weight[m] = t.loc[m, col].fillna(0.0)
    opened = np.where(unq, t["open"] * (1 - t["pending"]), t["open"] + moved * weight)
    lost = t["unsold"] - t["open"]
    with np.errstate(divide="ignore", invalid="ignore"):
        t["q"] = opened / (lost + opened)
    return t[[_CLASS, "_band", "q"]]


def _score_unqualified(
    rows: pd.DataFrame,
    cells: pd.DataFrame,
    f_of: dict[str, tuple[np.ndarray, np.ndarray]],
    shares: pd.DataFrame,
    pending: pd.DataFrame,
) -> pd.DataFrame:
    """Open leads not qualified yet: a mixture of "never qualified" (the unqualified
    class's cell) and "qualified later" (each class's cell at the lead's age, weighted
    by the class mix of the band's qualified open leads)."""
    if rows.empty:
        return rows.assign(**{c: pd.Series(dtype=float) for c in [*_P_COLS, "x"]})
    rate_cols = ["matured", "rate", "rate_low", "rate_high"]
    keys = [*(c for c in rows.columns if c in CELL), "_age"]
    plain = [k for k in keys if k not in (_CLASS, "_age")]
    out = rows.merge(pending, on="_band", how="left").reset_index(drop=True)
    out["pending"] = out["pending"].fillna(0.0)
    never = out.merge(cells[[*keys[:-1], *rate_cols]], on=keys[:-1], how="left")
    age = out["_age"].to_numpy(float)
    acc = {c: (1 - out["pending"]) * _p_open(never[r], out["F"], out["q"])
           for c, r in zip(_P_COLS, ("rate", "rate_low", "rate_high"), strict=True)}  # fmt: skip
    x = (1 - out["pending"]) * out["F"]
    matured = (1 - out["pending"]) * never["matured"].fillna(0.0)
    for klass, (days, share) in f_of.items():
        col = f"w_{klass}"
        if klass == UNKNOWN or col not in out.columns:
            continue
        w = out["pending"] * out[col].fillna(0.0)
        fc = _f_at(days, share, age)
        qc = out[["_band"]].merge(shares[shares[_CLASS] == klass], on="_band", how="left")["q"]
        mine = cells[cells[_CLASS] == klass]
        k, n = float(mine["sales"].sum()), float(mine["matured"].sum())
        lookup = (
            out[plain]
            .assign(**{_CLASS: klass})
            .merge(mine[[*plain, _CLASS, *rate_cols]], on=[*plain, _CLASS], how="left")
        )
        # a cell with no lead of the class: the class's pooled rate
        fallback = {
            "rate": (k + 0.5) / (n + 1.0),
            "rate_low": sps.beta.ppf(0.025, k + 0.5, n - k + 0.5),
            "rate_high": sps.beta.ppf(0.975, k + 0.5, n - k + 0.5),
            "matured": 0.0,
        }
        for c, r in zip(_P_COLS, ("rate", "rate_low", "rate_high"), strict=True):
            acc[c] = acc[c] + w * _p_open(lookup[r].fillna(fallback[r]), fc, qc)
        x = x + w * fc
        matured = matured + w * lookup["matured"].fillna(0.0)
    for c in _P_COLS:
        out[c] = np.clip(acc[c], 0.0, 1.0)
    out["x"] = x
    # the cell's figures shown with the lead: its mixture's
    out["matured"] = matured
    out["rate"] = np.nan
    out["rate_low"] = np.nan
    out["rate_high"] = np.nan
    return out


def call_list(
    leads: Leads,
    *,
    as_of: object = None,
    engine: Engine | None = None,
    level: float = 0.95,
    limit: int | None = 1000,
    min_at_risk: int = 30,
    min_sales: int = 10,
    lost_known: bool = True,
) -> CallList:
    """Score every open lead: the probability it becomes a sale, with an interval, and
    its expected revenue; the top ``limit`` by expected revenue as a list.

    Parameters
    ----------
    leads : DataFrame, path, table name or Ibis table
        Canonical leads (created_at, converted, won_at, lost_reason, the cell's columns;
        manager and revenue where they exist).
    as_of : date-like, optional
        The data's end date (the latest created_at or won_at by default). Leads sold or
        lost after it count as open, as they stood then (a time split).
    level : float
        Level of the intervals.
    limit : int or None
        Leads in the list (None: every open lead; the scores of all of them are summed
        in ``expected_sales`` either way).
    min_at_risk : int
        Leads that must have been watched through a day for the time curve to read it.
    min_sales : int
        Sales with an amount a segment needs for its own mean deal value.
    lost_known : bool
        False where the data cannot say which unsold leads were lost by ``as_of`` (a
        time split: exports keep no loss date): every unsold lead is scored, with
        P(sale later | not sold yet).
    """
    eng = engine or default_engine()
    prep = prepare(leads, [_CLASS], as_of, eng).valid()
    t = prep.table
    sold = prep.is_sale
    lost = (
        t.lost_reason.notnull()
        if lost_known and "lost_reason" in t.columns
        else ibis.literal(False)
    )
    # a sale recorded after as_of was open on as_of; so was a loss (its date is not kept,
    # so a time split counts every lost lead as lost, the conservative reading)
    is_open = ~sold & ~lost
    keys = {k: dimension(t, k) for k in CELL if k in t.columns}
    cell = list(keys)
    if _CLASS not in cell:
        raise ValueError("the leads have no qualification column: nothing to score")
    has_rev = "revenue" in t.columns
    w = t.mutate(
        **keys,
        _age=prep.age_day,
        _sold=sold,
        _open=is_open,
        _rev=(t.revenue.cast("float64") if has_rev else ibis.literal(0.0)),
    )
    grouped = eng.group(
        w,
        [*cell, "_age"],
        leads=w.count(),
        sales=count_true(w._sold),
        open=count_true(w._open),
    )
    for c in ("leads", "sales", "open", "_age"):
        grouped[c] = grouped[c].astype("int64")
    # one order on every engine: the sums and the prior's fit see the same numbers
    grouped = grouped.sort_values([*cell, "_age"], ignore_index=True)

    # the classes' time curves (Kaplan-Meier on grouped day counts)
    curves = product_limit(day_counts(prep, [_CLASS]), [_CLASS], level)
    all_f = _plateau(product_limit(day_counts(prep, []), [], level), min_at_risk)
    f_of: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    rows = []
    for klass in sorted(grouped[_CLASS].unique()):
        curve = curves[curves[_CLASS].astype(str) == klass]
        enough = not curve.empty and int(curve["sales"].sum()) >= min_sales
        # too few sales for a class curve of its own: the curve of all leads
        f_of[klass] = _plateau(curve, min_at_risk) if enough else all_f
        days, share = f_of[klass]
        rows.append(pd.DataFrame({_CLASS: klass, "day": days.astype("int64"), "F": share}))
    curve_table = pd.concat(rows, ignore_index=True)
    grouped["F"] = 0.0
    for klass, (days, share) in f_of.items():
        m = grouped[_CLASS] == klass
        grouped.loc[m, "F"] = _f_at(days, share, grouped.loc[m, "_age"].to_numpy(float))
    grouped["F_all"] = _f_at(*all_f, grouped["_age"].to_numpy(float))

    # the cells' eventual rates, pooled toward their class
    cells = _pooled(grouped, cell, "F", _CLASS, level)

    # the open share of unsold leads per class and age band, with the leads whose
    # qualification is still pending given back to their classes (see `_open_shares`)
    grouped["_band"] = _band(grouped["_age"])
    pending = _pending_share(grouped)
    shares = _open_shares(grouped, pending)

    rate_cols = ["matured", "rate", "rate_low", "rate_high"]
    todo = grouped[grouped["open"] > 0].merge(shares, on=[_CLASS, "_band"], how="left")
    known = todo[_CLASS] != UNKNOWN
    scored_known = todo[known].merge(cells[[*cell, *rate_cols]], on=cell)
    scored_known["x"] = scored_known["F"]
    for out, col in zip(_P_COLS, ("rate", "rate_low", "rate_high"), strict=True):
        scored_known[out] = _p_open(scored_known[col], scored_known["x"], scored_known["q"])
    scored = pd.concat(
        [scored_known, _score_unqualified(todo[~known], cells, f_of, shares, pending)],
        ignore_index=True,
    )

    # mean revenue of a sale, by segment
    rev_expr = w.filter(w._sold & (w._rev > 0))
    seg_key = "segment" if "segment" in cell else None
    by_seg = eng.group(
        rev_expr, [seg_key] if seg_key else [], sales=rev_expr.count(), revenue=rev_expr._rev.sum()
    )
    mean_all = (
        float(by_seg["revenue"].sum()) / float(by_seg["sales"].sum())
        if has_rev and int(by_seg["sales"].sum())
        else None
    )
    if mean_all is None:
        scored["deal_value"] = np.nan
    elif seg_key:
        by_seg["deal_value"] = np.where(
            by_seg["sales"] >= min_sales, by_seg["revenue"] / by_seg["sales"], mean_all
        )
        scored = scored.merge(by_seg[[seg_key, "deal_value"]], how="left", on=seg_key)
        scored["deal_value"] = scored["deal_value"].fillna(mean_all)
    else:
        scored["deal_value"] = mean_all
    scored["expected_revenue"] = scored["p_sale"] * scored["deal_value"]
    expected_sales = float((scored["p_sale"] * scored["open"]).sum())
    expected_revenue = (
        float((scored["expected_revenue"] * scored["open"]).sum()) if mean_all is not None else None
    )
    open_leads = int(scored["open"].sum())
    columns = ["rank", "lead_id", "manager", *cell, *_SCORE_COLUMNS]

    if open_leads == 0:
        return CallList(
            leads=pd.DataFrame({c: pd.Series(dtype="float64") for c in columns}),
            cells=cells,
            curves=curve_table,
            open_leads=0,
            expected_sales=0.0,
            expected_revenue=expected_revenue,
            as_of=prep.as_of,
            level=level,
            notes=list(prep.notes),
        )

    # the list: open leads joined in the engine with their cell-and-age scores
    score_cols = [*cell, "_age", "p_sale", "p_sale_low", "p_sale_high", "expected_revenue"]
    sc = scored[[*score_cols, *rate_cols, "x"]].rename(
        columns={
            "matured": "cell_leads",
            "rate": "cell_rate",
            "rate_low": "cell_rate_low",
            "rate_high": "cell_rate_high",
            "x": "closed_by_age",
        }
    )
    sc["_sort"] = sc["expected_revenue"].fillna(0.0)
    listed = w.filter(w._open)
    listed = listed.select(
        lead_id=listed.lead_id.cast("string"),
        manager=(dimension(listed, "manager") if "manager" in t.columns else ibis.literal("")),
        **{k: listed[k] for k in cell},
        _age=listed._age,
    )
    scores = ibis.memtable(pa.Table.from_pandas(sc, preserve_index=False))
    joined = listed.join(scores, [*cell, "_age"])
    joined = joined.order_by([ibis.desc("_sort"), ibis.desc("p_sale"), "lead_id"])
    if limit is not None:
        joined = joined.limit(int(limit))
    top = eng.to_arrow(joined).to_pandas()
    top = top.rename(columns={"_age": "age_days"})
    top["age_days"] = top["age_days"].astype("int64")
    top.insert(0, "rank", np.arange(1, len(top) + 1, dtype="int64"))
    top["cell_leads"] = top["cell_leads"].round().astype("int64")
    notes = list(prep.notes)
    notes.append(
        _(
            "The interval is the cell's conversion's; the time-to-sale curve and the share "
            "of unsold leads still open are taken from the whole class."
        )
    )
    return CallList(
        leads=top[columns].reset_index(drop=True),
        cells=cells,
        curves=curve_table,
        open_leads=open_leads,
        expected_sales=expected_sales,
        expected_revenue=expected_revenue,
        as_of=prep.as_of,
        level=level,
        notes=notes,
    )


def calibration(
    predicted: Sequence[float] | np.ndarray,
    outcome: Sequence[int] | np.ndarray,
    *,
    bins: int = 10,
    level: float = 0.95,
) -> pd.DataFrame:
    """Predicted against realised, by decile of the prediction: leads, predicted (mean),
    realised (share), and the realised share's Wilson interval (``low``, ``high``)."""
    p = np.asarray(predicted, dtype=float)
    y = np.asarray(outcome, dtype=int)
    order = np.argsort(p, kind="stable")
    groups = np.array_split(order, bins)
    rows = []
    for i, g in enumerate(groups, start=1):
        if len(g) == 0:
            continue
        k, n = int(y[g].sum()), len(g)
        low, high = wilson_interval(k, n, level)
        rows.append(
            {
                "decile": i,
                "leads": n,
                "predicted": float(p[g].mean()),
                "realised": k / n,
                "low": float(low),
                "high": float(high),
            }
        )
    return pd.DataFrame(rows)


#: The lists of `manager_lists`, as codes (a page shows them in its language).
STUCK, NEVER_CONTACTED = "stuck", "never contacted"


def manager_lists(
    leads: Leads,
    *,
    stuck_days: int = 14,
    as_of: object = None,
    per_manager: int | None = 200,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """Each manager's open leads that need a call today: never contacted (no first
    contact recorded) and stuck (open for more than ``stuck_days``), oldest first.

    The same leads as `analysis.stats.managers.processing_checks` counts, by lead id
    (never personal data). Returns DataFrame[manager, list, lead_id, age_days,
    qualification, source, campaign, position] with ``list`` `NEVER_CONTACTED` or
    `STUCK` (a never contacted lead older than ``stuck_days`` is in the first list
    only) and ``position`` its place in the manager's list, at most ``per_manager``
    leads per manager and list (None: all). Empty when the data have no manager.
    """
    eng = engine or default_engine()
    prep = prepare(leads, [], as_of, eng).valid()
    t = prep.table
    columns = ["manager", "list", "lead_id", "age_days", "qualification", "source", "campaign"]
    if "manager" not in t.columns:
        return pd.DataFrame(columns=[*columns, "position"])
    lost = t.lost_reason.notnull() if "lost_reason" in t.columns else ibis.literal(False)
    is_open = ~prep.is_sale & ~lost
    never = t.first_contact_at.isnull() if "first_contact_at" in t.columns else ibis.literal(False)
    age = prep.age_day
    # stuck as `processing_checks` counts it: open for more than stuck_days at as_of
    old = t.created_at + ibis.interval(days=int(stuck_days)) < ibis.literal(prep.as_of)
    which = ibis.cases((never, NEVER_CONTACTED), (old, STUCK), else_=None)
    w = t.filter(is_open).mutate(_list=which, _age=age)
    w = w.filter(w._list.notnull())
    w = w.select(
        manager=dimension(w, "manager"),
        list=w._list,
        lead_id=w.lead_id.cast("string"),
        age_days=w._age,
        qualification=dimension(w, "qualification"),
        source=dimension(w, "source"),
        campaign=dimension(w, "campaign"),
    )
    pos = ibis.row_number().over(
        group_by=[w.manager, w.list], order_by=[ibis.desc(w.age_days), w.lead_id]
    )
    w = w.mutate(position=pos + 1)
    if per_manager is not None:
        w = w.filter(w.position <= int(per_manager))
    out = eng.to_arrow(w.order_by(["manager", "list", "position"])).to_pandas()
    out["age_days"] = out["age_days"].astype("int64")
    out["position"] = out["position"].astype("int64")
    return out[[*columns, "position"]].reset_index(drop=True)
