"""Streaming a big leads export: chunk by chunk through the same mapping and checks as
a whole-file read, so the result must be the whole-file read's, exactly (the reference
here is `load_dataset(..., stream=False)` on the same file)."""

import hashlib
import tempfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.base.errors import DataError
from analysis.base.paths import PROFILES_DIR
from analysis.engine.cells import engine_for
from analysis.ingest.load import load_dataset
from analysis.ingest.notes import Notes, merge
from analysis.ingest.stream import merge_facts
from tests.conftest import GOOD_LEADS, GOOD_SPEND, write_csv

STREAMED_NOTE = "chunks of up to"


def _export(tmp_path, n_rows=4000, encoding="cp1251"):
    """A one-row-per-lead export of the sample company's leads, in the generic
    profile's column names: `;`-separated cp1251 text with decimal commas."""
    leads = load_dataset("sample").leads.head(n_rows).drop(columns=["attributed_by"])
    leads = leads.rename(
        columns={"source": "utm_source", "medium": "utm_medium", "campaign": "utm_campaign"}
    )
    leads["converted"] = leads["converted"].map({1: "да", 0: "нет"}).map({"да": "yes", "нет": "no"})
    leads["qualification"] = leads["qualification"].astype(str).replace("unknown", "")
    path = tmp_path / "big.csv"
    leads.to_csv(path, sep=";", decimal=",", index=False, encoding=encoding)
    return path, leads


def _same(a, b):
    pd.testing.assert_frame_equal(a.leads, b.leads)
    pd.testing.assert_frame_equal(a.spend, b.spend)
    assert a.facts == b.facts
    streamed = b.notes[~b.notes["message"].str.contains(STREAMED_NOTE)].reset_index(drop=True)
    pd.testing.assert_frame_equal(a.notes, streamed)
    cols = ["input", "file", "rows", "encoding", "delimiter", "sha256"]
    pd.testing.assert_frame_equal(a.inputs[cols], b.inputs[cols])


def _leads_row(ds) -> int:
    """The position of the leads input's row in ``ds.inputs``."""
    names = list(ds.inputs["input"])
    return names.index(ds.profile.leads["input"])


def test_tiny_file_in_chunks_of_two_equals_whole_read(tmp_path):
    files = {
        "leads": write_csv(tmp_path / "leads.csv", GOOD_LEADS),
        "spend": write_csv(tmp_path / "spend.csv", GOOD_SPEND),
    }
    whole = load_dataset("generic", files, stream=False)
    streamed = load_dataset("generic", files, stream=True, chunk_rows=2, cache_dir=tmp_path / "c")
    assert not streamed.leads_loaded  # the leads stay in their file until a page asks
    _same(whole, streamed)
    assert streamed.source is not None and streamed.source.exists()
    assert whole.source is not None and whole.source != streamed.source
    # the report's engine groups the streamed leads from that file, with the cells of
    # the same leads held in memory
    by = ["source", "campaign", "qualification"]
    from_file = engine_for(streamed).cells(streamed.leads, by)
    in_memory = replace(whole, leads=whole.leads.copy(), source=None, fingerprint="in-memory")
    pd.testing.assert_frame_equal(from_file, engine_for(in_memory).cells(in_memory.leads, by))
    msg = streamed.notes["message"]
    assert msg.str.contains("5 rows of leads.csv .* in 3 chunks of up to 2 rows", regex=True).any()


def test_nul_bytes_are_removed_and_noted_as_in_the_whole_read(tmp_path):
    # NULs in a value, at a line end and after the last row, as padding tools leave them
    text = GOOD_LEADS.replace(
        "yandex,cpc,brand,SMB,Anna,warm", "yan\x00dex,cpc,brand,SMB,Anna,warm"
    )
    text = text.replace("quiz,Mid,Igor,cold,no,,\n", "quiz,Mid,Igor,cold,no,,\r\x00\n") + "\x00\x00"
    files = {"leads": write_csv(tmp_path / "leads.csv", text)}
    whole = load_dataset("generic", files, stream=False)
    streamed = load_dataset("generic", files, stream=True, chunk_rows=2, cache_dir=tmp_path / "c")
    _same(whole, streamed)
    assert whole.leads["source"].tolist().count("yandex") == 2
    assert (
        whole.notes["message"]
        .str.contains(r"removed 4 NUL byte\(s\) .*rows 3, 4, 7", regex=True)
        .any()
    )


