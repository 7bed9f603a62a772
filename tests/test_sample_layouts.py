"""The sample company's exports in the real tools' layouts, read through its profile.

Two references, neither of them the loader: the generator's own tables
(`analysis.sample.company.generate`: ``truth`` and ``spend``, made before any file is
rendered), and the numbers the sample gave before its exports took the real layouts
(written out below), which the change had to keep: the story of the report.
"""

from __future__ import annotations

import doctest

import pandas as pd
import pytest
import yaml

from analysis.base.paths import PROFILES_DIR, SAMPLE_DIR
from analysis.ingest.load import load_dataset
from analysis.sample import company, layouts, write

#: Per source: leads, sales, revenue (RUB) and spend (RUB) of the sample before its
#: exports took the real layouts (commit 4475138: crm_leads.csv in cp1251, ad_spend.csv,
#: web_sessions.tsv, loaded with that commit's profile).
BEFORE = {
    "(direct)": (76, 10, 799_000.0, 0.0),
    "google": (336, 37, 2_509_500.0, 543_841.04),
    "partner": (47, 7, 813_500.0, 0.0),
    "phone": (343, 44, 3_225_500.0, 0.0),
    "telegram": (636, 6, 111_000.0, 308_086.98),
    "vk": (2015, 49, 2_371_500.0, 994_419.15),
    "yandex": (882, 127, 7_924_500.0, 1_582_077.14),
}
#: Spend per campaign, and leads, sales and revenue per source and campaign, of that sample.
BEFORE_SPEND = {
    ("google", "g_search"): 543_841.04,
    ("telegram", "tg_channel_ads"): 308_086.98,
    ("vk", "vk_leadform_quiz"): 546_776.64,
    ("vk", "vk_retargeting"): 447_642.51,
    ("yandex", "ya_brand_search"): 822_113.50,
    ("yandex", "ya_display_test"): 58_684.54,
    ("yandex", "ya_generic_search"): 701_279.10,
}
BEFORE_CAMPAIGNS = {
    ("(direct)", "(none)"): (76, 10, 799_000.0),
    ("google", "(none)"): (83, 7, 359_500.0),
    ("google", "g_search"): (253, 30, 2_150_000.0),
    ("partner", "partner_newsletter"): (47, 7, 813_500.0),
    ("phone", "(none)"): (343, 44, 3_225_500.0),
    ("telegram", "tg_channel_ads"): (636, 6, 111_000.0),
    ("vk", "vk_leadform_quiz"): (1651, 17, 464_000.0),
    ("vk", "vk_retargeting"): (364, 32, 1_907_500.0),
    ("yandex", "(none)"): (175, 17, 1_377_000.0),
    ("yandex", "ya_brand_search"): (319, 73, 4_868_500.0),
    ("yandex", "ya_generic_search"): (388, 37, 1_679_000.0),
}
#: Where each source's leads were attributed from, and their hot/warm/cold/unknown
#: counts, in that sample.
BEFORE_ATTRIBUTION = {
    ("(direct)", "web_analytics"): 76,
    ("google", "crm_utm"): 217,
    ("google", "web_analytics"): 119,
    ("partner", "crm_utm"): 43,
    ("partner", "web_analytics"): 4,
    ("phone", "crm_field"): 343,
    ("telegram", "crm_utm"): 549,
    ("telegram", "web_analytics"): 87,
    ("vk", "crm_utm"): 1728,
    ("vk", "web_analytics"): 287,
    ("yandex", "crm_utm"): 595,
    ("yandex", "web_analytics"): 287,
}
BEFORE_QUALIFICATION = {
    "(direct)": (23, 28, 23, 2),
    "google": (94, 129, 103, 10),
    "partner": (9, 19, 18, 1),
    "phone": (104, 124, 106, 9),
    "telegram": (5, 31, 573, 27),
    "vk": (70, 220, 1643, 82),
    "yandex": (306, 344, 207, 25),
}


@pytest.fixture(scope="module")
def generated() -> company.SampleData:
    return company.generate()


@pytest.fixture(scope="module")
def loaded():
    return load_dataset("sample")


