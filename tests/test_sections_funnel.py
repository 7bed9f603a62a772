"""The funnel-economics page's sections on the sample and Olist: the period table sums
to the report context's totals, periods the leads do not cover whole are marked, and
sections the data cannot support say why."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from analysis.insight.context import report_context
from analysis.render.sections import funnel


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


def test_period_table_sums_to_the_contexts_totals(ctx):
    s = funnel.by_period(ctx)
    table = s.tables["economics_by_period"]
    totals = ctx.facts["totals"]
    assert table["spend"].sum() == pytest.approx(totals["spend"])
    assert table["spend"].sum() == pytest.approx(ctx.facts["spend"]["total"])
    assert int(table["paid_leads"].sum()) == totals["paid_leads"]
    assert table["spend"].sum() / table["paid_leads"].sum() == pytest.approx(totals["cpl"])
    assert int(table["leads"].sum()) == ctx.facts["leads"]
    assert int(table["sales"].sum()) == ctx.facts["sales"]
    assert table["complete"].tolist() == [p["complete"] for p in ctx.facts["periods"]]
    assert "every period whole" in s.text


def test_incomplete_periods_are_marked(olist):
    s = funnel.by_period(olist)
    table = s.tables["economics_by_period"].set_index("quarter")
    whole = {p["period"]: p["complete"] for p in olist.facts["periods"]}
    assert table["complete"].to_dict() == whole
    assert not whole["2018Q2"] and not whole["2017Q2"] and whole["2018Q1"]
    assert "2018Q2: leads only until 31 May" in s.text
    assert "2017Q2: leads only from 14 Jun" in s.text
    leads = {p["period"]: p["leads"] for p in olist.facts["periods"]}
    assert (
        f"2018Q2: leads only until 31 May ({leads['2018Q2']:,} leads)".replace(",", "\u202f")
        in s.text
    )
    shown = s.views[0].data["quarter"].tolist()
    assert "2018Q2 (leads only until 31 May)" in shown and "2018Q1" in shown


def test_sources_equal_a_pandas_count(ctx):
    table = funnel.by_source(ctx).tables["economics_by_source"].set_index("source")
    counted = ctx.dataset.leads.groupby("source").agg(
        leads=("lead_id", "size"), sales=("converted", "sum")
    )
    assert (table.loc[counted.index, "leads"] == counted["leads"]).all()
    assert (table.loc[counted.index, "sales"] == counted["sales"]).all()


def test_sample_sections_draw(ctx):
    head = funnel.headline(ctx)
    assert not head.empty and head.figure is not None and "cost per lead" in head.text
    camp = funnel.by_campaign(ctx)
    assert camp.figure is not None
    assert camp.tables["economics_by_campaign"]["spend"].sum() == pytest.approx(
        ctx.facts["spend"]["total"]
    )
    assert funnel.qualification_mix(ctx).figure is not None
    assert funnel.conversion(ctx).figure is not None
    assert ctx.facts["maturity"]["caveat"] in funnel.maturity(ctx).text
    cp = funnel.by_campaign_period(ctx).tables["economics_by_campaign_period"]
    assert int(cp["leads"].sum()) == ctx.facts["leads"]


def test_olist_sections_say_why(olist):
    head = funnel.headline(olist)
    assert head.empty and "No spend data" in head.text and head.figure is None
    mix = funnel.qualification_mix(olist)
    assert mix.empty and "no lead qualification" in mix.text
    camp = funnel.by_campaign(olist)
    assert camp.figure is None and "no campaigns" in camp.text
    assert camp.tables["economics_by_campaign"]["cpl"].isna().all()
    assert funnel.conversion(olist).figure is not None


def test_a_figure_of_many_campaigns_draws_those_with_the_most_leads(ctx, monkeypatch):
    """Past `FIGURE_ROWS` campaigns a figure draws those with the most leads (a figure
    of 5,000 campaigns was 2,000 inches tall) and the text says how many of how many,
    with their leads; the counts of the text stay those of every campaign."""
    every = funnel.economics(ctx, ["source", "campaign"])
    every = every[every["leads"] > 0]
    assert len(every) > 4
    whole = funnel.conversion(ctx)
    monkeypatch.setattr(funnel, "FIGURE_ROWS", 4)
    top = every.sort_values("leads", ascending=False, kind="stable").head(4)
    for section in (funnel.conversion, funnel.qualification_mix, funnel.by_campaign):
        s = section(ctx)
        ticks = [t.get_text() for t in s.figure.axes[0].get_yticklabels()]
        if section is not funnel.by_campaign:  # a bar per campaign, the largest four
            drawn = {t.rsplit(" (", 1)[0] for t in ticks}
            assert drawn == {f"{r.source} / {r.campaign}" for r in top.itertuples()}
        leads = f"{int(top['leads'].sum()):,}".replace(",", "\u202f")
        total = f"{int(every['leads'].sum()):,}".replace(",", "\u202f")
        assert (
            f"The figure shows the 4 campaigns with the most leads ({leads} of {total} "
            f"leads); the campaigns table above has all {len(every)}." in s.text
        )
    assert funnel.conversion(ctx).text.split(" The figure")[0] == whole.text


@pytest.mark.parametrize("as_text", [False, True])
def test_a_long_table_shows_the_rows_with_the_most_leads(monkeypatch, as_text):
    """Past `PAGE_ROWS` rows a page's table shows those with the most leads, in their
    order (ties: the first), and its caption says how many of how many; the leads as
    numbers or as the pages write them («1 234 (98 %)»)."""
    import pandas as pd

    from analysis.base.i18n import use_language
    from analysis.render import tables

    monkeypatch.setattr(tables, "PAGE_ROWS", 3)
    leads = [5, 1200, 7, 1200, 0, 40, 3]
    frame = pd.DataFrame({"campaign": list("abcdefg"), "leads": leads})
    if as_text:
        frame["leads"] = [f"{n:,} ({n % 97} %)".replace(",", "\u202f") for n in leads]
    with use_language("en"):
        styler = tables.show(frame, caption="Campaigns.")
    assert styler.data["campaign"].tolist() == ["b", "d", "f"]
    assert styler.caption == (
        "Campaigns. The 3 rows with the most leads of 7; the table's file in the run's "
        "tables folder and the workbook have every row."
    )
    short = tables.show(frame.head(3))
    assert short.caption is None and len(short.data) == 3
    bare, note = tables.page_rows(frame[["campaign"]])
    assert bare["campaign"].tolist() == ["a", "b", "c"] and note.startswith("The first 3 rows")
