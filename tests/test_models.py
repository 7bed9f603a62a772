"""Conversion models on cells, each pinned to an independent reference: a row-level
statsmodels fit on the same leads, a published table, or a closed form."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.miscmodels.ordinal_model import OrderedModel

from analysis.engine.cells import cells
from analysis.ingest.load import load_dataset
from analysis.insight import findings
from analysis.stats import compare, glm, ordinal
from analysis.stats.intervals import leads_needed, nobs_for_h, odds_ratio_2x2
from analysis.stats.shrink import fit_beta_binomial, shrink_rates


@pytest.fixture(scope="module")
def sample():
    return load_dataset("sample")


# Bickel, Hammel & O'Connell (1975), Science 187:398-404, the six largest departments
# (R's UCBAdmissions): admitted and rejected, men then women.
UCB = {
    "A": (512, 313, 89, 19),
    "B": (353, 207, 17, 8),
    "C": (120, 205, 202, 391),
    "D": (138, 279, 131, 244),
    "E": (53, 138, 94, 299),
    "F": (22, 351, 24, 317),
}


@pytest.fixture
def ucb():
    rows = []
    for dept, (ma, mr, fa, fr) in UCB.items():
        rows += [
            {"dept": dept, "gender": "Male", "leads": ma + mr, "sales": ma},
            {"dept": dept, "gender": "Female", "leads": fa + fr, "sales": fa},
        ]
    return pd.DataFrame(rows)


def test_grouped_fit_equals_row_level_logit(sample):
    """The GLM on cells equals a row-level smf.logit on the same leads to 1e-6."""
    leads = sample.leads
    c = cells(leads, ["source", "segment"])
    fit = glm.fit_conversion(c, ["source", "segment"], min_leads=1)
    assert fit.pooled == {} and not fit.notes
    rows = leads.assign(
        segment=leads["segment"].fillna("(not set)"), y=leads["converted"].astype(int)
    )
    refs = {
        t: fit.terms.loc[fit.terms["term"] == t, "reference"].iloc[0] for t in ("source", "segment")
    }
    row = smf.logit(
        f"y ~ C(source, Treatment({refs['source']!r})) + "
        f"C(segment, Treatment({refs['segment']!r}))",
        rows,
    ).fit(disp=0, method="newton", tol=1e-12, maxiter=100)  # both fits converged tightly
    assert np.max(np.abs(row.params.to_numpy() - fit.result.params.to_numpy())) < 1e-6
    assert np.max(np.abs(row.bse.to_numpy() - fit.result.bse.to_numpy())) < 1e-6
    assert list(row.params.index) == list(fit.result.params.index)


def test_bool_outcome_cannot_flip_the_model(sample):
    """A bool `converted` column (trap: statsmodels models P(False)) gives the same cells."""
    as_bool = sample.leads.assign(converted=sample.leads["converted"].astype(bool))
    a = cells(sample.leads, ["source"])
    b = cells(as_bool, ["source"])
    pd.testing.assert_frame_equal(a, b)
    fa = glm.fit_conversion(a, ["source"])
    fb = glm.fit_conversion(b, ["source"])
    assert np.allclose(fa.terms["coef"], fb.terms["coef"])
    yandex = fa.terms.set_index("level").loc["yandex"]
    assert yandex["odds_ratio"] > 1 and yandex["rate"] > yandex["reference_rate"]


def test_ucb_admissions_reproduces_published_fit(ucb):
    """R: glm(cbind(Admitted, Rejected) ~ Gender + Dept, binomial) on UCBAdmissions prints
    GenderFemale 0.09987 (SE 0.08085), residual deviance 20.204 on 5 df; the crude model
    Gender only: GenderFemale -0.61035 (SE 0.06389) (Agresti, Categorical Data Analysis)."""
    ref = {"gender": "Male", "dept": "A"}
    adj = glm.fit_conversion(ucb, ["gender", "dept"], reference=ref, min_leads=1)
    female = adj.terms.set_index("level").loc["Female"]
    assert round(female["coef"], 5) == 0.09987 and round(female["se"], 5) == 0.08085
    assert round(adj.deviance, 3) == 20.204 and adj.df_resid == 5
    crude = glm.fit_conversion(ucb, ["gender"], reference=ref, min_leads=1)
    f0 = crude.terms.set_index("level").loc["Female"]
    assert round(f0["coef"], 5) == -0.61035 and round(f0["se"], 5) == 0.06389
    # the interaction (gender effect differs by department) LR test is that deviance
    test = compare.interaction_test(ucb, "gender", "dept", min_leads=1)
    assert round(test["statistic"], 3) == 20.204 and test["df"] == 5
    assert test["p_value"] == pytest.approx(0.00114, abs=1e-5)
    # Simpson's paradox: men look favoured crude, not within departments
    table = compare.crude_vs_adjusted(ucb, "gender", "dept", min_leads=1)
    assert table.loc[0, "reading"].startswith("the crude difference goes away")


def test_mantel_haenszel_published_values(ucb):
    """R: mantelhaen.test(UCBAdmissions) prints common odds ratio 0.9046968, 95% CI
    0.7719074-1.0603298. Breslow & Day (1980), Statistical Methods in Cancer Research I,
    Ille-et-Vilaine data, alcohol >= 80 g/day by age: psi_MH = 5.158, crude 5.64, test of
    homogeneity chi-square 9.32 on 5 df."""
    ucb = ucb.assign(gender=ucb["gender"].map({"Male": "M", "Female": "F"}))
    mh = compare.mantel_haenszel(ucb, "gender", "M", "F", "dept")
    assert round(mh["odds_ratio"], 7) == 0.9046968
    assert (round(mh["low"], 7), round(mh["high"], 7)) == (0.7719074, 1.0603298)
    bd = [
        (1, 0, 9, 106),
        (4, 5, 26, 164),
        (25, 21, 29, 138),
        (42, 34, 27, 139),
        (19, 36, 18, 88),
        (5, 8, 0, 31),
    ]  # cases exp/unexp, controls exp/unexp per age
    rows = []
    for age, (ce, cu, ke, ku) in enumerate(bd):
        rows += [
            {"age": age, "alcohol": "high", "leads": ce + ke, "sales": ce},
            {"age": age, "alcohol": "low", "leads": cu + ku, "sales": cu},
        ]
    esoph = pd.DataFrame(rows)
    mh = compare.mantel_haenszel(esoph, "alcohol", "high", "low", "age")
    assert round(mh["odds_ratio"], 3) == 5.158
    assert round(mh["homogeneity_statistic"], 2) == 9.32
    crude = odds_ratio_2x2(96, 109, 104, 666)
    assert round(crude[0], 2) == 5.64


def test_two_by_two_odds_ratio_closed_form():
    or_, lo, hi = odds_ratio_2x2(20, 80, 10, 90)
    assert or_ == pytest.approx(20 * 90 / (80 * 10))
    se = np.sqrt(1 / 20 + 1 / 80 + 1 / 10 + 1 / 90)
    assert lo == pytest.approx(np.exp(np.log(2.25) - 1.959964 * se), rel=1e-6)
    assert hi == pytest.approx(np.exp(np.log(2.25) + 1.959964 * se), rel=1e-6)


def test_empty_and_tiny_levels_are_pooled_and_flagged():
    """A campaign with no sales must not give the -23 coefficient statsmodels returns
    silently: it is pooled, flagged, and every estimate is finite and sane."""
    c = pd.DataFrame(
        {
            "campaign": ["big", "mid", "zero", "tiny", "ok"],
            "leads": [2000, 800, 150, 8, 300],
            "sales": [200, 60, 0, 2, 33],
        }
    )
    fit = glm.fit_conversion(c, ["campaign"], min_leads=30)
    t = fit.terms.set_index("level")
    assert fit.pooled == {"campaign": ["tiny", "zero"]}
    assert t.loc["zero", "flag"].startswith("pooled") and np.isnan(t.loc["zero", "coef"])
    assert t.loc["(small levels)", "leads"] == 158 and t.loc["(small levels)", "sales"] == 2
    finite = t["coef"].dropna()
    assert (finite.abs() < 10).all() and (t["se"].dropna() < 5).all()
    # every row without an estimate of its own is flagged and says so
    assert (t.loc[t["coef"].isna(), "flag"] != "").all()
    assert (t.loc[t["coef"].isna(), "verdict"].str.startswith("no estimate")).all()
    assert (fit.cells.loc[fit.cells["sales"] == 0, "flag"] != "").all()
    # when the pooled group itself has no sales it is left out, not estimated
    c2 = c.assign(sales=[200, 60, 0, 0, 33])
    fit2 = glm.fit_conversion(c2, ["campaign"], min_leads=30)
    assert "(small levels)" not in set(fit2.result.params.index.str.extract(r"\[T\.(.*)\]")[0])
    assert any("left out of the fit" in n for n in fit2.notes)


def test_verdict_and_leads_needed():
    """Cohen (1988), Table 6.4.1: n per group for h = .10 ... .80 at power .80,
    two-sided alpha .05."""
    assert [round(nobs_for_h(h)) for h in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)] == [
        1570,
        392,
        174,
        98,
        63,
        44,
        32,
        25,
    ]
    # and statsmodels' numerical solver (which also counts the far tail) agrees
    from statsmodels.stats.power import NormalIndPower

    for h, ratio in ((0.15, 1.0), (0.3, 4.0)):
        ref = NormalIndPower().solve_power(effect_size=h, alpha=0.05, power=0.8, ratio=ratio)
        assert nobs_for_h(h, ratio=ratio) == pytest.approx(ref, rel=1e-4)
    assert leads_needed(0.1, 100, 0.1, 100) == float("inf")
    assert leads_needed(0.5, 10_000, 0.1, 10_000) == 0.0
    assert glm.verdict(0.01, 500)[0] is True
    enough, text = glm.verdict(0.3, 1234.4)
    assert not enough and text == "not enough data: about 1,200 more leads to tell"  # 2 digits


def test_beta_binomial_fit_against_direct_maximisation():
    """The prior fitted by our optimiser equals a Nelder-Mead maximisation of
    scipy.stats.betabinom's log-likelihood (an independent implementation)."""
    from scipy import optimize
    from scipy.stats import betabinom

    rng = np.random.default_rng(7)
    p = rng.beta(4, 36, size=60)
    n = rng.integers(50, 400, size=60)
    k = rng.binomial(n, p)
    mu, kappa = fit_beta_binomial(k, n)

    def nll(x):
        a, b = np.exp(x)
        return -betabinom.logpmf(k, n, a, b).sum()

    ref = optimize.minimize(
        nll,
        [np.log(2), np.log(20)],
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000},
    )
    a, b = np.exp(ref.x)
    assert mu == pytest.approx(a / (a + b), rel=1e-4)
    assert kappa == pytest.approx(a + b, rel=1e-3)


