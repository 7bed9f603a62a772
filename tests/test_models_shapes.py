"""Conversion models on odd but legal shapes of data (issue 11, items 2 and 6): a source
nested in one segment, verdicts against their own intervals, "waiting will not settle
it", pooled levels that say what they hold, fit warnings in words, and data with no
sales, only sales, one source or five leads.

References: a row-level statsmodels logit on the same leads (nesting, standard
errors), the rank of the row-level design (exact aliasing), simulations with known
effects (verdict and interval agree; the leads-needed formula gives the power it
promises) and closed-form odds ratios."""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from analysis.insight import findings
from analysis.stats import compare, glm, ordinal
from analysis.stats.shrink import shrink_rates


def _nested_cells() -> pd.DataFrame:
    """Every lead of "ref" came through the lead form segment, which google and yandex
    reach with 7 leads: ref converts at 93% against about 42%."""
    return pd.DataFrame(
        {
            "source": ["google", "google", "google", "ref", "yandex", "yandex", "yandex"],
            "segment": ["a", "b", "leadform", "leadform", "a", "b", "leadform"],
            "leads": [666, 673, 5, 472, 596, 586, 2],
            "sales": [286, 278, 3, 441, 245, 257, 1],
        }
    )


def _rows(cells: pd.DataFrame, dims: list[str]) -> pd.DataFrame:
    """One row per lead (0/1 outcome) from cells."""
    parts = []
    for r in cells.itertuples(index=False):
        d = r._asdict()
        y = np.r_[np.ones(d["sales"]), np.zeros(d["leads"] - d["sales"])]
        parts.append(pd.DataFrame({**{k: d[k] for k in dims}, "y": y}))
    return pd.concat(parts, ignore_index=True)


def test_a_source_nested_in_one_segment_cannot_be_separated_from_it():
    cells = _nested_cells()
    fit = glm.fit_conversion(cells, ["source", "segment"], min_leads=30)
    t = fit.terms.set_index(["term", "level"])
    ref = t.loc[("source", "ref")]
    # the numbers are the row-level logit's: only their reading changes
    rows = _rows(cells, ["source", "segment"])
    logit = smf.logit("y ~ C(source, Treatment('google')) + C(segment, Treatment('a'))", rows).fit(
        disp=0
    )
    name = "C(source, Treatment('google'))[T.ref]"
    assert ref["coef"] == pytest.approx(logit.params[name], rel=1e-6)
    assert ref["se"] == pytest.approx(logit.bse[name], rel=1e-5)
    crude = smf.logit("y ~ C(source, Treatment('google'))", rows).fit(disp=0)
    # the reference fit itself shows why: adjusting multiplies the SE by over 3
    assert logit.bse[name] > 3 * crude.bse[name]
    assert ref["status"] == "not_separable" and not ref["enough_data"]
    assert ref["verdict"] == "cannot be separated from segment leadform"
    assert ref["nested_in"] == "segment leadform"
    seg = t.loc[("segment", "leadform")]
    assert seg["status"] == "not_separable" and seg["nested_in"] == "source ref"
    # the others are compared as before, against a reference that is not nested
    assert t.loc[("source", "yandex"), "status"] != "not_separable"
    assert (fit.terms.loc[fit.terms["term"] == "source", "reference"] == "google").all()
    # crude against adjusted: no "it is the segment mix"
    ca = compare.crude_vs_adjusted(cells, "source", "segment").set_index("level")
    assert ca.loc["ref", "reading"].startswith("cannot be separated from segment leadform")
    assert "mix" not in ca.loc["ref", "reading"].split(":")[0]
    text = "\n".join(findings.findings(fit, ca))
    assert "**ref** (441 sales of 472 leads" in text
    assert "cannot be separated from segment leadform" in text
    assert "no difference from google seen" not in text
    assert "segment mix" not in text


def test_a_level_that_is_another_factors_level_gets_no_made_up_estimate():
    """ref is the whole of segment lf and lf is all ref: the two design columns are
    equal (the row-level design loses a rank), so no split between them exists."""
    cells = pd.DataFrame(
        {
            "source": ["google", "google", "yandex", "yandex", "ref"],
            "segment": ["a", "b", "a", "b", "lf"],
            "leads": [400, 300, 350, 250, 200],
            "sales": [80, 45, 70, 40, 180],
        }
    )
    rows = _rows(cells, ["source", "segment"])
    import patsy

    X = patsy.dmatrix("C(source) + C(segment)", rows, return_type="dataframe")
    assert np.linalg.matrix_rank(X.to_numpy()) == X.shape[1] - 1
    fit = glm.fit_conversion(cells, ["source", "segment"])
    t = fit.terms.set_index("level")
    for lvl in ("ref", "lf"):
        assert np.isnan(t.loc[lvl, "odds_ratio"]) and t.loc[lvl, "status"] == "not_separable"
    assert t.loc["yandex", "status"] not in ("not_separable", "no_estimate")