@pytest.mark.parametrize("fmt", ["cp1251-csv", "utf8-csv", "parquet"])
def test_sample_sized_export_streams_to_the_whole_read(tmp_path, fmt):
    path, leads = _export(tmp_path, encoding="utf-8" if fmt == "utf8-csv" else "cp1251")
    if fmt == "parquet":
        # typed columns, as a warehouse would write them: numbers and timestamps
        frame = pd.read_csv(
            path,
            sep=";",
            decimal=",",
            encoding="cp1251",
            parse_dates=["created_at", "won_at", "first_contact_at"],
        )
        path = tmp_path / "big.parquet"
        frame.to_parquet(path, index=False)
    whole = load_dataset("generic", {"leads": path}, stream=False)
    streamed = load_dataset(
        "generic", {"leads": path}, stream=True, chunk_rows=700, cache_dir=tmp_path / "cache"
    )
    _same(whole, streamed)
    assert len(streamed.leads) == len(leads) == 4000


def test_cache_is_reused_and_a_changed_file_is_read_again(tmp_path):
    path, _ = _export(tmp_path, n_rows=1500)
    cache = tmp_path / "cache"
    first = load_dataset("generic", {"leads": path}, stream=True, chunk_rows=500, cache_dir=cache)
    written = first.source.stat().st_mtime_ns
    again = load_dataset("generic", {"leads": path}, stream=True, chunk_rows=500, cache_dir=cache)
    pd.testing.assert_frame_equal(first.leads, again.leads)
    pd.testing.assert_frame_equal(first.notes, again.notes)  # the same load, the same notes
    assert again.source == first.source and again.source.stat().st_mtime_ns == written
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    text = path.read_text(encoding="cp1251").splitlines()
    path.write_text("\n".join(text[:-1]) + "\n", encoding="cp1251")  # one lead fewer
    changed = load_dataset("generic", {"leads": path}, stream=True, chunk_rows=500, cache_dir=cache)
    assert len(changed.leads) == len(first.leads) - 1 and changed.source != first.source
    assert before != hashlib.sha256(path.read_bytes()).hexdigest()


def test_duplicates_across_chunks_name_their_rows_and_leave_nothing(tmp_path):
    path, leads = _export(tmp_path, n_rows=1200)
    lines = path.read_text(encoding="cp1251").splitlines()
    lines[1100] = lines[3]  # file row 1101 repeats row 4, three chunks apart
    path.write_text("\n".join(lines) + "\n", encoding="cp1251")
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match="duplicate lead ids") as e:
        load_dataset("generic", {"leads": path}, stream=True, chunk_rows=300, cache_dir=cache)
    assert e.value.rows == [4, 1101] and "big.csv" in str(e.value)
    assert list(cache.iterdir()) == []


def test_a_bad_value_in_a_late_chunk_names_the_file_row(tmp_path):
    path, _ = _export(tmp_path, n_rows=1200)
    lines = path.read_text(encoding="cp1251").splitlines()
    fields = lines[1000].split(";")
    fields[1] = "31.02.2026 10:00"  # created_at of file row 1001
    lines[1000] = ";".join(fields)
    path.write_text("\n".join(lines) + "\n", encoding="cp1251")
    whole_error = stream_error = None
    try:
        load_dataset("generic", {"leads": path}, stream=False)
    except DataError as exc:
        whole_error = exc
    with pytest.raises(DataError, match=r"row 1001, column 'created_at'") as e:
        load_dataset(
            "generic", {"leads": path}, stream=True, chunk_rows=300, cache_dir=tmp_path / "cache"
        )
    stream_error = e.value
    assert str(stream_error) == str(whole_error)


