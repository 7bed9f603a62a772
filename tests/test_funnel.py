"""Unit economics, checked against numbers worked out by hand from the tiny export in
conftest.py (two paid campaigns and one lead with no source)."""

import numpy as np
import pandas as pd
import pytest

from analysis.ingest.load import load_dataset
from analysis.stats.economics import lead_cells, unit_economics
from analysis.stats.intervals import wilson_interval


@pytest.fixture
def ds(generic_files):
    return load_dataset("generic", {k: str(v) for k, v in generic_files.items()})


def test_by_source_by_hand(ds):
    t = unit_economics(ds.leads, ds.spend, by=["source"]).set_index("source")
    assert list(t.index) == ["unknown", "vk", "yandex"]
    vk, ya, unk = t.loc["vk"], t.loc["yandex"], t.loc["unknown"]
    # vk: 2 leads, spend 50, 1 sale with revenue 500
    assert (vk["leads"], vk["paid_leads"], vk["sales"], vk["spend"]) == (2, 2, 1, 50.0)
    assert vk["cpl"] == 25.0 and vk["cac"] == 50.0 and vk["romi"] == pytest.approx(9.0)
    assert np.isnan(vk["cpql"])  # both vk leads are cold: no qualified lead to divide by
    # yandex: 2 leads (1 hot, 1 warm), spend 400, 1 sale with revenue 1000
    assert ya["cpl"] == 200.0 and ya["cpql"] == 200.0 and ya["cac"] == 400.0
    assert ya["romi"] == pytest.approx(1.5) and ya["hot_share"] == 0.5
    lo, hi = wilson_interval(1, 2)
    assert ya["cac_low"] == pytest.approx(200.0 / hi) and ya["cac_high"] == pytest.approx(
        200.0 / lo
    )
    assert (vk["rank_cpl"], ya["rank_cpl"], vk["rank_cac"], ya["rank_cac"]) == (1, 2, 1, 2)
    # no spend for the unknown source: cost columns empty and said so, never 0
    assert np.isnan(unk["cpl"]) and np.isnan(unk["cac"]) and unk["note"] == "no spend recorded"
    assert t["data"].eq("too few leads").all()


def test_no_spend_data_means_nan_costs_with_a_note(ds):
    t = unit_economics(ds.leads, None, by=["source"])
    assert t[["spend", "cpl", "cpql", "cac", "romi"]].isna().all().all()
    assert (t["note"] == "no spend data").all()


def test_spend_allocated_to_segments_sums_to_total(ds):
    leads = ds.leads.copy()
    leads.loc[leads["lead_id"] == "2", "segment"] = "Mid"  # brand now spans SMB and Mid
    t = unit_economics(leads, ds.spend, by=["segment"]).set_index("segment")
    # brand 400 split 1:1 over its two leads; quiz 50 goes to Mid
    assert t.loc["SMB", "spend"] == pytest.approx(200.0)
    assert t.loc["Mid", "spend"] == pytest.approx(250.0)
    assert t["spend"].sum() == pytest.approx(ds.spend["spend"].sum())


def test_spend_without_leads_stays_visible(ds):
    spend = pd.concat(
        [
            ds.spend,
            pd.DataFrame(
                {
                    "date": pd.to_datetime(["2026-02-02"]).astype("datetime64[us]"),
                    "source": ["google"],
                    "campaign": ["display"],
                    "spend": [70.0],
                    "clicks": pd.array([1], "Int64"),
                    "impressions": pd.array([10], "Int64"),
                }
            ),
        ],
        ignore_index=True,
    )
    t = unit_economics(ds.leads, spend, by=["source", "campaign"]).set_index(["source", "campaign"])
    row = t.loc[("google", "display")]
    assert row["leads"] == 0 and row["spend"] == 70.0 and row["note"] == "spend but no leads"
    assert t["spend"].sum() == pytest.approx(520.0)


def test_weekly_grouping_joins_spend_by_week(ds):
    t = unit_economics(ds.leads, ds.spend, by=["week"])
    assert t["week"].tolist() == ["2026-01-05"] and t["spend"].tolist() == [450.0]
    assert t["cpl"].tolist() == [450.0 / 4]  # 4 paid leads; lead 5 has no campaign


def test_lead_cells_counts_are_integers(ds):
    cells = lead_cells(ds.leads, ["source", "qualification"])
    assert cells["leads"].sum() == 5 and cells["sales"].sum() == 2
    assert all(str(cells[c].dtype) == "int64" for c in ("leads", "hot", "sales"))


def test_bad_grouping_is_a_clear_error(ds):
    with pytest.raises(ValueError, match="cannot group by"):
        unit_economics(ds.leads, ds.spend, by=["colour"])
    with pytest.raises(ValueError, match="no column"):
        unit_economics(ds.leads.drop(columns="segment"), ds.spend, by=["segment"])
