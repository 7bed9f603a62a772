"""The sales-processing page's sections on the sample and Olist: managers counted like
pandas and like the report context's facts; a page without managers says why, by
cause, and ranks nobody when managers are recorded only on sales."""

import dataclasses
import uuid

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis.insight.context import ReportContext, build_facts, report_context  # noqa: E402
from analysis.render.sections import sales  # noqa: E402
from analysis.stats import managers as mgr  # noqa: E402

SECTIONS = (
    sales.manager_conversion,
    sales.routing,
    sales.speed_to_lead,
    sales.processing,
    sales.losses,
)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return report_context("sample", cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def olist(tmp_path_factory):
    return report_context("olist", cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(autouse=True)
def _no_open_figures():
    yield
    plt.close("all")


def _variant(ctx, leads: pd.DataFrame) -> ReportContext:
    ds = dataclasses.replace(ctx.dataset, leads=leads, source=None, fingerprint=uuid.uuid4().hex)
    out = ReportContext(ds, ctx.engine, ctx.engine.leads(ds), ctx.settings)
    out.facts = build_facts(out)
    return out


def test_manager_table_counts_like_pandas_and_the_facts(sample):
    s = sales.manager_conversion(sample)
    t = s.tables["managers"].set_index("manager")
    g = sample.dataset.leads.groupby("manager")["converted"].agg(["size", "sum"])
    assert t["leads"].to_dict() == g["size"].to_dict()
    assert t["sales"].to_dict() == g["sum"].to_dict()
    assert t["leads"].sum() == sample.facts["leads"] and t["sales"].sum() == sample.facts["sales"]
    assert s.figure is not None and not s.empty
    assert f"of {sample.facts['leads']:,} in the data" in s.text
    assert sales.managers_check(s).splitlines()[0].split() == ["manager", "leads", "sales"]


def test_the_other_sections_on_the_sample(sample):
    speed = sales.speed_to_lead(sample)
    assert speed.tables["managers_speed"]["leads"].sum() == sample.facts["leads"]
    checks = sales.processing(sample, stuck_days=14)
    c = checks.tables["managers_checks"]
    leads = sample.dataset.leads
    is_open = (leads["converted"] == 0) & leads["lost_reason"].isna()
    assert c["open"].sum() == is_open.sum()
    assert sample.facts["data_end"] in checks.text
    lost = sales.losses(sample)
    assert lost.tables["lost_by_source"]["lost"].sum() == leads["lost_reason"].notna().sum()
    assert lost.tables["lost_by_manager"]["lost"].sum() == leads["lost_reason"].notna().sum()
    routing = sales.routing(sample)
    r = routing.tables["managers_routing"]
    assert set(r["qualification"]) <= {"cold", "warm", "hot"} and (r["send"] == "yes").any()


def test_olist_has_no_manager_field_and_says_so(olist):
    assert "manager" not in olist.dataset.leads.columns
    for section in SECTIONS:
        s = section(olist)
        assert s.empty and s.text, section.__name__
        assert "olist" not in s.text.lower()
        assert all(t.empty for t in s.tables.values())
    assert sales.manager_conversion(olist).text.startswith("The data name no manager for the leads")
    assert "8,000 leads" in sales.manager_conversion(olist).text


def test_an_empty_manager_field_is_said(sample):
    ctx = _variant(sample, sample.dataset.leads.assign(manager=None))
    s = sales.manager_conversion(ctx)
    assert s.empty and "empty for all" in s.text
    assert sales.routing(ctx).empty and sales.processing(ctx).empty


def test_managers_recorded_only_on_sales_are_not_ranked(sample):
    leads = sample.dataset.leads
    only_won = leads.assign(manager=leads["manager"].where(leads["converted"] == 1))
    ctx = _variant(sample, only_won)
    s = sales.manager_conversion(ctx)
    assert s.empty
    assert (
        "managers are recorded only for converted leads, so their conversion cannot be "
        "compared" in s.text.lower()
    )
    assert f"{int(leads['converted'].sum()):,} of {len(leads):,} leads have a manager" in s.text
    table = mgr.manager_table(ctx.leads, engine=ctx.engine)
    assert table.empty and table.attrs["managers"] == "converted_only"
    assert mgr.routing_table(ctx.leads, engine=ctx.engine).empty
    assert sales.routing(ctx).empty and sales.processing(ctx).empty
    assert sales.losses(ctx).tables["lost_by_manager"].empty


def test_routing_and_managers_say_their_rule_and_rank_nobody_on_overlap(sample):
    """The page states the routing rule and each sent manager's open leads (counted
    like pandas: neither sold nor lost); managers whose intervals overlap everyone's are
    marked "not distinguishable", not ranked."""
    s = sales.routing(sample)
    assert "Rule:" in s.text and "fewer open leads" in s.text
    leads = sample.dataset.leads
    is_open = ((leads["converted"] == 0) & leads["lost_reason"].isna()).groupby(leads["manager"])
    r = s.tables["managers_routing"]
    sent = r[r["send"] == "yes"]
    assert (sent["open"] == sent["manager"].map(is_open.sum())).all()
    for m, o in zip(sent["manager"], sent["open"], strict=True):
        assert f"{m} ({o:,} open)" in s.text
    cold = r[r["qualification"] == "cold"]
    assert (cold["standing"] == "not distinguishable").all()
    t = sales.manager_conversion(sample)
    assert "rank is given only where intervals separate" in t.text
