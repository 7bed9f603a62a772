"""The executive summary's action table and routing on the sample: conversion with its
interval, the share classified, spend and the money at stake per action (closed forms
from the unit-economics counts), and the routing rule in the text."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from analysis.insight.context import report_context  # noqa: E402
from analysis.insight.numbers import fmt_rate, money, signed_money  # noqa: E402
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
    # the spend in the rule's words carries the currency, as every sum on the page
    assert money(ghost["spend"], sample.currency) in ghost["rule"] and sample.currency


def test_signed_numbers_read_as_signed():
    """A range across zero signs its positive bound (a reader saw "−47 to 35"), and a
    change of money carries its sign with a true minus and never reads "-0"."""
    assert fmt_rate(-0.15, -0.47, 0.35, digits=0) == "\u221215% (\u221247 to +35)"
    assert fmt_rate(-0.5, -0.8, -0.2, digits=0) == "\u221250% (\u221280 to \u221220)"
    assert fmt_rate(0.2, 0.1, 0.3, digits=0) == "20% (10\u201330)"
    assert fmt_rate(-0.1, -0.2, 0.0001, digits=0) == "\u221210% (\u221220 to 0)"
    assert signed_money(2_171_996.4, "RUB") == "+2\u202f171\u202f996\u00a0RUB"
    assert signed_money(-111_000, None) == "\u2212111\u202f000"
    assert signed_money(-0.3, None) == "0" and signed_money(0.4, None) == "0"


def test_summary_routing_states_rule_and_workload(sample):
    s = summary.routing(sample)
    assert "Rule:" in s.text and "open)" in s.text
    r = s.tables["summary_routing"]
    sent = r[r["send"] == "yes"].groupby("manager")["qualification"].nunique()
    assert sent.max() < r["qualification"].nunique()
