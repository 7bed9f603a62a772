"""Whose part, with an interval; values far out; partial periods marked.

The intervals of `decompose` are pinned to a simulation with a known split: two periods
generated many times from known expected lead volumes, mixes, conversions (and revenue
per sale); the true part is the Shapley split of the expected counts. The outlier rule is
pinned to planted values in known lognormal data and to Olist's one 50,000,000 BRL deal.
"""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from analysis.insight import audit
from analysis.insight.context import report_context
from analysis.insight.findings import main_cause
from analysis.render.sections import audit as audit_page
from analysis.render.sections import period, summary
from analysis.render.time_figures import plot_waterfall
from analysis.stats import period_change
from analysis.stats.decompose import decompose

matplotlib.use("Agg")

SOURCES, CLASSES, SIGMA = ("x", "y", "z"), ("hot", "cold"), 0.8
# expected leads, source shares, hot share per source, conversion per class and source,
# log-mean of revenue per sale per source
A = {"n": 400, "src": [0.5, 0.3, 0.2], "hot": [0.5, 0.3, 0.4],
     "p": {"hot": [0.4, 0.3, 0.35], "cold": [0.08, 0.05, 0.1]}, "mu": [10, 10.5, 11]}  # fmt: skip
B = {"n": 550, "src": [0.3, 0.4, 0.3], "hot": [0.4, 0.3, 0.4],
     "p": {"hot": [0.45, 0.3, 0.3], "cold": [0.08, 0.07, 0.1]}, "mu": [10.2, 10.5, 11]}  # fmt: skip


def _expected(spec):
    rows = []
    for i, s in enumerate(SOURCES):
        for q in CLASSES:
            n = spec["n"] * spec["src"][i] * (spec["hot"][i] if q == "hot" else 1 - spec["hot"][i])
            k = n * spec["p"][q][i]
            rows.append((s, q, n, k, k * np.exp(spec["mu"][i] + SIGMA**2 / 2)))
    return pd.DataFrame(rows, columns=["source", "qualification", "leads", "sales", "revenue"])


def _draw(spec, rng):
    rows = []
    for i, s in enumerate(SOURCES):
        for q in CLASSES:
            share = spec["hot"][i] if q == "hot" else 1 - spec["hot"][i]
            n = rng.poisson(spec["n"] * spec["src"][i] * share)
            k = rng.binomial(n, spec["p"][q][i])
            r = rng.lognormal(spec["mu"][i], SIGMA, size=k)
            rows.append((s, q, n, k, r.sum(), (r**2).sum()))
    cols = ["source", "qualification", "leads", "sales", "revenue", "revenue_sq"]
    return pd.DataFrame(rows, columns=cols)


@pytest.mark.parametrize(("measure", "sims"), [("sales", 200), ("revenue", 150)])
def test_intervals_cover_the_known_split(measure, sims):
    """Observed coverage of the 95% intervals (seed 1, 300 draws each; measured once with
    300-400 simulations): sales: volume 0.95, source mix 0.95, class mix 0.90-0.93,
    conversion 0.97-0.98, change 0.96; revenue: volume 0.95, mixes 0.94-0.96, conversion
    0.97, revenue per sale 0.92-0.94, change 0.93. Each must lie in 0.88-0.99 here (200
    simulations: a standard error of about 1.5 points)."""
    truth = decompose(_expected(A), _expected(B), measure=measure, intervals=False)
    truth = truth.set_index("part")["value"]
    rng = np.random.default_rng(1)
    hits: dict[str, list[bool]] = {}
    for _ in range(sims):
        t = decompose(_draw(A, rng), _draw(B, rng), measure=measure, replicates=300)
        t = t.set_index("part")
        for p in [*truth.index[truth.index.isin(t.index[t["kind"] == "part"])], "change"]:
            hits.setdefault(p, []).append(bool(t.loc[p, "low"] <= truth[p] <= t.loc[p, "high"]))
    coverage = {p: float(np.mean(h)) for p, h in hits.items()}
    expected_parts = {"volume", "mix:source", "mix:qualification", "conversion", "change"}
    if measure == "revenue":
        expected_parts.add("revenue_per_sale")
    assert set(coverage) == expected_parts
    for p, c in coverage.items():
        assert 0.88 <= c <= 0.99, (p, c, coverage)


