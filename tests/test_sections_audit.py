"""The data-audit page's sections on the sample and Olist: every number another page
also shows is the report context's, and the counts equal plain pandas counts of the
leads."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from analysis.insight.context import report_context
from analysis.insight.numbers import fmt_money
from analysis.render.sections import audit
from analysis.stats.economics import spend_by


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    return report_context("sample", cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def olist(tmp_path_factory):
    return report_context("olist", cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _value(table: pd.DataFrame, start: str) -> str:
    rows = table[table["measure"].str.startswith(start)]
    assert len(rows) == 1, f"no single row starting {start!r}: {table['measure'].tolist()}"
    return rows["value"].iloc[0]


def test_lead_age_is_the_contexts_one_definition(ctx):
    s = audit.lead_age(ctx)
    table, m = s.tables["audit_lead_age"], ctx.facts["maturity"]
    assert list(table.columns) == ["measure", "value"]
    assert _value(table, "data end") == ctx.facts["data_end"]
    assert _value(table, "days from lead to sale, median") == f"{m['days_50']:.0f}"
    assert _value(table, "days from lead to sale, 90th") == f"{m['days_90']:.0f}"
    young = _value(table, f"leads younger than {m['young_days']:.0f} days")
    assert young.startswith(fmt_money(m["young_leads"]) + " (")
    assert _value(table, "leads left out") == "none"
    assert fmt_money(m["young_leads"]) in s.text and ctx.facts["data_end"] in s.text
    # the young leads, counted here: under young_days whole days old at the data's end
    leads = ctx.dataset.leads
    end = max(leads["created_at"].max(), leads["won_at"].max())
    assert str(end.date()) == ctx.facts["data_end"]
    age = ((end - leads["created_at"]).dt.total_seconds() // 86400).astype(int)
    assert m["young_leads"] == int((age < m["young_days"]).sum()) > 0
    assert m["young_share"] == pytest.approx(m["young_leads"] / len(leads))


def test_lead_age_says_which_leads_are_left_out(olist):
    s = audit.lead_age(olist)
    excluded = olist.facts["maturity"]["excluded"]
    assert excluded["sale_before_lead"] >= 1
    left = _value(s.tables["audit_lead_age"], "leads left out")
    assert "sale dated before its lead" in left and left.startswith(
        fmt_money(sum(excluded.values()))
    )
    assert "sale dated before its lead" in s.text


def test_spend_numbers_are_the_contexts(ctx):
    s = audit.spend_match(ctx)
    table = s.tables["audit_spend_match"].set_index("what")
    spend, totals = ctx.facts["spend"], ctx.facts["totals"]
    assert table.loc["spend, total", "count"] == pytest.approx(spend["total"], abs=0.01)
    assert table.loc["spend on campaigns with no leads", "count"] == pytest.approx(
        spend["on_campaigns_without_leads"], abs=0.01
    )
    assert spend["on_campaigns_without_leads"] > 0
    cpl = table.loc["cost per lead (all spend / paid leads)", "count"]
    assert cpl == pytest.approx(totals["cpl"], abs=0.01)
    assert totals["cpl"] == pytest.approx(spend["total"] / totals["paid_leads"])
    for text in (s.text, audit.headline(ctx).text):
        assert fmt_money(spend["total"]) in text
        assert f"of which {fmt_money(spend['on_campaigns_without_leads'])}" in text
        assert fmt_money(totals["cpl"]) in text and fmt_money(totals["paid_leads"]) in text
    head = audit.headline(ctx).text
    assert fmt_money(ctx.facts["leads"]) in head and fmt_money(ctx.facts["sales"]) in head


def test_weekly_activity_equals_a_pandas_count(ctx):
    s = audit.weekly(ctx)
    table = s.tables["audit_weekly"]
    assert list(table.columns) == ["week", "leads", "sales", "spend", "gap"]
    leads = ctx.dataset.leads
    monday = (
        leads["created_at"].dt.normalize()
        - pd.to_timedelta(leads["created_at"].dt.day_of_week, unit="D")
    ).dt.strftime("%Y-%m-%d")
    counted = leads.groupby(monday).agg(leads=("lead_id", "size"), sales=("converted", "sum"))
    got = table.set_index("week")
    assert (got.loc[counted.index, "leads"] == counted["leads"]).all()
    assert (got.loc[counted.index, "sales"] == counted["sales"]).all()
    assert int(got["leads"].sum()) == ctx.facts["leads"]
    assert int(got["sales"].sum()) == ctx.facts["sales"]
    assert got["spend"].sum() == pytest.approx(ctx.facts["spend"]["total"])
    assert s.figure is not None


def test_spend_weeks_start_on_monday():
    spend = pd.DataFrame(
        {
            "date": pd.to_datetime(
                ["2026-01-04 00:00", "2026-01-05 00:00", "2026-01-11 23:59", "2025-12-31 12:00"]
            ).astype("datetime64[us]"),
            "source": ["a", "a", "a", "b"],
            "campaign": ["x", "x", "x", "y"],
            "spend": [1.0, 2.0, 4.0, 8.0],
        }
    )
    by_week = spend_by(spend, ["week"]).set_index("week")["spend"].to_dict()
    assert by_week == {"2025-12-29": 9.0, "2026-01-05": 6.0}
    by_quarter = spend_by(spend, ["source", "quarter"])
    assert by_quarter.to_dict("records") == [
        {"source": "a", "quarter": "2026Q1", "spend": 7.0},
        {"source": "b", "quarter": "2025Q4", "spend": 8.0},
    ]


def test_counts_equal_pandas(ctx):
    leads = ctx.dataset.leads
    mix = audit.qualification_mix(ctx).tables["audit_qualification_mix"].set_index("qualification")
    q = leads["qualification"].astype(str).value_counts()
    assert (mix["leads"] == q.reindex(mix.index).fillna(0).astype(int)).all()
    att = audit.attribution(ctx).tables["audit_attribution"].set_index("attributed_by")
    by = leads["attributed_by"].fillna("none").value_counts()
    assert all(att.loc[k, "leads"] == v for k, v in by.items())
    cov = audit.field_coverage(ctx).tables["audit_field_coverage"].set_index("field")
    assert cov.loc["manager", "filled"] == leads["manager"].notna().sum()
    assert cov.loc["campaign", "filled"] == (leads["campaign"] != "(none)").sum()
    sold = leads["converted"] == 1
    assert cov.loc["won_at", "filled"] == leads.loc[sold, "won_at"].notna().sum()
    assert cov.loc["won_at", "leads"] == ctx.facts["sales"]
    text = audit.counts_text(ctx)
    assert f"leads: {len(leads)}\nsales: {int(sold.sum())}" in text


def test_olist_sections_say_what_is_missing(olist):
    spend = audit.spend_match(olist)
    assert spend.empty and "No spend data" in spend.text
    assert list(spend.tables["audit_spend_match"].columns) == ["what", "count", "share", "detail"]
    mix = audit.qualification_mix(olist)
    assert mix.empty and "no lead qualification" in mix.text
    assert "No ad spend data" in audit.headline(olist).text
    cov = audit.field_coverage(olist).tables["audit_field_coverage"].set_index("field")
    assert "known only for converted leads" in cov.loc["segment", "note"]
    weekly = audit.weekly(olist).tables["audit_weekly"]
    assert weekly["spend"].isna().all() and int(weekly["leads"].sum()) == olist.facts["leads"]
    assert np.isfinite(olist.facts["maturity"]["days_90"])
