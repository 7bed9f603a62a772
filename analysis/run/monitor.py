"""Monitoring between runs: each client's run against its last good one, the changes
beyond chance (`analysis.stats.monitoring.compare_counts`), a digest of them
(``digest.md`` and ``digest.html`` beside the index) and, where the client file asks,
the digest by e-mail.

The client file's ``digest`` block (optional)::

    digest:
      smtp: mail.example.com:587     # host[:port] of the SMTP server
      from: reports@example.com
      to: [head.of.sales@example.com, cmo@example.com]
      starttls: true                 # optional (default false)
      user_env: LEADKIT_SMTP_USER    # optional: names of environment variables holding
      password_env: LEADKIT_SMTP_PASSWORD  # the login (never the password itself)
"""

from __future__ import annotations

import html
import os
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pandas as pd

from analysis.base.files import write_atomic
from analysis.base.i18n import N_, _, n_, use_language
from analysis.insight.numbers import fmt_money, fmt_rate, money, signed_percent
from analysis.stats.monitoring import MEASURES, RunCounts, compare_counts

__all__ = [
    "Changes",
    "DigestSettings",
    "run_changes",
    "last_good_run",
    "write_digest",
    "send_digest",
    "MEASURE_NAMES",
    "changes_summary",
    "flagged_campaigns",
    "alert_line",
    "value_text",
]

#: The measures as a reader reads them.
MEASURE_NAMES = {
    "leads": N_("leads per day"),
    "hot_share": N_("hot share"),
    "conversion": N_("conversion"),
    "cpl": N_("cost per lead"),
    "cac": N_("cost per sale"),
}


@dataclass
class Changes:
    """A client's run against its last good one."""

    client: str
    run: str
    previous: str
    table: pd.DataFrame  # compare_counts' rows
    currency: str | None = None

    @property
    def alerts(self) -> pd.DataFrame:
        return self.table[self.table["flag"]]

    def total(self, measure: str) -> pd.Series:
        t = self.table
        return t[(t["campaign"] == "") & (t["measure"] == measure)].iloc[0]


@dataclass
class DigestSettings:
    smtp: str
    sender: str
    to: list[str]
    starttls: bool = False
    user_env: str | None = None
    password_env: str | None = None

    @classmethod
    def parse(cls, raw: dict, where: str) -> DigestSettings:
        """From a client file's ``digest`` block; a ValueError naming the key otherwise."""
        if not isinstance(raw, dict):
            raise ValueError(_("{where}: 'digest' must be a mapping", where=where))
        missing = [k for k in ("smtp", "from", "to") if not raw.get(k)]
        if missing:
            raise ValueError(
                _("{where}: 'digest' needs {keys}", where=where, keys=", ".join(missing))
            )
        unknown = sorted(set(raw) - {"smtp", "from", "to", "starttls", "user_env", "password_env"})
        if unknown:
            raise ValueError(
                _("{where}: unknown keys in 'digest': {keys}", where=where, keys=", ".join(unknown))
            )
        to = raw["to"] if isinstance(raw["to"], list) else [raw["to"]]
        return cls(
            smtp=str(raw["smtp"]),
            sender=str(raw["from"]),
            to=[str(x) for x in to],
            starttls=bool(raw.get("starttls", False)),
            user_env=raw.get("user_env"),
            password_env=raw.get("password_env"),
        )


def _counts(folder: Path, meta: dict) -> RunCounts | None:
    path = folder / "tables" / "economics_by_campaign.csv"
    head = meta.get("headline") or {}
    if not path.exists() or not head.get("first_lead") or not head.get("last_lead"):
        return None
    table = pd.read_csv(path, keep_default_na=False, na_values=[""])
    if "campaign" not in table.columns:
        table["campaign"] = "(none)"
    days = (pd.Timestamp(head["last_lead"]) - pd.Timestamp(head["first_lead"])).days + 1
    return RunCounts.from_economics(table, days)


def last_good_run(runs: list[dict], current: Path) -> dict | None:
    """The client's last good run finished before ``current`` (runs of one client, oldest
    first, as `analysis.run.index.collect_runs` gives them)."""
    current = Path(current).resolve()
    now = next((m for m in runs if Path(m["folder"]).resolve() == current), None)
    stamp = (now or {}).get("finished_utc", "9999")
    good = [
        m
        for m in runs
        if m.get("status") == "ok"
        and Path(m["folder"]).resolve() != current
        and m.get("finished_utc", "") <= stamp
    ]
    return good[-1] if good else None


def run_changes(runs: list[dict], current: dict, *, alpha: float = 0.05) -> Changes | None:
    """The current run of a client against its last good one; None without one (a first
    run, or runs without the counts)."""
    before = last_good_run(runs, current["folder"])
    if before is None:
        return None
    a = _counts(Path(before["folder"]), before)
    b = _counts(Path(current["folder"]), current)
    if a is None or b is None:
        return None
    p = current.get("parameters") or {}
    table = compare_counts(
        a,
        b,
        alpha=alpha,
        min_leads=int(p.get("MIN_LEADS") or 30),
        min_sales=int(p.get("MIN_SALES") or 10),
    )
    cur = (current.get("headline") or {}).get("currency")
    return Changes(current["client"], current["run"], before["run"], table, cur)