def test_intervals_are_reproducible_and_period_totals_have_none():
    a, b = _draw(A, np.random.default_rng(5)), _draw(B, np.random.default_rng(6))
    t1, t2 = decompose(a, b), decompose(a, b)
    pd.testing.assert_frame_equal(t1, t2)  # fixed seed
    totals = t1[t1["part"].isin(["period_a", "period_b"])]
    assert totals[["low", "high"]].isna().all(axis=None)
    part_rows = t1[t1["kind"] == "part"]
    assert (part_rows["low"] <= part_rows["value"]).all()
    assert (part_rows["value"] <= part_rows["high"]).all()
    info = t1.attrs["intervals"]
    assert info["replicates"] == 2000 and info["level"] == 0.95
    assert set(info["groups"]) >= {"volume", "mix", "conversion", "marketing", "sales"}
    # revenue without the spread of revenue per sale: that part has no interval
    rev = decompose(a.drop(columns="revenue_sq"), b.drop(columns="revenue_sq"), measure="revenue")
    row = rev.set_index("part").loc["revenue_per_sale"]
    assert np.isnan(row["low"]) and rev.attrs["intervals"]["lead"] is None


def test_waterfall_draws_the_intervals():
    t = decompose(_draw(A, np.random.default_rng(5)), _draw(B, np.random.default_rng(6)))
    fig = plot_waterfall(t, "t", "sales")
    try:
        ax = fig.axes[0]
        assert len(ax.containers) == 1 + 4  # the bars, and one whisker per part
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert "95% interval" in labels
    finally:
        plt.close(fig)


# --- the Olist example: a partial quarter, a 50,000,000 BRL deal ----------------------------