def test_nested_levels_rule():
    c = _nested_cells()
    n = glm.nested_levels(c, ["source", "segment"], min_leads=30)
    assert set(zip(n["term"], n["level"], strict=True)) == {
        ("source", "ref"),
        ("segment", "leadform"),
    }
    # the same shape with 40 other leads in the lead form: separable
    more = c.copy()
    more.loc[more["segment"] == "leadform", ["leads", "sales"]] = [[40, 18], [472, 441], [30, 13]]
    assert glm.nested_levels(more, ["source", "segment"], min_leads=30).empty
    # 94% of ref in the lead form: not nested by the 95% rule
    spread = pd.concat(
        [c, pd.DataFrame({"source": ["ref"], "segment": ["a"], "leads": [31], "sales": [20]})]
    )
    assert ("source", "ref") not in set(
        zip(*glm.nested_levels(spread, ["source", "segment"]).iloc[:, :2].T.values, strict=True)
    )


@pytest.mark.parametrize("seed", range(40))
def test_verdict_never_contradicts_its_interval(seed):
    """Simulated sources and segments with known effects (two sources equal to the
    reference, two not): every verdict agrees with its own 95% interval, and "enough
    data" (the chart's colour) is the same fit's."""
    rng = np.random.default_rng(seed)
    true = {"g": 0.0, "same1": 0.0, "same2": 0.0, "up": 0.8, "down": -0.7}
    seg = {"s1": 0.0, "s2": 0.5, "s3": -0.4}
    rows = []
    for s, b in true.items():
        for g, a in seg.items():
            n = int(rng.integers(20, 400)) * (3 if s == "g" else 1)
            p = 1 / (1 + np.exp(-(-1.5 + b + a)))
            rows.append((s, g, n, int(rng.binomial(n, p))))
    cells = pd.DataFrame(rows, columns=["source", "segment", "leads", "sales"])
    fit = glm.fit_conversion(cells, ["source", "segment"], reference={"source": "g"})
    for r in fit.terms.itertuples():
        excludes = r.or_low > 1 or r.or_high < 1
        if excludes:
            assert r.status in ("differs", "differs_alone"), r
            assert "no difference" not in r.verdict and "more leads" not in r.verdict
        else:
            assert r.status not in ("differs", "differs_alone") and not r.enough_data, r
        assert r.enough_data == (r.status == "differs")
    words = "\n".join(findings.findings(fit))
    for r in fit.terms.itertuples():
        if not (r.or_low > 1 or r.or_high < 1):
            line = next(x for x in words.splitlines() if f"**{r.level}**" in x)
            assert "converts more often" not in line and "converts less often" not in line


def test_model_leads_needed_gives_the_power_it_promises():
    """Two sources, 12% vs 10% on 500 leads each: the leads the fit says it needs give
    80% power in a simulation of Woolf's test at that size (the closed form of the
    two-group logit's Wald test)."""
    cells = pd.DataFrame({"source": ["a", "b"], "leads": [500, 500], "sales": [50, 60]})
    fit = glm.fit_conversion(cells, ["source"], reference={"source": "a"})
    r = fit.terms.iloc[0]
    total = 1000 + r["leads_needed"]
    n = int(round(total / 2))
    rng = np.random.default_rng(7)
    k1, k2 = rng.binomial(n, 0.10, 20000), rng.binomial(n, 0.12, 20000)
    log_or = np.log(k2 * (n - k1) / (k1 * (n - k2)))
    se = np.sqrt(1 / k1 + 1 / (n - k1) + 1 / k2 + 1 / (n - k2))
    power = np.mean(np.abs(log_or / se) > 1.959964)
    assert power == pytest.approx(0.8, abs=0.02)
    assert r["status"] == "not_enough" and "more leads to tell" in r["verdict"]


def test_a_difference_waiting_cannot_settle_says_so():
    """42.5% vs 42.2% on 2,500 leads: telling it would take ~700,000 more leads."""
    cells = pd.DataFrame(
        {"source": ["google", "yandex"], "leads": [1344, 1184], "sales": [567, 503]}
    )
    fit = glm.fit_conversion(cells, ["source"])
    r = fit.terms.iloc[0]
    assert r["leads_needed"] > 10 * (1344 + 1184)
    assert r["status"] == "not_by_waiting"
    assert r["verdict"].startswith("waiting will not settle it")
    text = "\n".join(findings.findings(fit))
    assert "Waiting will not settle it" in text and "would tell a difference" not in text
    enough, words = glm.verdict(0.4, 250_000, p_value=0.4, current=2528)
    assert not enough and words.startswith("waiting will not settle it: about 250,000")
    # under ten times: still "more leads to tell"
    assert glm.verdict(0.4, 20_000, p_value=0.4, current=2528)[1].startswith("not enough data")