def test_joined_rows_and_sessions_no_chunk_matched_are_counted_over_the_file(tmp_path):
    """A joined table and sessions by lead id, each with rows no lead has: every chunk
    misses most of them, yet the streamed notes and facts count the file's orphans."""
    text = (PROFILES_DIR / "generic.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "  spend:\n    path: null\n",
        "  deals:\n    path: null\n  sessions:\n    path: null\n  spend:\n    path: null\n",
        1,
    )
    text = text.replace(
        "  # join:                        # a second file with one row per lead (e.g. deals):\n"
        "  #   input: deals               #   columns from it are added by key; converted can\n"
        "  #   key: lead_id               #   then be {joined: deals}\n"
        "  #   columns: {revenue: amount}\n",
        "  join: {input: deals, key: lead_id, columns: {revenue: amount}}\n",
        1,
    )
    text += (
        "web_analytics:\n  input: sessions\n  columns: {visitor_id: visitor, "
        "session_start: session_start, utm_source: utm_source, lead_id: lead_id}\n"
    )
    profile = tmp_path / "joined.yaml"
    profile.write_text(text, encoding="utf-8")
    leads = GOOD_LEADS.replace(",1000,", ",,").replace(",500,", ",,")
    leads += "".join(f"{i},2026-01-1{i - 6} 10:00,,,,SMB,Anna,warm,no,,\n" for i in range(6, 10))
    files = {
        "leads": write_csv(tmp_path / "leads.csv", leads),
        "deals": write_csv(
            tmp_path / "deals.csv", "lead_id,amount\n1,1000\n4,500\n50,70\n51,80\n52,90\n"
        ),
        "sessions": write_csv(
            tmp_path / "sessions.csv",
            "lead_id,visitor,session_start,utm_source\n5,a,2026-01-09 13:00,google\n"
            "7,b,2026-01-11 09:00,yandex\n70,c,2026-01-02 10:00,vk\n71,d,2026-01-03 10:00,vk\n",
        ),
    }
    whole = load_dataset(profile, files, stream=False)
    assert whole.facts["joined_orphans"] == 3 and whole.facts["sessions_leads_unknown"] == 2
    for chunk in (1, 2, 4):
        streamed = load_dataset(
            profile, files, stream=True, chunk_rows=chunk, cache_dir=tmp_path / f"c{chunk}"
        )
        _same(whole, streamed)
    notes = " ".join(whole.notes["message"])
    assert "3 row(s) of deals.csv match no lead" in notes
    assert "2 lead id(s) in the web-analytics export are not in the leads table" in notes


_EXPORTS = Path(__file__).parent / "fixtures" / "exports"


@pytest.mark.parametrize(
    ("profile", "inputs", "chunk"),
    [
        # sessions that carry the lead id (the sample's web analytics)
        ("sample", {}, 1000),
        # a second table joined by order id onto the orders (and sales by it)
        ("olist", {}, 30_000),
        # an Excel export (read whole, then in chunks like a streamed CSV)
        ("amocrm", {"amocrm": "amocrm/deals.xlsx"}, 4),
        # Bitrix24's «Excel» export: an HTML table named .xls
        ("bitrix24-leads", {"bitrix": "bitrix24/leads.xls"}, 2),
        # Metrica visits linked by the ClientID amoCRM keeps as _ym_uid
        (
            "amocrm",
            {
                "amocrm": "amocrm/deals.csv",
                "direct": "direct/report-api.tsv",
                "vk": "vk/ad_plans_day.json",
                "metrica": "metrica/visits.tsv",
            },
            3,
        ),
    ],
)
def test_joins_and_sessions_stream_to_the_whole_read(tmp_path, profile, inputs, chunk):
    """What needs every lead (joined rows and sessions no lead matched) is gathered
    across the chunks: leads, notes, facts and inputs equal the whole-file read's."""
    files = {name: _EXPORTS / rel for name, rel in inputs.items()}
    whole = load_dataset(profile, files, stream=False)
    streamed = load_dataset(profile, files, stream=True, chunk_rows=chunk, cache_dir=tmp_path)
    _same(whole, streamed)
    leads_rows = int(streamed.inputs["rows"].iloc[_leads_row(streamed)])
    # a file of more rows than a chunk says it was read in chunks
    assert streamed.notes["message"].str.contains(STREAMED_NOTE).any() == (chunk < leads_rows)


