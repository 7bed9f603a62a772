"""A seeded generator of the sample company the kit's examples and tests run on.

The story: a B2B metal-products trader ("Промснаб") cuts its cost per lead (CPL)
about threefold from Q1 to Q2 2026 by cutting its search budgets by about half and
moving the money to two cheap social channels, and its sales still fall, because the
cheap channels bring cold leads (and small firms, so revenue falls further). Within
each qualification class the chance of a sale is the same in both quarters except
for a small overload effect on the sales team (slower first contact, odds of a sale
about x0.9 in all), so most of the fall is marketing's lead mix, not sales.

Counts that the story rests on (won deals per month and class, hot/warm/cold shares
per campaign and month) are drawn by systematic sampling within strata, so they sit
within one of their expected values for any seed, while which lead wins stays random:
the sample tells its story whatever the seed, and its noise is that of lead volumes,
segments, managers and contact times.

The company's files are exports in the layouts of the tools a Russian company of this
kind uses (`analysis.sample.layouts`; the facts behind each layout are in the kit's
EXPORT_FORMATS.md), read by ``data/profiles/sample.yaml`` the way the shipped
``amocrm.yaml`` reads them:

``amocrm_deals.csv``
    amoCRM's «Сделки → Экспорт»: UTF-8 without BOM, comma, newest deal first, the
    contact's personal data (invented people) that a loader must drop, custom fields,
    form-made utm_* fields beside the tracking group of the same names, the visitor's
    Metrica ClientID in ``_ym_uid``, «не закрыта» for open deals.
``direct_report.tsv``
    A Yandex.Direct Reports API report: title line, money in micros, ``Total rows``.
``vk_ad_plans_day.json``
    The VK Ads API's daily statistics of ad plans: every day asked for, money as text.
``google_ads_campaign_report.csv``
    A Google Ads campaign report downloaded from its UI: title rows, totals rows.
``telegram_spend.csv``
    A plain spend table for the Telegram channel ads, whose ad system has no export
    the kit knows.
``metrica_visits.tsv``
    Yandex Metrica's Logs API visits: no lead id; a deal's visits are those of its
    ClientID up to its creation.

`generate` also returns ``truth``, the canonical leads table (see
`analysis.ingest.schema`) that a correct loader must produce from the files, and
``spend``, the canonical spend they hold.

Every parameter of the generating process is a module-level constant of
`analysis.sample.params`.

Examples
--------
>>> from analysis.sample.company import generate
>>> sample = generate(seed=1, scale=0.05)
>>> list(sample.truth.columns[:4])
['lead_id', 'created_at', 'source', 'medium']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.sample.exports import (
    entry_urls,
    make_sessions,
    personal_data,
    truth_table,
)
from analysis.sample.layouts import close_times, deal_ids, render_exports
from analysis.sample.params import (
    BLANK_BUDGET_SHARE,
    BLANK_SEGMENT_SHARE,
    CHANNELS,
    CONTACT_SIGMA,
    DAY,
    DEAL_MEDIAN,
    DEAL_SIGMA,
    DEFAULT_SEED,
    EXPORT_DATE,
    HOLIDAY_FACTOR,
    HOLIDAYS,
    LAYOUT_STREAM,
    LOST_DAYS,
    LOST_REASON_MIX,
    LOST_REASONS,
    LOST_STAGE,
    MANAGER_WEIGHTS,
    MANAGERS,
    MISSED_CALL_SHARE,
    NEVER_CONTACTED,
    NEVER_CONTACTED_ODDS,
    OPEN_STAGES,
    PENDING_DAYS,
    PENDING_SHARE,
    PERIOD_END,
    PERIOD_START,
    PHONE_HOURS,
    PHONE_WEEKEND,
    Q2_CONTACT_SLOWDOWN,
    Q2_OVERLOAD_ODDS,
    Q2_START,
    QUALIFICATIONS3,
    SECOND,
    SEGMENT_MIX,
    SEGMENT_ODDS,
    SPEED_ODDS,
    TRAINEE_SHARE,
    TRAINEE_START,
    UNQUALIFIED_SHARE,
    UNQUALIFIED_WIN_PROB,
    WEB_HOURS,
    WEEKDAY_LEADS,
    WEEKDAY_SPEND,
    WIN_PROB,
    WON_DAYS,
    WON_STAGE,
    WORK_HOURS,
)

__all__ = ["SampleData", "generate"]


@dataclass(frozen=True)
class SampleData:
    """A generated sample: the exports as written, and the tables they encode.

    Attributes
    ----------
    files : dict
        ``{input name: bytes}``, one export per input of ``data/profiles/sample.yaml``
        (amocrm, direct, vk, google_ads, telegram, metrica), exactly as written.
    truth : DataFrame
        The canonical leads table a loader must produce from the files: columns
        lead_id, created_at, source, medium, campaign, segment, manager, qualification,
        converted, revenue, won_at, first_contact_at, stage, lost_reason, attributed_by.
    spend : DataFrame
        The canonical spend the spend files hold, one row per campaign and day it ran:
        date, source, campaign, spend (RUB), clicks, impressions.
    future : DataFrame
        What no export can know: per lead_id, ``will_sell``, whether the lead becomes a
        sale at any time (also after the export, for a lead still open then), the truth
        a call list's scores are checked against.
    """

    files: dict[str, bytes]
    truth: pd.DataFrame
    spend: pd.DataFrame
    future: pd.DataFrame


# --------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------


def generate(seed: int = DEFAULT_SEED, scale: float = 1.0) -> SampleData:
    """Generate the sample company's exports and the leads and spend they encode.

    Parameters
    ----------
    seed : int, default DEFAULT_SEED
        Seed of ``numpy.random.default_rng``; the same seed and scale give the same data.
    scale : float, default 1.0
        Multiplies lead volumes, sessions and spend (1.0 is the committed sample, about
        4,300 leads; 0.2 is enough for quick tests).

    Returns
    -------
    SampleData
        ``files`` as they are written, ``truth`` and ``spend``.

    Raises
    ------
    ValueError
        If ``seed`` is not a non-negative integer or ``scale`` not in (0, 20].

    Examples
    --------
    >>> data = generate(seed=7, scale=0.05)
    >>> list(data.files)
    ['amocrm', 'direct', 'vk', 'google_ads', 'telegram', 'metrica']
    >>> data.files["amocrm"].decode("utf-8").split(",")[:3]
    ['ID', 'Название сделки', 'Бюджет ₽']
    >>> data.spend.groupby("source")["spend"].sum().round(-3).to_dict()
    {'google': 27000.0, 'telegram': 15000.0, 'vk': 49000.0, 'yandex': 78000.0}
    """
    _check_args(seed, scale)
    rng = np.random.default_rng(seed)
    channels = {ch.key: ch for ch in CHANNELS}
    spend, paid_days = _make_spend(rng, scale)
    leads = _make_leads(rng, scale, paid_days)
    _qualify(rng, leads)
    _contact(rng, leads)
    _outcome(rng, leads)
    _pending_qualification(rng, leads)
    personal_data(rng, leads)
    entry_urls(rng, leads)
    sessions = make_sessions(rng, leads, channels, scale)
    # what only the files' layouts add comes from a second stream, so it never moves
    # a draw of the first (which lead is won, which visit it came from)
    layout_rng = np.random.default_rng([seed, LAYOUT_STREAM])
    leads["id"] = deal_ids(layout_rng, len(leads["id"]))
    close_times(layout_rng, leads)
    files = render_exports(layout_rng, leads, spend, sessions)
    canonical = ["date", "source", "campaign", "spend", "clicks", "impressions"]
    future = pd.DataFrame(
        {
            "lead_id": pd.array(leads["id"].astype(str), dtype="str"),
            "will_sell": np.asarray(leads["would_win"], dtype=bool),
        }
    )
    return SampleData(
        files=files, truth=truth_table(leads), spend=spend[canonical].copy(), future=future
    )


# --------------------------------------------------------------------------------------
# Generation steps. `leads` is a dict of numpy arrays, one entry per lead.
# --------------------------------------------------------------------------------------


def _check_args(seed: object, scale: object) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if (
        isinstance(scale, bool)
        or not isinstance(scale, int | float | np.number)
        or not 0 < scale <= 20
    ):
        raise ValueError(f"scale must be a number in (0, 20], got {scale!r}")


def _days() -> pd.DatetimeIndex:
    return pd.date_range(PERIOD_START, PERIOD_END, freq="D")


def _quarter(ts: np.ndarray) -> np.ndarray:
    """0 for Q1, 1 for Q2."""
    return (ts >= Q2_START.to_datetime64()).astype(np.int64)


def _month(ts: np.ndarray) -> np.ndarray:
    """Calendar month, 0 for January."""
    return ts.astype("datetime64[M]").astype(np.int64) % 12


def _day_weights(days: pd.DatetimeIndex, weekday: Sequence[float]) -> np.ndarray:
    w = np.asarray(weekday)[days.day_of_week]
    return np.where(days.isin(HOLIDAYS), w * HOLIDAY_FACTOR, w)


def _per_quarter(days: pd.DatetimeIndex, weights: np.ndarray, totals) -> np.ndarray:
    """Spread each quarter's total over its days in proportion to ``weights``."""
    q = _quarter(days.values)
    out = np.zeros(len(days))
    for k in (0, 1):
        mask = (q == k) & (weights > 0)
        if totals[k] > 0 and mask.any():
            out[mask] = totals[k] * weights[mask] / weights[mask].sum()
    return out


