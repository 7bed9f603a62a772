"""Monitoring between runs (issue 15): the tests of change on counts, pinned to closed
forms, their false-alarm rate on runs of the same company, and a quality drop found."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from analysis.sample.company import generate
from analysis.stats.economics import unit_economics
from analysis.stats.monitoring import RunCounts, _prop_test, _rate_test, compare_counts


def _counts(truth: pd.DataFrame, spend: pd.DataFrame) -> RunCounts:
    econ = unit_economics(truth, spend, by=["source", "campaign"])
    days = (truth["created_at"].max() - truth["created_at"].min()).days + 1
    return RunCounts.from_economics(econ, days)


def test_the_rate_test_by_closed_form():
    """Equal exposures: 30 against 10 events is a binomial 10 of 40 at p = 1/2; its
    two-sided p is 2 P(X <= 10) (the binomial is symmetric at 1/2)."""
    assert _rate_test(30, 1.0, 10, 1.0) == pytest.approx(2 * sps.binom.cdf(10, 40, 0.5))
    # doubling the second exposure doubles its expected share: 20 of 30 at p=2/3 is typical
    assert _rate_test(10, 1.0, 20, 2.0) == pytest.approx(1.0)
    assert _rate_test(0, 1.0, 0, 1.0) == 1.0


def test_the_proportion_test_is_fishers():
    assert _prop_test(5, 50, 15, 50) == pytest.approx(sps.fisher_exact([[5, 45], [15, 35]]).pvalue)


@pytest.fixture(scope="module")
def runs():
    a = generate(seed=21, scale=2.0)
    b = generate(seed=22, scale=2.0)
    return a, b


def test_runs_of_the_same_company_raise_few_false_alarms(runs):
    """Two draws of the same company (seeds 21 and 22, nothing changed): at a 5% false
    discovery rate, no more than one flag in the whole comparison (95 tests or so;
    the expected number of false flags when nothing changed is under alpha = 0.05 of
    one comparison flagging anything)."""
    a, b = runs
    got = compare_counts(_counts(a.truth, a.spend), _counts(b.truth, b.spend))
    tested = got["p"].notna()
    assert tested.sum() >= 40
    assert got["flag"].sum() <= 1, got[got["flag"]]
    # the p-values of nothing changed spread over (0, 1): not piled near 0
    assert (got.loc[tested, "p"] < 0.05).mean() < 0.2


def test_a_campaigns_quality_drop_is_flagged(runs):
    """The second run's vk_leadform_quiz turns two thirds of its hot leads cold and
    loses their sales: its hot share and conversion are flagged, worse; no other
    campaign's hot share is."""
    a, b = runs
    t = b.truth.copy()
    rng = np.random.default_rng(0)
    quiz = (t["campaign"] == "vk_leadform_quiz") & (t["qualification"] == "hot")
    hit = quiz & (rng.random(len(t)) < 2 / 3)
    t.loc[hit, "qualification"] = "cold"
    t.loc[hit, ["converted", "revenue"]] = [0, 0.0]
    t.loc[hit, "won_at"] = pd.NaT
    got = compare_counts(_counts(a.truth, a.spend), _counts(t, b.spend))
    flags = got[got["flag"]]
    quiz_flags = flags[flags["campaign"] == "vk_leadform_quiz"]
    assert set(quiz_flags["measure"]) >= {"hot_share"}
    assert quiz_flags["worse"].all()
    others = flags[(flags["campaign"] != "vk_leadform_quiz") & (flags["campaign"] != "")]
    assert not (others["measure"] == "hot_share").any(), others


def test_too_few_leads_are_never_flagged():
    a = RunCounts(
        pd.DataFrame(
            [["s", "c", 10, 9, 10, 5, 10, 5, 100.0]],
            columns=[
                "source",
                "campaign",
                "leads",
                "hot",
                "classified",
                "sales",
                "paid_leads",
                "paid_sales",
                "spend",
            ],
        ),
        30,
    )
    b = RunCounts(a.campaigns.assign(hot=0, sales=0), 30)
    got = compare_counts(a, b)
    assert got["p"].isna().all() and not got["flag"].any()
