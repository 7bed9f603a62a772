"""What the sample company's exports record besides the leads' outcomes: personal data,
the tagged links of the visits the CRM's site widget kept, the visitors' sessions, and
the canonical leads table a correct loader must produce (``truth``). The files'
layouts are `analysis.sample.layouts`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.ingest.schema import NO_CAMPAIGN, QUALIFICATION_DTYPE
from analysis.sample.params import (
    BLANK_URL_SHARE,
    CHANNELS,
    COMPANY_DOMAINS,
    COMPANY_MAIL_SHARE,
    DIRECT_LAST_SHARE,
    EARLIER_OTHER,
    EARLIER_OTHER_SHARE,
    EARLIER_OTHER_SHARE_RETARGETING,
    FEMALE_NAMES,
    MAIL_DOMAINS,
    MALE_NAMES,
    MALE_SHARE,
    MANAGERS,
    NEWSLETTER_UTM_SHARE,
    NON_LEAD_CHANNELS,
    NON_LEAD_SESSIONS,
    NON_LEAD_SESSIONS_PER_VISITOR,
    PAID_UTM_SHARE,
    PATRONYMIC_STEMS,
    PERIOD_END,
    PERIOD_START,
    QUALIFICATIONS3,
    SECOND,
    SEGMENTS,
    SESSION_GAP_HOURS,
    SHUFFLED_PARAMS_SHARE,
    SITE,
    SURNAMES,
    TRANSLIT,
    YSCLID_SHARE,
)

__all__: list[str] = []


def _translit(text: str) -> str:
    return "".join(TRANSLIT.get(ch, ch) for ch in text.lower()).replace("_", "")


def personal_data(rng: np.random.Generator, leads: dict) -> None:
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
            styles = (f"{f}.{s}{year[i]:02d}", f"{f}_{s}", f"{f[0]}{s}", f"{s}.{f}{year[i]:02d}")
            emails.append(f"{styles[email_style[i]]}@{MAIL_DOMAINS[domain_pub[i]]}")
        d = "".join(map(str, digits[i]))
        phones.append(f"+7 9{d[:2]} {d[2:5]}-{d[5:7]}-{d[7:9]}")
    leads["name"] = np.array(names, dtype=object)
    leads["email"] = np.array(emails, dtype=object)
    leads["phone"] = np.array(phones, dtype=object)


def click_id(rng: np.random.Generator, source: str) -> tuple[str, str] | None:
    """The ad system's click id a link gets (Direct's yclid, Google's gclid), if any."""
    if source == "yandex":
        return "yclid", str(rng.integers(10**16, 10**17))
    if source == "google":
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
        tail = "".join(alphabet[k] for k in rng.integers(0, len(alphabet), 24))
        return "gclid", f"Cj0KCQjw{tail}"
    return None


def entry_urls(rng: np.random.Generator, leads: dict) -> None:
    """Each web lead's form page, and the URL the CRM's site widget kept from the visit:
    for a tagged lead, the link with the channel's UTM tags (``query``: its parameters
    in the link's order), which the CRM's tracking fields then hold; else the bare page,
    or nothing."""
    n = len(leads["id"])
    u_tag, u_blank, u_order, u_extra = rng.random((4, n))
    page_pick = rng.integers(0, 1_000_000, n)
    urls, paths, queries = [], [], []
    tagged = np.zeros(n, dtype=bool)
    for i in range(n):
        ch = CHANNELS[leads["channel"][i]]
        path = ch.pages[page_pick[i] % len(ch.pages)]
        paths.append(path)
        query: list[tuple[str, str]] = []
        if ch.kind == "phone":
            urls.append("")
        elif ch.campaign and u_tag[i] < {
            "paid": PAID_UTM_SHARE,
            "unpaid": NEWSLETTER_UTM_SHARE,
        }.get(ch.kind, 0.0):
            query = [
                ("utm_source", ch.source),
                ("utm_medium", ch.medium),
                ("utm_campaign", ch.utm_campaign),
            ]
            if ch.source == "vk" and u_extra[i] < 0.5:
                query.append(("utm_content", f"ad{rng.integers(1000, 9999)}"))
            click = click_id(rng, ch.source)
            if click:
                query.append(click)
            if u_order[i] < SHUFFLED_PARAMS_SHARE:
                query = [query[k] for k in rng.permutation(len(query))]
            urls.append(f"{SITE}{path}?{'&'.join(f'{k}={v}' for k, v in query)}")
            tagged[i] = True
        elif u_blank[i] < BLANK_URL_SHARE:
            urls.append("")
        elif ch.key == "yandex_organic" and u_extra[i] < YSCLID_SHARE:
            urls.append(f"{SITE}{path}?ysclid={_ysclid(rng)}")
        else:
            urls.append(f"{SITE}{path}")
        queries.append(dict(query))
    leads["url"] = np.array(urls, dtype=object)
    leads["path"] = np.array(paths, dtype=object)
    leads["query"] = np.array(queries, dtype=object)
    leads["tagged"] = tagged


