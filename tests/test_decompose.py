"""Decomposition of a change in sales or revenue: known answers on tiny hand-made cells,
Shapley values checked against the all-orderings definition, exact additivity on random
cells, and the sample's story (cheap cold leads, not the sales team)."""

import itertools
import math

import matplotlib
import numpy as np
import pandas as pd
import pytest

from analysis.ingest.load import load_dataset
from analysis.insight.findings import main_cause
from analysis.render.time_figures import plot_waterfall
from analysis.stats.decompose import contributions, decompose
from analysis.stats.period_change import decompose_periods, period_cells

matplotlib.use("Agg")


def cells(rows, dims=("source", "qualification")):
    """Cells from (level, ..., leads, sales[, revenue]) tuples."""
    cols = [*dims, "leads", "sales", "revenue"]
    rows = [r if len(r) == len(cols) else (*r, 0.0) for r in rows]
    return pd.DataFrame(rows, columns=cols)


def parts(table):
    """{part: value} of a decomposition, totals included."""
    return dict(zip(table["part"], table["value"], strict=True))


def part_sum(table):
    return table.loc[table["kind"] == "part", "value"].sum()


# Period A of most hand-made cases: source x brings 60 leads (half hot), y 40 (a quarter
# hot); conversion hot/cold is 0.5/0.1 in x and 0.3/0.1 in y; 15 + 3 + 3 + 3 = 24 sales.
BASE = cells(
    [
        ("x", "hot", 30, 15, 3000.0),
        ("x", "cold", 30, 3, 300.0),
        ("y", "hot", 10, 3, 600.0),
        ("y", "cold", 30, 3, 300.0),
    ]
)


# --- known answers -----------------------------------------------------------------------


def test_pure_volume_change_is_all_volume():
    b = BASE.assign(leads=BASE["leads"] * 3, sales=BASE["sales"] * 3, revenue=BASE["revenue"] * 3)
    t = parts(decompose(BASE, b))
    assert t["change"] == pytest.approx(48)  # 72 - 24: three times the leads, same rates
    assert t["volume"] == pytest.approx(48)
    # unchanged factors get exactly 0 (3x leads keeps every share and rate bit-for-bit)
    assert t["mix:source"] == 0.0
    assert t["mix:qualification"] == 0.0
    assert t["conversion"] == 0.0
    r = parts(decompose(BASE, b, measure="revenue"))
    assert r["volume"] == pytest.approx(8400)  # 3 * 4200 - 4200 (4200 = sum of revenue)
    assert r["revenue_per_sale"] == 0.0 and r["conversion"] == 0.0


def test_pure_source_mix_change():
    # x falls to 20 leads, y rises to 80; shares within a source and rates as in BASE:
    # x: 10 hot -> 5 sales, 10 cold -> 1; y: 20 hot -> 6, 60 cold -> 6; 18 sales
    b = cells(
        [("x", "hot", 10, 5), ("x", "cold", 10, 1), ("y", "hot", 20, 6), ("y", "cold", 60, 6)]
    )
    t = parts(decompose(BASE, b))
    assert t["change"] == pytest.approx(-6)  # 18 - 24
    assert t["mix:source"] == pytest.approx(-6)
    assert t["volume"] == 0.0 and t["mix:qualification"] == 0.0 and t["conversion"] == 0.0
    c = contributions(BASE, b)
    by_source = c[c["part"] == "mix:source"].groupby("source")["value"].sum()
    # only one factor moves, so each cell's part is its own change: x (5+1)-(15+3), y (6+6)-(3+3)
    assert by_source["x"] == pytest.approx(-12)
    assert by_source["y"] == pytest.approx(6)


