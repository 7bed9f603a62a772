"""A report run as a user starts it from any folder."""

from __future__ import annotations

import json
import os

import pandas as pd

from analysis.run.report import run_report


def test_a_relative_out_folder_is_the_callers(tmp_path, monkeypatch):
    """``leadkit report --out rel`` run from another folder: every file (pages, tables,
    workbook, run.json) lands under the caller's ``rel/``, none in the kit's notebooks
    folder, and the workbook holds the tables."""
    from analysis.base.paths import NOTEBOOKS_DIR

    before = {p for p in NOTEBOOKS_DIR.rglob("*") if p.is_file()}
    monkeypatch.chdir(tmp_path)
    result = run_report("sample", out_root="rel", run="r1", notebooks=("data-audit",))
    assert result.folder == tmp_path / "rel" / "sample" / "r1"
    tables = sorted(p.name for p in (result.folder / "tables").glob("*.csv"))
    assert "audit_lead_age.csv" in tables and len(result.tables) == len(tables) > 3
    assert {p for p in NOTEBOOKS_DIR.rglob("*") if p.is_file()} == before
    with pd.ExcelFile(result.folder / "report.xlsx") as book:
        sheets = book.sheet_names
    assert len(sheets) > 3  # About plus the tables
    meta = json.loads((result.folder / "run.json").read_text(encoding="utf-8"))
    assert meta["headline"]["leads"] == 4335


def test_bad_report_parameters_stop_the_run_before_anything_is_written(tmp_path):
    """A period or threshold the report cannot use is named before any notebook runs."""
    import pytest

    from analysis.base.errors import DataError

    with pytest.raises(DataError, match=r"PERIOD must be one of week, month, quarter.*'decade'"):
        run_report("olist", out_root=tmp_path, run="r", parameters={"PERIOD": "decade"})
    with pytest.raises(DataError, match=r"MIN_LEADS must be a whole number >= 0, not -3"):
        run_report("olist", out_root=tmp_path, run="r", parameters={"MIN_LEADS": -3})
    assert not list(tmp_path.iterdir())


def test_the_report_bar_moves_with_the_load_and_each_page(tmp_path, capsys):
    """``leadkit report``'s progress bar: the load, then each page as it finishes (two
    at once, from their threads), then the workbook; the events come in that order."""
    from analysis.cli import _ReportBar

    events = []
    bar = _ReportBar(enabled=True, pages=2)

    def step(name, detail):
        events.append(name)
        bar.step(name, detail)

    pages = ("data-audit", "funnel-economics")
    here = os.getcwd()
    run_report("sample", out_root=tmp_path, run="r", notebooks=pages, progress=step, page_jobs=2)
    bar.close()
    assert os.getcwd() == here  # the page threads never change the process's folder
    assert events == ["load", "pages", "notebook", "notebook", "workbook", "done"]
    err = capsys.readouterr().err
    assert "4/4" in err and "page done: data-audit" in err and "page done: funnel-economics" in err


def test_a_single_job_batch_bar_moves_while_the_client_runs():
    """``leadkit run`` with one job runs the client in this process: each event moves
    its bar at once instead of when the client has finished."""
    from analysis.run.batch import ClientSpec, _Bars

    spec = ClientSpec(name="c", profile="sample")
    bars = _Bars([spec], steps=9, enabled=True)
    live = bars.live()
    live.put(("c", "load", "sample"))
    live.put(("c", "notebook", "data-audit"))
    assert bars.bars["c"].n == 2
    bars.close()
