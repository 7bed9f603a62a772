"""Personal data by value: e-mails and phone numbers inside kept text fields (campaign
names and UTM tags of landing URLs included) become pseudonyms before anything is
cached or shown, and ordinary values (dates, amounts, ids, click ids, campaign names)
are left as they are.

The reference is the rule written in `analysis.ingest.privacy`'s docstring: the
examples below are hand-written from it, and the property tests generate e-mails and
phones in every written form the rule promises to catch (and non-personal strings it
promises to leave), then look for every form of them in what a load returns and keeps.
"""

from __future__ import annotations

import csv
import json
import re
import uuid
from pathlib import Path
from urllib.parse import quote

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.ingest.attribution import utm_from_urls
from analysis.ingest.load import load_dataset
from analysis.ingest.privacy import personal_spans, pseudonym, pseudonymise

# -- the rule, by hand -------------------------------------------------------------------

PHONES = {  # text -> the number it is (the pseudonym's key)
    "+7 (925) 555–12–34": "+79255551234",  # en dashes: the example
    "+7 (925) 555—12—34": "+79255551234",  # em dashes
    "8 925 555−12−34": "+79255551234",  # minus signs
    "8\xa0925\xa0555\xa012\xa034": "+79255551234",  # non-breaking spaces
    "7(925)555-12-34": "+79255551234",
    "8.925.555.12.34": "+79255551234",
    "89255551234": "+79255551234",
    "+79255551234": "+79255551234",
    "8 9255551234": "+79255551234",
    "8 925 5551234": "+79255551234",
    "(495) 123-45-67": "+74951234567",
    "925 555 12 34": "+79255551234",
    "8 800 555 35 35": "+78005553535",
    "+44 20 7946 0958": "+442079460958",
    "+380 67 123 45 67": "+380671234567",
    "+1-212-555-1234": "+12125551234",
    "(212) 555-1234": "+2125551234",
    "%2B7%20925%20555-12-34": "+79255551234",
    "%2B7%20%28925%29%20555%E2%80%9312%E2%80%9334": "+79255551234",
}

NOT_PHONES = [
    "2026-01-05",
    "2026-01-05 10:30",
    "31.01.2026 10:30",
    "05.01.2026",
    "2026-01-05T10:30:00",
    "1 234 567,89",
    "1 234 567 890",
    "1\xa0234\xa0567\xa0890,12",
    "1.234.567.890,50",
    "12 345 678 901.23",
    "123456789",  # a campaign id: 9 digits
    "1234567890",  # 10 digits, no separators, no prefix: an id
    "100234567890",  # an order id of 12 digits
    "2386450813452255231",  # a yclid
    "Cj0KCQiA4L2BBhCvARIsAO0a6aKr1234567890123_wcB",  # a gclid
    "brand (2026) 123456789",
    "spring_2026_123456789",
    "id 89123456 789",
    "brand@2026",  # no domain: not an e-mail
    "phone-1b92142c6ce2",  # a pseudonym stays what it is
]


@pytest.mark.parametrize("text", sorted(PHONES))
def test_phone_variants_are_found(text):
    spans = personal_spans(f"call {text} today")
    assert [(kind, key) for _, _, kind, key in spans] == [("phone", PHONES[text])]
    start, end, _, _ = spans[0]
    assert f"call {text} today"[start:end] == text
    # one number, one pseudonym, whichever way it is written
    assert pseudonymise(f"call {text} today") == f"call {pseudonym('phone', PHONES[text])} today"


@pytest.mark.parametrize("text", NOT_PHONES)
def test_non_personal_values_are_left_alone(text):
    assert personal_spans(text) == []
    assert pseudonymise(f"x {text} y") == f"x {text} y"


