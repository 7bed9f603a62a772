"""The sample company's exports in the layouts of the tools that write them.

Each function renders one file from the generated company exactly as its tool writes
it (the facts, with their sources and confidence, are in the kit's EXPORT_FORMATS.md;
the kit's fixtures of the same layouts are in ``tests/fixtures/exports/``):

* amoCRM's deals list («Сделки → Экспорт», CSV);
* a Yandex.Direct Reports API CUSTOM_REPORT (TSV, money in micros);
* VK Ads API v2 ``statistics/ad_plans/day.json``;
* a Google Ads campaign report from its UI (Reports → Download → CSV);
* a plain spend table for the Telegram channel ads, whose ad system has no export the
  kit knows;
* Yandex Metrica Logs API visits (TSV).

What only a layout adds (deal ids, ClientIDs, the times deals were closed and edited,
spelling variants, notes) is drawn from the generator's second random stream.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pandas as pd

from analysis.sample.params import (
    ADV_ENGINES,
    AMO_HEADER,
    AMO_TIME,
    CHANNEL_TAGS,
    CHANNELS,
    COMPANIES,
    COUNTER_ID,
    DAY,
    DEAL_ID_STEP,
    DIRECT_CAMPAIGNS,
    DIRECT_FIELDS,
    DIRECT_REPORT_NAME,
    EXPORT_DATE,
    FILE_NAMES,
    FIRST_DEAL_ID,
    FORM_GOAL,
    FORM_UTM_NAME_SHARE,
    FORM_UTM_SHARE,
    GOOGLE_CAMPAIGN_IDS,
    GOOGLE_HEADER,
    MANAGERS,
    METRICA_FIELDS,
    MSK_OFFSET,
    NOT_CLOSED,
    NOTE_SHARE,
    NOTES,
    PERIOD_END,
    PERIOD_START,
    PHONE_SOURCE_LABEL,
    PIPELINE,
    PLAIN_SPEND_HEADER,
    POSITIONS,
    QUALIFICATION_LABELS,
    QUALIFICATIONS3,
    RAW_MACRO_SHARE,
    ROBOT,
    SECOND,
    SEEN_BEFORE_SHARE,
    SEGMENTS,
    SITE,
    SPEND_FILES,
    UTM_REFERRERS,
    WARM_WITHOUT_YO_SHARE,
    WEB_SOURCE_LABEL,
    WORK_HOURS,
    YM_UID_TAGGED_SHARE,
)

__all__ = ["deal_ids", "close_times", "render_exports"]

_BY_KEY = {ch.key: ch for ch in CHANNELS}

#: Search engines' sites, for the referer of organic visits.
_ENGINE_SITES = {"yandex": "https://yandex.ru/", "google": "https://www.google.com/"}


def deal_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """amoCRM deal ids in creation order: rising from `FIRST_DEAL_ID` with gaps."""
    steps = rng.integers(DEAL_ID_STEP[0], DEAL_ID_STEP[1] + 1, n)
    return FIRST_DEAL_ID + np.cumsum(steps) - (steps[0] if n else 0)


def close_times(rng: np.random.Generator, leads: dict) -> None:
    """``closed_at``: the moment each closed deal was moved to its final stage, on its
    close day, in office hours, and after the first contact when that was the same
    day (NaT for open deals)."""
    n = len(leads["id"])
    day = leads["close"].astype("datetime64[D]").astype("datetime64[s]")
    seconds = rng.integers(WORK_HOURS[0] * 3600, WORK_HOURS[1] * 3600, n)
    at = day + seconds * SECOND
    contact = leads["first_contact"].astype("datetime64[s]")
    after = np.minimum(contact + rng.integers(300, 3 * 3600, n) * SECOND, day + DAY - SECOND)
    same_day = leads["contacted"] & (contact.astype("datetime64[D]") == day.astype("datetime64[D]"))
    at = np.where(same_day & (at <= contact), after, at)
    leads["closed_at"] = np.where(np.isnat(day), np.datetime64("NaT"), at)


def render_exports(
    rng: np.random.Generator, leads: dict, spend: pd.DataFrame, sessions: pd.DataFrame
) -> dict[str, bytes]:
    """Every export's bytes, by the input name of ``data/profiles/sample.yaml``."""
    clients, visitor_of = _client_ids(rng, sessions, len(leads["id"]))
    files = {
        "amocrm": _amocrm(rng, leads, clients, visitor_of),
        "direct": _direct(spend, leads),
        "vk": _vk(spend, leads),
        "google_ads": _google_ads(spend, leads),
        "telegram": _plain_spend(spend),
        "metrica": _metrica(rng, leads, sessions, clients),
    }
    return {name: files[name] for name in FILE_NAMES}


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _csv(rows, delimiter: str = ",", newline: str = "\n") -> str:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
    writer.writerows(rows)
    return buf.getvalue()