def test_shrinkage_pulls_small_levels_and_spares_big_ones():
    c = pd.DataFrame(
        {
            "source": ["s"] * 5,
            "campaign": ["a", "b", "c", "tiny_zero", "tiny_lucky"],
            "leads": [1000, 900, 1100, 12, 3],
            "sales": [100, 81, 121, 0, 2],
        }
    )
    t = shrink_rates(c, "campaign", "source").set_index("campaign")
    mu, kappa = t["prior_rate"].iloc[0], t["prior_leads"].iloc[0]
    # closed form of the posterior mean
    assert t.loc["a", "shrunk"] == pytest.approx((100 + mu * kappa) / (1000 + kappa))
    assert abs(t.loc["a", "shrunk"] - 0.1) < 0.005  # a big campaign hardly moves
    assert 0.05 < t.loc["tiny_zero", "shrunk"] < 0.12  # 0/12 is not 0%
    assert t.loc["tiny_lucky", "shrunk"] < 0.15  # 2/3 is not 67%
    assert t.loc["tiny_zero", "flag"] == "no sales" and t.loc["tiny_lucky", "flag"] == "few leads"
    assert (t["shrunk_low"] <= t["shrunk"]).all() and (t["shrunk"] <= t["shrunk_high"]).all()


def test_single_campaign_source_is_pulled_toward_the_whole():
    c = pd.DataFrame(
        {
            "source": ["a", "a", "a", "b", "b", "c"],
            "campaign": ["a1", "a2", "a3", "b1", "b2", "c1"],
            "leads": [500, 500, 500, 500, 500, 5],
            "sales": [50, 60, 40, 45, 55, 0],
        }
    )
    t = shrink_rates(c, "campaign", "source").set_index("campaign")
    assert t.loc["c1", "prior_rate"] > 0.05  # centred on c's rate pooled toward the whole