@pytest.mark.parametrize(
    "text, key",
    [
        ("ivan@mail.example", "ivan@mail.example"),
        ("Ivan.Petrov+promo@Sub.Mail.Example.co.uk", "ivan.petrov+promo@sub.mail.example.co.uk"),
        ("ivan%40mail.example", "ivan@mail.example"),
        ("ivan%2Bpromo%40mail.example", "ivan+promo@mail.example"),
        ("ivan%2Bpromo%2540mail.example", "ivan+promo@mail.example"),  # escaped twice
        ("%D0%B8%D0%B2%D0%B0%D0%BD%40%D0%BF%D0%BE%D1%87%D1%82%D0%B0.%D1%80%D1%84", "иван@почта.рф"),
    ],
)
def test_email_variants_are_found(text, key):
    assert [(k, v) for _, _, k, v in personal_spans(f"to: {text}, thanks")] == [("email", key)]
    assert "@" not in pseudonymise(text) and "%40" not in pseudonymise(text)


def test_only_the_personal_part_is_replaced_and_the_same_value_keeps_its_pseudonym():
    a = pseudonymise("Spring %2B7%20925%20555-12-34 promo")
    assert re.fullmatch(r"Spring phone-[0-9a-f]{12} promo", a)
    assert a == pseudonymise("Spring 8 (925) 555–12–34 promo")
    assert pseudonymise(a) == a  # scrubbing twice changes nothing
    assert pseudonymise("IVAN@mail.example") == pseudonymise("ivan@MAIL.example")
    assert pseudonymise("ivan@mail.example") != pseudonymise("ivan2@mail.example")


def test_a_plus_inside_a_query_value_is_kept_where_it_belongs_to_an_email_or_phone():
    got = utm_from_urls(
        pd.Series(
            [
                "https://x.example/?utm_campaign=ivan+promo@mail.example&utm_source=a",
                "https://x.example/?utm_campaign=spring+sale&utm_source=a",
                "https://x.example/?utm_campaign=call+%2B44+20+7946+0958",
                "https://x.example/?utm_campaign=a0a+0%2540aa.aa",  # found by hypothesis
            ]
        )
    )["utm_campaign"].tolist()
    assert got == [
        "ivan+promo@mail.example",
        "spring sale",
        "call +44 20 7946 0958",
        "a0a+0%40aa.aa",
    ]


# -- generated variants ------------------------------------------------------------------


def _text(first: str, rest: str, lo: int, hi: int, last: str = "") -> st.SearchStrategy[str]:
    """A character of ``first``, ``lo`` to ``hi`` of ``rest``, then one of ``last``."""
    parts = [st.sampled_from(first), st.text(rest, min_size=lo, max_size=hi)]
    if last:
        parts.append(st.sampled_from(last))
    return st.tuples(*parts).map("".join)


DIGITS = "0123456789"
LOWER = "abcdefghijklmnopqrstuvwxyz"
LETTERS = LOWER + LOWER.upper()

DASHES = ["-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212"]
SPACES = [" ", "\xa0", "\u202f", "\u2009"]


@st.composite
def russian_phones(draw) -> tuple[str, str]:
    """A Russian number in one of the ways people write it, and its 10 national digits."""
    code = draw(_text("3489", DIGITS, 2, 2))
    rest = draw(st.text(DIGITS, min_size=7, max_size=7))
    b, c, d = rest[:3], rest[3:5], rest[5:]
    dash, sp = draw(st.sampled_from(DASHES)), draw(st.sampled_from(SPACES))
    prefix = draw(st.sampled_from(["+7", "8", "7", "+7" + sp, "8" + sp, "7" + sp, ""]))
    written = [
        f"({code}){sp}{b}{dash}{c}{dash}{d}",
        f"({code}){b}{dash}{c}{dash}{d}",
        f"{code}{sp}{b}{sp}{c}{sp}{d}",
        f"{code}{dash}{b}{dash}{c}{dash}{d}",
        f"{code}.{b}.{c}.{d}",
        f"{code}{sp}{b}{sp}{c}{d}",
    ]
    if prefix:  # the prefix apart from the rest, or one block of digits
        written += [f"{code}{sp}{rest}", f"{code}{rest}"]
    body = draw(st.sampled_from(written))
    if prefix[-1:].isdigit() and body[0].isdigit() and body != f"{code}{rest}":
        prefix += draw(st.sampled_from([sp, dash, "."]))
    return prefix + body, code + rest


