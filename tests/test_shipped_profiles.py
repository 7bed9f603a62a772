"""Every shipped profile loads its exports as downloaded, unedited (the fixtures in
tests/fixtures/exports copy the real layouts of EXPORT_FORMATS.md): leads, sales,
revenue, spend per source and attribution equal hand counts.

The hand counts are the fixtures' ``expected.yaml`` (written with the files and
re-counted from the written bytes by ``verify_expected.py``, which this module also
runs) and, for attribution, a count made here from the raw files with the csv module.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.ingest.load import load_dataset

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
EXPECTED = yaml.safe_load((FIXTURES / "expected.yaml").read_text(encoding="utf-8"))


def _load(profile: str, **files: str):
    return load_dataset(profile, {name: FIXTURES / rel for name, rel in files.items()})


def _raw(rel: str, encoding="utf-8", delimiter=",") -> list[list[str]]:
    text = (FIXTURES / rel).read_bytes().decode(encoding).lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def test_the_fixtures_match_their_hand_counts():
    """The independent re-count of every fixture (verify_expected.py) agrees."""
    got = subprocess.run(
        [sys.executable, str(FIXTURES / "verify_expected.py")], capture_output=True, text=True
    )
    assert got.returncode == 0, got.stdout + got.stderr


# --------------------------------------------------------------------------- amoCRM


def _amocrm_by_hand() -> dict:
    """Each deal's expected attribution from the raw CSV and Metrica visits: the
    tracking group's utm_source (the 2nd column of that name) first; else the last
    ad visit (Direct or VK) of its _ym_uid up to its creation; else «Источник»."""
    rows = _raw("amocrm/deals.csv")
    head, body = rows[0], rows[1:]
    utm = [i for i, h in enumerate(head) if h == "utm_source"][1]
    repeated = ("utm_source", "utm_medium", "utm_campaign")
    col = {h: i for i, h in enumerate(head) if h not in repeated}
    visits = _raw("metrica/visits.tsv", delimiter="\t")
    vh = {h: i for i, h in enumerate(visits[0])}
    engines = {"ya_direct": "yandex", "vkontakte": "vk"}
    by_client: dict[str, list[tuple[str, str]]] = {}
    for v in visits[1:]:
        src = engines.get(v[vh["ym:s:lastAdvEngine"]])
        if src:
            by_client.setdefault(v[vh["ym:s:clientID"]], []).append((v[vh["ym:s:dateTime"]], src))
    out = {"crm_utm": 0, "web_analytics": 0, "crm_field": 0, "none": 0}
    for r in body:
        if r[utm]:
            out["crm_utm"] += 1
            continue
        d, t = r[col["Дата создания сделки"]].split(" ")
        created = f"{d[6:10]}-{d[3:5]}-{d[0:2]} {t}"
        seen = [s for when, s in by_client.get(r[col["_ym_uid"]], []) if when <= created]
        if seen:
            out["web_analytics"] += 1
        elif r[col["Источник"]]:
            out["crm_field"] += 1
        else:
            out["none"] += 1
    return out


@pytest.mark.parametrize("file", ["amocrm/deals.csv", "amocrm/deals.xlsx"])
def test_amocrm_deals_as_downloaded(file):
    ds = _load("amocrm", amocrm=file)
    exp = EXPECTED["amocrm/deals.csv"]
    leads = ds.leads
    assert len(leads) == exp["data_rows"] == 30
    assert int(leads["converted"].sum()) == exp["won_deals"]
    assert leads["revenue"].sum() == pytest.approx(exp["won_revenue_rub"])
    q = leads["qualification"].astype(str).value_counts().to_dict()
    kv = exp["kvalifikatsiya_values"]
    assert q == {
        "hot": kv["Горячий"],
        "warm": kv["Тёплый"] + kv["Теплый"],
        "cold": kv["Холодный"],
        "unknown": kv["(blank)"],
    }
    # open deals' "не закрыта" is no date; every sale has its close date
    assert leads.loc[leads["converted"] == 0, "won_at"].isna().all()
    assert leads.loc[leads["converted"] == 1, "won_at"].notna().all()
    # the tracking group's utm_source (2nd occurrence), not the form-made one
    tagged = leads[leads["attributed_by"] == "crm_utm"]["source"].value_counts().to_dict()
    per = {k: v for k, v in exp["leads_per_utm_source"].items() if k != "(blank)"}
    assert tagged == per
    # the VK link whose {{campaign_id}} macro was never filled has no campaign
    assert "{{campaign_id}}" not in set(leads["campaign"])
    # personal data never reach the tables
    text = leads.to_csv()
    assert "example.ru" not in text and "+7 (9" not in text


def test_amocrm_with_direct_vk_and_metrica():
    """A company's four exports as one profile: spend per source from the Direct API
    report (micros) and VK's JSON, sources of untagged deals from Metrica visits linked
    by the ClientID amoCRM keeps as _ym_uid."""
    ds = _load(
        "amocrm",
        amocrm="amocrm/deals.csv",
        direct="direct/report-api.tsv",
        vk="vk/ad_plans_day.json",
        metrica="metrica/visits.tsv",
    )
    spend = ds.spend.groupby("source")["spend"].sum()
    assert spend["yandex"] == pytest.approx(EXPECTED["direct/report-api.tsv"]["spend_total_rub"])
    assert spend["vk"] == pytest.approx(EXPECTED["vk/ad_plans_day.json"]["spend_total_rub"])
    per = ds.spend.groupby("campaign")["spend"].sum()
    for cid, value in EXPECTED["direct/report-api.tsv"]["spend_per_campaign_id"].items():
        assert per[str(cid)] == pytest.approx(value)
    for cid, value in EXPECTED["vk/ad_plans_day.json"]["spend_per_campaign_id"].items():
        assert per[str(cid)] == pytest.approx(value)
    got = ds.leads["attributed_by"].value_counts().to_dict()
    want = {k: v for k, v in _amocrm_by_hand().items() if v}
    assert got == want
    notes = " ".join(ds.notes["message"])
    assert "Total rows" in notes or "totals" in notes  # the footer was dropped, with a note


def test_amocrm_with_the_direct_wizard_and_the_vk_cabinet():
    ds = _load(
        "amocrm",
        amocrm="amocrm/deals.csv",
        direct_wizard="direct/wizard.csv",
        vk_cabinet="vk/cabinet.csv",
    )
    spend = ds.spend.groupby("source")["spend"].sum()
    assert spend["yandex"] == pytest.approx(EXPECTED["direct/wizard.csv"]["spend_total_rub"])
    assert spend["vk"] == pytest.approx(EXPECTED["vk/cabinet.csv"]["spend_total_rub"])
    clicks = ds.spend.groupby("source")["clicks"].sum()
    assert int(clicks["yandex"]) == EXPECTED["direct/wizard.csv"]["clicks_total"]


# --------------------------------------------------------------------------- Bitrix24


@pytest.mark.parametrize(
    "file", ["bitrix24/leads.csv", "bitrix24/leads-cp1251.csv", "bitrix24/leads.xls"]
)
def test_bitrix24_leads_as_downloaded(file):
    ds = _load("bitrix24-leads", bitrix=file)
    exp = EXPECTED["bitrix24/leads.csv"]
    leads = ds.leads
    assert len(leads) == exp["data_rows"]
    assert int(leads["converted"].sum()) == exp["qualified_leads"]
    assert leads["revenue"].sum() == pytest.approx(exp["qualified_amount_rub"])
    stages = leads["stage"].value_counts().to_dict()
    assert stages == exp["leads_per_status"]
    tagged = leads[leads["attributed_by"] == "crm_utm"]["source"].value_counts().to_dict()
    assert tagged == {k: v for k, v in exp["leads_per_utm_source"].items() if k != "(blank)"}
    assert int((leads["attributed_by"] == "none").sum()) == 0  # «Источник» names the rest
    assert "Российский рубль" not in leads.to_csv()


def test_bitrix24_deals_as_downloaded():
    ds = _load("bitrix24-deals", bitrix="bitrix24/deals.csv")
    exp = EXPECTED["bitrix24/deals.csv"]
    assert len(ds.leads) == exp["data_rows"]
    assert int(ds.leads["converted"].sum()) == exp["won_deals"]
    assert ds.leads["revenue"].sum() == pytest.approx(exp["won_revenue_rub"])
    assert ds.leads["stage"].value_counts().to_dict() == exp["deals_per_stage"]


# --------------------------------------------------------------------------- HubSpot


@pytest.mark.parametrize(
    "report", ["google_ads/campaign-report.csv", "google_ads/campaign-report-utf16.csv"]
)
def test_hubspot_with_google_ads(report):
    ds = _load("hubspot", hubspot="hubspot/contacts.csv", google_ads=report)
    exp = EXPECTED["hubspot/contacts.csv"]
    leads = ds.leads
    assert len(leads) == exp["data_rows"]
    assert int(leads["converted"].sum()) == exp["won_deals"]
    assert leads["revenue"].sum() == pytest.approx(exp["won_revenue_gbp"])
    src = exp["contacts_per_original_source"]
    assert int((leads["source"] == "google").sum()) == src["Paid Search"] + src["Display Ads"]
    g = EXPECTED[report]
    assert ds.spend["spend"].sum() == pytest.approx(g["spend_total"])
    assert int(ds.spend["clicks"].sum()) == g["clicks_total"]
    assert set(ds.spend["source"]) == {"google"}
    # the totals rows at the bottom are not spend
    assert not ds.spend["campaign"].str.startswith("Total").any()
    assert pd.Series(leads["lead_id"]).is_unique
