"""Lead maturity: the Kaplan-Meier time to sale computed on grouped counts must equal a
textbook table and a row-level product-limit; conversion at equal age must see through
young leads."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from statsmodels.duration.survfunc import SurvfuncRight

from analysis.ingest.load import load_dataset
from analysis.insight.findings import maturity_caveat
from analysis.render.time_figures import plot_time_to_sale
from analysis.stats.maturity import conversion_at_age, share_at
from analysis.stats.survival import CURVE_COLUMNS, cohort_curves, sale_quantiles, time_to_sale

AS_OF = pd.Timestamp("2026-07-09")
DAY = pd.Timedelta(days=1)


def _leads(times, sold, source="a", as_of=AS_OF) -> pd.DataFrame:
    """Leads whose time to sale (sold) or age on ``as_of`` (not sold) is ``times`` days."""
    times = np.asarray(times, dtype="float64")
    sold = np.asarray(sold, dtype=bool)
    delta = pd.to_timedelta(times, unit="D")
    # a sold lead is created 400 days before as_of and sells `time` days later; an unsold
    # one is created `time` days before as_of, so its age on as_of is `time`
    created = np.where(sold, as_of - 400 * DAY, as_of - delta)
    created = pd.DatetimeIndex(created).astype("datetime64[us]")
    won = pd.Series(created + delta).where(sold).astype("datetime64[us]")
    return pd.DataFrame(
        {
            "lead_id": [f"{source}{i}" for i in range(len(times))],
            "created_at": created,
            "source": source,
            "converted": sold.astype("int8"),
            "won_at": won.to_numpy(),
        }
    )


# Freireich et al. (1963), 6-MP arm, weeks of remission; False = censored (*)
MP6_TIMES = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
MP6_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
# placebo arm of the same trial: every patient relapsed (no censoring)
PLACEBO = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]


def test_km_equals_the_6mp_textbook_table():
    leads = _leads(MP6_TIMES, MP6_EVENT)
    curves = time_to_sale(leads, as_of=AS_OF)
    assert list(curves.columns) == list(CURVE_COLUMNS)
    ev = curves[curves["sales"] > 0].set_index("day")
    assert ev.index.tolist() == [6, 7, 10, 13, 16, 22, 23]
    # at risk, as in the textbook product-limit table (Klein & Moeschberger 2003, 6-MP
    # group): 21; 21-4 = 17; 17-1(7)-1(9*) = 15; 15-2(10,10*)-1(11*) = 12; 11; 11-4 = 7; 6
    assert ev["at_risk"].tolist() == [21, 17, 15, 12, 11, 7, 6]
    # product limit by hand: 18/21 = .857; x16/17 = .807; x14/15 = .753; x11/12 = .690;
    # x10/11 = .627; x6/7 = .538; x5/6 = .448 (the S(t) printed by K&M and Collett)
    surv = 1 - ev["converted_share"]
    assert surv.tolist() == pytest.approx(
        [0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448], abs=5e-4
    )
    # Greenwood SEs as printed there; by hand at t=6: .857 * sqrt(3 / (21 * 18)) = .0764,
    # at t=7: .807 * sqrt(3/378 + 1/(17 * 16)) = .0869
    assert ev["se"].tolist() == pytest.approx(
        [0.076, 0.087, 0.096, 0.107, 0.114, 0.128, 0.135], abs=5e-4
    )
    # log-log interval at t=6, by hand: v = sqrt(3/(21*18)) / |ln .8571| = .5779;
    # S^exp(+-1.96 v) = .8571^3.104 = .6197 and .8571^.3222 = .9516 -> share .048-.380
    assert ev.loc[6, "low"] == pytest.approx(1 - 0.9516, abs=5e-4)
    assert ev.loc[6, "high"] == pytest.approx(1 - 0.6197, abs=5e-4)
    # the 4 censored at 6..35 weeks end the table: the last lead (35*) leaves alone
    last = curves.iloc[-1]
    assert (last["day"], last["at_risk"], last["censored"]) == (35, 1, 1)
    assert curves["censored"].sum() == 12 and curves["sales"].sum() == 9  # 21 patients


def test_groups_get_their_own_curves():
    leads = pd.concat(
        [_leads(MP6_TIMES, MP6_EVENT, "6mp"), _leads(PLACEBO, [1] * 21, "placebo")],
        ignore_index=True,
    )
    curves = time_to_sale(leads, "source", as_of=AS_OF)
    at = share_at(curves, 8).set_index("source")
    # 6-MP at 8 weeks: S(7) = .807 as above
    assert 1 - at.loc["6mp", "converted_share"] == pytest.approx(0.807, abs=5e-4)
    # placebo, no censoring: S(8) = 8/21 (13 relapses by week 8); Greenwood is then the
    # binomial SE sqrt(S(1-S)/21) = .106
    pl = curves[(curves["source"] == "placebo") & (curves["day"] == 8)].iloc[0]
    assert 1 - pl["converted_share"] == pytest.approx(8 / 21)
    assert pl["se"] == pytest.approx(np.sqrt(8 / 21 * 13 / 21 / 21))
    # sale quantiles of the placebo arm (final share 1): half relapsed by week 8
    # (13/21 >= .5 first at 8), 90% by week 17 (19/21 = .905 first at 17)
    q = sale_quantiles(curves).set_index("source")
    assert q.loc["placebo", ["days_50", "days_90"]].tolist() == [8.0, 17.0]


def _row_level_km(days: np.ndarray, event: np.ndarray):
    """Textbook product limit straight from the leads, one row each (plain numpy)."""
    times = np.unique(days[event])
    s, gw, out = 1.0, 0.0, {}
    for t in times:
        n = np.sum(days >= t)
        d = np.sum((days == t) & event)
        s *= 1 - d / n
        gw += d / (n * (n - d)) if n > d else np.inf
        out[int(t)] = (n, d, s, s * np.sqrt(gw))
    return out


def test_km_on_counts_equals_a_row_level_product_limit():
    rng = np.random.default_rng(7)
    n = 600
    created = AS_OF - pd.to_timedelta(rng.uniform(0, 150, n), unit="D")
    delay = pd.to_timedelta(rng.gamma(2.0, 8.0, n), unit="D")
    sold = rng.random(n) < 0.35
    frame = pd.DataFrame(
        {
            "lead_id": np.arange(n).astype(str),
            "created_at": created.astype("datetime64[us]"),
            "source": np.where(rng.random(n) < 0.5, "vk", "yandex"),
            "converted": sold.astype("int8"),
            "won_at": pd.Series(created + delay).where(sold).astype("datetime64[us]"),
        }
    )
    before = frame.copy()
    curves = time_to_sale(frame, "source", as_of=AS_OF)
    pd.testing.assert_frame_equal(frame, before)  # the caller's frame is not touched

    # sales after as_of are "not sold yet" on as_of, as the function documents
    event = sold & (frame["won_at"] <= AS_OF).to_numpy()
    assert curves.attrs["notes"] and "closed after as_of" in curves.attrs["notes"][0]
    # the documented day convention: ceil(days to sale), floor(age)
    to_sale = (frame["won_at"] - frame["created_at"]) / DAY
    age = (AS_OF - frame["created_at"]) / DAY
    days = np.where(event, np.ceil(to_sale.fillna(0)), np.floor(age)).astype(int)
    for src, g in curves.groupby("source"):
        mask = (frame["source"] == src).to_numpy()
        ref = _row_level_km(days[mask], event[mask])
        ev = g[g["sales"] > 0]
        assert ev["day"].tolist() == list(ref)
        got = ev[["at_risk", "sales", "converted_share", "se"]].to_numpy()
        want = np.array([[n_, d_, 1 - s_, se_] for n_, d_, s_, se_ in ref.values()])
        np.testing.assert_allclose(got, want, rtol=1e-12)
        # an independent implementation: statsmodels' SurvfuncRight on the same days
        sf = SurvfuncRight(days[mask].astype(float), event[mask].astype(float))
        np.testing.assert_allclose(1 - ev["converted_share"], sf.surv_prob, rtol=1e-12)
        np.testing.assert_allclose(ev["se"], sf.surv_prob_se, rtol=1e-10)


def _two_cohorts() -> pd.DataFrame:
    """600 leads 180 days old and 600 leads 20 days old; in each, 120 buy, two on each
    day 1..60 after the lead; the young cohort's sales after as_of are not in the CRM."""
    frames = []
    for name, age in (("old", 180), ("young", 20)):
        created = AS_OF - age * DAY
        delay = np.full(600, np.nan)
        delay[:120] = 1 + np.arange(120) % 60
        sold = ~np.isnan(delay) & (delay <= age)
        won = pd.Series(created + pd.to_timedelta(np.nan_to_num(delay), unit="D"))
        frames.append(
            pd.DataFrame(
                {
                    "lead_id": [f"{name}{i}" for i in range(600)],
                    "created_at": pd.Series([created] * 600).astype("datetime64[us]"),
                    "campaign": name,
                    "converted": sold.astype("int8"),
                    "won_at": won.where(sold).astype("datetime64[us]"),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_equal_age_conversion_sees_through_young_leads():
    leads = _two_cohorts()
    t = conversion_at_age(leads, "campaign", days=15).set_index("campaign")
    # naive: old 120/600 = .20; young only the 40 sales of days 1..20 so far, 40/600
    assert t.loc["old", "conversion"] == pytest.approx(120 / 600)
    assert t.loc["young", "conversion"] == pytest.approx(40 / 600)
    # at equal age 15 days: both cohorts are at least 15 days old, both had 30 sales
    # within 15 days (2 a day): 30/600 = .05 each, and the Kaplan-Meier agrees
    assert t["aged_leads"].tolist() == [600, 600]
    assert t["sales_within"].tolist() == [30, 30]
    assert t["conversion_within"].tolist() == pytest.approx([0.05, 0.05])
    assert t["km_share"].tolist() == pytest.approx([0.05, 0.05])
    # Wilson interval of 30/600 by hand (z = 1.95996): centre (.05 + z^2/1200) /
    # (1 + z^2/600) = .052862, half-width z sqrt(.05 * .95/600 + z^2/1.44e6) / 1.0064
    # = .017618, so the lower bound is .035245
    assert t.loc["young", "conversion_within_low"] == pytest.approx(0.035245, abs=1e-6)
    # at 30 days the young cohort is not old enough: no aged leads, no KM beyond day 20
    t30 = conversion_at_age(leads, "campaign", days=30).set_index("campaign")
    assert t30.loc["young", "aged_leads"] == 0
    assert np.isnan(t30.loc["young", "conversion_within"])
    assert np.isnan(t30.loc["young", "km_share"])
    assert t30.loc["young", "young_share"] == 1.0


def test_caveat_names_the_young_share():
    leads = _two_cohorts()
    cav = maturity_caveat(leads, "campaign").set_index("campaign")
    # pooled KM of both cohorts: F(d) = d/300 up to day 60 (two sales a day per cohort,
    # the young censored at 20), final .20; 90% of it, .18, is reached on day 54
    assert cav["days"].tolist() == [54.0, 54.0]
    assert cav.loc["old", "caveat"] == ""
    assert cav.loc["young", "caveat"] == (
        "600 leads (100%) are younger than 54 days, the time within which 90% of sales "
        "close: their conversion is not final"
    )


@pytest.fixture(scope="module")
def sample():
    return load_dataset("sample").leads


def test_sample_q2_looks_worse_partly_because_it_is_young(sample):
    conv = conversion_at_age(sample, "quarter", days=30).set_index("quarter")
    q1, q2 = conv.loc["2026Q1"], conv.loc["2026Q2"]
    assert q2["conversion"] < q1["conversion"]  # the naive table
    # every Q1 lead is at least 99 days old (data end 2026-07-09) and deals close within
    # 60 days, so Q1 has no young leads and its KM at 60 days is its naive rate
    curves = time_to_sale(sample, "quarter")
    at60 = share_at(curves, 60).set_index("quarter")
    assert q1["young_leads"] == 0
    assert at60.loc["2026Q1", "converted_share"] == pytest.approx(q1["conversion"])
    # Q2 has leads from late June: its naive rate understates what it will reach
    assert q2["young_leads"] > 0
    assert at60.loc["2026Q2", "converted_share"] > q2["conversion"]
    # ...and at equal age the gap narrows but stays larger than chance
    naive_gap = q1["conversion"] - q2["conversion"]
    fair_gap = q1["conversion_within"] - q2["conversion_within"]
    assert 0 < fair_gap < naive_gap
    assert q2["conversion_within_high"] < q1["conversion_within_low"]

    cav = maturity_caveat(sample, "quarter").set_index("quarter")
    young = int(cav.loc["2026Q2", "young_leads"])
    share, days = cav.loc["2026Q2", ["young_share", "days"]]
    assert young > 0 and cav.loc["2026Q1", "caveat"] == ""
    assert cav.loc["2026Q2", "caveat"].startswith(
        f"{young:,} leads ({share:.0%}) are younger than {int(days)} days"
    )
    # the sample's deals close 3-60 days after the lead: so does the 90th percentile
    assert 3 <= days <= 60


def test_sale_dated_before_its_lead_is_left_out_with_a_note(sample):
    leads = sample.copy()
    bad = leads.index[leads["converted"] == 1][:3]
    leads.loc[bad, "won_at"] = leads.loc[bad, "created_at"] - pd.Timedelta(days=2)
    before = leads.copy()
    curves = time_to_sale(leads, "source")
    pd.testing.assert_frame_equal(leads, before)
    assert curves.attrs["excluded"]["sale_before_lead"] == 3
    assert curves.attrs["notes"][0].startswith("3 sale(s) have won_at before created_at")
    # all other leads are there: 4,335 in the sample minus the 3
    first = curves.groupby("source")["at_risk"].first()
    assert first.sum() == len(sample) - 3
    assert (curves["day"] >= 0).all()
    # conversion at equal age counts every lead (the period's count, as on every page)
    # and says how many were kept out of the time measure
    conv = conversion_at_age(leads, days=30)
    assert conv["leads"].iloc[0] == len(sample)
    assert conv["left_out"].iloc[0] == 3


def test_as_of_cuts_the_data_as_it_stood():
    leads = _leads([5, 10, 20], [1, 1, 0])
    late = leads.iloc[[0]].assign(lead_id="late", created_at=AS_OF + DAY, won_at=pd.NaT)
    leads = pd.concat([leads, late], ignore_index=True)
    earlier = AS_OF - 395 * DAY  # 5 days after the sold leads: one sale seen, one not
    curves = time_to_sale(leads, as_of=earlier)
    notes = " ".join(curves.attrs["notes"])
    assert "1 sale(s) closed after as_of" in notes
    # the "late" lead and the one aged 20 on 2026-07-09 are not yet created on `earlier`
    assert "2 lead(s) were created after as_of" in notes
    # left: the lead sold 5 days after it came, and the one sold at 10 days (censored)
    assert curves["sales"].sum() == 1 and curves["censored"].sum() == 1


def test_time_zone_aware_dates_give_the_same_curves(sample):
    # the same instants read in Moscow time: every duration, hence every count, is equal
    moscow = sample.assign(
        created_at=sample["created_at"].dt.tz_localize("Europe/Moscow"),
        won_at=sample["won_at"].dt.tz_localize("Europe/Moscow"),
    )
    a = time_to_sale(sample, "source")
    pd.testing.assert_frame_equal(time_to_sale(moscow, "source"), a)
    # a naive as_of (the data's end, the default) is read in created_at's zone
    end = max(sample["created_at"].max(), sample["won_at"].max())
    pd.testing.assert_frame_equal(time_to_sale(moscow, "source", as_of=str(end)), a)


def test_cohorts_and_parquet_input(sample, tmp_path):
    path = tmp_path / "leads.parquet"
    sample.assign(qualification=sample["qualification"].astype(str)).to_parquet(path)
    a = cohort_curves(sample, "month")
    b = cohort_curves(path, "month")
    pd.testing.assert_frame_equal(a, b)
    assert a["month"].unique().tolist() == [f"2026-0{m}" for m in range(1, 7)]
    # data end 2026-07-09: a June lead is at most 38 days old, a January one at least 159
    last = a.groupby("month")["day"].max()
    assert last.loc["2026-06"] <= 38 and last.loc["2026-01"] >= 159


def test_arguments_are_checked(sample):
    with pytest.raises(ValueError, match="won_at"):
        time_to_sale(sample.drop(columns="won_at"))
    with pytest.raises(ValueError, match="cannot group by"):
        time_to_sale(sample, "colour")
    with pytest.raises(ValueError, match="days must be"):
        conversion_at_age(sample, days=0)
    with pytest.raises(ValueError, match="period must be"):
        cohort_curves(sample, "year")
    with pytest.raises(ValueError, match="not a time-to-sale table"):
        share_at(sample, 30)


def test_plot_time_to_sale(sample):
    curves = time_to_sale(sample, "source")
    fig = plot_time_to_sale(curves, "source", "Time to sale by source", max_groups=3)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    # the three sources with most leads, with their counts (sample: vk 2,015 leads)
    assert len(labels) == 3 and labels[0].startswith("vk (n = 2,015,")
    assert ax.get_xlabel() == "days since the lead"
    assert "3 largest of 7" in ax.get_title()
    plt.close(fig)
    with pytest.raises(ValueError, match="grouped by"):
        plot_time_to_sale(curves, "campaign", "x")