@st.composite
def foreign_phones(draw) -> tuple[str, str]:
    """+<country> and 9 to 12 more digits in blocks: the whole number's digits."""
    cc = draw(st.sampled_from(["1", "44", "49", "33", "380", "375", "998", "972", "86"]))
    rest = draw(_text(DIGITS[1:], DIGITS, 8, 11))
    rest = rest[: 15 - len(cc)]
    sep = draw(st.sampled_from([*SPACES, *DASHES, "."]))
    blocks, i = [], 0
    while i < len(rest):
        k = draw(st.integers(2, 4))
        blocks.append(rest[i : i + k])
        i += k
    if draw(st.booleans()):
        blocks[0] = f"({blocks[0]})"
    return f"+{cc}{sep}{sep.join(blocks)}", cc + rest


@st.composite
def emails(draw) -> tuple[str, str]:
    local = draw(_text(LOWER, LOWER + DIGITS + "._-", 1, 10, LOWER + DIGITS))
    if draw(st.booleans()):
        local += "+" + draw(st.text(LOWER + DIGITS, min_size=1, max_size=6))
    labels = draw(
        st.lists(_text(LOWER, LOWER + DIGITS + "-", 0, 8, LOWER + DIGITS), min_size=1, max_size=3)
    )
    tld = draw(st.text(LOWER, min_size=2, max_size=6))
    address = f"{local}@{'.'.join(labels)}.{tld}"
    if draw(st.booleans()):
        address = address.capitalize()
    return address, address.casefold()


@st.composite
def personal(draw) -> tuple[str, list[str], str]:
    """(the text as written in a field, the forms of it that must appear nowhere, and the
    pseudonym it must become)."""
    kind = draw(st.sampled_from(["ru", "foreign", "email"]))
    strategy = {"ru": russian_phones(), "foreign": foreign_phones(), "email": emails()}[kind]
    text, core = draw(strategy)
    forms = [text, core]
    if kind == "email":
        forms.append(core.replace("@", "%40"))
        token = pseudonym("email", core)
    else:
        token = pseudonym("phone", ("+7" if kind == "ru" else "+") + core)
    encoding = draw(st.sampled_from(["plain", "full", "plus", "at"]))
    if encoding == "full":
        text = quote(text, safe="")
    elif encoding == "plus":
        text = text.replace("+", "%2B").replace(" ", "%20")
    elif encoding == "at":
        text = text.replace("@", "%40")
    forms.append(text)
    left = draw(st.sampled_from(["", "call ", "Spring_", "spring-", "tel: ", "Клиент ", "("]))
    right = draw(st.sampled_from(["", " today", "_promo", ", спасибо", ")", " / ok"]))
    if kind == "email" and left in ("Spring_", "spring-"):
        token = ""  # the prefix is part of the e-mail's local part: another pseudonym
    return left + text + right, forms, token


#: Where a personal value is written, and the canonical field it lands in.
FIELDS = {
    "source": "source",
    "medium": "medium",
    "campaign": "campaign",
    "utm_source": "source",
    "utm_medium": "medium",
    "utm_campaign": "campaign",
    "url:utm_source": "source",
    "url:utm_medium": "medium",
    "url:utm_campaign": "campaign",
    "segment": "segment",
    "manager": "manager",
    "stage": "stage",
    "lost_reason": "lost_reason",
}

COLUMNS = [
    "lead_id",
    "created_at",
    "source",
    "medium",
    "campaign",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "landing_url",
    "segment",
    "manager",
    "stage",
    "lost_reason",
    "converted",
]


