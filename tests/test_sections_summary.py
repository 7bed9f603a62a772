"""The executive summary's sections on the sample and on the Olist example: headline
numbers from the report context's facts, the change and the actions as their own
functions compute them, and plain words where the data cannot support a section."""

import matplotlib.pyplot as plt
import pytest

from analysis.insight.context import report_context
from analysis.insight.numbers import fmt_money
from analysis.insight.recommend import recommend
from analysis.render.sections import period, summary


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


def test_headline_numbers_are_the_facts(sample):
    f, t = sample.facts, sample.facts["totals"]
    text = summary.headline(sample).text
    leads = sample.dataset.leads
    assert f["leads"] == len(leads) and f["sales"] == int(leads["converted"].sum())
    assert f"**{fmt_money(f['leads'])} leads**" in text
    assert f"**{fmt_money(f['sales'])} sales**" in text
    assert fmt_money(t["spend"]) in text and fmt_money(t["cpl"]) in text
    assert fmt_money(t["cac"]) in text and f"over {fmt_money(t['paid_sales'])} sales" in text
    assert "ПромСнаб" not in text


def test_whose_part_is_the_period_change(sample):
    s = _close(summary.whose_part(sample))
    change = s.tables["summary_change"]
    same = _close(period.change(sample)).tables["change_sales"]
    assert change[["part", "value"]].equals(same[["part", "value"]])
    assert "mainly through marketing's lead mix" in s.text
    # 81 sales among the 2,327 Q2 leads 30 days old, scaled to its 3,060 leads: 106.5
    assert "about 106 in 2026Q2" in s.text and "leads too young" in s.text
    assert s.figure is not None


def test_actions_are_recommend_on_the_context(sample):
    s = summary.actions(sample)
    table = s.tables["summary_actions"]
    direct = recommend(sample.dataset.leads, sample.spend, by=["source", "campaign"])
    assert table[["campaign", "action", "leads", "sales"]].equals(
        direct[["campaign", "action", "leads", "sales"]]
    )
    assert table["leads"].sum() == sample.facts["leads"]
    assert table.set_index("campaign").loc["tg_channel_ads", "action"] == "cut"
    assert f"each of the {len(table)} campaigns" in s.text


def test_cheap_leads_and_routing_on_the_sample(sample):
    cheap = _close(summary.cheap_leads(sample))
    assert not cheap.empty and "cost per lead" in cheap.text and cheap.figure is not None
    routing = summary.routing(sample)
    assert not routing.empty and "→" in routing.text


def test_olist_says_what_it_cannot_tell(olist):
    assert "No spend data" in summary.headline(olist).text
    cheap = summary.cheap_leads(olist)
    assert cheap.empty and cheap.text.startswith("No spend data")
    routing = summary.routing(olist)
    assert routing.empty and "do not say which manager" in routing.text
    actions = summary.actions(olist)
    assert set(actions.tables["summary_actions"]["action"]) <= {"keep", "wait"}
    assert actions.tables["summary_actions"]["leads"].sum() == olist.facts["leads"]
    s = _close(summary.whose_part(olist))
    assert "2018Q2 holds leads only until 31 May" in s.text
    # every Olist lead of both quarters is 30 days old: nothing is estimated
    assert "estimated" not in s.text and "sales closed more than 30 days" in s.text
    caveats = summary.caveats(olist).text
    assert olist.facts["maturity"]["caveat"] in caveats
    assert "segment is known only for converted leads" in caveats
    for text in (caveats, s.text, actions.text):
        assert "Olist" not in text
