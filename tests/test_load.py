"""Loading through a mapping profile: the happy path and every kind of bad input.

Each bad input must raise DataError naming the file, the row(s) and the column, and
must leave the input file untouched.
"""

import pandas as pd
import pytest

from analysis.base.errors import DataError
from analysis.ingest.load import load_dataset
from analysis.ingest.schema import NO_CAMPAIGN
from tests.conftest import GOOD_LEADS, GOOD_SPEND, sha, write_csv


def load(files, **extra):
    return load_dataset("generic", {k: str(v) for k, v in {**files, **extra}.items()})


def test_generic_happy_path(generic_files):
    ds = load(generic_files)
    leads = ds.leads.set_index("lead_id")
    assert list(leads.index) == ["1", "2", "3", "4", "5"]
    assert leads["converted"].tolist() == [1, 0, 0, 1, 0]
    assert leads["revenue"].tolist() == [1000.0, 0.0, 0.0, 500.0, 0.0]
    assert leads["qualification"].astype(str).tolist() == ["hot", "warm", "cold", "cold", "unknown"]
    assert leads.loc["5", "source"] == "unknown" and leads.loc["5", "campaign"] == NO_CAMPAIGN
    assert leads.loc["1", "attributed_by"] == "crm_utm"
    assert str(leads["created_at"].dtype) == "datetime64[us]"
    assert ds.spend["spend"].sum() == 450.0
    assert ds.spend["clicks"].dtype == "Int64"
    m = ds.facts["spend_match"]
    assert (m["leads_matched"], m["leads_campaign_unmatched"], m["leads_no_campaign"]) == (4, 0, 1)


def test_optional_spend_missing_says_no_spend(generic_files):
    ds = load_dataset("generic", {"leads": str(generic_files["leads"])})
    assert ds.spend.empty and not ds.has_spend
    assert ds.notes["message"].str.contains("no spend data").any()


def _bad(tmp_path, name, text, encoding="utf-8"):
    return write_csv(tmp_path / name, text, encoding)


BAD_LEADS = [
    # (case, file text, error regex naming file, rows and column)
    (
        "missing column",
        GOOD_LEADS.replace("converted", "won"),
        r"leads\.csv, row 1, column 'converted': required column missing",
    ),
    (
        "bad date",
        GOOD_LEADS.replace("2026-01-07 12:00", "07/13/2026"),
        r"leads\.csv, row 4, column 'created_at': 1 value\(s\) are not dates",
    ),
    (
        "bad number",
        GOOD_LEADS.replace("1000", "1k"),
        r"leads\.csv, row 2, column 'revenue': 1 value\(s\) are not numbers, e\.g\. '1k'",
    ),
    (
        "negative revenue",
        GOOD_LEADS.replace("500", "-500"),
        r"leads\.csv, row 5, column 'revenue': 1 negative revenue",
    ),
    (
        "duplicate ids",
        GOOD_LEADS.replace("\n4,", "\n3,"),
        r"leads\.csv, rows 4, 5, column 'lead_id': duplicate lead ids: '3'",
    ),
    (
        "blank id",
        GOOD_LEADS.replace("\n4,", "\n,"),
        r"leads\.csv, row 5, column 'lead_id': 1 row\(s\) have no lead id",
    ),
    (
        "unknown qualification",
        GOOD_LEADS.replace(",warm,", ",lukewarm,"),
        r"leads\.csv, row 3, column 'qualification': unknown qualification value\(s\): 'lukewarm'",
    ),
    (
        "bad flag",
        GOOD_LEADS.replace(",yes,500", ",maybe,500"),
        r"leads\.csv, row 5, column 'converted': 1 value\(s\) are not yes/no",
    ),
    # a lead without a creation date is kept with a note (tests/test_profile_keys.py)
    (
        "header only",
        GOOD_LEADS.splitlines()[0] + "\n",
        r"leads\.csv: the file has a header but no data rows",
    ),
    ("empty", "", r"leads\.csv: the file is empty"),
]


