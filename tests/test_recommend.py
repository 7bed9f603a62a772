"""Recommendations: each rule fires on a campaign built to fire it, thresholds are
parameters, and without spend or qualification nothing is invented."""

import numpy as np
import pandas as pd
import pytest

from analysis.ingest.load import load_dataset
from analysis.insight.recommend import Thresholds, recommend
from analysis.sample.large import synthetic_leads

# campaign: (leads, hot, warm, cold shares, sales, spend, revenue per sale)
CAMPAIGNS = {
    "star": (400, (0.5, 0.3, 0.2), 80, 100_000.0, 10_000.0),  # hot, pays back -> scale
    "loser": (600, (0.05, 0.15, 0.8), 6, 300_000.0, 10_000.0),  # ROMI < 0 for sure -> cut
    "lukewarm": (400, (0.1, 0.6, 0.3), 20, 50_000.0, 10_000.0),  # warm-heavy -> rework
    "coldish": (500, (0.05, 0.1, 0.85), 10, 20_000.0, 10_000.0),  # cold, sells -> route
    "tiny": (12, (0.5, 0.3, 0.2), 2, 5_000.0, 10_000.0),  # too few leads -> wait
}


def _data():
    parts = []
    for name, (n, (h, w, c), k, _, rps) in CAMPAIGNS.items():
        f = synthetic_leads(n, seed=len(parts))
        counts = np.round(np.array([h, w, c]) * n).astype(int)
        counts[2] = n - counts[:2].sum()
        q = np.repeat(["hot", "warm", "cold"], counts)
        f["qualification"] = pd.Categorical(
            q, categories=f["qualification"].cat.categories, ordered=True
        )
        f["converted"] = (np.arange(n) < k).astype("int8")
        f["revenue"] = np.where(f["converted"] == 1, rps, 0.0)
        f["source"] = "src"
        f["campaign"] = name
        parts.append(f)
    leads = pd.concat(parts, ignore_index=True)
    leads["lead_id"] = [f"L{i}" for i in range(len(leads))]
    leads["lead_id"] = leads["lead_id"].astype("str")
    spend = pd.DataFrame(
        {
            "date": pd.to_datetime(["2026-01-05"] * len(CAMPAIGNS)).astype("datetime64[us]"),
            "source": "src",
            "campaign": list(CAMPAIGNS),
            "spend": [v[3] for v in CAMPAIGNS.values()],
        }
    )
    spend["source"] = spend["source"].astype("str")
    spend["campaign"] = spend["campaign"].astype("str")
    return leads, spend


def test_each_rule_fires_where_built():
    leads, spend = _data()
    t = recommend(leads, spend).set_index("campaign")
    assert t.loc["star", "action"] == "scale"
    assert t.loc["loser", "action"] == "cut"  # ROMI (60,000 - 300,000) / 300,000 = -80%
    assert t.loc["loser", "romi"] == pytest.approx(-0.8)
    assert t.loc["lukewarm", "action"] == "rework offer"
    assert t.loc["coldish", "action"] == "route fast"
    assert t.loc["tiny", "action"] == "wait" and "too few to judge" in t.loc["tiny", "rule"]
    # every row shows its evidence
    assert t[["leads", "sales", "conversion_low", "conversion_high"]].notna().all().all()
    assert (t["rule"] != "").all()


def test_thresholds_are_parameters():
    leads, spend = _data()
    strict = recommend(leads, spend, thresholds=Thresholds(hot_share=0.6)).set_index("campaign")
    assert strict.loc["star", "action"] != "scale"  # 50% hot is under a 60% bar
    assert recommend(leads, spend).attrs["thresholds"]["hot_share"] == 0.30


def test_without_spend_nothing_is_scaled_or_cut():
    leads, _ = _data()
    t = recommend(leads, None).set_index("campaign")
    assert not t["action"].isin(["scale", "cut"]).any()
    assert t[["cac", "romi"]].isna().all().all()


def test_olist_degrades_gracefully():
    ds = load_dataset("olist")
    t = recommend(ds.leads, ds.spend, by=["source"])
    assert set(t["action"]) <= {"keep", "wait"}
    assert t.loc[t["action"] == "keep", "rule"].str.contains("no spend").all()


def test_sample_cuts_telegram_and_scales_brand_search():
    ds = load_dataset("sample")
    t = recommend(ds.leads, ds.spend).set_index("campaign")
    assert t.loc["tg_channel_ads", "action"] == "cut"
    assert t.loc["ya_brand_search", "action"] == "scale"
    assert t.loc["vk_leadform_quiz", "action"] in {"route fast", "cut"}


def _hot_but_unclassified(classified: int):
    """150 leads of which ``classified`` carry a class (all but one hot), 30 sales of
    10,000 each, spend 50,000: ROMI (300,000 - 50,000) / 50,000 = 500%."""
    leads, spend = _data()
    f = synthetic_leads(150, seed=99)
    q = np.array(["hot"] * (classified - 1) + ["cold"] + [None] * (150 - classified), dtype=object)
    f["qualification"] = pd.Categorical(
        q, categories=f["qualification"].cat.categories, ordered=True
    )
    f["converted"] = (np.arange(150) < 30).astype("int8")
    f["revenue"] = np.where(f["converted"] == 1, 10_000.0, 0.0)
    f["source"], f["campaign"] = "src", "hotform"
    leads = pd.concat([leads, f], ignore_index=True)
    leads["lead_id"] = pd.Series([f"L{i}" for i in range(len(leads))], dtype="str")
    extra = spend.iloc[:1].assign(campaign="hotform", spend=50_000.0)
    return leads, pd.concat([spend, extra], ignore_index=True)


def test_class_shares_are_of_classified_leads():
    """The issue's channel: 18 hot of 19 classified leads (12.7% of all). Of all leads
    the hot share is 12% and no rule fired; of the classified it is 18/19 (closed form)
    and the paying campaign is scaled, with the share classified shown."""
    leads, spend = _hot_but_unclassified(19)
    t = recommend(leads, spend).set_index("campaign")
    row = t.loc["hotform"]
    assert row["hot_share"] == pytest.approx(18 / 19)
    assert row["classified_share"] == pytest.approx(19 / 150)
    assert row["action"] == "scale" and "of 19 classified" in row["rule"]


def test_too_few_classified_is_said_not_read_as_a_mix():
    leads, spend = _hot_but_unclassified(5)
    row = recommend(leads, spend).set_index("campaign").loc["hotform"]
    assert row["action"] == "keep" and "too few classified" in row["rule"]


def test_money_at_stake_per_action():
    """Closed forms: a cut stops the campaign's spend (300,000, which brought back
    6 x 10,000); a scaled campaign brings back revenue / spend = 800,000 / 100,000."""
    leads, spend = _data()
    t = recommend(leads, spend).set_index("campaign")
    assert t.loc["loser", "at_stake"] == pytest.approx(300_000.0)
    assert t.loc["loser", "revenue"] == pytest.approx(60_000.0)
    assert t.loc["star", "revenue_per_spend"] == pytest.approx(8.0)
    assert recommend(leads, None)["at_stake"].isna().all()