def test_a_fully_pooled_level_is_as_uncertain_as_its_parent():
    """Levels that do not differ beyond chance are pulled all the way to the parent's
    rate; their interval is then the parent's own (reference: the normal interval of
    the pooled binomial rate, 29/450), not the near-zero width of a prior taken as
    known (it was 6.3-6.6% inside an overall 4.5-9.1%)."""
    c = pd.DataFrame(
        {
            "source": ["google", "vk", "vk"],
            "campaign": ["g", "f", "s"],
            "leads": [231, 109, 110],
            "sales": [14, 8, 7],
        }
    )
    t = shrink_rates(c, "campaign", "source").set_index("campaign")
    assert (t["weight"] < 0.01).all()  # pooled all the way
    p = 29 / 450
    half = 1.959964 * np.sqrt(p * (1 - p) / 450)
    for row in t.itertuples():
        assert row.shrunk_low == pytest.approx(p - half, abs=0.004)
        assert row.shrunk_high == pytest.approx(p + half, abs=0.004)
    # flags follow the funnel's thresholds: 8 and 7 sales are under 10
    assert t.loc["g", "flag"] == "" and set(t.loc[["f", "s"], "flag"]) == {"few sales"}


def test_shrunk_intervals_cover_the_true_rates():
    """Coverage by simulation: campaigns drawn from one true rate per source (so the
    fit pools them) are covered by their 95% shrunk intervals about 91% of the time
    (empirical Bayes intervals run a little under nominal: the sources' own rates are
    pulled toward the whole); the prior-as-known interval covered 43%."""
    rng = np.random.default_rng(11)
    covered = total = 0
    for _ in range(200):
        true = {"a": rng.uniform(0.03, 0.2), "b": rng.uniform(0.03, 0.2)}
        rows = []
        for src, p in true.items():
            for j in range(int(rng.integers(1, 4))):
                n = int(rng.integers(40, 400))
                rows.append((src, f"{src}{j}", n, int(rng.binomial(n, p))))
        c = pd.DataFrame(rows, columns=["source", "campaign", "leads", "sales"])
        if c["sales"].sum() == 0:
            continue
        t = shrink_rates(c, "campaign", "source")
        p_true = t["source"].map(true)
        covered += int(((t["shrunk_low"] <= p_true) & (p_true <= t["shrunk_high"])).sum())
        total += len(t)
    assert 0.88 <= covered / total <= 0.995, covered / total


