"""Personal data never reach a report, by column and by value.

By column: columns whose header looks like a name, phone, e-mail, address or birth date
(`PERSONAL_HEADER`), or that the profile lists under ``personal_data``, are dropped as
the file is read (`drop_personal`).

By value: every kept text field of the canonical leads (lead_id, source, medium,
campaign, segment, manager, stage, lost_reason: whether they came from a column, from
the UTM tags of a landing URL or from web-analytics sessions) and the spend table's
source and campaign are searched for e-mail addresses and phone numbers, and each one
found is replaced in place by a pseudonym (`scrub`, `pseudonymise`). This happens in the
mapping step, before anything is validated, cached, streamed to Parquet or shown; a
note in the load's notes says how many values of which field were changed (never the
values).

Pseudonyms
    ``email-`` or ``phone-`` and the first 12 hex digits of the SHA-256 of the normalised
    value: the e-mail lower-cased, the phone as ``+`` and its international digits
    (``8 925 ...``, ``7 925 ...`` and ``+7 925 ...`` are one number). The same value
    gives the same pseudonym in every field, file and run, so a campaign named after an
    e-mail still joins its spend, and a lead id stays unique. Only the e-mail or phone
    is replaced and the rest of a value is kept (``Spring +7 925 555-12-34`` becomes
    ``Spring phone-…``; in ``spring_ivan@mail.example`` the ``_`` belongs to the
    e-mail's local part, so all of it becomes ``email-…``). A pseudonym is a hash, not
    encryption: someone who holds a list of phone numbers can tell which one it was. It
    keeps personal data out of the pages, tables and caches, not out of reach of the
    data's owner.

URL encoding
    Values are searched as they read after decoding ``%XX`` escapes (``ivan%40mail.ru``,
    ``%2B7%20925...``; escapes escaped again, up to three times), and the escaped text is
    replaced, so the rest of the value keeps
    its own form. (`analysis.ingest.attribution.utm_from_urls` keeps a ``+`` inside an
    e-mail or phone of a query string, which form-decoding would turn into a space.)

E-mail rule
    One or more of letters, digits, ``. _ + -`` (a ``+tag`` included), ``@``, one or more
    dot-separated domain labels (subdomains included) and a top-level domain of two or
    more letters. ``brand@2026`` (no domain) is not an e-mail.

Phone rule
    A candidate is a run of digits, optionally led by ``+``, in which digits are joined
    by up to three separators: spaces (also non-breaking, thin and narrow ones), any
    dash (``-``, hyphens, figure dash, en and em dash, minus sign ``−``), ``.``, ``(``
    and ``)``; it starts and ends next to something that is not a letter or a digit (so
    nothing inside a click id like a gclid is taken). Its digits, separators removed,
    must number 10 to 15 (E.164 allows 15; ids of up to 9 digits never qualify, nor a
    yclid's 17 to 20 digits), and it must have one of these structures:

    * led by ``+`` and a first digit that is not 0 (any country: ``+44 20 7946 0958``);
    * 11 digits starting ``7`` or ``8`` then ``3``, ``4``, ``8`` or ``9`` (a Russian or
      Kazakh number with its trunk or country digit), written as one block
      (``89255551234``), or with the ``7``/``8`` apart from a 3-digit code
      (``8 (925) 555-12-34``) or from the other ten digits (``8 9255551234``);
    * 10 digits starting ``3``, ``4``, ``8`` or ``9`` (a Russian number without prefix)
      grouped as a phone is: a bracketed code ``(495) 123-45-67``, or blocks of
      3-3-2-2, 3-3-4 or 3-7;
    * a bracketed code of 2 to 5 digits that is not a year, at most three digits
      before it, blocks of 2 to 4 digits after it, 10 to 15 digits in all
      (``(212) 555-1234``, ``0 (30) 1234 5678``).

    Whatever the structure, a candidate without ``+`` is not a phone when it holds a
    date (``2026-01-05``, ``05.01.2026``, with ``-``, ``.`` or ``/``, a time after it
    included) or is grouped like an amount (``1 234 567 890``: one to three digits,
    then blocks of exactly three joined by one and the same separator). Digits that run
    into other numbers (``2026 8 925 555 12 34``: 15 digits) are one candidate and not
    a phone; numbers of other countries written without ``+`` or a bracketed code are
    not recognised (they cannot be told from ids).
"""

from __future__ import annotations

import codecs
import dataclasses
import hashlib
import re

import pandas as pd

from analysis.base.i18n import n_
from analysis.ingest.notes import Notes, counted
from analysis.ingest.profiles import Profile, base_name, mapped_columns
from analysis.ingest.readers import RawTable

__all__ = ["PERSONAL_HEADER", "personal_spans", "pseudonym", "pseudonymise", "scrub"]

#: Header words that mark a column as personal data (dropped unless a profile maps it).
PERSONAL_HEADER = re.compile(
    r"e-?mail|почт|phone|tel\b|телефон|мобильн|^name$|first.?name|last.?name|full.?name|"
    r"фио|^имя|фамил|отчеств|контакт|contact|passport|паспорт|address|адрес|birth|рожден",
    re.IGNORECASE,
)

