"""What a reader of a rendered report sees, as text, and the Latin-script words in it
that are not the data's own names, codes or acronyms (the check of a translated page)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from pathlib import Path

#: Names that are the same in every language: the kit's, the CRMs' and ad systems'.
PROPER_NAMES = {
    "leadkit",
    "amocrm",
    "bitrix24",
    "yandex",
    "direct",
    "metrica",
    "hubspot",
    "google",
    "ads",
    "olist",
    "parquet",
    "duckdb",
    "excel",
    "utm",
}

_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")


def page_text(path: Path) -> str:
    """The visible text of an HTML page, with the alternative text of its images (the
    figures' titles, axes and legends, written into each figure's alt); the text of
    <code> is left out (codes are not translated)."""
    t = path.read_text(encoding="utf-8")
    t = re.sub(r"<(style|script|code)\b.*?</\1>", " ", t, flags=re.S | re.I)
    alts = re.findall(r'\balt="([^"]*)"', t)
    t = re.sub(r"<[^>]+>", " ", t)
    return html.unescape(t + "\n" + "\n".join(alts))


def data_words(names: Iterable[str]) -> set[str]:
    """The Latin words of the data's names (sources, campaigns, managers, files), in
    lower case."""
    out: set[str] = set()
    for name in names:
        out.update(w.lower() for w in _LATIN_WORD.findall(str(name)))
    return out


def foreign_words(text: str, allowed: set[str]) -> list[str]:
    """The Latin words of ``text`` a Russian reader should not see: not a code (digits
    or underscores in it, or inside a file name), not an acronym (CPL, ROMI, BH), not a
    proper name or a word of the data's names; each with its context."""
    found = []
    # what the page quotes from the data as it is: a cell or a line of a file in ASCII
    # quotes ('Total rows: 390'; the kit's own quotes are «» in Russian), a JSON path
    text = re.sub(r"'[^'\n]{1,80}'", " ", text)
    text = re.sub(r"\S*\[\]\S*", " ", text)
    for token in re.finditer(r"[\w.’'/-]+", text):
        word = token.group(0)
        if not re.search(r"[A-Za-z]", word) or re.search(r"[\d_]", word):
            continue
        if re.search(r"[А-Яа-яЁё]", word):
            continue
        for w in _LATIN_WORD.findall(word):
            if (w.isupper() and len(w) >= 2) or w.lower() in allowed or w.lower() in PROPER_NAMES:
                continue
            if len(w) == 1 and w in "pqnkx":  # statistics' letters: p-значение, n, k
                continue
            start = max(0, token.start() - 40)
            found.append(f"{w!r} in …{text[start : token.end() + 40]!r}…")
    return found
