"""A seeded generator of the sample company the kit's examples and tests run on.

The story: a B2B metal-products trader ("Промснаб") cuts its cost per lead (CPL)
about threefold from Q1 to Q2 2026 by cutting its search budgets by about half and
moving the money to two cheap social channels, and its sales still fall, because the
cheap channels bring cold leads (and small firms, so revenue falls further). Within
each qualification class the chance of a sale is the same in both quarters except
for a small overload effect on the sales team (slower first contact, odds of a sale
about x0.9 in all), so most of the fall is marketing's lead mix, not sales.

Counts that the story rests on (won deals per month and class, hot/warm/cold shares
per campaign and month) are drawn by systematic sampling within strata, so they sit
within one of their expected values for any seed, while which lead wins stays random:
the sample tells its story whatever the seed, and its noise is that of lead volumes,
segments, managers and contact times.

Three files are written, shaped like real exports:

``crm_leads.csv``
    A Russian CRM (amoCRM / Bitrix24) lead export: cp1251, ``;``, CRLF, Russian
    headers, dates ``DD.MM.YYYY HH:MM:SS``, money ``184 500,00`` with a non-breaking
    space, personal data (name, phone, e-mail) that a loader must drop.
``ad_spend.csv``
    An ads cabinet export: UTF-8 with BOM, ``,``, one row per campaign per day.
``web_sessions.tsv``
    A web-analytics export: UTF-8, tab-separated, one row per session; the session
    that submitted a lead form carries the CRM lead id.

`generate` also returns ``truth``: the canonical leads table (see
`analysis.schema`) that a correct loader must produce from the three files.

Every parameter of the generating process is a module-level constant below.

Examples
--------
>>> from analysis.synth import generate
>>> sample = generate(seed=1, scale=0.05)
>>> list(sample.truth.columns[:4])
['lead_id', 'created_at', 'source', 'medium']
"""

from __future__ import annotations

import argparse
import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .files import write_atomic
from .profiles import SESSION_FIELDS
from .schema import NO_CAMPAIGN, QUALIFICATION_DTYPE

__all__ = [
    "EXPORT_DATE",
    "DEFAULT_SEED",
    "PERIOD_START",
    "Q2_START",
    "PERIOD_END",
    "FILE_NAMES",
    "CRM_COLUMNS",
    "SPEND_COLUMNS",
    "SESSION_COLUMNS",
    "SampleData",
    "generate",
    "write_sample",
    "main",
]

# --------------------------------------------------------------------------------------
# Calendar
# --------------------------------------------------------------------------------------

#: The day the three exports were taken: deals not closed before it are still open.
EXPORT_DATE = pd.Timestamp("2026-07-10")
#: Seed of the committed sample in ``data/sample``.
DEFAULT_SEED = 20260710
#: First day of Q1, first day of Q2 (and launch of the cheap channels), last day of Q2.
PERIOD_START = pd.Timestamp("2026-01-01")
Q2_START = pd.Timestamp("2026-04-01")
PERIOD_END = pd.Timestamp("2026-06-30")

#: Russian non-working days of H1 2026 (New Year holidays and moved days-off):
#: few leads come in and campaigns spend less.
HOLIDAYS = tuple(
    pd.Timestamp(d)
    for d in (
        *(f"2026-01-{day:02d}" for day in range(1, 12)),
        "2026-02-23",
        "2026-03-09",
        "2026-05-01",
        "2026-05-11",
        "2026-06-12",
    )
)
#: Lead volume by weekday (Mon..Sun), relative to Monday: B2B buyers work on weekdays.
WEEKDAY_LEADS = (1.0, 1.05, 1.0, 0.95, 0.9, 0.5, 0.45)
#: Ad spend by weekday: campaigns run every day but bid lower at weekends.
WEEKDAY_SPEND = (1.0, 1.0, 1.0, 1.0, 0.95, 0.75, 0.7)
#: Lead volume (and spend) on a holiday relative to an ordinary day of that weekday.
HOLIDAY_FACTOR = 0.35
#: Relative number of web leads by hour of day (0..23): working hours, a tail at night.
WEB_HOURS = (
    0.15, 0.08, 0.05, 0.04, 0.04, 0.08, 0.2, 0.45, 0.8, 1.2, 1.45, 1.5,
    1.4, 1.35, 1.45, 1.4, 1.3, 1.15, 0.95, 0.8, 0.7, 0.6, 0.45, 0.3,
)  # fmt: skip
#: Relative number of incoming calls by hour: the office phone line, 8:00-19:00.
PHONE_HOURS = (
    0, 0, 0, 0, 0, 0, 0, 0, 0.3, 1.0, 1.3, 1.3,
    1.1, 1.0, 1.2, 1.2, 1.1, 0.9, 0.5, 0, 0, 0, 0, 0,
)  # fmt: skip
#: Calls at weekends relative to weekdays (the line is open, few people call).
PHONE_WEEKEND = 0.1
#: The sales team's working day, [start, end) hours, on working days.
WORK_HOURS = (9, 19)

# --------------------------------------------------------------------------------------
# Channels: where leads come from
# --------------------------------------------------------------------------------------

QUALIFICATIONS3 = ("hot", "warm", "cold")


@dataclass(frozen=True)
class Channel:
    """One lead channel and its generating parameters.

    ``kind`` is ``paid`` (has spend rows), ``unpaid`` (tags, no spend), ``direct``
    (visitors who only ever came directly), ``phone`` (incoming calls) or ``spend_only``
    (spend without leads). Paid volumes follow from ``budget / cpl``; other volumes are
    given as ``leads`` per quarter. ``mix`` gives the hot/warm/cold shares per quarter;
    ``segments`` (small, mid, large) overrides `SEGMENT_MIX` for the channel's leads.
    """

    key: str
    source: str
    medium: str
    campaign: str  # "" where there is none
    kind: str
    start: pd.Timestamp = PERIOD_START
    end: pd.Timestamp = PERIOD_END
    budget: tuple[float, float] = (0.0, 0.0)  # RUB per quarter (Q1, Q2)
    cpl: float = math.inf  # RUB per lead
    leads: tuple[float, float] = (0.0, 0.0)  # expected leads per quarter, unpaid kinds
    mix: tuple[tuple[float, float, float], tuple[float, float, float]] = (
        (0.0, 0.0, 1.0),
        (0.0, 0.0, 1.0),
    )
    cpc: float = math.inf  # RUB per click, for the spend file's Clicks
    ctr: float = 1.0  # clicks per impression
    pages: tuple[str, ...] = ("/",)  # landing pages
    segments: tuple[float, float, float] | None = None  # small/mid/large; None: by class


_CATALOG = (
    "/katalog/armatura",
    "/katalog/truba-profilnaya",
    "/katalog/list-goryachekatanyy",
    "/katalog/ugolok",
    "/katalog/metizy",
)

