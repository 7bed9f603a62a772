"""The whole sample report in Russian, as its reader gets it: every page, every figure's
text, the workbook's sheets and headers and the index, with no English left but the
data's own names, codes and acronyms; and the English report with no Russian but the
data's (issue 14's acceptance check).

The reference is the reader's eye: the words a page shows (its HTML text and the
figures' alternative text, which carries each figure's title, axes and legend), split
into Latin-script words and checked against the names the data gives."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from page_text import data_words, foreign_words, page_text

NAME_COLUMNS = (
    "source",
    "campaign",
    "manager",
    "segment",
    "lost_reason",
    "file",
    "input",
    "label",
    "personal_columns_dropped",  # the exports' own column names
)


def _names(tables: Path) -> set[str]:
    """The data's own names as the run's tables hold them (sources, campaigns,
    managers, segments, lost reasons, input files, the exports' column names), the
    profile's title (the user's own words) and the client's and profile's names."""
    import json

    from analysis.ingest.profiles import load_profile

    meta = json.loads((tables.parent / "run.json").read_text(encoding="utf-8"))
    # the profile's title, and the client's and profile's names (codes the user chose)
    names: set[str] = {load_profile("sample").title, meta["client"], meta["profile"]}
    for path in tables.glob("*.csv"):
        frame = pd.read_csv(path)
        for c in NAME_COLUMNS:
            if c in frame.columns:
                names.update(frame[c].dropna().astype(str))
    return names


def _report(root: Path, lang: str):
    from analysis.run.index import write_index
    from analysis.run.report import run_report

    # a run's name is a code (a date by default): one with a digit, as codes are told
    result = run_report("sample", out_root=root, run=f"{lang}-1", parameters={"LANGUAGE": lang})
    index = write_index(root)
    return result, index


@pytest.fixture(scope="module")
def russian(tmp_path_factory):
    return _report(tmp_path_factory.mktemp("ru"), "ru")


@pytest.fixture(scope="module")
def english(tmp_path_factory):
    return _report(tmp_path_factory.mktemp("en"), "en")


def _workbook_text(path: Path) -> str:
    """The workbook's sheet names, the headers of its sheets and its text cells."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    said = []
    for sheet in book.worksheets:
        said.append(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            said.extend(str(v) for v in row if isinstance(v, str))
    return "\n".join(said)


def test_no_english_on_the_russian_pages(russian):
    result, index = russian
    allowed = data_words(_names(result.folder / "tables"))
    problems = {}
    for page in [*result.html, index]:
        bad = foreign_words(page_text(page), allowed)
        if bad:
            problems[page.name] = bad[:15]
    book = result.folder / "report.xlsx"
    bad = foreign_words(_workbook_text(book), allowed)
    if bad:
        problems[book.name] = bad[:15]
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_no_russian_on_the_english_pages(english):
    """The sample's data are Russian (managers, lost reasons): only their names may be
    Cyrillic on an English page."""
    result, index = english
    names = _names(result.folder / "tables")
    cyrillic = re.compile(r"[А-Яа-яЁё][А-Яа-яЁё-]*")
    allowed = {w.lower() for n in names for w in cyrillic.findall(n)}
    problems = {}
    for page in [*result.html, index]:
        found = [w for w in cyrillic.findall(page_text(page)) if w.lower() not in allowed]
        if found:
            problems[page.name] = found[:15]
    assert not problems, problems


def test_russian_pages_write_numbers_the_russian_way(russian):
    """A Russian reader's pass found "выручка, RUB", "расходы за неделю, RUB", a note's
    "(1,1%)", the classified share "(98%)" and a q-value "<0.001": money in ₽, a share
    with a no-break space before %, decimal commas."""
    result, _ = russian
    problems = {}
    for page in result.html:
        text = page_text(page)
        bad = re.findall(r".{0,25}(?:\bRUB\b|\(\d+(?:,\d)?%\)|<0\.\d).{0,10}", text)
        if bad:
            problems[page.name] = bad[:10]
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())
    said = " ".join(page_text(p) for p in result.html)
    assert "\u00a0₽" in said and "\u00a0%)" in said