def _times(values: np.ndarray, fmt: str, blank: str = "") -> list[str]:
    s = pd.Series(pd.to_datetime(values)).dt.strftime(fmt)
    return s.fillna(blank).tolist()


def _kopecks(rub: pd.Series) -> np.ndarray:
    return np.round(rub.to_numpy(dtype=float) * 100).astype(np.int64)


def _rub(kop: int, thousands: str = "") -> str:
    whole = f"{kop // 100:,}".replace(",", thousands)
    return f"{whole}.{kop % 100:02d}"


def _web_leads_per_day(leads: dict) -> pd.Series:
    """Leads per channel key and creation day: a campaign's form goals that day."""
    keys = np.array([ch.key for ch in CHANNELS])[leads["channel"]]
    day = pd.to_datetime(leads["created"]).normalize()
    return pd.Series(1, index=pd.MultiIndex.from_arrays([keys, day])).groupby(level=[0, 1]).sum()


def _spend_of(spend: pd.DataFrame, file: str) -> pd.DataFrame:
    target = spend["source"].map(SPEND_FILES).fillna("telegram")
    return spend[target == file].reset_index(drop=True)


def _client_ids(
    rng: np.random.Generator, sessions: pd.DataFrame, n_leads: int
) -> tuple[dict[str, tuple[str, bool]], np.ndarray]:
    """Each visitor's Metrica ClientID (the Unix time of its first visit, Moscow time,
    then nine digits) and whether it was seen before the log's period; and each lead's
    visitor (its form session's), "" for calls."""
    first = sessions.groupby("visitor", sort=False)["start"].min()
    before = rng.random(len(first)) < SEEN_BEFORE_SHARE
    back = rng.integers(30, 400, len(first)) * DAY + rng.integers(0, 86400, len(first)) * SECOND
    seen = first.to_numpy().astype("datetime64[s]") - np.where(before, back, 0 * SECOND)
    unix = ((seen - MSK_OFFSET) - np.datetime64(0, "s")) // SECOND
    suffix = rng.integers(10**8, 10**9, len(first))
    clients: dict[str, tuple[str, bool]] = {}
    taken: set[str] = set()
    for visitor, t, tail, old in zip(first.index, unix, suffix, before, strict=True):
        cid = f"{t}{tail}"
        while cid in taken:  # never in practice; keeps ids unique whatever the seed
            tail += 1
            cid = f"{t}{tail}"
        taken.add(cid)
        clients[visitor] = (cid, bool(old))
    visitor_of = np.full(n_leads, "", dtype=object)
    forms = sessions[sessions["form_of"] >= 0]
    visitor_of[forms["form_of"].to_numpy()] = forms["visitor"].to_numpy()
    return clients, visitor_of


# --------------------------------------------------------------------------------------
# amoCRM
# --------------------------------------------------------------------------------------


