"""The profile keys real exports need, each through `load_dataset` on small files whose
counts are written out by hand in the test: constants and scales (a Direct report has
no source column and money in micros), several spend inputs, texts that mean no value
(amoCRM's "не закрыта"), lookups by a lead field, sessions linked by the visitor id
the CRM keeps, a source from a tag list, exports without dates, and every problem of a
load reported at once."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.base.errors import DataError, DataErrors
from analysis.ingest.load import load_dataset
from analysis.ingest.profiles import load_profile

LEADS = """\
id;created;manager;stage;budget;closed;utm_source;visitor;tags
1;01.03.2026 10:00:00;Анна;Успешно реализовано;1000;05.03.2026 12:00:00;yandex;111;
2;02.03.2026 10:00:00;Анна;Переговоры;500;не закрыта;yandex;222;
3;03.03.2026 10:00:00;Борис;Успешно реализовано;2000;10.03.2026 09:00:00;;333;
4;04.03.2026 10:00:00;Борис;Закрыто и не реализовано;0;06.03.2026 09:00:00;vk;;
5;05.03.2026 10:00:00;Вера;Первичный контакт;0;не закрыта;;;партнёр, vip
"""

DIRECT = """\
Date\tCampaignId\tCost\tClicks
2026-03-01\t101\t1500000000\t10
2026-03-02\t101\t500000000\t2
2026-03-02\t102\t0\t--
"""

VK = """\
date;campaign;spent
01.03.2026;vk_1;300,50
02.03.2026;vk_1;199,50
"""

SESSIONS = """\
clientID\tdateTime\tsource\tcampaign
333\t2026-03-02 09:00:00\tya_direct\t102
333\t2026-03-03 09:59:00\tya_undefined\t
333\t2026-03-04 09:59:00\tvkontakte\tvk_1
"""

TEAMS = """\
Менеджер,Отдел
Анна,Опт
Борис,Розница
"""


def _profile(folder, **changes) -> str:
    """A profile of the files above (CRM, Direct, VK, sessions, teams) with ``changes``
    merged into its top-level sections."""
    prof = {
        "name": "keys",
        "currency": "RUB",
        "inputs": {
            "crm": {"path": "crm.csv"},
            "direct": {"path": "direct.tsv", "null_values": ["--"]},
            "vk": {"path": "vk.csv"},
            "sessions": {"path": "sessions.tsv"},
            "teams": {"path": "teams.csv"},
        },
        "leads": {
            "input": "crm",
            "columns": {
                "lead_id": "id",
                "created_at": "created",
                "manager": "manager",
                "stage": "stage",
                "revenue": "budget",
                "won_at": {"column": "closed", "null_values": ["не закрыта"]},
                "utm_source": "utm_source",
                "visitor_id": "visitor",
                "tags": "tags",
            },
            "converted": {"column": "stage", "values": ["Успешно реализовано"]},
            "lookups": [
                {"input": "teams", "key": {"manager": "Менеджер"}, "columns": {"segment": "Отдел"}}
            ],
            "source_fallback": {
                "column": "tags",
                "split": ",",
                "values": {"партнёр": {"source": "partner"}},
            },
        },
        "spend": [
            {
                "input": "direct",
                "columns": {
                    "date": "Date",
                    "source": {"constant": "yandex"},
                    "campaign": "CampaignId",
                    "spend": {"column": "Cost", "scale": 0.000001},
                    "clicks": "Clicks",
                },
            },
            {
                "input": "vk",
                "columns": {
                    "date": "date",
                    "source": {"constant": "vk"},
                    "campaign": "campaign",
                    "spend": "spent",
                },
            },
        ],
        "web_analytics": {
            "input": "sessions",
            "columns": {
                "visitor_id": "clientID",
                "session_start": "dateTime",
                "utm_source": "source",
                "utm_campaign": "campaign",
            },
            "values": {
                "utm_source": {"ya_direct": "yandex", "vkontakte": "vk", "ya_undefined": None}
            },
        },
    }
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(prof.get(key), dict):
            prof[key] = {**prof[key], **value}
        else:
            prof[key] = value
    path = folder / "keys.yaml"
    path.write_text(yaml.safe_dump(prof, allow_unicode=True), encoding="utf-8")
    return str(path)


@pytest.fixture
def folder(tmp_path):
    files = {
        "crm.csv": LEADS,
        "direct.tsv": DIRECT,
        "vk.csv": VK,
        "sessions.tsv": SESSIONS,
        "teams.csv": TEAMS,
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_spend_of_several_inputs_with_constants_and_micros(folder):
    ds = load_dataset(_profile(folder))
    by = ds.spend.groupby("source")["spend"].sum()
    # Direct: 1500 + 500 + 0 roubles (micros / 10^6); VK: 300.50 + 199.50
    assert by["yandex"] == pytest.approx(2000.0)
    assert by["vk"] == pytest.approx(500.0)
    direct = ds.spend[ds.spend["source"] == "yandex"].set_index("campaign")
    assert int(direct["clicks"].sum()) == 12
    assert pd.isna(direct.loc["102", "clicks"])  # "--": no value, not 0


def test_null_values_and_lookups_and_fallback(folder):
    ds = load_dataset(_profile(folder))
    leads = ds.leads.set_index("lead_id")
    assert leads["converted"].tolist() == [1, 0, 1, 0, 0]
    assert pd.isna(leads.loc["2", "won_at"])  # "не закрыта" is no date
    assert leads.loc["1", "won_at"] == pd.Timestamp("2026-03-05 12:00")
    assert leads["revenue"].tolist() == [1000.0, 0.0, 2000.0, 0.0, 0.0]
    # segment from the team table by manager; Вера is not in it
    assert leads["segment"].tolist()[:4] == ["Опт", "Опт", "Розница", "Розница"]
    assert pd.isna(leads.loc["5", "segment"])
    assert ds.notes["message"].str.contains("do not list|does not list").any()
    # lead 5: no UTM, no visitor id; its tag list says partner
    assert leads.loc["5", "source"] == "partner"
    assert leads.loc["5", "attributed_by"] == "crm_field"


def test_sessions_linked_by_the_crms_visitor_id(folder):
    """Lead 3 has no UTM tag; its visitor 333 came from Direct on 2 March, then direct
    (ya_undefined: no source), and from VK only after the lead was created (4 March):
    last non-direct before creation is Direct campaign 102."""
    ds = load_dataset(_profile(folder))
    lead = ds.leads.set_index("lead_id").loc["3"]
    assert (lead["source"], lead["campaign"], lead["attributed_by"]) == (
        "yandex",
        "102",
        "web_analytics",
    )
    assert ds.facts["sessions_visitors_linked"] == 1


def test_a_values_map_for_a_date_is_refused_with_the_way_out(folder):
    path = _profile(folder, leads={"values": {"won_at": {"не закрыта": None}}})
    with pytest.raises(DataError, match="null_values"):
        load_profile(path)


def test_an_export_without_dates(folder):
    crm = folder / "crm.csv"
    text = "\n".join(
        ";".join(x for i, x in enumerate(row.split(";")) if i != 1) for row in LEADS.splitlines()
    )
    crm.write_text(text + "\n", encoding="utf-8")
    cols = {
        "lead_id": "id",
        "manager": "manager",
        "stage": "stage",
        "revenue": "budget",
        "won_at": {"column": "closed", "null_values": ["не закрыта"]},
        "utm_source": "utm_source",
    }
    path = _profile(
        folder,
        leads={"columns": cols, "optional": ["created_at"], "lookups": [], "source_fallback": None},
        web_analytics=None,
    )
    ds = load_dataset(path)
    assert len(ds.leads) == 5 and ds.leads["created_at"].isna().all()
    assert int(ds.leads["converted"].sum()) == 2
    assert ds.notes["message"].str.contains("no creation dates").any()


def test_leads_without_a_creation_date_are_kept_or_dropped(folder):
    crm = folder / "crm.csv"
    crm.write_text(LEADS.replace("04.03.2026 10:00:00", ""), encoding="utf-8")
    kept = load_dataset(_profile(folder))
    assert len(kept.leads) == 5 and int(kept.leads["created_at"].isna().sum()) == 1
    assert (
        kept.notes["message"]
        .str.contains(r"1 of 5 lead\(s\) have no creation date \(row 5\)")
        .any()
    )
    dropped = load_dataset(_profile(folder, leads={"no_created_at": "drop"}))
    assert sorted(dropped.leads["lead_id"]) == ["1", "2", "3", "5"]


def test_a_sale_before_its_lead_is_flagged(folder):
    crm = folder / "crm.csv"
    crm.write_text(LEADS.replace("05.03.2026 12:00:00", "28.02.2026 12:00:00"), encoding="utf-8")
    ds = load_dataset(_profile(folder))
    assert ds.facts["won_before_created"] == 1
    assert (
        ds.notes["message"]
        .str.contains(r"1 sale\(s\) are dated before their lead was created \(row 2\)")
        .any()
    )


def test_every_problem_of_a_load_at_once(folder):
    """Three problems in the CRM file (a date, an amount, infinity as revenue) and one in
    the VK file (a negative amount), in one error, each with its file, row and column."""
    crm = LEADS.replace("02.03.2026 10:00:00", "2 марта").replace(";2000;", ";inf;")
    crm = crm.replace(";500;", ";пятьсот;")
    (folder / "crm.csv").write_text(crm, encoding="utf-8")
    (folder / "vk.csv").write_text(VK.replace("199,50", "-199,50"), encoding="utf-8")
    with pytest.raises(DataErrors) as got:
        load_dataset(_profile(folder))
    problems = got.value.problems
    where = sorted((p.file, tuple(p.rows), p.column) for p in problems)
    assert where == sorted(
        [
            ("crm.csv", (3,), "created"),
            ("crm.csv", (3, 4), "budget"),
            ("vk.csv", (3,), "spent"),
        ]
    ), str(got.value)
    assert "4 problems" not in str(got.value)  # the budget column is one problem, two rows
    assert str(got.value).startswith("3 problems in the input")


def test_a_duplicated_header_needs_its_occurrence(folder):
    crm = folder / "crm.csv"
    lines = LEADS.splitlines()
    lines = [lines[0] + ";utm_source"] + [row + ";google" for row in lines[1:]]
    crm.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"columns named 'utm_source'.*occurrence"):
        load_dataset(_profile(folder))
    cols = {
        **yaml.safe_load(Path(_profile(folder)).read_text(encoding="utf-8"))["leads"]["columns"],
        "utm_source": {"column": "utm_source", "occurrence": 2},
    }
    ds = load_dataset(_profile(folder, leads={"columns": cols}))
    assert set(ds.leads["source"]) <= {"google", "partner"}


def _columns_of(folder, section: str = "leads") -> dict:
    return yaml.safe_load(Path(_profile(folder)).read_text(encoding="utf-8"))[section]["columns"]


def test_a_field_from_several_columns_takes_the_first_not_blank(folder):
    """``utm_source: [utm_source, engine]``: lead 3 and lead 5 have no UTM source; the
    second column gives lead 5 google (before its tag list's partner), and lead 3 stays
    blank there, so its sessions still tell. In the sessions, visitor 333's Direct visit
    of 2 March loses its UTM source and keeps the search engine, which must then win."""
    crm = folder / "crm.csv"
    lines = LEADS.splitlines()
    engines = ["engine", "bing", "", "", "", "google"]
    crm.write_text(
        "\n".join(f"{row};{e}" for row, e in zip(lines, engines, strict=True)) + "\n",
        encoding="utf-8",
    )
    sessions = SESSIONS.replace("\tya_direct\t102", "\t\t102").splitlines()
    engines = ["engine", "ya_direct", "", "google"]
    (folder / "sessions.tsv").write_text(
        "\n".join(f"{row}\t{e}" for row, e in zip(sessions, engines, strict=True)) + "\n",
        encoding="utf-8",
    )
    cols = {**_columns_of(folder), "utm_source": {"column": ["utm_source", "engine"]}}
    wcols = {**_columns_of(folder, "web_analytics"), "utm_source": ["source", "engine"]}
    ds = load_dataset(_profile(folder, leads={"columns": cols}, web_analytics={"columns": wcols}))
    leads = ds.leads.set_index("lead_id")
    # lead 1's own UTM source wins over its engine column (bing)
    assert leads["source"].tolist() == ["yandex", "yandex", "yandex", "vk", "google"]
    assert leads.loc["3", "attributed_by"] == "web_analytics"
    assert leads.loc["3", "campaign"] == "102"

    # a file without the first column of the list reads the next one
    crm.write_text(
        "\n".join(
            f"{row};{e}"
            for row, e in zip(lines, ["engine", "bing", "", "", "", "google"], strict=True)
        ).replace(";utm_source;", ";utm_src;", 1)
        + "\n",
        encoding="utf-8",
    )
    ds = load_dataset(_profile(folder, leads={"columns": cols}, web_analytics={"columns": wcols}))
    assert ds.leads.set_index("lead_id").loc["1", "source"] == "bing"

    for bad, message in (
        ({"column": []}, "list of them"),
        ({"column": ["a", "a"]}, "twice"),
        ({"column": ["a", "b"], "occurrence": 2}, "occurrence"),
        ({"column": [None]}, "list of them"),
    ):
        path = _profile(folder, leads={"columns": {**cols, "utm_source": bad}})
        with pytest.raises(DataError, match=message):
            load_profile(path)


def test_the_generic_profile_documents_every_new_key():
    text = load_profile("generic").path.read_text(encoding="utf-8")
    for key in (
        "header_row",
        "drop_rows",
        "null_values",
        "records",
        "scale",
        "occurrence",
        "constant",
        "pattern",
        "lookups",
        "no_created_at",
        "split",
        "visitor_id",
        "lastSearchEngine]",
    ):
        assert key in text, key