@pytest.mark.parametrize(("case", "text", "error"), BAD_LEADS, ids=[c[0] for c in BAD_LEADS])
def test_bad_leads_are_named_errors(tmp_path, generic_files, case, text, error):
    path = _bad(tmp_path, "leads.csv", text)
    before = sha(path)
    with pytest.raises(DataError, match=error):
        load(generic_files, leads=path)
    assert sha(path) == before, "an input file was modified"


BAD_SPEND = [
    (
        "negative spend",
        GOOD_SPEND.replace(",100,", ",-100,"),
        r"spend\.csv, row 3, column 'spend': 1 negative spend value\(s\) \(e\.g\. '-100'\)",
    ),
    (
        "spend not a number",
        GOOD_SPEND.replace(",50,", ",fifty,"),
        r"spend\.csv, row 4, column 'spend': 1 value\(s\) are not numbers",
    ),
    (
        "exact duplicate rows",
        GOOD_SPEND + GOOD_SPEND.splitlines()[1] + "\n",
        r"spend\.csv, rows 2, 5: 2 spend rows are exact duplicates",
    ),
    (
        "blank campaign",
        GOOD_SPEND.replace("vk,quiz", "vk,"),
        r"spend\.csv, row 4, column 'campaign': 1 spend row\(s\) have no campaign",
    ),
    (
        "fractional clicks",
        GOOD_SPEND.replace(",10,1000", ",10.5,1000"),
        r"spend\.csv, row 2, column 'clicks': clicks must be whole numbers",
    ),
    (
        "missing spend column",
        GOOD_SPEND.replace("spend,clicks", "cost,clicks"),
        r"spend\.csv, row 1, column 'spend': required column missing",
    ),
]


@pytest.mark.parametrize(("case", "text", "error"), BAD_SPEND, ids=[c[0] for c in BAD_SPEND])
def test_bad_spend_are_named_errors(tmp_path, generic_files, case, text, error):
    path = _bad(tmp_path, "spend.csv", text)
    before = sha(path)
    with pytest.raises(DataError, match=error):
        load(generic_files, spend=path)
    assert sha(path) == before


def test_wrong_encoding_is_named(tmp_path, generic_files):
    path = tmp_path / "leads.csv"
    path.write_bytes(GOOD_LEADS.replace("Anna", "Zoë").encode("latin-1"))
    with pytest.raises(DataError, match=r"leads\.csv: cannot tell the file's text encoding"):
        load(generic_files, leads=path)


def test_split_spend_rows_are_summed_with_a_note(tmp_path, generic_files):
    path = _bad(tmp_path, "spend.csv", GOOD_SPEND + "2026-01-05,vk,quiz,25,1,10\n")
    ds = load(generic_files, spend=path)
    day = ds.spend[(ds.spend["campaign"] == "quiz")]
    assert day["spend"].tolist() == [75.0] and day["clicks"].tolist() == [21]
    assert ds.notes["message"].str.contains("they were summed").any()


def test_unmatched_leads_and_spend_are_reported_not_dropped(tmp_path, generic_files):
    text = GOOD_LEADS.replace("vk,paid_social,quiz", "vk,paid_social,quiz_v2")
    spend = GOOD_SPEND + "2026-01-05,google,display,70,1,100\n"
    ds = load(
        generic_files, leads=_bad(tmp_path, "l.csv", text), spend=_bad(tmp_path, "s.csv", spend)
    )
    assert len(ds.leads) == 5
    m = ds.facts["spend_match"]
    assert m["leads_campaign_unmatched"] == 2 and m["campaigns_without_spend"] == ["vk/quiz_v2"]
    assert m["spend_without_leads"] == 120.0  # vk/quiz 50 + google/display 70
    assert sorted(m["campaigns_without_leads"]) == ["google/display", "vk/quiz"]


def test_personal_data_columns_are_dropped_and_values_pseudonymised(tmp_path, generic_files):
    text = GOOD_LEADS.replace("lead_id,", "Name,Phone,E-mail,lead_id,")
    lines = text.splitlines()
    lines[1:] = [f"Ivan Petrov,+7 916 123-45-67,ivan@mail.example,{ln}" for ln in lines[1:]]
    text = "\n".join(lines).replace("Anna", "anna.k@firm.example") + "\n"
    ds = load(generic_files, leads=_bad(tmp_path, "pii.csv", text))
    dropped = ds.inputs.set_index("input").loc["leads", "personal_columns_dropped"]
    assert dropped == "Name, Phone, E-mail"
    flat = ds.leads.astype(str).to_csv()
    for secret in ("Ivan", "916", "ivan@", "anna.k@firm.example"):
        assert secret not in flat
    # the e-mail becomes one stable pseudonym (tests/test_privacy.py pins the rule)
    assert ds.leads["manager"].str.fullmatch(r"email-[0-9a-f]{12}").sum() == 2
    assert ds.leads["manager"].nunique() == 2


