"""Tests of `analysis.synth`, the generator of the sample company.

The written files are read back with plain pandas, independently of the kit's loaders.
Unless a comment says otherwise, each expected number comes from the brief for the
sample ("the story": Q1 about 1,200 leads, Q2 about 3,000, CPL cut about threefold,
spend flat, sales down), with the tolerance stated next to it.
"""

from __future__ import annotations

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
CRM_HEADER = (
    "ID;Дата создания;Контакт;Телефон;E-mail;Ответственный;Источник;Страница входа;"
    "Качество лида;Сегмент;Этап сделки;Причина отказа;Бюджет;Дата первого контакта;"
    "Дата закрытия"
)
SPEND_HEADER = "Date,Source,Campaign,Cost,Impressions,Clicks"
SESSIONS_HEADER = (
    "visitor_id\tsession_start\tutm_source\tutm_medium\tutm_campaign\tlanding_page\tlead_id"
)
Q2_START = pd.Timestamp("2026-04-01")
EXPORT_DATE = pd.Timestamp("2026-07-10")
WON, LOST = "Успешно реализовано", "Закрыто и не реализовано"
OPEN = {"Новая заявка", "Взят в работу", "КП отправлено"}
QUALIFICATION = {"Горячий": "hot", "Тёплый": "warm", "Холодный": "cold", "": "unknown"}
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
# Reading the files with plain pandas
# --------------------------------------------------------------------------------------


def read_crm(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="cp1251", sep=";", dtype=str, keep_default_na=False)


def read_spend(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", sep=",", dtype=str, keep_default_na=False)


def read_sessions(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8", sep="\t", dtype=str, keep_default_na=False)


def parse_rub(text: pd.Series) -> pd.Series:
    """'184\\xa0500,00' -> 184500.0; blank -> NaN."""
    clean = text.str.replace("\xa0", "", regex=False).str.replace(",", ".", regex=False)
    return pd.to_numeric(clean.replace("", np.nan))


def attribute(crm: pd.DataFrame, sessions: pd.DataFrame) -> pd.DataFrame:
    """The rule the loader must follow, written independently: UTM tags of the CRM URL;
    else the last non-direct session of the visitor up to the lead's session; phone
    calls by the CRM's source field."""
    out = pd.DataFrame({"lead_id": crm["ID"]})
    query = crm["Страница входа"].map(lambda url: parse_qs(urlsplit(url).query))
    tagged = query.map(lambda q: "utm_source" in q)
    for col in ("source", "medium", "campaign"):
        out[col] = query.map(lambda q, c=col: q.get(f"utm_{c}", [""])[0])
    out["attributed_by"] = np.where(tagged, "crm_utm", "web_analytics")

    leads = sessions.loc[sessions["lead_id"] != "", ["lead_id", "visitor_id", "session_start"]]
    visits = leads.merge(sessions, on="visitor_id", suffixes=("", "_s"))
    visits = visits[
        (visits["session_start_s"] <= visits["session_start"])
        & (visits["utm_source"] != "(direct)")
    ]
    last = visits.sort_values("session_start_s").groupby("lead_id").last()
    from_web = out["lead_id"].map(last["utm_source"])
    web = ~tagged & (crm["Источник"] == "Заявка с сайта")
    for col in ("source", "medium", "campaign"):
        found = out["lead_id"].map(last[f"utm_{col}"])
        direct = {"source": "(direct)", "medium": "(none)", "campaign": ""}[col]
        out.loc[web, col] = np.where(from_web[web].isna(), direct, found[web])
    phone = crm["Источник"] == "Входящий звонок"
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
    crm = read_crm(SAMPLE_DIR / "crm_leads.csv")
    spend = read_spend(SAMPLE_DIR / "ad_spend.csv")
    sessions = read_sessions(SAMPLE_DIR / "web_sessions.tsv")
    attr = attribute(crm, sessions)
    leads = crm.assign(
        created=pd.to_datetime(crm["Дата создания"], format=TIME_FMT),
        closed=pd.to_datetime(crm["Дата закрытия"], format="%d.%m.%Y"),
        campaign=attr["campaign"],
        qualification=crm["Качество лида"].map(QUALIFICATION),
        won=crm["Этап сделки"] == WON,
    )
    leads["quarter"] = np.where(leads["created"] >= Q2_START, "Q2", "Q1")
    spend = spend.assign(
        cost=spend["Cost"].astype(float),
        quarter=np.where(pd.to_datetime(spend["Date"]) >= Q2_START, "Q2", "Q1"),
    )
    return {"crm": crm, "spend": spend, "sessions": sessions, "attr": attr, "leads": leads}


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
    for name in ("crm", "spend", "sessions"):
        assert first[name].read_bytes() == again[name].read_bytes(), name
        assert first[name].read_bytes() != other[name].read_bytes(), name
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        "ad_spend.csv",
        "crm_leads.csv",
        "web_sessions.tsv",
    ]


def test_committed_sample_is_what_the_generator_writes(tmp_path):
    fresh = write.write_sample(tmp_path)
    for path in fresh.values():
        committed = SAMPLE_DIR / path.name
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed} is stale: run `python -m analysis.sample.write data/sample`"
        )
    # the brief: the CRM sample stays under about 1.5 MB
    assert (SAMPLE_DIR / "crm_leads.csv").stat().st_size < 1_500_000