def test_pure_qualification_mix_change():
    # same 60/40 split by source and same rates; x turns a third hot, y half hot:
    # x: 20 hot -> 10, 40 cold -> 4; y: 20 hot -> 6, 20 cold -> 2; 22 sales
    b = cells(
        [("x", "hot", 20, 10), ("x", "cold", 40, 4), ("y", "hot", 20, 6), ("y", "cold", 20, 2)]
    )
    t = parts(decompose(BASE, b))
    assert t["change"] == pytest.approx(-2)  # 22 - 24
    assert t["mix:qualification"] == pytest.approx(-2)
    assert t["volume"] == 0.0 and t["mix:source"] == 0.0 and t["conversion"] == 0.0


def test_pure_conversion_change():
    b = BASE.assign(sales=[12, 3, 5, 0])  # same leads; 20 sales instead of 24
    t = parts(decompose(BASE, b))
    assert t["change"] == pytest.approx(-4)  # 20 - 24
    assert t["conversion"] == pytest.approx(-4)
    assert t["volume"] == 0.0 and t["mix:source"] == 0.0 and t["mix:qualification"] == 0.0


def test_pure_revenue_per_sale_change():
    b = BASE.assign(revenue=BASE["revenue"] * 1.5)  # same sales, each 1.5 times dearer
    r = parts(decompose(BASE, b, measure="revenue"))
    assert r["change"] == pytest.approx(2100)  # 0.5 * 4200
    assert r["revenue_per_sale"] == pytest.approx(2100)
    assert r["volume"] == 0.0 and r["conversion"] == 0.0 and r["mix:source"] == 0.0
    s = decompose(BASE, b)  # sales did not move at all
    assert (s["value"].iloc[:4] == 0.0).all() and s["share"].isna().iloc[:4].all()
    assert "no change" in main_cause(s)


def test_a_source_new_in_period_b_is_mix_not_conversion():
    # A: x only, 12 sales of 40 leads. B: x halves (same classes and rates) and a new
    # source tg brings 20 cold leads with 1 sale: 5 + 1 + 1 = 7 sales, 40 leads again.
    a = cells([("x", "hot", 20, 10), ("x", "cold", 20, 2)])
    b = cells([("x", "hot", 10, 5), ("x", "cold", 10, 1), ("tg", "cold", 20, 1)])
    table = decompose(a, b)
    t = parts(table)
    assert t["change"] == pytest.approx(-5)  # 7 - 12
    # tg's A conversion is its B conversion, so nothing of tg is "conversion"; tg takes
    # its qualification shares from B too, so its arrival is source mix only
    assert t["mix:source"] == pytest.approx(-5)
    assert t["conversion"] == 0.0 and t["mix:qualification"] == 0.0 and t["volume"] == 0.0
    assert any(
        n.startswith("tg / cold: conversion in A taken from B") for n in table.attrs["notes"]
    )
    c = contributions(a, b)
    tg = c[(c["source"] == "tg") & (c["part"] == "mix:source")]
    assert tg["value"].item() == pytest.approx(1)  # 1 sale in B, none in A
    assert tg["rate_a"].item() == tg["rate_b"].item() == pytest.approx(1 / 20)
    # the same source disappearing, seen from B to A, is the same part with the sign flipped
    back = parts(decompose(b, a))
    assert back["mix:source"] == pytest.approx(5)
    assert back["conversion"] == 0.0


def test_a_class_new_within_a_source_is_qualification_mix():
    # x keeps 40 leads; in B a quarter of them come unqualified and none of those buys:
    # 10 + 1 + 0 = 11 sales instead of 12
    a = cells([("x", "hot", 20, 10), ("x", "cold", 20, 2)])
    b = cells([("x", "hot", 20, 10), ("x", "cold", 10, 1), ("x", "unknown", 10, 0)])
    t = parts(decompose(a, b))
    assert t["mix:qualification"] == pytest.approx(-1)  # 11 - 12
    assert t["conversion"] == 0.0 and t["mix:source"] == 0.0 and t["volume"] == 0.0


