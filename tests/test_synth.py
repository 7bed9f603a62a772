"""Tests of `analysis.sample`, the generator of the sample company.

The written files are read back with the csv and json modules and plain pandas,
independently of the kit's loaders. Unless a comment says otherwise, each expected
number comes from the brief for the sample ("the story": Q1 about 1,200 leads, Q2 about
3,000, CPL cut about threefold, spend flat, sales down), with the tolerance stated next
to it; each layout fact comes from EXPORT_FORMATS.md (the kit's notes on real exports).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd
import pytest

from analysis.base import files
from analysis.base.paths import PROJECT_ROOT, SAMPLE_DIR
from analysis.ingest.schema import LEADS_COLUMNS, validate_leads
from analysis.sample import company, write

# Written out here rather than imported, so a change in the generator's constants
# cannot silently change what the tests expect.
NAMES = {
    "amocrm": "amocrm_deals.csv",
    "direct": "direct_report.tsv",
    "vk": "vk_ad_plans_day.json",
    "google_ads": "google_ads_campaign_report.csv",
    "telegram": "telegram_spend.csv",
    "metrica": "metrica_visits.tsv",
}
# amoCRM's fixed columns in its order (EXPORT_FORMATS.md, high), this account's custom
# fields, the form-made utm_* and the tracking group
AMO_FIXED = (
    "ID,Название сделки,Бюджет ₽,Ответственный,Дата создания сделки,Кем создана сделка,"
    "Дата редактирования,Кем редактирована,Дата закрытия,Теги,Примечание,Примечание 2,"
    "Примечание 3,Примечание 4,Примечание 5,Этап сделки,Воронка,Полное имя контакта,"
    "Компания контакта,Ответственный за контакт,Компания,Рабочий телефон,"
    "Рабочий прямой телефон,Мобильный телефон,Факс,Домашний телефон,Другой телефон,"
    "Рабочий email,Личный email,Другой email,Должность"
)
AMO_CUSTOM = "Источник,Квалификация,Сегмент,Страница формы,Причина отказа,Дата первого контакта"
TRACKING = (
    "utm_source,utm_medium,utm_campaign,utm_term,utm_content,utm_referrer,_ym_uid,"
    "_ym_counter,roistat,referrer,openstat_service,openstat_campaign,openstat_ad,"
    "openstat_source,from,gclientid,gclid,yclid,fbclid"
)
AMO_HEADER = f"{AMO_FIXED},{AMO_CUSTOM},utm_source,utm_medium,utm_campaign,{TRACKING}"
DIRECT_HEADER = (
    "Date\tCampaignId\tCampaignName\tCampaignType\tAdNetworkType\tImpressions\tClicks\tCost"
    "\tAvgCpc\tConversions"
)
GOOGLE_HEADER = (
    "Campaign status,Day,Campaign,Campaign type,Campaign ID,Currency code,Cost,Impr.,Clicks,"
    "Conversions"
)
METRICA_HEADER = (
    "ym:s:visitID\tym:s:counterID\tym:s:date\tym:s:dateTime\tym:s:clientID\tym:s:isNewUser\t"
    "ym:s:startURL\tym:s:referer\tym:s:lastTrafficSource\tym:s:lastAdvEngine\t"
    "ym:s:lastSearchEngine\tym:s:UTMSource\tym:s:UTMMedium\tym:s:UTMCampaign\tym:s:goalsID"
)
#: the Direct campaign ids and VK ad plan ids of the sample, and the names its story
#: (and the reports) call them by
CAMPAIGN_IDS = {
    "104518230": "ya_brand_search",
    "104518247": "ya_generic_search",
    "107663019": "ya_display_test",
    "3871024": "vk_retargeting",
    "4102587": "vk_leadform_quiz",
}
Q2_START = pd.Timestamp("2026-04-01")
EXPORT_DATE = pd.Timestamp("2026-07-10")
WON, LOST = "Успешно реализовано", "Закрыто и не реализовано"
OPEN = {"Новая заявка", "Взят в работу", "КП отправлено"}
QUALIFICATION = {
    "Горячий": "hot",
    "Тёплый": "warm",
    "Теплый": "warm",
    "Холодный": "cold",
    "": "unknown",
}
MANAGERS = {
    "Анна Смирнова",
    "Дмитрий Козлов",
    "Елена Попова",
    "Игорь Волков",
    "Ольга Новикова",
    "Павел Морозов",
    "Кирилл Лебедев",
}
SEARCH = ("ya_brand_search", "ya_generic_search", "g_search")
CHEAP = ("vk_leadform_quiz", "tg_channel_ads")
TIME_FMT = "%d.%m.%Y %H:%M:%S"


# --------------------------------------------------------------------------------------
# Reading the files with the csv and json modules
# --------------------------------------------------------------------------------------


def read_deals(path: Path) -> pd.DataFrame:
    """amoCRM's CSV; the form-made utm_* keep their names, the tracking group's
    repeated ones are named ``utm_source#2`` ..."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    header, seen = [], set()
    for name in rows[0]:
        header.append(f"{name}#2" if name in seen else name)
        seen.add(name)
    return pd.DataFrame(rows[1:], columns=header)


def read_direct(path: Path) -> pd.DataFrame:
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[0].startswith('"') and lines[-2].startswith("Total rows: ") and lines[-1] == ""
    table = [line.split("\t") for line in lines[1:-2]]
    return pd.DataFrame(table[1:], columns=table[0])


