"""Budget what-if (issue 15): figures checked by hand on a small company, and the
sample's default (move the cut campaigns' spend to the scaled ones)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.stats.intervals import z_value
from analysis.stats.whatif import budget_what_if, headroom


def _spend():
    # A runs 4 weeks at 10, 10, 10, 30 (busiest 30: headroom 4*30 - 60 = 60);
    # B runs 2 weeks at 50, 50 (headroom 0); C runs 2 weeks at 20 and 40.
    days = pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"])
    rows = [("s", "A", d, v) for d, v in zip(days, [10, 10, 10, 30], strict=True)]
    rows += [("s", "B", days[0], 50.0), ("s", "B", days[1], 50.0)]
    rows += [("s", "C", days[0], 20.0), ("s", "C", days[1], 40.0)]
    return pd.DataFrame(rows, columns=["source", "campaign", "date", "spend"])


def _economics():
    return pd.DataFrame(
        {
            "source": ["s", "s", "s"],
            "campaign": ["A", "B", "C"],
            "spend": [60.0, 100.0, 60.0],
            "paid_leads": [100, 200, 50],
            "paid_sales": [12, 4, 5],
            "conversion_low": [0.06, 0.005, 0.03],
            "conversion_high": [0.2, 0.05, 0.22],
            "paid_revenue": [1200.0, 800.0, 500.0],
        }
    )


def test_headroom_by_hand():
    got = headroom(_spend(), ["source", "campaign"]).set_index("campaign")
    assert got.loc["A", ["spend", "weeks", "busiest", "headroom"]].tolist() == [60, 4, 30, 60]
    assert got.loc["B", "headroom"] == 0
    assert got.loc["C", "headroom"] == 2 * 40 - 60


def test_moving_a_sum_by_hand():
    """Move 50 from B to A and C. A's headroom 60 and C's 20: A gets 50*60/80 = 37.5,
    C 12.5. B loses 50 * 4/100 = 2 sales; A gains 37.5 * 12/60 = 7.5, C 12.5 * 5/60 =
    1.0417; net 6.5417. Revenue: -2*200 + 7.5*100 + 1.0417*100 = 454.17."""
    w = budget_what_if(_economics(), _spend(), cut=["B"], scale=["A", "C"], amount=50)
    t = w.table.set_index("campaign")
    assert t.loc["B", "moved"] == pytest.approx(-50)
    assert t.loc["A", "moved"] == pytest.approx(37.5)
    assert t.loc["C", "moved"] == pytest.approx(12.5)
    assert t.loc["B", "sales_change"] == pytest.approx(-2.0)
    assert t.loc["A", "sales_change"] == pytest.approx(7.5)
    assert w.sales_change == pytest.approx(-2 + 7.5 + 12.5 / 12)
    assert w.revenue_change == pytest.approx(-400 + 750 + 12.5 / 12 * 100)
    assert w.moved == 50 and w.unplaced == 0
    # interval: B's part from -50*200*0.05/100 = -5 to -0.5; A's 37.5*100*(0.06..0.2)/60
    assert t.loc["B", "sales_change_low"] == pytest.approx(-5.0)
    assert t.loc["B", "sales_change_high"] == pytest.approx(-0.5)
    assert t.loc["A", "sales_change_low"] == pytest.approx(3.75)
    assert t.loc["A", "sales_change_high"] == pytest.approx(12.5)
    z = z_value(0.95)
    se = [(-0.5 + 5) / (2 * z), (12.5 - 3.75) / (2 * z), 12.5 * 50 * (0.22 - 0.03) / 60 / (2 * z)]
    half = z * sum(s * s for s in se) ** 0.5
    assert w.sales_low == pytest.approx(w.sales_change - half)
    assert w.sales_high == pytest.approx(w.sales_change + half)


def test_no_extrapolation_beyond_the_observed_range():
    """Asked to move 200 when B spent 100 and the scaled campaigns have 80 of headroom:
    80 moves, 120 stays unplaced."""
    w = budget_what_if(_economics(), _spend(), cut=["B"], scale=["A", "C"], amount=200)
    assert w.moved == pytest.approx(80) and w.unplaced == pytest.approx(120)
    w = budget_what_if(_economics(), _spend(), cut=["A"], scale=["B"])
    assert w.reason == "no headroom" and w.moved == 0


def test_nothing_to_move_says_why():
    assert budget_what_if(_economics(), None, ["B"], ["A"]).reason == "no spend"
    assert budget_what_if(_economics(), _spend(), [], ["A"]).reason == "no cut"
    assert budget_what_if(_economics(), _spend(), ["B"], []).reason == "no scale"
    with pytest.raises(ValueError, match="negative"):
        budget_what_if(_economics(), _spend(), ["B"], ["A"], amount=-1)


def test_the_samples_default_by_hand():
    """The sample: cut tg_channel_ads (308,086.98 spent, 6 paid sales) and
    ya_display_test (58,684.54, none), scale ya_brand_search (822,113.50 spent, 73 paid
    sales, headroom above the sum): the 366,771.52 moved buy 366,771.52 x 73 / 822,113.50
    = 32.57 sales and lose 6, net 26.57."""
    from analysis.ingest.load import load_dataset
    from analysis.insight.recommend import recommend
    from analysis.stats.economics import unit_economics

    ds = load_dataset("sample")
    econ = unit_economics(ds.leads, ds.spend, by=["source", "campaign"])
    rec = recommend(ds.leads, ds.spend)
    cut, scale = rec[rec["action"] == "cut"], rec[rec["action"] == "scale"]
    assert sorted(cut["campaign"]) == ["tg_channel_ads", "ya_display_test"]
    assert list(scale["campaign"]) == ["ya_brand_search"]
    w = budget_what_if(econ, ds.spend, cut, scale)
    assert w.moved == pytest.approx(308_086.98 + 58_684.54)
    assert w.sales_change == pytest.approx(366_771.52 * 73 / 822_113.50 - 6, rel=1e-6)
    assert w.sales_low < w.sales_change < w.sales_high