def _row(i: int, where: str, value: str, url_quote: str) -> dict:
    """A lead with ``value`` written in field ``where`` and plain values elsewhere; the
    other attribution columns are left blank so that the written one decides."""
    row = dict.fromkeys(COLUMNS, "")
    row |= {"lead_id": f"L{i}", "created_at": "2026-01-05", "converted": "no"}
    row |= {"segment": "SMB", "manager": "Anna", "stage": "new", "lost_reason": "price"}
    tags = {"utm_source": "yandex", "utm_medium": "cpc", "utm_campaign": "brand"}
    if where.startswith("url:"):
        key = where[4:]
        tags[key] = value if url_quote == "raw" else quote(value, safe=url_quote)
        row["landing_url"] = "https://site.example/landing?" + "&".join(
            f"{k}={v}" for k, v in tags.items()
        )
    elif where.startswith("utm_"):
        row |= tags | {where: value}
    elif where in ("source", "medium", "campaign"):
        row |= {"source": "google", "medium": "cpc", "campaign": "brand", where: value}
    else:
        row |= {"source": "google", where: value}
    return row


def _write(folder: Path, rows: list[dict], name: str = "leads.csv") -> Path:
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _fresh(tmp_path: Path) -> Path:
    folder = tmp_path / uuid.uuid4().hex[:12]
    folder.mkdir()
    return folder


def _texts(folder: Path) -> list[str]:
    """Every file under ``folder`` as text: the cells of Parquet files and workbooks,
    every other file's bytes decoded as UTF-8 (embedded images left out)."""
    out = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".parquet":
            out += _cells(pd.read_parquet(path))
        elif path.suffix == ".xlsx":
            book = openpyxl.load_workbook(path, read_only=True)
            out += [str(v) for ws in book for row in ws.iter_rows(values_only=True) for v in row]
        else:
            text = path.read_bytes().decode("utf-8", errors="replace")
            out.append(re.sub(r"[A-Za-z0-9+/=\\]{200,}", "", text))  # base64 PNGs
    return out


#: What people put between the digits of a phone number.
_PHONE_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212.()+]")


def _leaks(texts: list[str], forms: list[str], digits: list[str]) -> list[str]:
    """The forms found in any text (in any case), and the digit strings found in any
    text once the separators of phone numbers are taken out of it."""
    found = [f for f in forms if any(f.casefold() in t.casefold() for t in texts)]
    bare = [_PHONE_SEPARATORS.sub("", t) for t in texts]
    return found + [d for d in digits if any(d in t for t in bare)]


def _cells(frame: pd.DataFrame) -> list[str]:
    return [str(v) for v in frame.astype(object).to_numpy().ravel()]


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(personal(), st.sampled_from(sorted(FIELDS)), st.sampled_from(["", "@+", "raw"])),
        min_size=1,
        max_size=6,
    )
)
def test_generated_emails_and_phones_reach_no_table_note_or_cache(tmp_path, items):
    folder = _fresh(tmp_path)
    rows, forms, digits, expected = [], [], [], {}
    for i, ((value, value_forms, _), where, url_quote) in enumerate(items):
        rows.append(_row(i, where, value, url_quote))
        forms += [f for f in value_forms if not f.isdigit()]
        digits += [f for f in value_forms if f.isdigit()]
        expected[FIELDS[where]] = expected.get(FIELDS[where], 0) + 1
    path = _write(folder, rows)
    ds = load_dataset("generic", {"leads": path}, cache=True, cache_dir=folder / "cache")
    texts = _cells(ds.leads) + _cells(ds.spend) + _cells(ds.notes) + _texts(folder / "cache")
    assert _leaks(texts, forms, digits) == []
    # each field says how many of its values were changed
    for field, n in expected.items():
        assert ds.notes["message"].str.startswith(f"{n} value(s) of {field!r} held").sum() == 1
    # the number or address itself became its pseudonym (the same for every way of
    # writing it), and the words around it stayed
    for i, ((value, _, token), where, _) in enumerate(items):
        got = ds.leads.loc[i, FIELDS[where]]
        assert token in got and re.search(r"(email|phone)-[0-9a-f]{12}", got), (value, got)


