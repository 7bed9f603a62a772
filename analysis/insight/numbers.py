"""Numbers in words: money, rates with their intervals, shares and signed counts, as the
pages and sentences print them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.base.i18n import _, language

__all__ = ["fmt_money", "fmt_rate", "fmt_range", "day_words"]


def fmt_money(v: float, digits: int = 0) -> str:
    """``1234567.8`` -> ``'1 234 568'``; NaN -> ``'n/a'``; inf -> ``'∞'``."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or pd.isna(v):
        return _("n/a")
    if np.isinf(v):
        return "∞"
    text = f"{v:,.{digits}f}".replace(",", "\u202f")
    # other languages: a decimal comma (the thousands stay narrow no-break spaces)
    return text if language() == "en" else text.replace(".", ",")


def fmt_rate(p: float, low: float | None = None, high: float | None = None, digits: int = 1) -> str:
    """``0.123, 0.101, 0.148`` -> ``'12.3% (10.1–14.8)'`` (``'12,3 % (10,1–14,8)'`` in
    Russian: a decimal comma, a no-break space before %); NaN -> ``'n/a'``."""
    if p is None or pd.isna(p):
        return _("n/a")

    def num(x: float) -> str:
        text = f"{100 * x:.{digits}f}".replace("-", MINUS)
        return text if language() == "en" else text.replace(".", ",")

    text = num(p) + _percent_sign()
    if low is not None and high is not None and not (pd.isna(low) or pd.isna(high)):
        if low < 0 or high < 0:
            # a dash between negative numbers reads as a minus: words there, and a
            # positive bound signed beside a negative one ("−47 to +35")
            def signed(x: float) -> str:
                return ("+" if round(100 * x, digits) > 0 else "") + num(x)

            text += " " + _("({low} to {high})", low=signed(low), high=signed(high))
        else:
            text += f" ({num(low)}–{num(high)})"
    return text


def _percent_sign() -> str:
    """``%`` after a number: at once in English, after a no-break space in Russian (as
    Babel's percent format of the language writes it)."""
    return "%" if language() == "en" else "\u00a0%"


def fmt_range(v, lo, hi) -> str:
    """``14408, 12241, 17032`` -> ``'14 408 (12 241–17 032)'``; NaN -> ``'n/a'``."""
    if pd.isna(v):
        return _("n/a")
    return f"{fmt_money(v)} ({fmt_money(lo)}–{fmt_money(hi)})"


MINUS = "\u2212"


def fmt_measure(v: float, measure: str, sign: bool = False) -> str:
    whole = abs(v - round(v)) < 1e-9 * max(abs(v), 1.0)
    digits = 0 if measure == "revenue" or whole else 1  # parts must visibly add up
    text = f"{abs(v):,.{digits}f}".replace(",", "\u202f")
    if language() != "en":  # a decimal comma (the thousands stay narrow spaces)
        text = text.replace(".", ",")
    if round(abs(v), digits) == 0:
        return ("\u00b1" if sign else "") + text
    if v < 0:
        return MINUS + text
    return ("+" if sign else "") + text


def fmt_share(x: float) -> str:
    """A share in whole percent, with one decimal below 1% (``0,4 %``, ``37 %`` in
    Russian)."""
    text = f"{x:.1%}" if 0 < x < 0.01 else f"{x:.0%}"
    if language() == "en":
        return text
    return text.removesuffix("%").replace(".", ",").replace("-", MINUS) + _percent_sign()


def money(v: float, currency: str | None = None) -> str:
    """A sum of money as the pages write it: ``12 400 RUB`` in English, ``12 400 ₽`` in
    Russian (`fmt_money` and `currency_sign`)."""
    return fmt_money(v) + (f"\u00a0{currency_sign(currency)}" if currency else "")


def signed_money(v: float, currency: str | None = None) -> str:
    """A change of money with its sign: ``+2 171 996 ₽``, ``−111 000 ₽``; a change that
    rounds to nothing is ``0`` (never ``-0``)."""
    if v is None or pd.isna(v):
        return _("n/a")
    if round(float(v)) == 0:
        return money(0.0, currency)
    return ("+" if v > 0 else MINUS) + money(abs(float(v)), currency)


def signed_percent(x: float) -> str:
    """A relative change as a signed whole percent with a true minus: ``−67%``, ``+12%``
    (``−67 %`` in Russian)."""
    from babel.numbers import format_percent

    from analysis.base.i18n import locale_name

    text = format_percent(abs(x), locale=locale_name())
    if round(abs(x) * 100) == 0:
        return text
    return ("+" if x > 0 else MINUS) + text


def currency_sign(currency: str | None) -> str:
    """How the pages name a currency: its code in English (``RUB``), its sign in Russian
    (``₽``); "" for none."""
    from analysis.base.i18n import locale_name

    if not currency:
        return ""
    if language() == "en":
        return currency
    from babel.numbers import get_currency_symbol

    return get_currency_symbol(currency, locale=locale_name())


def day_words(day) -> str:
    """A day in a sentence: ISO in English (``2026-06-30``, as the English pages have
    always written it), in words in another language (``30 июня 2026``); "" as is."""
    if not day:
        return str(day or "")
    from analysis.base.i18n import fmt_date

    # "9 июля 2026": without "г.", which would stand before a sentence's full stop
    return str(day) if language() == "en" else fmt_date(str(day), "d MMMM y")