def test_utm_from_landing_url_and_explicit_columns(tmp_path, generic_files):
    text = (
        "lead_id,created_at,landing_url,utm_source,converted\n"
        "1,2026-01-01,https://x.example/?utm_source=Yandex&utm_medium=cpc&utm_campaign=Brand,,no\n"
        "2,2026-01-01,https://x.example/p?utm_campaign=a&utm_source=vk,google,no\n"
        "3,2026-01-01,https://x.example/,,no\n"
    )
    ds = load(generic_files, leads=_bad(tmp_path, "u.csv", text))
    got = ds.leads[["source", "medium", "campaign", "attributed_by"]].astype(object)
    assert got.iloc[0].tolist() == ["yandex", "cpc", "Brand", "crm_utm"]
    assert got.iloc[1].tolist()[0] == "google"  # an explicit utm_source column wins over the URL
    assert got.iloc[2].tolist()[0] == "unknown" and got.iloc[2, 3] == "none"


SESSIONS = """visitor_id\tsession_start\tutm_source\tutm_medium\tutm_campaign\tlead_id
v1\t2026-01-01 10:00:00\tgoogle\torganic\t\t
v1\t2026-01-02 10:00:00\tyandex\tcpc\tbrand\t
v1\t2026-01-03 10:00:00\t(direct)\t(none)\t\tL1
v2\t2026-01-01 09:00:00\t(direct)\t(none)\t\tL2
v3\t2026-01-05 09:00:00\tvk\tpaid_social\tquiz\tL3
v3\t2026-01-06 09:00:00\tgoogle\tcpc\tg\t
v4\t2026-01-06 09:00:00\tgoogle\tcpc\tg\tL9
"""


def _web_profile(tmp_path, model):
    text = f"""
name: web
inputs:
  leads: {{path: {tmp_path / "wl.csv"}}}
  sessions: {{path: {tmp_path / "ws.tsv"}}}
leads:
  input: leads
  columns: {{lead_id: lead_id, created_at: created_at, converted: converted}}
  converted: {{column: converted}}
web_analytics:
  input: sessions
  columns: {{visitor_id: visitor_id, session_start: session_start, utm_source: utm_source,
            utm_medium: utm_medium, utm_campaign: utm_campaign, lead_id: lead_id}}
  attribution: {model}
"""
    _bad(
        tmp_path,
        "wl.csv",
        "lead_id,created_at,converted\nL1,2026-01-03,no\nL2,2026-01-01,no\n"
        "L3,2026-01-05,yes\nL4,2026-01-05,no\n",
    )
    _bad(tmp_path, "ws.tsv", SESSIONS)
    return _bad(tmp_path, f"web_{model}.yaml", text)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # L1's path: google organic -> yandex cpc -> direct (lead). L2: direct only.
        # L3: vk (lead); the later google session does not count. L4: no sessions.
        ("last_non_direct", ["yandex", "(direct)", "vk", "unknown"]),
        ("first_click", ["google", "(direct)", "vk", "unknown"]),
        ("last_click", ["(direct)", "(direct)", "vk", "unknown"]),
    ],
)
def test_web_analytics_attribution_models(tmp_path, model, expected):
    ds = load_dataset(_web_profile(tmp_path, model))
    assert ds.leads["source"].tolist() == expected
    assert ds.leads["attributed_by"].tolist() == ["web_analytics"] * 3 + ["none"]
    assert ds.facts["sessions_leads_unknown"] == 1  # L9 is not in the leads file
    assert ds.notes["message"].str.contains("not in the leads table").any()


