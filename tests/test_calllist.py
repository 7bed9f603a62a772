"""The scored call list (issue 15): its scores pinned to the sample generator's truth
(every lead's eventual outcome, also for leads still open at the export), and its
shape on odd data.

The reference is independent of the model: `SampleData.future` holds whether each
lead becomes a sale at any time, drawn by the generator from its own win probabilities
(class, segment, manager, speed, quarter), which the call list never sees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from analysis.sample.company import generate
from analysis.stats.calllist import _p_open, calibration, call_list


@pytest.fixture(scope="module")
def big():
    """A sample company ten times the committed one (about 43,000 leads, 1,300 of
    them open at the export)."""
    data = generate(seed=3, scale=10.0)
    scored = call_list(data.truth, limit=None)
    return data, scored, scored.leads.merge(data.future, on="lead_id", validate="1:1")


def test_the_scores_are_calibrated_on_the_generators_truth(big):
    """Predicted against realised by decile: each decile's mean predicted probability
    lies in the 99% Wilson interval of the share of its leads that really become sales
    (99% per decile, so a well calibrated model fails the ten together about once in
    ten draws; the seed is fixed), and the sales the open
    leads should bring lie within three standard deviations of the realised count
    (the Poisson-binomial spread of the predictions)."""
    data, scored, got = big
    assert len(got) == scored.open_leads > 1000
    cal = calibration(got["p_sale"], got["will_sell"], level=0.99)
    outside = cal[(cal["predicted"] < cal["low"]) | (cal["predicted"] > cal["high"])]
    assert outside.empty, cal.to_string()
    # the scores separate: the top decile sells several times as often as the bottom half
    assert cal["realised"].iloc[-1] > 4 * cal["realised"].iloc[:5].mean()
    p = got["p_sale"].to_numpy()
    spread = np.sqrt(np.sum(p * (1 - p)))
    assert abs(scored.expected_sales - got["will_sell"].sum()) < 3 * spread


def test_the_cells_rates_predict_their_leads_outcomes(big):
    """Each cell's eventual conversion against what its leads really do: the cell's
    count of leads that ever sell, against the count its rate predicts, with the
    binomial spread of the count plus the rate's own uncertainty (its posterior
    variance). Within two standard deviations for at least 90% of the cells with 30 or
    more leads (95% expected; the classes' unknown leads, scored differently, left out)."""
    data, scored, _ = big
    truth = data.truth.merge(data.future, on="lead_id")
    truth["segment"] = truth["segment"].fillna("(not set)")
    truth["qualification"] = truth["qualification"].astype(str)
    keys = ["source", "campaign", "segment", "qualification"]
    real = truth.groupby(keys, as_index=False).agg(n=("will_sell", "size"), k=("will_sell", "sum"))
    cells = scored.cells.merge(real, on=keys)
    cells = cells[(cells["n"] >= 30) & (cells["qualification"] != "unknown")]
    a = cells["sales"] + cells["prior_mean"] * cells["prior_strength"]
    b = cells["matured"] - cells["sales"] + (1 - cells["prior_mean"]) * cells["prior_strength"]
    var_rate = a * b / ((a + b) ** 2 * (a + b + 1))
    r, n = cells["rate"], cells["n"]
    z = (cells["k"] - n * r) / np.sqrt(n * r * (1 - r) + n**2 * var_rate)
    assert len(cells) >= 40
    assert (z.abs() < 2).mean() >= 0.90, cells.assign(z=z)[z.abs() >= 2][[*keys, "n", "k", "rate"]]


def test_the_list_holds_open_leads_only_sorted_by_expected_revenue(big):
    data, scored, got = big
    truth = data.truth.set_index("lead_id")
    rows = truth.loc[got["lead_id"]]
    assert (rows["converted"] == 0).all() and rows["lost_reason"].isna().all()
    open_ids = truth[(truth["converted"] == 0) & truth["lost_reason"].isna()].index
    assert set(got["lead_id"]) == set(open_ids)
    assert got["expected_revenue"].is_monotonic_decreasing
    assert (got["p_sale_low"] <= got["p_sale"] + 1e-12).all()
    assert (got["p_sale"] <= got["p_sale_high"] + 1e-12).all()
    assert got["rank"].tolist() == list(range(1, len(got) + 1))
    # lead ids, never personal data: the columns are the kit's
    assert set(got.columns) >= {"lead_id", "manager", "age_days", "p_sale", "expected_revenue"}
    assert not {"name", "phone", "email", "contact"} & set(got.columns)


def test_limit_keeps_the_top_and_the_totals():
    data = generate(seed=4, scale=1.0)
    full = call_list(data.truth, limit=None)
    top = call_list(data.truth, limit=25)
    assert len(top.leads) == 25
    pd.testing.assert_frame_equal(top.leads, full.leads.head(25))
    assert top.expected_sales == pytest.approx(full.expected_sales)


def test_the_probability_of_a_sale_later_by_bayes_rule():
    """Closed form: of 1000 leads with eventual rate 0.3, 150 have sold by an age where
    half the sales have closed; of the 850 unsold, 150 will still sell (0.1765); if
    only half of the unsold are open, 150 of 425 open leads will (0.3529)."""
    assert _p_open(0.3, 0.5, 1.0) == pytest.approx(150 / 850)
    assert _p_open(0.3, 0.5, 0.5) == pytest.approx(150 / 425)
    assert _p_open(0.3, 1.0, 0.7) == 0.0  # every sale of the cell has closed by this age
    assert _p_open(0.0, 0.2, 0.5) == 0.0


def test_a_time_split_scores_what_was_open_then():
    """Scored as of an earlier day, leads sold after that day are open and scored, and
    leads created after it are left out."""
    data = generate(seed=5, scale=1.0)
    t = data.truth
    as_of = pd.Timestamp("2026-05-01")
    scored = call_list(t, as_of=as_of, limit=None)
    ids = set(scored.leads["lead_id"])
    later_sales = t[(t["won_at"] > as_of) & (t["created_at"] <= as_of)]["lead_id"]
    assert set(later_sales) <= ids
    assert not ids & set(t[t["created_at"] > as_of]["lead_id"])


def test_no_open_lead_and_no_sale_give_an_empty_list_not_a_crash():
    data = generate(seed=6, scale=0.2)
    t = data.truth.copy()
    closed = t.assign(lost_reason=t["lost_reason"].where(t["converted"] == 1, "no answer"))
    closed.loc[closed["converted"] == 1, "lost_reason"] = None
    got = call_list(closed)
    assert got.open_leads == 0 and got.leads.empty and got.expected_sales == 0
    nosale = t.assign(converted=0, revenue=0.0, won_at=pd.NaT)
    got = call_list(nosale, limit=None)
    assert got.open_leads > 0 and (got.leads["p_sale"] == 0).all()
    assert got.expected_revenue is None


def test_duckdb_file_and_frame_give_the_same_list(tmp_path):
    """The same leads as a frame and as a Parquet file read by DuckDB give the same
    list (the engine does the grouping and the join either way)."""
    data = generate(seed=7, scale=0.5)
    path = tmp_path / "leads.parquet"
    data.truth.to_parquet(path)
    a = call_list(data.truth, limit=None).leads
    b = call_list(str(path), limit=None).leads
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_calibration_table_by_hand():
    got = calibration([0.1, 0.2, 0.3, 0.4], [0, 0, 1, 1], bins=2)
    assert got["leads"].tolist() == [2, 2]
    assert got["predicted"].tolist() == pytest.approx([0.15, 0.35])
    assert got["realised"].tolist() == [0.0, 1.0]
    # the Wilson interval of 0 of 2 at 95%: (0, z^2/(n+z^2))
    z = sps.norm.ppf(0.975)
    assert got["high"].iloc[0] == pytest.approx(z**2 / (2 + z**2))


def test_the_managers_lists_hold_the_leads_the_checks_count():
    """Every open lead the processing checks count as stuck is in its manager's lists
    (stuck, or never contacted if nobody called it), each once, oldest first."""
    from analysis.stats.calllist import NEVER_CONTACTED, STUCK, manager_lists
    from analysis.stats.managers import processing_checks

    data = generate(seed=4, scale=1.0)
    lists = manager_lists(data.truth, per_manager=None)
    checks = processing_checks(data.truth).set_index("manager")
    assert lists["lead_id"].is_unique
    truth = data.truth.set_index("lead_id").loc[lists["lead_id"]]
    assert (truth["converted"] == 0).all() and truth["lost_reason"].isna().all()
    never = lists[lists["list"] == NEVER_CONTACTED]
    assert truth.loc[never["lead_id"], "first_contact_at"].isna().all()
    old_never = never[never["age_days"] >= 14].groupby("manager").size()
    stuck = lists[lists["list"] == STUCK].groupby("manager").size()
    both = stuck.add(old_never, fill_value=0).astype(int)
    assert both.to_dict() == checks.loc[checks["stuck"] > 0, "stuck"].to_dict()
    for _, part in lists.groupby(["manager", "list"]):
        assert part["age_days"].is_monotonic_decreasing
        assert part["position"].tolist() == list(range(1, len(part) + 1))
    short = manager_lists(data.truth, per_manager=3)
    assert short.groupby(["manager", "list"]).size().max() <= 3