@pytest.fixture(scope="module")
def olist(tmp_path_factory):
    return report_context("olist", cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return report_context("sample", cache_dir=tmp_path_factory.mktemp("cache"))


def _close(section):
    if section.figure is not None:
        plt.close(section.figure)
    return section


def test_olist_revenue_per_sale_is_not_credited_to_the_sales_team(olist):
    """Before: "Revenue rose ... mainly through the sales team's revenue per sale
    (+55 725 800)" with nothing flagged. One deal of 50,000,000 BRL (pandas: the largest
    declared revenue, 81% of all revenue)."""
    s = _close(period.revenue(olist, "2018Q1", "2018Q2"))
    assert "mainly" not in s.text and "The data cannot yet tell" in s.text
    assert "**Far out:** 1 sale" in s.text and "50\u202f000\u202f000" in s.text
    # without it revenue fell instead of rising: the reading moves, so both are shown
    assert "**Without them:** Revenue fell from 9\u202f611\u202f000 in 2018Q1" in s.text
    far = s.tables["change_revenue_outliers"]
    assert far["id"].tolist() == ["6a10f542e6f79265c34a405dbc928e37"]
    assert "2018Q2 holds leads only until 31 May" in s.text
    table = s.tables["change_revenue"]
    assert {"low", "high"} <= set(table.columns)


def test_olist_outliers_flagged_in_the_audit(olist):
    leads = olist.dataset.leads
    revenue = leads.loc[leads["converted"] == 1, "revenue"].dropna()
    big = revenue.max()
    assert big == 50_000_000 and big / revenue.sum() == pytest.approx(0.8093, abs=1e-4)
    s = audit_page.outliers(olist)
    table = s.tables["audit_outliers"]
    assert table["value"].tolist() == [50_000_000]
    assert table["share_of_total"].iloc[0] == pytest.approx(big / revenue.sum())
    assert "81% of all revenue" in s.text
    assert "Far out: 1 revenue value" in audit_page.headline(olist).text


def test_flagged_sales_are_the_listed_outliers(olist):
    """The rule `flagged_sales` leaves out is the list the audit shows: the same leads,
    in every period or in the compared ones; and the period change without them equals
    the split of the leads with those ids dropped in pandas (the row-level reference)."""
    t, eng = olist.leads, olist.engine
    listed = olist.outliers()
    listed = listed[listed["what"] == "revenue of a sale"]
    cut = float(listed.attrs["revenue"]["cut"])
    for periods in (None, ["2018Q1", "2018Q2"], ["2017Q4", "2018Q1"]):
        want = listed if periods is None else listed[listed["period"].isin(periods)]
        got = eng.to_arrow(t.filter(audit.flagged_sales(t, cut, periods)).select("lead_id"))
        assert sorted(got.column("lead_id").to_pylist()) == sorted(want["id"]), periods
    compared = ("2018Q1", "2018Q2")
    kept = t.filter(~audit.flagged_sales(t, cut, list(compared)))
    frame = olist.dataset.leads
    dropped = frame[~frame["lead_id"].astype(str).isin(listed["id"])]
    assert len(dropped) == len(frame) - 1  # the one 50,000,000 BRL deal
    on_engine = period_change.decompose_periods(kept, *compared, measure="revenue", engine=eng)
    reference = period_change.decompose_periods(dropped, *compared, measure="revenue")
    pd.testing.assert_frame_equal(on_engine, reference, check_exact=False, rtol=1e-9)


def test_outlier_rule_on_known_data():
    """Lognormal spend (sigma 0.5) of 500 rows: nothing flagged; a planted value 30 times
    the median is; a value 5 times the median is not (under the 10x floor)."""
    rng = np.random.default_rng(3)
    spend = pd.DataFrame(
        {
            "date": pd.date_range("2026-01-01", periods=500, freq="D"),
            "source": "google",
            "campaign": "c",
            "spend": rng.lognormal(8, 0.5, 500),
        }
    )
    assert audit.spend_outliers(spend).empty
    med = float(np.median(spend["spend"]))
    spend.loc[10, "spend"], spend.loc[20, "spend"] = 30 * med, 5 * med
    got = audit.spend_outliers(spend)
    assert got["value"].tolist() == [pytest.approx(30 * med)]
    assert got["id"].iloc[0] == "google / c / 2026-01-11"
    assert audit.spend_outliers(spend.head(9)).empty  # too few to know the distribution


def test_sample_has_no_outliers(sample):
    s = audit_page.outliers(sample)
    assert s.tables["audit_outliers"].empty and "No money value is far out" in s.text


def test_partial_periods_marked_where_periods_are_shown(olist):
    """Before: the maturity table listed 2017Q2 (17 days) and 2018Q2 (61 days) as if
    whole; the executive summary did not say which quarters it compared."""
    s = _close(period.maturity(olist))
    assert "2018Q2 (partial: 61 of its 91 days)" in s.text
    assert "2017Q2 (partial: 17 of its 91 days)" in s.text
    whose = _close(summary.whose_part(olist))
    assert "Compared: 2017Q4 and 2018Q1, the last two whole quarters" in whose.text
    assert "2018Q2 holds leads only until 31 May" in whose.text


def test_olist_headline_compares_whole_quarters(olist):
    """Before this issue the headline compared 2018Q1 (three months) with 2018Q2 (April
    and May); default_periods now prefers complete ones."""
    t = _close(period.change(olist)).tables["change_sales"]
    assert t.attrs["labels"] == ("2017Q4", "2018Q1")
    rows = {p["period"]: p for p in olist.facts["periods"]}
    assert rows["2017Q4"]["complete"] and rows["2018Q1"]["complete"]


def test_main_cause_without_support_says_so():
    # one source, volume 100 -> 200, conversion .1 -> .2: two equal parts
    a = pd.DataFrame({"source": ["x"], "leads": [100], "sales": [10]})
    b = pd.DataFrame({"source": ["x"], "leads": [200], "sales": [40]})
    text = main_cause(decompose(a, b, mix="source"))
    assert "cannot yet tell whose part is larger" in text