def test_every_load_writes_the_canonical_leads_once_and_reads_them_back(tmp_path, monkeypatch):
    """One path for every size: a small file is one chunk, a big one many, and either
    way the leads are the canonical Parquet file in the cache, read only when asked."""
    path, _ = _export(tmp_path, n_rows=300)
    monkeypatch.setenv("LEADKIT_CACHE", str(tmp_path / "cache"))
    before = sorted(p.name for p in tmp_path.iterdir())
    ds = load_dataset("generic", {"leads": path})
    assert ds.source is not None and ds.source.parent == tmp_path / "cache"
    assert not ds.leads_loaded and len(ds.leads) == 300
    assert not ds.notes["message"].str.contains(STREAMED_NOTE).any()  # one chunk
    chunked = load_dataset("generic", {"leads": path}, chunk_rows=100)
    assert chunked.notes["message"].str.contains("300 rows of big.csv .* in 3 chunks").any()
    # nothing written beside the export: only the cache folder is new
    assert {p.name for p in tmp_path.iterdir()} - set(before) == {"cache"}


def test_a_period_window_groups_the_window_not_the_file(tmp_path):
    path, _ = _export(tmp_path, n_rows=2000)
    ds = load_dataset(
        "generic", {"leads": path}, stream=True, cache_dir=tmp_path / "c", start="2026-06-01"
    )
    # the engine reads the period's own file (written beside the streamed one), not the
    # whole export: its cells are the ones of the period's leads
    assert ds.source is not None and "-period-" in ds.source.name
    assert ds.leads["created_at"].min() >= pd.Timestamp("2026-06-01")
    cells = engine_for(ds).cells(ds.leads, ["source"])
    assert int(cells["leads"].sum()) == len(ds.leads) < 2000


def test_every_problem_of_every_chunk_is_reported_at_once_as_a_whole_read_does(tmp_path):
    rows = GOOD_LEADS.splitlines()
    body = [rows[0]]
    for i in range(1, 13):
        date = "32.01.2026" if i in (2, 11) else f"2026-01-{i:02d} 10:00"
        flag = "maybe" if i == 6 else "no"
        lead_id = 3 if i == 12 else i  # lead 3 again, four chunks later
        body.append(f"{lead_id},{date},vk,cpc,quiz,SMB,Anna,hot,{flag},,")
    files = {"leads": write_csv(tmp_path / "leads.csv", "\n".join(body) + "\n")}
    with pytest.raises(DataError) as whole:
        load_dataset("generic", files, stream=False)
    with pytest.raises(DataError) as streamed:
        load_dataset("generic", files, stream=True, chunk_rows=2, cache_dir=tmp_path / "c")
    assert str(streamed.value) == str(whole.value)
    text = str(streamed.value)
    assert text.startswith("3 problems in the input")
    assert "rows 3, 12, column 'created_at': 2 value(s) are not dates" in text
    assert "'32.01.2026'" in text and "row 7, column 'converted'" in text
    assert "rows 4, 13, column 'lead_id': duplicate lead ids: '3'" in text
    assert not list((tmp_path / "c").glob("*.parquet"))  # nothing half-written


