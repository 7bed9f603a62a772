"""The reader's language (analysis.base.i18n): plural forms and number formats pinned to
Russian grammar and CLDR's locale data (Babel), a catalogue that has every sentence of
the code translated with the same placeholders, the language as a setting, and the
executive summary's conclusion box in Russian and English."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml
from page_text import PROPER_NAMES

from analysis.base.errors import DataError
from analysis.base.i18n import (
    LOCALE_DIR,
    _,
    check_language,
    fmt_date,
    fmt_int,
    language,
    n_,
    untranslated,
    use_language,
)
from analysis.insight.numbers import fmt_money, money, signed_percent

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("n", "ru", "en"),
    [
        # Russian grammar: one (1, 21, 101), few (2-4, 22-24), many (0, 5-20, 11-14, 25-30)
        (1, "ещё 1 кампанию", "1 other campaign"),
        (2, "ещё 2 кампании", "2 other campaigns"),
        (5, "ещё 5 кампаний", "5 other campaigns"),
        (11, "ещё 11 кампаний", "11 other campaigns"),
        (12, "ещё 12 кампаний", "12 other campaigns"),
        (21, "ещё 21 кампанию", "21 other campaigns"),
        (22, "ещё 22 кампании", "22 other campaigns"),
        (25, "ещё 25 кампаний", "25 other campaigns"),
        (101, "ещё 101 кампанию", "101 other campaigns"),
        (1001, "ещё 1\u202f001 кампанию", "1\u202f001 other campaigns"),
    ],
)
def test_plural_forms(n, ru, en):
    with use_language("ru"):
        assert n_("{n} other campaign", "{n} other campaigns", n) == ru
    with use_language("en"):
        assert n_("{n} other campaign", "{n} other campaigns", n) == en


def test_numbers_money_and_dates_in_the_locale():
    """Russian: a decimal comma, the rouble sign after the sum, a space before % and the
    month in the genitive (CLDR's, by Babel); counts in both languages as every page
    writes them (narrow no-break spaces between thousands)."""
    with use_language("ru"):
        assert fmt_int(1234567) == "1\u202f234\u202f567"
        assert fmt_money(1234.5, 1) == "1\u202f234,5"  # a decimal comma
        # sums as every page writes them: narrow no-break thousands, the sign after
        assert money(12400.4, "RUB") == f"12\u202f400{NBSP}₽"
        assert signed_percent(-0.666) == f"−67{NBSP}%"
        assert fmt_date("2026-04-01") == "1 апреля 2026\u202fг."
    with use_language("en"):
        assert fmt_int(1234567) == "1\u202f234\u202f567"  # as the pages write counts
        assert fmt_money(1234.5, 1) == "1\u202f234.5"
        assert signed_percent(0.12) == "+12%"
        assert fmt_date("2026-04-01") == "April 1, 2026"
    assert language() == "en"  # the block's language ends with it


def test_languages_are_named_or_refused():
    assert check_language("ru_RU") == check_language("RU") == "ru"
    assert check_language(None) == check_language("") == "en"
    with pytest.raises(ValueError, match="no language 'de': the kit writes in en, ru"):
        check_language("de")


def _code_messages() -> set:
    """Every sentence the code passes to `_` or `n_`, and every piece of the notebooks'
    Markdown, as Babel's extractors find them (what `make translations` puts in the
    catalogue)."""
    from babel.messages.extract import extract_from_dir

    from analysis.base.paths import NOTEBOOKS_DIR, PACKAGE_DIR

    found = list(
        extract_from_dir(
            str(PACKAGE_DIR),
            method_map=[("**.py", "python")],
            keywords={"_": None, "n_": (1, 2), "N_": None},
        )
    )
    found += extract_from_dir(
        str(NOTEBOOKS_DIR), method_map=[("*.ipynb", "analysis.base.i18n:extract_notebook")]
    )
    return {msg for _file, _line, msg, _comments, _context in found}


def _catalogue():
    from babel.messages.pofile import read_po

    with (LOCALE_DIR / "ru" / "LC_MESSAGES" / "leadkit.po").open("rb") as f:
        return read_po(f, locale="ru")


def test_the_catalogue_has_every_sentence_translated():
    """`make translations` was run after the last change of a sentence, and each
    sentence has its Russian: no entry missing, empty or fuzzy."""
    ids = {m.id for m in _catalogue() if m.id}
    code = _code_messages()
    assert code, "the extractor found no sentence"
    assert not code - ids, "run `make translations`: not in the catalogue"
    assert untranslated("ru") == []


def test_translations_keep_their_placeholders():
    """A translation names the same {placeholders} as its English (a missing or renamed
    one would raise, or drop a number, when the page is written)."""
    names = re.compile(r"{(\w*)}")
    for m in _catalogue():
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        want = set(names.findall(ids[-1])) | set(names.findall(ids[0]))
        for s in strings:
            assert set(names.findall(s)) == want, (m.id, s)
            # Russian words only, but for codes (`leads`, `MIN_LEADS`), acronyms (CRM)
            # proper names (leadkit, Excel: the same in every language) and codes with digits
            words = re.sub(r"`[^`]*`|\b[A-Z][A-Z0-9_]+\b", "", names.sub("", s))
            words = " ".join(
                w
                for w in words.split()
                if not re.search(r"\d", w) and w.strip(".,;:()«»").lower() not in PROPER_NAMES
            )
            assert not re.search(r"[A-Za-z]{3,}", words), (m.id, s)


def test_a_sentence_the_catalogue_lacks_stays_english():
    with use_language("ru"):
        assert _("No such sentence {x}", x=1) == "No such sentence 1"
        assert _("In short") == "Коротко"


def test_the_language_is_a_setting_of_the_profile_and_the_client_file(tmp_path):
    from analysis.ingest.profiles import load_profile
    from analysis.run.batch import read_clients

    base = yaml.safe_load((LOCALE_DIR.parents[2] / "data/profiles/sample.yaml").read_text())
    base.pop("language", None)
    for value, want in (("ru", "ru"), (None, "en")):
        prof = dict(base, language=value) if value else base
        (tmp_path / "p.yaml").write_text(yaml.safe_dump(prof), encoding="utf-8")
        assert load_profile(tmp_path / "p.yaml").language == want
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(dict(base, language="xx")), encoding="utf-8")
    with pytest.raises(DataError, match="language: no language 'xx'"):
        load_profile(tmp_path / "p.yaml")
    clients = {"clients": [{"name": "a", "profile": "sample", "language": "ru"}]}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(clients), encoding="utf-8")
    (spec,) = read_clients(tmp_path / "c.yaml").clients
    assert spec.parameters["LANGUAGE"] == "ru"


def test_the_sample_reads_in_russian_and_olist_in_english_by_default(monkeypatch):
    """The shipped profiles' languages, and what overrides them: ``--lang`` (a run's
    LANGUAGE) first, then ``$LEADKIT_LANGUAGE`` (the suite sets it to English, as a
    reader who wants every report in English would), then the profile's."""
    from analysis.base.i18n import LANGUAGE_ENV, chosen_language
    from analysis.ingest.profiles import load_profile

    monkeypatch.delenv(LANGUAGE_ENV, raising=False)
    assert load_profile("sample").language == "ru"
    assert load_profile("olist").language == "en"
    assert chosen_language(None, load_profile("sample").language) == "ru"
    monkeypatch.setenv(LANGUAGE_ENV, "en")
    assert chosen_language(None, "ru") == "en"
    assert chosen_language("ru", "en") == "ru"
    monkeypatch.setenv(LANGUAGE_ENV, "de")
    with pytest.raises(ValueError, match="no language 'de'"):
        chosen_language(None, "ru")


