"""The sample company's parameters: calendar, channels and their campaigns, segments,
managers, qualification and win probabilities, deal sizes, and the exports' columns.
Every number the generator draws from is here, named.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.ingest.profiles import SESSION_FIELDS

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

TRANSLIT = dict(
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
FORMATS = {
    "crm": ("cp1251", ";", "\r\n"),
    "spend": ("utf-8-sig", ",", "\n"),
    "sessions": ("utf-8", "\t", "\n"),
}

QUALIFICATION_LABELS = {"hot": "Горячий", "warm": "Тёплый", "cold": "Холодный"}

WEB_SOURCE_LABEL = "Заявка с сайта"

PHONE_SOURCE_LABEL = "Входящий звонок"

FIRST_LEAD_ID = 10001

CRM_TIME = "%d.%m.%Y %H:%M:%S"

CRM_DATE = "%d.%m.%Y"

SECOND = np.timedelta64(1, "s")

DAY = np.timedelta64(1, "D")
