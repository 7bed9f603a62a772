"""Canonical leads loaded in DuckDB (`analysis.ingest.canonical`) against the row-by-row
mapping (`mapping.build_leads`, ``columnar=False``) on the same files: the same leads,
notes, facts and inputs table, or the same error. The reference is the row-by-row path,
which the rest of the suite pins to hand counts; hypothesis generates the files (blank
and padded texts, mixed-case sources, undated leads, sales before their lead, revenue
left empty, ids as numbers, DATE columns, e-mails in values, unknown classes, ...)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.base.errors import DataError
from analysis.ingest.load import load_dataset

TEXTS = ["yandex", "Yandex ", " vk", "", "  ", "google", "(direct)", "direct"]
CLASSES = ["hot", "warm", "cold", "", "Hot", " unknown"]
#: values either path must refuse or rewrite, in a quarter of the files
PERSONAL = "ivan@mail.example"
UNKNOWN_CLASS = "maybe"


def _profile(folder: Path, *, columns: dict, converted: dict, extra: dict | None = None) -> Path:
    prof = {
        "name": "canon",
        "currency": "RUB",
        "inputs": {"leads": {"path": "leads.parquet"}, "spend": {"path": "spend.csv"}},
        "leads": {
            "input": "leads",
            "columns": columns,
            "optional": ["segment", "won_at"],
            "qualification": {
                "hot": ["hot"],
                "warm": ["warm"],
                "cold": ["cold"],
                "unknown": ["", "unknown"],
            },
            "converted": converted,
            **(extra or {}),
        },
        "spend": {
            "input": "spend",
            "columns": {
                "date": "date",
                "source": "source",
                "campaign": "campaign",
                "spend": "cost",
            },
        },
    }
    path = folder / "canon.yaml"
    path.write_text(yaml.safe_dump(prof, allow_unicode=True), encoding="utf-8")
    return path


def _spend(folder: Path) -> None:
    (folder / "spend.csv").write_text(
        "date,source,campaign,cost\n2026-01-05,yandex,c1,100\n2026-01-06,vk,c2,50\n"
        "2026-01-07,google,c9,10\n",
        encoding="utf-8",
    )


@st.composite
def files(draw):
    n = draw(st.integers(1, 40))
    pick = lambda xs: draw(st.lists(st.sampled_from(xs), min_size=n, max_size=n))  # noqa: E731
    ids = [f"L{i}" for i in range(n)]
    if draw(st.booleans()):
        ids = list(range(100, 100 + n))  # numbers as ids
    if draw(st.integers(0, 9)) == 0:
        ids[-1] = ids[0]  # a duplicate: the row-by-row path's error
    odd = draw(
        st.sampled_from(
            [None] * 8
            + [" padded", "8 925 555 12 34", "L-2026-01-05", "id-89255551234", "1 234 567 890"]
            + ["+7 925 555-12-34", "a@b", "order-2026-555-1234", "(212) 555-1234", "L\u3000"]
        )
    )
    if odd and isinstance(ids[0], str):
        # stray spaces, phones as ids (pseudonymised), ids that only look like one to the
        # cheap test (a date, an amount, an @ that is no e-mail)
        ids[0] = odd
    base = dt.datetime(2026, 1, 1)
    created = [
        None
        if draw(st.integers(0, 9)) == 0
        else base
        + dt.timedelta(days=draw(st.integers(0, 150)), seconds=draw(st.integers(0, 86399)))
        for _ in range(n)
    ]
    won = [
        None
        if c is None or draw(st.booleans())
        else c + dt.timedelta(days=draw(st.integers(-3, 40)))
        for c in created
    ]
    converted = pick([0, 1])
    revenue = [
        draw(st.sampled_from([0.0, 12.5, 1000.0, 1e-05, float("nan"), None, 3e7])) for _ in range(n)
    ]
    if draw(st.integers(0, 14)) == 0:
        revenue[0] = -1.0
    cols = {
        "lead_id": pa.array(ids),
        "created_at": pa.array(created, type=pa.timestamp("us")),
        "source": pa.array(pick(TEXTS + [PERSONAL] * (draw(st.integers(0, 3)) == 0))),
        "medium": pa.array(pick(["cpc", "", "CPC", "organic", None])),
        # a quote, letters of another script, a text that differs only in case: what
        # the SQL literals of the value maps and of the ENUM types must keep apart
        "campaign": pa.array(pick(["c1", "c2", "", " c9", None, "O'Neil «весна»", "C1"])),
        "segment": pa.array(pick(["small", "large ", "", None, "малый", "Small"])),
        "qualification": pa.array(pick(CLASSES + [UNKNOWN_CLASS] * (draw(st.integers(0, 3)) == 0))),
        "converted": pa.array(converted, type=pa.int8()),
        "revenue": pa.array(revenue, type=pa.float64()),
        "won_at": pa.array(won, type=pa.timestamp("us")),
        "stage": pa.array(["won" if c else "open" for c in converted]),
    }
    if draw(st.booleans()):
        cols["created_at"] = pa.array([c.date() if c else None for c in created], type=pa.date32())
    if draw(st.booleans()):
        del cols["segment"]  # an optional field the file lacks
    if draw(st.booleans()):
        cols["converted"] = pa.array([bool(c) for c in converted])
    by_stage = draw(st.booleans())
    extra = {"no_created_at": draw(st.sampled_from(["keep", "drop"]))}
    window = draw(st.sampled_from([None, ("2026-02-01", "2026-04-30"), (None, "2026-01-20")]))
    return pa.table(cols), by_stage, extra, window


def _both(folder: Path, table, by_stage: bool, extra: dict, window):
    # row groups of 10,000: DuckDB reads them on several threads, and the canonical
    # file must keep the export's order all the same
    pq.write_table(table, folder / "leads.parquet", row_group_size=10_000)
    columns = {c: c for c in table.column_names}
    converted = {"column": "stage", "values": ["won"]} if by_stage else {"column": "converted"}
    if by_stage:
        columns.pop("converted")
    path = _profile(folder, columns=columns, converted=converted, extra=extra)
    start, end = window or (None, None)
    out = []
    for columnar in (None, False):
        try:
            ds = load_dataset(
                path, start=start, end=end, columnar=columnar, cache_dir=folder / "cache"
            )
        except DataError as exc:
            out.append(str(exc))
        else:
            out.append(ds)
    return out


def _same(a, b) -> None:
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    pd.testing.assert_frame_equal(a.leads, b.leads)
    pd.testing.assert_frame_equal(a.spend, b.spend)
    pd.testing.assert_frame_equal(a.notes, b.notes)
    pd.testing.assert_frame_equal(a.inputs, b.inputs)
    assert a.facts == b.facts


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=files())
def test_duckdb_load_equals_the_row_by_row_mapping(tmp_path_factory, case):
    folder = tmp_path_factory.mktemp("canon")
    _spend(folder)
    a, b = _both(folder, *case)
    _same(a, b)


def test_a_clean_file_never_enters_pandas(tmp_path):
    """The DuckDB path really runs on a canonical file: no lead row is read until a page
    asks, the engine's source is the canonical Parquet file, and the counts hold; in 12
    row groups, the leads come out in the file's order."""
    _spend(tmp_path)
    n = 120_000
    rng = np.random.default_rng(3)
    conv = rng.integers(0, 2, n).astype("int8")
    table = pa.table(
        {
            "lead_id": [f"L{i}" for i in range(n)],
            "created_at": pa.array(
                pd.date_range("2026-01-01", periods=n, freq="h").to_pydatetime(),
                type=pa.timestamp("us"),
            ),
            "source": rng.choice(["yandex", "vk"], n),
            "campaign": rng.choice(["c1", "c2"], n),
            "qualification": rng.choice(["hot", "warm", "cold"], n),
            "converted": conv,
            "revenue": np.where(conv == 1, 100.0, 0.0),
        }
    )
    a, b = _both(tmp_path, table, False, {}, None)
    assert not isinstance(a, str), a
    assert not a.leads_loaded and a.source is not None and a.source.exists()
    assert a.facts["spend_match"]["leads"] == n
    assert a.facts["spend_match"]["campaigns_without_leads"] == ["google/c9"]
    _same(a, b)
    assert int(a.leads["converted"].sum()) == int(conv.sum())