def value_text(measure: str, v: float, currency: str | None) -> str:
    """A measure's value as the digest and the index write it."""
    if pd.isna(v):
        return _("n/a")
    if measure in ("hot_share", "conversion"):
        return fmt_rate(v)
    if measure == "leads":
        return fmt_money(v, 1)
    return money(v, currency)


def alert_line(r, currency: str | None) -> str:
    """One flagged change in a sentence."""
    scope = r.campaign if r.campaign else _("all leads")
    words = dict(
        scope=scope,
        measure=_(MEASURE_NAMES[r.measure]),
        before=value_text(r.measure, r.before, currency),
        after=value_text(r.measure, r.after, currency),
        change=signed_percent(r.change) if pd.notna(r.change) else _("n/a"),
        q=f"{r.q:.3f}" if r.q >= 0.001 else "<0.001",
    )
    if r.worse:
        return _("{scope}: {measure} worse, {before} → {after} ({change}; q = {q})", **words)
    return _("{scope}: {measure} better, {before} → {after} ({change}; q = {q})", **words)


def _digest_words(changes: list[Changes], without: list[str]) -> list[tuple[str, list[str]]]:
    out = []
    for c in changes:
        alerts = c.alerts.sort_values(["worse", "q"], ascending=[False, True])
        lines = [alert_line(r, c.currency) for r in alerts.itertuples()]
        if not lines:
            lines = [_("No change beyond chance.")]
        head = _(
            "{client}: run {run} against run {previous}",
            client=c.client,
            run=c.run,
            previous=c.previous,
        )
        out.append((head, lines))
    for name in without:
        out.append((name, [_("No earlier good run to compare with.")]))
    return out


def write_digest(
    root: Path, changes: list[Changes], without: list[str], lang: str
) -> tuple[Path, Path, str, str]:
    """``digest.md`` and ``digest.html`` in ``root``: per client, the changes beyond
    chance since its last good run. Returns the paths and the texts."""
    with use_language(lang):
        title = _("What changed since the last run")
        rule = _(
            "A change is listed where a test of the two runs' counts puts it beyond chance: "
            "Benjamini–Hochberg q-value below 0.05 over each client's tests, so about 5% of "
            "the changes listed are expected to be chance. Leads per day, hot share and "
            "conversion are compared for the client and for each campaign with 30 leads or "
            "more in both runs; cost per lead and per sale where both runs have spend."
        )
        count = sum(len(c.alerts) for c in changes)
        summary = n_("{n} change beyond chance.", "{n} changes beyond chance.", count)
        parts = _digest_words(changes, without)
    md = [f"# {title}", "", summary, "", rule, ""]
    for head, lines in parts:
        md += [f"## {head}", "", *[f"- {x}" for x in lines], ""]
    md_text = "\n".join(md)
    body = [f"<h1>{html.escape(title)}</h1>", f"<p>{html.escape(summary)}</p>"]
    body.append(f"<p>{html.escape(rule)}</p>")
    for head, lines in parts:
        items = "".join(f"<li>{html.escape(x)}</li>" for x in lines)
        body.append(f"<h2>{html.escape(head)}</h2><ul>{items}</ul>")
    html_text = (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>{''.join(body)}</body></html>\n"
    )
    md_path, html_path = root / "digest.md", root / "digest.html"
    write_atomic(md_path, md_text.encode("utf-8"))
    write_atomic(html_path, html_text.encode("utf-8"))
    return md_path, html_path, md_text, html_text


def send_digest(settings: DigestSettings, subject: str, text: str, html_text: str) -> None:
    """Send the digest (plain text with an HTML alternative) through the SMTP server."""
    host, _sep, port = settings.smtp.partition(":")
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = settings.sender
    msg["To"] = ", ".join(settings.to)
    msg.set_content(text)
    msg.add_alternative(html_text, subtype="html")
    with smtplib.SMTP(host, int(port or 25), timeout=30) as smtp:
        if settings.starttls:
            smtp.starttls()
        user = os.environ.get(settings.user_env or "", "")
        if user:
            smtp.login(user, os.environ.get(settings.password_env or "", ""))
        smtp.send_message(msg)


def changes_summary(c: Changes) -> list[tuple[str, str, bool, bool]]:
    """The client totals for the index: (measure name, "before → after (change)",
    beyond chance, worse) per measure."""
    out = []
    for measure in MEASURES:
        r = c.total(measure)
        text = _(
            "{before} → {after}",
            before=value_text(measure, r["before"], c.currency),
            after=value_text(measure, r["after"], c.currency),
        )
        out.append((_(MEASURE_NAMES[measure]), text, bool(r["flag"]), bool(r["worse"])))
    return out


def flagged_campaigns(c: Changes) -> list[str]:
    """The campaigns with a change beyond chance for the worse, for the index."""
    a = c.alerts
    return sorted(set(a.loc[(a["campaign"] != "") & a["worse"], "campaign"]))