# -- values that are not personal ----------------------------------------------------------


@st.composite
def amounts(draw) -> str:
    whole = draw(st.integers(0, 99_999_999_999))
    sep, dec = draw(
        st.sampled_from([(" ", ","), ("\xa0", ","), ("\u202f", ","), (".", ","), (" ", ".")])
    )
    text = f"{whole:,}".replace(",", sep)
    if draw(st.booleans()):
        text += dec + draw(st.text(DIGITS, min_size=2, max_size=2))
    if draw(st.booleans()) and whole < 10**10:  # no grouping at all
        text = str(whole) + (
            f".{draw(st.text(DIGITS, min_size=2, max_size=2))}" if draw(st.booleans()) else ""
        )
    return text


@st.composite
def dates(draw) -> str:
    day = draw(st.dates(pd.Timestamp("1990-01-01").date(), pd.Timestamp("2035-12-31").date()))
    hh, mm = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    fmt = draw(
        st.sampled_from(
            ["%Y-%m-%d", "%Y-%m-%d {t}", "%d.%m.%Y", "%d.%m.%Y {t}", "%d/%m/%Y", "%Y-%m-%dT{t}:00"]
        )
    )
    return day.strftime(fmt).replace("{t}", f"{hh:02d}:{mm:02d}")


NON_PERSONAL = st.one_of(
    dates(),
    amounts(),
    st.integers(0, 999_999_999).map(str),  # ids and campaign ids of up to 9 digits
    _text(DIGITS[1:], DIGITS, 16, 19),  # yclid
    _text(LETTERS, LETTERS + DIGITS + "_-", 20, 60).map("Cj0KCQ".__add__),  # gclid
    _text(LETTERS, LETTERS + DIGITS + "_-", 0, 20),  # campaign names
    st.sampled_from(["Весна-2026", "brand@2026", "Малый бизнес", "Отказ: дорого"]),
)


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            st.lists(NON_PERSONAL, min_size=1, max_size=3).map(
                lambda parts: "_".join(parts) if len(parts[0]) % 2 else " | ".join(parts)
            ),
            st.sampled_from(sorted(FIELDS)),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_generated_non_personal_values_survive_unchanged(tmp_path, items):
    folder = _fresh(tmp_path)
    rows = [_row(i, where, value, "") for i, (value, where) in enumerate(items)]
    ds = load_dataset("generic", {"leads": _write(folder, rows)})
    for i, (value, where) in enumerate(items):
        field = FIELDS[where]
        want = value.strip().lower() if field in ("source", "medium") else value.strip()
        if field == "source":  # the generic profile's value map
            want = {"ya": "yandex"}.get(want, want)
        assert ds.leads.loc[i, field] == want, (where, value)
    assert not ds.notes["message"].str.contains("held an e-mail").any()


# -- the same on streamed chunks, and the spend table ------------------------------------


def test_streamed_chunks_are_pseudonymised_and_counted_once(tmp_path):
    rows = [_row(i, "url:utm_campaign", "ivan+promo@mail.example", "raw") for i in range(5)]
    rows += [_row(5 + i, "manager", "+7 (925) 555–12–34", "") for i in range(4)]
    path = _write(tmp_path, rows)
    cache = tmp_path / "cache"
    whole = load_dataset("generic", {"leads": path})
    streamed = load_dataset("generic", {"leads": path}, stream=True, chunk_rows=2, cache_dir=cache)
    pd.testing.assert_frame_equal(streamed.leads, whole.leads)
    campaigns = streamed.leads["campaign"].iloc[:5]
    assert (campaigns == pseudonymise("ivan+promo@mail.example")).all()
    assert (streamed.leads["manager"].iloc[5:] == pseudonymise("+7 (925) 555–12–34")).all()
    texts = _cells(streamed.leads) + _cells(streamed.notes) + _texts(cache)
    assert _leaks(texts, ["ivan", "mail.example", "555–12–34"], ["9255551234"]) == []
    messages = streamed.notes["message"].tolist()
    assert sum(m.startswith("5 value(s) of 'campaign' held") for m in messages) == 1
    assert sum(m.startswith("4 value(s) of 'manager' held") for m in messages) == 1