def _amocrm(rng: np.random.Generator, leads: dict, clients: dict, visitor_of) -> bytes:
    """amoCRM's deals list: UTF-8 without BOM, comma, minimal quoting, LF, newest deal
    first, `AMO_HEADER`'s columns (utm_* twice)."""
    n = len(leads["id"])
    u = rng.random((6, n))
    pick = rng.integers(0, 1_000_000, (3, n))
    edit_gap = np.round(rng.exponential(2 * 86400, n)).astype(np.int64) * SECOND
    work_phone = rng.integers(0, 10_000, n)
    managers = np.array([m[0] for m in MANAGERS])[leads["manager"]]
    created = leads["created"].astype("datetime64[s]")
    closed = leads["closed_at"].astype("datetime64[s]")
    contact = leads["first_contact"].astype("datetime64[s]")
    export = EXPORT_DATE.to_datetime64().astype("datetime64[s]")
    # last edited: just after closing; for open deals some time after the first
    # contact; never touched since the form made it (the robot) if never contacted
    worked = np.minimum(contact + edit_gap, export - 3600 * SECOND)
    edited = np.where(leads["contacted"], worked, created + 2 * SECOND)
    edited = np.where(np.isnat(closed), edited, closed + (60 + pick[0] % 1200) * SECOND)
    texts = {
        "created": _times(created, AMO_TIME),
        "edited": _times(edited.astype("datetime64[s]"), AMO_TIME),
        "closed": _times(closed, AMO_TIME, NOT_CLOSED),
        "contact": _times(contact, AMO_TIME),
    }
    rows = []
    for i in range(n):
        ch = CHANNELS[leads["channel"][i]]
        phone = ch.kind == "phone"
        q = leads["query"][i]
        tagged = bool(leads["tagged"][i])
        mgr = managers[i]
        email = leads["email"][i]
        company = COMPANIES.get(email.rpartition("@")[2], "")
        if leads["qualification_blank"][i]:
            qual = ""
        else:
            qual = QUALIFICATION_LABELS[QUALIFICATIONS3[leads["class"][i]]]
            qual = "Теплый" if qual == "Тёплый" and u[0, i] < WARM_WITHOUT_YO_SHARE else qual
        large = not leads["segment_blank"][i] and leads["segment"][i] == 2
        tags = [CHANNEL_TAGS[ch.key]] if tagged and ch.key in CHANNEL_TAGS else []
        tags += ["опт"] if large and u[1, i] < 0.5 else []
        form = ("", "", "")
        if tagged and u[2, i] < FORM_UTM_SHARE:
            name = ch.campaign if ch.campaign_id and u[3, i] < FORM_UTM_NAME_SHARE else None
            form = (q["utm_source"], q["utm_medium"], name or q["utm_campaign"])
        uid = ""
        if not phone and (not tagged or u[4, i] < YM_UID_TAGGED_SHARE):
            uid = clients[visitor_of[i]][0]
        if tagged:
            referrer_site = UTM_REFERRERS.get(q["utm_source"], "")
        else:
            referrer_site = _ENGINE_SITES.get(ch.source, "") if ch.medium == "organic" else ""
        budget = leads["budget"][i]
        if phone:
            title = f"Входящий звонок от {leads['phone'][i]}"
        else:
            title = "Заявка с квиза" if "/quiz/" in leads["path"][i] else "Заявка с сайта"
        row = [
            str(leads["id"][i]),
            title,
            "0" if np.isnan(budget) else str(int(budget)),
            mgr,
            texts["created"][i],
            mgr if phone else ROBOT,
            texts["edited"][i],
            ROBOT if not leads["contacted"][i] and np.isnat(closed[i]) else mgr,
            texts["closed"][i],
            ", ".join(tags),
            NOTES[pick[1, i] % len(NOTES)] if u[5, i] < NOTE_SHARE else "",
            *[""] * 4,
            leads["stage"][i],
            PIPELINE,
            leads["name"][i],
            company,
            mgr,
            company,
            f"+7 (495) 555-{work_phone[i] // 100:02d}-{work_phone[i] % 100:02d}" if company else "",
            "",
            leads["phone"][i],
            *[""] * 3,
            email if company else "",
            "" if company else email,
            "",
            POSITIONS[pick[2, i] % len(POSITIONS)] if company else "",
            PHONE_SOURCE_LABEL if phone else WEB_SOURCE_LABEL,
            qual,
            "" if leads["segment_blank"][i] else SEGMENTS[leads["segment"][i]],
            "" if phone else leads["path"][i],
            leads["reason"][i],
            texts["contact"][i],
            *form,
            *(q.get(k, "") for k in ("utm_source", "utm_medium", "utm_campaign")),
            "",  # utm_term
            q.get("utm_content", ""),
            referrer_site,
            uid,
            str(COUNTER_ID) if uid else "",
            "",  # roistat
            leads["url"][i].partition("?")[0],  # the page the form was sent from
            *[""] * 5,  # openstat_*, from
            "",  # gclientid
            q.get("gclid", ""),
            q.get("yclid", ""),
            "",  # fbclid
        ]
        rows.append(row)
    return _csv([list(AMO_HEADER), *rows[::-1]]).encode("utf-8")


# --------------------------------------------------------------------------------------
# Spend
# --------------------------------------------------------------------------------------