def test_two_factors_against_the_hand_computed_shapley_value():
    # mix=("source",), 100 leads in both periods, so f(a, p) = 100 * sum_s a_s p_s:
    # A: a = (.5, .5), p = (.2, .1) -> 10 + 5 = 15 sales
    # B: a = (.2, .8), p = (.3, .05) -> 6 + 4 = 10 sales
    # f(aB, pA) = 100 (.04 + .08) = 12;  f(aA, pB) = 100 (.15 + .025) = 17.5
    # mix  = 1/2 [f(aB,pA) - f(aA,pA)] + 1/2 [f(aB,pB) - f(aA,pB)] = -1.5 - 3.75 = -5.25
    # conv = 1/2 [f(aA,pB) - f(aA,pA)] + 1/2 [f(aB,pB) - f(aB,pA)] = 1.25 - 1   =  0.25
    a = cells([("x", 50, 10), ("y", 50, 5)], dims=("source",))
    b = cells([("x", 20, 6), ("y", 80, 4)], dims=("source",))
    t = parts(decompose(a, b, mix=("source",)))
    assert t["mix:source"] == pytest.approx(-5.25)
    assert t["conversion"] == pytest.approx(0.25)
    assert t["volume"] == 0.0  # a factor that does not move is a dummy player
    # volume and conversion, one source: f(N, p) = N p, 100 x .1 = 10 -> 150 x .2 = 30
    # volume = 1/2 (150 - 100) .1 + 1/2 (150 - 100) .2 = 2.5 + 5 = 7.5
    # conv   = 1/2 100 (.2 - .1) + 1/2 150 (.2 - .1) = 5 + 7.5 = 12.5
    one = parts(
        decompose(
            cells([("x", 100, 10)], dims=("source",)),
            cells([("x", 150, 30)], dims=("source",)),
            mix="source",
        )
    )
    assert one["volume"] == pytest.approx(7.5)
    assert one["conversion"] == pytest.approx(12.5)
    assert one["mix:source"] == 0.0


def test_equal_age_uses_quick_sales_of_aged_leads():
    # same leads and 30-day rates in both periods (A: 4 of 20 aged, B: 2 of 10 aged);
    # B is young, so its crude sales (2) look worse than A's (8): at equal age no part moves
    a = cells([("x", "hot", 20, 8)]).assign(sales_within=4, leads_aged=20)
    b = cells([("x", "hot", 20, 2)]).assign(sales_within=2, leads_aged=10)
    crude = parts(decompose(a, b))
    assert crude["conversion"] == pytest.approx(-6)  # 2 - 8
    aged = parts(decompose(a, b, within_days=30))
    assert aged["period_a"] == pytest.approx(4) and aged["period_b"] == pytest.approx(4)
    assert aged["conversion"] == 0.0  # 4/20 == 2/10


# --- the Shapley value itself --------------------------------------------------------------


def random_cells(rng, drop=0.0, revenue=True, aged=False):
    rows = []
    for s in ["s1", "s2", "s3"]:
        for q in ["hot", "warm", "cold", "unknown"]:
            if rng.random() < drop:
                continue
            n = int(rng.integers(1, 200))
            k = int(rng.binomial(n, rng.uniform(0.01, 0.4)))
            rows.append((s, q, n, k, float(rng.uniform(100, 5000)) * k))
    frame = cells(rows)
    if aged:
        frame["leads_aged"] = [int(rng.integers(1, n + 1)) for n in frame["leads"]]
        frame["sales_within"] = [int(rng.integers(0, m + 1)) for m in frame["leads_aged"]]
    return frame


