"""Lead quality as an ordered outcome: cold < warm < hot, by source or campaign.

A proportional-odds (ordinal logit) model fitted on counts per cell and class: the
likelihood is the row-level one with each cell's class counts as weights, so the
coefficients equal statsmodels' row-level `OrderedModel` and the cost depends on the
number of cells, not of leads. Leads with no class (``unknown``) are left out of the
model and counted. "Classified" leads are those with a class: hot, warm or cold (not
to be confused with *qualified* = hot + warm in the funnel tables).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special
from scipy import stats as _st
from statsmodels.base.model import GenericLikelihoodModel

from analysis.base.i18n import _, n_
from analysis.stats.intervals import (
    bh_qvalues,
    count_flag,
    one_blas_thread,
    wilson_interval,
    z_value,
)

__all__ = ["ORDER", "QualityFit", "fit_quality", "quality_shares"]

#: The classes in increasing order of quality.
ORDER = ("cold", "warm", "hot")


# statsmodels has no type information, so its base class is Any to mypy
class _GroupedOrdinal(GenericLikelihoodModel):  # type: ignore[misc]
    """Cumulative logit P(class <= j | x) = expit(θ_j − x·β) on (cells x classes)
    counts; thresholds as in `OrderedModel`: θ_1, then log increments."""

    def __init__(
        self, counts: NDArray[np.float64], exog: NDArray[np.float64], exog_names: list[str]
    ) -> None:
        self.counts = np.asarray(counts, dtype="float64")
        self.n_thresholds = self.counts.shape[1] - 1
        super().__init__(endog=self.counts.sum(axis=1), exog=exog)
        self.exog_names[:] = exog_names
        self.exog_names.extend(f"{j}/{j + 1}" for j in range(self.n_thresholds))
        self.k_extra = self.n_thresholds
        self.k_constant = 0
        self.df_model = exog.shape[1]
        # statsmodels counts cells as observations; nothing here uses df_resid
        self.df_resid = len(self.counts) - self.df_model - self.k_extra

    def thresholds(self, params: NDArray[np.float64]) -> NDArray[np.float64]:
        th = params[-self.n_thresholds :]
        return np.concatenate([[th[0]], th[0] + np.cumsum(np.exp(th[1:]))])

    def probabilities(
        self, params: NDArray[np.float64], exog: NDArray[np.float64] | None = None
    ) -> NDArray[np.float64]:
        exog = self.exog if exog is None else exog
        xb = exog @ params[: -self.n_thresholds] if exog.shape[1] else np.zeros(len(exog))
        cut = self.thresholds(params)
        cdf = special.expit(cut[None, :] - xb[:, None])
        cdf = np.column_stack([np.zeros(len(xb)), cdf, np.ones(len(xb))])
        return np.diff(cdf, axis=1)

    def loglike(self, params: NDArray[np.float64]) -> float:
        prob = self.probabilities(params)
        return float(np.sum(self.counts * np.log(np.clip(prob, 1e-300, None))))

    def loglikeobs(self, params: NDArray[np.float64]) -> NDArray[np.float64]:
        prob = self.probabilities(params)
        return np.asarray(
            np.sum(self.counts * np.log(np.clip(prob, 1e-300, None)), axis=1), dtype=np.float64
        )

    def score(self, params: NDArray[np.float64]) -> NDArray[np.float64]:
        """Analytic gradient of `loglike`."""
        k = self.exog.shape[1]
        xb = self.exog @ params[:k] if k else np.zeros(len(self.counts))
        cut = self.thresholds(params)
        cdf = special.expit(cut[None, :] - xb[:, None])
        dens = cdf * (1 - cdf)  # logistic density at each threshold
        zeros = np.zeros((len(xb), 1))
        f_up = np.hstack([dens, zeros])  # density at the upper bound of each class
        f_low = np.hstack([zeros, dens])  # ... and at its lower bound
        cdf_full = np.column_stack([zeros[:, 0], cdf, np.ones(len(xb))])
        prob = np.clip(np.diff(cdf_full, axis=1), 1e-300, None)
        w = self.counts / prob  # d loglike / d prob
        grad_beta = -(w * (f_up - f_low)).sum(axis=1) @ self.exog if k else np.zeros(0)
        # d loglike / d threshold_m: + f at class m's upper bound, - f at class m+1's lower
        grad_cut = (w[:, :-1] * dens).sum(axis=0) - (w[:, 1:] * dens).sum(axis=0)
        # thresholds: θ_1 = p_1, θ_m = θ_1 + Σ_{i<=m} exp(p_i)
        th = params[k:]
        jac = np.zeros((self.n_thresholds, self.n_thresholds))
        jac[:, 0] = 1.0
        for i in range(1, self.n_thresholds):
            jac[i:, i] = np.exp(th[i])
        return np.concatenate([grad_beta, grad_cut @ jac])

    def hessian(self, params: NDArray[np.float64]) -> NDArray[np.float64]:
        """Numerical derivative of the analytic score (more precise than differencing
        the log-likelihood twice)."""
        from statsmodels.tools.numdiff import approx_fprime

        h = np.asarray(approx_fprime(params, self.score, centered=True), dtype=np.float64)
        return (h + h.T) / 2


class QualityFit:
    """The fitted quality model: ``terms`` (odds of a hotter lead vs the reference,
    per level) and ``shares`` (observed and predicted class shares per level).
    ``one_class``: the levels whose classified leads are all in one extreme class, with
    that class ("cold" or "hot"; their ``flag`` says so in words)."""

    def __init__(
        self,
        factor: str,
        reference: str | None,
        terms: pd.DataFrame,
        shares: pd.DataFrame,
        result: Any,
        notes: list[str],
        one_class: dict[Any, str] | None = None,
    ) -> None:
        self.factor = factor
        self.reference = reference
        self.terms = terms
        self.shares = shares
        self.result = result
        self.notes = notes
        self.one_class = dict(one_class or {})


def _shown(level: object) -> str:
    """A level as a sentence names it (the pooled level in the reader's language)."""
    return _("(small levels)") if level == "(small levels)" else str(level)


def _counts(cells: pd.DataFrame, factor: str) -> pd.DataFrame:
    t = cells.groupby(factor, sort=True)[[*ORDER, "unknown"]].sum()
    t["classified"] = t[list(ORDER)].sum(axis=1)
    return t


def fit_quality(
    cells: pd.DataFrame,
    factor: str,
    *,
    reference: str | None = None,
    min_leads: int = 30,
    level: float = 0.95,
) -> QualityFit:
    """Fit the hot/warm/cold mix as an ordered outcome of ``factor``.

    Parameters
    ----------
    cells : DataFrame
        Grouped counts with ``factor`` and the class counts ``hot, warm, cold, unknown``
        (from `analysis.engine.cells`).
    factor : str
        ``source`` or ``campaign`` (or any dimension).
    reference : str, optional
        The reference level; the one with most classified leads by default.
    min_leads : int
        Levels with fewer classified leads are not given their own coefficient: they are
        pooled into ``(small levels)`` and flagged.

    Returns
    -------
    QualityFit
        ``terms``: DataFrame[level, reference, classified, coef, se, odds_ratio, or_low,
        or_high, p_value, q_value, flag] where the odds ratio is the odds of a hotter
        class against the reference level (above 1: hotter leads). ``shares``:
        DataFrame[level, class, leads, classified, share, share_low, share_high,
        predicted] per level and class (Wilson intervals over classified leads).
    """
    for col in [factor, *ORDER, "unknown"]:
        if col not in cells.columns:
            raise ValueError(f"cells have no column {col!r}")
    raw = _counts(cells, factor)
    notes: list[str] = []
    small = raw.index[raw["classified"] < min_leads]
    fit_counts = raw.copy()
    if len(small) and len(small) < len(raw):
        notes.append(
            n_(
                "{n} {factor} level(s) with under {min_leads} classified leads pooled as "
                "'{pooled}': {levels}",
                "{n} {factor} level(s) with under {min_leads} classified leads pooled as "
                "'{pooled}': {levels}",
                len(small),
                factor=_(factor),
                min_leads=min_leads,
                pooled=_("(small levels)"),
                levels=", ".join(map(str, small[:6])),
            )
        )
        pooled = raw.loc[small].sum().to_frame("(small levels)").T
        fit_counts = pd.concat([raw.drop(index=small), pooled])
    fit_counts = fit_counts[fit_counts["classified"] > 0]
    # a level whose classified leads are all cold (or all hot) has no finite odds ratio:
    # the likelihood grows without bound and the Hessian goes singular. Leave such
    # levels out of the fit and say so, rather than report a coefficient near +-20.
    lowest, highest = ORDER[0], ORDER[-1]
    one_class = fit_counts.index[
        (fit_counts[lowest] == fit_counts["classified"])
        | (fit_counts[highest] == fit_counts["classified"])
    ]
    if len(one_class):
        notes.append(
            n_(
                "{n} {factor} level(s) have all their classified leads in one extreme class, "
                "so no finite odds ratio: {levels}",
                "{n} {factor} level(s) have all their classified leads in one extreme class, "
                "so no finite odds ratio: {levels}",
                len(one_class),
                factor=_(factor),
                levels=", ".join(map(_shown, one_class[:6])),
            )
        )
    apart = fit_counts.loc[one_class]
    fit_counts = fit_counts.drop(index=one_class)
    present = (fit_counts[list(ORDER)].sum(axis=0) > 0).sum()
    result = model = None
    if len(fit_counts) >= 2 and present >= 2:
        ref = reference if reference in fit_counts.index else None
        ref = ref or fit_counts["classified"].drop("(small levels)", errors="ignore").idxmax()
        levels = [lv for lv in fit_counts.index if lv != ref]
        exog = np.array(
            [[1.0 if lv == other else 0.0 for other in levels] for lv in fit_counts.index]
        ).reshape(len(fit_counts), len(levels))
        counts = fit_counts[list(ORDER)].to_numpy()
        model = _GroupedOrdinal(counts, exog, [f"{factor}[T.{lv}]" for lv in levels])
        total = counts.sum(axis=0) / counts.sum()
        cum = np.clip(np.cumsum(total)[:-1], 1e-6, 1 - 1e-6)
        start_th = special.logit(cum)
        # an empty middle class makes two thresholds equal: start their gap small, not 0
        gaps = np.maximum(np.diff(start_th), 1e-3)
        start = np.concatenate([np.zeros(len(levels)), [start_th[0]], np.log(gaps)])
        with warnings.catch_warnings(record=True) as caught, one_blas_thread():
            warnings.simplefilter("always")
            try:
                result = model.fit(
                    start_params=start, method="newton", maxiter=100, tol=1e-10, disp=False
                )
            except np.linalg.LinAlgError as exc:
                notes.append(
                    _("the ordinal model could not be fitted ({error}): no odds ratios", error=exc)
                )
        if caught and result is not None:  # what the warnings mean, in words
            k = len(levels)
            est = np.concatenate([np.asarray(result.params[:k]), np.asarray(result.bse[:k])])
            wild = [
                lv
                for lv, c, e in zip(levels, result.params[:k], result.bse[:k], strict=True)
                if not (np.isfinite(c) and np.isfinite(e)) or abs(c) > 10 or e > 5
            ]
            if wild:
                notes.append(
                    _(
                        "{factor} {levels}: too few classified leads spread over the classes, "
                        "so the odds of a hotter lead cannot be estimated",
                        factor=_(factor),
                        levels=", ".join(map(_shown, wild[:6])),
                    )
                )
            elif not np.isfinite(est).all():
                notes.append(
                    _(
                        "the ordinal model could not be estimated reliably on these counts: "
                        "read the class shares instead"
                    )
                )
    else:
        ref = fit_counts.index[0] if len(fit_counts) else None
        notes.append(
            _(
                "too few {factor} levels or classes with leads to fit the ordinal model: "
                "no odds ratios",
                factor=_(factor),
            )
        )
    if result is not None and not result.mle_retvals.get("converged", True):
        notes.append(_("the ordinal fit did not converge: treat its numbers as rough"))
    z = z_value(level)
    columns = [
        "level",
        "reference",
        "classified",
        "coef",
        "se",
        "odds_ratio",
        "or_low",
        "or_high",
        "p_value",
        "q_value",
        "flag",
    ]
    if result is not None:
        k = len(levels)
        coef, se = result.params[:k], result.bse[:k]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            # an unstable coefficient (flagged below) overflows exp: its odds ratio is unknown
            p = 2 * _st.norm.sf(np.abs(coef / se))
            unstable = ~np.isfinite(coef) | ~np.isfinite(se) | (np.abs(coef) > 10) | (se > 5)
            ors = np.where(unstable, np.nan, np.exp(np.where(unstable, 0.0, coef)))
            lows = np.where(unstable, np.nan, np.exp(np.where(unstable, 0.0, coef - z * se)))
            highs = np.where(unstable, np.nan, np.exp(np.where(unstable, 0.0, coef + z * se)))
        terms = pd.DataFrame(
            {
                "level": levels,
                "reference": ref,
                "classified": fit_counts.loc[levels, "classified"].to_numpy(),
                "coef": coef,
                "se": se,
                "odds_ratio": ors,
                "or_low": lows,
                "or_high": highs,
                "p_value": p,
            }
        )
        terms["q_value"] = bh_qvalues(terms["p_value"])
        terms["flag"] = np.where(
            terms["level"] == "(small levels)",
            _("pooled small levels"),
            np.where((np.abs(terms["coef"]) > 10) | (terms["se"] > 5), _("unstable estimate"), ""),
        )
    else:
        terms = pd.DataFrame(columns=columns)
    one = {lv: lowest if r[lowest] == r["classified"] else highest for lv, r in apart.iterrows()}
    if len(apart):
        extra = pd.DataFrame(
            {
                "level": apart.index,
                "reference": ref,
                "classified": apart["classified"].to_numpy(),
                "flag": [
                    _("all {cls}: no finite odds ratio", cls=_(one[lv])) for lv in apart.index
                ],
            }
        )
        terms = pd.concat([terms, extra], ignore_index=True) if len(terms) else extra
    terms = terms.reindex(columns=columns)
    for col in columns[3:-1]:
        terms[col] = terms[col].astype("float64")
    pred = (
        pd.DataFrame(
            model.probabilities(result.params), index=fit_counts.index, columns=list(ORDER)
        )
        if result is not None and model is not None  # a result comes from a model
        else pd.DataFrame(columns=list(ORDER))
    )
    rows = []
    for lv, r in raw.iterrows():
        src = "(small levels)" if lv in small and len(small) < len(raw) else lv
        for cls in (*reversed(ORDER), "unknown"):
            base = r["classified"] if cls != "unknown" else r["classified"] + r["unknown"]
            lo, hi = wilson_interval(int(r[cls]), int(base), level)
            rows.append(
                {
                    factor: lv,
                    "class": cls,
                    "leads": int(r[cls]),
                    "classified": int(r["classified"]),
                    "share": r[cls] / base if base else np.nan,
                    "share_low": float(lo),
                    "share_high": float(hi),
                    "predicted": float(pred.loc[src, cls])
                    if cls != "unknown" and src in pred.index
                    else np.nan,
                    "flag": _("few classified leads") if r["classified"] < min_leads else "",
                }
            )
    shares = pd.DataFrame(rows)
    return QualityFit(factor, ref, terms, shares, result, notes, one_class=one)


def quality_shares(
    cells: pd.DataFrame, factor: str, level: float = 0.95, min_leads: int = 30
) -> pd.DataFrame:
    """Share of hot, warm and cold leads (of classified leads) per level, with Wilson
    intervals, and the conversion of each class there.

    Returns DataFrame[factor, class, leads, classified, share, share_low, share_high,
    sales, conversion, conversion_low, conversion_high, flag] (``flag``: "no sales" or
    "few leads" where a class's conversion rests on too little).
    """
    if "qualification" not in cells.columns:
        raise ValueError("cells need a qualification column (group by [factor, 'qualification'])")
    t = cells.groupby([factor, "qualification"], as_index=False, sort=True)[
        ["leads", "sales"]
    ].sum()
    t = t[t["qualification"].isin(ORDER)]
    classified = t.groupby(factor)["leads"].transform("sum")
    out = t.rename(columns={"qualification": "class"})
    out["classified"] = classified.to_numpy()
    out["share"] = out["leads"] / out["classified"]
    out["share_low"], out["share_high"] = wilson_interval(out["leads"], out["classified"], level)
    out["conversion"] = out["sales"] / out["leads"]
    out["conversion_low"], out["conversion_high"] = wilson_interval(
        out["sales"], out["leads"], level
    )
    out["flag"] = count_flag(out["leads"], out["sales"], min_leads)
    order = {c: i for i, c in enumerate(reversed(ORDER))}
    out = out.sort_values([factor, "class"], key=lambda s: s.map(order) if s.name == "class" else s)
    return out.reset_index(drop=True)