def _by_source(leads: pd.DataFrame) -> pd.DataFrame:
    return leads.groupby("source").agg(
        leads=("lead_id", "size"), sales=("converted", "sum"), revenue=("revenue", "sum")
    )


def _spend_by(spend: pd.DataFrame, keys) -> pd.Series:
    return spend.groupby(keys)["spend"].sum().round(2)


# --------------------------------------------------------------------------------------
# The load against the generator's own tables
# --------------------------------------------------------------------------------------


def test_per_source_leads_sales_and_spend_are_the_generators(generated, loaded):
    truth, spend = generated.truth, generated.spend
    pd.testing.assert_frame_equal(_by_source(loaded.leads), _by_source(truth))
    by = ["source", "campaign"]
    assert _spend_by(loaded.spend, by).to_dict() == _spend_by(spend, by).to_dict()
    for keys in (["source", "campaign"], ["source", "attributed_by"], ["source", "qualification"]):
        got = loaded.leads.groupby(keys, observed=True).size()
        assert got.to_dict() == truth.groupby(keys, observed=True).size().to_dict(), keys
    assert loaded.spend["clicks"].sum() == spend["clicks"].sum()
    assert loaded.spend["impressions"].sum() == spend["impressions"].sum()


def test_the_loaded_leads_are_the_generators_truth_row_for_row(generated, loaded):
    leads = loaded.leads.sort_values("lead_id", key=lambda s: s.astype(int))
    pd.testing.assert_frame_equal(leads.reset_index(drop=True), generated.truth)


def test_every_spend_file_is_read(generated, loaded):
    inputs = loaded.inputs.set_index("input")
    assert list(inputs.index) == ["amocrm", "direct", "vk", "google_ads", "telegram", "metrica"]
    rows = generated.spend.groupby("source").size()
    assert inputs.loc["direct", "rows"] == rows["yandex"]
    assert inputs.loc["google_ads", "rows"] == rows["google"]  # totals rows dropped
    assert inputs.loc["telegram", "rows"] == rows["telegram"]
    assert inputs.loc["vk", "rows"] == 2 * 181  # two ad plans, every day of H1 2026
    assert inputs.loc["metrica", "rows"] == loaded.facts["sessions_rows"]
    dropped = set(inputs.loc["amocrm", "personal_columns_dropped"].split(", "))
    assert {"Полное имя контакта", "Мобильный телефон", "Личный email"} <= dropped


# --------------------------------------------------------------------------------------
# The story of the sample before its layouts
# --------------------------------------------------------------------------------------


def test_the_numbers_are_those_of_the_sample_before_its_layouts(loaded):
    leads, spend = loaded.leads, loaded.spend
    got = _by_source(leads)
    got["spend"] = _spend_by(spend, "source").reindex(got.index).fillna(0.0)
    assert {k: tuple(v) for k, v in got.iterrows()} == BEFORE
    assert _spend_by(spend, ["source", "campaign"]).to_dict() == BEFORE_SPEND
    camp = leads.groupby(["source", "campaign"]).agg(
        leads=("lead_id", "size"), sales=("converted", "sum"), revenue=("revenue", "sum")
    )
    assert {k: tuple(v) for k, v in camp.iterrows()} == BEFORE_CAMPAIGNS
    assert leads.groupby(["source", "attributed_by"]).size().to_dict() == BEFORE_ATTRIBUTION
    qual = pd.crosstab(leads["source"], leads["qualification"])[["hot", "warm", "cold", "unknown"]]
    assert {k: tuple(v) for k, v in qual.iterrows()} == BEFORE_QUALIFICATION
    assert loaded.facts["spend_match"]["campaigns_without_leads"] == ["yandex/ya_display_test"]
    assert loaded.facts["spend_match"]["campaigns_without_spend"] == ["partner/partner_newsletter"]


# --------------------------------------------------------------------------------------
# The profile, built like the shipped ones
# --------------------------------------------------------------------------------------