#: All channels. Budgets and CPLs are set so that at scale 1 Q1 has about 1,250 leads and
#: Q2 about 3,050, spend is about 1.75 million RUB in Q1 and 5% less in Q2, and the paid
#: CPL falls from about 1,950 to about 610 RUB (to 0.31). In Q2 the search budgets are
#: cut by 53-55% and retargeting's by 43%; the money goes to the VK quiz lead form and
#: Telegram channel ads. Their CPLs (320, 480) sit a little above the round 300 and 450:
#: at the class win rates below, a quiz lead at 300 RUB would sell about as many deals
#: per ruble as search does, and the story needs cheap leads to be worse per ruble.
CHANNELS: tuple[Channel, ...] = (
    Channel(
        "ya_brand_search", "yandex", "cpc", "ya_brand_search", "paid",
        budget=(560_000, 260_000), cpl=2500, cpc=38, ctr=0.09,
        mix=((0.60, 0.28, 0.12), (0.60, 0.28, 0.12)),  # people who search the brand
        pages=("/", "/", "/o-kompanii", "/kontakty"),
    ),
    Channel(
        "ya_generic_search", "yandex", "cpc", "ya_generic_search", "paid",
        budget=(480_000, 220_000), cpl=1800, cpc=62, ctr=0.04,
        mix=((0.20, 0.50, 0.30), (0.20, 0.50, 0.30)),  # warm-heavy
        pages=_CATALOG,
    ),
    Channel(
        "g_search", "google", "cpc", "g_search", "paid",
        budget=(370_000, 170_000), cpl=2000, cpc=55, ctr=0.035,
        mix=((0.30, 0.40, 0.30), (0.30, 0.40, 0.30)),
        pages=_CATALOG,
    ),
    Channel(
        "vk_retargeting", "vk", "paid_social", "vk_retargeting", "paid",
        budget=(280_000, 160_000), cpl=1200, cpc=24, ctr=0.008,
        mix=((0.15, 0.40, 0.45), (0.15, 0.40, 0.45)),
        pages=("/akcii", "/katalog/armatura", "/katalog/truba-profilnaya"),
    ),
    Channel(
        "vk_leadform_quiz", "vk", "paid_social", "vk_leadform_quiz", "paid",
        start=Q2_START, budget=(0, 540_000), cpl=320, cpc=11, ctr=0.012,
        mix=((0.01, 0.05, 0.94), (0.01, 0.05, 0.94)),  # a prize quiz: almost all cold
        segments=(0.85, 0.13, 0.02),  # sole traders and small builders
        pages=("/quiz/raschet-metalla",),
    ),
    Channel(
        "tg_channel_ads", "telegram", "paid_social", "tg_channel_ads", "paid",
        start=Q2_START, budget=(0, 300_000), cpl=480, cpc=16, ctr=0.006,
        mix=((0.01, 0.05, 0.94), (0.01, 0.05, 0.94)),  # mostly cold
        segments=(0.8, 0.17, 0.03),
        pages=("/akcii/telegram", "/quiz/raschet-metalla"),
    ),
    Channel(
        "ya_display_test", "yandex", "cpm", "ya_display_test", "spend_only",
        start=pd.Timestamp("2026-02-01"), end=pd.Timestamp("2026-02-28"),
        budget=(56_000, 0), cpc=9, ctr=0.002,  # a test in February: spend, no leads
        pages=("/akcii",),
    ),
    Channel(
        "yandex_organic", "yandex", "organic", "", "unpaid",
        leads=(85, 85), mix=((0.25, 0.40, 0.35), (0.25, 0.40, 0.35)),
        pages=("/", *_CATALOG, "/dostavka", "/blog/kak-vybrat-armaturu"),
    ),
    Channel(
        "google_organic", "google", "organic", "", "unpaid",
        leads=(35, 35), mix=((0.25, 0.40, 0.35), (0.25, 0.40, 0.35)),
        pages=("/", *_CATALOG, "/dostavka"),
    ),
    Channel(
        "partner_newsletter", "partner", "email", "partner_newsletter", "unpaid",
        leads=(25, 25), mix=((0.20, 0.40, 0.40), (0.20, 0.40, 0.40)),  # tags, no spend
        pages=("/akcii", "/novinki"),
    ),
    Channel(
        "direct", "(direct)", "(none)", "", "direct",
        leads=(30, 30), mix=((0.30, 0.40, 0.30), (0.30, 0.40, 0.30)),
        pages=("/", "/", "/kontakty", "/katalog"),
    ),
    Channel(
        "phone", "phone", "call", "", "phone",
        # most callers found the number through search: fewer and colder in Q2
        leads=(170, 150), mix=((0.35, 0.40, 0.25), (0.25, 0.35, 0.40)),
    ),
)  # fmt: skip

#: Domain of the company's site (``.example``: reserved, never a real site).
SITE = "https://promsnab.example"
#: Share of paid web leads whose CRM entry URL carries the campaign's UTM tags (the
#: rest: a bare URL or blank, so only the web-analytics export tells their source).
#: The entry URL is the one the CRM's site widget kept (in a cookie) from the visit that
#: carried the tags, so a lead whose form session was a later direct visit still has
#: its channel's tags, as amoCRM and Bitrix24 widgets do.
PAID_UTM_SHARE = 0.85
#: Same for the newsletter's leads (its links are tagged too).
NEWSLETTER_UTM_SHARE = 0.9
#: Share of tagged URLs whose parameters come in another order.
SHUFFLED_PARAMS_SHARE = 0.2
#: Share of untagged web leads whose entry URL is blank.
BLANK_URL_SHARE = 0.3
#: Share of Yandex-organic URLs with Yandex's ``ysclid`` parameter (not a UTM tag).
YSCLID_SHARE = 0.3

# --------------------------------------------------------------------------------------
# Web sessions
# --------------------------------------------------------------------------------------

#: Chance that a non-direct web lead's form session is a direct visit that follows the
#: channel's session (so the last click is direct and the last non-direct click is the
#: channel).
DIRECT_LAST_SHARE = 0.21
#: Chance that a web lead's visitor first came from a different source before the
#: channel's session (retargeting, by its nature, almost always).
EARLIER_OTHER_SHARE = 0.2
EARLIER_OTHER_SHARE_RETARGETING = 0.7
#: Sources of such earlier visits, with weights (one of a different source is drawn).
EARLIER_OTHER = (
    ("yandex_organic", 0.35),
    ("google_organic", 0.2),
    ("ya_generic_search", 0.2),
    ("g_search", 0.15),
    ("partner_newsletter", 0.1),
)
#: Median hours between a visitor's sessions (lognormal, sigma 1).
SESSION_GAP_HOURS = 30.0
#: Sessions of visitors who never left a lead, at scale 1.
NON_LEAD_SESSIONS = 2000
#: Their number of sessions per visitor (1, 2, 3) and their channels, with weights.
NON_LEAD_SESSIONS_PER_VISITOR = (0.6, 0.28, 0.12)
NON_LEAD_CHANNELS = (
    ("direct", 0.22),
    ("yandex_organic", 0.2),
    ("google_organic", 0.08),
    ("ya_brand_search", 0.08),
    ("ya_generic_search", 0.1),
    ("g_search", 0.07),
    ("vk_retargeting", 0.05),
    ("vk_leadform_quiz", 0.08),
    ("tg_channel_ads", 0.06),
    ("partner_newsletter", 0.03),
    ("ya_display_test", 0.05),
)

# --------------------------------------------------------------------------------------
# Qualification, segment, managers
# --------------------------------------------------------------------------------------

