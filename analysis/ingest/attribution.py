"""Where a lead came from: UTM tags in a landing URL, and web-analytics sessions.

Two sources of attribution beside a CRM's own source field:

* `utm_from_urls` reads ``utm_source``/``utm_medium``/``utm_campaign`` out of landing URLs;
* `attribute_sessions` joins a web-analytics export (sessions with a visitor id, UTM
  tags, time, and the lead id a session produced) to leads, by last non-direct click
  (the default), first click or last click.
"""

from __future__ import annotations

from urllib.parse import unquote, unquote_plus, urlsplit

import pandas as pd

from analysis.ingest.privacy import personal_spans

__all__ = ["DIRECT", "utm_from_urls", "is_direct", "attribute_sessions", "attribute_visitors"]

#: How analytics tools name a visit with no source.
DIRECT = ("(direct)", "direct", "(none)", "")


def utm_from_urls(urls: pd.Series) -> pd.DataFrame:
    """Parse UTM tags out of landing URLs.

    Returns a frame with columns ``utm_source``, ``utm_medium``, ``utm_campaign``
    (``NA`` where a URL has no such tag), aligned with ``urls``.

    Examples
    --------
    >>> utm_from_urls(pd.Series(["https://a.example/?utm_campaign=Spring&utm_source=Ya", ""]))
      utm_source utm_medium utm_campaign
    0         Ya        NaN       Spring
    1        NaN        NaN          NaN
    """
    rows = []
    for url in urls.astype(str):
        tags = {}
        if "utm_" in url:
            query = urlsplit(url.strip()).query or url.partition("?")[2]
            for pair in query.split("&"):
                key, eq, value = pair.partition("=")
                key = unquote_plus(key).strip().lower()
                if eq and value and key in _UTM and key not in tags:
                    tags[key] = _query_value(value).strip()
        rows.append(tags)
    out = pd.DataFrame(rows, index=urls.index, columns=["utm_source", "utm_medium", "utm_campaign"])
    return out.astype("str").where(out.notna(), pd.NA) if len(out) else out.astype("str")


_UTM = ("utm_source", "utm_medium", "utm_campaign")


def _query_value(raw: str) -> str:
    """A query-string value decoded as a browser's form encoding is (``+`` is a space,
    ``%XX`` a character), except inside an e-mail or phone number, where a ``+`` is the
    ``+7`` of the number or the ``+tag`` of the address, and is kept, so that the
    pseudonymisation that follows finds the whole of it
    (`analysis.ingest.privacy.scrub`)."""
    spans = personal_spans(raw) if "+" in raw else []
    if not spans:
        return unquote_plus(raw)
    parts, pos = [], 0
    for start, end, _, _ in spans:
        parts += [unquote_plus(raw[pos:start]), unquote(raw[start:end])]
        pos = end
    parts.append(unquote_plus(raw[pos:]))
    return "".join(parts)


def is_direct(source: pd.Series) -> pd.Series:
    """True where an analytics source means "no source" (direct visit or blank)."""
    return source.fillna("").astype(str).str.strip().str.lower().isin(DIRECT)


def attribute_sessions(sessions: pd.DataFrame, model: str = "last_non_direct") -> pd.DataFrame:
    """Give each lead in a sessions table its source by an attribution model.

    Parameters
    ----------
    sessions : DataFrame
        Columns ``visitor_id``, ``session_start`` (datetime), ``utm_source``,
        ``utm_medium``, ``utm_campaign``, ``lead_id`` (blank/NA where the session
        produced no lead). Every session of a visitor up to and including the one
        that produced the lead counts as that lead's path.
    model : {"last_non_direct", "first_click", "last_click"}
        ``last_non_direct``: the latest session in the path that is not direct, or
        the direct one when all are direct (the Google Analytics default).

    Returns
    -------
    DataFrame[lead_id, source, medium, campaign, path_sessions]
        One row per lead id found in the sessions. ``path_sessions`` is how many
        sessions the path had.
    """
    if model not in ("last_non_direct", "first_click", "last_click"):
        raise ValueError(f"unknown attribution model {model!r}")
    has_lead = sessions["lead_id"].fillna("").astype(str).str.strip() != ""
    conv = sessions.loc[has_lead, ["visitor_id", "session_start", "lead_id"]].rename(
        columns={"session_start": "lead_time"}
    )
    # A lead may appear on more than one session (a form re-sent): keep its first.
    conv = conv.sort_values(["lead_id", "lead_time"]).drop_duplicates("lead_id")
    return _choose(conv, sessions.drop(columns=["lead_id"]), model)


def attribute_visitors(
    sessions: pd.DataFrame, links: pd.DataFrame, model: str = "last_non_direct"
) -> pd.DataFrame:
    """Attribution where the sessions carry no lead id but the CRM keeps the visitor's
    id (amoCRM's ``_ym_uid``, Bitrix24's ``YA:<ClientID>``: Metrica's ClientID).

    Parameters
    ----------
    sessions : DataFrame
        As in `attribute_sessions`, without ``lead_id``.
    links : DataFrame[lead_id, visitor_id, created_at]
        Each lead's visitor id and creation time: the visitor's sessions up to the
        lead's creation (all of them when it has no creation time) are its path. Two
        leads of one visitor each get their own path.
    model : as in `attribute_sessions`

    Returns
    -------
    DataFrame[lead_id, source, medium, campaign, path_sessions]
    """
    if model not in ("last_non_direct", "first_click", "last_click"):
        raise ValueError(f"unknown attribution model {model!r}")
    vid = links["visitor_id"].fillna("").astype(str).str.strip()
    conv = links.loc[vid != "", ["lead_id"]].assign(
        visitor_id=vid[vid != ""],
        # a lead without a creation time: every session of its visitor is on its path
        lead_time=pd.to_datetime(links.loc[vid != "", "created_at"])
        .astype("datetime64[us]")
        .fillna(pd.Timestamp("9999-12-31")),
    )
    s = sessions.assign(visitor_id=sessions["visitor_id"].fillna("").astype(str).str.strip())
    return _choose(conv, s, model)


def _choose(conv: pd.DataFrame, sessions: pd.DataFrame, model: str) -> pd.DataFrame:
    """Each converting visit's path (the visitor's sessions up to the lead's time) and
    the session the model picks from it."""
    path = conv.merge(sessions, on="visitor_id", how="left")
    path = path[path["session_start"] <= path["lead_time"]].copy()
    path["_direct"] = is_direct(path["utm_source"])
    counts = path.groupby("lead_id").size().rename("path_sessions")
    if model == "first_click":
        path = path.sort_values(["lead_id", "session_start"], kind="stable")
        chosen = path.drop_duplicates("lead_id", keep="first")
    elif model == "last_click":
        path = path.sort_values(["lead_id", "session_start"], kind="stable")
        chosen = path.drop_duplicates("lead_id", keep="last")
    else:
        # non-direct sessions sort after direct ones, then by time: the last row wins
        path = path.sort_values(
            ["lead_id", "_direct", "session_start"], ascending=[True, False, True], kind="stable"
        )
        chosen = path.drop_duplicates("lead_id", keep="last")
    out = chosen[["lead_id", "utm_source", "utm_medium", "utm_campaign"]].rename(
        columns={"utm_source": "source", "utm_medium": "medium", "utm_campaign": "campaign"}
    )
    out = out.merge(counts, left_on="lead_id", right_index=True, how="left")
    return out.reset_index(drop=True)