def shapley_by_orderings(a, b, measure):
    """The textbook definition, independent of the module: average over all k! orders of
    switching the factors from A to B of each factor's marginal change of the total."""

    def factors(c):
        c = c.set_index(["source", "qualification"]).sort_index()
        n = c["leads"].sum()
        by_source = c.groupby(level="source")["leads"].transform("sum")
        f = {
            "volume": n,
            "mix:source": by_source / n,
            "mix:qualification": c["leads"] / by_source,
            "conversion": c["sales"] / c["leads"],
        }
        if measure == "revenue":
            f["revenue_per_sale"] = c["revenue"] / c["sales"]
        return {k: np.asarray(v, dtype="float64") for k, v in f.items()}

    fa, fb = factors(a), factors(b)
    names = list(fa)

    def total(at_b):
        out = 1.0
        for n in names:
            out = out * (fb[n] if n in at_b else fa[n])
        return float(np.sum(out))

    value = dict.fromkeys(names, 0.0)
    for order in itertools.permutations(names):
        done = set()
        for n in order:
            value[n] += total(done | {n}) - total(done)
            done.add(n)
    return {n: v / math.factorial(len(names)) for n, v in value.items()}


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("measure", ["sales", "revenue"])
def test_equals_the_all_orderings_definition(seed, measure):
    rng = np.random.default_rng(seed)
    a, b = random_cells(rng), random_cells(rng)  # every cell in both periods
    a.loc[a["sales"] == 0, "revenue"] = 0.0
    # no cell may lack sales for revenue, else the definition needs the borrowing rule
    a["sales"] = a["sales"].clip(lower=1)
    b["sales"] = b["sales"].clip(lower=1)
    a["revenue"] = a["revenue"].where(a["revenue"] > 0, 500.0)
    b["revenue"] = b["revenue"].where(b["revenue"] > 0, 500.0)
    got = parts(decompose(a, b, measure=measure))
    want = shapley_by_orderings(a, b, measure)
    for name, value in want.items():
        assert got[name] == pytest.approx(value, rel=1e-9, abs=1e-9), name


@pytest.mark.parametrize("seed", [4, 5, 6])
@pytest.mark.parametrize("measure", ["sales", "revenue"])
@pytest.mark.parametrize("within_days", [None, 30])
def test_parts_add_up_to_the_change_exactly(seed, measure, within_days):
    rng = np.random.default_rng(seed)
    aged = within_days is not None
    # a third of the cells missing in each period: new and vanished cells everywhere
    a = random_cells(rng, drop=0.33, aged=aged)
    b = random_cells(rng, drop=0.33, aged=aged)
    for mix in [("source", "qualification"), ("qualification", "source"), ("source",)]:
        t = decompose(a, b, mix=mix, measure=measure, within_days=within_days)
        change = t.loc[t["part"] == "change", "value"].item()
        scale = t["value"].abs().max()
        assert part_sum(t) == pytest.approx(change, abs=1e-9 * scale)
        assert abs(t.attrs["residual"]) <= 1e-9 * scale
        # swapping the periods flips every part
        back = parts(decompose(b, a, mix=mix, measure=measure, within_days=within_days))
        for name, value in parts(t).items():
            if name not in ("period_a", "period_b"):
                assert back[name] == pytest.approx(-value, abs=1e-9 * scale), name
        c = contributions(a, b, mix=mix, measure=measure, within_days=within_days)
        by_part = c.groupby("part")["value"].sum()
        for name, value in parts(t).items():
            if name in by_part:
                assert by_part[name] == pytest.approx(value, abs=1e-9 * scale), name


def test_inputs_are_not_modified():
    a, b = BASE.copy(), BASE.assign(sales=[12, 3, 5, 0])
    a_before, b_before = a.copy(), b.copy()
    decompose(a, b, measure="revenue")
    contributions(a, b)
    pd.testing.assert_frame_equal(a, a_before)
    pd.testing.assert_frame_equal(b, b_before)


# --- plain words and the figure -------------------------------------------------------------


