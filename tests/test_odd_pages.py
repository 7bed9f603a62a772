"""Odd but legal data, read as a client reads the pages: what a reviewer found saying
more than the data can tell, or contradicting another page (no sale at all, a share of
leads without a creation date, too few leads per period). The reference is the other
page and the counts behind each sentence, not a number."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from analysis.engine.periods import NO_DATE  # noqa: E402
from analysis.render.sections import figure_alt, funnel, period, sales, summary  # noqa: E402
from tests.test_shapes import Shape, context  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def no_sales():
    return context(Shape(leads=300, sales="none", seed=1))


def test_no_sale_in_either_period_is_not_split_into_parts(no_sales):
    s = summary.whose_part(no_sales)
    assert s.text.startswith("No sales in either period"), s.text
    assert "cancel out" not in s.text and "interval" not in s.text
    assert s.figure is None
    page = period.change(no_sales)
    assert not page.views and page.figure is None  # no parts table with intervals


def test_no_sale_ranks_no_manager_and_fits_no_spread(no_sales):
    s = sales.manager_conversion(no_sales)
    assert "not one sale" in s.text and "×" not in s.text, s.text
    assert s.figure is None


def test_no_sale_is_a_caveat_and_not_a_missing_date_field(no_sales):
    caveats = summary.caveats(no_sales).text
    assert "Not one of the 300 leads is a sale yet" in caveats
    age = period.lead_age(no_sales).text
    assert age.startswith("No lead is a sale yet"), age
    assert "no sale dates" not in age


def test_no_sale_rank_column_says_n_a(no_sales):
    html = funnel.by_period(no_sales).views[0].to_html()
    assert "/ <" not in html.replace(" </td>", "</td>")  # never "2 / " with nothing after
    assert "/ n/a" in html


def test_undated_leads_row_says_where_its_spend_is():
    ctx = context(Shape(leads=450, dates="some", seed=2))
    table = funnel.by_period(ctx).tables["economics_by_period"]
    row = table[table[ctx.settings.period].astype(str) == NO_DATE]
    assert len(row) == 1 and "no spend recorded" not in row["note"].iloc[0]
    assert "dated periods" in row["note"].iloc[0]
    text = period.maturity(ctx).text
    assert f"of {NO_DATE}" not in text and "lead(s)" not in text, text
    assert "without a creation date are counted in leads and sales" in text


def test_too_few_leads_per_period_are_compared_nowhere():
    """40 leads over two quarters: the split of the change refuses (under 30 leads a
    quarter), and so must the cost comparison, on both pages that state it."""
    ctx = context(Shape(leads=40, rate=0.6, days=170, seed=17))
    assert summary.whose_part(ctx).empty
    cheap = summary.cheap_leads(ctx)
    assert cheap.empty and cheap.text.startswith("Fewer than two quarters"), cheap.text
    assert cheap.text in funnel.headline(ctx).text


def test_a_figure_has_a_text_alternative():
    fig, ax = plt.subplots()
    ax.set_title("Cost per lead fell, cost per sale rose")
    ax.set_xlabel("quarter")
    ax.set_ylabel("cost")
    assert figure_alt(fig) == ("Cost per lead fell, cost per sale rose. Axes x: quarter; y: cost.")