#: Share of leads never qualified at all (blank "Качество лида"); they win with
#: `UNQUALIFIED_WIN_PROB`.
UNQUALIFIED_SHARE = 0.012
#: Open deals created in the last `PENDING_DAYS` days of Q2 whose qualification is still
#: blank at export, with this chance: most blank qualifications are such recent leads.
PENDING_DAYS = 21
PENDING_SHARE = 0.6

SEGMENTS = ("Малый бизнес", "Средний бизнес", "Крупный бизнес")
#: Segment shares (small, mid, large) by qualification: hotter leads are bigger firms.
SEGMENT_MIX = {
    "hot": (0.40, 0.38, 0.22),
    "warm": (0.55, 0.33, 0.12),
    "cold": (0.72, 0.22, 0.06),
}
#: Share of leads whose segment is blank in the CRM.
BLANK_SEGMENT_SHARE = 0.04
#: Odds multipliers on winning by segment (mild: small < mid < large).
SEGMENT_ODDS = (0.8, 1.0, 1.25)
#: Median deal size by segment, RUB (lognormal, sigma `DEAL_SIGMA`), rounded to 500: a
#: batch of metal products. With these, brand search pays back about five times its
#: spend, and Telegram ads lose about two thirds of theirs.
DEAL_MEDIAN = (18_000, 54_000, 135_000)
DEAL_SIGMA = 0.55
#: Share of non-won deals with a blank budget.
BLANK_BUDGET_SHARE = 0.1

#: The managers: name, odds multiplier on winning (skill), median minutes to first
#: contact in Q1 (counted from the start of the next working hour). The last is a
#: trainee who starts on `TRAINEE_START`.
MANAGERS = (
    ("Анна Смирнова", 1.6, 10),
    ("Дмитрий Козлов", 1.25, 20),
    ("Елена Попова", 1.0, 45),
    ("Игорь Волков", 1.0, 60),
    ("Ольга Новикова", 0.75, 120),
    ("Павел Морозов", 0.55, 240),
    ("Кирилл Лебедев", 0.7, 90),
)
TRAINEE_START = pd.Timestamp("2026-05-15")
#: Trainee's share of leads from `TRAINEE_START` on: about 50 leads at scale 1.
TRAINEE_SHARE = 0.028
#: How leads of each class are routed to the six staff managers. Not uniform: the
#: weakest manager gets more hot leads and the best more cold ones, so a raw ranking
#: by conversion is confounded by lead mix.
MANAGER_WEIGHTS = {
    "hot": (0.13, 0.15, 0.16, 0.16, 0.15, 0.25),
    "warm": (0.17, 0.17, 0.17, 0.17, 0.16, 0.16),
    "cold": (0.22, 0.18, 0.16, 0.16, 0.15, 0.13),
}
#: Multiplier on the median time to first contact in Q2: the team is overloaded.
Q2_CONTACT_SLOWDOWN = 1.5
#: Spread (sigma of log minutes) of the time to first contact.
CONTACT_SIGMA = 1.1
#: Chance that a web lead is never contacted, Q1 and Q2.
NEVER_CONTACTED = (0.03, 0.045)
#: Chance that a call in working hours was missed and the caller is called back later.
MISSED_CALL_SHARE = 0.1

# --------------------------------------------------------------------------------------
# Winning
# --------------------------------------------------------------------------------------

#: Chance of a sale for a reference lead (mid-size firm, manager of skill 1, contacted
#: within 1-4 hours, Q1), by qualification. Never-qualified leads: `UNQUALIFIED_WIN_PROB`.
#: Cold leads almost never buy (0.6%): with the quiz and Telegram bringing 94% cold
#: leads, their cost per sale is two to four times search's, and Q2's cost per sale
#: rises by more than chance while cost per lead falls threefold.
WIN_PROB = {"hot": 0.34, "warm": 0.115, "cold": 0.006}
UNQUALIFIED_WIN_PROB = 0.05
#: Odds multipliers by hours from lead to first contact: (upper bound, multiplier).
SPEED_ODDS = ((1.0, 1.15), (4.0, 1.0), (24.0, 0.9), (math.inf, 0.8))
#: Odds multiplier for Q2 leads: the overloaded team closes a little less. With the
#: slower first contact (`Q2_CONTACT_SLOWDOWN`) Q2 odds come to about x0.9 in all.
Q2_OVERLOAD_ODDS = 0.95
#: Odds multiplier for a lead never contacted: it almost never buys.
NEVER_CONTACTED_ODDS = 0.02
#: Days from lead to close: won deals (median 14, 3..60), lost deals (median 6, 1..30).
WON_DAYS = (14.0, 0.75, 3, 60)
LOST_DAYS = (10.0, 0.8, 1, 30)

WON_STAGE = "Успешно реализовано"
LOST_STAGE = "Закрыто и не реализовано"
OPEN_STAGES = ("Новая заявка", "Взят в работу", "КП отправлено")
LOST_REASONS = (
    "Нет потребности",
    "Дорого",
    "Не выходит на связь",
    "Перезвонить позже",
    "Выбрали конкурента",
    "Спам / ошибка",
)
#: Lost-reason shares (in `LOST_REASONS` order) by qualification and for leads never
#: contacted. Cold leads: mostly no need, unreachable, call back later.
LOST_REASON_MIX = {
    "hot": (0.12, 0.32, 0.06, 0.14, 0.33, 0.03),
    "warm": (0.18, 0.28, 0.08, 0.16, 0.27, 0.03),
    "cold": (0.34, 0.06, 0.24, 0.22, 0.05, 0.09),
    "unknown": (0.20, 0.05, 0.35, 0.10, 0.05, 0.25),
    "never_contacted": (0.0, 0.0, 0.8, 0.0, 0.0, 0.2),
}

# --------------------------------------------------------------------------------------
# Fake personal data (only ever invented: the loader must drop it anyway)
# --------------------------------------------------------------------------------------

MALE_SHARE = 0.6
MALE_NAMES = (
    "Александр", "Сергей", "Андрей", "Алексей", "Дмитрий", "Максим", "Евгений", "Иван",
    "Михаил", "Николай", "Владимир", "Артём", "Роман", "Денис", "Олег", "Виктор",
    "Юрий", "Константин", "Павел", "Игорь",
)  # fmt: skip
FEMALE_NAMES = (
    "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Анна", "Мария",
    "Екатерина", "Юлия", "Марина", "Людмила", "Оксана", "Галина",
)  # fmt: skip
#: Male surnames; the female form adds "а".
SURNAMES = (
    "Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов",
    "Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев",
    "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Николаев", "Орлов",
    "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Борисов", "Яковлев",
    "Григорьев", "Романов",
)  # fmt: skip
#: Fathers' names as patronymic stems: a man's adds "ич", a woman's "на".
PATRONYMIC_STEMS = (
    "Александров", "Сергеев", "Андреев", "Алексеев", "Владимиров", "Николаев",
    "Викторов", "Игорев", "Михайлов", "Петров", "Юрьев", "Олегов",
)  # fmt: skip
MAIL_DOMAINS = ("mail.example", "yandex.example", "gmail.example", "inbox.example", "bk.example")
COMPANY_DOMAINS = ("stroymontazh.example", "metallservis.example", "uralsnab.example",
                   "promtekh.example", "volgastroy.example", "tehnoprom.example")  # fmt: skip