def _make_spend(rng: np.random.Generator, scale: float):
    """Daily spend rows (date, source, campaign, spend, clicks, impressions and the
    channel's key), and each paid channel's daily spend for the lead volumes."""
    days = _days()
    rows = []
    paid_days = {}
    for ch in CHANNELS:
        if ch.kind not in ("paid", "spend_only"):
            continue
        active = (days >= ch.start) & (days <= ch.end)
        weights = _day_weights(days, WEEKDAY_SPEND) * active
        cost = _per_quarter(days, weights, [b * scale for b in ch.budget])
        cost = np.round(cost * rng.lognormal(0.0, 0.15, len(days)), 2)
        clicks = np.round(cost / (ch.cpc * rng.lognormal(0.0, 0.1, len(days))))
        impressions = np.round(clicks / (ch.ctr * rng.lognormal(0.0, 0.15, len(days))))
        paid_days[ch.key] = np.where(active, cost, 0.0)
        for i in np.flatnonzero(active):
            rows.append(
                (days[i], ch.source, ch.campaign, cost[i], clicks[i], impressions[i], ch.key)
            )
    columns = ["date", "source", "campaign", "spend", "clicks", "impressions", "channel"]
    spend = pd.DataFrame(rows, columns=columns)
    spend = spend.astype(
        {
            "date": "datetime64[us]",
            "source": "str",
            "campaign": "str",
            "spend": "float64",
            "clicks": "Int64",
            "impressions": "Int64",
            "channel": "str",
        }
    )
    spend = spend.sort_values(["date", "source", "campaign"], kind="mergesort")
    return spend.reset_index(drop=True), paid_days