def read_vk(path: Path) -> pd.DataFrame:
    body = json.loads(path.read_text(encoding="utf-8"))
    return pd.DataFrame(
        [
            {"id": str(item["id"]), "date": r["date"], **r["base"]}
            for item in body["items"]
            for r in item["rows"]
        ]
    )


def read_google(path: Path) -> pd.DataFrame:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    data = [r for r in rows[3:] if not r[0].startswith("Total: ")]
    return pd.DataFrame(data, columns=rows[2])


def read_plain(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def read_metrica(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)


def number(text: pd.Series) -> pd.Series:
    """'1,234.56' (Google's thousands) -> 1234.56."""
    return pd.to_numeric(text.str.replace(",", "", regex=False))


def spend_table(folder: Path) -> pd.DataFrame:
    """Every spend file as rows of date, source, campaign (its name), cost, clicks,
    impressions."""
    d = read_direct(folder / NAMES["direct"])
    vk = read_vk(folder / NAMES["vk"])
    g = read_google(folder / NAMES["google_ads"])
    t = read_plain(folder / NAMES["telegram"])
    parts = [
        pd.DataFrame(
            {
                "Date": d["Date"],
                "Source": "yandex",
                "Campaign": d["CampaignId"].map(CAMPAIGN_IDS),
                "cost": d["Cost"].astype(int) / 1e6,  # micros
                "Clicks": d["Clicks"].astype(int),
                "Impressions": d["Impressions"].astype(int),
            }
        ),
        pd.DataFrame(
            {
                "Date": vk["date"],
                "Source": "vk",
                "Campaign": vk["id"].map(CAMPAIGN_IDS),
                "cost": vk["spent"].astype(float),
                "Clicks": vk["clicks"],
                "Impressions": vk["shows"],
            }
        )[vk["shows"] > 0],  # VK lists every day asked for, zeros included
        pd.DataFrame(
            {
                "Date": g["Day"],
                "Source": "google",
                "Campaign": g["Campaign"],
                "cost": number(g["Cost"]),
                "Clicks": number(g["Clicks"]).astype(int),
                "Impressions": number(g["Impr."]).astype(int),
            }
        ),
        pd.DataFrame(
            {
                "Date": t["date"],
                "Source": t["source"],
                "Campaign": t["campaign"],
                "cost": t["spend"].astype(float),
                "Clicks": t["clicks"].astype(int),
                "Impressions": t["impressions"].astype(int),
            }
        ),
    ]
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["Date", "Source", "Campaign"], kind="mergesort").reset_index(drop=True)


def visit_source(v: pd.DataFrame) -> pd.DataFrame:
    """A visit's source, medium and campaign as Metrica tells them: the UTM tags; an
    organic visit's search engine; nothing for a direct visit."""
    engine = v["ym:s:lastSearchEngine"].str.removesuffix("_search")
    organic = v["ym:s:lastTrafficSource"] == "organic"
    return pd.DataFrame(
        {
            "source": v["ym:s:UTMSource"].where(~organic, engine),
            "medium": v["ym:s:UTMMedium"].where(~organic, "organic"),
            "campaign": v["ym:s:UTMCampaign"].map(lambda c: CAMPAIGN_IDS.get(c, c)),
            "direct": v["ym:s:lastTrafficSource"] == "direct",
        },
        index=v.index,
    )


def attribute(deals: pd.DataFrame, visits: pd.DataFrame) -> pd.DataFrame:
    """The rule the loader must follow, written independently: the tracking group's
    UTM tags (the second utm_* columns); else the last non-direct Metrica visit of the
    deal's ClientID up to its creation (all direct: direct); calls by «Источник»."""
    out = pd.DataFrame({"lead_id": deals["ID"]})
    tagged = deals["utm_source#2"] != ""
    out["source"] = deals["utm_source#2"]
    out["medium"] = deals["utm_medium#2"]
    out["campaign"] = deals["utm_campaign#2"].map(lambda c: CAMPAIGN_IDS.get(c, c))
    out["attributed_by"] = np.where(tagged, "crm_utm", "web_analytics")

    v = visits.join(visit_source(visits))
    v["t"] = pd.to_datetime(v["ym:s:dateTime"], format="%Y-%m-%d %H:%M:%S")
    created = pd.to_datetime(deals["Дата создания сделки"], format=TIME_FMT)
    web = ~tagged & (deals["Источник"] == "Сайт")
    path = (
        pd.DataFrame({"lead_id": deals["ID"], "cid": deals["_ym_uid"], "created": created})[web]
        .merge(v, left_on="cid", right_on="ym:s:clientID")
        .query("t <= created")
    )
    last = path[~path["direct"]].sort_values("t").groupby("lead_id").last()
    for col, direct in (("source", "(direct)"), ("medium", "(none)"), ("campaign", "")):
        found = out["lead_id"].map(last[col])
        out.loc[web, col] = found[web].fillna(direct)
    phone = deals["Источник"] == "Звонок"
    out.loc[phone, ["source", "medium", "campaign"]] = ["phone", "call", ""]
    out.loc[phone, "attributed_by"] = "crm_field"
    out["campaign"] = out["campaign"].replace("", "(none)")
    return out