#: Share of e-mails at a company domain rather than a public mail service.
COMPANY_MAIL_SHARE = 0.3

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        ("a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya").split(),
        strict=True,
    )
)

# --------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------

FILE_NAMES = {"crm": "crm_leads.csv", "spend": "ad_spend.csv", "sessions": "web_sessions.tsv"}
CRM_COLUMNS = (
    "ID",
    "Дата создания",
    "Контакт",
    "Телефон",
    "E-mail",
    "Ответственный",
    "Источник",
    "Страница входа",
    "Качество лида",
    "Сегмент",
    "Этап сделки",
    "Причина отказа",
    "Бюджет",
    "Дата первого контакта",
    "Дата закрытия",
)
SPEND_COLUMNS = ("Date", "Source", "Campaign", "Cost", "Impressions", "Clicks")
#: The web-analytics export uses the kit's own session field names.
SESSION_COLUMNS = SESSION_FIELDS
#: How each file is written: encoding, delimiter, line terminator.
_FORMATS = {
    "crm": ("cp1251", ";", "\r\n"),
    "spend": ("utf-8-sig", ",", "\n"),
    "sessions": ("utf-8", "\t", "\n"),
}
QUALIFICATION_LABELS = {"hot": "Горячий", "warm": "Тёплый", "cold": "Холодный"}
WEB_SOURCE_LABEL = "Заявка с сайта"
PHONE_SOURCE_LABEL = "Входящий звонок"
FIRST_LEAD_ID = 10001

_CRM_TIME = "%d.%m.%Y %H:%M:%S"
_CRM_DATE = "%d.%m.%Y"
_SECOND = np.timedelta64(1, "s")
_DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class SampleData:
    """A generated sample: the three exports as written, and the expected leads table.

    Attributes
    ----------
    crm, spend, sessions : DataFrame
        The files' rows in file order; every column holds strings exactly as written,
        with ``""`` for a blank field (as ``read_csv(dtype=str, keep_default_na=False)``
        reads them back).
    truth : DataFrame
        The canonical leads table a loader must produce from the files: columns
        lead_id, created_at, source, medium, campaign, segment, manager, qualification,
        converted, revenue, won_at, first_contact_at, stage, lost_reason, attributed_by.
    """

    crm: pd.DataFrame
    spend: pd.DataFrame
    sessions: pd.DataFrame
    truth: pd.DataFrame


# --------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------


def generate(seed: int = DEFAULT_SEED, scale: float = 1.0) -> SampleData:
    """Generate the sample company's three exports and the leads table they encode.

    Parameters
    ----------
    seed : int, default DEFAULT_SEED
        Seed of ``numpy.random.default_rng``; the same seed and scale give the same data.
    scale : float, default 1.0
        Multiplies lead volumes, sessions and spend (1.0 is the committed sample, about
        4,300 leads; 0.2 is enough for quick tests).

    Returns
    -------
    SampleData
        ``crm``, ``spend``, ``sessions`` as they are written, and ``truth``.

    Raises
    ------
    ValueError
        If ``seed`` is not a non-negative integer or ``scale`` not in (0, 20].

    Examples
    --------
    >>> data = generate(seed=7, scale=0.05)
    >>> data.crm.columns[0], data.spend.columns[0], data.sessions.columns[0]
    ('ID', 'Date', 'visitor_id')
    """
    _check_args(seed, scale)
    rng = np.random.default_rng(seed)
    channels = {ch.key: ch for ch in CHANNELS}
    spend, paid_days = _make_spend(rng, scale)
    leads = _make_leads(rng, scale, paid_days)
    _qualify(rng, leads)
    _contact(rng, leads)
    _outcome(rng, leads)
    _pending_qualification(rng, leads)
    _personal_data(rng, leads)
    _entry_urls(rng, leads)
    sessions = _make_sessions(rng, leads, channels, scale)
    return SampleData(
        crm=_crm_table(leads),
        spend=spend,
        sessions=sessions,
        truth=_truth_table(leads),
    )


def write_sample(out_dir: Path, seed: int = DEFAULT_SEED, scale: float = 1.0) -> dict[str, Path]:
    """Generate a sample and write its three files into ``out_dir``.

    Each file is rendered in memory, written to a temporary file in ``out_dir`` and
    renamed over the target, so a failure never leaves a half-written file. The bytes
    depend only on ``seed`` and ``scale``.

    Parameters
    ----------
    out_dir : Path
        Folder to write into; created if missing.
    seed, scale
        As for `generate`.

    Returns
    -------
    dict
        ``{"crm": path, "spend": path, "sessions": path}``.

    Raises
    ------
    ValueError
        On a bad ``seed`` or ``scale``, before anything is written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_sample(Path(tmp), seed=1, scale=0.05)
    ...     sorted(p.name for p in paths.values())
    ['ad_spend.csv', 'crm_leads.csv', 'web_sessions.tsv']
    """
    data = generate(seed=seed, scale=scale)
    rendered = {
        "crm": _render(data.crm, *_FORMATS["crm"]),
        "spend": _render(data.spend, *_FORMATS["spend"]),
        "sessions": _render(data.sessions, *_FORMATS["sessions"]),
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, payload in rendered.items():
        paths[name] = out_dir / FILE_NAMES[name]
        write_atomic(paths[name], payload)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m analysis.synth OUT_DIR [--seed N] [--scale X]``."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis.synth",
        description="Write the sample company's CRM, ad-spend and web-session exports.",
    )
    parser.add_argument("out_dir", type=Path, help="folder to write the three files into")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument("--scale", type=float, default=1.0, help="volume multiplier")
    args = parser.parse_args(argv)
    try:
        paths = write_sample(args.out_dir, seed=args.seed, scale=args.scale)
    except ValueError as exc:
        parser.error(str(exc))
    for path in paths.values():
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


# --------------------------------------------------------------------------------------
# Generation steps. `leads` is a dict of numpy arrays, one entry per lead.
# --------------------------------------------------------------------------------------


def _check_args(seed: object, scale: object) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if (
        isinstance(scale, bool)
        or not isinstance(scale, int | float | np.number)
        or not 0 < scale <= 20
    ):
        raise ValueError(f"scale must be a number in (0, 20], got {scale!r}")


def _days() -> pd.DatetimeIndex:
    return pd.date_range(PERIOD_START, PERIOD_END, freq="D")


def _quarter(ts: np.ndarray) -> np.ndarray:
    """0 for Q1, 1 for Q2."""
    return (ts >= Q2_START.to_datetime64()).astype(np.int64)


def _month(ts: np.ndarray) -> np.ndarray:
    """Calendar month, 0 for January."""
    return ts.astype("datetime64[M]").astype(np.int64) % 12


def _day_weights(days: pd.DatetimeIndex, weekday: Sequence[float]) -> np.ndarray:
    w = np.asarray(weekday)[days.day_of_week]
    return np.where(days.isin(HOLIDAYS), w * HOLIDAY_FACTOR, w)