def _latin_words(text: str, allowed: set[str]) -> list[str]:
    words = re.findall(r"[\w/.-]*[A-Za-z][\w/.-]*", text)
    return [w for w in words if w not in allowed and not re.fullmatch(r"\d{4}Q\d", w)]


def test_the_conclusion_in_russian_and_english(sample_context):
    """At most three sentences with money: what happened, whose part, what to do. In
    Russian no Latin word but the data's own names (campaigns, period codes); in
    English no Cyrillic. The sums are the other sections' (one place for a number)."""
    from analysis.render.sections import summary

    ctx = sample_context
    names = {str(x) for x in ctx.spend["campaign"].dropna().unique()} | {"RUB"}
    names |= {str(x) for x in ctx.facts["spend"]["campaigns_without_leads"]}
    with use_language("ru"):
        ru = summary.conclusion(ctx).text
    with use_language("en"):
        en = summary.conclusion(ctx).text
        cheap = summary.cheap_leads(ctx).text
    assert ru.startswith("> **Коротко:** ") and en.startswith("> **In short:** ")
    for text in (ru, en):
        body = text.split(":** ", 1)[1]
        # sentence ends, not the abbreviations of periods and dates (1 кв. 2026, 2026 г.)
        ends = re.findall(r"(?<!кв)(?<!нед)(?<!\bг)[.!?](?:\s|$)", body)
        assert len(ends) <= 3, body
    assert _latin_words(ru, names) == []
    assert not re.search("[а-яА-ЯёЁ]", en)
    # cost per lead of the first and last period: the same sums as the section's
    for sum_ in re.findall(r"(\d[\d\u202f]*)\u00a0RUB to (\d[\d\u202f]*)\u00a0RUB", en)[0]:
        assert sum_ in cheap
    assert "Leads got cheaper while sales got dearer" in en
    assert "Лиды подешевели, а продажи подорожали" in ru
    # the actions: scale and cut, with the spend they are about
    actions = summary.actions(ctx).tables["summary_actions"]
    cut = actions[actions["action"] == "cut"]
    with use_language("ru"):
        assert money(cut["at_stake"].sum(), "RUB") in ru
    assert all(str(c) in en for c in cut["campaign"].head(2))


