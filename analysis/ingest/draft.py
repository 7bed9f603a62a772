"""A draft mapping profile from the headers of a company's export files.

``leadkit profile new FILE...`` reads the header of each file, recognises the exports
the kit knows (amoCRM, Bitrix24, Yandex.Direct, Yandex Metrica, VK Ads, Google Ads,
HubSpot, and the kit's own column names), and writes one profile with every mapping it
could infer. What it could not infer is left as a YAML comment that asks for it
(``# TODO: which column holds ...?``); once those are answered the profile loads with
`analysis.ingest.profiles.load_profile`, and where nothing was left open it loads as
written.

The recogniser works on header names (a list of texts, duplicates named ``name [2]``
as `analysis.ingest.readers.read_table` names them) and, where it has them, a few values
of each column (to tell campaign ids from names, Direct's micros from rubles, and the
qualification values). Headers come from ``read_table``; a layout it cannot read yet
(title lines above the header, duplicate names, Bitrix24's HTML ``.xls``, VK's JSON) is
sniffed here with the csv module, so a draft can always be made.

Examples
--------
>>> rec = recognise(["Date", "CampaignId", "CampaignName", "Impressions", "Clicks", "Cost"])
>>> rec.label, rec.role, rec.columns["spend"]
('Yandex.Direct Reports API report', 'spend', {'column': 'Cost', 'scale': 1e-06})
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml

from analysis.base.errors import DataError
from analysis.base.i18n import _
from analysis.ingest.privacy import PERSONAL_HEADER
from analysis.ingest.readers import EMPTY_FILE, read_table

__all__ = [
    "Header",
    "Recognised",
    "Draft",
    "read_header",
    "recognise",
    "draft_profile",
    "write_draft",
]

#: Files larger than this are not read whole by `read_table` just for their header.
_READ_WHOLE_BYTES = 64 << 20

#: Bytes of a text file sniffed for its header and first rows.
_SNIFF_BYTES = 1 << 20

#: Rows of values kept per file, to look at what the columns hold.
_SAMPLE_ROWS = 200

#: Header words of personal data besides `PERSONAL_HEADER` (messengers, social links).
_PERSONAL_EXTRA = re.compile(r"skype|telegram|whatsapp|viber|icq|jabber|messenger|мессенджер", re.I)


# --- reading a header -----------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    """The header of one export file and a few of its rows.

    Attributes
    ----------
    path : Path
    columns : tuple of str
        Column names as `read_table` gives them; the 2nd, 3rd, ... column of a repeated
        name is ``name [2]``, ``name [3]``.
    rows : tuple of tuple of str
        Up to 200 rows of values, aligned with ``columns``.
    kind : str
        ``csv``, ``excel``, ``html``, ``json`` or ``parquet``.
    encoding, delimiter : str or None
        What was found (text files).
    header_row : int or None
        The header's row (1-based) when lines stand above it, else None.
    records : str or None
        JSON: the path of the records (``items[].rows[]``).
    """

    path: Path
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...] = ()
    kind: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None
    records: str | None = None

    def values(self, column: str) -> list[str]:
        """The sampled values of ``column`` (blank ones left out)."""
        if column not in self.columns:
            return []
        i = self.columns.index(column)
        return [r[i].strip() for r in self.rows if i < len(r) and r[i].strip()]


def read_header(path: Path | str) -> Header:
    """The header of an export file, and its first rows.

    Uses `read_table` where it reads the layout, else sniffs the file itself.

    Raises
    ------
    DataError
        The file is missing, empty, or not a table this can read.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(_("file not found: {path}", path=path), file=str(path))
    if path.is_dir():
        raise DataError(_("{path} is a folder, not an export file", path=path), file=str(path))
    if path.stat().st_size == 0:
        raise DataError(_(EMPTY_FILE), file=path.name)
    sniffed: Header | None = None
    sniff_error: DataError | None = None
    try:
        sniffed = _sniff(path)
    except DataError as exc:
        sniff_error = exc
    table_header: Header | None = None
    read_error: DataError | None = None
    if path.stat().st_size <= _READ_WHOLE_BYTES:
        try:
            table = read_table(path, path.stem)
        except DataError as exc:
            read_error = exc
        else:
            frame = table.frame
            table_header = Header(
                path,
                _dedupe(_unmangle([str(c) for c in frame.columns])),
                tuple(tuple(str(v) for v in row) for row in frame.head(_SAMPLE_ROWS).to_numpy()),
                _kind(path),
                table.encoding,
                table.delimiter,
            )
    if table_header is not None:
        if sniffed is None:
            return table_header
        if sniffed.records:  # JSON: where the records are, for the profile's `records:`
            table_header = replace(table_header, records=sniffed.records)
        if sniffed.columns == table_header.columns:  # found the header past the title lines
            return replace(table_header, header_row=sniffed.header_row)
        # they disagree: the reader took a title line for the header, split on the wrong
        # delimiter (``CTR, %`` in a ";" file) or read KOI8-R as cp1251; the profile
        # names the sniffed header row, delimiter and encoding
        if (
            sniffed.header_row is None
            and len(sniffed.columns) <= len(table_header.columns)
            and _same_encoding(sniffed.encoding, table_header.encoding)
        ):
            return table_header
    if sniffed is not None:
        return sniffed
    raise (
        sniff_error or read_error or DataError(_("cannot read the file's header"), file=path.name)
    )


def _same_encoding(a: str | None, b: str | None) -> bool:
    def norm(e: str | None) -> str:
        e = (e or "utf-8").lower().replace("_", "-")
        return {"utf-8-sig": "utf-8", "windows-1251": "cp1251"}.get(e, e)

    return norm(a) == norm(b)


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return "excel"
    if suffix in {".parquet", ".pq"}:
        return "parquet"
    if suffix == ".json":
        return "json"
    if suffix in {".xls", ".html", ".htm"}:
        return "html"  # the reader reads a CRM's HTML-table "Excel" export
    return "csv"


def _unmangle(names: list[str]) -> list[str]:
    """pandas' ``utm_source.1`` for a repeated header back to the repeated name."""
    present = set(names)
    out = []
    for name in names:
        m = re.fullmatch(r"(.+)\.(\d+)", name)
        out.append(m.group(1) if m and m.group(1) in present else name)
    return out