# --------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> dict:
    """The committed sample, read back, with each lead's campaign and quarter."""
    deals = read_deals(SAMPLE_DIR / NAMES["amocrm"])
    visits = read_metrica(SAMPLE_DIR / NAMES["metrica"])
    spend = spend_table(SAMPLE_DIR)
    attr = attribute(deals, visits)
    closed = deals["Дата закрытия"].replace("не закрыта", "")
    leads = deals.assign(
        created=pd.to_datetime(deals["Дата создания сделки"], format=TIME_FMT),
        closed=pd.to_datetime(closed, format=TIME_FMT),
        campaign=attr["campaign"],
        qualification=deals["Квалификация"].map(QUALIFICATION),
        won=deals["Этап сделки"] == WON,
    )
    leads["quarter"] = np.where(leads["created"] >= Q2_START, "Q2", "Q1")
    spend = spend.assign(quarter=np.where(pd.to_datetime(spend["Date"]) >= Q2_START, "Q2", "Q1"))
    return {"deals": deals, "visits": visits, "spend": spend, "attr": attr, "leads": leads}


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    return company.generate().truth


# --------------------------------------------------------------------------------------
# Determinism and the committed sample
# --------------------------------------------------------------------------------------


def test_same_seed_gives_same_bytes_and_another_seed_differs(tmp_path):
    first = write.write_sample(tmp_path / "a", seed=5, scale=0.2)
    again = write.write_sample(tmp_path / "b", seed=5, scale=0.2)
    other = write.write_sample(tmp_path / "c", seed=6, scale=0.2)
    assert list(first) == list(NAMES)
    for name in NAMES:
        assert first[name].read_bytes() == again[name].read_bytes(), name
        assert first[name].read_bytes() != other[name].read_bytes(), name
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(
        [*NAMES.values(), "README.md"]
    )


def test_committed_sample_is_what_the_generator_writes(tmp_path):
    write.write_sample(tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    committed = sorted(p.name for p in SAMPLE_DIR.iterdir() if not p.name.startswith("."))
    assert committed == names  # no stale file either (.gitattributes is git's)
    for path in tmp_path.iterdir():
        committed = SAMPLE_DIR / path.name
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed} is stale: run `python -m analysis.sample.write data/sample`"
        )
    # a real amoCRM export of 4,335 deals: 59 columns, Cyrillic text in UTF-8 (two bytes
    # a letter); the brief's 1.5 MB was for the one-byte cp1251 CRM file it replaces
    assert (SAMPLE_DIR / NAMES["amocrm"]).stat().st_size < 3_000_000
    assert (SAMPLE_DIR / NAMES["metrica"]).stat().st_size < 2_000_000


def test_files_are_exactly_what_generate_returns(tmp_path):
    data = company.generate(seed=9, scale=0.2)
    paths = write.write_sample(tmp_path, seed=9, scale=0.2)
    assert list(data.files) == list(paths)
    for name, path in paths.items():
        assert path.read_bytes() == data.files[name], name
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "synthetic" in readme and "--seed 9 --scale 0.2" in readme
    assert all(name in readme for name in NAMES.values())