@pytest.fixture(scope="module")
def sample_context():
    from analysis.insight.context import report_context

    ctx = report_context("sample")
    yield ctx
    ctx.engine.close()


def test_a_report_in_russian_has_its_language_and_the_box_first(tmp_path):
    """`run_report` with LANGUAGE=ru: the page says it is Russian (``<html lang>``), and
    the conclusion comes before the page links and the contents."""
    from analysis.run.report import run_report

    result = run_report(
        "sample",
        out_root=tmp_path,
        run="ru",
        notebooks=("executive-summary",),
        parameters={"LANGUAGE": "ru"},
    )
    page = result.html[0].read_text(encoding="utf-8")
    assert '<html lang="ru">' in page
    assert "No description has been provided" not in page  # every figure has its text
    assert page.index("Коротко") < page.index("Страницы отчёта:") < page.index('href="#section-1"')
    # the notebook's own headings and the page links in Russian too
    assert "<title>Сводка для руководителя" in page and "За чей счёт изменение?" in page
    assert "Whose part is the change?" not in page and "Data audit" not in page
    # the glossary of the terms a director uses
    assert "Термины" in page and "CPL, стоимость лида" in page and "ROMI" in page
    meta = pd.read_json(result.folder / "run.json", typ="series")
    assert meta["language"] == "ru"
    assert language() == "en"  # the Russian report did not leave its language behind


def test_the_headline_in_russian_has_the_same_numbers(sample_context):
    """The paragraph under the box in Russian: Russian words, the plural forms of its
    counts (4 335 лидов, 280 продаж), and the English paragraph's numbers."""
    from analysis.render.sections import summary

    ctx = sample_context
    with use_language("ru"):
        ru = summary.headline(ctx).text
    with use_language("en"):
        en = summary.headline(ctx).text
    names = {str(x) for x in ctx.facts["spend"]["campaigns_without_leads"]}
    assert _latin_words(ru, names) == [], ru
    assert f"**4{NBSP}335 лидов**".replace(NBSP, "\u202f") in ru and "**280 продаж**" in ru
    # the same numbers, dates aside (ISO in English, in words in Russian)
    months = "января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря"
    ru = re.sub(rf"\d{{1,2}} (?:{months}) \d{{4}}", "DATE", ru)
    en = re.sub(r"\d{4}-\d\d-\d\d", "DATE", en)
    digits = lambda s: re.findall(r"\d[\d\u202f]*", s.replace(",", "."))  # noqa: E731
    assert digits(ru) == digits(en)


def test_the_box_and_the_sections_below_compute_once(monkeypatch):
    """The box sums up the sections under it: the split of the change, the periods'
    unit economics and the actions are computed once for the page, not once for the
    box and again for the section (`ReportContext.remember`)."""
    import analysis.render.sections.summary as summary_module
    from analysis.insight.context import report_context
    from analysis.render.sections import period
    from analysis.stats import period_change

    calls = {"split": 0, "economics": 0, "recommend": 0}

    def counted(name, real):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(
        period_change, "decompose_periods", counted("split", period_change.decompose_periods)
    )
    monkeypatch.setattr(
        summary_module, "unit_economics", counted("economics", summary_module.unit_economics)
    )
    monkeypatch.setattr(summary_module, "recommend", counted("recommend", summary_module.recommend))
    ctx = report_context("sample")
    box = summary_module.conclusion(ctx).text
    summary_module.whose_part(ctx)
    summary_module.cheap_leads(ctx)
    summary_module.actions(ctx)
    # two splits: the naive one (the box's and the section's) and the one at equal age
    assert calls == {"split": 2, "economics": 1, "recommend": 1}
    assert period.sales_split(ctx) is not None and "Leads got cheaper" in box
    ctx.engine.close()


def test_table_headers_and_the_kits_words_follow_the_language():
    """`show` writes a table's headers and the kit's own words in its cells (classes,
    actions) in the page's language, never a name from the data (a campaign called
    "hot" stays "hot"); English is as the code writes it."""
    from analysis.render.tables import header_label, show, value_label

    frame = pd.DataFrame(
        {"campaign": ["hot", "vk_ads"], "action": ["cut", "scale"], "conversion_low": [0.1, 0.2]}
    )
    with use_language("ru"):
        assert header_label("conversion_low") == "конверсия, низ 95%"
        assert value_label("hot") == "горячие" and value_label("rank 2") == "место 2"
        assert value_label("vk_ads") == "vk_ads" and value_label(3) == 3
        html = show(frame).to_html()
        assert "действие" in html and "отключить" in html and "масштабировать" in html
        assert ">hot<" in html and "горячие" not in html  # the campaign's name is data
        assert "action" not in html and "conversion" not in html
    with use_language("en"):
        html = show(frame).to_html()
        assert "conversion, 95% low" in html and ">cut<" in html and ">hot<" in html
