"""The reader's language: sentences from gettext catalogues, numbers and dates in the
language's locale.

Every sentence a reader sees is written in English in the code, as a whole sentence
with named placeholders, and looked up in the language's catalogue
(``analysis/base/locale/<lang>/LC_MESSAGES/leadkit.po``, read with Babel, compiled in
memory once per process; ``make translations`` extracts the sentences and updates the
catalogues):

>>> with use_language("ru"):
...     n_("{n} lead", "{n} leads", 21)
'21 лид'

English needs no catalogue: the code's sentences are the English text. A sentence a
catalogue lacks (or has not translated yet) stays English; `untranslated` lists them
for the tests.

The language is per process (each page's kernel sets its own, from the report's
setting, in `analysis.insight.context.report_context`) and can be changed for a block
with `use_language`.
"""

from __future__ import annotations

import contextvars
import datetime as _dt
import gettext
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

__all__ = [
    "LANGUAGES",
    "DEFAULT_LANGUAGE",
    "language",
    "set_language",
    "use_language",
    "check_language",
    "LANGUAGE_ENV",
    "chosen_language",
    "_",
    "n_",
    "N_",
    "locale_name",
    "fmt_int",
    "fmt_number",
    "fmt_count",
    "join_words",
    "fmt_date",
    "untranslated",
    "markdown",
    "extract_notebook",
]

#: The languages the kit writes in, with the locale of their numbers and dates.
LANGUAGES = {"en": "en", "ru": "ru_RU"}
DEFAULT_LANGUAGE = "en"
DOMAIN = "leadkit"
LOCALE_DIR = Path(__file__).with_name("locale")

#: The process's language (a kernel's cells run in tasks of their own, so a context
#: variable set in one cell would not reach the next), and a block's (`use_language`).
_process = [DEFAULT_LANGUAGE]
_block: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "leadkit_language", default=None
)


def check_language(lang: str | None) -> str:
    """``lang`` as the kit names it ("ru", "en"; "ru_RU" and "RU" are "ru"), or a
    ValueError naming the languages there are. None or "" is the default."""
    if not lang:
        return DEFAULT_LANGUAGE
    short = str(lang).strip().replace("-", "_").split("_")[0].lower()
    if short not in LANGUAGES:
        raise ValueError(f"no language {lang!r}: the kit writes in {', '.join(sorted(LANGUAGES))}")
    return short


#: The environment variable that, when set, is the language of every report whose run
#: names none (``--lang``, a notebook's LANGUAGE), over profiles and client files: the
#: reader's own language (an English-speaking auditor of Russian clients sets ``en``).
LANGUAGE_ENV = "LEADKIT_LANGUAGE"


def chosen_language(asked: str | None, configured: str | None) -> str:
    """A report's language: the one asked for (``--lang``, LANGUAGE), else
    ``$LEADKIT_LANGUAGE``, else the profile's or client file's, else the default."""
    import os

    return check_language(asked or os.environ.get(LANGUAGE_ENV) or configured)


def language() -> str:
    """The language sentences and numbers are written in now."""
    return _block.get() or _process[0]


def set_language(lang: str | None) -> str:
    """Write in ``lang`` from now on, in this process."""
    _process[0] = check_language(lang)
    return _process[0]


@contextmanager
def use_language(lang: str | None) -> Iterator[str]:
    """Write in ``lang`` inside the block (in this thread or task)."""
    token = _block.set(check_language(lang))
    try:
        yield language()
    finally:
        _block.reset(token)


def locale_name(lang: str | None = None) -> str:
    """The Babel locale of ``lang`` (default: the current language)."""
    return LANGUAGES[check_language(lang or language())]


@cache
def _catalogue(lang: str):
    """The catalogue of ``lang`` as Babel read it (None for English)."""
    if lang == DEFAULT_LANGUAGE:
        return None
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as f:
        return read_po(f, locale=LANGUAGES[lang], domain=DOMAIN)


