"""The executive summary's action table and routing on the sample: conversion with its
interval, the share classified, spend and the money at stake per action (closed forms
from the unit-economics counts), and the routing rule in the text."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from analysis.insight.context import report_context  # noqa: E402
from analysis.insight.numbers import fmt_rate  # noqa: E402
from analysis.render.sections import summary  # noqa: E402


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return report_context("sample", cache_dir=tmp_path_factory.mktemp("cache"))


def test_action_table_shows_conversion_spend_and_money_at_stake(sample):
    s = summary.actions(sample)
    t = s.tables["summary_actions"]
    view = s.views[0]
    view = getattr(view, "data", view)  # a Styler or a frame
    for col in ("conversion (95% CI)", "classified", "spend", "money at stake"):
        assert col in view.columns, col
    cut = t[t["action"] == "cut"].iloc[0]
    assert cut["at_stake"] == pytest.approx(cut["spend"])
    row = view.loc[t.index[t["action"] == "cut"][0]]
    assert row["money at stake"].startswith("stops ")
    assert row["conversion (95% CI)"] == fmt_rate(
        cut["conversion"], cut["conversion_low"], cut["conversion_high"]
    )
    scale = t[t["action"] == "scale"].iloc[0]
    assert scale["revenue_per_spend"] == pytest.approx(scale["romi"] + 1, rel=1e-6)
    assert "shares are of the classified leads" in s.text
    # the sample's ya_display_test has spend and no lead: a cut too, its whole spend
    # at stake (it was missing from the table, a third of the spend in some exports)
    assert "cut 2 (" in s.text and "spend " in s.text
    ghost = t[t["campaign"] == "ya_display_test"].iloc[0]
    spend = sample.dataset.spend
    assert ghost["action"] == "cut" and ghost["leads"] == 0
    assert ghost["spend"] == pytest.approx(
        spend.loc[spend["campaign"] == "ya_display_test", "spend"].sum()
    )
    assert "not one lead" in ghost["rule"]


def test_summary_routing_states_rule_and_workload(sample):
    s = summary.routing(sample)
    assert "Rule:" in s.text and "open)" in s.text
    r = s.tables["summary_routing"]
    sent = r[r["send"] == "yes"].groupby("manager")["qualification"].nunique()
    assert sent.max() < r["qualification"].nunique()