_SPACES = " \t\xa0\u2007\u2009\u202f"
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_SEP = f"[{_SPACES}{_DASHES}.()]"

# a pseudonym already made is left as it is (scrubbing twice changes nothing)
_TOKEN = r"(?P<token>(?:email|phone)-[0-9a-f]{12})(?![0-9a-f])"
_EMAIL_RE = r"(?P<email>(?<![\w.+\-])[\w.+\-]+@(?:[^\W_](?:[\w\-]*[^\W_])?\.)+[^\W\d_]{2,})"
_PHONE_RE = (
    rf"(?P<phone>(?<![^\W_])(?:\+[{_SPACES}]{{0,2}})?\(?[0-9](?:{_SEP}{{0,3}}[0-9])*+\)?)"
    r"(?![^\W_])"
)
_FIND = re.compile(f"{_TOKEN}|{_EMAIL_RE}|{_PHONE_RE}")

# A value is searched only when it could hold one (a cheap test on the whole column, in
# the regular-expression dialect Arrow runs too: no look-arounds): an @, an escape, a
# + or a bracket, eleven digits like 89255551234 in one block, or ten digits with a
# separator between two of them. Anything `personal_spans` finds passes it.
MAYBE = r"@|%[0-9A-Fa-f]{2}|\+|\(|\)|(?:^|[^0-9A-Za-z])[78][3489][0-9]{9}(?:$|[^0-9A-Za-z])"
MAYBE_DIGITS = r"(?:[0-9][^0-9]*){10}"
MAYBE_SEPARATED = f"[0-9]{_SEP}{{1,3}}[0-9]"

_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_DATE_SEP = f"[{_DASHES}./]"
_DATE = re.compile(
    rf"(?<![0-9])(?:(?:19|20)[0-9]{{2}}{_DATE_SEP}[0-9]{{1,2}}{_DATE_SEP}[0-9]{{1,2}}"
    rf"|[0-9]{{1,2}}{_DATE_SEP}[0-9]{{1,2}}{_DATE_SEP}(?:19|20)[0-9]{{2}})(?![0-9])"
)
_BRACKET = re.compile(rf"\([{_SPACES}]*[0-9]{{2,5}}[{_SPACES}]*\)")
_GROUPS = re.compile(r"[0-9]+")


def _phone_key(run: str) -> str | None:
    """The phone number a candidate run is, as ``+`` and its international digits, or
    None when it is not a phone (the rule is in the module's text)."""
    digits = "".join(_GROUPS.findall(run))
    n = len(digits)
    if not 10 <= n <= 15:
        return None
    if run.startswith("+"):
        return "+" + digits if digits[0] != "0" else None
    if _DATE.search(run):
        return None
    groups = _GROUPS.findall(run)
    sizes = [len(g) for g in groups]
    seps = set(_GROUPS.split(run)[1:-1])
    if len(groups) >= 3 and sizes[0] <= 3 and set(sizes[1:]) == {3} and len(seps) == 1:
        return None  # 1 234 567 890: an amount
    if n == 11 and digits[0] in "78" and digits[1] in "3489":
        if len(groups) == 1 or (sizes[0] == 1 and sizes[1] in (3, 10)):
            return "+7" + digits[1:]
    bracket = _BRACKET.search(run) is not None
    if n == 10 and digits[0] in "3489" and len(groups) > 1:
        if (bracket and sizes[0] == 3) or sizes in ([3, 3, 2, 2], [3, 3, 4], [3, 7]):
            return "+7" + digits
    if bracket and _foreign_bracketed(run):
        return "+" + digits
    return None


def _foreign_bracketed(run: str) -> bool:
    """``(212) 555-1234``, ``0 (30) 1234 5678``: at most three digits before a bracketed
    code that is not a year, and blocks of 2 to 4 digits after it."""
    m = _BRACKET.search(run)
    assert m is not None
    code = "".join(_GROUPS.findall(m.group()))
    before = "".join(_GROUPS.findall(run[: m.start()]))
    after = [len(g) for g in _GROUPS.findall(run[m.end() :])]
    year = len(code) == 4 and code[:2] in ("19", "20")
    return not year and len(before) <= 3 and bool(after) and all(2 <= k <= 4 for k in after)


def _decoded(text: str) -> tuple[str, list[int]]:
    """``text`` with its ``%XX`` escapes decoded (UTF-8), and where each decoded
    character starts in ``text`` (one more entry: ``len(text)``)."""
    out: list[str] = []
    starts: list[int] = []
    pos = 0
    for m in _ESCAPES.finditer(text):
        out.extend(text[pos : m.start()])
        starts.extend(range(pos, m.start()))
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        first = m.start()  # where the bytes of the character being decoded began
        for k in range(m.start(), m.end(), 3):
            chars = decoder.decode(bytes([int(text[k + 1 : k + 3], 16)]))
            for ch in chars:
                out.append(ch)
                starts.append(first)
            if chars:
                first = k + 3
        for ch in decoder.decode(b"", final=True):
            out.append(ch)
            starts.append(first)
        pos = m.end()
    out.extend(text[pos:])
    starts.extend(range(pos, len(text)))
    starts.append(len(text))
    return "".join(out), starts