def test_main_cause_names_similar_parts():
    # one source; volume 100 -> 200 and conversion .1 -> .2: Shapley gives volume
    # 1/2 (100 x .1) + 1/2 (100 x .2) = 15 and conversion 1/2 (100 x .1) + 1/2 (200 x .1) = 15
    t = decompose(
        cells([("x", 100, 10)], dims=("source",)),
        cells([("x", 200, 40)], dims=("source",)),
        mix="source",
        labels=("May", "June"),
    )
    assert parts(t)["volume"] == pytest.approx(15)
    # two equal parts: the intervals cannot tell which is larger, and the sentence says so
    text = main_cause(t)
    assert text.startswith("Sales rose from 10 in May to 40 in June (+30; 95% interval")
    assert "The data cannot yet tell whose part is larger" in text
    assert "conversion (+15, 95% interval" in text and "lead volume (+15, 95% interval" in text
    assert "mainly" not in text
    # a table without intervals (a hand-made split) names both as similar parts
    bare = decompose(
        cells([("x", 100, 10)], dims=("source",)),
        cells([("x", 200, 40)], dims=("source",)),
        mix="source",
        labels=("May", "June"),
        intervals=False,
    )
    text = main_cause(bare)
    assert text.startswith("Sales rose from 10 in May to 40 in June (+30)")
    assert "similar parts" in text and "lead volume (+15)" in text and "conversion (+15)" in text


def test_main_cause_names_the_largest_part_and_its_owner():
    b = BASE.assign(sales=[12, 3, 5, 0])  # only conversion moved
    text = main_cause(decompose(BASE, b, intervals=False))
    assert text == (
        "Sales fell from 24 in A to 20 in B (\u22124), "
        "mainly through the sales team's conversion (\u22124)."
    )
    # with its interval: 4 sales of 100 leads could be chance, and the sentence says so
    text = main_cause(decompose(BASE, b))
    assert "within chance" in text and "could as well be nothing" in text
    assert "mainly" not in text
    # the same rates over 100 times the leads: the interval supports it
    big_a = BASE.assign(leads=BASE["leads"] * 100, sales=BASE["sales"] * 100)
    big_b = b.assign(leads=b["leads"] * 100, sales=b["sales"] * 100)
    text = main_cause(decompose(big_a, big_b))
    assert "mainly through the sales team's conversion (\u2212400, 95% interval \u2212" in text


def test_waterfall_has_totals_parts_and_labels():
    b = cells(
        [("x", "hot", 10, 5), ("x", "cold", 10, 1), ("y", "hot", 20, 6), ("y", "cold", 60, 6)]
    )
    t = decompose(BASE, b, labels=("Q1", "Q2"))
    fig = plot_waterfall(t, "Why sales fell", "sales")
    try:
        ax = fig.axes[0]
        assert len(ax.patches) == 6  # period A, four parts, period B
        assert ax.get_title() == "Why sales fell" and ax.get_ylabel() == "sales"
        texts = {x.get_text() for x in ax.texts}
        assert {"24", "18", "\u22126"} <= texts  # the totals and the source-mix part
        ticks = [x.get_text() for x in ax.get_xticklabels()]
        assert ticks[0] == "Q1" and ticks[-1] == "Q2"
    finally:
        matplotlib.pyplot.close(fig)


# --- argument checks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mix": ("source", "qualification", "campaign")}, "one or two dimensions"),
        ({"mix": ("source", "source")}, "twice"),
        ({"mix": ("campaign",)}, r"no column\(s\) \['campaign'\]"),
        ({"measure": "profit"}, "measure must be one of"),
        ({"within_days": 0}, "above 0"),
        ({"within_days": 30}, "sales_within"),
    ],
)
def test_bad_arguments_say_what_to_do(kwargs, message):
    with pytest.raises(ValueError, match=message):
        decompose(BASE, BASE, **kwargs)


def test_quick_sales_of_young_leads_are_refused():
    # engine.cells counts the quick sales of young leads too: 3 quick sales, 2 aged leads
    a = cells([("x", "hot", 10, 3)]).assign(sales_within=3, leads_aged=2)
    with pytest.raises(ValueError, match="period_cells"):
        decompose(a, a, within_days=30)


# --- the sample ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    return load_dataset("sample").leads