def test_unknown_input_name_and_profile_typos(tmp_path, generic_files):
    with pytest.raises(DataError, match="unknown input name"):
        load(generic_files, crm=generic_files["leads"])
    prof = _bad(
        tmp_path,
        "typo.yaml",
        "name: t\ninputs: {a: {path: x.csv}}\nleads:\n  input: a\n  colums: {lead_id: id}\n",
    )
    with pytest.raises(DataError, match=r"typo\.yaml: mapping profile: unknown key\(s\) 'colums'"):
        load_dataset(prof)
    with pytest.raises(DataError, match="mapping profile not found: 'nope'"):
        load_dataset("nope")


def test_excel_leads_load_like_csv(tmp_path, generic_files):
    frame = pd.read_csv(generic_files["leads"], dtype=str, keep_default_na=False)
    frame.to_excel(tmp_path / "leads.xlsx", index=False)
    a = load(generic_files).leads
    b = load(generic_files, leads=tmp_path / "leads.xlsx").leads
    pd.testing.assert_frame_equal(a, b)


def test_period_window_and_currency_override():
    """A client's period keeps leads created in it (both ends inclusive, the end's whole
    day) and spend dated in it; the count is the plain filter of the full load."""
    from analysis.ingest.load import load_dataset

    full = load_dataset("sample")
    ds = load_dataset("sample", start="2026-04-01", end="2026-05-31", currency="EUR")
    created = full.leads["created_at"]
    expected = ((created >= "2026-04-01") & (created < "2026-06-01")).sum()
    assert len(ds.leads) == expected and 0 < expected < len(full.leads)
    assert ds.spend["date"].between("2026-04-01", "2026-05-31").all()
    assert ds.profile.currency == "EUR" and full.profile.currency == "RUB"
    assert ds.notes["message"].str.contains("created outside the period").any()


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-13-01", None, "not a date"),
        ("2026-06-01", "2026-01-01", "starts"),
        ("2030-01-01", None, "no lead was created"),
    ],
)
def test_bad_period_is_an_error(start, end, message):
    from analysis.ingest.load import load_dataset

    with pytest.raises(DataError, match=message):
        load_dataset("sample", start=start, end=end)


def test_cached_load_equals_a_fresh_load_and_follows_the_files(tmp_path):
    """load_dataset(cache=True), as the report notebooks call it: the kept copy is the
    fresh load (every table, note and fact), and a changed input is read again."""
    files = {
        "leads": write_csv(tmp_path / "leads.csv", GOOD_LEADS),
        "spend": write_csv(tmp_path / "spend.csv", GOOD_SPEND),
    }
    cache = tmp_path / "cache"
    fresh = load_dataset("generic", files)
    first = load_dataset("generic", files, cache=True, cache_dir=cache)
    kept = load_dataset("generic", files, cache=True, cache_dir=cache)
    assert len(list((cache / "datasets").iterdir())) == 1
    # the kept copy's leads stay in the load's canonical Parquet file, which the engine
    # groups: written once, beside the kept dataset
    assert not kept.leads_loaded and kept.source == first.source
    assert kept.source.parent == cache and not list((cache / "datasets").rglob("*.parquet"))[1:]
    for ds in (first, kept):
        pd.testing.assert_frame_equal(ds.leads, fresh.leads)
        pd.testing.assert_frame_equal(ds.spend, fresh.spend)
        pd.testing.assert_frame_equal(ds.notes, fresh.notes)
        pd.testing.assert_frame_equal(ds.inputs, fresh.inputs)
        assert ds.facts == fresh.facts
    sample = load_dataset("sample")
    for _ in range(2):  # the sample: six inputs, Metrica by ClientID, pseudonyms
        again = load_dataset("sample", cache=True, cache_dir=cache)
        pd.testing.assert_frame_equal(again.leads, sample.leads)
        pd.testing.assert_frame_equal(again.notes, sample.notes)
        assert again.facts == sample.facts
    files["spend"].write_text(GOOD_SPEND.replace("300", "310"), encoding="utf-8")
    changed = load_dataset("generic", files, cache=True, cache_dir=cache)
    assert changed.spend["spend"].sum() == fresh.spend["spend"].sum() + 10
    other = load_dataset("generic", files, cache=True, cache_dir=cache, currency="EUR")
    assert other.profile.currency == "EUR"
