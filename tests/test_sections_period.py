"""The period-change page's sections on the sample and on the Olist example: the
numbers they show equal the report context's facts or an independent pandas count, the
totals at equal age are said to be estimates, and the pair compared is whole."""

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from analysis.insight.context import report_context
from analysis.insight.findings import main_cause
from analysis.insight.numbers import fmt_money
from analysis.render.sections import period
from analysis.stats.decompose import decompose
from analysis.stats.maturity import conversion_at_age
from analysis.stats.period_change import default_periods


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return report_context("sample", cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def olist(tmp_path_factory):
    return report_context("olist", cache_dir=tmp_path_factory.mktemp("cache"))


def _close(section):
    if section.figure is not None:
        plt.close(section.figure)
    return section


def _periods(ctx) -> dict:
    return {p["period"]: p for p in ctx.facts["periods"]}


def test_change_totals_are_the_facts_counts_and_parts_add_up(sample):
    s = _close(period.change(sample))
    t = s.tables["change_sales"]
    totals = t[t["kind"] == "total"].set_index("part")["value"]
    facts = _periods(sample)
    assert t.attrs["labels"] == ("2026Q1", "2026Q2")
    assert totals["period_a"] == facts["2026Q1"]["sales"] == 172
    assert totals["period_b"] == facts["2026Q2"]["sales"] == 108
    assert t.loc[t["kind"] == "part", "value"].sum() == pytest.approx(-64, abs=1e-9)
    # an independent count: converted leads by quarter of creation
    leads = sample.dataset.leads
    by_q = leads.groupby(leads["created_at"].dt.to_period("Q").astype(str))["converted"].sum()
    assert by_q.loc["2026Q1"] == 172 and by_q.loc["2026Q2"] == 108
    assert "mainly through marketing's lead mix" in s.text
    assert "average contribution, in sales" in s.text
    assert s.figure is not None and len(s.views) == 1


def test_equal_age_totals_are_estimates_said_in_words(sample):
    s = period.equal_age(sample)
    t = s.tables["change_sales_equal_age"]
    assert t.attrs["estimated"] == (False, True)  # every Q1 lead is 30 days old
    a, b = t.attrs["counts"]
    assert (a["leads"], a["leads_aged"], a["sales_within"]) == (1275, 1275, 152)
    assert (b["leads"], b["leads_aged"], b["sales_within"]) == (3060, 2327, 81)
    assert b["leads"] == _periods(sample)["2026Q2"]["leads"]
    assert "estimated for all leads at the rate of the leads old enough" in s.text
    assert "152 in 2026Q1 (observed)" in s.text
    assert (
        f"about 106 in 2026Q2 (81 observed among the {fmt_money(2327)} leads at least 30 "
        f"days old, scaled to {fmt_money(3060)})"
    ) in s.text
    assert "106.5" not in s.text  # a count is never shown with a decimal


def test_maturity_counts_equal_the_facts(sample):
    s = _close(period.maturity(sample))
    at_age = s.tables["maturity_conversion_at_age"].set_index("quarter")
    for key, p in _periods(sample).items():
        assert at_age.loc[key, "leads"] == p["leads"]
        assert at_age.loc[key, "sales"] == p["sales"]
    assert (at_age["left_out"] == 0).all()
    assert not s.tables["maturity_curves"].empty


def test_lead_age_is_the_facts_caveat_on_both_pages(sample):
    from analysis.render.sections import summary

    caveat = sample.facts["maturity"]["caveat"]
    assert caveat and caveat in period.lead_age(sample).text
    assert caveat in summary.caveats(sample).text


def test_olist_compares_whole_quarters_and_says_what_is_left(olist):
    facts = _periods(olist)
    assert not facts["2018Q2"]["complete"] and facts["2018Q1"]["complete"]
    assert period.pair(olist) == ("2017Q4", "2018Q1")
    s = _close(period.change(olist))
    assert "2018Q2 holds leads only until 31 May (61 of its 91 days)" in s.text
    # asked for explicitly, the partial quarter is compared, and said to be partial
    asked = _close(period.change(olist, "2018Q1", "2018Q2"))
    assert "2018Q2 holds leads only until 31 May" in asked.text
    assert "covers only part of the quarter" in asked.text


def test_olist_time_measures_leave_out_a_bad_date_but_counts_stay(olist):
    s = _close(period.maturity(olist))
    at_age = s.tables["maturity_conversion_at_age"].set_index("quarter")
    for key, p in _periods(olist).items():
        assert (at_age.loc[key, "leads"], at_age.loc[key, "sales"]) == (p["leads"], p["sales"])
    assert at_age.loc["2018Q1", ["leads", "sales"]].tolist() == [3343, 468]
    assert at_age.loc["2018Q1", "left_out"] == 1 and at_age["left_out"].sum() == 1
    assert at_age.loc["2018Q1", "aged_leads"] == 3342  # the bad lead is not timed
    assert "1 dated lead (1 of 2018Q1) is counted in leads and sales but left out" in s.text
    assert "won_at before created_at" in s.text


def test_olist_empty_or_neutral_sections(olist):
    assert not olist.can["qualification"]
    assert period.mix(olist) == ("source",)
    for section in (period.change(olist), period.revenue(olist), period.drivers(olist)):
        _close(section)
        assert "Olist" not in section.text and not section.empty


def test_no_two_periods_says_why(sample, tmp_path):
    ctx = sample
    few = report_context("sample", cache_dir=tmp_path, min_leads=10**6)
    s = period.change(few)
    assert s.empty and "Fewer than two quarters with 1000000 leads" in s.text
    assert period.key_numbers(s, "change_sales") == "none"
    assert period.key_numbers(_close(period.change(ctx)), "change_sales").split()[0] == "part"


def test_default_periods_prefers_complete_periods():
    rows = [
        {"period": "2025Q4", "leads": 100, "complete": True},
        {"period": "2026Q1", "leads": 120, "complete": True},
        {"period": "2026Q2", "leads": 90, "complete": False},
    ]
    assert default_periods(None, periods=rows) == ("2025Q4", "2026Q1")
    # fewer than two complete periods: the last two with enough leads
    rows[0]["complete"] = False
    assert default_periods(None, periods=rows) == ("2026Q1", "2026Q2")
    assert default_periods(None, min_leads=110, periods=rows) is None


def test_default_periods_on_the_engine_agrees_with_the_facts(olist):
    on_engine = default_periods(olist.leads, "quarter", 30, engine=olist.engine)
    assert on_engine == period.pair(olist) == ("2017Q4", "2018Q1")


def test_decompose_marks_estimated_totals_and_main_cause_rounds_them():
    a = pd.DataFrame(
        {"source": ["x"], "leads": [100], "sales": [10], "sales_within": [8], "leads_aged": [100]}
    )
    b = pd.DataFrame(
        {"source": ["x"], "leads": [300], "sales": [12], "sales_within": [9], "leads_aged": [200]}
    )
    t = decompose(a, b, mix=("source",), within_days=30, labels=("Q1", "Q2"))
    assert t.attrs["estimated"] == (False, True)
    assert t.attrs["counts"][1] == {"leads": 300, "sales": 12, "leads_aged": 200, "sales_within": 9}
    text = main_cause(t)  # B: 9 / 200 x 300 = 13.5
    assert text.startswith(
        "Sales within 30 days, estimated for all leads at the rate of the leads old enough, "
        "rose by about 6: from 8 in Q1 (observed) to about 14 in Q2 (9 observed among the "
        "200 leads at least 30 days old, scaled to 300)"
    )
    plain = decompose(a, b, mix=("source",))
    assert plain.attrs["estimated"] == (False, False)
    assert main_cause(plain).startswith("Sales rose from 10 in A to 12 in B (+2; 95% interval")


def test_conversion_at_age_counts_every_lead(sample):
    leads = sample.dataset.leads.copy()
    bad = leads.index[leads["converted"] == 1][:3]
    leads.loc[bad, "won_at"] = leads.loc[bad, "created_at"] - pd.Timedelta(days=2)
    t = conversion_at_age(leads, days=30)
    assert t["leads"].iloc[0] == len(leads) and t["sales"].iloc[0] == leads["converted"].sum()
    assert t["left_out"].iloc[0] == 3
    assert t["aged_leads"].iloc[0] + t["young_leads"].iloc[0] == len(leads) - 3