@cache
def _translations(lang: str) -> gettext.NullTranslations:
    catalogue = _catalogue(lang)
    if catalogue is None:
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.support import Translations

    buf = io.BytesIO()
    write_mo(buf, catalogue, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


def _(message: str, /, **values) -> str:
    """``message`` in the current language, its ``{placeholders}`` filled from
    ``values`` (a message without values is returned as it is, braces and all)."""
    text = _translations(language()).gettext(message)
    return text.format(**values) if values else text


def N_(message: str, /) -> str:
    """Mark ``message`` for the catalogue without translating it now (a word kept in a
    table, such as a column header, looked up with `_` when it is shown)."""
    return message


def n_(singular: str, plural: str, n: int, /, **values) -> str:
    """The form of a sentence for the count ``n`` (Russian has three: 1 лид, 2 лида,
    5 лидов), its ``{n}`` written as the language writes whole numbers and its other
    placeholders filled from ``values``."""
    text = _translations(language()).ngettext(singular, plural, int(n))
    return text.format(n=fmt_int(n), **values)


def fmt_int(n: int) -> str:
    """A count as every page writes it, in every language: thousands apart by a narrow
    no-break space (``4 335``; the typographic rule in Russian, unambiguous in English,
    where "4,335" would read as a decimal to a Russian reader)."""
    return f"{int(n):,}".replace(",", "\u202f")


def fmt_number(v: float, spec: str = ",") -> str:
    """A number in a sentence, formatted with ``spec``: as Python writes it in English
    (``4,335``, ``0.031``; the English sentences and their tests have it so), with
    narrow no-break spaces between thousands and a decimal comma in other languages
    (``4\u202f335``, ``0,031``).

    >>> fmt_number(4335), fmt_number(0.0312, ".2g")
    ('4,335', '0.031')
    """
    text = format(v, spec)
    if language() == "en":
        return text
    return text.replace(",", "\u202f").replace(".", ",")


def fmt_count(n: int) -> str:
    """A count in a sentence that the English has always written with a comma
    (``4,335``): `fmt_number` of the whole number (``4 335`` in Russian)."""
    return fmt_number(int(n), ",")


def join_words(items: list[str]) -> str:
    """Items joined as the language lists them ("a and b and c" in English, as the
    sentences always wrote it; "a, b и c" in Russian, by Babel)."""
    if language() == "en":
        return " and ".join(items)
    from babel.lists import format_list

    return format_list(items, locale=locale_name())


def fmt_date(day: _dt.date | str, form: str = "long") -> str:
    """A date in words: ``April 1, 2026`` or ``1 апреля 2026 г.``."""
    from babel.dates import format_date

    if isinstance(day, str):
        day = _dt.date.fromisoformat(day[:10])
    return format_date(day, format=form, locale=locale_name())


def untranslated(lang: str) -> list[str]:
    """The catalogue's sentences of ``lang`` with no translation (or a fuzzy one)."""
    catalogue = _catalogue(check_language(lang))
    if catalogue is None:
        return []
    out = []
    for m in catalogue:
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, tuple | list) else (m.string,)
        if m.fuzzy or not all(strings):
            out.append(m.id if isinstance(m.id, str) else m.id[0])
    return out


def _block_key(block: str) -> tuple[str, str]:
    """A Markdown block's catalogue key and the prefix its translation keeps: a heading's
    text after its hashes; a list's items one per line; a paragraph's lines joined by
    spaces (the source wraps them where it likes)."""
    lines = [line.strip() for line in block.strip().splitlines()]
    head = re.match(r"(#{1,6} )(.*)", lines[0]) if lines else None
    if head and len(lines) == 1:
        return head.group(2).strip(), head.group(1)
    if lines and re.match(r"([-*]|\d+\.) ", lines[0]):
        # a list: one item per line, its wrapped lines joined
        items: list[str] = []
        for line in lines:
            if re.match(r"([-*]|\d+\.) ", line) or not items:
                items.append(line)
            else:
                items[-1] += " " + line
        return "\n".join(items), ""
    return " ".join(" ".join(lines).split()), ""


def _pieces(block: str) -> list[str]:
    """A block's pieces: a heading line on its own, and the lines under it."""
    lines = block.split("\n")
    if len(lines) > 1 and re.match(r"#{1,6} ", lines[0].strip()):
        return [lines[0], "\n".join(lines[1:])]
    return [block]


def markdown(text: str) -> str:
    """A notebook's Markdown cell in the current language, piece by piece (blocks are
    separated by blank lines, and a heading is a piece of its own); a piece the
    catalogue lacks stays as written. `extract_notebook` puts the pieces in the
    catalogue."""
    if language() == DEFAULT_LANGUAGE:
        return text
    found = _translations(language())

    def one(piece: str) -> str:
        key, prefix = _block_key(piece)
        got = found.gettext(key) if key else key
        return piece if not key or got == key else prefix + got

    return "\n\n".join("\n".join(one(p) for p in _pieces(b)) for b in text.split("\n\n"))


def extract_notebook(fileobj, keywords, comment_tags, options):
    """Babel's extractor for notebooks (``make translations``): every piece of every
    Markdown cell, keyed as `markdown` looks it up."""
    import json as _json

    nb = _json.loads(fileobj.read().decode("utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else source
        for block in text.split("\n\n"):
            for piece in _pieces(block):
                key, _prefix = _block_key(piece)
                if key:
                    yield 1, None, key, []