def _direct(spend: pd.DataFrame, leads: dict) -> bytes:
    """A Reports API CUSTOM_REPORT: the quoted report name and period, the field names,
    one row per campaign and day, money in micros, ``--`` for no data, and
    ``Total rows: N``."""
    rows = _spend_of(spend, "direct")
    ids = rows["channel"].map(lambda k: _BY_KEY[k].campaign_id)
    rows = rows.assign(id=ids.astype(int)).sort_values(["date", "id"], kind="mergesort")
    conv = _web_leads_per_day(leads)
    lines = [
        f'"{DIRECT_REPORT_NAME} ({PERIOD_START.date()} - {PERIOD_END.date()})"',
        "\t".join(DIRECT_FIELDS),
    ]
    for r, kop in zip(rows.itertuples(index=False), _kopecks(rows["spend"]), strict=True):
        name, kind, network = DIRECT_CAMPAIGNS[r.channel]
        clicks, goals = int(r.clicks), int(conv.get((r.channel, r.date), 0))
        avg = str(round(kop / clicks) * 10_000) if clicks else "--"
        cells = [r.date.date().isoformat(), str(r.id), name, kind, network]
        cells += [str(int(r.impressions)), str(clicks), str(kop * 10_000), avg]
        cells.append(str(goals) if goals else "--")
        lines.append("\t".join(cells))
    lines.append(f"Total rows: {len(rows)}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _vk_base(shows: int, clicks: int, goals: int, kop: int) -> dict[str, object]:
    def money(value: float) -> str:
        return _rub(round(value))

    return {
        "shows": shows,
        "clicks": clicks,
        "goals": goals,
        "spent": _rub(kop),
        "cpm": money(kop * 1000 / shows) if shows else "0.00",
        "cpc": money(kop / clicks) if clicks else "0.00",
        "cpa": money(kop / goals) if goals else "0.00",
        "ctr": round(clicks * 100 / shows, 4) if shows else 0.0,
        "cr": round(goals * 100 / clicks, 4) if clicks else 0.0,
    }


def _vk(spend: pd.DataFrame, leads: dict) -> bytes:
    """VK Ads API v2 ``statistics/ad_plans/day.json`` for the period: one item per ad
    plan with a row for every day asked for (zeros before a plan started), money as
    strings, a total per item and overall; compact JSON, as the API sends it."""
    rows = _spend_of(spend, "vk")
    conv = _web_leads_per_day(leads)
    days = pd.date_range(PERIOD_START, PERIOD_END, freq="D")
    items, overall = [], np.zeros(4, dtype=np.int64)
    for key in sorted(set(rows["channel"]), key=lambda k: int(_BY_KEY[k].campaign_id)):
        mine = rows[rows["channel"] == key].set_index("date")
        kop = pd.Series(_kopecks(mine["spend"]), index=mine.index)
        day_rows, total = [], np.zeros(4, dtype=np.int64)
        for day in days:
            got = day in mine.index
            figures = np.array(
                [
                    int(mine.at[day, "impressions"]) if got else 0,
                    int(mine.at[day, "clicks"]) if got else 0,
                    int(conv.get((key, day), 0)),
                    int(kop[day]) if got else 0,
                ]
            )
            total += figures
            day_rows.append({"date": day.date().isoformat(), "base": _vk_base(*map(int, figures))})
        overall += total
        items.append(
            {
                "id": int(_BY_KEY[key].campaign_id),
                "rows": day_rows,
                "total": {"base": _vk_base(*map(int, total))},
            }
        )
    body = {"items": items, "total": {"base": _vk_base(*map(int, overall))}}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _google_ads(spend: pd.DataFrame, leads: dict) -> bytes:
    """Google Ads' campaign report from the UI: «Campaign report», the quoted period,
    the header, thousands separators, totals rows at the bottom, CRLF."""
    rows = _spend_of(spend, "google_ads").sort_values(["date", "campaign"], kind="mergesort")
    conv = _web_leads_per_day(leads)
    period = f"{PERIOD_START:%B} {PERIOD_START.day}, {PERIOD_START.year} - "
    period += f"{PERIOD_END:%B} {PERIOD_END.day}, {PERIOD_END.year}"
    out: list[list[str]] = [["Campaign report"], [period], list(GOOGLE_HEADER)]
    totals = np.zeros(4, dtype=np.int64)
    for r, kop in zip(rows.itertuples(index=False), _kopecks(rows["spend"]), strict=True):
        goals = int(conv.get((r.channel, r.date), 0))
        figures = [kop, int(r.impressions), int(r.clicks), goals]
        totals += figures
        cells = ["Enabled", r.date.date().isoformat(), r.campaign, "Search"]
        cells += [GOOGLE_CAMPAIGN_IDS[r.campaign], "RUB", _rub(kop, ",")]
        cells += [f"{figures[1]:,}", f"{figures[2]:,}", f"{goals}.00"]
        out.append(cells)
    kop, shows, clicks, goals = (int(x) for x in totals)
    sums = [_rub(kop, ","), f"{shows:,}", f"{clicks:,}", f"{goals}.00"]
    for label in ("Total: Account", "Total: Search", "Total: Campaigns"):
        out.append([label, *["--"] * 5, *sums])
    return _csv(out, newline="\r\n").encode("utf-8")


def _plain_spend(spend: pd.DataFrame) -> bytes:
    """The plain spend table (the kit's own column names): UTF-8, comma, LF."""
    rows = _spend_of(spend, "telegram")
    out = [list(PLAIN_SPEND_HEADER)]
    for r, kop in zip(rows.itertuples(index=False), _kopecks(rows["spend"]), strict=True):
        out.append([r.date.date().isoformat(), r.source, r.campaign, _rub(kop)])
        out[-1] += [str(int(r.clicks)), str(int(r.impressions))]
    return _csv(out).encode("utf-8")


# --------------------------------------------------------------------------------------
# Yandex Metrica
# --------------------------------------------------------------------------------------


def _metrica(rng: np.random.Generator, leads: dict, sessions: pd.DataFrame, clients: dict) -> bytes:
    """Logs API visits: `METRICA_FIELDS`, tab-separated, no title or totals, in time
    order. No lead id: a visit links to a deal only by its ClientID (the deal's
    ``_ym_uid``). Tagged visits carry their UTM tags (and Direct's yclid or Google's
    gclid in the start URL); organic ones the search engine; direct ones nothing."""
    n = len(sessions)
    visit_ids = _unique(rng, 7 * 10**18, 8 * 10**18, n)
    u = rng.random(n)
    yclid = rng.integers(10**16, 10**17, n)
    gclid = rng.integers(0, 64, (n, 24))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    cid = sessions["visitor"].map(lambda v: clients[v][0])
    order = np.lexsort((cid.to_numpy(), sessions["start"].to_numpy()))
    seen: set[str] = set()
    rows = []
    for j, s in zip(order, sessions.iloc[order].itertuples(index=False), strict=True):
        ch = _BY_KEY[s.channel]
        lead = int(s.click_of)
        page = SITE + s.page
        query: dict[str, str] = {}
        traffic, adv, search, referer = "direct", "ya_undefined", "ya_undefined", ""
        if ch.campaign:  # the channel's links are tagged
            if lead >= 0 and leads["tagged"][lead]:
                query, start_url = leads["query"][lead], leads["url"][lead]
            else:
                macro = ch.source == "vk" and lead < 0 and u[j] < RAW_MACRO_SHARE
                query = {
                    "utm_source": ch.source,
                    "utm_medium": ch.medium,
                    "utm_campaign": "{{campaign_id}}" if macro else ch.utm_campaign,
                }
                if ch.source == "yandex":
                    query["yclid"] = str(yclid[j])
                elif ch.source == "google":
                    query["gclid"] = "Cj0KCQjw" + "".join(alphabet[k] for k in gclid[j])
                start_url = page + "?" + "&".join(f"{k}={v}" for k, v in query.items())
            traffic, adv = "ad", ADV_ENGINES.get(ch.source, "ya_undefined")
            referer = UTM_REFERRERS.get(ch.source, "")
            if ch.medium == "cpm":
                referer = "https://news.example/"
        elif ch.medium == "organic":
            traffic, search = "organic", f"{ch.source}_search"
            referer = _ENGINE_SITES.get(ch.source, "")
            kept = leads["url"][lead] if lead >= 0 else ""
            start_url = kept or page
        else:
            start_url = page
        client, before = clients[s.visitor]
        new = client not in seen and not before
        seen.add(client)
        when = pd.Timestamp(s.start)
        rows.append(
            [
                str(visit_ids[j]),
                str(COUNTER_ID),
                when.date().isoformat(),
                when.strftime("%Y-%m-%d %H:%M:%S"),
                client,
                "1" if new else "0",
                start_url,
                referer,
                traffic,
                adv,
                search,
                query.get("utm_source", ""),
                query.get("utm_medium", ""),
                query.get("utm_campaign", ""),
                f"[{FORM_GOAL}]" if s.form_of >= 0 else "[]",
            ]
        )
    text = "\n".join("\t".join(r) for r in [list(METRICA_FIELDS), *rows]) + "\n"
    return text.encode("utf-8")


def _unique(rng: np.random.Generator, low: int, high: int, n: int) -> np.ndarray:
    """``n`` distinct integers drawn from [low, high)."""
    out = rng.integers(low, high, n)
    while len(np.unique(out)) < n:  # never in practice at 19 digits
        dup = pd.Series(out).duplicated().to_numpy()
        out[dup] = rng.integers(low, high, int(dup.sum()))
    return out