def test_a_lead_id_twice_in_one_chunk_is_named_as_in_the_whole_read(tmp_path):
    text = GOOD_LEADS.replace("\n4,2026-01-08", "\n3,2026-01-08")
    files = {"leads": write_csv(tmp_path / "leads.csv", text)}
    with pytest.raises(DataError) as whole:
        load_dataset("generic", files, stream=False)
    with pytest.raises(DataError) as streamed:
        load_dataset("generic", files, stream=True, chunk_rows=10, cache_dir=tmp_path / "c")
    assert str(streamed.value) == str(whole.value)
    assert "rows 4, 5, column 'lead_id': duplicate lead ids: '3'" in str(whole.value)


def test_merge_sums_counted_notes_joins_rows_and_keeps_the_rest_once():
    from analysis.ingest.mapping import undated_note, unknown_revenue_note

    def chunk(n, total, rows, revenue):
        notes = Notes()
        notes.add("info", "x", "optional field(s) not in a.csv: b")
        notes.add_counted("warning", "x", undated_note, n=n, total=total, rows=rows, drop=False)
        if revenue:
            notes.add_counted("info", "x", unknown_revenue_note, n=revenue)
        return notes.rows

    merged = merge([chunk(2, 3, [2, 4], 0), chunk(9, 9, list(range(5, 14)), 5)], total=40)
    assert [n["message"] for n in merged] == [
        "optional field(s) not in a.csv: b",
        undated_note(11, 40, [2, 4, 5, 6, 7, 8, 9, 10, 11, 12], False),
        "5 sale(s) have no revenue; revenue totals leave them out",
    ]
    assert "rows 2, 4, 5, 6, 7, 8, 9, 10, 11, 12 and 1 more" in merged[1]["message"]
    assert merge_facts([{"a": 1, "m": "x", "d": {"k": 2}}, {"a": 3, "m": "y", "d": {"k": 1}}]) == {
        "a": 4,
        "m": "x",
        "d": {"k": 3},
    }


_LEAD = st.fixed_dictionaries(
    {
        "dated": st.booleans(),
        "source": st.sampled_from(["yandex", "vk", ""]),
        "campaign": st.sampled_from(["brand", "quiz", "ivan.petrov@example.com", ""]),
        "won": st.sampled_from(["no", "yes", "yes-early", "yes-no-revenue"]),
        # a bad value (most leads have none): all problems must be reported together
        "bad": st.sampled_from([None] * 6 + ["date", "number", "flag", "no-id"]),
    }
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    leads=st.lists(_LEAD, min_size=1, max_size=25),
    chunk=st.integers(1, 6),
    drop=st.booleans(),
    repeat=st.integers(0, 24),
)
def test_property_streamed_notes_and_facts_equal_the_whole_read(
    tmp_path, leads, chunk, drop, repeat
):
    """Leads without dates or sources, sales before creation or without revenue and
    e-mails in campaigns, anywhere in the file, undated leads kept or dropped
    (``no_created_at: drop``), a lead id repeated, bad dates, numbers, flags and ids:
    streamed in chunks, the leads, the notes (counts, rows, shares), the facts and the
    errors (every problem at once, merged over the chunks) equal the whole-file read's."""
    lines = [GOOD_LEADS.splitlines()[0]]
    for i, lead in enumerate(leads):
        created = f"2026-02-{1 + i % 28:02d} 10:00" if lead["dated"] else ""
        won = lead["won"]
        converted = "no" if won == "no" else "yes"
        revenue = "1000" if won in ("yes", "yes-early") else ""
        won_at = {"no": "", "yes": "2026-03-01", "yes-early": "2026-01-01"}.get(won, "2026-03-02")
        bad = lead["bad"]
        created = "31.02.2026 x" if bad == "date" else created
        revenue = "12x" if bad == "number" and revenue else revenue
        converted = "maybe" if bad == "flag" else converted
        lead_id = "" if bad == "no-id" else str(i + 1)
        lines.append(
            f"{lead_id},{created},{lead['source']},cpc,{lead['campaign']},SMB,Anna,hot,"
            f"{converted},{revenue},{won_at}"
        )
    if repeat % 3 and len(leads) > 1:  # the last lead takes an earlier one's id
        lines[-1] = f"{repeat % (len(leads) - 1) + 1}," + lines[-1].split(",", 1)[1]
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    files = {"leads": write_csv(folder / "leads.csv", "\n".join(lines) + "\n")}
    profile: str | Path = "generic"
    if drop:
        text = (PROFILES_DIR / "generic.yaml").read_text(encoding="utf-8")
        profile = folder / "drop.yaml"
        profile.write_text(
            text.replace("  # no_created_at: keep ", "  no_created_at: drop ", 1), encoding="utf-8"
        )
    try:
        whole = load_dataset(profile, files, stream=False)
    except DataError as exc:
        with pytest.raises(DataError) as streamed_error:
            load_dataset(profile, files, stream=True, chunk_rows=chunk, cache_dir=folder / "c")
        assert str(streamed_error.value) == str(exc)
        return
    streamed = load_dataset(profile, files, stream=True, chunk_rows=chunk, cache_dir=folder / "c")
    _same(whole, streamed)


