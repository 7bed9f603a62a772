"""The Excel workbook of a run: every table a sheet, key ones first, numbers as numbers
with the client's currency and percentages, and a note where Excel's row limit cuts a
table."""

import openpyxl
import pandas as pd

from analysis.render import workbook


def _tables(tmp_path):
    folder = tmp_path / "tables"
    folder.mkdir()
    pd.DataFrame(
        {
            "source": ["vk", "ya"],
            "leads": [1200, 300],
            "conversion": [0.031, 0.12],
            "cac": [22771.6, 14407.6],
            "cac_low": [18211.1, 12241.1],
        }
    ).to_csv(folder / "economics_by_source.csv", index=False)
    pd.DataFrame({"a": [1, 2, 3]}).to_csv(folder / "zz_other.csv", index=False)
    pd.DataFrame({"action": ["cut"], "leads": [636]}).to_csv(
        folder / "summary_actions.csv", index=False
    )
    return folder


def test_sheets_order_and_number_formats(tmp_path):
    meta = {
        "client": "acme",
        "run": "r1",
        "headline": {"currency": "RUB"},
        "inputs": [{"input": "crm", "file": "crm.csv", "rows": 10, "sha256": "ab"}],
    }
    path = workbook.write_workbook(_tables(tmp_path), tmp_path / "report.xlsx", meta)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["About", "summary_actions", "economics_by_source", "zz_other"]
    ws = book["economics_by_source"]
    header = [c.value for c in ws[1]]
    row = {h: c for h, c in zip(header, ws[2], strict=True)}
    assert row["cac"].value == 22771.6 and row["cac"].number_format == '#,##0 "RUB"'
    assert row["cac_low"].number_format == '#,##0 "RUB"'
    assert row["conversion"].number_format == "0.0%" and row["leads"].number_format == "#,##0"
    about = dict(book["About"].iter_rows(min_row=2, values_only=True))
    assert about["client"] == "acme" and "crm.csv: 10 rows, sha256 ab" == about["input crm"]
    assert not list(tmp_path.glob(".*.tmp"))  # written under a temporary name, renamed


def test_a_table_over_the_row_limit_is_cut_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(workbook, "_EXCEL_ROWS", 3)
    path = workbook.write_workbook(_tables(tmp_path), tmp_path / "report.xlsx", {})
    book = openpyxl.load_workbook(path)
    assert book["zz_other"].max_row == 3  # header and the first two rows
    about = dict(book["About"].iter_rows(min_row=2, values_only=True))
    assert about["sheet zz_other"] == "first 2 of 3 rows; the whole table is tables/zz_other.csv"


def _cells_of(path):
    book = openpyxl.load_workbook(path)
    out = {}
    for ws in book.worksheets:
        out[ws.title] = (
            ws.freeze_panes,
            [[(c.value, c.number_format) for c in row] for row in ws.iter_rows()],
            {k: d.width for k, d in ws.column_dimensions.items()},
        )
    return book.sheetnames, book.active.title, out


def test_a_workbook_made_as_the_pages_end_is_the_one_made_at_the_end(tmp_path):
    """`Workbook.add` after each page (tables arriving in any order, some after the
    last add) and `finish`: the same sheets, order, cells, formats and widths as
    `write_workbook` of the whole folder."""
    from analysis.render.sections import save_table

    meta = {"client": "acme", "headline": {"currency": "RUB"}}
    whole = _tables(tmp_path)
    once = workbook.write_workbook(whole, tmp_path / "once.xlsx", meta)
    run = tmp_path / "run"
    book = workbook.Workbook(run / "tables", run / "report.xlsx", "RUB")
    for name in ["zz_other", "economics_by_source"]:  # two pages' tables, one by one
        save_table(pd.read_csv(whole / f"{name}.csv"), name, run)
        book.add()
    save_table(pd.read_csv(whole / "summary_actions.csv"), "summary_actions", run)
    made = book.finish(meta)
    assert _cells_of(made) == _cells_of(once)
    assert sorted(p.name for p in run.iterdir()) == ["report.xlsx", "tables"]


def test_a_discarded_workbook_leaves_no_file(tmp_path):
    book = workbook.Workbook(_tables(tmp_path), tmp_path / "report.xlsx", None)
    book.add()
    assert list(tmp_path.glob(".report.xlsx.tmp"))  # being written
    book.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tables"]