def _dedupe(names: Iterable[str]) -> tuple[str, ...]:
    """Repeated names as ``name``, ``name [2]``, ``name [3]`` (as `read_table` names them)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if re.fullmatch(r".+ \[\d+\]", name):  # already named so by the reader
            out.append(name)
            continue
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} [{seen[name]}]")
    return tuple(out)


def _sniff(path: Path) -> Header:
    kind = _kind(path)
    if kind == "excel":
        return _sniff_excel(path)
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            names = pq.read_schema(path).names
        except Exception as exc:  # pyarrow's own error types
            raise DataError(
                _("not a readable Parquet file ({error})", error=exc), file=path.name
            ) from None
        return Header(path, _dedupe(names), kind="parquet")
    with open(path, "rb") as fh:
        data = fh.read(_SNIFF_BYTES)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataError(
            _("an old binary Excel (.xls) file; open it and save it as .xlsx or CSV"),
            file=path.name,
        )
    if data.startswith(b"PK\x03\x04"):
        return _sniff_excel(path)
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if kind == "json" or start in (b"{", b"["):
        return _sniff_json(path)
    text, encoding = _decode(data, path.name, truncated=path.stat().st_size > len(data))
    if text.lstrip()[:1] == "<" and "<table" in text[:65536].lower():
        return _sniff_html(path, text, encoding)
    return _sniff_text(path, text, encoding)


def _decode(data: bytes, label: str, truncated: bool) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif len(data) > 3 and data[1] == 0 and data[3] == 0:
        encoding = "utf-16-le"
    elif len(data) > 3 and data[0] == 0 and data[2] == 0:
        encoding = "utf-16-be"
    else:
        encoding = ""
    if truncated and not encoding.startswith("utf-16"):
        data = data[: data.rfind(b"\n") + 1] or data  # do not cut a character in two
    if encoding:
        return data.decode(encoding, errors="replace").lstrip("\ufeff"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["cp1251", "koi8_r"]).best()
    encoding = {"koi8_r": "koi8-r"}.get(best.encoding, best.encoding) if best else "cp1251"
    return data.decode(encoding, errors="replace"), encoding


def _sniff_text(path: Path, text: str, encoding: str) -> Header:
    best: tuple[int, str, list[list[str]], int] | None = None
    for delim in ("\t", ";", ","):
        records, lines = _records(text, delim)
        at = _header_index(records)
        if at is None:
            continue
        width = len(records[at])
        if best is None or width > best[0]:
            best = (width, delim, records, at)
            best_lines = lines
    if best is None:
        raise DataError(
            _(
                "cannot find a header row (no line with two or more column names separated "
                "by ',', ';' or tab)"
            ),
            file=path.name,
        )
    _score, delim, records, at = best
    return _header(path, records, at, best_lines[at], "csv", encoding, delim)


def _records(text: str, delim: str) -> tuple[list[list[str]], list[int]]:
    """The first records of a text and the line each starts on (1-based)."""
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    records, lines = [], []
    line = 1
    try:
        for record in reader:
            records.append(record)
            lines.append(line)
            line = reader.line_num + 1
            if len(records) > _SAMPLE_ROWS + 60:
                break
    except csv.Error:
        pass
    return records, lines


def _header_index(records: list[list[str]]) -> int | None:
    """The first record as wide as most records after it, with two or more names."""
    for i, rec in enumerate(records[:60]):
        named = [c for c in rec if c.strip()]
        if len(rec) < 2 or len(named) < 2:
            continue
        if sum(bool(re.fullmatch(r"[\d\s.,:%+-]+", c)) for c in named) > len(named) / 2:
            continue  # a data row, not a header
        after = [len(r) for r in records[i + 1 : i + 41] if any(c.strip() for c in r)]
        if not after or sum(n == len(rec) for n in after) >= len(after) / 2:
            return i
    return None


def _header(
    path: Path,
    records: list[list[str]],
    at: int,
    line: int,
    kind: str,
    encoding: str | None = None,
    delimiter: str | None = None,
    records_path: str | None = None,
) -> Header:
    names = [c.strip().lstrip("\ufeff") for c in records[at]]
    while names and not names[-1]:  # Bitrix24 ends every line with the separator
        names.pop()
    rows = tuple(
        tuple(c.strip() for c in (r + [""] * len(names))[: len(names)])
        for r in records[at + 1 : at + 1 + _SAMPLE_ROWS]
        if any(c.strip() for c in r)
    )
    return Header(
        path,
        _dedupe(names),
        rows,
        kind,
        encoding,
        delimiter,
        line if line > 1 else None,
        records_path,
    )


def _sniff_excel(path: Path) -> Header:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, openpyxl's own errors
        raise DataError(
            _("not a readable .xlsx file ({error})", error=exc), file=path.name
        ) from None
    try:
        sheet = book.worksheets[0]
        records = [
            ["" if v is None else str(v) for v in row]
            for _, row in zip(
                range(_SAMPLE_ROWS + 60), sheet.iter_rows(values_only=True), strict=False
            )
        ]
    finally:
        book.close()
    at = _header_index(records)
    if at is None:
        raise DataError(_("cannot find a header row in the first sheet"), file=path.name)
    return _header(path, records, at, at + 1, "excel")


class _TableCells(HTMLParser):
    """The cells of the first HTML table, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _sniff_html(path: Path, text: str, encoding: str) -> Header:
    parser = _TableCells()
    parser.feed(text)
    records = [r for r in parser.rows if r]
    at = _header_index(records)
    if at is None:
        raise DataError(_("cannot find a header row in the HTML table"), file=path.name)
    return _header(path, records, at, at + 1, "html", encoding)


def _sniff_json(path: Path) -> Header:
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(
            _("not a readable JSON file ({error})", error=exc), file=path.name
        ) from None
    found = _json_records(doc)
    if found is None:
        raise DataError(
            _("cannot find the records in the JSON (a list of objects, e.g. items[].rows[])"),
            file=path.name,
        )
    records_path, (parent, parent_keys, parent_of), rows = found
    merged = [
        {f"{parent}.{k}": parent_of[i].get(k) for k in parent_keys} | _flatten(row)
        for i, row in enumerate(rows[:_SAMPLE_ROWS])
    ]
    names: list[str] = []
    for row in merged:
        names += [k for k in row if k not in names]
    out_rows = tuple(tuple(_text(row.get(n)) for n in names) for row in merged)
    return Header(path, tuple(names), out_rows, "json", "utf-8", None, None, records_path)


def _json_records(doc: Any) -> tuple[str, tuple[str, list[str], list[dict]], list[dict]] | None:
    """``(path, (parent name, parent scalar keys, parent per row), rows)`` of a JSON doc."""
    if isinstance(doc, list) and doc and all(isinstance(x, dict) for x in doc):
        return "[]", ("", [], []), doc
    if not isinstance(doc, dict):
        return None
    for key, value in doc.items():
        if not (isinstance(value, list) and value and all(isinstance(x, dict) for x in value)):
            continue
        for sub in ("rows", "records", "data"):
            if all(isinstance(x.get(sub), list) for x in value):
                parent_keys = [
                    k for k, v in value[0].items() if k != sub and not isinstance(v, (dict, list))
                ]
                rows, parent_of = [], []
                for item in value:
                    for row in item[sub]:
                        if isinstance(row, dict):
                            rows.append(row)
                            parent_of.append(item)
                return f"{key}[].{sub}[]", (key, parent_keys, parent_of), rows
        return f"{key}[]", ("", [], []), value
    return None