def personal_spans(text: str) -> list[tuple[int, int, str, str]]:
    """Where ``text`` holds e-mails and phone numbers (after decoding ``%XX`` escapes).

    Returns
    -------
    list of (start, end, kind, key)
        Positions in ``text`` itself (an escaped e-mail's span covers its escapes),
        ``kind`` ``"email"`` or ``"phone"``, and ``key`` the normalised value the
        pseudonym is made from.

    Examples
    --------
    >>> personal_spans("call +7 (925) 555–12–34 or ivan%40mail.example")
    [(5, 23, 'phone', '+79255551234'), (27, 46, 'email', 'ivan@mail.example')]
    >>> personal_spans("order 123456789 of 2026-01-05 10:30, 1 234 567,89 RUB")
    []
    """
    plain, starts = text, None
    for _ in range(3):  # an escaped value escaped again (%2540 for @) is still found
        if not _ESCAPES.search(plain):
            break
        plain, inner = _decoded(plain)
        starts = inner if starts is None else [starts[i] for i in inner]
    spans = []
    for m in _FIND.finditer(plain):
        if m.group("token"):
            continue
        if m.group("email"):
            kind, key = "email", m.group("email").casefold()
        else:
            phone = _phone_key(m.group("phone"))
            if phone is None:
                continue
            kind, key = "phone", phone
        start, end = m.span()
        if starts is not None:
            start, end = starts[start], starts[end]
        spans.append((start, end, kind, key))
    return spans


def pseudonym(kind: str, key: str) -> str:
    """``email-`` or ``phone-`` and 12 hex digits of the key's SHA-256."""
    return f"{kind}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:12]}"


def pseudonymise(text: str, exact: bool = False) -> str:
    """``text`` with every e-mail and phone number in it replaced by its pseudonym.

    ``exact`` makes the pseudonym of the e-mail or phone as written, not of its
    normalised value: a lead id ``8 925 555 12 34`` and another ``+7 925 555-12-34``
    stay two ids.

    Examples
    --------
    >>> pseudonymise("spring-8 925 555 12 34") == pseudonymise("spring-+7 925 555-12-34")
    True
    >>> pseudonymise("spring-+7 925 555-12-34")
    'spring-phone-1b92142c6ce2'
    """
    spans = personal_spans(text)
    if not spans:
        return text
    parts, pos = [], 0
    for start, end, kind, key in spans:
        parts += [text[pos:start], pseudonym(kind, text[start:end] if exact else key)]
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def scrub(
    s: pd.Series, column: str, input_name: str, notes: Notes, exact: bool = False
) -> pd.Series:
    """Replace the e-mails and phone numbers inside the values of ``s`` by their
    pseudonyms (`pseudonymise`); a note says how many values of ``column`` were changed
    (never which).

    Missing values stay missing; each distinct value is searched once.
    """
    text = s.dropna().astype("str")
    if text.empty:
        notes.add_counted("warning", input_name, scrubbed_note, n=0, column=column)
        return s
    maybe = pd.Series(text.unique(), dtype="str")
    maybe = maybe[
        maybe.str.contains(MAYBE, regex=True)
        | (
            maybe.str.contains(MAYBE_DIGITS, regex=True)
            & maybe.str.contains(MAYBE_SEPARATED, regex=True)
        )
    ]
    changed = {v: new for v in maybe if (new := pseudonymise(v, exact)) != v}
    if not changed:
        notes.add_counted("warning", input_name, scrubbed_note, n=0, column=column)
        return s
    hit = s.isin(list(changed))
    notes.add_counted("warning", input_name, scrubbed_note, n=int(hit.sum()), column=column)
    return s.where(~hit, s.map(changed))


@counted
def scrubbed_note(n: int, column: str) -> str:
    return n_(
        "{n} value(s) of {column} held an e-mail or a phone number; each was replaced by a "
        "pseudonym (email-… or phone-…, the same for the same value, so campaigns still "
        "join their spend) and no personal data reach a report",
        "{n} value(s) of {column} held an e-mail or a phone number; each was replaced by a "
        "pseudonym (email-… or phone-…, the same for the same value, so campaigns still "
        "join their spend) and no personal data reach a report",
        n,
        column=repr(column),
    )


def personal_columns(profile: Profile, name: str, columns) -> list[str]:
    """The columns of input ``name`` that are personal data (named in the profile's
    ``personal_data``, or headed like a name, phone or e-mail) and not mapped."""
    personal = [c for c in columns if c in profile.personal_data or PERSONAL_HEADER.search(c)]
    wanted = mapped_columns(profile, name)
    return [c for c in personal if base_name(c) not in wanted]


def drop_personal(profile: Profile, name: str, table: RawTable) -> tuple[RawTable, list[str]]:
    personal = personal_columns(profile, name, table.frame.columns)
    if personal:
        table = dataclasses.replace(table, frame=table.frame.drop(columns=personal))
    return table, personal