def _per_quarter(days: pd.DatetimeIndex, weights: np.ndarray, totals) -> np.ndarray:
    """Spread each quarter's total over its days in proportion to ``weights``."""
    q = _quarter(days.values)
    out = np.zeros(len(days))
    for k in (0, 1):
        mask = (q == k) & (weights > 0)
        if totals[k] > 0 and mask.any():
            out[mask] = totals[k] * weights[mask] / weights[mask].sum()
    return out


def _make_spend(rng: np.random.Generator, scale: float):
    """Daily spend rows, and each paid channel's daily spend for the lead volumes."""
    days = _days()
    rows = []
    paid_days = {}
    for ch in CHANNELS:
        if ch.kind not in ("paid", "spend_only"):
            continue
        active = (days >= ch.start) & (days <= ch.end)
        weights = _day_weights(days, WEEKDAY_SPEND) * active
        cost = _per_quarter(days, weights, [b * scale for b in ch.budget])
        cost = np.round(cost * rng.lognormal(0.0, 0.15, len(days)), 2)
        clicks = np.round(cost / (ch.cpc * rng.lognormal(0.0, 0.1, len(days))))
        impressions = np.round(clicks / (ch.ctr * rng.lognormal(0.0, 0.15, len(days))))
        paid_days[ch.key] = np.where(active, cost, 0.0)
        for i in np.flatnonzero(active):
            rows.append(
                (
                    days[i].strftime("%Y-%m-%d"),
                    ch.source,
                    ch.campaign,
                    f"{cost[i]:.2f}",
                    str(int(impressions[i])),
                    str(int(clicks[i])),
                )
            )
    spend = pd.DataFrame(rows, columns=list(SPEND_COLUMNS), dtype="str")
    spend = spend.sort_values(["Date", "Source", "Campaign"], kind="mergesort")
    return spend.reset_index(drop=True), paid_days


def _make_leads(rng: np.random.Generator, scale: float, paid_days: dict) -> dict:
    """Lead arrivals: channel and creation time, ids in creation order."""
    days = _days()
    web_hours = np.asarray(WEB_HOURS) / sum(WEB_HOURS)
    phone_hours = np.asarray(PHONE_HOURS) / sum(PHONE_HOURS)
    chan_idx, created = [], []
    for idx, ch in enumerate(CHANNELS):
        if ch.kind == "spend_only":
            continue
        if ch.kind == "paid":
            expected = paid_days[ch.key] / ch.cpl
        else:
            weekday = WEEKDAY_LEADS
            if ch.kind == "phone":
                weekday = (*WEEKDAY_LEADS[:5], PHONE_WEEKEND, PHONE_WEEKEND)
            weights = _day_weights(days, weekday)
            expected = _per_quarter(days, weights, [n * scale for n in ch.leads])
        counts = rng.poisson(expected)
        n = int(counts.sum())
        day = np.repeat(days.values.astype("datetime64[s]"), counts)
        hours = rng.choice(24, size=n, p=phone_hours if ch.kind == "phone" else web_hours)
        seconds = hours * 3600 + rng.integers(0, 3600, size=n)
        chan_idx.append(np.full(n, idx))
        created.append(day + seconds * _SECOND)
    chan = np.concatenate(chan_idx)
    when = np.concatenate(created)
    order = np.lexsort((chan, when))
    n = len(order)
    return {
        "id": FIRST_LEAD_ID + np.arange(n),
        "channel": chan[order],
        "created": when[order],
        "quarter": _quarter(when[order]),
    }


