"""Money the data do not record is shown as unknown with a reason, never as 0; class
shares in the funnel tables are taken among classified leads; the outliers every page
flags are one list in the report context's facts.

Each case is a shape of `test_shapes` (canonical leads through the generic profile's
loader steps), so the numbers checked here are hand counts of the generated frames.
"""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from analysis.insight import audit
from analysis.render.sections import funnel, summary
from analysis.render.tables import economics_view
from tests.test_shapes import Shape, context


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def no_revenue():
    """Sales without any recorded amount (a profile that maps no revenue column)."""
    return context(Shape(leads=400, sources=3, revenue="unknown", seed=3))


def test_unknown_revenue_is_empty_not_zero(no_revenue):
    ctx = no_revenue
    assert ctx.facts["sales"] > 0
    table = funnel.by_source(ctx).tables["economics_by_source"]
    sold = table[table["sales"] > 0]
    assert len(sold) and sold["revenue"].isna().all() and sold["romi"].isna().all()
    assert sold["note"].str.contains("no revenue recorded for its sales").all()
    view = economics_view(table, ["source"])
    assert (view.loc[table["sales"] > 0, "revenue, all leads"] == "unknown").all()
    # the headline numbers (run.json, the index): unknown is null, not 0
    head = ctx.headline()
    assert head["revenue"] is None and head["romi"] is None
    assert json.loads(json.dumps(head))["revenue"] is None


def test_rows_without_sales_keep_a_revenue_of_zero(no_revenue):
    """No sale, no revenue: that 0 is known, not missing."""
    ctx = no_revenue
    table = funnel.economics(ctx, ["source", "campaign"])
    none_sold = table[table["sales"] == 0]
    assert (none_sold["revenue"] == 0).all()


def test_partly_recorded_revenue_sums_what_is_known():
    ctx = context(Shape(leads=400, sources=2, revenue="varied", seed=5))
    leads = ctx.dataset.leads
    sold = leads[leads["converted"] == 1]
    first = sold.index[0]
    leads.loc[first, "revenue"] = np.nan  # one sale without an amount
    ctx = type(ctx)(ctx.dataset, ctx.engine, ctx.engine.table(leads), ctx.settings, ctx.facts)
    table = funnel.economics(ctx, ["source"]).set_index("source")
    src = leads.loc[first, "source"]
    now = leads[(leads["converted"] == 1) & (leads["source"] == src)]
    known = now["revenue"].sum()  # pandas skips the missing amount
    assert now["revenue"].isna().sum() == 1
    assert table.loc[src, "revenue"] == pytest.approx(known)
    assert "no revenue recorded" not in table.loc[src, "note"]


def test_class_shares_are_among_classified_leads():
    """18 hot and 1 warm of 19 classified leads, 131 unclassified: 95% hot, not 12%."""
    ctx = context(Shape(leads=150, sources=1, campaigns=1, seed=1))
    leads = ctx.dataset.leads.copy()
    cls = np.array(["unknown"] * 150, dtype=object)
    cls[:18], cls[18] = "hot", "warm"
    leads["qualification"] = pd.Categorical(cls, categories=leads["qualification"].cat.categories)
    ctx = type(ctx)(ctx.dataset, ctx.engine, ctx.engine.table(leads), ctx.settings, ctx.facts)
    table = funnel.economics(ctx, ["source"])
    view = economics_view(table, ["source"])
    assert view["hot/warm/cold of classified, %"].tolist() == ["95/5/0"]
    assert view["classified"].tolist() == ["19 (13%)"]


def test_outliers_are_one_list_in_the_facts():
    ctx = context(Shape(leads=600, sources=3, revenue="outlier", seed=2))
    kept = ctx.outliers()
    direct = audit.outliers_table(ctx.leads, ctx.spend, ctx.settings.period, ctx.engine)
    assert len(kept) >= 1 and kept["value"].max() == 5e7
    pd.testing.assert_frame_equal(
        kept.reset_index(drop=True), direct.reset_index(drop=True), check_dtype=False
    )
    assert kept.attrs["revenue"]["cut"] == pytest.approx(direct.attrs["revenue"]["cut"])
    # the facts survive JSON (they are kept beside the dataset cache)
    again = json.loads(json.dumps(ctx.facts["outliers"]))
    assert again["rows"][0][again["columns"].index("value")] == 5e7
    assert summary.headline(ctx).text  # the summary still renders with the flag