def test_grouped_ordinal_equals_row_level_ordered_model():
    """The ordinal logit on (cells x class) counts equals statsmodels' row-level
    OrderedModel on the same leads to 1e-6."""
    rng = np.random.default_rng(3)
    n = 1500
    source = rng.choice(["search", "social", "quiz"], size=n, p=[0.4, 0.35, 0.25])
    latent = {"search": 0.8, "social": 0.0, "quiz": -1.2}
    z = np.array([latent[s] for s in source]) + rng.logistic(size=n)
    cls = np.where(z > 1.0, "hot", np.where(z > -0.5, "warm", "cold"))
    leads = pd.DataFrame({"source": source, "qualification": cls})
    counts = leads.groupby("source")["qualification"].value_counts().unstack(fill_value=0)
    counts = counts.reset_index().assign(unknown=0)
    fit = ordinal.fit_quality(counts, "source", reference="social")
    y = pd.Series(pd.Categorical(cls, categories=["cold", "warm", "hot"], ordered=True))
    x = pd.get_dummies(pd.Series(source)).astype(float)[["quiz", "search"]]
    row = OrderedModel(y, x, distr="logit").fit(
        method="lbfgs", disp=False, maxiter=5000, pgtol=1e-10
    )
    assert row.mle_retvals["converged"]
    assert np.max(np.abs(row.params.to_numpy() - fit.result.params)) < 1e-6
    assert np.max(np.abs(row.bse.to_numpy() - fit.result.bse)) < 1e-5
    t = fit.terms.set_index("level")
    assert t.loc["search", "odds_ratio"] > 1 > t.loc["quiz", "odds_ratio"]