def test_spend_campaigns_are_pseudonymised_and_still_join_their_leads(tmp_path):
    rows = [_row(i, "utm_campaign", "spring_ivan@mail.example", "") for i in range(3)]
    leads = _write(tmp_path, rows)
    spend = _write(
        tmp_path,
        [
            {"date": "2026-01-05", "source": "yandex", "campaign": "spring_ivan@mail.example"}
            | {"spend": "100"},
            {"date": "2026-01-06", "source": "yandex", "campaign": "promo +7 925 555-12-34"}
            | {"spend": "50"},
        ],
        "spend.csv",
    )
    cache = tmp_path / "cache"
    ds = load_dataset("generic", {"leads": leads, "spend": spend}, cache=True, cache_dir=cache)
    texts = _cells(ds.spend) + _cells(ds.notes) + _texts(cache) + [json.dumps(ds.facts)]
    assert _leaks(texts, ["ivan@", "mail.example", "555-12-34"], ["9255551234"]) == []
    assert ds.facts["spend_match"]["leads_matched"] == 3  # the pseudonyms still join
    spend_notes = ds.notes.loc[ds.notes["input"] == "spend", "message"]
    # both spend rows held one (an e-mail, a phone): one note for the spend's campaigns
    assert spend_notes.str.startswith("2 value(s) of 'campaign' held").sum() == 1


# -- a report end to end -----------------------------------------------------------------


def test_no_personal_value_in_any_report_file(tmp_path, monkeypatch):
    """A generic-profile file whose utm_campaign holds an e-mail and whose manager holds a
    phone written with en dashes: no output file (pages, tables, workbook, run.json,
    notebooks) nor the cache shows either, in any form (as in
    tests/test_report.py::test_no_personal_data_in_any_output_file)."""
    from analysis.run.report import run_report

    monkeypatch.setenv("LEADKIT_CACHE", str(tmp_path / "cache"))
    rows = []
    for i in range(40):
        where, value = (
            ("utm_campaign", "spring_ivan.petrov+promo@mail.example")
            if i % 2
            else ("manager", "Ольга +7 (925) 555–12–34")
        )
        row = _row(i, where, value, "")
        row |= {
            "created_at": f"2026-01-{1 + i % 28:02d}",
            "converted": "yes" if i % 5 == 0 else "no",
        }
        rows.append(row)
    path = _write(tmp_path, rows)
    result = run_report(
        "generic", {"leads": path}, notebooks=("data-audit",), out_root=tmp_path / "out", run="r"
    )
    suffixes = {p.suffix for p in result.folder.rglob("*") if p.is_file()}
    assert {".html", ".ipynb", ".json"} <= suffixes
    texts = _texts(result.folder) + _texts(tmp_path / "cache")
    forms = ["ivan.petrov", "mail.example", "555–12–34", "%40mail"]
    assert _leaks(texts, forms, ["9255551234"]) == []
    # the values did go through: the kept dataset holds their pseudonyms (the data-audit
    # page itself shows neither campaigns nor managers, only how many were changed)
    kept = "\n".join(_texts(tmp_path / "cache"))
    assert pseudonymise("spring_ivan.petrov+promo@mail.example") in kept
    assert f"Ольга {pseudonymise('+7 (925) 555–12–34')}" in kept
    pages = "\n".join(_texts(result.folder))
    assert "20 value(s) of 'campaign' held an e-mail" in pages
    assert "20 value(s) of 'manager' held an e-mail" in pages