def test_what_the_duckdb_path_does_not_do_goes_row_by_row(tmp_path):
    """An e-mail in a campaign: the DuckDB path hands the file to the row-by-row path,
    which pseudonymises it and says so; the dataset is then in memory."""
    _spend(tmp_path)
    table = pa.table(
        {
            "lead_id": ["a", "b"],
            "created_at": pa.array([dt.datetime(2026, 1, 2)] * 2, type=pa.timestamp("us")),
            "source": ["yandex", "vk"],
            "campaign": ["c1", "ivan@mail.example"],
            "qualification": ["hot", "cold"],
            "converted": pa.array([1, 0], type=pa.int8()),
            "revenue": [5.0, 0.0],
        }
    )
    a, b = _both(tmp_path, table, False, {}, None)
    _same(a, b)
    # the chunked load's file, not the DuckDB load's (in the cache's canonical/ folder)
    assert a.source.parent == tmp_path / "cache" and a.source == b.source
    assert "ivan" not in " ".join(a.leads["campaign"])
    assert a.notes["message"].str.contains("e-mail or a phone").any()


@pytest.mark.parametrize("bad", ["duplicate", "negative"])
def test_bad_canonical_files_give_the_row_by_row_error(tmp_path, bad):
    _spend(tmp_path)
    ids = ["a", "a"] if bad == "duplicate" else ["a", "b"]
    table = pa.table(
        {
            "lead_id": ids,
            "created_at": pa.array([dt.datetime(2026, 1, 2)] * 2, type=pa.timestamp("us")),
            "source": ["yandex", "vk"],
            "campaign": ["c1", "c2"],
            "qualification": ["hot", "cold"],
            "converted": pa.array([1, 0], type=pa.int8()),
            "revenue": [5.0 if bad == "duplicate" else -5.0, 0.0],
        }
    )
    a, b = _both(tmp_path, table, False, {}, None)
    assert isinstance(a, str) and a == b
    assert "row 1" in a or "rows 1, 2" in a