def _make_leads(rng: np.random.Generator, scale: float, paid_days: dict) -> dict:
    """Lead arrivals: channel and creation time, ids in creation order."""
    days = _days()
    web_hours = np.asarray(WEB_HOURS) / sum(WEB_HOURS)
    phone_hours = np.asarray(PHONE_HOURS) / sum(PHONE_HOURS)
    chan_idx, created = [], []
    for idx, ch in enumerate(CHANNELS):
        if ch.kind == "spend_only":
            continue
        if ch.kind == "paid":
            expected = paid_days[ch.key] / ch.cpl
        else:
            weekday = WEEKDAY_LEADS
            if ch.kind == "phone":
                weekday = (*WEEKDAY_LEADS[:5], PHONE_WEEKEND, PHONE_WEEKEND)
            weights = _day_weights(days, weekday)
            expected = _per_quarter(days, weights, [n * scale for n in ch.leads])
        counts = rng.poisson(expected)
        n = int(counts.sum())
        day = np.repeat(days.values.astype("datetime64[s]"), counts)
        hours = rng.choice(24, size=n, p=phone_hours if ch.kind == "phone" else web_hours)
        seconds = hours * 3600 + rng.integers(0, 3600, size=n)
        chan_idx.append(np.full(n, idx))
        created.append(day + seconds * SECOND)
    chan = np.concatenate(chan_idx)
    when = np.concatenate(created)
    order = np.lexsort((chan, when))
    n = len(order)
    return {
        "id": np.arange(n),  # positions; the CRM's deal ids come with its layout
        "channel": chan[order],
        "created": when[order],
        "quarter": _quarter(when[order]),
    }


