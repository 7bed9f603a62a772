"""Personal data never reach a report: columns named like names, phones or e-mails are
dropped at load, and values in kept text columns that look like e-mails or phone numbers
are replaced by pseudonyms.
"""

from __future__ import annotations

import hashlib
import re

import pandas as pd

from analysis.ingest.notes import Notes
from analysis.ingest.profiles import Profile
from analysis.ingest.readers import RawTable

__all__ = ["PERSONAL_HEADER"]

#: Header words that mark a column as personal data (dropped unless a profile maps it).
PERSONAL_HEADER = re.compile(
    r"e-?mail|почт|phone|tel\b|телефон|мобильн|^name$|first.?name|last.?name|full.?name|"
    r"фио|^имя|фамил|отчеств|контакт|contact|passport|паспорт|address|адрес|birth|рожден",
    re.IGNORECASE,
)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")

_PHONE = re.compile(r"(?:\+?\d[\s()\-\xa0]*){10,}")

TEXT_FIELDS = ("medium", "segment", "manager", "stage", "lost_reason")


def _pseudonym(kind: str, value: str) -> str:
    return f"{kind}-{hashlib.sha256(value.encode('utf-8')).hexdigest()[:8]}"


def scrub(s: pd.Series, column: str, input_name: str, notes: Notes) -> pd.Series:
    """Replace values that look like e-mails or phone numbers by stable pseudonyms."""
    text = s.fillna("").astype(str)
    personal = text.str.contains(_EMAIL) | text.str.contains(_PHONE)
    if personal.any():
        notes.add(
            "warning",
            input_name,
            f"{int(personal.sum())} value(s) of {column!r} looked like e-mails or phone "
            "numbers; they were replaced by pseudonyms (e.g. manager-1a2b3c4d) so no personal "
            "data reaches a report",
        )
        s = s.where(~personal, text.map(lambda v: _pseudonym(column, v)))
    return s


def drop_personal(profile: Profile, name: str, table: RawTable) -> tuple[RawTable, list[str]]:
    personal = [
        c for c in table.frame.columns if c in profile.personal_data or PERSONAL_HEADER.search(c)
    ]
    mapped = _mapped_columns(profile, name)
    personal = [c for c in personal if c not in mapped]
    if personal:
        table = RawTable(
            table.name,
            table.path,
            table.frame.drop(columns=personal),
            table.first_row,
            table.encoding,
            table.delimiter,
            table.sha256,
        )
    return table, personal


def _mapped_columns(profile: Profile, input_name: str) -> set[str]:
    out: set[str] = set()
    sections = [
        profile.leads,
        profile.leads.get("join") or {},
        profile.spend or {},
        profile.web_analytics or {},
    ]
    for sec in sections:
        if sec.get("input") == input_name:
            out |= set((sec.get("columns") or {}).values())
            if "key" in sec:
                out.add(sec["key"])
    return out