def _ysclid(rng: np.random.Generator) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[k] for k in rng.integers(0, len(alphabet), 18))


def _visitor_ids(rng: np.random.Generator, n: int) -> list[str]:
    ids: list[int] = []
    seen: set[int] = set()
    while len(ids) < n:
        for v in rng.integers(10**9, 10**10, size=n - len(ids) + 16).tolist():
            if v not in seen and len(ids) < n:
                seen.add(v)
                ids.append(v)
    return [f"v{v}" for v in ids]


def make_sessions(
    rng: np.random.Generator, leads: dict, channels: dict, scale: float
) -> pd.DataFrame:
    """Sessions of lead visitors (1-3, the last submits the form) and of others.

    Returns
    -------
    DataFrame[visitor, start, channel, page, form_of, click_of]
        One row per session in time order: the visitor (an internal key), the start
        (datetime64[s]), the channel's key, the landing path; ``form_of`` is the index
        of the lead whose form the session sent, ``click_of`` that of the lead whose
        channel click it is (the visit whose tags the CRM's widget kept), else -1.
    """
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
        since = lambda t, start: int((t - start.to_datetime64()) / SECOND)  # noqa: E731
        offset = min(int(lead_offset[i]), since(leads["created"][i], ch.start))
        lead_start = leads["created"][i] - offset * SECOND
        seq = []  # (time, channel, path, is_lead)
        t = lead_start
        if ch.kind != "direct" and u_direct[i] < DIRECT_LAST_SHARE and since(t, ch.start) > 7200:
            seq.append((t, direct, direct.pages[page_pick[i] % len(direct.pages)], True))
            t = t - int(min(gap1[i], since(t, ch.start) * frac[0, i])) * SECOND
            seq.append((t, ch, leads["path"][i], False))
        else:
            seq.append((t, ch, leads["path"][i], True))
        share = EARLIER_OTHER_SHARE
        if ch.key == "vk_retargeting":
            share = EARLIER_OTHER_SHARE_RETARGETING
        room = int((t - period_start) / SECOND)
        if ch.kind != "direct" and u_other[i] < share and room > 7200:
            ok = np.array([channels[k].source != ch.source for k in other_keys])
            w = other_w * ok
            other = channels[other_keys[int(np.searchsorted(np.cumsum(w / w.sum()), u_pick[i]))]]
            t = t - int(min(gap2[i], room * frac[1, i])) * SECOND
            seq.append((t, other, other.pages[page_pick[i] % len(other.pages)], False))
        for when, c, path, is_lead in reversed(seq):
            rows.append(
                (visitors[v], when, c.key, path, i if is_lead else -1, i if c is ch else -1)
            )

    # visitors who never left a lead
    keys = [k for k, _ in NON_LEAD_CHANNELS]
    weights = np.array([w for _, w in NON_LEAD_CHANNELS])
    span = int((PERIOD_END + pd.Timedelta(days=1) - PERIOD_START) / pd.Timedelta(seconds=1))
    n_sessions = rng.choice((1, 2, 3), size=n_non_lead_visitors, p=NON_LEAD_SESSIONS_PER_VISITOR)
    first = rng.integers(0, span, n_non_lead_visitors)
    for j in range(n_non_lead_visitors):
        t = period_start + int(first[j]) * SECOND
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
                    c.key,
                    c.pages[int(rng.integers(0, len(c.pages)))],
                    -1,
                    -1,
                )
            )
            t = t + int(np.exp(rng.normal(np.log(SESSION_GAP_HOURS * 3600), 1.0))) * SECOND

    frame = pd.DataFrame(
        rows, columns=["visitor", "start", "channel", "page", "form_of", "click_of"]
    )
    return frame.sort_values(["start", "visitor"], kind="mergesort").reset_index(drop=True)


def truth_table(leads: dict) -> pd.DataFrame:
    """The canonical leads (`analysis.ingest.schema`) the exports encode, in creation
    order: each lead's channel is its source, medium and campaign; ``attributed_by``
    says which file a correct loader learns it from (the CRM's tracking fields, the
    Metrica visits, or the CRM's «Источник» for calls)."""
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
            "won_at": pd.to_datetime(
                np.where(won, leads["closed_at"], np.datetime64("NaT"))
            ).astype("datetime64[us]"),
            "first_contact_at": pd.to_datetime(leads["first_contact"]).astype("datetime64[us]"),
            "stage": pd.array(leads["stage"].astype(object), dtype="str"),
            "lost_reason": pd.array(
                np.where(leads["reason"] == "", None, leads["reason"].astype(object)), dtype="str"
            ),
            "attributed_by": pd.array(attributed.astype(object), dtype="str"),
        }
    )
    return truth