def _choose_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category index per row of a (rows x categories) probability matrix."""
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(probs))
    return np.minimum((u[:, None] > cum).sum(axis=1), probs.shape[1] - 1)


def _balanced_choice(rng: np.random.Generator, probs: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """Like `_choose_rows`, but each stratum's category counts are n * share give or take
    one (systematic sampling over a random order). Rows of a stratum share ``probs``."""
    out = np.empty(len(probs), dtype=np.int64)
    order = rng.permutation(len(probs))
    keys = strata[order]
    for key in np.unique(keys):
        idx = order[keys == key]
        cum = np.cumsum(probs[idx[0]])
        pos = (np.arange(len(idx)) + rng.random()) / len(idx) * cum[-1]
        out[idx] = np.minimum(np.searchsorted(cum, pos, side="right"), probs.shape[1] - 1)
    return out


def _balanced_bernoulli(rng: np.random.Generator, p: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """Draws with ``P(row i is True) = p[i]`` whose number of successes in each stratum
    is ``sum(p)`` rounded up or down (systematic sampling over a random order)."""
    out = np.zeros(len(p), dtype=bool)
    order = rng.permutation(len(p))
    keys = strata[order]
    for key in np.unique(keys):
        idx = order[keys == key]
        start = rng.random()
        cum = start + np.cumsum(p[idx])
        out[idx] = np.floor(cum) > np.floor(np.concatenate(([start], cum[:-1])))
    return out


def _qualify(rng: np.random.Generator, leads: dict) -> None:
    """Latent class (0 hot, 1 warm, 2 cold), segment and manager."""
    chan, q = leads["channel"], leads["quarter"]
    mix = np.array([[ch.mix[k] for k in (0, 1)] for ch in CHANNELS])  # channel, q, class
    cls = _balanced_choice(rng, mix[chan, q], strata=chan * 12 + _month(leads["created"]))
    seg_mix = np.array([SEGMENT_MIX[c] for c in QUALIFICATIONS3])[cls]
    override = np.array([ch.segments or (np.nan,) * 3 for ch in CHANNELS])[chan]
    seg = _choose_rows(rng, np.where(np.isnan(override), seg_mix, override))
    manager_w = np.array([MANAGER_WEIGHTS[c] for c in QUALIFICATIONS3])[cls]
    trainee = np.where(
        leads["created"] >= TRAINEE_START.to_datetime64(),
        TRAINEE_SHARE / (1 - TRAINEE_SHARE) * manager_w.sum(axis=1),
        0.0,
    )
    manager = _choose_rows(rng, np.column_stack([manager_w, trainee]))
    leads["class"] = cls
    leads["segment"] = seg
    leads["segment_blank"] = rng.random(len(cls)) < BLANK_SEGMENT_SHARE
    leads["unqualified"] = rng.random(len(cls)) < UNQUALIFIED_SHARE
    leads["manager"] = manager


def _working_calendar() -> tuple[np.ndarray, np.ndarray]:
    """Days from PERIOD_START to EXPORT_DATE and, for each, the next working day."""
    days = pd.date_range(PERIOD_START, EXPORT_DATE + pd.Timedelta(days=15), freq="D")
    working = (days.day_of_week < 5) & ~days.isin(HOLIDAYS)
    nxt = np.empty(len(days), dtype=np.int64)
    following = len(days) - 1
    for i in range(len(days) - 1, -1, -1):
        if working[i]:
            following = i
        nxt[i] = following
    return days.values.astype("datetime64[s]"), nxt


def _next_working_moment(when: np.ndarray) -> np.ndarray:
    """The moment the sales team can first react: ``when`` if inside working hours,
    else 9:00 of the next working day."""
    days, nxt = _working_calendar()
    day_idx = ((when.astype("datetime64[D]") - days[0].astype("datetime64[D]")) / DAY).astype(
        np.int64
    )
    sec = ((when - when.astype("datetime64[D]")) / SECOND).astype(np.int64)
    start, end = WORK_HOURS[0] * 3600, WORK_HOURS[1] * 3600
    in_hours = (nxt[day_idx] == day_idx) & (sec >= start) & (sec < end)
    after = sec >= end
    target = nxt[np.minimum(day_idx + after, len(days) - 1)]
    opening = days[target] + start * SECOND
    return np.where(in_hours, when, opening)


def _contact(rng: np.random.Generator, leads: dict) -> None:
    """First-contact time (NaT if never) and the hours it took."""
    n = len(leads["id"])
    q = leads["quarter"]
    phone = np.array([ch.kind == "phone" for ch in CHANNELS])[leads["channel"]]
    median_min = np.array([m[2] for m in MANAGERS], dtype=float)[leads["manager"]]
    median_min = median_min * np.where(q == 1, Q2_CONTACT_SLOWDOWN, 1.0)
    delay_min = np.minimum(np.exp(rng.normal(np.log(median_min), CONTACT_SIGMA)), 5 * 24 * 60)
    start = _next_working_moment(leads["created"])
    contact = start + np.round(delay_min * 60).astype(np.int64) * SECOND
    # a call in working hours is answered (the call is the first contact) unless missed;
    # out of hours, and when missed, the caller is called back like a web lead
    answered = (rng.random(n) >= MISSED_CALL_SHARE) & (start == leads["created"])
    talk = rng.integers(15, 180, size=n) * SECOND
    contact = np.where(phone & answered, leads["created"] + talk, contact)
    never = ~phone & (rng.random(n) < np.asarray(NEVER_CONTACTED)[q])
    leads["contacted"] = ~never
    leads["first_contact"] = np.where(never, np.datetime64("NaT"), contact)
    leads["contact_hours"] = (contact - leads["created"]) / np.timedelta64(1, "h")


def _trunc_lognormal(
    rng: np.random.Generator, params: tuple[float, float, float, float], size: int
) -> np.ndarray:
    """Whole days, lognormal(median, sigma) redrawn until inside [low, high]."""
    median, sigma, low, high = params
    out = np.round(np.exp(rng.normal(np.log(median), sigma, size)))
    bad = (out < low) | (out > high)
    while bad.any():
        out[bad] = np.round(np.exp(rng.normal(np.log(median), sigma, int(bad.sum()))))
        bad = (out < low) | (out > high)
    return out.astype(np.int64)


def _win_probability(leads: dict) -> np.ndarray:
    cls, q = leads["class"], leads["quarter"]
    p0 = np.array([WIN_PROB[c] for c in QUALIFICATIONS3])[cls]
    p0 = np.where(leads["unqualified"], UNQUALIFIED_WIN_PROB, p0)
    odds = p0 / (1 - p0)
    seg_odds = np.where(leads["segment_blank"], 1.0, np.asarray(SEGMENT_ODDS)[leads["segment"]])
    skill = np.array([m[1] for m in MANAGERS])[leads["manager"]]
    bounds = np.array([b for b, _ in SPEED_ODDS])
    speed = np.array([m for _, m in SPEED_ODDS])[np.searchsorted(bounds, leads["contact_hours"])]
    odds = odds * seg_odds * skill * speed
    odds = odds * np.where(q == 1, Q2_OVERLOAD_ODDS, 1.0)
    odds = odds * np.where(leads["contacted"], 1.0, NEVER_CONTACTED_ODDS)
    return odds / (1 + odds)


def _outcome(rng: np.random.Generator, leads: dict) -> None:
    """Won or lost, close date, open at export, stage, lost reason and budget."""
    n = len(leads["id"])
    p_win = _win_probability(leads)
    month = _month(leads["created"])
    stratum = month * 4 + np.where(leads["unqualified"], 3, leads["class"])
    won = _balanced_bernoulli(rng, p_win, stratum)
    days = np.where(won, _trunc_lognormal(rng, WON_DAYS, n), _trunc_lognormal(rng, LOST_DAYS, n))
    created_day = leads["created"].astype("datetime64[D]")
    close = created_day + days * DAY
    contact_day = leads["first_contact"].astype("datetime64[D]")
    close = np.where(leads["contacted"] & (contact_day > close), contact_day, close)
    closed = close < EXPORT_DATE.to_datetime64().astype("datetime64[D]")

    # lost reasons: by class, never-contacted leads mostly unreachable
    keys = [*QUALIFICATIONS3]
    reason_mix = np.array([LOST_REASON_MIX[k] for k in keys])[leads["class"]]
    reason_mix = np.where(
        leads["unqualified"][:, None], np.array(LOST_REASON_MIX["unknown"]), reason_mix
    )
    reason_mix = np.where(
        leads["contacted"][:, None], reason_mix, np.array(LOST_REASON_MIX["never_contacted"])
    )
    reason = _choose_rows(rng, reason_mix)

    # open deals: a stage that fits what the deal would become
    u = rng.random(n)
    open_stage = np.where(
        won, np.where(u < 0.6, 2, 1), np.where(u < 0.15, 0, np.where(u < 0.85, 1, 2))
    )
    open_stage = np.where(leads["contacted"], open_stage, 0)

    seg = leads["segment"]
    budget = np.exp(rng.normal(np.log(np.asarray(DEAL_MEDIAN, dtype=float)[seg]), DEAL_SIGMA))
    budget = np.maximum(np.round(budget / 500) * 500, 5000.0)
    budget_blank = ~(won & closed) & (rng.random(n) < BLANK_BUDGET_SHARE)

    leads["p_win"] = p_win
    leads["won"] = won & closed
    leads["lost"] = ~won & closed
    leads["would_win"] = won
    leads["close"] = np.where(closed, close, np.datetime64("NaT"))
    leads["close_days"] = days
    leads["stage"] = np.where(
        closed, np.where(won, WON_STAGE, LOST_STAGE), np.asarray(OPEN_STAGES)[open_stage]
    )
    leads["reason"] = np.where(~won & closed, np.asarray(LOST_REASONS)[reason], "")
    leads["budget"] = np.where(budget_blank, np.nan, budget)


def _pending_qualification(rng: np.random.Generator, leads: dict) -> None:
    """Blank qualification: never qualified, or recent and still open at export."""
    is_open = ~(leads["won"] | leads["lost"])
    recent = leads["created"] >= (PERIOD_END - pd.Timedelta(days=PENDING_DAYS - 1)).to_datetime64()
    pending = is_open & recent & (rng.random(len(is_open)) < PENDING_SHARE)
    leads["qualification_blank"] = leads["unqualified"] | pending
    # a deal whose qualification is pending has not got far yet
    leads["stage"] = np.where(
        pending & (leads["stage"] == OPEN_STAGES[2]), OPEN_STAGES[1], leads["stage"]
    )
