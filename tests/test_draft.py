"""`leadkit profile new`: a draft mapping profile from the headers of export files.

Headers are those of tests/fixtures/exports (real layouts, see
/work/shared/EXPORT_FORMATS.md) and small inline copies of them written here.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pytest
import yaml

from analysis.base.errors import DataError
from analysis.cli import main
from analysis.ingest.draft import draft_profile, read_header, recognise, write_draft
from analysis.ingest.profiles import load_profile
from tests.conftest import GOOD_LEADS, GOOD_SPEND, write_csv

EXPORTS = Path(__file__).parent / "fixtures" / "exports"

AMOCRM = (
    "ID,Название сделки,Бюджет ₽,Ответственный,Дата создания сделки,Дата закрытия,Теги,"
    "Этап сделки,Полное имя контакта,Рабочий телефон,Рабочий email,Квалификация,utm_source,"
    "utm_medium,utm_campaign,utm_source,utm_medium,utm_campaign,_ym_uid\n"
    "31453197,Заявка,198000,Анна Смирнова,24.04.2026 11:47:52,не закрыта,,Переговоры,"
    "Иван Петров,+7 (495) 555-03-91,i@example.ru,Тёплый,,,,yandex,cpc,108234589,1776429189\n"
    "31453198,Заявка,0,Анна Смирнова,25.04.2026 11:47:52,не закрыта,,Переговоры,"
    "Иван Петров,+7 (495) 555-03-92,j@example.ru,Горячий,,,,vk,cpc,4512873,\n"
)
DIRECT_API = (
    '"report_2026-05-02_101503 (2026-03-01 - 2026-04-30)"\n'
    "Date\tCampaignId\tCampaignName\tImpressions\tClicks\tCost\tAvgCpc\n"
    "2026-03-23\t108234589\tСтеллажи | РСЯ\t45\t4\t194420000\t--\n"
    "Total rows: 1\n"
)
METRICA = (
    "ym:s:visitID\tym:s:dateTime\tym:s:clientID\tym:s:startURL\tym:s:UTMSource\t"
    "ym:s:UTMMedium\tym:s:UTMCampaign\n"
    "7548\t2026-02-18 20:11:05\t1776429189\thttps://x.example/\tyandex\tcpc\t108234589\n"
)
VK_JSON = (
    '{"items":[{"id":4512873,"rows":[{"date":"2026-04-06","base":{"shows":1263,'
    '"clicks":5,"spent":"111.20"}}],"total":{"base":{"spent":"111.20"}}}]}'
)

# (file name, text, encoding, format, role, {field: mapping})
INLINE = [
    ("deals.csv", AMOCRM, "utf-8", "amocrm_deals", "leads",
     {"utm_source": {"column": "utm_source", "occurrence": 2}, "revenue": "Бюджет ₽",
      "won_at": {"column": "Дата закрытия", "null_values": ["не закрыта"]},
      "visitor_id": "_ym_uid", "tags": "Теги"}),
    ("leads.csv",
     '"ID";"Название лида";"Статус";"Источник";"Дополнительно об источнике";"Дата создания";'
     '"Ответственный";"Сумма";"Рекламная система";"Тип трафика";'
     '"Обозначение рекламной кампании";\n"1";"Лид";"В работе";"Звонок";"YA:1776";'
     '"01.03.2026 08:46:07";"Мария";"0.00";"yandex";"cpc";"96543210";\n',
     "cp1251", "bitrix24_leads", "leads",
     {"visitor_id": {"column": "Дополнительно об источнике", "pattern": "YA:(\\d+)"},
      "utm_campaign": "Обозначение рекламной кампании", "stage": "Статус"}),
    ("deals.csv",
     '"ID";"Название сделки";"Стадия сделки";"Сумма";"Ответственный";"Дата создания";'
     '"Сделка закрыта";"Источник";"Рекламная система";\n"852";"Сделка";"Сделка успешна";'
     '"100.00";"Мария";"01.03.2026 08:46:07";"Да";"Звонок";"";\n',
     "utf-8-sig", "bitrix24_deals", "leads", {"stage": "Стадия сделки", "revenue": "Сумма"}),
    ("report.tsv", DIRECT_API, "utf-8", "direct_api", "spend",
     {"source": {"constant": "yandex"}, "spend": {"column": "Cost", "scale": 0.000001}}),
    ("wizard.csv",
     "Статистика по кампаниям\nПериод: 01.03.2026 - 30.04.2026\nЛогин: x\nВалюта: рубли\n"
     "Дата;Кампания;№ Кампании;Показы;Клики;Расход (руб.)\n23.03.2026;Бренд;110457302;45;4;"
     "194,42\nИтого;;;45;4;194,42\n",
     "utf-8-sig", "direct_wizard", "spend",
     {"spend": "Расход (руб.)", "source": {"constant": "yandex"}, "campaign": "Кампания"}),
    ("visits.tsv", METRICA, "utf-8", "metrica_visits", "web_analytics",
     {"visitor_id": "ym:s:clientID", "session_start": "ym:s:dateTime"}),
    ("day.json", VK_JSON, "utf-8", "vk_api", "spend",
     {"campaign": "items.id", "spend": "base.spent", "source": {"constant": "vk"}}),
    ("vk.csv", "Дата;Кампания;Показы;Клики;CTR, %;Потрачено, ₽\n06.04.2026;Ретаргетинг;1263;5;"
     "0,40;111,20\n", "utf-8-sig", "vk_cabinet", "spend", {"spend": "Потрачено, ₽"}),
    ("gads.csv",
     'Campaign report\n"March 1, 2026 - March 31, 2026"\nCampaign status,Day,Campaign,'
     "Campaign ID,Currency code,Cost,Impr.,Clicks\nPaused,2026-03-01,Search,2187,GBP,156.42,"
     '"1,561",62\nTotal: Account,--,--,--,--,"156.42","1,561",62\n',
     "utf-8", "google_ads", "spend",
     {"source": {"constant": "google"}, "impressions": "Impr.", "date": "Day"}),
    ("gads16.csv",
     "Campaign report\r\nMarch 1, 2026 - March 31, 2026\r\nCampaign status\tDay\tCampaign\t"
     "Campaign ID\tCost\tImpr.\tClicks\r\nPaused\t2026-03-01\tSearch\t2187\t156.42\t1,561\t62\r\n",
     "utf-16", "google_ads", "spend", {"spend": "Cost"}),
    ("contacts.csv",
     "Record ID,First Name,Last Name,Email,Contact owner,Lifecycle Stage,Create Date,"
     "Original Source,Original Source Drill-Down 1,Original Source Drill-Down 2,"
     "Recent Deal Amount\n1,Leo,Dixon,l@example.co.uk,James,Customer,2026-04-27 14:03,"
     "Paid Search,google,search_racking_uk,22000\n",
     "utf-8-sig", "hubspot_contacts", "leads",
     {"source": "Original Source", "campaign": "Original Source Drill-Down 2",
      "manager": "Contact owner", "revenue": "Recent Deal Amount"}),
    ("leads.csv", GOOD_LEADS, "utf-8", "generic", "leads", {"lead_id": "lead_id"}),
    ("spend.csv", GOOD_SPEND, "utf-8", "generic", "spend", {"spend": "spend"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "text", "encoding", "fmt", "role", "expected"),
    INLINE,
    ids=[f"{row[3]}-{row[0]}" for row in INLINE],
)
def test_each_layout_is_recognised_from_its_header(
    tmp_path, name, text, encoding, fmt, role, expected
):
    path = write_csv(tmp_path / name, text, encoding)
    header = read_header(path)
    rec = recognise(header.columns, {c: header.values(c) for c in header.columns})
    assert (rec.format, rec.role) == (fmt, role)
    for fld, mapping in expected.items():
        assert rec.columns[fld] == mapping, fld


# fixture file -> the layout it copies (tests/fixtures/exports/expected.yaml)
FIXTURES = {
    "amocrm/deals.csv": "amocrm_deals",
    "amocrm/deals.xlsx": "amocrm_deals",
    "bitrix24/leads.csv": "bitrix24_leads",
    "bitrix24/leads-cp1251.csv": "bitrix24_leads",
    "bitrix24/leads.xls": "bitrix24_leads",
    "bitrix24/deals.csv": "bitrix24_deals",
    "direct/report-api.tsv": "direct_api",
    "direct/wizard.csv": "direct_wizard",
    "metrica/visits.tsv": "metrica_visits",
    "vk/ad_plans_day.json": "vk_api",
    "vk/cabinet.csv": "vk_cabinet",
    "google_ads/campaign-report.csv": "google_ads",
    "google_ads/campaign-report-utf16.csv": "google_ads",
    "hubspot/contacts.csv": "hubspot_contacts",
}


def _fixture(rel: str) -> Path:
    path = EXPORTS / rel
    if not path.exists():
        pytest.skip(f"fixture {rel} not written yet (tests/fixtures/exports/make_fixtures.py)")
    return path


@pytest.mark.parametrize(("rel", "fmt"), FIXTURES.items(), ids=list(FIXTURES))
def test_each_fixture_export_is_recognised(rel, fmt):
    header = read_header(_fixture(rel))
    rec = recognise(header.columns, {c: header.values(c) for c in header.columns})
    assert rec.format == fmt
    assert not {"lead_id", "created_at", "date", "spend", "visitor_id"} & set(rec.todo)


@pytest.mark.parametrize(
    ("rel", "header_row"),
    [("direct/report-api.tsv", 2), ("direct/wizard.csv", 5), ("google_ads/campaign-report.csv", 3)],
)
def test_header_found_past_title_lines(rel, header_row):
    # expected.yaml: header_row of each file
    assert read_header(_fixture(rel)).header_row == header_row


def test_amocrm_duplicate_utm_columns_take_the_tracking_group():
    header = read_header(_fixture("amocrm/deals.csv"))
    assert header.columns.count("utm_source") == 1 and "utm_source [2]" in header.columns
    rec = recognise(header.columns)
    assert rec.columns["utm_campaign"] == {"column": "utm_campaign", "occurrence": 2}
    # pandas names an XLSX's repeated header utm_source.1: the same column
    assert recognise(
        ["ID", "Название сделки", "Этап сделки", "utm_source", "utm_source.1"]
    ).columns["utm_source"] == {"column": "utm_source", "occurrence": 2}


def test_personal_data_columns_are_listed_and_never_mapped():
    rec = recognise(AMOCRM.splitlines()[0].split(","))
    assert {"Полное имя контакта", "Рабочий телефон", "Рабочий email"} <= set(rec.personal_data)
    assert not set(rec.personal_data) & set(rec.column_names.values())
    hub = recognise(["Record ID", "First Name", "Email", "Contact owner", "Lifecycle Stage"])
    assert hub.personal_data == ["First Name", "Email"]  # the owner is mapped as manager


def test_qualification_classes_come_from_the_values():
    rec = recognise(["lead_id", "created_at", "qualification"], {"qualification": ["HOT", "Warm"]})
    assert rec.settings["qualification"] == {"hot": ["HOT"], "warm": ["Warm"], "unknown": [""]}
    odd = recognise(["lead_id", "created_at", "qualification"], {"qualification": ["A", "hot"]})
    assert "A" in odd.settings_todo["qualification_values"][1]


def test_crm_source_field_values_become_the_fallback_sources():
    header = ["ID", "Название сделки", "Этап сделки", "Источник", "utm_campaign"]
    values = {
        "Источник": ["Яндекс.Директ", "Входящий звонок", "Выставка"],
        "utm_campaign": ["108234571", "{{campaign_id}}"],
    }
    rec = recognise(header, values)
    assert rec.settings["source_fallback"] == {
        "column": "channel",
        "values": {
            "Входящий звонок": {"source": "phone", "medium": "call"},
            "Яндекс.Директ": {"source": "yandex", "medium": "cpc"},
        },
    }
    assert "Выставка" in rec.settings_todo["source_fallback_values"][1]
    # a VK link whose macro was never filled in holds no campaign
    assert rec.settings["values"] == {"utm_campaign": {"{{campaign_id}}": None}}


def test_direct_money_not_in_micros_has_no_scale():
    rec = recognise(["Date", "CampaignId", "Cost"], {"Cost": ["920.52"]})
    assert rec.columns["spend"] == "Cost"


def _combined(tmp_path: Path) -> list[Path]:
    return [
        write_csv(tmp_path / "in" / name, text)
        for name, text in [
            ("deals.csv", AMOCRM),
            ("report.tsv", DIRECT_API),
            ("visits.tsv", METRICA),
            ("day.json", VK_JSON),
        ]
    ]


@pytest.fixture
def exports_dir(tmp_path):
    (tmp_path / "in").mkdir()
    return tmp_path


def test_several_files_make_one_profile_that_loads(exports_dir):
    out = exports_dir / "profiles" / "client.yaml"
    draft = write_draft(_combined(exports_dir), out)
    # the only question left: this amoCRM account has no segment field
    assert draft.todos == 1 and "# segment: ...  " in draft.text
    profile = load_profile(out)  # loads as written: the question is a comment
    assert set(profile.inputs) == {"amocrm", "direct", "metrica", "vk"}
    assert profile.inputs["direct"].path == (exports_dir / "in" / "report.tsv").resolve()
    assert profile.inputs["direct"].header_row == 2
    assert profile.inputs["direct"].null_values == ("--",)
    assert profile.inputs["direct"].drop_rows == ("^Total rows:",)
    assert profile.inputs["vk"].records == "items[].rows[]"
    assert profile.leads["input"] == "amocrm"
    assert profile.leads["columns"]["utm_campaign"] == "utm_campaign [2]"
    assert profile.leads["columns"]["visitor_id"] == "_ym_uid"
    assert profile.leads["_options"]["won_at"] == {"null_values": ("не закрыта",)}
    assert profile.leads["converted"] == {"column": "stage", "values": ["Успешно реализовано"]}
    direct, vk = profile.spend or []
    # the CRM's utm_campaign holds Direct's campaign ids, not names
    assert direct["columns"]["campaign"] == "CampaignId"
    assert direct["_options"] == {"source": {"constant": "yandex"}, "spend": {"scale": 1e-06}}
    assert vk["columns"]["campaign"] == "items.id"
    assert profile.web_analytics is not None
    assert profile.web_analytics["columns"]["visitor_id"] == "ym:s:clientID"
    assert "lead_id" not in profile.web_analytics["columns"]
    assert "Рабочий телефон" in profile.personal_data
    assert profile.currency == "RUB"


def test_fixture_exports_make_one_profile_that_loads(tmp_path):
    files = [
        _fixture(rel)
        for rel in ("amocrm/deals.csv", "direct/report-api.tsv", "metrica/visits.tsv",
                    "vk/ad_plans_day.json")
    ]  # fmt: skip
    out = tmp_path / "client.yaml"
    draft = write_draft(files, out)
    profile = load_profile(out)
    assert [s["input"] for s in profile.spend or []] == ["direct", "vk"]
    # expected.yaml: campaign_ids_in_amocrm_utm_campaign
    assert (profile.spend or [])[0]["columns"]["campaign"] == "CampaignId"
    assert draft.todos <= 2  # source_fallback of the «Источник» field, at most
    assert profile.inputs["direct"].header_row == 2


def test_unknown_file_gets_todo_comments_and_loads_once_answered(tmp_path):
    path = write_csv(tmp_path / "crm.csv", "Номер;Когда;Откуда пришёл\n1;05.01.2026;Яндекс\n")
    out = tmp_path / "p.yaml"
    draft = write_draft([path], out)
    rec = draft.files[0][1]
    assert rec.format == "unknown" and rec.role == "leads"
    text = out.read_text(encoding="utf-8")
    assert re.search(r"# created_at: \.\.\. +# TODO: which column holds the date", text)
    assert "# converted: {column: ...}" in text
    assert draft.todos >= 3
    yaml.safe_load(text)  # comments only: valid YAML as written
    with pytest.raises(DataError, match="created_at"):
        load_profile(out)
    answered = text.replace("# created_at: ...", "created_at: Когда").replace(
        "# converted: {column: ...}", "converted: {column: stage, values: [Оплачен]}"
    )
    answered = answered.replace("# stage: ...", "stage: Откуда пришёл")
    out.write_text(answered, encoding="utf-8")
    assert load_profile(out).leads["columns"]["created_at"] == "Когда"


def test_unknown_spend_file_asks_for_the_source(tmp_path):
    path = write_csv(tmp_path / "ads.csv", "День,Кампания,Затраты\n2026-01-05,Бренд,100\n")
    draft = draft_profile([path], tmp_path / "p.yaml")
    assert draft.files[0][1].role == "spend"
    assert "source: {constant: yandex}" in draft.text
    assert re.search(r"spend: Затраты +# guessed from its name", draft.text)


def test_kit_names_load_as_written(tmp_path, generic_files):
    out = tmp_path / "p.yaml"
    draft = write_draft([generic_files["leads"], generic_files["spend"]], out)
    # nothing left to ask but the currency, which the kit's names do not tell
    assert draft.todos == 1 and draft.text.count("# TODO:") == 1
    assert "currency: null" in draft.text
    profile = load_profile(out)
    assert profile.leads["converted"] == {"column": "converted"}
    assert profile.spend and profile.spend[0]["columns"]["spend"] == "spend"


def test_overwrite_is_refused_without_force(exports_dir, capsys):
    files = [str(p) for p in _combined(exports_dir)]
    out = exports_dir / "p.yaml"
    out.write_text("mine\n", encoding="utf-8")
    with pytest.raises(FileExistsError):
        write_draft(files, out)
    assert main(["profile", "new", *files, "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "mine\n"
    assert main(["profile", "new", *files, "--out", str(out), "--force"]) == 0
    said = capsys.readouterr().out
    assert "Yandex.Direct Reports API report -> spend (input direct)" in said
    assert f"leadkit check --profile {out}" in said
    load_profile(out)


def test_cli_missing_file_is_exit_2_naming_it(tmp_path, capsys):
    missing = tmp_path / "nope.csv"
    assert main(["profile", "new", str(missing), "--out", str(tmp_path / "p.yaml")]) == 2
    err = capsys.readouterr().err
    assert "file not found" in err and "nope.csv" in err
    assert not (tmp_path / "p.yaml").exists()


def test_sniffed_layouts_the_reader_may_not_read(tmp_path):
    html = (
        '\ufeff<meta http-equiv="Content-type" content="text/html;charset=UTF-8" />\n'
        '<table border="1"><thead><tr><th>ID</th><th>Название лида</th><th>Статус</th>'
        "<th>Дополнительно об источнике</th></tr></thead><tbody><tr><td>1</td><td>Лид &amp; "
        "ко</td><td>В работе</td><td>YA:1</td></tr></tbody></table>"
    )
    h = read_header(write_csv(tmp_path / "leads.xls", html))
    assert (h.kind, h.columns[:2], h.rows[0][1]) == ("html", ("ID", "Название лида"), "Лид & ко")
    j = read_header(write_csv(tmp_path / "day.json", VK_JSON))
    assert (j.records, j.columns) == (
        "items[].rows[]",
        ("items.id", "date", "base.shows", "base.clicks", "base.spent"),
    )
    assert j.values("base.spent") == ["111.20"]
    k = read_header(write_csv(tmp_path / "k.csv", "ID;Статус;Дата создания\n1;Новый;01.03.2026\n",
                              "koi8-r"))  # fmt: skip
    assert k.columns == ("ID", "Статус", "Дата создания")
    assert codecs.lookup(k.encoding).name == "koi8-r"