def _yaml(name: str) -> dict:
    return yaml.safe_load((PROFILES_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def test_the_profile_maps_the_files_as_the_shipped_amocrm_profile_does():
    sample, amo = _yaml("sample"), _yaml("amocrm")
    assert sample["personal_data"] == amo["personal_data"]
    for field, column in amo["leads"]["columns"].items():
        assert sample["leads"]["columns"][field] == column, field
    for key in ("qualification", "converted", "source_fallback"):
        assert sample["leads"][key] == amo["leads"][key], key
    amo_spend = {s["input"]: s["columns"] for s in amo["spend"]}
    sample_spend = {s["input"]: s["columns"] for s in sample["spend"]}
    assert sample_spend["direct"] == amo_spend["direct"]
    assert sample_spend["vk"] == amo_spend["vk"]
    assert sample["inputs"]["vk"]["records"] == amo["inputs"]["vk"]["records"]
    web, amo_web = sample["web_analytics"]["columns"], amo["web_analytics"]["columns"]
    assert web["visitor_id"] == amo_web["visitor_id"] == "ym:s:clientID"
    assert sample["leads"]["columns"]["visitor_id"] == "_ym_uid"
    paths = {name: spec["path"] for name, spec in sample["inputs"].items()}
    assert all((PROFILES_DIR / p).resolve().parent == SAMPLE_DIR.resolve() for p in paths.values())


def test_the_shipped_amocrm_profile_reads_the_sample_too(generated):
    """The files are real layouts: the amoCRM profile, which knows nothing of the
    sample, loads its deals, Direct, VK and Metrica files (without the sample's names
    for campaign ids, and without Google Ads and Telegram, which it has no input for)."""
    files = {k: SAMPLE_DIR / v for k, v in write.FILE_NAMES.items()}
    ds = load_dataset("amocrm", {k: files[k] for k in ("amocrm", "direct", "vk", "metrica")})
    truth = generated.truth
    assert len(ds.leads) == len(truth) and ds.leads["converted"].sum() == truth["converted"].sum()
    assert ds.leads["revenue"].sum() == truth["revenue"].sum()
    expected = generated.spend[generated.spend["source"].isin(["yandex", "vk"])]
    assert _spend_by(ds.spend, "source").to_dict() == _spend_by(expected, "source").to_dict()
    tagged = truth.set_index("lead_id")["attributed_by"] == "crm_utm"
    got = ds.leads.set_index("lead_id").loc[tagged[tagged].index, "source"]
    assert (got == truth.set_index("lead_id").loc[tagged[tagged].index, "source"]).all()
    ids = {"104518230", "104518247", "107663019", "3871024", "4102587"}
    assert set(ds.spend["campaign"]) == ids  # not named: the ids stay


def test_organic_leads_take_their_source_from_metricas_search_engine(tmp_path, loaded):
    """Organic visits have no UTM source: the profile's list of columns (first
    non-blank per visit) reads the search engine. Without it, an organic visit counts
    as direct: its lead takes an earlier visit's source if it had one, else falls back
    to the CRM's «Источник» («Сайт»: website)."""
    leads = loaded.leads
    organic = leads["medium"] == "organic"
    assert organic.sum() == 175 + 83  # yandex and google organic (BEFORE_CAMPAIGNS)
    assert (leads.loc[organic, "attributed_by"] == "web_analytics").all()
    profile = _yaml("sample")
    for spec in profile["inputs"].values():
        spec["path"] = str((PROFILES_DIR / spec["path"]).resolve())
    profile["web_analytics"]["columns"]["utm_source"] = "ym:s:UTMSource"
    path = tmp_path / "sample-utm-only.yaml"
    path.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    without = load_dataset(path).leads.set_index("lead_id")
    lost = without.loc[leads.loc[organic, "lead_id"]]
    assert not (lost["medium"] == "organic").any()
    assert (lost["source"] == "website").mean() > 0.7  # the brief: ~25% had an earlier visit
    # direct visits too: the kind of traffic is the last column of the list
    direct = leads.loc[leads["source"] == "(direct)", "lead_id"]
    assert len(direct) == 76 and (without.loc[direct, "source"] == "website").all()


# --------------------------------------------------------------------------------------
# Docstrings
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("module", [company, layouts, write])
def test_the_modules_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
