"""The Excel workbook of a report run, for people who live in Excel.

One sheet per tidy table of the run (the key ones first), the numbers as numbers:
money in the client's currency format, rates and shares as percentages, intervals
beside their estimates. An "About" sheet says which client, run, inputs (by hash) and
kit version the numbers come from. The file is written under a temporary name and
renamed, so a crash never leaves half a workbook.

In English the sheets and headers are the tables' own names and columns, as in the CSV
files; in another language they are the reader's words (`SHEET_NAMES`, the pages'
headers from `analysis.render.tables.header_label`), and the kit's words in the cells
too (`value_label`). The number formats go by the column's code either way.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from analysis.base.i18n import (
    DEFAULT_LANGUAGE,
    N_,
    _,
    fmt_int,
    language,
    locale_name,
    n_,
    use_language,
)
from analysis.insight.numbers import currency_sign
from analysis.render.tables import header_label, value_label

__all__ = ["KEY_TABLES", "Workbook", "write_workbook", "money_format", "column_format"]

#: Tables that lead the workbook, in this order; the rest follow alphabetically.
KEY_TABLES = (
    "summary_actions",
    "call_list",
    "manager_lists",
    "summary_what_if",
    "summary_change",
    "economics_by_source",
    "economics_by_campaign",
    "economics_by_period",
    "models_terms",
    "models_campaigns_shrunk",
    "managers",
    "managers_routing",
    "change_sales_equal_age",
    "audit_inputs",
    "audit_notes",
)

_MONEY = re.compile(
    r"^(spend|cpl|cpql|cac|revenue|paid_revenue|revenue_per_sale|value)(_low|_high)?$"
)

_RATE = re.compile(
    r"(^|_)(share|conversion|rate|romi|shrunk|adjusted_rate|conversion_within)(_low|_high)?$"
)

_COUNTS = {
    "leads",
    "sales",
    "paid_leads",
    "paid_sales",
    "hot",
    "warm",
    "cold",
    "unknown",
    "qualified",
    "aged_leads",
    "sales_within",
    "classified",
}

_EXCEL_ROWS = 1_048_576

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")

#: The sheets' names: the table's name in English (the key is the English), the
#: reader's words in another language (at most 31 characters, Excel's limit).
SHEET_NAMES = {
    "About": N_("About"),
    "summary_actions": N_("summary_actions"),
    "call_list": N_("call_list"),
    "manager_lists": N_("manager_lists"),
    "summary_what_if": N_("summary_what_if"),
    "summary_change": N_("summary_change"),
    "summary_routing": N_("summary_routing"),
    "economics_by_source": N_("economics_by_source"),
    "economics_by_campaign": N_("economics_by_campaign"),
    "economics_by_period": N_("economics_by_period"),
    "economics_by_campaign_period": N_("economics_by_campaign_period"),
    "models_terms": N_("models_terms"),
    "models_campaigns_shrunk": N_("models_campaigns_shrunk"),
    "models_cells": N_("models_cells"),
    "models_class_conversion": N_("models_class_conversion"),
    "models_crude_vs_adjusted": N_("models_crude_vs_adjusted"),
    "models_quality_shares": N_("models_quality_shares"),
    "models_quality_terms": N_("models_quality_terms"),
    "models_rates_within": N_("models_rates_within"),
    "managers": N_("managers"),
    "managers_checks": N_("managers_checks"),
    "managers_routing": N_("managers_routing"),
    "managers_speed": N_("managers_speed"),
    "change_sales": N_("change_sales"),
    "change_sales_equal_age": N_("change_sales_equal_age"),
    "change_revenue": N_("change_revenue"),
    "change_revenue_outliers": N_("change_revenue_outliers"),
    "change_contributions": N_("change_contributions"),
    "maturity_conversion_at_age": N_("maturity_conversion_at_age"),
    "maturity_curves": N_("maturity_curves"),
    "lost_by_manager": N_("lost_by_manager"),
    "lost_by_source": N_("lost_by_source"),
    "audit_inputs": N_("audit_inputs"),
    "audit_notes": N_("audit_notes"),
    "audit_attribution": N_("audit_attribution"),
    "audit_field_coverage": N_("audit_field_coverage"),
    "audit_lead_age": N_("audit_lead_age"),
    "audit_outliers": N_("audit_outliers"),
    "audit_qualification_mix": N_("audit_qualification_mix"),
    "audit_spend_match": N_("audit_spend_match"),
    "audit_weekly": N_("audit_weekly"),
}


def money_format(currency: str | None) -> str:
    """Excel number format for money: thousands separated, no decimals, the currency
    after the number as the pages name it (``#,##0 "RUB"``, ``#,##0 "₽"``)."""
    # a quote or a backslash would end the format's literal text
    code = re.sub(r'["\\\x00-\x1f]', "", currency or "").strip()
    return f'#,##0 "{code}"' if code else "#,##0"


def column_format(name: str, currency: str | None) -> str | None:
    """The Excel number format of a tidy-table column, by its name (None: as is)."""
    if _MONEY.match(name):
        return money_format(currency)
    if _RATE.search(name):
        return "0.0%"
    if name in _COUNTS:
        return "#,##0"
    return None


def _sheet_name(name: str, taken: set[str]) -> str:
    """A sheet's name for the table ``name``: in the reader's language, without the
    characters Excel refuses, at most 31 characters and unique (case aside)."""
    title = _(SHEET_NAMES[name]) if name in SHEET_NAMES else name
    base = _SHEET_BAD.sub("-", title)[:31]
    out, i = base, 2
    while out.lower() in taken:
        suffix = f"~{i}"
        out = base[: 31 - len(suffix)] + suffix
        i += 1
    taken.add(out.lower())
    return out


def _about(meta: dict) -> pd.DataFrame:
    rows = [
        (_("client"), meta.get("client")),
        (_("run"), meta.get("run")),
        (_("profile"), meta.get("profile")),
        (_("kit version"), meta.get("kit_version")),
        (_("finished (UTC)"), meta.get("finished_utc")),
        (_("currency"), (meta.get("headline") or {}).get("currency") or _("not set")),
        (_("fingerprint"), meta.get("fingerprint")),
    ]
    for key, value in sorted((meta.get("parameters") or {}).items()):
        if key == "LANGUAGE" and value:
            # the language by its name in the reader's language ("русский", "English")
            from babel import Locale

            value = Locale.parse(str(value)).get_display_name(locale_name())
        if key not in ("INPUTS", "PROFILE"):
            rows.append((_("parameter {key}", key=key), str(value)))
    for item in meta.get("inputs") or []:
        rows.append(
            (
                _("input {name}", name=item["input"]),
                n_(
                    "{file}: {n} row, sha256 {sha}",
                    "{file}: {n} rows, sha256 {sha}",
                    item["rows"],
                    file=item["file"],
                    sha=item["sha256"],
                ),
            )
        )
    rows.append(
        (
            _("how to read"),
            _(
                "Every rate has its 95% interval in the _low and _high columns next to it; "
                "the leads and sales columns say how many leads stand behind each number."
            ),
        )
    )
    return pd.DataFrame(rows, columns=[_("item"), _("value")])


#: Columns whose cells are the data's own names (a campaign may be called "hot"): never
#: looked up as the kit's words.
_NAME_COLUMNS = frozenset(
    ("source", "campaign", "manager", "segment", "label", "input", "file", "lead_id", "name")
    + ("lost_reason", "id", "members", "nested_in", "sha256")
)


def _header(column: str) -> str:
    """A sheet's header: the table's column (its code) in English, as in the CSV file;
    the pages' header in another language."""
    return column if language() == DEFAULT_LANGUAGE else header_label(column)


def _cells(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the kit's words in its text cells (hot, cut, too few leads) in
    the reader's language; the data's names and the numbers as they are."""
    if language() == DEFAULT_LANGUAGE:
        return frame
    out = frame.copy()
    for j, column in enumerate(out.columns):
        values = out.iloc[:, j]
        text = pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)
        if text and str(column) not in _NAME_COLUMNS:
            out.iloc[:, j] = values.map(value_label)
    return out


def write_workbook(tables_dir: Path, path: Path, meta: dict | None = None) -> Path:
    """Write every ``tables/*.csv`` of a run into one ``.xlsx`` workbook.

    Parameters
    ----------
    tables_dir : Path
        The run's ``tables`` folder (tidy CSV files, UTF-8).
    path : Path
        The workbook to write (replaced atomically).
    meta : dict, optional
        The run's ``run.json`` content, for the "About" sheet and the currency.
    """
    meta = meta or {}
    book = Workbook(tables_dir, path, (meta.get("headline") or {}).get("currency"))
    return book.finish(meta)


class Workbook:
    """A run's workbook, made while its pages run: `add` writes the sheets of the tables
    saved so far (`run_report` calls it as each page ends), `finish` the rest, the
    "About" sheet, the sheets' order and names, and the file. The same workbook as
    one `write_workbook` at the end, less of it after the last page (the sample: 0.9
    -> 0.2 s). Thread-safe; the language is the one when it was made.

    Parameters
    ----------
    tables_dir : Path
        The run's ``tables`` folder (each CSV file complete once there: `save_table`
        writes it under another name and renames it).
    path : Path
        The workbook to write.
    currency : str, optional
        The headline's currency (its code), for the money columns' format.
    """

    def __init__(self, tables_dir: Path, path: Path, currency: str | None):
        import threading

        self.tables_dir = Path(tables_dir)
        self.path = Path(path)
        self._tmp = self.path.with_name(f".{self.path.name}.tmp")
        self.language = language()
        with use_language(self.language):
            # the currency as the pages name it: its code in English, its sign in Russian
            self.currency = currency_sign(currency)
        self._lock = threading.Lock()
        self._writer: pd.ExcelWriter | None = None
        self._sheets: dict[str, str] = {}  # table -> its sheet's name until `finish`
        self._cut: dict[str, int] = {}  # table -> its rows, when Excel's limit cuts it

    def _open(self) -> pd.ExcelWriter:
        if self._writer is None:  # the file is opened here, under a temporary name
            self._writer = pd.ExcelWriter(self._tmp, engine="openpyxl")
        return self._writer

    def add(self) -> None:
        """Write the sheets of the tables not written yet."""
        with self._lock, use_language(self.language):
            writer = self._open()
            for file in sorted(self.tables_dir.glob("*.csv")):
                if file.stem not in self._sheets:
                    self._sheet(writer, file)

    def _sheet(self, writer: pd.ExcelWriter, file: Path) -> None:
        name = file.stem
        try:
            frame = pd.read_csv(file, encoding="utf-8")
        except pd.errors.EmptyDataError:
            frame = pd.DataFrame({"note": [_("no rows")]})
        if len(frame) >= _EXCEL_ROWS:  # a sheet holds 1,048,576 rows, header included
            self._cut[name] = len(frame)
            frame = frame.head(_EXCEL_ROWS - 1)
        sheet = f"~~{len(self._sheets)}"  # named in `finish`, once every table is known
        self._sheets[name] = sheet
        _fill(writer, sheet, frame, _cells(frame), _header, self.currency)

    def finish(self, meta: dict) -> Path:
        """Write what is left, the "About" sheet (``meta``: the run's ``run.json``) and
        the file (replaced atomically): the sheets in the order of `KEY_TABLES`, then
        by name."""
        self.add()
        with self._lock, use_language(self.language):
            writer = self._open()
            names = set(self._sheets)
            order = [n for n in KEY_TABLES if n in names] + sorted(names - set(KEY_TABLES))
            taken: set[str] = set()
            titles = {name: _sheet_name(name, taken) for name in ["About", *order]}
            about = _about(meta)
            for name in order:
                if name in self._cut:
                    about.loc[len(about)] = [
                        _("sheet {name}", name=titles[name]),
                        n_(
                            "first {first} of {n} row; the whole table is {file}",
                            "first {first} of {n} rows; the whole table is {file}",
                            self._cut[name],
                            first=fmt_int(_EXCEL_ROWS - 1),
                            file=f"tables/{name}.csv",
                        ),
                    ]
            _fill(writer, "~~about", about, about, str, self.currency)
            book = writer.book
            sheets = [book["~~about"], *(book[self._sheets[n]] for n in order)]
            for ws, name in zip(sheets, ["About", *order], strict=True):
                ws.title = titles[name]
            for i, ws in enumerate(sheets):  # About, the key tables, the others
                book.move_sheet(ws, offset=i - book.index(ws))
            book.active = 0
            writer.close()
            self._writer = None
        os.replace(self._tmp, self.path)
        return self.path

    def discard(self) -> None:
        """Leave no workbook (the run failed): the temporary file closed and removed."""
        with self._lock:
            if self._writer is not None:
                try:
                    self._writer.close()
                finally:
                    self._writer = None
                    self._tmp.unlink(missing_ok=True)


def _fill(writer, sheet: str, frame: pd.DataFrame, shown: pd.DataFrame, header, currency) -> None:
    """Sheet ``sheet`` of ``writer``: ``shown`` (``frame`` in the reader's words), its
    headers by ``header`` of each column's code, number formats by the codes, the first
    row frozen, the columns as wide as their first 200 values."""
    from openpyxl.utils import get_column_letter

    codes = [str(c) for c in frame.columns]
    shown.to_excel(writer, sheet_name=sheet, index=False)
    ws = writer.sheets[sheet]
    ws.freeze_panes = "A2"
    for j, column in enumerate(codes, start=1):
        letter = get_column_letter(j)
        head = header(column)
        ws.cell(row=1, column=j).value = head
        fmt = column_format(column, currency)
        if fmt and pd.api.types.is_numeric_dtype(frame.iloc[:, j - 1]):
            for cell in ws[letter][1:]:
                cell.number_format = fmt
        sample = shown.iloc[:, j - 1].astype(str).head(200)
        width = max([len(head), *sample.str.len().tolist()] or [8])
        ws.column_dimensions[letter].width = min(max(width + 2, 8), 60)