def test_frames_are_exactly_what_is_written(tmp_path):
    data = company.generate(seed=9, scale=0.2)
    paths = write.write_sample(tmp_path, seed=9, scale=0.2)
    pd.testing.assert_frame_equal(read_crm(paths["crm"]), data.crm)
    pd.testing.assert_frame_equal(read_spend(paths["spend"]), data.spend)
    pd.testing.assert_frame_equal(read_sessions(paths["sessions"]), data.sessions)


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
    assert "crm_leads.csv" in capsys.readouterr().out
    run = subprocess.run(
        [sys.executable, "-m", "analysis.sample.write", str(tmp_path / "p"), "--seed", "3"]
        + ["--scale", "0.05"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "web_sessions.tsv" in run.stdout
    for name in ("crm_leads.csv", "ad_spend.csv", "web_sessions.tsv"):
        assert (tmp_path / "m" / name).read_bytes() == (tmp_path / "p" / name).read_bytes()


# --------------------------------------------------------------------------------------
# File formats
# --------------------------------------------------------------------------------------


def test_crm_file_is_a_cp1251_semicolon_crlf_export():
    raw = (SAMPLE_DIR / "crm_leads.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1251")
    assert text.startswith(CRM_HEADER + "\r\n")
    assert text.count("\n") == text.count("\r\n")
    assert "\xa0" in text  # the thousands separator of Бюджет


def test_spend_file_is_utf8_with_bom_comma_lf():
    raw = (SAMPLE_DIR / "ad_spend.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf" + SPEND_HEADER.encode() + b"\n")
    assert b"\r" not in raw


def test_sessions_file_is_plain_utf8_tab_lf():
    raw = (SAMPLE_DIR / "web_sessions.tsv").read_bytes()
    assert raw.startswith(SESSIONS_HEADER.encode() + b"\n")
    assert b"\r" not in raw
    raw.decode("utf-8")


# --------------------------------------------------------------------------------------
# CRM content
# --------------------------------------------------------------------------------------


def test_crm_rows_are_sorted_by_id_descending_with_valid_dates(sample):
    crm, leads = sample["crm"], sample["leads"]
    ids = crm["ID"].astype(int)
    assert ids.is_unique and ids.is_monotonic_decreasing
    assert leads["created"].between("2026-01-01", "2026-07-01").all()
    assert leads.sort_values("ID", key=lambda i: i.astype(int))[
        "created"
    ].is_monotonic_increasing, "ids in creation order"
    contact = pd.to_datetime(crm["Дата первого контакта"], format=TIME_FMT)
    assert (contact.dropna() >= leads["created"][contact.notna()]).all()
    assert (contact.dropna() < EXPORT_DATE).all()
    # the brief: ~4% never contacted
    assert 0.025 <= contact.isna().mean() <= 0.06


def test_personal_data_look_like_real_russian_contacts(sample):
    crm = sample["crm"]
    word = r"[А-ЯЁ][а-яё]+"
    assert crm["Контакт"].str.fullmatch(rf"{word}( {word}){{1,2}}").all()
    assert crm["Телефон"].str.fullmatch(r"\+7 9\d\d \d{3}-\d\d-\d\d").all()
    assert crm["E-mail"].str.fullmatch(r"[a-z0-9._]+@[a-z-]+\.example").all()
    # patronymics: "-вич" for men, "-вна" for women
    full = crm["Контакт"].str.split()
    three = full[full.str.len() == 3]
    assert three.map(lambda w: w[2].endswith(("вич", "вна"))).all()
    assert crm["Контакт"].nunique() > 500


def test_crm_categorical_fields(sample):
    crm, leads = sample["crm"], sample["leads"]
    assert set(crm["Ответственный"]) == MANAGERS
    trainee = leads[crm["Ответственный"] == "Кирилл Лебедев"]
    assert trainee["created"].min() >= pd.Timestamp("2026-05-15")
    assert 30 <= len(trainee) <= 80  # the brief: about 50 leads
    assert set(crm["Источник"]) == {"Заявка с сайта", "Входящий звонок"}
    phone = crm["Источник"] == "Входящий звонок"
    assert 0.05 <= phone.mean() <= 0.11  # the brief: ~8% phone leads
    assert (crm.loc[phone, "Страница входа"] == "").all()
    assert set(crm["Качество лида"]) == set(QUALIFICATION)
    blank_q = crm["Качество лида"] == ""
    assert 0.015 <= blank_q.mean() <= 0.045  # the brief: ~3% not yet qualified
    # "mostly recent open leads"
    recent_open = (leads["created"] >= "2026-06-01") & crm["Этап сделки"].isin(OPEN)
    assert recent_open[blank_q].mean() > 0.5
    assert set(crm["Сегмент"]) == {"Малый бизнес", "Средний бизнес", "Крупный бизнес", ""}
    assert 0.02 <= (crm["Сегмент"] == "").mean() <= 0.06  # the brief: ~4% blank


def test_stages_reasons_budgets_and_close_dates_agree(sample):
    crm, leads = sample["crm"], sample["leads"]
    stage = crm["Этап сделки"]
    assert set(stage) == {WON, LOST} | OPEN
    closed = stage.isin([WON, LOST])
    assert (leads["closed"].notna() == closed).all()
    assert (leads.loc[closed, "closed"] < EXPORT_DATE).all()
    reason = crm["Причина отказа"]
    assert ((reason != "") == (stage == LOST)).all()
    assert set(reason[reason != ""]) == {
        "Нет потребности",
        "Дорого",
        "Не выходит на связь",
        "Перезвонить позже",
        "Выбрали конкурента",
        "Спам / ошибка",
    }
    cold_lost = reason[(stage == LOST) & (crm["Качество лида"] == "Холодный")]
    top3 = cold_lost.value_counts().index[:3]
    assert set(top3) == {"Нет потребности", "Не выходит на связь", "Перезвонить позже"}

    days = (leads["closed"] - leads["created"].dt.normalize()).dt.days
    assert days[stage == WON].between(3, 60).all()
    assert 7 <= days[stage == WON].median() <= 21  # the brief: median about 2 weeks
    assert days[stage == LOST].between(1, 30).all()

    budget = crm["Бюджет"]
    assert budget[budget != ""].str.fullmatch(r"\d{1,3}(\xa0\d{3})*,\d\d").all()
    assert (budget[stage == WON] != "").all()
    assert 0.06 <= (budget[stage != WON] == "").mean() <= 0.14  # the brief: ~10% blank


def test_landing_urls(sample):
    crm, attr = sample["crm"], sample["attr"]
    url = crm["Страница входа"]
    assert url[url != ""].str.startswith("https://promsnab.example/").all()
    tagged = attr["attributed_by"] == "crm_utm"
    paid = attr["campaign"].isin(set(sample["spend"]["Campaign"]))
    web = crm["Источник"] == "Заявка с сайта"
    # the brief: ~85% of paid web leads carry UTMs
    assert 0.8 <= tagged[paid & web].mean() <= 0.9
    assert not tagged[attr["medium"] == "organic"].any()
    assert (url[tagged & (attr["source"] == "yandex")].str.contains("yclid=")).all()
    assert (url[tagged & (attr["source"] == "google")].str.contains("gclid=")).all()
    assert not url[tagged & attr["source"].isin(["vk", "telegram"])].str.contains("clid=").any()
    assert (~url[tagged].str.contains(r"\?utm_source=")).mean() > 0.05, "other orders"


# --------------------------------------------------------------------------------------
# Web sessions
# --------------------------------------------------------------------------------------


def test_sessions_link_to_crm_leads(sample):
    crm, sessions = sample["crm"], sample["sessions"]
    assert sessions["visitor_id"].str.fullmatch(r"v\d{10}").all()
    pd.to_datetime(sessions["session_start"], format="%Y-%m-%d %H:%M:%S")
    order = sessions.sort_values(["session_start", "visitor_id"], kind="mergesort")
    assert order.index.equals(sessions.index)

    lead_sessions = sessions[sessions["lead_id"] != ""]
    assert lead_sessions["lead_id"].is_unique
    assert set(lead_sessions["lead_id"]) <= set(crm["ID"])
    web = crm.loc[crm["Источник"] == "Заявка с сайта", "ID"]
    assert set(lead_sessions["lead_id"]) == set(web)

    # each lead's visitor: 1-3 sessions, the last one submits the form, a few minutes
    # before the CRM's creation time
    by_visitor = sessions[sessions["visitor_id"].isin(lead_sessions["visitor_id"])]
    counts = by_visitor.groupby("visitor_id").size()
    assert counts.between(1, 3).all()
    last = by_visitor.groupby("visitor_id").last()
    assert (last["lead_id"] != "").all()
    created = pd.to_datetime(crm.set_index("ID")["Дата создания"], format=TIME_FMT)
    lag = (
        created[lead_sessions["lead_id"]].to_numpy()
        - pd.to_datetime(lead_sessions["session_start"]).to_numpy()
    )
    assert (lag >= np.timedelta64(0, "s")).all() and (lag <= np.timedelta64(15, "m")).all()

    # visitors who never left a lead: the brief says about 2,000 sessions
    others = sessions[~sessions["visitor_id"].isin(lead_sessions["visitor_id"])]
    assert 1700 <= len(others) <= 2300


def test_sessions_make_first_last_and_last_non_direct_clicks_differ(sample):
    sessions = sample["sessions"]
    leads = sessions.loc[sessions["lead_id"] != "", "visitor_id"]
    visits = sessions[sessions["visitor_id"].isin(leads)]
    groups = visits.groupby("visitor_id")
    first = groups["utm_source"].first()
    last = groups["utm_source"].last()
    non_direct = visits[visits["utm_source"] != "(direct)"].groupby("visitor_id")
    last_non_direct = non_direct["utm_source"].last().reindex(first.index)
    # the brief: ~20% of web leads end with a direct session after a paid/organic one
    direct_last = (last == "(direct)") & last_non_direct.notna()
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
    key = spend[["Date", "Source", "Campaign"]]
    assert key.equals(key.sort_values(["Date", "Source", "Campaign"]).reset_index(drop=True))
    assert spend["Cost"].str.fullmatch(r"\d+\.\d\d").all()
    assert spend["Impressions"].str.fullmatch(r"\d+").all()
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
    age = (leads["closed"] - leads["created"].dt.normalize()).dt.days
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
    age = (leads["closed"] - leads["created"].dt.normalize()).dt.days
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
    crm, attr = sample["crm"], sample["attr"]
    assert list(truth.columns) == list(LEADS_COLUMNS)
    assert truth.index.equals(pd.RangeIndex(len(truth)))
    files = crm.iloc[::-1].reset_index(drop=True)  # ascending ID
    attr = attr.iloc[::-1].reset_index(drop=True)
    assert truth["lead_id"].tolist() == files["ID"].tolist()
    assert str(truth["created_at"].dtype) == "datetime64[us]"
    assert (truth["created_at"] == pd.to_datetime(files["Дата создания"], format=TIME_FMT)).all()
    contact = pd.to_datetime(files["Дата первого контакта"], format=TIME_FMT)
    assert truth["first_contact_at"].equals(contact.astype("datetime64[us]"))
    assert truth["stage"].tolist() == files["Этап сделки"].tolist()
    assert truth["manager"].tolist() == files["Ответственный"].tolist()
    assert truth["segment"].fillna("").tolist() == files["Сегмент"].tolist()
    assert truth["lost_reason"].fillna("").tolist() == files["Причина отказа"].tolist()

    won = files["Этап сделки"] == WON
    assert truth["converted"].dtype == np.int8
    assert (truth["converted"] == won.astype(int)).all()
    revenue = parse_rub(files["Бюджет"]).where(won, 0.0)
    assert np.allclose(truth["revenue"], revenue)
    close = pd.to_datetime(files["Дата закрытия"], format="%d.%m.%Y").where(won)
    assert truth["won_at"].equals(close.astype("datetime64[us]"))

    q = truth["qualification"]
    assert q.cat.ordered and list(q.cat.categories) == ["hot", "warm", "cold", "unknown"]
    assert q.astype(str).tolist() == files["Качество лида"].map(QUALIFICATION).tolist()
    for col in ("source", "medium", "campaign", "attributed_by"):
        assert truth[col].tolist() == attr[col].tolist(), col
    assert set(truth["attributed_by"]) == {"crm_utm", "web_analytics", "crm_field"}


def test_truth_passes_the_canonical_schema(truth):
    validate_leads(truth)
    assert truth["lead_id"].dtype == "str"
    assert truth["segment"].isna().any() and truth["lost_reason"].isna().any()