def test_a_pooled_level_says_what_it_holds():
    """One lead with one sale pooled alone: the pooled row holds 1 lead and 1 sale and
    is left out for having only sales, not "0 sales of 0 leads ... no sales"."""
    cells = pd.DataFrame(
        {"campaign": ["big", "mid", "one"], "leads": [1000, 500, 1], "sales": [100, 60, 1]}
    )
    fit = glm.fit_conversion(cells, ["campaign"], min_leads=30)
    p = fit.terms.set_index("level").loc[glm.POOLED]
    assert (p["leads"], p["sales"], p["members"]) == (1, 1, "one")
    assert p["flag"] == "left out: only sales"
    text = "\n".join(findings.findings(fit))
    assert "(levels one) (1 sales of 1 leads)" in text
    assert "0 sales of 0 leads" not in text
    # two small levels pooled and fitted: the pooled row is their sum and names them
    cells2 = pd.DataFrame(
        {
            "campaign": ["big", "mid", "t1", "t2"],
            "leads": [1000, 500, 10, 12],
            "sales": [100, 60, 2, 3],
        }
    )
    p2 = glm.fit_conversion(cells2, ["campaign"]).terms.set_index("level").loc[glm.POOLED]
    assert (p2["leads"], p2["sales"], p2["members"]) == (22, 5, "t1, t2")


def test_fit_warnings_become_sentences():
    """A cell table where s1 has no sales in the only segment shared with s0: statsmodels
    warns (separation, overflow); the notes name the level in words and no warning
    text or class name reaches them, nor escapes."""
    cells = pd.DataFrame(
        {
            "source": ["s0", "s1", "s1", "s1"],
            "segment": ["g1", "g0", "g1", "g2"],
            "leads": [73, 44, 74, 22],
            "sales": [61, 41, 0, 0],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = glm.fit_conversion(cells, ["source", "segment"], min_leads=5)
    text = " ".join(fit.notes)
    assert "source s0: where its leads can be compared with s1's" in text
    assert "cannot be estimated" in text
    for raw in ("Warning", "warned", "divide by zero", "overflow"):
        assert raw not in text
    t = fit.terms.set_index("level")
    # s0 is all in g1, where s1 has no sale: unstable, and nested by the rule too
    assert t.loc["s0", "status"] in ("unstable", "not_separable")
    assert np.isnan(t.loc["s0", "odds_ratio"]) and not t.loc["s0", "enough_data"]


@pytest.mark.parametrize(
    ("sales", "state"), [(lambda n: 0, "no_sales"), (lambda n: n, "all_sales")]
)
def test_no_sales_or_only_sales_give_an_empty_fit_that_says_why(sales, state):
    cells = pd.DataFrame({"source": ["a", "b", "c"], "segment": ["x", "y", "x"]})
    cells["leads"] = [300, 200, 100]
    cells["sales"] = [sales(n) for n in cells["leads"]]
    fit = glm.fit_conversion(cells, ["source", "segment"])
    assert fit.state == state and fit.terms.empty and fit.result is None
    assert fit.cells["leads"].sum() == 600
    text = "\n".join(findings.findings(fit))
    assert ("Not one of the 600 leads" if state == "no_sales" else "Every one of the 600") in text
    assert compare.crude_vs_adjusted(cells, "source", "segment").empty
    assert np.isnan(compare.interaction_test(cells, "source", "segment")["p_value"])
    # campaigns of a source with no sales keep their own interval, not 0.0%-0.0%
    s = shrink_rates(cells.rename(columns={"segment": "campaign"}), "campaign", "source")
    assert (s["shrunk_high"] > 0).all() if state == "no_sales" else True


def test_five_leads_are_too_little_for_a_model():
    cells = pd.DataFrame(
        {
            "source": ["google", "google", "ref", "yandex"],
            "segment": ["a", "b", "b", "a"],
            "leads": [1, 1, 1, 2],
            "sales": [1, 0, 1, 0],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = glm.fit_conversion(cells, ["source", "segment"])
    assert fit.state == "too_little" and fit.terms.empty
    assert "Too little data" in "\n".join(findings.findings(fit))


def test_an_ordinal_level_that_runs_off_has_no_overflowing_odds_ratio():
    """A five-lead shape (found by a search of random five-lead files): one or two
    classified leads per campaign, no hot one; the old code overflowed exp()."""
    cells = pd.DataFrame(
        {
            "campaign": ["c3", "c4", "c5"],
            "hot": [0, 0, 0],
            "warm": [1, 1, 1],
            "cold": [0, 1, 1],
            "unknown": [0, 0, 0],
        }
    )
    cells["leads"] = cells[["hot", "warm", "cold", "unknown"]].sum(axis=1)
    cells["sales"] = [0, 0, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        q = ordinal.fit_quality(cells, "campaign", min_leads=30)
    assert not any("warned" in n for n in q.notes)
    for r in q.terms.itertuples():
        assert np.isnan(r.odds_ratio) or np.isfinite(r.odds_ratio)


def test_waiting_words_shared_by_verdicts_and_recommendations():
    """One rule for "more leads to tell" (the models' verdicts and the action table's
    wait rows): past ten times the leads there are, waiting will not settle it."""
    from analysis.stats.glm import waiting_words

    assert waiting_words(2512, 4).startswith("waiting will not settle it: about 2,500")
    assert waiting_words(30, 10) == "about 30 more leads to tell"
    assert waiting_words(float("inf"), 5) == "" and waiting_words(0, 5) == ""