def test_a_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write.write_sample(tmp_path, seed=1, scale=0.05)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kwargs", [{"scale": 0}, {"scale": -1.0}, {"seed": -1}, {"seed": 1.5}])
def test_bad_arguments_are_refused_before_writing(tmp_path, kwargs):
    with pytest.raises(ValueError, match="seed|scale"):
        write.write_sample(tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


def test_command_line_writes_the_files(tmp_path, capsys):
    assert write.main([str(tmp_path / "m"), "--seed", "3", "--scale", "0.05"]) == 0
    assert NAMES["amocrm"] in capsys.readouterr().out
    run = subprocess.run(
        [sys.executable, "-m", "analysis.sample.write", str(tmp_path / "p"), "--seed", "3"]
        + ["--scale", "0.05"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert NAMES["metrica"] in run.stdout
    for name in [*NAMES.values(), "README.md"]:
        assert (tmp_path / "m" / name).read_bytes() == (tmp_path / "p" / name).read_bytes()


# --------------------------------------------------------------------------------------
# File layouts (EXPORT_FORMATS.md)
# --------------------------------------------------------------------------------------


def test_deals_file_is_an_amocrm_csv_export(sample):
    raw = (SAMPLE_DIR / NAMES["amocrm"]).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # UTF-8 without BOM
    text = raw.decode("utf-8")
    assert text.startswith(AMO_HEADER + "\n") and "\r" not in text.replace("\r\n", "")
    assert b"\r\n" not in raw
    header = next(csv.reader(io.StringIO(text)))
    assert [header.count(c) for c in ("utm_source", "utm_medium", "utm_campaign")] == [2, 2, 2]
    deals = sample["deals"]
    assert deals["Бюджет ₽"].str.fullmatch(r"\d+").all()  # plain integers
    open_ = ~deals["Этап сделки"].isin([WON, LOST])
    assert (deals.loc[open_, "Дата закрытия"] == "не закрыта").all()
    assert pd.to_datetime(deals.loc[~open_, "Дата закрытия"], format=TIME_FMT).notna().all()
    assert (deals["Воронка"] == "Воронка").all()
    web = deals["Источник"] == "Сайт"
    assert (deals.loc[web, "Кем создана сделка"] == "Робот").all()
    assert deals["Теги"].str.contains(", ").any()  # a list in one quoted cell
    notes = deals["Примечание"]
    assert notes.str.contains("\n").any() and notes.str.contains('"').any()
    assert '""' in text  # quotes inside a quoted cell are doubled
    # both spellings of warm (EXPORT_FORMATS.md: Тёплый / Теплый)
    assert {"Тёплый", "Теплый"} <= set(deals["Квалификация"])


def test_direct_report_is_a_reports_api_tsv():
    raw = (SAMPLE_DIR / NAMES["direct"]).read_bytes()
    lines = raw.decode("utf-8").split("\n")
    assert lines[0] == '"report_2026-07-10_091503 (2026-01-01 - 2026-06-30)"'
    assert lines[1] == DIRECT_HEADER and b"\r" not in raw
    d = read_direct(SAMPLE_DIR / NAMES["direct"])
    assert lines[-2] == f"Total rows: {len(d)}"
    assert (d["Cost"].astype(int) % 10_000 == 0).all()  # micros of whole kopecks
    assert d["Date"].str.fullmatch(r"2026-\d\d-\d\d").all()
    assert set(d["CampaignId"]) == {"104518230", "104518247", "107663019"}
    assert set(d["CampaignType"]) == {"TEXT_CAMPAIGN", "CPM_BANNER_CAMPAIGN"}
    assert (d["Conversions"] == "--").any()  # no data: "--"
    clicks = d["Clicks"].astype(int)
    avg = d.loc[clicks > 0, "AvgCpc"].astype(int)
    cost = d.loc[clicks > 0, "Cost"].astype(int)
    assert (abs(avg - cost / clicks[clicks > 0]) <= 10_000).all()


def test_vk_statistics_are_the_api_json():
    body = json.loads((SAMPLE_DIR / NAMES["vk"]).read_text(encoding="utf-8"))
    assert [item["id"] for item in body["items"]] == [3871024, 4102587]
    days = pd.date_range("2026-01-01", "2026-06-30").strftime("%Y-%m-%d").tolist()
    total = 0
    for item in body["items"]:
        assert [r["date"] for r in item["rows"]] == days  # every day of the request
        spent = [r["base"]["spent"] for r in item["rows"]]
        assert all(isinstance(s, str) and s.count(".") == 1 for s in spent)  # money as text
        kop = sum(round(float(s) * 100) for s in spent)
        assert round(float(item["total"]["base"]["spent"]) * 100) == kop
        total += kop
    assert round(float(body["total"]["base"]["spent"]) * 100) == total
    quiz = body["items"][1]["rows"]
    assert all(r["base"]["shows"] == 0 for r in quiz if r["date"] < "2026-04-01")


def test_google_ads_report_has_title_totals_and_thousands():
    raw = (SAMPLE_DIR / NAMES["google_ads"]).read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n")  # CRLF
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert rows[0] == ["Campaign report"]
    assert rows[1] == ["January 1, 2026 - June 30, 2026"]
    assert ",".join(rows[2]) == GOOGLE_HEADER
    totals = [r for r in rows if r[0].startswith("Total: ")]
    assert [r[0] for r in totals] == ["Total: Account", "Total: Search", "Total: Campaigns"]
    assert rows[-3:] == totals and all(r[1:6] == ["--"] * 5 for r in totals)
    g = read_google(SAMPLE_DIR / NAMES["google_ads"])
    assert g["Cost"].str.contains(",").any()  # "1,234.56", quoted in the file
    assert b'"1,' in raw
    assert number(g["Cost"]).sum() == pytest.approx(float(totals[0][6].replace(",", "")))


def test_plain_spend_and_metrica_files():
    raw = (SAMPLE_DIR / NAMES["telegram"]).read_bytes()
    assert raw.startswith(b"date,source,campaign,spend,clicks,impressions\n")
    raw = (SAMPLE_DIR / NAMES["metrica"]).read_bytes()
    assert raw.startswith(METRICA_HEADER.encode() + b"\n") and b"\r" not in raw
    v = read_metrica(SAMPLE_DIR / NAMES["metrica"])
    assert v["ym:s:visitID"].str.fullmatch(r"\d{19}").all() and v["ym:s:visitID"].is_unique
    assert v["ym:s:clientID"].str.fullmatch(r"\d{19}").all()
    t = pd.to_datetime(v["ym:s:dateTime"], format="%Y-%m-%d %H:%M:%S")
    assert t.is_monotonic_increasing and (v["ym:s:date"] == t.dt.strftime("%Y-%m-%d")).all()
    assert v["ym:s:goalsID"].isin(["[]", "[301245781]"]).all()
    assert set(v["ym:s:lastTrafficSource"]) == {"ad", "organic", "direct"}
    ad = v["ym:s:lastTrafficSource"] == "ad"
    assert (v.loc[ad, "ym:s:UTMSource"] != "").all()
    assert (v.loc[~ad, ["ym:s:UTMSource", "ym:s:UTMMedium", "ym:s:UTMCampaign"]] == "").all().all()
    direct = v["ym:s:UTMSource"] == "yandex"
    assert (v.loc[direct, "ym:s:lastAdvEngine"] == "ya_direct").all()
    assert v.loc[direct, "ym:s:startURL"].str.contains("yclid=").all()  # only in the URL
    organic = v["ym:s:lastTrafficSource"] == "organic"
    engines = set(v.loc[organic, "ym:s:lastSearchEngine"])
    assert engines == {"yandex_search", "google_search"}
    # a ClientID starts with the Unix time (Moscow) of the visitor's first visit
    first = t.groupby(v["ym:s:clientID"]).min()
    seen = pd.to_datetime(first.index.str[:10].astype(int), unit="s") + pd.Timedelta(hours=3)
    assert (seen <= first.to_numpy()).all()
    assert ((seen == first.to_numpy()).mean()) > 0.9  # most first seen in the log
    new = v.groupby("ym:s:clientID")["ym:s:isNewUser"].agg(lambda s: (s == "1").sum())
    assert new.isin([0, 1]).all() and 0.9 < new.mean() < 1.0


# --------------------------------------------------------------------------------------
# CRM content
# --------------------------------------------------------------------------------------


def test_deals_are_newest_first_with_valid_dates(sample):
    deals, leads = sample["deals"], sample["leads"]
    ids = deals["ID"].astype(int)
    assert ids.is_unique and ids.is_monotonic_decreasing
    assert ids.between(10**7, 10**8).all()  # 8-digit ids, as amoCRM's
    assert leads["created"].between("2026-01-01", "2026-07-01").all()
    assert leads.sort_values("ID", key=lambda i: i.astype(int))[
        "created"
    ].is_monotonic_increasing, "ids in creation order"
    contact = pd.to_datetime(deals["Дата первого контакта"], format=TIME_FMT)
    assert (contact.dropna() >= leads["created"][contact.notna()]).all()
    assert (contact.dropna() < EXPORT_DATE).all()
    # the brief: ~4% never contacted
    assert 0.025 <= contact.isna().mean() <= 0.06
    edited = pd.to_datetime(deals["Дата редактирования"], format=TIME_FMT)
    assert (edited > leads["created"]).all() and (edited < EXPORT_DATE).all()
    closed = leads["closed"].notna()
    assert (edited[closed] > leads.loc[closed, "closed"]).all()
    assert (leads.loc[closed, "closed"] > leads.loc[closed, "created"]).all()
    both = closed & contact.notna()
    assert (leads.loc[both, "closed"] > contact[both]).all()


def test_personal_data_look_like_real_russian_contacts(sample):
    deals = sample["deals"]
    word = r"[А-ЯЁ][а-яё]+"
    assert deals["Полное имя контакта"].str.fullmatch(rf"{word}( {word}){{1,2}}").all()
    assert deals["Мобильный телефон"].str.fullmatch(r"\+7 9\d\d \d{3}-\d\d-\d\d").all()
    work = deals["Рабочий телефон"]
    assert work[work != ""].str.fullmatch(r"\+7 \(495\) 555-\d\d-\d\d").all()
    mail = deals["Рабочий email"] + deals["Личный email"]
    assert mail.str.fullmatch(r"[a-z0-9._]+@[a-z-]+\.example").all()
    assert ((deals["Рабочий email"] != "") == (deals["Компания контакта"] != "")).all()
    # patronymics: "-вич" for men, "-вна" for women
    full = deals["Полное имя контакта"].str.split()
    three = full[full.str.len() == 3]
    assert three.map(lambda w: w[2].endswith(("вич", "вна"))).all()
    assert deals["Полное имя контакта"].nunique() > 500
    calls = deals["Источник"] == "Звонок"
    assert (deals.loc[calls, "Название сделки"].str.contains(r"\+7 9")).all()


def test_crm_categorical_fields(sample):
    deals, leads = sample["deals"], sample["leads"]
    assert set(deals["Ответственный"]) == MANAGERS
    assert (deals["Ответственный"] == deals["Ответственный за контакт"]).all()
    trainee = leads[deals["Ответственный"] == "Кирилл Лебедев"]
    assert trainee["created"].min() >= pd.Timestamp("2026-05-15")
    assert 30 <= len(trainee) <= 80  # the brief: about 50 leads
    assert set(deals["Источник"]) == {"Сайт", "Звонок"}
    phone = deals["Источник"] == "Звонок"
    assert 0.05 <= phone.mean() <= 0.11  # the brief: ~8% phone leads
    tracking = [c for c in deals.columns if c.endswith("#2")] + ["referrer", "yclid", "gclid"]
    assert (deals.loc[phone, tracking] == "").all().all()
    assert set(deals["Квалификация"]) == set(QUALIFICATION)
    blank_q = deals["Квалификация"] == ""
    assert 0.015 <= blank_q.mean() <= 0.045  # the brief: ~3% not yet qualified
    # "mostly recent open leads"
    recent_open = (leads["created"] >= "2026-06-01") & deals["Этап сделки"].isin(OPEN)
    assert recent_open[blank_q].mean() > 0.5
    assert set(deals["Сегмент"]) == {"Малый бизнес", "Средний бизнес", "Крупный бизнес", ""}
    assert 0.02 <= (deals["Сегмент"] == "").mean() <= 0.06  # the brief: ~4% blank


def test_stages_reasons_budgets_and_close_dates_agree(sample):
    deals, leads = sample["deals"], sample["leads"]
    stage = deals["Этап сделки"]
    assert set(stage) == {WON, LOST} | OPEN
    closed = stage.isin([WON, LOST])
    assert (leads["closed"].notna() == closed).all()
    assert (leads.loc[closed, "closed"] < EXPORT_DATE).all()
    reason = deals["Причина отказа"]
    assert ((reason != "") == (stage == LOST)).all()
    assert set(reason[reason != ""]) == {
        "Нет потребности",
        "Дорого",
        "Не выходит на связь",
        "Перезвонить позже",
        "Выбрали конкурента",
        "Спам / ошибка",
    }
    cold_lost = reason[(stage == LOST) & (deals["Квалификация"] == "Холодный")]
    top3 = cold_lost.value_counts().index[:3]
    assert set(top3) == {"Нет потребности", "Не выходит на связь", "Перезвонить позже"}

    days = (leads["closed"].dt.normalize() - leads["created"].dt.normalize()).dt.days
    assert days[stage == WON].between(3, 60).all()
    assert 7 <= days[stage == WON].median() <= 21  # the brief: median about 2 weeks
    assert days[stage == LOST].between(1, 30).all()
    hour = leads.loc[closed, "closed"].dt.hour
    assert 0.9 <= hour.between(9, 18).mean()  # closed in office hours, as a rule

    budget = deals["Бюджет ₽"].astype(int)
    assert (budget[stage == WON] > 0).all() and (budget % 500 == 0).all()
    assert 0.06 <= (budget[stage != WON] == 0).mean() <= 0.14  # the brief: ~10% blank


def test_tracking_fields(sample):
    deals, attr = sample["deals"], sample["attr"]
    tagged = attr["attributed_by"] == "crm_utm"
    paid = attr["campaign"].isin(set(sample["spend"]["Campaign"]))
    web = deals["Источник"] == "Сайт"
    # the brief: ~85% of paid web leads carry UTMs
    assert 0.8 <= tagged[paid & web].mean() <= 0.9
    assert not tagged[attr["medium"] == "organic"].any()
    source = deals["utm_source#2"]
    assert (deals.loc[tagged & (source == "yandex"), "yclid"].str.fullmatch(r"\d{17}")).all()
    assert (deals.loc[tagged & (source == "google"), "gclid"].str.startswith("Cj0KCQjw")).all()
    assert (deals.loc[~source.isin(["yandex"]), "yclid"] == "").all()
    # Direct and VK links carry the campaign id (the {campaign_id} macros)
    camp = deals.loc[source.isin(["yandex", "vk"]), "utm_campaign#2"]
    assert camp.isin(list(CAMPAIGN_IDS)).all()
    # form-made utm_* filled for a few deals, one in four or so with another campaign text
    form = deals["utm_source"] != ""
    assert 0.04 <= form[tagged].mean() <= 0.12 and not form[~tagged].any()
    assert (deals.loc[form, "utm_campaign"] != deals.loc[form, "utm_campaign#2"]).any()
    # _ym_uid: every untagged web deal (Metrica is then what tells its source), ~70% of
    # web deals in all (EXPORT_FORMATS.md)
    uid = deals["_ym_uid"] != ""
    assert uid[web & ~tagged].all() and not uid[~web].any()
    assert 0.6 <= uid[web].mean() <= 0.8
    assert ((deals["_ym_counter"] == "95123457") == uid).all()
    urls = deals.loc[deals["referrer"] != "", "referrer"]
    assert urls.str.fullmatch(r"https://promsnab\.example/[a-z/-]*").all()


# --------------------------------------------------------------------------------------
# Metrica visits
# --------------------------------------------------------------------------------------


def test_visits_link_to_deals_by_client_id(sample):
    deals, visits = sample["deals"], sample["visits"]
    cid = deals["_ym_uid"]
    linked = deals[cid != ""]
    assert set(linked["_ym_uid"]) <= set(visits["ym:s:clientID"])
    assert linked["_ym_uid"].is_unique  # one visitor per deal
    by_client = visits.groupby("ym:s:clientID")
    # each deal's visitor: 1-3 visits, the last sends the form a few minutes before the
    # deal is made
    mine = visits[visits["ym:s:clientID"].isin(linked["_ym_uid"])]
    counts = mine.groupby("ym:s:clientID").size()
    assert counts.between(1, 3).all()
    last = mine.groupby("ym:s:clientID").last()
    assert (last["ym:s:goalsID"] == "[301245781]").all()
    created = pd.to_datetime(linked.set_index("_ym_uid")["Дата создания сделки"], format=TIME_FMT)
    sent = pd.to_datetime(last["ym:s:dateTime"]).reindex(created.index)
    lag = created - sent
    assert (lag >= pd.Timedelta(0)).all() and (lag <= pd.Timedelta(minutes=15)).all()
    # every form goal is a web deal's (tagged deals' visitors without _ym_uid included)
    web = (deals["Источник"] == "Сайт").sum()
    assert (visits["ym:s:goalsID"] != "[]").sum() == web
    # visitors who never left a lead: the brief says about 2,000 visits
    goals = by_client["ym:s:goalsID"].agg(lambda s: (s != "[]").any())
    others = visits[visits["ym:s:clientID"].map(~goals)]
    assert 1700 <= len(others) <= 2300


def test_visits_make_first_last_and_last_non_direct_clicks_differ(sample):
    visits = sample["visits"]
    v = visits.join(visit_source(visits))
    with_goal = v.groupby("ym:s:clientID")["ym:s:goalsID"].transform(lambda s: (s != "[]").any())
    v = v[with_goal]
    groups = v.groupby("ym:s:clientID")
    first = groups["source"].first()
    last_direct = groups["direct"].last()
    last_non_direct = v[~v["direct"]].groupby("ym:s:clientID")["source"].last()
    last_non_direct = last_non_direct.reindex(first.index)
    # the brief: ~20% of web leads end with a direct visit after a paid/organic one
    direct_last = last_direct & last_non_direct.notna()
    assert 0.15 <= direct_last.mean() <= 0.25
    # the brief: ~25% first came from a different source (tolerance 0.18..0.32)
    assert 0.18 <= ((first != last_non_direct) & last_non_direct.notna()).mean() <= 0.32


# --------------------------------------------------------------------------------------
# The story
# --------------------------------------------------------------------------------------


def test_volumes_spend_and_cpl(sample):
    leads, spend = sample["leads"], sample["spend"]
    n = leads.groupby("quarter").size()
    assert 1050 <= n["Q1"] <= 1350  # about 1,200
    assert 2700 <= n["Q2"] <= 3300  # about 3,000
    assert n["Q2"] / n["Q1"] >= 2.3
    cost = spend.groupby("quarter")["cost"].sum()
    assert 0.85 <= cost["Q2"] / cost["Q1"] <= 1.15  # spend roughly flat
    paid = leads[leads["campaign"].isin(set(spend["Campaign"]))].groupby("quarter").size()
    cpl = cost / paid
    assert 0.28 <= cpl["Q2"] / cpl["Q1"] <= 0.40  # CPL cut about threefold
    by_campaign = spend.groupby(["quarter", "Campaign"])["cost"].sum()
    for campaign in SEARCH:  # search budgets cut by about half
        assert 0.4 <= by_campaign["Q2", campaign] / by_campaign["Q1", campaign] <= 0.6
    # campaign CPLs near the brief's (brand ~2,500, quiz ~300 RUB), +-25%
    count = leads.groupby(["quarter", "campaign"]).size()
    assert 1875 <= by_campaign["Q1", "ya_brand_search"] / count["Q1", "ya_brand_search"] <= 3125
    assert 225 <= by_campaign["Q2", "vk_leadform_quiz"] / count["Q2", "vk_leadform_quiz"] <= 375


def test_spend_rows(sample):
    spend = sample["spend"]
    assert not spend.duplicated(["Date", "Source", "Campaign"]).any()
    assert spend["Campaign"].notna().all()  # every id is a campaign of the story
    assert (spend["cost"] > 0).all() and (spend["Impressions"] > 0).all()
    assert set(spend.groupby("Source")["Campaign"].unique().explode()) == {
        *SEARCH,
        *CHEAP,
        "vk_retargeting",
        "ya_display_test",
    }
    start = spend.groupby("Campaign")["Date"].min()
    assert (start[list(CHEAP)] == "2026-04-01").all()  # launched in Q2
    display = spend[spend["Campaign"] == "ya_display_test"]
    assert display["Date"].str.startswith("2026-02").all() and len(display) > 0
    # spend without leads, and leads without spend
    campaigns = set(sample["attr"]["campaign"])
    assert "ya_display_test" not in campaigns
    assert "partner_newsletter" in campaigns
    assert "partner_newsletter" not in set(spend["Campaign"])


def test_cheap_channels_bring_cold_leads(sample):
    leads = sample["leads"]
    known = leads[leads["qualification"] != "unknown"]
    share = pd.crosstab(known["campaign"], known["qualification"], normalize="index")
    # the brief: quiz about 2% hot, 10% warm, 88% cold; Telegram mostly cold
    assert share.loc["vk_leadform_quiz", "hot"] <= 0.05
    assert 0.05 <= share.loc["vk_leadform_quiz", "warm"] <= 0.15
    assert share.loc["vk_leadform_quiz", "cold"] >= 0.8
    assert share.loc["tg_channel_ads", "cold"] >= 0.8
    assert share.loc["ya_brand_search", "hot"] >= 0.45  # "hot-heavy"
    assert share.loc["ya_generic_search"].idxmax() == "warm"  # "warm-heavy"


def test_sales_fall_even_at_equal_age(sample):
    leads = sample["leads"]
    won = leads.groupby("quarter")["won"].sum()
    # the brief: won deals among each quarter's leads fall by at least 15%
    assert won["Q2"] <= 0.85 * won["Q1"]

    # Equal age: count deals won within 60 days of the lead. Every Q1 lead is over 100
    # days old at export; Q2 leads created up to 2026-05-10 are at least 61 days old,
    # so their 60-day conversion rate is complete. Q2 at equal age = that rate times
    # all Q2 leads (the Q2 channel mix is the same over the quarter).
    age = (leads["closed"].dt.normalize() - leads["created"].dt.normalize()).dt.days
    won60 = leads["won"] & (age <= 60)
    q1 = won60[leads["quarter"] == "Q1"].sum()
    complete = (leads["quarter"] == "Q2") & (leads["created"] < "2026-05-11")
    q2 = won60[complete].mean() * (leads["quarter"] == "Q2").sum()
    # the generator's design gives about 0.83 (seed to seed 0.74-0.96 over 30 seeds,
    # as the complete Q2 cohort is small); the fall must survive equal age by 5%
    assert q2 <= 0.95 * q1

    # The same at 30 days, where Q2 leads up to 2026-06-09 are complete: a larger
    # cohort (design about 0.84, seed to seed 0.72-0.93 over 30 seeds).
    won30 = leads["won"] & (age <= 30)
    complete = (leads["quarter"] == "Q2") & (leads["created"] < "2026-06-10")
    q2_30 = won30[complete].mean() * (leads["quarter"] == "Q2").sum()
    assert q2_30 <= 0.95 * won30[leads["quarter"] == "Q1"].sum()


def test_conversion_within_class_is_stable_across_quarters(sample):
    """The fall is mostly the lead mix: per class, Q2 converts nearly as Q1 does."""
    leads = sample["leads"]
    age = (leads["closed"].dt.normalize() - leads["created"].dt.normalize()).dt.days
    won30 = leads["won"] & (age <= 30)
    q1 = leads["quarter"] == "Q1"
    rate = won30[q1].groupby(leads.loc[q1, "qualification"]).mean()
    # the brief: roughly hot 0.30, warm 0.10, cold 0.01-0.02, unqualified 0.05; most
    # wins close within 30 days (tolerances for n ~ 20-500)
    assert 0.2 <= rate["hot"] <= 0.36
    assert 0.06 <= rate["warm"] <= 0.14
    assert 0.004 <= rate["cold"] <= 0.02
    assert rate["unknown"] <= 0.15
    # Q2 leads old enough for 30 days (up to 2026-06-09) win about as many deals as
    # Q1's class rates predict for their classes: the brief's "odds x ~0.9" overload
    # effect gives about 0.9 (seed to seed 0.80-0.98 over 20 seeds)
    cohort = (leads["quarter"] == "Q2") & (leads["created"] < "2026-06-10")
    expected = leads.loc[cohort, "qualification"].map(rate).sum()
    assert 0.75 <= won30[cohort].sum() / expected <= 1.05


def test_raw_manager_ranking_is_confounded_by_lead_mix(sample):
    """The best manager (skill 1.6) gets more cold leads, the weakest (0.55) more hot."""
    leads = sample["leads"]
    known = leads[leads["qualification"] != "unknown"]
    hot = known.groupby("Ответственный")["qualification"].apply(lambda q: (q == "hot").mean())
    assert hot["Павел Морозов"] > hot["Анна Смирнова"] + 0.05


# --------------------------------------------------------------------------------------
# The expected leads table
# --------------------------------------------------------------------------------------


def test_truth_agrees_with_the_files(sample, truth):
    deals, attr = sample["deals"], sample["attr"]
    assert list(truth.columns) == list(LEADS_COLUMNS)
    assert truth.index.equals(pd.RangeIndex(len(truth)))
    files = deals.iloc[::-1].reset_index(drop=True)  # ascending ID
    attr = attr.iloc[::-1].reset_index(drop=True)
    assert truth["lead_id"].tolist() == files["ID"].tolist()
    assert str(truth["created_at"].dtype) == "datetime64[us]"
    created = pd.to_datetime(files["Дата создания сделки"], format=TIME_FMT)
    assert (truth["created_at"] == created).all()
    contact = pd.to_datetime(files["Дата первого контакта"], format=TIME_FMT)
    assert truth["first_contact_at"].equals(contact.astype("datetime64[us]"))
    assert truth["stage"].tolist() == files["Этап сделки"].tolist()
    assert truth["manager"].tolist() == files["Ответственный"].tolist()
    assert truth["segment"].fillna("").tolist() == files["Сегмент"].tolist()
    assert truth["lost_reason"].fillna("").tolist() == files["Причина отказа"].tolist()

    won = files["Этап сделки"] == WON
    assert truth["converted"].dtype == np.int8
    assert (truth["converted"] == won.astype(int)).all()
    revenue = files["Бюджет ₽"].astype(float).where(won, 0.0)
    assert np.allclose(truth["revenue"], revenue)
    close = pd.to_datetime(files["Дата закрытия"].replace("не закрыта", ""), format=TIME_FMT)
    assert truth["won_at"].equals(close.where(won).astype("datetime64[us]"))

    q = truth["qualification"]
    assert q.cat.ordered and list(q.cat.categories) == ["hot", "warm", "cold", "unknown"]
    assert q.astype(str).tolist() == files["Квалификация"].map(QUALIFICATION).tolist()
    for col in ("source", "medium", "campaign", "attributed_by"):
        assert truth[col].tolist() == attr[col].tolist(), col
    assert set(truth["attributed_by"]) == {"crm_utm", "web_analytics", "crm_field"}


def test_generated_spend_is_what_the_spend_files_hold(sample):
    spend = company.generate().spend
    files = sample["spend"]
    assert len(spend) == len(files)
    assert spend["date"].dt.strftime("%Y-%m-%d").tolist() == files["Date"].tolist()
    assert spend["source"].tolist() == files["Source"].tolist()
    assert spend["campaign"].tolist() == files["Campaign"].tolist()
    assert np.allclose(spend["spend"], files["cost"], rtol=0, atol=0.005)
    assert spend["clicks"].tolist() == files["Clicks"].tolist()
    assert spend["impressions"].tolist() == files["Impressions"].tolist()


def test_truth_passes_the_canonical_schema(truth):
    validate_leads(truth)
    assert truth["lead_id"].dtype == "str"
    assert truth["segment"].isna().any() and truth["lost_reason"].isna().any()


def test_links_put_the_campaign_id_in_utm_campaign_and_the_start_url(sample):
    visits = sample["visits"]
    ad = visits[visits["ym:s:UTMSource"] != ""]
    query = ad["ym:s:startURL"].map(lambda u: parse_qs(urlsplit(u).query))
    assert (query.map(lambda q: q["utm_source"][0]) == ad["ym:s:UTMSource"]).all()
    assert (query.map(lambda q: q["utm_campaign"][0]) == ad["ym:s:UTMCampaign"]).all()
    vk = ad["ym:s:UTMSource"] == "vk"
    # a few VK links of visitors without a deal kept the raw macro
    assert (ad.loc[vk, "ym:s:UTMCampaign"] == "{{campaign_id}}").any()
