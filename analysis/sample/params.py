"""The sample company's parameters: calendar, channels and their campaigns, segments,
managers, qualification and win probabilities, deal sizes, and the exports' columns.
Every number the generator draws from is here, named.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "EXPORT_DATE",
    "DEFAULT_SEED",
    "PERIOD_START",
    "Q2_START",
    "PERIOD_END",
    "FILE_NAMES",
    "AMO_HEADER",
    "METRICA_FIELDS",
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
    #: the ad system's campaign id, which its links put in utm_campaign (Direct's
    #: {campaign_id} and VK's {{campaign_id}} macros); "": the links carry ``campaign``
    campaign_id: str = ""

    @property
    def utm_campaign(self) -> str:
        """What the channel's links write in utm_campaign (and Metrica in UTMCampaign)."""
        return self.campaign_id or self.campaign


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
        budget=(560_000, 260_000), cpl=2500, cpc=38, ctr=0.09, campaign_id="104518230",
        mix=((0.60, 0.28, 0.12), (0.60, 0.28, 0.12)),  # people who search the brand
        pages=("/", "/", "/o-kompanii", "/kontakty"),
    ),
    Channel(
        "ya_generic_search", "yandex", "cpc", "ya_generic_search", "paid",
        budget=(480_000, 220_000), cpl=1800, cpc=62, ctr=0.04, campaign_id="104518247",
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
        budget=(280_000, 160_000), cpl=1200, cpc=24, ctr=0.008, campaign_id="3871024",
        mix=((0.15, 0.40, 0.45), (0.15, 0.40, 0.45)),
        pages=("/akcii", "/katalog/armatura", "/katalog/truba-profilnaya"),
    ),
    Channel(
        "vk_leadform_quiz", "vk", "paid_social", "vk_leadform_quiz", "paid",
        start=Q2_START, budget=(0, 540_000), cpl=320, cpc=11, ctr=0.012,
        campaign_id="4102587",
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
        budget=(56_000, 0), cpc=9, ctr=0.002, campaign_id="107663019",
        # a test in February: spend, no leads
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
# Files: the exports in the layouts of the tools that write them
# (EXPORT_FORMATS.md in the kit's repository; the shipped profile data/profiles/amocrm.yaml)
# --------------------------------------------------------------------------------------

#: One file per input of ``data/profiles/sample.yaml``, by input name.
FILE_NAMES = {
    "amocrm": "amocrm_deals.csv",  # amoCRM «Сделки → Экспорт», CSV
    "direct": "direct_report.tsv",  # Yandex.Direct Reports API, CUSTOM_REPORT
    "vk": "vk_ad_plans_day.json",  # VK Ads API v2 statistics/ad_plans/day.json
    "google_ads": "google_ads_campaign_report.csv",  # Google Ads UI, Reports → Download
    "telegram": "telegram_spend.csv",  # a plain spend table (date, source, campaign, ...)
    "metrica": "metrica_visits.tsv",  # Yandex Metrica Logs API, source=visits
}

#: The note written beside the files.
README_NAME = "README.md"

#: Seed suffix of the second random stream, which draws only what the layouts add (ids,
#: ClientIDs, times of closing and editing, spelling variants...): the first stream, and
#: with it every lead, sale and ruble, is the same as before the layouts had them.
LAYOUT_STREAM = 1

# amoCRM ------------------------------------------------------------------------------

#: The first deal id, and the range of the steps between ids (amoCRM numbers deals over
#: all its accounts, so one account's ids rise with gaps).
FIRST_DEAL_ID = 28_401_133

DEAL_ID_STEP = (1, 40)

#: The deals list's columns in amoCRM's order: the fixed ones, the contact's, the
#: account's custom fields («Источник» ... «Дата первого контакта» are this company's),
#: utm_source/medium/campaign made by the site's form integration, and the built-in
#: tracking group, whose utm_* repeat those names.
AMO_HEADER = (
    "ID", "Название сделки", "Бюджет ₽", "Ответственный", "Дата создания сделки",
    "Кем создана сделка", "Дата редактирования", "Кем редактирована", "Дата закрытия", "Теги",
    "Примечание", "Примечание 2", "Примечание 3", "Примечание 4", "Примечание 5",
    "Этап сделки", "Воронка", "Полное имя контакта", "Компания контакта",
    "Ответственный за контакт", "Компания", "Рабочий телефон", "Рабочий прямой телефон",
    "Мобильный телефон", "Факс", "Домашний телефон", "Другой телефон", "Рабочий email",
    "Личный email", "Другой email", "Должность",
    "Источник", "Квалификация", "Сегмент", "Страница формы", "Причина отказа",
    "Дата первого контакта",
    "utm_source", "utm_medium", "utm_campaign",
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_referrer",
    "_ym_uid", "_ym_counter", "roistat", "referrer", "openstat_service", "openstat_campaign",
    "openstat_ad", "openstat_source", "from", "gclientid", "gclid", "yclid", "fbclid",
)  # fmt: skip

#: Index of the tracking group's utm_source in `AMO_HEADER`.
TRACKING_START = 40

AMO_TIME = "%d.%m.%Y %H:%M:%S"

ROBOT = "Робот"  # «Кем создана сделка» of deals the site's forms made

PIPELINE = "Воронка"

NOT_CLOSED = "не закрыта"

QUALIFICATION_LABELS = {"hot": "Горячий", "warm": "Тёплый", "cold": "Холодный"}

#: Share of warm deals whose «Квалификация» is spelt «Теплый» (without ё).
WARM_WITHOUT_YO_SHARE = 0.2

#: «Источник» (a custom list field): web forms and the telephony integration.
WEB_SOURCE_LABEL = "Сайт"

PHONE_SOURCE_LABEL = "Звонок"

#: Share of tagged web deals whose visitor's Metrica ClientID the tracking group kept
#: (`_ym_uid`). Untagged web deals always have it: Metrica is then what tells their
#: source, as the CRM's UTM tags told it before.
YM_UID_TAGGED_SHARE = 0.65

#: Share of tagged deals whose form-made utm_* fields are filled too, and of those, the
#: share whose utm_campaign holds the campaign's name instead of the id.
FORM_UTM_SHARE = 0.08

FORM_UTM_NAME_SHARE = 0.3

#: «Теги» of tagged deals, set by the form integration from the channel.
CHANNEL_TAGS = {
    "ya_brand_search": "Директ",
    "ya_generic_search": "Директ",
    "g_search": "Google Ads",
    "vk_retargeting": "VK",
    "vk_leadform_quiz": "VK, квиз",
    "tg_channel_ads": "Telegram",
    "partner_newsletter": "рассылка",
}

#: Where the visit of a tagged deal came from (the tracking group's utm_referrer).
UTM_REFERRERS = {
    "yandex": "https://yandex.ru/",
    "google": "https://www.google.com/",
    "vk": "https://vk.com/",
    "telegram": "https://t.me/",
}

#: Share of deals with a manager's note in «Примечание», and the notes (the second has
#: a line break and quotes, which the CSV quotes and doubles).
NOTE_SHARE = 0.03

NOTES = (
    "Нужен счёт с НДС",
    'Просит КП на "арматуру А500С" 12 мм, 5 т\nДоставка на объект, звонить после 14:00',
    "Сравнивает цены с двумя поставщиками",
    "Повторный клиент, скидка 3%",
)

#: The companies of contacts with a company e-mail, by its domain.
COMPANIES = {
    "stroymontazh.example": "ООО «СтройМонтаж»",
    "metallservis.example": "ООО «МеталлСервис»",
    "uralsnab.example": "ООО «УралСнаб»",
    "promtekh.example": "АО «ПромТех»",
    "volgastroy.example": "ООО «ВолгаСтрой»",
    "tehnoprom.example": "ООО «ТехноПром»",
}

POSITIONS = ("Снабженец", "Инженер ПТО", "Директор", "Прораб", "Менеджер по закупкам")

# Yandex.Direct, VK Ads, Google Ads ---------------------------------------------------

#: Direct campaigns (ids in `Channel.campaign_id`): name, CampaignType, AdNetworkType.
DIRECT_CAMPAIGNS = {
    "ya_brand_search": ("Бренд | Поиск | РФ", "TEXT_CAMPAIGN", "SEARCH"),
    "ya_generic_search": ("Металлопрокат | Поиск | РФ", "TEXT_CAMPAIGN", "SEARCH"),
    "ya_display_test": ("Медийная | Тест | Февраль", "CPM_BANNER_CAMPAIGN", "AD_NETWORK"),
}

DIRECT_FIELDS = (
    "Date", "CampaignId", "CampaignName", "CampaignType", "AdNetworkType", "Impressions",
    "Clicks", "Cost", "AvgCpc", "Conversions",
)  # fmt: skip

#: The report's name on its title line, as the Reports API names an unnamed report.
DIRECT_REPORT_NAME = "report_2026-07-10_091503"

#: Google Ads: the campaign's id (its name is the UTM slug `g_search`).
GOOGLE_CAMPAIGN_IDS = {"g_search": "20417783321"}

GOOGLE_HEADER = (
    "Campaign status", "Day", "Campaign", "Campaign type", "Campaign ID", "Currency code",
    "Cost", "Impr.", "Clicks", "Conversions",
)  # fmt: skip

#: The plain spend table of the channels whose ad system has no export the kit knows.
PLAIN_SPEND_HEADER = ("date", "source", "campaign", "spend", "clicks", "impressions")

#: Which spend file each paid source's rows go to.
SPEND_FILES = {"yandex": "direct", "vk": "vk", "google": "google_ads", "telegram": "telegram"}

# Yandex Metrica ----------------------------------------------------------------------

METRICA_FIELDS = (
    "ym:s:visitID", "ym:s:counterID", "ym:s:date", "ym:s:dateTime", "ym:s:clientID",
    "ym:s:isNewUser", "ym:s:startURL", "ym:s:referer", "ym:s:lastTrafficSource",
    "ym:s:lastAdvEngine", "ym:s:lastSearchEngine", "ym:s:UTMSource", "ym:s:UTMMedium",
    "ym:s:UTMCampaign", "ym:s:goalsID",
)  # fmt: skip

COUNTER_ID = 95123457

#: The goal «Отправка формы» (every web deal's form session reached it).
FORM_GOAL = 301245781

#: Metrica's ad system of a tagged visit, by its utm_source (others: ya_undefined).
ADV_ENGINES = {"yandex": "ya_direct", "google": "google_adwords", "vk": "vkontakte"}

#: Share of visitors first seen before the log's period: their ClientID's time is older
#: and their first logged visit has isNewUser 0.
SEEN_BEFORE_SHARE = 0.05

#: Share of VK visits of visitors without a deal whose link kept the raw macro.
RAW_MACRO_SHARE = 0.03

#: Moscow time, the counter's and the CRM's clock, is UTC+3 (a ClientID starts with the
#: Unix time of the first visit).
MSK_OFFSET = np.timedelta64(3, "h")

SECOND = np.timedelta64(1, "s")

DAY = np.timedelta64(1, "D")
