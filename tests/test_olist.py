"""The real Olist funnel: the kit's numbers must equal a plain pandas count of the raw
files (the independent reference)."""

import pandas as pd
import pytest

from analysis.base.paths import EXAMPLES_DIR
from analysis.ingest.load import load_dataset
from analysis.insight.audit import outcome_dependent_fields
from analysis.stats.economics import unit_economics

RAW = EXAMPLES_DIR / "olist"


@pytest.fixture(scope="module")
def ds():
    return load_dataset("olist")


def test_conversion_by_origin_matches_plain_pandas(ds):
    mql = pd.read_csv(RAW / "olist_marketing_qualified_leads_dataset.csv")
    deals = pd.read_csv(RAW / "olist_closed_deals_dataset.csv")
    mql["won"] = mql["mql_id"].isin(deals["mql_id"])
    origin = mql["origin"].fillna("unknown")
    ref = mql.groupby(origin)["won"].agg(["size", "sum"])
    t = unit_economics(ds.leads, ds.spend, by=["source"]).set_index("source")
    assert t["leads"].to_dict() == ref["size"].to_dict()
    assert t["sales"].to_dict() == ref["sum"].astype(int).to_dict()
    assert (t["conversion"] - ref["sum"] / ref["size"]).abs().max() < 1e-12
    assert len(ds.leads) == 8000 and ds.leads["converted"].sum() == 842


def test_revenue_and_dates_match_raw(ds):
    deals = pd.read_csv(RAW / "olist_closed_deals_dataset.csv")
    assert ds.leads["revenue"].sum() == pytest.approx(deals["declared_monthly_revenue"].sum())
    won = pd.to_datetime(deals["won_date"], format="%d-%m-%Y %H:%M")
    got = ds.leads.set_index("lead_id").loc[deals["mql_id"], "won_at"]
    assert (got.to_numpy() == won.to_numpy()).all()


def test_olist_says_what_it_cannot_tell(ds):
    assert not ds.has_spend
    assert outcome_dependent_fields(ds.leads) == ["segment"]
    assert (ds.leads["qualification"].astype(str) == "unknown").all()