def _flatten(obj: dict, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in obj.items():
        if isinstance(v, dict):
            out |= _flatten(v, f"{prefix}{k}.")
        elif not isinstance(v, list):
            out[f"{prefix}{k}"] = v
    return out


def _text(value: Any) -> str:
    return "" if value is None else str(value)


# --- recognising a layout ---------------------------------------------------------------


@dataclass
class Recognised:
    """What a header was recognised as, and the section of a profile it makes.

    Attributes
    ----------
    format : str
        A short key: ``amocrm_deals``, ``bitrix24_leads``, ``bitrix24_deals``,
        ``direct_api``, ``direct_wizard``, ``metrica_visits``, ``vk_api``,
        ``vk_cabinet``, ``google_ads``, ``hubspot_contacts``, ``generic``, ``unknown``.
    label : str
        The same for a person (``amoCRM deals``).
    role : str
        ``leads``, ``spend`` or ``web_analytics``.
    input_name : str
        The name the input gets in the profile (``amocrm``, ``direct``, ...).
    columns : dict
        Field: column name or column mapping (``{column: Cost, scale: 0.000001}``).
    todo : dict
        Field: the question for a field no column was found for.
    comments : dict
        Field: a note written beside its mapping.
    optional, settings, options, personal_data, currency
        ``leads.optional``; the section's other keys (converted, qualification,
        values, source_fallback, attribution); the input's reading options; columns
        of personal data; the currency the header names.
    """

    format: str
    label: str
    role: str
    input_name: str
    columns: dict[str, Any] = field(default_factory=dict)
    todo: dict[str, str] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    optional: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    #: section keys left open: key -> (an example value, the question)
    settings_todo: dict[str, tuple[str, str]] = field(default_factory=dict)
    settings_comments: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    options_comments: dict[str, str] = field(default_factory=dict)
    personal_data: list[str] = field(default_factory=list)
    currency: str | None = None
    #: spend: {"name": column, "id": column} to pick the campaign the CRM's UTM tags hold
    campaign_choice: dict[str, str] = field(default_factory=dict)
    #: field: the column's name in the file (``utm_source [2]``), to look at its values
    column_names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Ref:
    name: str  # as in the file, e.g. "utm_source [2]"
    base: str  # "utm_source"
    occurrence: int
    of: int  # how many columns have this base name

    def spec(self, **extra: Any) -> Any:
        col: Any = self.name
        if self.occurrence > 1:
            col = {"column": self.base, "occurrence": self.occurrence}
        if extra:
            col = ({"column": col} if isinstance(col, str) else col) | extra
        return col


def _norm(name: str) -> str:
    return " ".join(name.casefold().replace("ё", "е").split())


class _Columns:
    """Header names, found by patterns on their normalised text."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = [str(n).strip().lstrip("\ufeff") for n in names]
        bases = []
        for n in self.names:
            m = re.fullmatch(r"(.+) \[(\d+)\]", n)
            bases.append((m.group(1), int(m.group(2))) if m else (n, 1))
        self._bases = bases
        self.used: set[str] = set()

    def find(self, *patterns: str, last: bool = False) -> _Ref | None:
        """The column whose name fully matches the first pattern that matches one
        (the last such column with ``last``)."""
        for pat in patterns:
            rx = re.compile(pat)
            hits = [i for i, (b, _) in enumerate(self._bases) if rx.fullmatch(_norm(b))]
            if hits:
                i = hits[-1] if last else hits[0]
                base, occ = self._bases[i]
                return _Ref(self.names[i], base, occ, len(hits))
        return None

    def has(self, *patterns: str) -> bool:
        return self.find(*patterns) is not None

    def any_prefix(self, prefix: str) -> bool:
        return any(n.startswith(prefix) for n in self.names)


#: The questions asked for fields no column was found for.
_QUESTIONS = {
    "lead_id": "which column holds the lead's (or deal's) id?",
    "created_at": "which column holds the date the lead came in?",
    "source": "which column holds the lead's source (yandex, google, vk, ...)?",
    "campaign": "which column holds the lead's campaign?",
    "utm_source": "which column holds utm_source?",
    "utm_medium": "which column holds utm_medium?",
    "utm_campaign": "which column holds utm_campaign?",
    "landing_url": "which column holds the landing page URL (with its UTM tags)?",
    "segment": "which column holds the segment (industry, company size, region)?",
    "manager": "which column holds the lead's manager?",
    "qualification": "which column holds the qualification (hot, warm, cold)?",
    "revenue": "which column holds the deal's amount?",
    "won_at": "which column holds the date of the sale?",
    "first_contact_at": "which column holds the date of the first contact?",
    "stage": "which column holds the deal's stage?",
    "lost_reason": "which column holds the reason a deal was lost?",
    "visitor_id": "which column holds the web-analytics visitor id (Metrica ClientID)?",
    "date": "which column holds the day?",
    "spend": "which column holds the money spent?",
    "clicks": "which column holds the clicks?",
    "impressions": "which column holds the impressions?",
    "session_start": "which column holds the session's start time?",
    "landing_page": "which column holds the session's landing page?",
}

#: Column-name patterns for files of no known layout (normalised: lower case, ё as е).
_GUESS_LEADS: dict[str, tuple[str, ...]] = {
    "lead_id": (
        r"lead_?id",
        r"id",
        r"record id",
        r"deal id",
        r"id (лида|сделки|заявки)",
        r"номер( заявки| лида| сделки)?",
        r"№",
        r"идентификатор",
    ),
    "created_at": (
        r"created(_at)?",
        r"create(d)? date",
        r"date created",
        r"дата создания.*",
        r"дата (заявки|обращения|лида)",
        r"создан[оа]?",
        r"date",
        r"дата",
    ),
    "source": (r"source", r"источник", r"lead source"),
    "medium": (r"medium",),
    "campaign": (r"campaign( name)?", r"(рекламная )?кампания"),
    "utm_source": (r"utm[_ ]?source",),
    "utm_medium": (r"utm[_ ]?medium",),
    "utm_campaign": (r"utm[_ ]?campaign",),
    "landing_url": (r"landing(_url| url| page)?", r"страница (входа|формы)", r"url"),
    "segment": (r"segment", r"сегмент", r"отрасль", r"industry", r"sector"),
    "manager": (r"manager", r"менеджер", r"ответственный", r"(contact |deal )?owner"),
    "qualification": (
        r"qualification",
        r"квалификация",
        r"качество( лида)?",
        r"lead quality",
        r"rating",
        r"оценка",
    ),
    "converted": (r"converted", r"won", r"is won", r"продажа", r"оплачен[оа]?", r"успешн.*"),
    "revenue": (
        r"revenue",
        r"amount",
        r"deal amount",
        r"сумма( сделки)?",
        r"бюджет.*",
        r"выручка",
        r"value",
    ),
    "won_at": (
        r"won_at",
        r"won date",
        r"close(d)? date",
        r"closed at",
        r"дата закрытия",
        r"дата (оплаты|продажи)",
    ),
    "first_contact_at": (r"first_contact_at", r"first contact.*", r"(дата )?первого? контакт.*"),
    "stage": (
        r"stage",
        r"deal stage",
        r"status",
        r"этап( сделки)?",
        r"стадия( сделки)?",
        r"статус",
    ),
    "lost_reason": (r"lost_reason", r"lost reason", r"причина (отказа|проигрыша)"),
    "channel": (r"channel", r"канал"),
    "visitor_id": (r"visitor_id", r"client_?id", r"_ym_uid", r"ym_uid"),
    "tags": (r"tags", r"теги"),
}

_GUESS_SPEND: dict[str, tuple[str, ...]] = {
    "date": (r"date", r"day", r"дата", r"день"),
    "source": (r"source", r"источник", r"network", r"platform", r"площадка"),
    "campaign": (r"campaign( name)?", r"(название )?кампани[яи]"),
    "spend": (
        r"spend",
        r"cost",
        r"расход.*",
        r"потрачено.*",
        r"стоимость.*",
        r"затраты.*",
        r"amount spent.*",
    ),
    "clicks": (r"clicks", r"клики", r"переходы"),
    "impressions": (r"impressions", r"impr\.?", r"shows", r"показы"),
}

_GUESS_WEB: dict[str, tuple[str, ...]] = {
    "visitor_id": (r"visitor_id", r"client_?id", r"visitor", r"user_?id"),
    "session_start": (
        r"session_start",
        r"session start",
        r"date ?time",
        r"visit (start|time)",
        r"timestamp",
    ),
    "utm_source": (r"utm[_ ]?source",),
    "utm_medium": (r"utm[_ ]?medium",),
    "utm_campaign": (r"utm[_ ]?campaign",),
    "landing_page": (r"landing(_page| page)?", r"start ?url", r"url"),
    "lead_id": (r"lead_?id",),
}

_LEAD_ORDER = (
    "lead_id", "created_at", "source", "medium", "campaign", "utm_source", "utm_medium",
    "utm_campaign", "landing_url", "channel", "visitor_id", "segment", "manager",
    "qualification", "converted", "revenue", "won_at", "first_contact_at", "stage",
    "lost_reason", "tags",
)  # fmt: skip


class _Build:
    """Collects one section's mappings while a recogniser finds its columns."""

    def __init__(self, rec: Recognised, cols: _Columns, values: Mapping[str, Sequence[str]]):
        self.rec = rec
        self.cols = cols
        self.values = values

    def map(
        self, fld: str, *patterns: str, last: bool = False, comment: str = "",
        optional: bool = False, todo: str | None = None, **extra: Any,
    ) -> _Ref | None:  # fmt: skip
        ref = self.cols.find(*patterns, last=last) if patterns else None
        if ref is None:
            if todo is not None:
                self.rec.todo[fld] = todo or _QUESTIONS.get(fld, f"which column holds {fld}?")
            return None
        self.rec.columns[fld] = ref.spec(**extra)
        self.rec.column_names[fld] = ref.name
        self.cols.used.add(ref.name)
        if ref.of > 1 and ref.occurrence > 1 and not comment:
            comment = f"occurrence {ref.occurrence} of {ref.of} columns named {ref.base}"
        if comment:
            self.rec.comments[fld] = comment
        if optional:
            self.rec.optional.append(fld)
        return ref

    def sample(self, fld: str) -> list[str]:
        name = self.rec.column_names.get(fld)
        return list(self.values.get(name, ())) if name else []


def recognise(
    columns: Sequence[str], values: Mapping[str, Sequence[str]] | None = None
) -> Recognised:
    """Recognise an export from its header names.

    Parameters
    ----------
    columns : sequence of str
        The header as `read_table` names it (a repeated name's 2nd column ``name [2]``;
        pandas' ``name.1`` is read the same way).
    values : mapping, optional
        {column: some of its values}, to tell ids from names, micros from rubles and
        the qualification classes.

    Returns
    -------
    Recognised
        The layout, and the section of a profile it makes (known layouts), or one
        guessed from the column names with TODO questions (``unknown``).
    """
    names = list(_dedupe(_unmangle([str(c).strip().lstrip("\ufeff") for c in columns])))
    cols = _Columns(names)
    vals = values or {}
    for detect, build in _RECOGNISERS:
        if detect(cols):
            rec = build(cols, vals)
            break
    else:
        rec = _guess(cols, vals)
    mapped = set(rec.column_names.values())
    extra = set(rec.personal_data)
    rec.personal_data = [
        n for n in names
        if n not in mapped
        and (n in extra or PERSONAL_HEADER.search(n) or _PERSONAL_EXTRA.search(n))
    ]  # fmt: skip
    _unfilled_macros(rec, vals)
    return rec


def _unfilled_macros(rec: Recognised, vals: Mapping[str, Sequence[str]]) -> None:
    """UTM values that are an ad system's macro never filled in (``{{campaign_id}}``)
    mean no value."""
    if rec.role != "leads":
        return
    found: dict[str, dict[str, None]] = {}
    for fld in ("utm_source", "utm_medium", "utm_campaign", "campaign"):
        name = rec.column_names.get(fld)
        macros = sorted({v for v in vals.get(name or "", ()) if re.fullmatch(r"\{+\w+\}+", v)})
        if macros:
            found[fld] = dict.fromkeys(macros)
    if found:
        values = rec.settings.setdefault("values", {})
        for fld, nulls in found.items():
            values.setdefault(fld, {}).update(nulls)
        rec.settings_comments.setdefault("values", "macros never filled in mean no value")


# amoCRM ----------------------------------------------------------------------------------


def _is_amocrm(c: _Columns) -> bool:
    return c.has(r"название сделки") and c.has(r"этап сделки", r"дата создания сделки")


def _amocrm(c: _Columns, vals) -> Recognised:
    rec = Recognised("amocrm_deals", "amoCRM deals", "leads", "amocrm")
    b = _Build(rec, c, vals)
    b.map("lead_id", r"id", todo="")
    b.map("created_at", r"дата создания сделки", r"дата создания", todo="")
    for fld in ("utm_source", "utm_medium", "utm_campaign"):
        ref = c.find(fld, last=True)
        comment = ""
        if ref is not None and ref.of > 1:
            comment = f"the tracking group's ({ref.occurrence} of {ref.of} so named)"
        b.map(fld, fld, last=True, comment=comment, todo="")
    b.map("visitor_id", r"_ym_uid", comment="Metrica's ClientID: joins web_analytics")
    b.map("channel", r"источник", optional=True, comment="a custom field")
    b.map("segment", r"сегмент", r"отрасль", optional=True, comment="a custom field", todo="")
    b.map("manager", r"ответственный", todo="")
    _qualification_map(b, r"квалификация", r"качество лида", r"качество")
    b.map("revenue", r"бюджет.*", comment="the deal's budget: revenue of won deals", todo="")
    b.map(
        "won_at", r"дата закрытия", null_values=["не закрыта"],
        comment="the close date: the sale's date for won deals",
    )  # fmt: skip
    b.map("stage", r"этап сделки", todo="")
    b.map("lost_reason", r"причина отказа", optional=True, last=True)
    b.map("tags", r"теги")
    rec.settings["converted"] = {"column": "stage", "values": ["Успешно реализовано"]}
    rec.settings_comments["converted"] = "amoCRM's won stage"
    _source_fallback(b)
    rec.options = {"delimiter": ","}
    rec.currency = _currency_of(rec.column_names.get("revenue", ""))
    rec.personal_data = _free_text(
        c, r"примечание.*", r"название сделки", r"должность", r"компания"
    )
    return rec


def _free_text(c: _Columns, *patterns: str) -> list[str]:
    """Columns of free text that often hold names or phones (notes, deal titles)."""
    rx = re.compile("|".join(f"(?:{p})" for p in patterns))
    return [n for n in c.names if rx.fullmatch(_norm(n))]


# Bitrix24 --------------------------------------------------------------------------------


def _is_bitrix_deals(c: _Columns) -> bool:
    return c.has(r"название сделки") and c.has(r"стадия сделки", r"сделка закрыта")


def _is_bitrix_leads(c: _Columns) -> bool:
    return c.has(r"название лида") or (
        c.has(r"дополнительно об источнике") and c.has(r"статус", r"стадия")
    )


def _bitrix_common(b: _Build, rec: Recognised, c: _Columns) -> None:
    b.map("lead_id", r"id", todo="")
    b.map("created_at", r"дата создания", todo="")
    b.map("utm_source", r"рекламная система", r"utm_source", comment="UTM_SOURCE", todo="")
    b.map("utm_medium", r"тип трафика", r"utm_medium", comment="UTM_MEDIUM", todo="")
    b.map(
        "utm_campaign", r"обозначение рекламной кампании", r"utm_campaign",
        comment="UTM_CAMPAIGN", todo="",
    )  # fmt: skip
    b.map("channel", r"источник", comment="Звонок, Веб-сайт, CRM-форма, Реклама, ...")
    b.map("manager", r"ответственный", todo="")
    b.map("revenue", r"сумма", r"возможная сумма.*", todo="")
    _source_fallback(b, {"Звонок", "Веб-сайт", "CRM-форма", "Реклама", "По рекомендации"})
    rec.options = {"delimiter": ";"}
    rec.currency = "RUB" if any("рубл" in v.lower() for v in b.values.get("Валюта", ())) else None


def _bitrix_leads(c: _Columns, vals) -> Recognised:
    rec = Recognised("bitrix24_leads", "Bitrix24 leads", "leads", "bitrix24")
    b = _Build(rec, c, vals)
    _bitrix_common(b, rec, c)
    rec.personal_data = _free_text(c, r"название лида", r"кем создан", r"отчество")
    b.map(
        "visitor_id", r"дополнительно об источнике", pattern="YA:(\\d+)",
        comment="Metrica's ClientID written as YA:<id>",
    )  # fmt: skip
    b.map("stage", r"статус", r"стадия", todo="")
    b.map("segment", r"сегмент", r"отрасль", optional=True, todo="")
    _qualification_map(b, r"квалификация", r"качество лида")
    b.map("lost_reason", todo="which column holds why a lead was junked (Дополнительно о статусе?)")
    if "stage" in rec.columns:
        rec.settings["converted"] = {"column": "stage", "values": ["Качественный лид"]}
        rec.settings_comments["converted"] = (
            "a lead turned into a deal; a leads export knows no sales (the deals export does)"
        )
    else:
        rec.settings_todo["converted"] = (
            "{column: stage, values: [Качественный лид]}",
            "which status means a lead converted?",
        )
    return rec


def _bitrix_deals(c: _Columns, vals) -> Recognised:
    rec = Recognised("bitrix24_deals", "Bitrix24 deals", "leads", "bitrix24")
    b = _Build(rec, c, vals)
    _bitrix_common(b, rec, c)
    rec.personal_data = _free_text(c, r"название сделки", r"компания")
    b.map("stage", r"стадия сделки", r"стадия", todo="")
    b.map(
        "segment", r"сегмент", r"отрасль",
        todo="which column holds the segment (is it the pipeline, Воронка?)",
    )  # fmt: skip
    b.map(
        "won_at", r"дата закрытия",
        todo="which column holds the date of the sale (Предполагаемая дата закрытия is a plan)?",
    )  # fmt: skip
    rec.settings["converted"] = {"column": "stage", "values": ["Сделка успешна"]}
    rec.settings_comments["converted"] = "Bitrix24's won stage (Сделка закрыта = Да is won or lost)"
    return rec


# Yandex.Direct ---------------------------------------------------------------------------


def _is_direct_api(c: _Columns) -> bool:
    return c.has(r"campaignid", r"campaignname") and c.has(r"cost") and c.has(r"date")


def _is_direct_wizard(c: _Columns) -> bool:
    return c.has(r"дата") and c.has(r"расход.*") and c.has(r"кампания", r"№ кампании")


def _direct_api(c: _Columns, vals) -> Recognised:
    rec = Recognised("direct_api", "Yandex.Direct Reports API report", "spend", "direct")
    b = _Build(rec, c, vals)
    b.map("date", r"date", todo="")
    rec.columns["source"] = {"constant": "yandex"}
    rec.comments["source"] = "the whole report is Yandex.Direct"
    _campaign(b, rec, name=(r"campaignname",), id_=(r"campaignid",))
    cost = c.find(r"cost")
    micros = cost is not None and not any(re.search(r"[.,]\d", v) for v in vals.get(cost.name, ()))
    if micros:
        b.map("spend", r"cost", scale=0.000001, comment="money in micros (millionths)")
    else:
        b.map("spend", r"cost", todo="")
    b.map("clicks", r"clicks")
    b.map("impressions", r"impressions")
    rec.options = {"delimiter": "\t", "null_values": ["--"], "drop_rows": ["^Total rows:"]}
    rec.options_comments["null_values"] = "Direct writes -- where there is no value"
    return rec


def _direct_wizard(c: _Columns, vals) -> Recognised:
    rec = Recognised("direct_wizard", "Yandex.Direct report wizard (CSV)", "spend", "direct")
    b = _Build(rec, c, vals)
    b.map("date", r"дата", todo="")
    rec.columns["source"] = {"constant": "yandex"}
    rec.comments["source"] = "the whole report is Yandex.Direct"
    _campaign(b, rec, name=(r"кампания", r"название кампании"), id_=(r"№ кампании",))
    ref = b.map("spend", r"расход.*", todo="")
    b.map("clicks", r"клики")
    b.map("impressions", r"показы")
    rec.options = {"delimiter": ";", "decimal": ",", "drop_rows": ["^Итого"]}
    rec.currency = _currency_of(ref.name if ref else "")
    return rec


# Yandex Metrica --------------------------------------------------------------------------


def _is_metrica(c: _Columns) -> bool:
    return c.any_prefix("ym:s:")


def _metrica(c: _Columns, vals) -> Recognised:
    rec = Recognised("metrica_visits", "Yandex Metrica Logs API visits", "web_analytics", "metrica")
    b = _Build(rec, c, vals)
    b.map("visitor_id", r"ym:s:clientid", todo="")
    b.map("session_start", r"ym:s:datetime", r"ym:s:date", todo="")
    if not b.map("utm_source", r"ym:s:utmsource"):
        if b.map("utm_source", r"ym:s:lastadvengine", comment="no UTMSource: the ad engine"):
            rec.settings["values"] = {"utm_source": {"ya_direct": "yandex", "vkontakte": "vk"}}
        else:
            rec.todo["utm_source"] = _QUESTIONS["utm_source"]
    b.map("utm_medium", r"ym:s:utmmedium")
    b.map("utm_campaign", r"ym:s:utmcampaign")
    b.map("landing_page", r"ym:s:starturl")
    rec.settings["attribution"] = "last_non_direct"
    rec.options = {"delimiter": "\t"}
    return rec


# VK Ads ----------------------------------------------------------------------------------


def _is_vk_api(c: _Columns) -> bool:
    return c.has(r"base\.spent") or (c.has(r"items\.id") and c.has(r"date"))


def _is_vk_cabinet(c: _Columns) -> bool:
    return c.has(r"потрачено.*")


def _vk_api(c: _Columns, vals) -> Recognised:
    rec = Recognised("vk_api", "VK Ads API statistics (JSON)", "spend", "vk")
    b = _Build(rec, c, vals)
    b.map("date", r"date", r"rows\.date", todo="")
    rec.columns["source"] = {"constant": "vk"}
    rec.comments["source"] = "the whole report is VK Ads"
    b.map(
        "campaign", r"items\.id", r"id",
        comment="the ad plan's id: the CRM's utm_campaign must hold it ({{campaign_id}})",
        todo="",
    )  # fmt: skip
    b.map("spend", r"base\.spent", todo="")
    b.map("clicks", r"base\.clicks")
    b.map("impressions", r"base\.shows")
    rec.options = {"records": "items[].rows[]"}
    return rec


def _vk_cabinet(c: _Columns, vals) -> Recognised:
    rec = Recognised("vk_cabinet", "VK Ads cabinet statistics (CSV)", "spend", "vk")
    b = _Build(rec, c, vals)
    b.map("date", r"дата", r"день", todo="")
    rec.columns["source"] = {"constant": "vk"}
    rec.comments["source"] = "the whole report is VK Ads"
    _campaign(b, rec, name=(r"кампания", r"название кампании", r"кампании"), id_=(r"id кампании",))
    ref = b.map("spend", r"потрачено.*", todo="")
    b.map("clicks", r"клики")
    b.map("impressions", r"показы")
    rec.options = {"delimiter": ";", "decimal": ","}
    rec.currency = _currency_of(ref.name if ref else "")
    return rec


# Google Ads ------------------------------------------------------------------------------


def _is_google_ads(c: _Columns) -> bool:
    return c.has(r"campaign") and c.has(r"cost") and c.has(r"impr\.", r"day", r"campaign id")


def _google_ads(c: _Columns, vals) -> Recognised:
    rec = Recognised("google_ads", "Google Ads campaign report", "spend", "google_ads")
    b = _Build(rec, c, vals)
    b.map("date", r"day", r"date", todo="")
    rec.columns["source"] = {"constant": "google"}
    rec.comments["source"] = "the whole report is Google Ads"
    _campaign(b, rec, name=(r"campaign",), id_=(r"campaign id",))
    b.map("spend", r"cost", todo="")
    b.map("clicks", r"clicks")
    b.map("impressions", r"impr\.", r"impressions")
    rec.options = {
        "decimal": ".",
        "dayfirst": False,
        "null_values": ["--"],
        "drop_rows": ["^Total:"],
    }
    codes = {v.upper() for v in vals.get("Currency code", ()) if re.fullmatch(r"[A-Za-z]{3}", v)}
    rec.currency = codes.pop() if len(codes) == 1 else None
    return rec


# HubSpot ---------------------------------------------------------------------------------


def _is_hubspot(c: _Columns) -> bool:
    return c.has(r"record id") and c.has(r"lifecycle stage", r"create date", r"original source")


#: HubSpot's Original Source categories as the kit's sources.
_HUBSPOT_SOURCES = (
    ("Paid Search", "google"),
    ("Display Ads", "google"),
    ("Organic Search", "organic"),
    ("Direct Traffic", "direct"),
    ("Referrals", "referral"),
    ("Offline Sources", "offline"),
    ("Social Media", "social"),
    ("Paid Social", "paid_social"),
    ("Email Marketing", "email"),
    ("Other Campaigns", "other"),
    ("AI Referrals", "referral"),
)


def _hubspot(c: _Columns, vals) -> Recognised:
    rec = Recognised("hubspot_contacts", "HubSpot contacts", "leads", "hubspot")
    b = _Build(rec, c, vals)
    b.map("lead_id", r"record id", todo="")
    b.map("created_at", r"create date", todo="")
    b.map("source", r"original source", comment="HubSpot's category, renamed in values", todo="")
    b.map(
        "campaign", r"original source drill-down 2",
        comment="the UTM slug (or the keyword), not the Google Ads campaign name",
    )  # fmt: skip
    if "source" in rec.columns:
        rec.settings["values"] = {"source": dict(_HUBSPOT_SOURCES)}
        rec.settings_comments["values"] = "Paid Search and Display Ads: if they are Google Ads"
    b.map("segment", r"industry", r"segment", todo="")
    b.map("manager", r"contact owner", r"hubspot owner", todo="")
    b.map(
        "qualification",
        todo="which column holds the qualification (hot, warm, cold)? Lead Status is not one",
    )
    b.map(
        "revenue", r"recent deal amount", r"amount",
        comment="the most recent deal's amount only", todo="",
    )  # fmt: skip
    b.map("won_at", r"became a customer date")
    b.map("stage", r"lifecycle stage", todo="")
    rec.settings["converted"] = {"column": "stage", "values": ["Customer"]}
    rec.settings_comments["converted"] = "lifecycle stage customer"
    rec.options = {"delimiter": ",", "dayfirst": False}
    rec.personal_data = [n for n in c.names if _norm(n) == "company name"]
    return rec


# a lookup table ----------------------------------------------------------------------------


def _is_manager_lookup(c: _Columns) -> bool:
    first = _norm(c.names[0]) if c.names else ""
    return 2 <= len(c.names) <= 8 and first in ("manager", "менеджер", "ответственный")


def _manager_lookup(c: _Columns, vals) -> Recognised:
    rec = Recognised("manager_lookup", "a lookup table by manager", "lookup", "managers")
    rec.settings["key"] = {"manager": c.names[0]}
    b = _Build(rec, c, vals)
    b.map("segment", r"segment", r"сегмент", r"отрасль", r"industry", r"sector")
    b.map("channel", r"channel", r"канал")
    if not rec.columns:
        others = ", ".join(n for n in c.names[1:])
        rec.todo["segment"] = f"which lead field does {others} give (segment?)"
    rec.options = {"delimiter": ","}
    return rec


# the kit's own names, and anything else ---------------------------------------------------


def _is_generic(c: _Columns) -> bool:
    names = set(c.names)
    return {"lead_id", "created_at"} <= names or {"date", "campaign", "spend"} <= names


def _generic(c: _Columns, vals) -> Recognised:
    names = set(c.names)
    role = "leads" if {"lead_id", "created_at"} <= names else "spend"
    rec = Recognised("generic", "the kit's own column names", role, role)
    b = _Build(rec, c, vals)
    order = _LEAD_ORDER if role == "leads" else tuple(_GUESS_SPEND)
    required = ("lead_id", "created_at") if role == "leads" else ("date", "source", "campaign")
    for fld in order:
        if fld == "qualification":
            _qualification_map(b, "qualification", todo=False)
        elif fld in names:
            b.map(fld, re.escape(fld))
        elif fld in required or fld == "spend":
            rec.todo[fld] = _QUESTIONS[fld]
    if role == "leads":
        _converted(rec)
    else:
        rec.optional = [f for f in ("clicks", "impressions") if f in rec.columns]
    return rec


def _guess(c: _Columns, vals) -> Recognised:
    """A section guessed from column names, with TODO questions for the rest."""
    web = {f: c.find(*p) for f, p in _GUESS_WEB.items()}
    spend = {f: c.find(*p) for f, p in _GUESS_SPEND.items()}
    leads_id = c.find(*_GUESS_LEADS["lead_id"])
    required: tuple[str, ...]
    if web["visitor_id"] and web["session_start"] and not spend["spend"]:
        role, patterns, order = "web_analytics", _GUESS_WEB, tuple(_GUESS_WEB)
        required = ("visitor_id", "session_start", "utm_source")
    elif spend["spend"] and (spend["clicks"] or spend["impressions"] or not leads_id):
        role, patterns, order = "spend", _GUESS_SPEND, tuple(_GUESS_SPEND)
        required = ("date", "source", "campaign", "spend")
    else:
        role, patterns, order = "leads", _GUESS_LEADS, _LEAD_ORDER
        required = ("lead_id", "created_at")
    name = {"leads": "leads", "spend": "spend", "web_analytics": "sessions"}[role]
    rec = Recognised("unknown", f"not a known layout: {role} guessed from column names", role, name)
    b = _Build(rec, c, vals)
    for fld in order:
        free = [p for p in patterns.get(fld, ()) if not _taken(c, p)]
        ask = fld in required or fld in _ASK.get(role, ())
        if fld == "qualification":
            _qualification_map(b, *free, todo=ask)
            continue
        b.map(fld, *free, comment="guessed from its name", todo="" if ask else None)
    if role == "leads":
        _converted(rec)
    elif role == "spend":
        rec.optional = [f for f in ("clicks", "impressions") if f in rec.columns]
        if "source" not in rec.columns:
            rec.todo["source"] = (
                "which column holds the source? If the whole file is one ad system, "
                "write source: {constant: yandex} (or google, vk, ...)"
            )
    elif "lead_id" not in rec.columns:
        rec.todo["lead_id"] = (
            "which column holds the lead id (or map leads.columns.visitor_id instead)?"
        )
    return rec


#: Fields asked for in a file of no known layout besides the required ones.
_ASK = {
    "leads": ("utm_source", "segment", "manager", "qualification", "revenue", "stage"),
    "spend": ("clicks", "impressions"),
    "web_analytics": ("utm_medium", "utm_campaign"),
}


def _taken(c: _Columns, pattern: str) -> bool:
    ref = c.find(pattern)
    return ref is not None and ref.name in c.used


def _converted(rec: Recognised) -> None:
    if "converted" in rec.columns:
        rec.settings["converted"] = {"column": "converted"}
        rec.settings_comments["converted"] = "a yes/no column"
    elif "stage" in rec.columns:
        rec.settings_todo["converted"] = (
            "{column: stage, values: [...]}",
            "which stage means a sale?",
        )
    else:
        rec.settings_todo["converted"] = (
            "{column: ...}",
            "which column says a lead became a sale (a yes/no field, or a stage)?",
        )


def _campaign(b: _Build, rec: Recognised, name: tuple[str, ...], id_: tuple[str, ...]) -> None:
    by_name, by_id = b.cols.find(*name), b.cols.find(*id_)
    if by_name:
        rec.campaign_choice["name"] = by_name.name
    if by_id:
        rec.campaign_choice["id"] = by_id.name
    if by_name:
        b.map(
            "campaign",
            *name,
            comment=f"or {by_id.name}, if the CRM's utm_campaign holds ids" if by_id else "",
        )
    else:
        b.map("campaign", *id_, todo="")


_HOT, _WARM, _COLD = r"горяч|hot", r"т[её]пл|warm", r"холод|cold"


def _qualification_map(b: _Build, *patterns: str, todo: bool = True) -> None:
    """Map the qualification column, and its values to hot/warm/cold where they say so."""
    if not b.map("qualification", *patterns, optional=True, todo="" if todo else None):
        return
    rec = b.rec
    seen = sorted(set(b.sample("qualification")), key=str.casefold)
    classes: dict[str, list[str]] = {"hot": [], "warm": [], "cold": [], "unknown": [""]}
    unclassified = []
    for v in seen:
        for cls, rx in (("hot", _HOT), ("warm", _WARM), ("cold", _COLD)):
            if re.search(rx, v, re.I):
                classes[cls].append(v)
                break
        else:
            if v.casefold() in ("unknown", "n/a", "-", "нет"):
                classes["unknown"].append(v)
            else:
                unclassified.append(v)
    if not seen:
        classes = {
            "hot": ["Горячий", "hot"],
            "warm": ["Тёплый", "Теплый", "warm"],
            "cold": ["Холодный", "cold"],
            "unknown": [""],
        }
        rec.settings_comments["qualification"] = "the usual words: check them against your file"
    rec.settings["qualification"] = {k: v for k, v in classes.items() if v}
    if unclassified:
        shown = ", ".join(unclassified[:6])
        rec.settings_todo["qualification_values"] = (
            "",
            f"which class (hot, warm, cold, unknown) are these qualification values: {shown}?",
        )


#: A CRM source field's values (as patterns) and the source they tell.
_CHANNELS: tuple[tuple[str, dict[str, str]], ...] = (
    (r"(яндекс.?)?директ|yandex.?direct|ya.?direct", {"source": "yandex", "medium": "cpc"}),
    (r"vk|вк|вконтакте|vk реклама", {"source": "vk", "medium": "cpc"}),
    (r"google( ads)?|гугл", {"source": "google", "medium": "cpc"}),
    (r"telegram|телеграм", {"source": "telegram"}),
    (r"(входящий )?звонок|телефон|call", {"source": "phone", "medium": "call"}),
    (r"(по )?рекомендаци[яи]|сарафан|referral", {"source": "referral"}),
    (r"crm-форма|форма( на сайте)?", {"source": "website", "medium": "form"}),
    (r"(веб-)?сайт|website", {"source": "website"}),
    (r"e-?mail|почта|рассылка", {"source": "email"}),
    (r"реклама", {"source": "ads"}),
)


def _source_fallback(b: _Build, defaults: Iterable[str] = ()) -> None:
    """Sources for the values of a CRM source field, for leads no UTM tag or visit tells."""
    if "channel" not in b.rec.columns:
        return
    seen = sorted(set(b.sample("channel")) or set(defaults))
    known: dict[str, dict[str, str]] = {}
    unknown = []
    for value in seen:
        hit = next((src for rx, src in _CHANNELS if re.fullmatch(rx, _norm(value))), None)
        if hit:
            known[value] = hit
        else:
            unknown.append(value)
    if known:
        b.rec.settings["source_fallback"] = {"column": "channel", "values": known}
        b.rec.settings_comments["source_fallback"] = "for leads no UTM tag or visit tells"
    if unknown or not known:
        b.rec.settings_todo["source_fallback_values"] = (
            "",
            "which source do these values of the channel field tell: "
            + (", ".join(unknown[:8]) or "(none seen)")
            + "? (source_fallback.values)",
        )


def _currency_of(header: str) -> str | None:
    h = header.casefold()
    if "₽" in h or "руб" in h:
        return "RUB"
    if "₸" in h:
        return "KZT"
    if "$" in h or "usd" in h:
        return "USD"
    if "€" in h or "eur" in h:
        return "EUR"
    return None


_RECOGNISERS = (
    (_is_metrica, _metrica),
    (_is_vk_api, _vk_api),
    (_is_amocrm, _amocrm),
    (_is_bitrix_deals, _bitrix_deals),
    (_is_bitrix_leads, _bitrix_leads),
    (_is_hubspot, _hubspot),
    (_is_direct_api, _direct_api),
    (_is_direct_wizard, _direct_wizard),
    (_is_vk_cabinet, _vk_cabinet),
    (_is_google_ads, _google_ads),
    (_is_generic, _generic),
    (_is_manager_lookup, _manager_lookup),
)


# --- the profile ------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """A draft profile: its YAML text, and what each file was recognised as."""

    path: Path
    text: str
    files: tuple[tuple[Path, Recognised], ...]
    todos: int

    def summary(self) -> str:
        """What was recognised, for the command line."""
        width = max(len(str(p)) for p, _ in self.files)
        lines = ["Recognised:"]
        for path, rec in self.files:
            open_ = len(rec.todo) + len(rec.settings_todo)
            lines.append(
                f"  {str(path):<{width}}  {rec.label} -> {rec.role} (input {rec.input_name}): "
                f"{len(rec.columns)} column(s) mapped" + (f", {open_} TODO" if open_ else "")
            )
        return "\n".join(lines)


def draft_profile(paths: Sequence[Path | str], out: Path | str) -> Draft:
    """Read the files' headers and make the text of a draft profile to be saved at ``out``
    (input paths are written relative to its folder). Nothing is written.

    Raises
    ------
    DataError
        A file is missing or cannot be read as a table.
    """
    out = Path(out)
    if not paths:
        raise DataError(_("give one or more export files to make a profile from"))
    files = []
    for p in paths:
        header = read_header(p)
        values = {c: header.values(c) for c in header.columns}
        rec = recognise(header.columns, values)
        _reading_options(rec, header)
        files.append((Path(p), header, rec))
    text, todos = _compose(files, out)
    return Draft(out, text, tuple((p, r) for p, _, r in files), todos)


def write_draft(paths: Sequence[Path | str], out: Path | str, force: bool = False) -> Draft:
    """`draft_profile`, saved at ``out``.

    Raises
    ------
    FileExistsError
        ``out`` exists and ``force`` is false.
    """
    out = Path(out)
    if out.exists() and not force:
        raise FileExistsError(f"{out} already exists; give --force to overwrite it")
    draft = draft_profile(paths, out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(draft.text, encoding="utf-8")
    return draft


def _reading_options(rec: Recognised, header: Header) -> None:
    """The input's reading options from what the header showed."""
    opts = dict(rec.options)
    if header.kind in ("excel", "html", "json", "parquet"):
        opts.pop("delimiter", None)
    elif header.delimiter:
        opts["delimiter"] = header.delimiter
    if header.encoding and header.encoding.replace("_", "-") not in ("utf-8", "utf-8-sig"):
        opts["encoding"] = header.encoding
    if header.header_row:
        opts["header_row"] = header.header_row
        rec.options_comments["header_row"] = f"{header.header_row - 1} title line(s) above it"
    if header.records:
        opts["records"] = header.records
    order = ("encoding", "delimiter", "decimal", "dayfirst", "header_row", "records",
             "null_values", "drop_rows")  # fmt: skip
    rec.options = {k: opts[k] for k in order if k in opts} | {
        k: v for k, v in opts.items() if k not in order
    }


def _unique(name: str, taken: set[str]) -> str:
    out, n = name, 1
    while out in taken:
        n += 1
        out = f"{name}_{n}"
    taken.add(out)
    return out


def _compose(files: list[tuple[Path, Header, Recognised]], out: Path) -> tuple[str, int]:
    taken: set[str] = set()
    for _p, _h, rec in files:
        rec.input_name = _unique(rec.input_name, taken)
    leads = [r for _, _, r in files if r.role == "leads"]
    spend = [r for _, _, r in files if r.role == "spend"]
    web = [r for _, _, r in files if r.role == "web_analytics"]
    main = next((r for r in leads if r.format != "unknown"), leads[0] if leads else None)
    web_main = web[0] if web else None
    lookups = []
    if main is not None and "manager" in main.columns:
        lookups = [r for _, _, r in files if r.role == "lookup" and r.columns]
    _choose_campaigns(main, files, spend)
    used = {id(r) for r in [main, web_main, *spend, *lookups] if r is not None}

    e = _Emitter()
    e.comment("DRAFT mapping profile, written by `leadkit profile new` from:")
    for path, _h, rec in files:
        e.comment(f"  {path.name}: {rec.label}")
    e.comment("Check each mapping against your files, answer each question marked TODO")
    e.comment("(uncomment its line and name the column), then run:")
    e.comment(f"    leadkit check --profile {out}")
    e.line(f"name: {_flow(out.stem)}")
    e.line(f"title: {_flow('Draft: ' + ', '.join(dict.fromkeys(r.label for _, _, r in files)))}")
    currencies = {r.currency for _, _, r in files if r.currency}
    if len(currencies) == 1:
        e.line(f"currency: {currencies.pop()}")
    else:
        e.line("currency: null", "TODO: which currency are the amounts in (RUB, EUR, ...)?")
        e.todos += 1

    e.line("inputs:")
    for path, _h, rec in files:
        rel = Path(os.path.relpath(path.resolve(), out.resolve().parent)).as_posix()
        block = _Emitter(2, commented=id(rec) not in used)
        if id(rec) in used:
            block.line(f"{rec.input_name}:")
        else:
            why = f"a profile reads one {rec.role} file"
            if rec.role == "lookup":
                why = next(iter(rec.todo.values()), "leads.columns maps no manager")
            block.line(f"{rec.input_name}:", f"not used: {why}")
        block.line(f"  path: {_flow(rel)}", rec.label)
        for key, value in rec.options.items():
            block.line(f"  {key}: {_flow(value)}", rec.options_comments.get(key, ""))
        if rec.role == "web_analytics":
            block.line("  required: false", "the report runs without it")
        e.extend(block)
    if main is None:
        e.line("  leads:", "TODO: no CRM export was given")
        e.line("    path: null", "give it with --input leads=FILE")

    personal = list(dict.fromkeys(c for _, _, r in files if id(r) in used for c in r.personal_data))
    if personal:
        e.line(f"personal_data: {_flow(personal)}", "dropped as the files are read")

    e.line("leads:")
    if main is None:
        e.line("  input: leads")
        e.line("  columns:")
        for fld in ("lead_id", "created_at"):
            e.todo(f"    {fld}: ...", _QUESTIONS[fld])
        e.todo("  converted: {column: ...}", "which column says a lead became a sale?")
    else:
        if web_main is not None and "visitor_id" not in main.columns:
            main.todo.setdefault(
                "visitor_id", "which column holds the Metrica ClientID (joins web_analytics)?"
            )
        _section(e, main, "  ", lookups=lookups)

    if spend:
        e.line("spend:")
        for rec in spend:
            _section(e, rec, "    ", first="  - ")
    if web_main is not None:
        if main is not None and "visitor_id" in main.columns:
            web_main.todo.pop("lead_id", None)
        elif "lead_id" not in web_main.columns:
            web_main.todo["lead_id"] = (
                "which column holds the lead id? (or map leads.columns.visitor_id to the "
                "visitor id the CRM keeps)"
            )
        e.line("web_analytics:")
        _section(e, web_main, "  ")
    return e.text(), e.todos


def _choose_campaigns(main: Recognised | None, files, spend: list[Recognised]) -> None:
    """Spend campaigns by id or by name: whichever the CRM's campaign values match (the
    CRM's utm_campaign often holds the ad system's campaign id, the {campaign_id} macro)."""
    if main is None:
        return
    crm = next(h for _, h, r in files if r is main)
    name = main.column_names.get("utm_campaign") or main.column_names.get("campaign")
    utm = set(crm.values(name)) if name else set()
    if not utm:
        return
    for rec in spend:
        header = next(h for _, h, r in files if r is rec)
        choice = dict(rec.campaign_choice) or {"id": rec.column_names.get("campaign", "")}
        hits = {kind: len(utm & set(header.values(col))) for kind, col in choice.items()}
        best = max(hits, key=lambda k: hits[k])
        if hits[best] == 0:
            example = sorted(utm)[0]
            rec.comments["campaign"] = (
                f"matches none of the CRM's {name} values (e.g. {example}): rename with "
                "spend values: {campaign: {...}}"
            )
            continue
        rec.columns["campaign"] = choice[best]
        rec.column_names["campaign"] = choice[best]
        what = "ids" if best == "id" else "names"
        rec.comments["campaign"] = f"the campaign {what} the CRM's {name} holds"


def _section(
    e: _Emitter,
    rec: Recognised,
    ind: str,
    first: str | None = None,
    lookups: Sequence[Recognised] = (),
) -> None:
    e.line(f"{first or ind}input: {rec.input_name}", rec.label if first else "")
    e.line(f"{ind}columns:")
    fields = {"leads": _LEAD_ORDER, "spend": tuple(_GUESS_SPEND), "web_analytics": _GUESS_WEB}
    order = list(dict.fromkeys([*fields.get(rec.role, ()), *rec.columns, *rec.todo]))
    for fld in order:
        if fld in rec.columns:
            e.line(f"{ind}  {fld}: {_flow(rec.columns[fld])}", rec.comments.get(fld, ""))
        elif fld in rec.todo:
            e.todo(f"{ind}  {fld}: ...", rec.todo[fld])
    optional = [f for f in rec.optional if f in rec.columns]
    if rec.role == "spend":
        optional = [f for f in ("clicks", "impressions") if f in rec.columns]
    if optional:
        e.line(f"{ind}optional: {_flow(optional)}")
    for key, value in rec.settings.items():
        _block(e, ind, key, value, rec.settings_comments.get(key, ""))
    for key, (example, question) in rec.settings_todo.items():
        if example:
            e.todo(f"{ind}{key}: {example}", question)
        else:
            e.todo(f"{ind}", question)
    if lookups:
        e.line(f"{ind}lookups:")
        for lk in lookups:
            e.line(f"{ind}  - input: {lk.input_name}", lk.label)
            e.line(f"{ind}    key: {_flow(lk.settings['key'])}")
            if lk.columns:
                e.line(f"{ind}    columns: {_flow(lk.columns)}")
            for fld, question in lk.todo.items():
                e.todo(f"{ind}    columns: {{{fld}: ...}}", question)


def _block(e: _Emitter, ind: str, key: str, value: Any, comment: str = "") -> None:
    if isinstance(value, dict) and not _small(value):
        e.line(f"{ind}{key}:", comment)
        for k, v in value.items():
            _block(e, ind + "  ", _flow(k), v)
    else:
        e.line(f"{ind}{key}: {_flow(value)}", comment)


def _small(value: dict) -> bool:
    return all(not isinstance(v, dict) for v in value.values()) and len(_flow(value)) <= 60


def _flow(value: Any) -> str:
    """One value as YAML flow text (quoted where YAML would read it otherwise)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flow(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:.12f}".rstrip("0").rstrip(".")
    text = yaml.safe_dump([value], default_flow_style=True, allow_unicode=True, width=1 << 20)
    return text.strip()[1:-1]


class _Emitter:
    """Lines of YAML with aligned end-of-line comments and commented-out TODO lines."""

    COMMENT_AT = 44

    def __init__(self, indent: int = 0, commented: bool = False) -> None:
        self.lines: list[str] = []
        self.indent = " " * indent
        self.commented = commented
        self.todos = 0

    def line(self, text: str, comment: str = "") -> None:
        if self.commented:
            text = f"# {text}"
        text = self.indent + text
        if comment:
            text = f"{text.ljust(self.COMMENT_AT - 1)} # {comment}"
        self.lines.append(text)

    def todo(self, text: str, question: str) -> None:
        self.todos += 1
        lead = len(text) - len(text.lstrip())
        body = text.strip()
        if body:
            self.lines.append(
                f"{' ' * lead}# {body}".ljust(self.COMMENT_AT - 1) + f" # TODO: {question}"
            )
        else:
            self.lines.append(f"{' ' * lead}# TODO: {question}")

    def comment(self, text: str) -> None:
        self.lines.append(f"# {text}".rstrip())

    def extend(self, other: _Emitter) -> None:
        self.lines += other.lines
        self.todos += other.todos

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"