def _choose_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category index per row of a (rows x categories) probability matrix."""
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(probs))
    return np.minimum((u[:, None] > cum).sum(axis=1), probs.shape[1] - 1)


def _balanced_choice(rng: np.random.Generator, probs: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """Like `_choose_rows`, but each stratum's category counts are n * share give or take
    one (systematic sampling over a random order). Rows of a stratum share ``probs``."""
    out = np.empty(len(probs), dtype=np.int64)
    order = rng.permutation(len(probs))
    keys = strata[order]
    for key in np.unique(keys):
        idx = order[keys == key]
        cum = np.cumsum(probs[idx[0]])
        pos = (np.arange(len(idx)) + rng.random()) / len(idx) * cum[-1]
        out[idx] = np.minimum(np.searchsorted(cum, pos, side="right"), probs.shape[1] - 1)
    return out


def _balanced_bernoulli(rng: np.random.Generator, p: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """Draws with ``P(row i is True) = p[i]`` whose number of successes in each stratum
    is ``sum(p)`` rounded up or down (systematic sampling over a random order)."""
    out = np.zeros(len(p), dtype=bool)
    order = rng.permutation(len(p))
    keys = strata[order]
    for key in np.unique(keys):
        idx = order[keys == key]
        start = rng.random()
        cum = start + np.cumsum(p[idx])
        out[idx] = np.floor(cum) > np.floor(np.concatenate(([start], cum[:-1])))
    return out


def _qualify(rng: np.random.Generator, leads: dict) -> None:
    """Latent class (0 hot, 1 warm, 2 cold), segment and manager."""
    chan, q = leads["channel"], leads["quarter"]
    mix = np.array([[ch.mix[k] for k in (0, 1)] for ch in CHANNELS])  # channel, q, class
    cls = _balanced_choice(rng, mix[chan, q], strata=chan * 12 + _month(leads["created"]))
    seg_mix = np.array([SEGMENT_MIX[c] for c in QUALIFICATIONS3])[cls]
    override = np.array([ch.segments or (np.nan,) * 3 for ch in CHANNELS])[chan]
    seg = _choose_rows(rng, np.where(np.isnan(override), seg_mix, override))
    manager_w = np.array([MANAGER_WEIGHTS[c] for c in QUALIFICATIONS3])[cls]
    trainee = np.where(
        leads["created"] >= TRAINEE_START.to_datetime64(),
        TRAINEE_SHARE / (1 - TRAINEE_SHARE) * manager_w.sum(axis=1),
        0.0,
    )
    manager = _choose_rows(rng, np.column_stack([manager_w, trainee]))
    leads["class"] = cls
    leads["segment"] = seg
    leads["segment_blank"] = rng.random(len(cls)) < BLANK_SEGMENT_SHARE
    leads["unqualified"] = rng.random(len(cls)) < UNQUALIFIED_SHARE
    leads["manager"] = manager


def _working_calendar() -> tuple[np.ndarray, np.ndarray]:
    """Days from PERIOD_START to EXPORT_DATE and, for each, the next working day."""
    days = pd.date_range(PERIOD_START, EXPORT_DATE + pd.Timedelta(days=15), freq="D")
    working = (days.day_of_week < 5) & ~days.isin(HOLIDAYS)
    nxt = np.empty(len(days), dtype=np.int64)
    following = len(days) - 1
    for i in range(len(days) - 1, -1, -1):
        if working[i]:
            following = i
        nxt[i] = following
    return days.values.astype("datetime64[s]"), nxt


def _next_working_moment(when: np.ndarray) -> np.ndarray:
    """The moment the sales team can first react: ``when`` if inside working hours,
    else 9:00 of the next working day."""
    days, nxt = _working_calendar()
    day_idx = ((when.astype("datetime64[D]") - days[0].astype("datetime64[D]")) / _DAY).astype(
        np.int64
    )
    sec = ((when - when.astype("datetime64[D]")) / _SECOND).astype(np.int64)
    start, end = WORK_HOURS[0] * 3600, WORK_HOURS[1] * 3600
    in_hours = (nxt[day_idx] == day_idx) & (sec >= start) & (sec < end)
    after = sec >= end
    target = nxt[np.minimum(day_idx + after, len(days) - 1)]
    opening = days[target] + start * _SECOND
    return np.where(in_hours, when, opening)


def _contact(rng: np.random.Generator, leads: dict) -> None:
    """First-contact time (NaT if never) and the hours it took."""
    n = len(leads["id"])
    q = leads["quarter"]
    phone = np.array([ch.kind == "phone" for ch in CHANNELS])[leads["channel"]]
    median_min = np.array([m[2] for m in MANAGERS], dtype=float)[leads["manager"]]
    median_min = median_min * np.where(q == 1, Q2_CONTACT_SLOWDOWN, 1.0)
    delay_min = np.minimum(np.exp(rng.normal(np.log(median_min), CONTACT_SIGMA)), 5 * 24 * 60)
    start = _next_working_moment(leads["created"])
    contact = start + np.round(delay_min * 60).astype(np.int64) * _SECOND
    # a call in working hours is answered (the call is the first contact) unless missed;
    # out of hours, and when missed, the caller is called back like a web lead
    answered = (rng.random(n) >= MISSED_CALL_SHARE) & (start == leads["created"])
    talk = rng.integers(15, 180, size=n) * _SECOND
    contact = np.where(phone & answered, leads["created"] + talk, contact)
    never = ~phone & (rng.random(n) < np.asarray(NEVER_CONTACTED)[q])
    leads["contacted"] = ~never
    leads["first_contact"] = np.where(never, np.datetime64("NaT"), contact)
    leads["contact_hours"] = (contact - leads["created"]) / np.timedelta64(1, "h")


def _trunc_lognormal(
    rng: np.random.Generator, params: tuple[float, float, float, float], size: int
) -> np.ndarray:
    """Whole days, lognormal(median, sigma) redrawn until inside [low, high]."""
    median, sigma, low, high = params
    out = np.round(np.exp(rng.normal(np.log(median), sigma, size)))
    bad = (out < low) | (out > high)
    while bad.any():
        out[bad] = np.round(np.exp(rng.normal(np.log(median), sigma, int(bad.sum()))))
        bad = (out < low) | (out > high)
    return out.astype(np.int64)


def _win_probability(leads: dict) -> np.ndarray:
    cls, q = leads["class"], leads["quarter"]
    p0 = np.array([WIN_PROB[c] for c in QUALIFICATIONS3])[cls]
    p0 = np.where(leads["unqualified"], UNQUALIFIED_WIN_PROB, p0)
    odds = p0 / (1 - p0)
    seg_odds = np.where(leads["segment_blank"], 1.0, np.asarray(SEGMENT_ODDS)[leads["segment"]])
    skill = np.array([m[1] for m in MANAGERS])[leads["manager"]]
    bounds = np.array([b for b, _ in SPEED_ODDS])
    speed = np.array([m for _, m in SPEED_ODDS])[np.searchsorted(bounds, leads["contact_hours"])]
    odds = odds * seg_odds * skill * speed
    odds = odds * np.where(q == 1, Q2_OVERLOAD_ODDS, 1.0)
    odds = odds * np.where(leads["contacted"], 1.0, NEVER_CONTACTED_ODDS)
    return odds / (1 + odds)


def _outcome(rng: np.random.Generator, leads: dict) -> None:
    """Won or lost, close date, open at export, stage, lost reason and budget."""
    n = len(leads["id"])
    p_win = _win_probability(leads)
    month = _month(leads["created"])
    stratum = month * 4 + np.where(leads["unqualified"], 3, leads["class"])
    won = _balanced_bernoulli(rng, p_win, stratum)
    days = np.where(won, _trunc_lognormal(rng, WON_DAYS, n), _trunc_lognormal(rng, LOST_DAYS, n))
    created_day = leads["created"].astype("datetime64[D]")
    close = created_day + days * _DAY
    contact_day = leads["first_contact"].astype("datetime64[D]")
    close = np.where(leads["contacted"] & (contact_day > close), contact_day, close)
    closed = close < EXPORT_DATE.to_datetime64().astype("datetime64[D]")

    # lost reasons: by class, never-contacted leads mostly unreachable
    keys = [*QUALIFICATIONS3]
    reason_mix = np.array([LOST_REASON_MIX[k] for k in keys])[leads["class"]]
    reason_mix = np.where(
        leads["unqualified"][:, None], np.array(LOST_REASON_MIX["unknown"]), reason_mix
    )
    reason_mix = np.where(
        leads["contacted"][:, None], reason_mix, np.array(LOST_REASON_MIX["never_contacted"])
    )
    reason = _choose_rows(rng, reason_mix)

    # open deals: a stage that fits what the deal would become
    u = rng.random(n)
    open_stage = np.where(
        won, np.where(u < 0.6, 2, 1), np.where(u < 0.15, 0, np.where(u < 0.85, 1, 2))
    )
    open_stage = np.where(leads["contacted"], open_stage, 0)

    seg = leads["segment"]
    budget = np.exp(rng.normal(np.log(np.asarray(DEAL_MEDIAN, dtype=float)[seg]), DEAL_SIGMA))
    budget = np.maximum(np.round(budget / 500) * 500, 5000.0)
    budget_blank = ~(won & closed) & (rng.random(n) < BLANK_BUDGET_SHARE)

    leads["p_win"] = p_win
    leads["won"] = won & closed
    leads["lost"] = ~won & closed
    leads["would_win"] = won
    leads["close"] = np.where(closed, close, np.datetime64("NaT"))
    leads["close_days"] = days
    leads["stage"] = np.where(
        closed, np.where(won, WON_STAGE, LOST_STAGE), np.asarray(OPEN_STAGES)[open_stage]
    )
    leads["reason"] = np.where(~won & closed, np.asarray(LOST_REASONS)[reason], "")
    leads["budget"] = np.where(budget_blank, np.nan, budget)


def _pending_qualification(rng: np.random.Generator, leads: dict) -> None:
    """Blank qualification: never qualified, or recent and still open at export."""
    is_open = ~(leads["won"] | leads["lost"])
    recent = leads["created"] >= (PERIOD_END - pd.Timedelta(days=PENDING_DAYS - 1)).to_datetime64()
    pending = is_open & recent & (rng.random(len(is_open)) < PENDING_SHARE)
    leads["qualification_blank"] = leads["unqualified"] | pending
    # a deal whose qualification is pending has not got far yet
    leads["stage"] = np.where(
        pending & (leads["stage"] == OPEN_STAGES[2]), OPEN_STAGES[1], leads["stage"]
    )


def _translit(text: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch) for ch in text.lower()).replace("_", "")


def _personal_data(rng: np.random.Generator, leads: dict) -> None:
    """Invented names, phones and e-mails."""
    n = len(leads["id"])
    male = rng.random(n) < MALE_SHARE
    first_m = rng.integers(0, len(MALE_NAMES), n)
    first_f = rng.integers(0, len(FEMALE_NAMES), n)
    last = rng.integers(0, len(SURNAMES), n)
    patr = rng.integers(0, len(PATRONYMIC_STEMS), n)
    full = rng.random(n) < 0.65  # "Фамилия Имя Отчество", else "Имя Фамилия"
    email_style = rng.integers(0, 4, n)
    company = rng.random(n) < COMPANY_MAIL_SHARE
    domain_pub = rng.integers(0, len(MAIL_DOMAINS), n)
    domain_co = rng.integers(0, len(COMPANY_DOMAINS), n)
    year = rng.integers(60, 100, n) % 100
    digits = rng.integers(0, 10, size=(n, 9))
    names, emails, phones = [], [], []
    for i in range(n):
        first = MALE_NAMES[first_m[i]] if male[i] else FEMALE_NAMES[first_f[i]]
        surname = SURNAMES[last[i]] + ("" if male[i] else "а")
        patronymic = PATRONYMIC_STEMS[patr[i]] + ("ич" if male[i] else "на")
        names.append(f"{surname} {first} {patronymic}" if full[i] else f"{first} {surname}")
        f, s = _translit(first), _translit(surname)
        if company[i]:
            local = f"{f[0]}.{s}" if email_style[i] % 2 else s
            emails.append(f"{local}@{COMPANY_DOMAINS[domain_co[i]]}")
        else:
            local = (f"{f}.{s}{year[i]:02d}", f"{f}_{s}", f"{f[0]}{s}", f"{s}.{f}{year[i]:02d}")
            emails.append(f"{local[email_style[i]]}@{MAIL_DOMAINS[domain_pub[i]]}")
        d = "".join(map(str, digits[i]))
        phones.append(f"+7 9{d[:2]} {d[2:5]}-{d[5:7]}-{d[7:9]}")
    leads["name"] = np.array(names, dtype=object)
    leads["email"] = np.array(emails, dtype=object)
    leads["phone"] = np.array(phones, dtype=object)


def _click_id(rng: np.random.Generator, source: str) -> str | None:
    if source == "yandex":
        return f"yclid={rng.integers(10**16, 10**17)}"
    if source == "google":
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
        tail = "".join(alphabet[k] for k in rng.integers(0, len(alphabet), 24))
        return f"gclid=Cj0KCQjw{tail}"
    return None


def _entry_urls(rng: np.random.Generator, leads: dict) -> None:
    """The CRM's entry page (landing URL) and the session landing path of each lead."""
    n = len(leads["id"])
    u_tag, u_blank, u_order, u_extra = rng.random((4, n))
    page_pick = rng.integers(0, 1_000_000, n)
    urls, paths, tagged = [], [], np.zeros(n, dtype=bool)
    for i in range(n):
        ch = CHANNELS[leads["channel"][i]]
        path = ch.pages[page_pick[i] % len(ch.pages)]
        paths.append(path)
        if ch.kind == "phone":
            urls.append("")
            continue
        share = {"paid": PAID_UTM_SHARE, "unpaid": NEWSLETTER_UTM_SHARE}.get(ch.kind, 0.0)
        if ch.campaign and u_tag[i] < share:
            params = [
                f"utm_source={ch.source}",
                f"utm_medium={ch.medium}",
                f"utm_campaign={ch.campaign}",
            ]
            if ch.source == "vk" and u_extra[i] < 0.5:
                params.append(f"utm_content=ad{rng.integers(1000, 9999)}")
            click = _click_id(rng, ch.source)
            if click:
                params.append(click)
            if u_order[i] < SHUFFLED_PARAMS_SHARE:
                params = [params[k] for k in rng.permutation(len(params))]
            urls.append(f"{SITE}{path}?{'&'.join(params)}")
            tagged[i] = True
        elif u_blank[i] < BLANK_URL_SHARE:
            urls.append("")
        elif ch.key == "yandex_organic" and u_extra[i] < YSCLID_SHARE:
            urls.append(f"{SITE}{path}?ysclid={_ysclid(rng)}")
        else:
            urls.append(f"{SITE}{path}")
    leads["url"] = np.array(urls, dtype=object)
    leads["path"] = np.array(paths, dtype=object)
    leads["tagged"] = tagged


