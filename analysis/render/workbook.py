"""The Excel workbook of a report run, for people who live in Excel.

One sheet per tidy table of the run (the key ones first), the numbers as numbers:
money in the client's currency format, rates and shares as percentages, intervals
beside their estimates. An "About" sheet says which client, run, inputs (by hash) and
kit version the numbers come from. The file is written under a temporary name and
renamed, so a crash never leaves half a workbook.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

__all__ = ["KEY_TABLES", "write_workbook", "money_format", "column_format"]

#: Tables that lead the workbook, in this order; the rest follow alphabetically.
KEY_TABLES = (
    "summary_actions",
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


def money_format(currency: str | None) -> str:
    """Excel number format for money: thousands separated, no decimals, the currency
    code after the number (``#,##0 "RUB"``)."""
    code = re.sub(r"[^A-Za-z$€£₽¥ ]", "", currency or "").strip()
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
    base = _SHEET_BAD.sub("-", name)[:31]
    out, i = base, 2
    while out.lower() in taken:
        suffix = f"~{i}"
        out = base[: 31 - len(suffix)] + suffix
        i += 1
    taken.add(out.lower())
    return out


def _about(meta: dict) -> pd.DataFrame:
    rows = [
        ("client", meta.get("client")),
        ("run", meta.get("run")),
        ("profile", meta.get("profile")),
        ("kit version", meta.get("kit_version")),
        ("finished (UTC)", meta.get("finished_utc")),
        ("currency", (meta.get("headline") or {}).get("currency") or "not set"),
        ("fingerprint", meta.get("fingerprint")),
    ]
    for key, value in sorted((meta.get("parameters") or {}).items()):
        if key not in ("INPUTS", "PROFILE"):
            rows.append((f"parameter {key}", str(value)))
    for item in meta.get("inputs") or []:
        rows.append(
            (
                f"input {item['input']}",
                f"{item['file']}: {item['rows']:,} rows, sha256 {item['sha256']}",
            )
        )
    rows.append(
        (
            "how to read",
            "Every rate has its 95% interval in the _low and _high columns next to it; "
            "the leads and sales columns say how many leads stand behind each number.",
        )
    )
    return pd.DataFrame(rows, columns=["item", "value"])


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
    from openpyxl.utils import get_column_letter

    meta = meta or {}
    currency = (meta.get("headline") or {}).get("currency")
    files = {p.stem: p for p in sorted(Path(tables_dir).glob("*.csv"))}
    order = [n for n in KEY_TABLES if n in files] + sorted(set(files) - set(KEY_TABLES))
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    taken: set[str] = set()
    with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        sheets = [("About", _about(meta))]
        for name in order:
            try:
                frame = pd.read_csv(files[name], encoding="utf-8")
            except pd.errors.EmptyDataError:
                frame = pd.DataFrame({"note": ["no rows"]})
            if len(frame) >= _EXCEL_ROWS:  # a sheet holds 1,048,576 rows, header included
                sheets[0][1].loc[len(sheets[0][1])] = [
                    f"sheet {name}",
                    f"first {_EXCEL_ROWS - 1:,} of {len(frame):,} rows; the whole table is "
                    f"tables/{name}.csv",
                ]
                frame = frame.head(_EXCEL_ROWS - 1)
            sheets.append((name, frame))
        for name, frame in sheets:
            sheet = _sheet_name(name, taken)
            frame.to_excel(writer, sheet_name=sheet, index=False)
            ws = writer.sheets[sheet]
            ws.freeze_panes = "A2"
            for j, column in enumerate(frame.columns, start=1):
                letter = get_column_letter(j)
                fmt = column_format(str(column), currency)
                if fmt and pd.api.types.is_numeric_dtype(frame[column]):
                    for cell in ws[letter][1:]:
                        cell.number_format = fmt
                sample = frame[column].astype(str).head(200)
                width = max([len(str(column)), *sample.str.len().tolist()] or [8])
                ws.column_dimensions[letter].width = min(max(width + 2, 8), 60)
    os.replace(tmp, path)
    return path