def test_a_level_with_only_cold_leads_is_left_out_of_the_ordinal_fit():
    """All of a level's classified leads cold: its odds ratio is 0 in the limit (no
    finite MLE; the Hessian goes singular). It is flagged and left out, and the other
    levels' fit equals the fit without it (the reference: the same data minus the level)."""
    counts = pd.DataFrame(
        {
            "source": ["search", "social", "quiz", "tg"],
            "cold": [60, 90, 120, 45],
            "warm": [80, 70, 40, 0],
            "hot": [60, 40, 10, 0],
            "unknown": [0, 0, 0, 3],
        }
    )
    fit = ordinal.fit_quality(counts, "source", reference="social")
    without = ordinal.fit_quality(counts[counts["source"] != "tg"], "source", reference="social")
    t = fit.terms.set_index("level")
    assert t.loc["tg", "flag"] == "all cold: no finite odds ratio"
    assert np.isnan(t.loc["tg", "odds_ratio"])
    assert np.allclose(fit.result.params, without.result.params, atol=1e-12)
    assert any("one extreme class" in n for n in fit.notes)
    # every level one class: nothing to fit, said plainly, no exception
    none = ordinal.fit_quality(counts.assign(warm=0, hot=0), "source")
    assert none.result is None and none.terms["odds_ratio"].isna().all()
    assert any("no odds ratios" in n for n in none.notes)


def test_quality_on_the_sample_exposes_the_quiz(sample):
    c = cells(sample.leads, ["source", "campaign", "qualification"])
    fit = ordinal.fit_quality(c, "campaign", reference="ya_brand_search")
    quiz = fit.terms.set_index("level").loc["vk_leadform_quiz"]
    assert quiz["or_high"] < 0.1  # far colder leads than brand search, and sure of it
    shares = ordinal.quality_shares(c, "campaign")
    q = shares[(shares["campaign"] == "vk_leadform_quiz")].set_index("class")
    assert q.loc["cold", "share_low"] > 0.8
    assert abs(q["share"].sum() - 1) < 1e-12


def test_findings_speak_plainly(sample):
    c = cells(sample.leads, ["source", "campaign", "segment"])
    fit = glm.fit_conversion(c, ["source", "segment"])
    lines = findings.findings(
        fit, shrunk=shrink_rates(c, "campaign", "source"), caveats=["a caveat"]
    )
    text = "\n".join(lines)
    assert "**What the data can tell:**" in text and "- a caveat" in text
    assert "more leads would tell" in text or "Waiting will not settle it" in text


def test_a_long_list_of_findings_shows_its_first_sentences_and_counts_the_rest(sample, monkeypatch):
    """Past `findings.LISTED` sentences a list of findings shows the first ones and
    says how many more there are (5,000 campaigns made a 3 MB list)."""
    c = cells(sample.leads, ["source", "campaign", "segment"])
    fit = glm.fit_conversion(c, ["source", "segment"])
    caveats = [f"caveat {i}" for i in range(7)]
    whole = findings.findings(fit, caveats=caveats)
    start = whole.index("**What the data cannot tell yet:**") + 1
    every = whole[start:]
    assert len(every) > 4
    monkeypatch.setattr(findings, "LISTED", 3)
    cut = findings.findings(fit, caveats=caveats)
    shown = cut[cut.index("**What the data cannot tell yet:**") + 1 :]
    assert shown[:3] == every[:3]
    assert shown[3] == (
        f"- and {len(every) - 3} more like these: each is in this page's tables and the workbook."
    )
    assert len(shown) == 4
