"""Whose part is it: a period-over-period change in sales or revenue split between
lead volume, lead mix (marketing) and conversion, revenue per sale (the sales team).

The model, per cell of the mix dimensions (by default source x qualification)::

    sales   = N * sum_cells a_s * b_q|s * p_sq
    revenue = N * sum_cells a_s * b_q|s * p_sq * r_sq

with ``N`` the number of leads, ``a_s`` the share of leads from source ``s``, ``b_q|s``
the share of qualification ``q`` within source ``s``, ``p_sq`` the cell's conversion to a
sale and ``r_sq`` its revenue per sale. Each factor moves from its value in period A to
its value in period B; the change of the total is split by the Shapley value (the
average, over every order of switching the factors from A to B, of each factor's
marginal change). The parts add up to the change exactly (to floating point), a factor
that did not change gets exactly 0, swapping A and B flips every sign, and there is no
leftover "interaction" term and no arbitrary order.

Cells that exist in one period only (a campaign launched in Q2, a class that vanished)
are handled on purpose: their conversion (and revenue per sale) in the period where they
are absent is taken from the period where they exist, so a cell appearing or
disappearing counts as mix (marketing brought, or stopped bringing, such leads), not as
conversion. Likewise a source absent in one period takes its qualification shares from
the other period, so its appearance is source mix, not qualification mix.

Works on grouped counts from `analysis.engine` (a few hundred rows), never on leads;
`analysis.stats.period_change` gets the cells of two periods from the leads and picks
the periods to compare.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analysis.base.i18n import N_, _

__all__ = [
    "MEASURES",
    "OWNERS",
    "norm_mix",
    "decompose",
    "REPLICATES",
    "GROUPS",
    "contributions",
    "part_label",
]

#: What can be decomposed.
MEASURES = ("sales", "revenue")

#: Who answers for each kind of part: lead volume and mix are marketing's lead
#: generation; conversion and revenue per sale are the sales team's.
OWNERS = {
    "volume": "marketing",
    "mix": "marketing",
    "conversion": "sales",
    "revenue_per_sale": "sales",
}

_TABLE_COLUMNS = ["part", "kind", "owner", "label", "value", "share", "low", "high"]

#: How the parts' intervals are drawn (`decompose`'s ``intervals``): draws, seed, level.
REPLICATES = 2000
SEED = 20260
LEVEL = 0.95

#: The groups a headline names: the mix parts together are marketing's lead mix.
GROUPS = ("volume", "mix", "conversion", "revenue_per_sale")

#: The mix dimensions as the functions take them: one name, or one or two names.
Mix: TypeAlias = tuple[str, ...] | list[str] | str

#: Each factor's value per cell of one period, by factor name.
Factors: TypeAlias = dict[str, NDArray[np.float64]]


# --- checks and preparation -------------------------------------------------------------


def norm_mix(mix: str | Sequence[str]) -> tuple[str, ...]:
    """The mix dimensions as a tuple of one or two names; ValueError otherwise."""
    dims = (mix,) if isinstance(mix, str) else tuple(mix)
    if not 1 <= len(dims) <= 2 or not all(isinstance(m, str) and m for m in dims):
        raise ValueError(
            f"mix must name one or two dimensions of the cells, e.g. ('source', "
            f"'qualification') or ('campaign',); got {dims!r}"
        )
    if len(set(dims)) != len(dims):
        raise ValueError(f"mix names a dimension twice: {dims!r}")
    return dims


def _check(
    cells_a: pd.DataFrame,
    cells_b: pd.DataFrame,
    mix: str | Sequence[str],
    measure: str,
    within_days: int | np.integer | None,
) -> tuple[tuple[str, ...], int | None]:
    """Validate the arguments of `decompose`; return the normalised mix and
    ``within_days`` as a Python int (a NumPy integer is accepted, as cells give them)."""
    mix = norm_mix(mix)
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")
    days: int | None = None
    if within_days is not None:
        if isinstance(within_days, bool) or not isinstance(within_days, int | np.integer):
            raise ValueError(
                f"within_days must be a whole number of days or None, got {within_days!r}"
            )
        days = int(within_days)
        if days <= 0:
            raise ValueError(f"within_days must be above 0, got {days}")
    within_days = days
    counts = _count_columns(measure, within_days)
    for name, cells in (("A", cells_a), ("B", cells_b)):
        if not isinstance(cells, pd.DataFrame):
            raise ValueError(
                f"cells of period {name} must be a DataFrame, got {type(cells).__name__}"
            )
        missing = [c for c in [*mix, *counts] if c not in cells.columns]
        if missing:
            hint = (
                " (with within_days, get cells from period_cells(...): sales_within must "
                "count sales among the leads_aged leads only)"
                if within_days is not None
                else " (get them from analysis.engine.cells(leads, [*mix]))"
            )
            raise ValueError(f"cells of period {name} have no column(s) {missing}{hint}")
        if cells[list(mix)].isna().any().any():
            raise ValueError(
                f"cells of period {name} have missing values in {list(mix)}: fill them with a "
                "level such as analysis.engine.NOT_SET so those leads are not dropped"
            )
        not_numeric = [c for c in counts if not pd.api.types.is_numeric_dtype(cells[c])]
        if not_numeric:
            raise ValueError(f"cells of period {name}: {not_numeric} must be numbers")
        values = {c: cells[c].to_numpy(dtype="float64") for c in counts}
        if not all(np.isfinite(v).all() for v in values.values()):
            raise ValueError(f"cells of period {name}: {counts} must be finite numbers")
        if any((v < 0).any() for c, v in values.items() if c != "revenue"):
            raise ValueError(f"cells of period {name}: counts cannot be negative")
        if (values["sales"] > values["leads"]).any():
            raise ValueError(f"cells of period {name}: sales must not exceed leads in any cell")
        if within_days is not None:
            if (values["leads_aged"] > values["leads"]).any():
                raise ValueError(f"cells of period {name}: leads_aged must not exceed leads")
            if (values["sales_within"] > values["leads_aged"]).any():
                raise ValueError(
                    f"cells of period {name}: sales_within exceeds leads_aged in some cell. "
                    "sales_within must count the quick sales of the leads_aged leads only "
                    "(engine.cells counts them among all leads, young ones too): get the "
                    "cells from period_cells(..., within_days=...)"
                )
        if values["leads"].sum() <= 0:
            raise ValueError(
                _("period A has no leads: nothing to compare")
                if name == "A"
                else _("period B has no leads: nothing to compare")
            )
        if within_days is not None and values["leads_aged"].sum() <= 0:
            raise ValueError(
                _(
                    "period A has no lead {days} days old yet: choose a smaller "
                    "within_days or wait for the period to age",
                    days=within_days,
                )
                if name == "A"
                else _(
                    "period B has no lead {days} days old yet: choose a smaller "
                    "within_days or wait for the period to age",
                    days=within_days,
                )
            )
    return mix, days


def _count_columns(measure: str, within_days: int | None) -> list[str]:
    cols = ["leads", "sales"]
    if measure == "revenue":
        cols.append("revenue")
    if within_days is not None:
        cols += ["sales_within", "leads_aged"]
    return cols


def _fill(
    own: NDArray[np.float64], other: NDArray[np.float64], pooled: float
) -> tuple[NDArray[np.float64], NDArray[np.str_]]:
    """A rate undefined in this period (NaN) from the other period, else from ``pooled``;
    returns the filled rate and where it came from ("", "other", "pooled")."""
    out = np.where(np.isnan(own), other, own)
    src = np.where(np.isnan(own), np.where(np.isnan(other), "pooled", "other"), "")
    return np.where(np.isnan(out), pooled, out), src


def _ratio(num: NDArray[np.float64], den: NDArray[np.float64]) -> NDArray[np.float64]:
    out = np.full(len(num), np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _factors(
    cells_a: pd.DataFrame,
    cells_b: pd.DataFrame,
    mix: tuple[str, ...],
    measure: str,
    within_days: int | None,
) -> tuple[pd.DataFrame, Factors, Factors, list[str], list[str]]:
    """The cells of both periods on one index, and each factor's value per cell in A and B.

    Returns (frame, factors_a, factors_b, part_names, notes). ``frame`` holds the mix
    columns and the counts; the factors are dicts of arrays aligned with it, in the order
    volume, mix:<dim>..., conversion[, revenue_per_sale].
    """
    counts = _count_columns(measure, within_days)
    if measure == "revenue" and all("revenue_sq" in c.columns for c in (cells_a, cells_b)):
        counts.append("revenue_sq")  # the spread of revenue per sale, for the intervals
    dims = list(mix)
    grouped = [
        c.groupby(dims, sort=True)[counts].sum().astype("float64") for c in (cells_a, cells_b)
    ]
    grouped = [g[g["leads"] > 0] for g in grouped]
    index = grouped[0].index.union(grouped[1].index).sort_values()
    ga, gb = (g.reindex(index, fill_value=0.0) for g in grouped)
    frame = index.to_frame(index=False)
    for suffix, g in (("_a", ga), ("_b", gb)):
        for c in counts:
            frame[c + suffix] = g[c].to_numpy()

    fa: Factors = {}
    fb: Factors = {}
    la, lb = ga["leads"].to_numpy(), gb["leads"].to_numpy()
    fa["volume"] = np.full(len(index), la.sum())
    fb["volume"] = np.full(len(index), lb.sum())
    first = frame[mix[0]].to_numpy()
    # leads of each cell's first-dimension level, per period
    la1 = pd.Series(la).groupby(first).transform("sum").to_numpy()
    lb1 = pd.Series(lb).groupby(first).transform("sum").to_numpy()
    fa[f"mix:{mix[0]}"] = la1 / la.sum()
    fb[f"mix:{mix[0]}"] = lb1 / lb.sum()
    notes = []
    if len(mix) == 2:
        # a first-dimension level absent in a period takes the other period's shares:
        # its appearance is mix by mix[0], not by mix[1]
        sa, sb = _ratio(la, la1), _ratio(lb, lb1)
        fa[f"mix:{mix[1]}"] = np.where(np.isnan(sa), sb, sa)
        fb[f"mix:{mix[1]}"] = np.where(np.isnan(sb), sa, sb)

    if within_days is None:
        num, den = "sales", "leads"
    else:
        num, den = "sales_within", "leads_aged"
    ra, rb = (_ratio(frame[num + s].to_numpy(), frame[den + s].to_numpy()) for s in ("_a", "_b"))
    pooled = (frame[num + "_a"].sum() + frame[num + "_b"].sum()) / (
        frame[den + "_a"].sum() + frame[den + "_b"].sum()
    )
    fa["conversion"], src_a = _fill(ra, rb, pooled)
    fb["conversion"], src_b = _fill(rb, ra, pooled)
    frame["rate_a"], frame["rate_b"] = fa["conversion"], fb["conversion"]
    frame["note"] = _notes("conversion", within_days, src_a, src_b)

    if measure == "revenue":
        va, vb = (
            _ratio(frame["revenue" + s].to_numpy(), frame["sales" + s].to_numpy())
            for s in ("_a", "_b")
        )
        total_sales = frame["sales_a"].sum() + frame["sales_b"].sum()
        pooled = (
            (frame["revenue_a"].sum() + frame["revenue_b"].sum()) / total_sales
            if total_sales > 0
            else 0.0
        )
        fa["revenue_per_sale"], rsrc_a = _fill(va, vb, pooled)
        fb["revenue_per_sale"], rsrc_b = _fill(vb, va, pooled)
        frame["revenue_per_sale_a"] = fa["revenue_per_sale"]
        frame["revenue_per_sale_b"] = fb["revenue_per_sale"]
        # revenue per sale matters only where some conversion is above 0
        relevant = (fa["conversion"] > 0) | (fb["conversion"] > 0)
        extra = _notes("revenue_per_sale", None, rsrc_a, rsrc_b, relevant)
        frame["note"] = [
            "; ".join(t for t in (x, y) if t) for x, y in zip(frame["note"], extra, strict=True)
        ]
    for key, note in zip(map(tuple, frame[dims].to_numpy()), frame["note"], strict=True):
        if note:
            notes.append(f"{' / '.join(map(str, key))}: {note}")
    return frame, fa, fb, list(fa), notes


def _notes(
    what: str,
    within_days: int | None,
    src_a: NDArray[np.str_],
    src_b: NDArray[np.str_],
    relevant: NDArray[np.bool_] | None = None,
) -> list[str]:
    """Where a cell's ``what`` ("conversion", of the leads or, with ``within_days``, of
    the leads that old; "revenue_per_sale") was borrowed, in words ("" where it was
    not, or where it cannot matter)."""
    out = []
    relevant = np.ones(len(src_a), dtype=bool) if relevant is None else relevant
    for a, b, keep in zip(src_a, src_b, relevant, strict=True):
        if not keep or (a == "" and b == ""):
            out.append("")
        elif a == "pooled" or b == "pooled":
            out.append(_borrowed(what, within_days, None))
        else:
            out.append(_borrowed(what, within_days, "A" if a else "B"))
    return out


def _borrowed(what: str, days: int | None, period: str | None) -> str:
    """One cell's note: its ``what`` in ``period`` ("A" or "B") taken from the other
    period, or (``period`` None) in both periods that of all cells together."""
    if what == "revenue_per_sale":
        if period is None:
            return _(
                "revenue per sale in both periods is that of all cells together (no sales "
                "in either)"
            )
        if period == "A":
            return _("revenue per sale in A taken from B (no sales in A)")
        return _("revenue per sale in B taken from A (no sales in B)")
    if days is None:
        if period is None:
            return _(
                "conversion in both periods is that of all cells together (no leads in either)"
            )
        if period == "A":
            return _("conversion in A taken from B (no leads in A)")
        return _("conversion in B taken from A (no leads in B)")
    if period is None:
        return _(
            "conversion in both periods is that of all cells together (no lead {days} days "
            "old in either)",
            days=days,
        )
    if period == "A":
        return _("conversion in A taken from B (no lead {days} days old in A)", days=days)
    return _("conversion in B taken from A (no lead {days} days old in B)", days=days)


def _shapley(fa: Factors, fb: Factors) -> Factors:
    """Per-cell Shapley contributions of each factor to sum_cells prod_factors.

    For a product f = prod_j x_j, switching factor i from A to B while the factors in S
    are already at B changes f by (x_i^B - x_i^A) * prod_{j in S} x_j^B * prod_{j not in
    S, j != i} x_j^A; the Shapley value weights each S by |S|! (k - |S| - 1)! / k!.
    """
    names = list(fa)
    k = len(names)
    out: Factors = {}
    for name in names:
        others = [n for n in names if n != name]
        step = fb[name] - fa[name]
        total = np.zeros_like(step)
        for at_b in itertools.product((False, True), repeat=k - 1):
            s = sum(at_b)
            weight = math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k)
            rest = np.ones_like(step)
            for other, b in zip(others, at_b, strict=True):
                rest = rest * (fb[other] if b else fa[other])
            total = total + weight * step * rest
        out[name] = total
    return out


#: The parts' names as the reader sees them, by part (and, for a mix part, by its
#: dimension and the dimension it is within); marked for the catalogue, looked up by
#: `part_label` when shown. The table's ``label`` keeps the English.
_LABELS = {
    "volume": N_("lead volume"),
    "conversion": N_("conversion within cells"),
    "revenue_per_sale": N_("revenue per sale"),
    ("source", None): N_("source mix"),
    ("qualification", "source"): N_("qualification mix within source"),
    ("campaign", None): N_("campaign mix"),
    ("qualification", "campaign"): N_("qualification mix within campaign"),
    ("segment", None): N_("segment mix"),
    ("qualification", "segment"): N_("qualification mix within segment"),
}


def _label_key(part: str, mix: Sequence[str]) -> str | tuple[str, str | None]:
    if part in _LABELS:
        return part
    dim = part.split(":", 1)[1]
    return (dim, mix[0]) if len(mix) == 2 and dim == mix[1] else (dim, None)


def _label(part: str, mix: tuple[str, ...]) -> str:
    """A part's name in English, as the table's ``label`` keeps it."""
    key = _label_key(part, mix)
    if isinstance(key, str):
        return _LABELS[key]
    dim, outer = key
    return f"{dim} mix within {outer}" if outer else f"{dim} mix"


def part_label(part: str, mix: Sequence[str] = ("source", "qualification")) -> str:
    """A part's name (``volume``, ``mix:source``, ...; ``mix`` the split's mix dimensions,
    ``table.attrs["mix"]``) as the reader sees it, in the current language: «число
    лидов», «состав источников»; a period total's or the change's label as the table
    has it."""
    if part in ("period_a", "period_b"):
        return part
    if part == "change":
        return _("change")
    key = _label_key(part, tuple(mix))
    if isinstance(key, str):
        return _(_LABELS[key])
    dim, outer = key
    if outer:
        return _("{dim} mix within {outer}", dim=_(dim), outer=_(outer))
    return _("{dim} mix", dim=_(dim))


def _owner(part: str) -> str:
    return OWNERS[part.split(":", 1)[0]]


# --- intervals -------------------------------------------------------------------------


def _gamma_rates(n: NDArray[np.float64], rng: np.random.Generator, r: int) -> NDArray[np.float64]:
    """Draws of each cell's expected number of leads given its observed count ``n``:
    Gamma(n, 1) (the posterior of a Poisson mean under the prior 1/lambda), 0 where none
    were seen (a cell absent from a period stays absent)."""
    out = np.zeros((r, len(n)))
    seen = n > 0
    out[:, seen] = rng.gamma(n[seen], 1.0, size=(r, int(seen.sum())))
    return out


def _beta_rates(
    k: NDArray[np.float64], n: NDArray[np.float64], rng: np.random.Generator, r: int
) -> NDArray[np.float64]:
    """Draws of each cell's conversion given ``k`` sales of ``n`` leads: Beta(k + 1/2,
    n - k + 1/2) (Jeffreys), NaN where ``n`` is 0."""
    out = np.full((r, len(n)), np.nan)
    seen = n > 0
    out[:, seen] = rng.beta(k[seen] + 0.5, n[seen] - k[seen] + 0.5, size=(r, int(seen.sum())))
    return out


def _revenue_rates(
    frame: pd.DataFrame, suffix: str, rng: np.random.Generator, r: int
) -> NDArray[np.float64]:
    """Draws of each cell's expected revenue per sale: Gamma with the cell's mean revenue
    per sale and its squared standard error (sample variance / sales); a cell with one
    sale takes the coefficient of variation of all the period's sales. NaN without
    sales."""
    k = frame["sales" + suffix].to_numpy(dtype="float64")
    tot = frame["revenue" + suffix].to_numpy(dtype="float64")
    sq = frame["revenue_sq" + suffix].to_numpy(dtype="float64")
    mean = _ratio(tot, k)
    var = np.full(len(k), np.nan)
    many = k > 1
    var[many] = np.maximum(sq[many] - tot[many] ** 2 / k[many], 0.0) / (k[many] - 1)
    n_all, t_all, q_all = k.sum(), tot.sum(), sq.sum()
    cv2 = np.nan
    if n_all > 1 and t_all > 0:
        m_all = t_all / n_all
        cv2 = max(q_all - t_all**2 / n_all, 0.0) / (n_all - 1) / m_all**2
    one = k == 1
    var[one] = mean[one] ** 2 * (cv2 if np.isfinite(cv2) else 1.0)
    out = np.tile(mean, (r, 1))
    spread = (k > 0) & (mean > 0) & (var > 0)
    se2 = var[spread] / k[spread]
    shape = mean[spread] ** 2 / se2
    scale = se2 / mean[spread]
    out[:, spread] = rng.gamma(shape, scale, size=(r, int(spread.sum())))
    return out


def _borrow(
    own: NDArray[np.float64], other: NDArray[np.float64], pooled: NDArray[np.float64] | float
) -> NDArray[np.float64]:
    """As `_fill`, on draws: a rate undefined in a period from the other period's draw,
    else from the pooled draw."""
    out = np.where(np.isnan(own), other, own)
    return np.where(np.isnan(out), pooled, out)


def _draw_factors(
    frame: pd.DataFrame,
    mix: tuple[str, ...],
    measure: str,
    within_days: int | None,
    replicates: int,
    seed: int,
) -> tuple[Factors, Factors]:
    """Draws of every factor of both periods (arrays replicates x cells), on the grouped
    counts: the factors of the expected counts behind the observed ones (see
    `decompose`'s ``intervals``), borrowed between periods as the point values are."""
    rng = np.random.default_rng(seed)
    r = replicates
    first = frame[mix[0]].to_numpy()
    codes = pd.factorize(first)[0]
    onehot = np.zeros((len(codes), codes.max() + 1))
    onehot[np.arange(len(codes)), codes] = 1.0
    lam = {s: _gamma_rates(frame["leads_" + s].to_numpy(dtype="float64"), rng, r) for s in "ab"}
    out: dict[str, Factors] = {"a": {}, "b": {}}
    level = {}
    for s in "ab":
        total = lam[s].sum(axis=1, keepdims=True)
        level[s] = (lam[s] @ onehot) @ onehot.T
        out[s]["volume"] = np.broadcast_to(total, lam[s].shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[s][f"mix:{mix[0]}"] = level[s] / total
    if len(mix) == 2:
        with np.errstate(invalid="ignore", divide="ignore"):
            sa = np.where(
                level["a"] > 0, lam["a"] / np.where(level["a"] > 0, level["a"], 1), np.nan
            )
            sb = np.where(
                level["b"] > 0, lam["b"] / np.where(level["b"] > 0, level["b"], 1), np.nan
            )
        out["a"][f"mix:{mix[1]}"] = np.where(np.isnan(sa), sb, sa)
        out["b"][f"mix:{mix[1]}"] = np.where(np.isnan(sb), sa, sb)
    num, den = ("sales", "leads") if within_days is None else ("sales_within", "leads_aged")
    k = {s: frame[f"{num}_{s}"].to_numpy(dtype="float64") for s in "ab"}
    n = {s: frame[f"{den}_{s}"].to_numpy(dtype="float64") for s in "ab"}
    conv = {s: _beta_rates(k[s], n[s], rng, r) for s in "ab"}
    k_all, n_all = sum(v.sum() for v in k.values()), sum(v.sum() for v in n.values())
    pooled = rng.beta(k_all + 0.5, n_all - k_all + 0.5, size=(r, 1))
    out["a"]["conversion"] = _borrow(conv["a"], conv["b"], pooled)
    out["b"]["conversion"] = _borrow(conv["b"], conv["a"], pooled)
    if measure == "revenue":
        if "revenue_sq_a" in frame.columns:
            rps = {s: _revenue_rates(frame, "_" + s, rng, r) for s in "ab"}
        else:  # no spread known: revenue per sale as observed (its part gets no interval)
            rps = {
                s: np.tile(
                    _ratio(frame[f"revenue_{s}"].to_numpy(), frame[f"sales_{s}"].to_numpy()),
                    (r, 1),
                )
                for s in "ab"
            }
        sales_all = frame["sales_a"].sum() + frame["sales_b"].sum()
        mean_all = (
            (frame["revenue_a"].sum() + frame["revenue_b"].sum()) / sales_all if sales_all else 0.0
        )
        out["a"]["revenue_per_sale"] = _borrow(rps["a"], rps["b"], mean_all)
        out["b"]["revenue_per_sale"] = _borrow(rps["b"], rps["a"], mean_all)
    return out["a"], out["b"]


def _group_draws(
    names: list[str], draws: dict[str, NDArray[np.float64]]
) -> dict[str, NDArray[np.float64]]:
    """The draws of the groups a headline names (the mix parts summed) and of each
    owner's parts."""
    out: dict[str, NDArray[np.float64]] = {}
    for g in GROUPS:
        members = [draws[n] for n in names if n.split(":", 1)[0] == g]
        if members:
            out[g] = np.sum(members, axis=0)
    for owner in ("marketing", "sales"):
        out[owner] = np.sum([draws[n] for n in names if _owner(n) == owner], axis=0)
    return out


def _intervals(
    names: list[str],
    values: dict[str, float],
    draws: dict[str, NDArray[np.float64]],
    change: float,
    change_draws: NDArray[np.float64],
    level: float,
    replicates: int,
    seed: int,
    spread_known: bool,
) -> tuple[dict[str, tuple[float, float]], dict[str, Any]]:
    """Each part's (and the change's) interval, and the summary `main_cause` reads: the
    groups' values and intervals and whether the largest group is supported."""
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2

    def bounds(x: NDArray[np.float64]) -> tuple[float, float]:
        return float(np.quantile(x, lo_q)), float(np.quantile(x, hi_q))

    rows = {n: bounds(draws[n]) for n in names}
    rows["change"] = bounds(change_draws)
    point = {}
    for g in GROUPS:
        members = [n for n in names if n.split(":", 1)[0] == g]
        if members:
            point[g] = sum(values[n] for n in members)
    for owner in ("marketing", "sales"):
        point[owner] = sum(values[n] for n in names if _owner(n) == owner)
    gd = _group_draws(names, draws)
    groups = {g: {"value": point[g], "low": bounds(gd[g])[0], "high": bounds(gd[g])[1]} for g in gd}
    summary: dict[str, Any] = {
        "level": level,
        "replicates": replicates,
        "seed": seed,
        "method": "draws of the expected counts behind each cell's observed counts (leads "
        "Gamma(n, 1), conversion Beta(k + 1/2, n - k + 1/2), revenue per sale Gamma with "
        "the cell's mean and standard error), the parts computed on each draw; percentile "
        "interval",
        "revenue_spread_known": spread_known,
        "groups": groups,
        "lead": None,
    }
    sign = float(np.sign(change))
    ranked = [g for g in GROUPS if g in point]
    # without the spread of revenue per sale no part can be ranked with confidence
    if sign != 0 and len(ranked) >= 2 and spread_known:
        ranked.sort(key=lambda g: -sign * point[g])
        top, runner = ranked[0], ranked[1]
        margin = sign * (gd[top] - gd[runner])
        stacked = np.stack([sign * gd[g] for g in ranked])
        m_low, m_high = bounds(margin)
        g_low = groups[top]["low"] if sign > 0 else -groups[top]["high"]
        summary["lead"] = {
            "group": top,
            "next": runner,
            "margin_low": m_low,
            "margin_high": m_high,
            "share_largest": float(np.mean(np.argmax(stacked, axis=0) == 0)),
            "supported": bool(g_low > 0 and m_low > 0),
        }
    return rows, summary


# --- public API ------------------------------------------------------------------------


def decompose(
    cells_a: pd.DataFrame,
    cells_b: pd.DataFrame,
    mix: Mix = ("source", "qualification"),
    measure: str = "sales",
    within_days: int | None = None,
    *,
    labels: tuple[str, str] = ("A", "B"),
    intervals: bool = True,
    level: float = LEVEL,
    replicates: int = REPLICATES,
    seed: int = SEED,
) -> pd.DataFrame:
    """Split the change in sales (or revenue) from period A to period B into additive parts.

    Parts: ``volume`` (the number of leads: marketing's lead generation), one
    ``mix:<dim>`` per mix dimension (the share of leads by ``mix[0]``, then the shares of
    ``mix[1]`` within each ``mix[0]`` level: marketing's too), ``conversion`` (each cell's
    conversion to a sale: the sales team's) and, for revenue, ``revenue_per_sale`` (each
    cell's revenue per sale: the sales team's). Shapley values over these factors: they
    sum to the change exactly, an unchanged factor gets exactly 0, and swapping A and B
    flips every sign. The split depends on the cells: what is not a mix dimension counts
    as conversion (with ``mix=("campaign",)``, more cold leads within a campaign lower
    its conversion), so keep ``qualification`` in the mix to judge the sales team.

    A cell present in one period only takes, in the other period, the conversion (and
    revenue per sale) of the period where it exists, so its appearance or disappearance
    is mix, not conversion; a ``mix[0]`` level absent in a period takes the other
    period's ``mix[1]`` shares. With ``within_days``, a cell with leads but none old
    enough takes its rate from the other period in the same way; a cell with no rate in
    either period takes the rate of all cells of both periods. Every such case is listed
    in ``table.attrs["notes"]``.

    Parameters
    ----------
    cells_a, cells_b : DataFrame
        Grouped counts of the two periods with the ``mix`` columns, ``leads``, ``sales``
        (and ``revenue`` for revenue; ``sales_within`` and ``leads_aged`` with
        ``within_days``), e.g. from `period_change.period_cells`. Several rows of one
        cell (finer dimensions) are summed. Not modified.
    mix : str or tuple of one or two str
        The mix dimensions, outer first: ``("source", "qualification")`` by default,
        ``("campaign",)`` for campaign mix only.
    measure : {"sales", "revenue"}
        What to decompose. Revenue is ``sales x revenue / sales`` per cell, so a sale
        without a known revenue counts as 0, as the cells count it.
    within_days : int, optional
        Measure conversion at equal age: a cell's conversion is ``sales_within /
        leads_aged`` (sales within this many days among the leads at least that old), the
        same rule in both periods, applied to all its leads. ``sales_within`` must count
        the quick sales of the aged leads only (as `period_cells` does). The period
        values are then estimates: sales (or the revenue of sales) within ``within_days``
        of every lead, young ones at the rate of the aged. Revenue per sale is that of
        all the cell's sales.
    labels : (str, str)
        Names of the periods, kept in ``attrs`` for `main_cause` and `plot_waterfall`.
    intervals : bool
        Give each part and the change a ``level`` (95%) interval in ``low, high``: the
        interval of the part of the *expected* counts behind the observed ones. On the
        grouped counts (so the cost does not grow with the leads), ``replicates`` draws
        with the fixed ``seed``: each cell's expected leads Gamma(n, 1) (the posterior
        of a Poisson count; volume and mix follow from them), its conversion Beta(k +
        1/2, n - k + 1/2) (Jeffreys; ``sales_within`` of ``leads_aged`` with
        ``within_days``) and, for revenue, its expected revenue per sale Gamma with the
        cell's mean and standard error (from ``revenue_sq``, the sum of squared revenues
        of its sales, as `period_change.period_cells` gives it; a cell with one sale
        takes the period's coefficient of variation; without ``revenue_sq`` revenue per
        sale is taken as observed and ``attrs["intervals"]["revenue_spread_known"]`` is
        False). A cell absent from a period stays absent and borrows as the point
        values do. The parts are computed on every draw; the interval is the middle
        ``level`` of the draws. `tests/test_decompose_intervals.py` pins the coverage by
        simulation with a known split. The period totals are counts: no interval.

    Returns
    -------
    DataFrame[part, kind, owner, label, value, share, low, high]
        One row per part (``kind == "part"``; ``owner`` "marketing" or "sales"), then
        the totals (``kind == "total"``): ``period_a``, ``period_b`` and ``change`` (B
        minus A). ``value`` is in units of the measure, ``share`` is value / change (NaN
        for the period rows, or when nothing changed). A part's value is its Shapley
        value: its average contribution over every order of switching the factors, so
        it is not a count even when the totals are. ``attrs`` holds ``measure``,
        ``mix``, ``within_days``, ``labels``, ``residual`` (sum of parts minus change, a
        rounding error), ``notes``, ``counts`` (per period, A then B, the observed
        counts behind the total: ``leads``, ``sales`` and, with ``within_days``,
        ``leads_aged`` and ``sales_within``) and ``estimated`` (per period, A then B:
        True when the total is an estimate rather than a count, i.e. with
        ``within_days`` some of the period's leads are younger than that and the
        total takes them at the rate of the aged leads) and ``intervals`` (None without
        them; else the level, replicates, seed and method, ``groups``: value, low and
        high of volume, mix (the mix parts together), conversion, revenue_per_sale and
        of each owner's parts, and ``lead``: the group pushing most the way the total
        moved, the ``next`` one, the interval of their difference ``margin_low,
        margin_high``, the share of draws in which it is the largest, and
        ``supported``: its interval excludes 0 and so does the margin's).

    Examples
    --------
    >>> a = pd.DataFrame({"source": ["x", "y"], "leads": [100, 100], "sales": [20, 10]})
    >>> b = pd.DataFrame({"source": ["x", "y"], "leads": [100, 300], "sales": [20, 30]})
    >>> t = decompose(a, b, mix=("source",))
    >>> parts = t[t["kind"] == "part"]
    >>> {p: round(float(v), 2) for p, v in zip(parts["part"], parts["value"])}
    {'volume': 27.5, 'mix:source': -7.5, 'conversion': 0.0}
    >>> abs(t.attrs["residual"]) < 1e-9  # the parts sum to the change
    True
    """
    mix, within_days = _check(cells_a, cells_b, mix, measure, within_days)
    frame, fa, fb, names, notes = _factors(cells_a, cells_b, mix, measure, within_days)
    parts = _shapley(fa, fb)
    total_a = float(np.sum(_product(fa)))
    total_b = float(np.sum(_product(fb)))
    change = total_b - total_a
    label_a, label_b = str(labels[0]), str(labels[1])
    table = pd.DataFrame(  # one row per part, then the totals
        {
            "part": [*names, "period_a", "period_b", "change"],
            "kind": ["part"] * len(names) + ["total"] * 3,
            "owner": [*(_owner(n) for n in names), "", "", ""],
            "label": [*(_label(n, mix) for n in names), label_a, label_b, "change"],
            "value": [*(float(parts[n].sum()) for n in names), total_a, total_b, change],
        }
    )
    scale = max(abs(total_a), abs(total_b), 1.0)
    if abs(change) > 1e-12 * scale:
        table["share"] = table["value"] / change
    else:
        table["share"] = np.nan
    table.loc[table["part"].isin(["period_a", "period_b"]), "share"] = np.nan
    table["low"], table["high"] = np.nan, np.nan
    summary = None
    if intervals:
        if not 0 < level < 1:
            raise ValueError(f"level must be between 0 and 1, got {level!r}")
        if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 100:
            raise ValueError(
                f"replicates must be a whole number of at least 100, got {replicates!r}"
            )
        da, db = _draw_factors(frame, mix, measure, within_days, replicates, seed)
        drawn = {n: v.sum(axis=1) for n, v in _shapley(da, db).items()}
        change_draws = _product(db).sum(axis=1) - _product(da).sum(axis=1)
        values = {n: float(parts[n].sum()) for n in names}
        spread = measure != "revenue" or "revenue_sq_a" in frame.columns
        rows, summary = _intervals(
            names, values, drawn, change, change_draws, level, replicates, seed, spread
        )
        if not spread:
            rows.pop("revenue_per_sale", None)
        nan = (np.nan, np.nan)
        table["low"] = [rows.get(p, nan)[0] for p in table["part"]]
        table["high"] = [rows.get(p, nan)[1] for p in table["part"]]
    table = table[_TABLE_COLUMNS]
    counts = tuple(_observed(frame, suffix, within_days) for suffix in ("_a", "_b"))
    table.attrs = {
        "measure": measure,
        "mix": mix,
        "within_days": within_days,
        "labels": (label_a, label_b),
        "residual": float(table.loc[table["kind"] == "part", "value"].sum() - change),
        "notes": notes,
        "counts": counts,
        "estimated": tuple(
            within_days is not None and c["leads_aged"] < c["leads"] for c in counts
        ),
        "intervals": summary,
    }
    return table


def _observed(frame: pd.DataFrame, suffix: str, within_days: int | None) -> dict[str, int | float]:
    """The observed counts of one period (whole numbers where the cells' counts are)."""
    cols = ["leads", "sales"] + ([] if within_days is None else ["leads_aged", "sales_within"])
    out: dict[str, int | float] = {}
    for c in cols:
        v = float(frame[c + suffix].sum())
        out[c] = int(v) if v.is_integer() else v
    return out


def _product(factors: Factors) -> NDArray[np.float64]:
    """The product of the factors, per cell."""
    first, *rest = factors.values()  # there is always volume
    out = first
    for v in rest:
        out = out * v
    return out


def contributions(
    cells_a: pd.DataFrame,
    cells_b: pd.DataFrame,
    mix: Mix = ("source", "qualification"),
    measure: str = "sales",
    within_days: int | None = None,
) -> pd.DataFrame:
    """Each cell's share of each part of `decompose`: which sources and classes drove it.

    The Shapley value of a sum is the sum of the cells' Shapley values, so the cells'
    contributions to a part add up to that part of `decompose` (same arguments, same
    rules for cells present in one period only).

    Returns
    -------
    DataFrame[*mix, part, owner, value, leads_a, leads_b, rate_a, rate_b, note]
        One row per cell and part. ``rate_a, rate_b`` are the conversions used (``sales
        / leads``, or ``sales_within / leads_aged`` with ``within_days``; borrowed from
        the other period where the cell has none, as ``note`` says). For revenue also
        ``revenue_per_sale_a, revenue_per_sale_b``.

    Examples
    --------
    >>> c = contributions(cells_a, cells_b)  # doctest: +SKIP
    >>> c[c.part == "mix:source"].groupby("source")["value"].sum().sort_values()  # doctest: +SKIP
    """
    mix, within_days = _check(cells_a, cells_b, mix, measure, within_days)
    frame, fa, fb, names, _ = _factors(cells_a, cells_b, mix, measure, within_days)
    parts = _shapley(fa, fb)
    context = ["leads_a", "leads_b", "rate_a", "rate_b"]
    if measure == "revenue":
        context += ["revenue_per_sale_a", "revenue_per_sale_b"]
    pieces = []
    for n in names:
        piece = frame[[*mix, *context, "note"]].copy()
        piece.insert(len(mix), "part", n)
        piece.insert(len(mix) + 1, "owner", _owner(n))
        piece.insert(len(mix) + 2, "value", parts[n])
        pieces.append(piece)
    out = pd.concat(pieces, ignore_index=True)
    out[["leads_a", "leads_b"]] = out[["leads_a", "leads_b"]].astype("int64")
    return out