def test_a_streamed_report_says_so_and_gives_the_whole_read_numbers(tmp_path, monkeypatch):
    """End to end: a profile that streams its leads runs the report notebooks; the
    audit says how many rows were streamed, and the model tables equal those of the
    same profile read whole."""
    from analysis.run.report import run_report

    path, _ = _export(tmp_path, n_rows=3000)
    generic = (PROFILES_DIR / "generic.yaml").read_text(encoding="utf-8")
    streaming = generic.replace("# stream: 100000 ", "stream: 700 ", 1)
    assert streaming != generic
    (tmp_path / "streaming.yaml").write_text(streaming, encoding="utf-8")
    (tmp_path / "whole.yaml").write_text(generic, encoding="utf-8")
    monkeypatch.setenv("LEADKIT_CACHE", str(tmp_path / "cache"))
    notebooks = ("data-audit", "conversion-models")
    runs = {
        name: run_report(
            tmp_path / f"{name}.yaml",
            {"leads": path},
            out_root=tmp_path / "out",
            run=name,
            client="c",
            notebooks=notebooks,
        )
        for name in ("streaming", "whole")
    }
    notes = pd.read_csv(runs["streaming"].folder / "tables" / "audit_notes.csv")
    assert (
        notes["message"]
        .str.contains("3,000 rows of big.csv .* in 5 chunks of up to 700 rows", regex=True)
        .any()
    )
    assert list((tmp_path / "cache").glob("leads-*.parquet"))
    for name in ("models_cells.csv", "models_terms.csv", "audit_qualification_mix.csv"):
        pd.testing.assert_frame_equal(
            pd.read_csv(runs["streaming"].folder / "tables" / name),
            pd.read_csv(runs["whole"].folder / "tables" / name),
        )


def test_a_changed_sessions_file_is_not_answered_from_the_cached_leads(tmp_path):
    """The canonical leads depend on the other inputs too (sessions attribute sources):
    with the leads file unchanged and Metrica's visits cut by half, a load into the same
    cache gives what a load into an empty one gives, not the first load's leads."""
    from analysis.base.paths import PROJECT_ROOT

    visits = PROJECT_ROOT / "data" / "sample" / "metrica_visits.tsv"
    lines = visits.read_text(encoding="utf-8").splitlines()
    cut = tmp_path / "visits.tsv"
    cut.write_text("\n".join(lines[: len(lines) // 2]) + "\n", encoding="utf-8")
    cache = tmp_path / "cache"
    first = load_dataset("sample", cache_dir=cache)
    changed = load_dataset("sample", {"metrica": cut}, cache_dir=cache)
    fresh = load_dataset("sample", {"metrica": cut}, cache_dir=tmp_path / "empty")
    assert changed.source != first.source
    pd.testing.assert_frame_equal(changed.leads, fresh.leads)
    assert not changed.leads["source"].equals(first.leads["source"])