def _ysclid(rng: np.random.Generator) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[k] for k in rng.integers(0, len(alphabet), 18))


def _session_tags(ch: Channel) -> tuple[str, str, str]:
    """How the web analytics classifies a session from this channel."""
    return ch.source, ch.medium, ch.campaign


def _visitor_ids(rng: np.random.Generator, n: int) -> list[str]:
    ids: list[int] = []
    seen: set[int] = set()
    while len(ids) < n:
        for v in rng.integers(10**9, 10**10, size=n - len(ids) + 16).tolist():
            if v not in seen and len(ids) < n:
                seen.add(v)
                ids.append(v)
    return [f"v{v}" for v in ids]


def _fmt_ts(values) -> list[str]:
    return pd.Series(pd.to_datetime(values)).dt.strftime("%Y-%m-%d %H:%M:%S").tolist()


def _make_sessions(
    rng: np.random.Generator, leads: dict, channels: dict, scale: float
) -> pd.DataFrame:
    """Sessions of lead visitors (1-3, the last submits the form) and of others."""
    n = len(leads["id"])
    web = np.flatnonzero([CHANNELS[c].kind != "phone" for c in leads["channel"]])
    n_non_lead_visitors = int(
        round(NON_LEAD_SESSIONS * scale / np.dot(NON_LEAD_SESSIONS_PER_VISITOR, (1, 2, 3)))
    )
    visitors = _visitor_ids(rng, len(web) + n_non_lead_visitors)
    u_direct, u_other, u_pick = rng.random((3, n))
    page_pick = rng.integers(0, 1_000_000, n)
    lead_offset = rng.integers(60, 15 * 60, n)  # form session starts 1-15 min before
    gap1 = np.exp(rng.normal(np.log(SESSION_GAP_HOURS * 3600), 1.0, n))
    gap2 = np.exp(rng.normal(np.log(SESSION_GAP_HOURS * 3600 * 2), 1.0, n))
    frac = rng.uniform(0.3, 0.9, (2, n))
    direct = channels["direct"]
    period_start = PERIOD_START.to_datetime64().astype("datetime64[s]")
    other_keys = [k for k, _ in EARLIER_OTHER]
    other_w = np.array([w for _, w in EARLIER_OTHER])

    rows: list[tuple] = []
    for v, i in enumerate(web):
        ch = CHANNELS[leads["channel"][i]]
        since = lambda t, start: int((t - start.to_datetime64()) / _SECOND)  # noqa: E731
        offset = min(int(lead_offset[i]), since(leads["created"][i], ch.start))
        lead_start = leads["created"][i] - offset * _SECOND
        seq = []  # (time, channel, path, is_lead)
        t = lead_start
        if ch.kind != "direct" and u_direct[i] < DIRECT_LAST_SHARE and since(t, ch.start) > 7200:
            seq.append((t, direct, direct.pages[page_pick[i] % len(direct.pages)], True))
            t = t - int(min(gap1[i], since(t, ch.start) * frac[0, i])) * _SECOND
            seq.append((t, ch, leads["path"][i], False))
        else:
            seq.append((t, ch, leads["path"][i], True))
        share = EARLIER_OTHER_SHARE
        if ch.key == "vk_retargeting":
            share = EARLIER_OTHER_SHARE_RETARGETING
        room = int((t - period_start) / _SECOND)
        if ch.kind != "direct" and u_other[i] < share and room > 7200:
            ok = np.array([channels[k].source != ch.source for k in other_keys])
            w = other_w * ok
            other = channels[other_keys[int(np.searchsorted(np.cumsum(w / w.sum()), u_pick[i]))]]
            t = t - int(min(gap2[i], room * frac[1, i])) * _SECOND
            seq.append((t, other, other.pages[page_pick[i] % len(other.pages)], False))
        for when, c, path, is_lead in reversed(seq):
            rows.append(
                (visitors[v], when, *_session_tags(c), path, str(leads["id"][i]) if is_lead else "")
            )

    # visitors who never left a lead
    keys = [k for k, _ in NON_LEAD_CHANNELS]
    weights = np.array([w for _, w in NON_LEAD_CHANNELS])
    span = int((PERIOD_END + pd.Timedelta(days=1) - PERIOD_START) / pd.Timedelta(seconds=1))
    n_sessions = rng.choice((1, 2, 3), size=n_non_lead_visitors, p=NON_LEAD_SESSIONS_PER_VISITOR)
    first = rng.integers(0, span, n_non_lead_visitors)
    for j in range(n_non_lead_visitors):
        t = period_start + int(first[j]) * _SECOND
        for _ in range(int(n_sessions[j])):
            if t >= (PERIOD_END + pd.Timedelta(days=1)).to_datetime64():
                break
            ts = pd.Timestamp(t)
            active = np.array(
                [channels[k].start <= ts.normalize() <= channels[k].end for k in keys]
            )
            w = weights * active
            c = channels[keys[int(rng.choice(len(keys), p=w / w.sum()))]]
            rows.append(
                (
                    visitors[len(web) + j],
                    t,
                    *_session_tags(c),
                    c.pages[int(rng.integers(0, len(c.pages)))],
                    "",
                )
            )
            t = t + int(np.exp(rng.normal(np.log(SESSION_GAP_HOURS * 3600), 1.0))) * _SECOND

    frame = pd.DataFrame(rows, columns=["visitor_id", "t", "utm_source", "utm_medium",
                                        "utm_campaign", "landing_page", "lead_id"])  # fmt: skip
    frame = frame.sort_values(["t", "visitor_id"], kind="mergesort").reset_index(drop=True)
    frame["session_start"] = _fmt_ts(frame["t"].to_numpy())
    return frame[list(SESSION_COLUMNS)].astype("str")


# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------


def _fmt_money(x: float) -> str:
    """184500.0 -> '184\\xa0500,00' (a Russian CRM's number format)."""
    if np.isnan(x):
        return ""
    return f"{x:,.2f}".replace(",", "\xa0").replace(".", ",")


def _fmt_times(values: np.ndarray, fmt: str) -> list[str]:
    s = pd.Series(pd.to_datetime(values)).dt.strftime(fmt)
    return s.fillna("").tolist()


def _crm_table(leads: dict) -> pd.DataFrame:
    phone = np.array([ch.kind == "phone" for ch in CHANNELS])[leads["channel"]]
    qual = np.asarray([QUALIFICATION_LABELS[c] for c in QUALIFICATIONS3])[leads["class"]]
    qual = np.where(leads["qualification_blank"], "", qual)
    seg = np.where(leads["segment_blank"], "", np.asarray(SEGMENTS)[leads["segment"]])
    crm = pd.DataFrame(
        {
            "ID": leads["id"].astype(str),
            "Дата создания": _fmt_times(leads["created"], _CRM_TIME),
            "Контакт": leads["name"],
            "Телефон": leads["phone"],
            "E-mail": leads["email"],
            "Ответственный": np.asarray([m[0] for m in MANAGERS])[leads["manager"]],
            "Источник": np.where(phone, PHONE_SOURCE_LABEL, WEB_SOURCE_LABEL),
            "Страница входа": leads["url"],
            "Качество лида": qual,
            "Сегмент": seg,
            "Этап сделки": leads["stage"],
            "Причина отказа": leads["reason"],
            "Бюджет": [_fmt_money(x) for x in leads["budget"]],
            "Дата первого контакта": _fmt_times(leads["first_contact"], _CRM_TIME),
            "Дата закрытия": _fmt_times(leads["close"], _CRM_DATE),
        },
        dtype="str",
    )
    return crm.iloc[::-1].reset_index(drop=True)


def _truth_table(leads: dict) -> pd.DataFrame:
    ch = [CHANNELS[c] for c in leads["channel"]]
    phone = np.array([c.kind == "phone" for c in ch])
    source = np.array([c.source for c in ch], dtype=object)
    medium = np.array([c.medium for c in ch], dtype=object)
    campaign = np.array([c.campaign or NO_CAMPAIGN for c in ch], dtype=object)
    attributed = np.where(phone, "crm_field", np.where(leads["tagged"], "crm_utm", "web_analytics"))
    qualification = np.asarray(QUALIFICATIONS3, dtype=object)[leads["class"]]
    qualification = np.where(leads["qualification_blank"], "unknown", qualification)
    segment = np.asarray(SEGMENTS, dtype=object)[leads["segment"]]
    won = leads["won"]
    truth = pd.DataFrame(
        {
            "lead_id": pd.array(leads["id"].astype(str), dtype="str"),
            "created_at": pd.to_datetime(leads["created"]).astype("datetime64[us]"),
            "source": pd.array(source, dtype="str"),
            "medium": pd.array(medium, dtype="str"),
            "campaign": pd.array(campaign, dtype="str"),
            "segment": pd.array(np.where(leads["segment_blank"], None, segment), dtype="str"),
            "manager": pd.array(
                np.asarray([m[0] for m in MANAGERS], dtype=object)[leads["manager"]], dtype="str"
            ),
            "qualification": pd.Categorical(qualification, dtype=QUALIFICATION_DTYPE),
            "converted": won.astype(np.int8),
            "revenue": np.where(won, leads["budget"], 0.0).astype(float),
            "won_at": pd.to_datetime(np.where(won, leads["close"], np.datetime64("NaT"))).astype(
                "datetime64[us]"
            ),
            "first_contact_at": pd.to_datetime(leads["first_contact"]).astype("datetime64[us]"),
            "stage": pd.array(leads["stage"].astype(object), dtype="str"),
            "lost_reason": pd.array(
                np.where(leads["reason"] == "", None, leads["reason"].astype(object)), dtype="str"
            ),
            "attributed_by": pd.array(attributed.astype(object), dtype="str"),
        }
    )
    return truth


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def _render(frame: pd.DataFrame, encoding: str, sep: str, terminator: str) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=sep, lineterminator=terminator, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(frame.columns)
    writer.writerows(frame.itertuples(index=False, name=None))
    return buf.getvalue().encode(encoding)


if __name__ == "__main__":
    raise SystemExit(main())