@pytest.fixture(scope="module")
def sample_tables(sample):
    return {
        (measure, days): decompose_periods(
            sample, "2026Q1", "2026Q2", measure=measure, within_days=days
        )
        for measure in ("sales", "revenue")
        for days in (None, 30)
    }


def test_sample_sales_fall_is_marketings_mix(sample, sample_tables):
    t = sample_tables[("sales", None)]
    p = parts(t)
    # pandas count of converted leads by quarter of created_at: 172 in Q1, 108 in Q2
    assert p["period_a"] == pytest.approx(172) and p["period_b"] == pytest.approx(108)
    assert p["change"] == pytest.approx(-64)
    assert part_sum(t) == pytest.approx(p["change"], abs=1e-9)
    mix = p["mix:source"] + p["mix:qualification"]
    assert mix < 0 and abs(mix) > abs(p["conversion"])
    assert p["volume"] > 0  # 1,275 -> 3,060 leads: more leads alone would have raised sales
    text = main_cause(t)
    assert "mainly through marketing's lead mix" in text
    assert text.startswith("Sales fell from 172 in 2026Q1 to 108 in 2026Q2 (\u221264; 95% interval")
    # the mix's interval excludes 0 and its margin over the next part's does too
    lead = t.attrs["intervals"]["lead"]
    assert lead["group"] == "mix" and lead["supported"] and lead["margin_low"] > 0


def test_sample_at_equal_age(sample, sample_tables):
    a, b = period_cells(sample, "2026Q1", "2026Q2", within_days=30)
    # pandas: leads with created_at + 30 days <= 2026-07-09 13:52:31 (the latest won_at)
    # and their sales won within 30 days: Q1 1,275 aged with 152 such sales, Q2 2,327
    # with 81 (99 if the quick sales of younger leads were counted too)
    assert (a["leads_aged"].sum(), a["sales_within"].sum()) == (1275, 152)
    assert (b["leads_aged"].sum(), b["sales_within"].sum()) == (2327, 81)
    t = sample_tables[("sales", 30)]
    p = parts(t)
    assert p["period_a"] == pytest.approx(152)  # every Q1 lead is old enough
    assert part_sum(t) == pytest.approx(p["change"], abs=1e-9)
    mix = p["mix:source"] + p["mix:qualification"]
    assert mix < 0 and abs(mix) > abs(p["conversion"])
    # at equal age the young Q2 leads no longer make conversion look worse
    assert abs(p["conversion"]) < abs(parts(sample_tables[("sales", None)])["conversion"])


@pytest.mark.parametrize("days", [None, 30])
def test_sample_revenue_parts_add_up(sample_tables, days):
    t = sample_tables[("revenue", days)]
    p = parts(t)
    if days is None:
        # pandas sum of revenue by quarter: 10,881,000 in Q1, 6,873,500 in Q2
        assert p["period_a"] == pytest.approx(10_881_000)
        assert p["period_b"] == pytest.approx(6_873_500)
    assert part_sum(t) == pytest.approx(p["change"], rel=1e-12)
    assert abs(p["mix:source"] + p["mix:qualification"]) > abs(p["conversion"])


def test_sample_contributions_name_the_sources(sample):
    a, b = period_cells(sample, "2026Q1", "2026Q2")
    c = contributions(a, b)
    t = parts(decompose(a, b))
    by_part = c.groupby("part")["value"].sum()
    for name in ("volume", "mix:source", "mix:qualification", "conversion"):
        assert by_part[name] == pytest.approx(t[name], abs=1e-9)
    # telegram is new in Q2: its conversion in Q1 is its Q2 conversion, so it adds
    # nothing to the conversion part
    tg = c[(c["source"] == "telegram") & (c["part"] == "conversion")]
    assert (tg["value"] == 0.0).all()


def test_unknown_period_lists_the_periods(sample):
    with pytest.raises(ValueError, match=r"2025Q4.*\['2026Q1', '2026Q2'\]"):
        decompose_periods(sample, "2025Q4", "2026Q2")
