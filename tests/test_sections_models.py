"""The conversion-models page's sections on the sample and Olist: tables equal to the
report context's facts and to independent pandas counts; sections the data cannot
support say why; a segment named "all" is not counted twice."""

import dataclasses
import uuid

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis.insight.context import ReportContext, build_facts, report_context  # noqa: E402
from analysis.render.sections import models  # noqa: E402
from analysis.stats import compare, glm  # noqa: E402


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
    """The context of other leads (same profile, settings and engine)."""
    ds = dataclasses.replace(ctx.dataset, leads=leads, source=None, fingerprint=uuid.uuid4().hex)
    out = ReportContext(ds, ctx.engine, ctx.engine.leads(ds), ctx.settings)
    out.facts = build_facts(out)
    return out


def _thin(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def _by_source(leads: pd.DataFrame) -> pd.DataFrame:
    src = leads["source"].astype("str").where(leads["source"].notna(), "(not set)")
    return leads.assign(source=src).groupby("source")["converted"].agg(["size", "sum"])


def test_rates_within_a_segment_named_all_is_counted_once():
    cells = pd.DataFrame(
        {
            "segment": ["all", "all", "all"],
            "source": ["a", "b", "c"],
            "leads": [5000, 2000, 1000],
            "sales": [500, 242, 100],
        }
    )
    t = compare.rates_within(cells, "source", "segment")
    overall = t[t["segment"] == compare.OVERALL]
    assert len(overall) == 3 and overall["leads"].sum() == 8000 and overall["sales"].sum() == 842
    within = t[t["segment"] == "all"]
    assert within["leads"].sum() == 8000 and within["sales"].sum() == 842
    # no segment column: the per-source rows only
    t = compare.rates_within(cells.drop(columns="segment"), "source", "segment")
    assert (t["segment"] == compare.OVERALL).all() and t["leads"].sum() == 8000
    with pytest.raises(ValueError, match="overall rows"):
        compare.rates_within(cells.assign(segment=compare.OVERALL), "source", "segment")


def test_one_segment_named_all_gives_per_source_rates_with_the_real_totals(sample):
    ctx = _variant(sample, sample.dataset.leads.assign(segment="all"))
    s = models.segment_source(ctx)
    t = s.tables["models_rates_within"]
    leads, sales = ctx.facts["leads"], ctx.facts["sales"]
    assert (t["segment"] == compare.OVERALL).all()
    assert t["source"].is_unique
    assert t["leads"].sum() == leads == len(ctx.dataset.leads)
    assert t["sales"].sum() == sales == ctx.dataset.leads["converted"].sum()
    title = s.figure.axes[0].get_title()
    assert f"{_thin(sales)} sales of {_thin(leads)} leads" in title
    assert f"{sales:,} sales of {leads:,} leads" in s.text
    assert "same one (all)" in s.text
    assert models.crude_adjusted(ctx).empty


def test_segment_and_source_rates_equal_pandas_counts(sample):
    s = models.segment_source(sample)
    t = s.tables["models_rates_within"]
    overall = t[t["segment"] == compare.OVERALL].set_index("source")
    within = t[t["segment"] != compare.OVERALL]
    expected = _by_source(sample.dataset.leads)
    assert overall["leads"].to_dict() == expected["size"].to_dict()
    assert overall["sales"].to_dict() == expected["sum"].to_dict()
    assert within["leads"].sum() == sample.facts["leads"]
    assert within["sales"].sum() == sample.facts["sales"]
    assert s.figure is not None and not s.empty


def test_odds_ratio_terms_count_the_leads_of_each_source(sample):
    s = models.source_odds(sample)
    terms = s.tables["models_terms"]
    src = terms[terms["term"] == "source"].set_index("level")
    expected = _by_source(sample.dataset.leads)
    for level, row in src.iterrows():
        assert row["leads"] == expected.loc[level, "size"]
        assert row["sales"] == expected.loc[level, "sum"]
    assert s.tables["models_cells"]["leads"].sum() == sample.facts["leads"]
    assert models.terms_check(s).splitlines()[0].split() == ["term", "level", "leads", "sales"]


def test_quality_and_campaign_sections_on_the_sample(sample):
    q = models.lead_quality(sample)
    shares = q.tables["models_quality_shares"]
    leads = sample.dataset.leads
    classified = int((leads["qualification"].astype("str") != "unknown").sum())
    assert shares.drop_duplicates("campaign")["classified"].sum() == classified
    assert f"{classified:,} of {sample.facts['leads']:,} leads" in q.text
    conv = q.tables["models_class_conversion"]
    assert conv.loc[conv["source"] == compare.OVERALL, "leads"].sum() == classified
    c = models.campaigns(sample)
    assert c.tables["models_campaigns_shrunk"]["leads"].sum() == sample.facts["leads"]


def test_maturity_caveat_is_the_facts(sample):
    s = models.maturity(sample)
    assert sample.facts["maturity"]["caveat"] in s.text and not s.empty


def test_olist_sections_say_why(olist):
    text = models.segment_source(olist).text
    assert "only for converted leads" in text
    t = models.segment_source(olist).tables["models_rates_within"]
    assert t["leads"].sum() == olist.facts["leads"] == 8000
    assert t["sales"].sum() == olist.facts["sales"]
    for section in (models.crude_adjusted, models.campaigns, models.lead_quality):
        s = section(olist)
        assert s.empty and s.text and not s.tables
    assert "no lead qualification" in models.lead_quality(olist).text
    assert "no campaign" in models.campaigns(olist).text
    assert not models.source_odds(olist).empty
    words = models.what_data_tell(olist).text
    assert "recorded only for converted leads" in words
    for section in models.__all__:
        assert "olist" not in getattr(models, section)(olist).text.lower()


def test_a_saturated_fit_with_sales_in_every_cell_leaves_no_warning_note():
    cells = pd.DataFrame(
        {"source": ["a", "b", "c"], "leads": [500, 400, 300], "sales": [50, 20, 45]}
    )
    fit = glm.fit_conversion(cells, ["source"], min_leads=30)
    assert fit.df_resid == 0 and fit.notes == []
    assert fit.terms.set_index("level").loc["b", "odds_ratio"] == pytest.approx(
        (20 / 380) / (50 / 450)
    )


def _all_sections(ctx) -> dict:
    """Every section of the page, run (none may raise), by name."""
    return {name: getattr(models, name)(ctx) for name in models.__all__}


@pytest.mark.parametrize(
    ("shape", "says"),
    [
        ("no_sales", "none of the"),
        ("all_sales", "every one of the"),
        ("five_leads", "too few to compare"),
    ],
)
def test_shapes_without_a_model_render_and_say_why(sample, shape, says):
    leads = sample.dataset.leads
    if shape == "no_sales":
        leads = leads.assign(converted=False)
    elif shape == "all_sales":
        leads = leads.assign(converted=True)
    else:  # five leads, two of them sales (a sale in a one-lead source is "only sales")
        leads = leads.head(5).assign(converted=[True, False, False, True, False])
    ctx = _variant(sample, leads)
    out = _all_sections(ctx)
    odds = out["source_odds"]
    assert odds.empty and says in odds.text.lower()
    assert f"{ctx.facts['leads']:,} leads" in odds.text
    assert out["crude_adjusted"].empty and out["crude_adjusted"].text
    words = out["what_data_tell"].text
    assert "reference level" not in words and "Warning" not in words


def test_one_source_renders_its_forest_and_says_sources_cannot_be_compared(sample):
    ctx = _variant(sample, sample.dataset.leads.assign(source="google"))
    out = _all_sections(ctx)
    odds = out["source_odds"]
    assert "one source (google)" in odds.text and odds.figure is not None
    assert "only one source" in out["crude_adjusted"].text and out["crude_adjusted"].empty


def test_a_source_nested_in_one_segment_is_said_so_on_the_page(sample):
    """Every vk lead moved into a segment of its own: vk cannot be separated from it,
    the chart paints it grey (not "enough data") and the page says why."""
    leads = sample.dataset.leads
    seg = leads["segment"].astype("str").where(leads["source"] != "vk", "lead form")
    ctx = _variant(sample, leads.assign(segment=seg))
    odds = models.source_odds(ctx)
    terms = odds.tables["models_terms"]
    nested = terms[terms["status"] == "not_separable"]
    assert "lead form" in set(nested["level"]) or "vk" in set(nested["level"])
    assert not nested["enough_data"].any()
    assert "cannot be separated" in odds.text
    words = models.what_data_tell(ctx).text
    assert "cannot be separated from" in words
    # the chart's colours are the fit's own: red exactly for status "differs"
    ax = odds.figure.axes[0]
    colours = ax.collections[-1].get_facecolors()
    shown = terms[pd.to_numeric(terms["odds_ratio"], errors="coerce").notna()]
    red = [tuple(c[:3].round(3)) == (0.843, 0.188, 0.122) for c in colours]
    assert red == list(shown["status"] == "differs")
