"""The batch index page: every client's latest run side by side with headline numbers
and intervals, failures with their message, and every earlier run.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from analysis.base.files import write_atomic
from analysis.base.i18n import (
    DEFAULT_LANGUAGE,
    N_,
    _,
    fmt_date,
    fmt_int,
    language,
    n_,
    use_language,
)


@dataclass
class Outcome:
    """How one client's run ended: ``ok``, ``skipped`` (unchanged since ``folder``),
    ``bad input`` or ``failed``."""

    client: str
    status: str
    folder: str | None = None
    message: str = ""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status in ("ok", "skipped")


__all__ = ["write_index", "collect_runs", "index_language", "status_label", "common_language"]

#: How a client's run ended and what kind of failure it was, as the index and the
#: command line show them (the codes stay in `Outcome.status` and error.json).
STATUS_WORDS = {
    "ok": N_("ok"),
    "skipped": N_("skipped"),
    "bad input": N_("bad input"),
    "failed": N_("failed"),
    "notebook failed": N_("notebook failed"),
    "crashed": N_("crashed"),
}


def status_label(status: str) -> str:
    """A run's status or failure kind (``ok``, ``skipped``, ``bad input``, ...) in the
    current language; an unknown one as it is."""
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else str(status)


def common_language(languages) -> str:
    """The language most of ``languages`` are (None ones not counted); a tie, or none
    at all, goes to the kit's default (English) if it is among the most common, else
    to the first of them by name."""
    from collections import Counter

    counts = Counter(lang for lang in languages if lang)
    if not counts:
        return DEFAULT_LANGUAGE
    top = max(counts.values())
    tied = sorted(lang for lang, c in counts.items() if c == top)
    return DEFAULT_LANGUAGE if DEFAULT_LANGUAGE in tied else tied[0]


def index_language(runs: list[dict]) -> str:
    """The language of an index of ``runs`` (`collect_runs`): the one most clients'
    latest runs were written in (run.json's, or error.json's, ``language``; a run of
    an older kit, which has none, does not count), English on a tie or with none."""
    latest: dict[str, dict] = {}
    for meta in runs:  # oldest first: the last one of a client is its newest
        latest[meta["client"]] = meta
    return common_language(m.get("language") for m in latest.values())


# ---------------------------------------------------------------------------- index


def collect_runs(root: str | Path, client: str | None = None) -> list[dict]:
    """Every run under ``root`` (of one client folder, if given): finished ones
    (``run.json``) and failed ones (``error.json``), by client, oldest first; each
    with its ``folder``."""
    root = Path(root)
    if not root.is_dir():
        return []
    runs = []
    dirs = [root / client] if client else sorted(root.iterdir())
    for client_dir in (d for d in dirs if d.is_dir()):
        for run_dir in client_dir.iterdir():
            if run_dir.name.startswith("."):
                continue  # a run being built
            for name in ("run.json", "error.json"):
                meta_path = run_dir / name
                if meta_path.exists():
                    try:
                        meta = json.loads(meta_path.read_text(encoding="utf-8"))
                    except (OSError, ValueError):
                        continue
                    meta["folder"] = run_dir
                    meta.setdefault("client", client_dir.name)
                    runs.append(meta)
                    break
    runs.sort(key=lambda m: (m["client"], m.get("finished_utc", "")), reverse=False)
    return runs


def _currency(currency) -> str:
    """`` RUB`` after a sum in English, `` ₽`` in Russian; "" for none."""
    from analysis.insight.numbers import currency_sign

    if not currency:
        return ""
    return f" {currency}" if language() == "en" else "\u00a0" + currency_sign(currency)


def _money(value, currency) -> str:
    from analysis.insight.numbers import fmt_money

    if value is None:
        return _("n/a")
    return fmt_money(value) + _currency(currency)


def _interval(value, low, high, rate: bool, currency=None, digits: int = 1) -> str:
    from analysis.insight.numbers import fmt_range, fmt_rate

    if value is None:
        return _("n/a")
    if rate:
        return fmt_rate(value, low, high, digits=digits)
    text = fmt_range(
        value, low if low is not None else float("nan"), high if high is not None else float("nan")
    )
    return text + _currency(currency)


def _day(text) -> str:
    """A run's date as the index writes it: ``2026-03-31`` in English, ``31.03.2026`` in
    Russian; anything else as it is."""
    if not text or language() == "en":
        return str(text or "")
    try:
        return fmt_date(str(text), "short")
    except ValueError:
        return str(text)


def _moment(stamp: str) -> str:
    """A UTC time stamp (``2026-03-31T14:25:01+00:00``) as the index writes it: as it is
    in English, ``31.03.2026 14:25 UTC`` in Russian."""
    if not stamp or language() == "en":
        return stamp or ""
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return f"{fmt_date(when.date(), 'short')} {when:%H:%M} UTC"


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _link(root: Path, target: Path, label: str) -> str:
    rel = os.path.relpath(target, root).replace(os.sep, "/")
    return f'<a href="{_e(rel)}">{_e(label)}</a>'


def _headline_cells(meta: dict) -> list[str]:
    h = meta.get("headline") or {}
    if not h:
        return ["–"] * 8
    cur = h.get("currency")
    return [
        f"{_e(_day(h.get('first_lead', '')))} – {_e(_day(h.get('last_lead', '')))}",
        _e(fmt_int(h["leads"])),
        _e(fmt_int(h["sales"])),
        _e(_interval(h["conversion"], h["conversion_low"], h["conversion_high"], True)),
        _e(_money(h.get("spend"), cur)),
        _e(_money(h.get("cpl"), cur)),
        _e(_interval(h.get("cac"), h.get("cac_low"), h.get("cac_high"), False, cur)),
        _e(_interval(h.get("romi"), h.get("romi_low"), h.get("romi_high"), True, digits=0)),
    ]


_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto;
       max-width: 1250px; color: #222; padding: 0 1em; }
table { border-collapse: collapse; margin: 1em 0 2em; font-size: 13px; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left;
         vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; white-space: nowrap; }
td.since { font-size: 12px; white-space: nowrap; }
.ok { color: #1b7f3b; font-weight: bold; } .failed { color: #b00020; font-weight: bold; }
.skipped { color: #555; font-weight: bold; }
.msg { max-width: 420px; font-size: 12px; color: #b00020; white-space: pre-wrap; }
caption { caption-side: top; text-align: left; font-weight: bold; padding-bottom: 4px; }
p.note { color: #555; font-size: 12px; }
"""


def _since_cell(client_runs: list[dict], meta: dict) -> str:
    """The client's totals against its last good run: each measure before → after, ▼ or
    ▲ where the change is beyond chance (`analysis.run.monitor`), and the campaigns
    whose change is beyond chance for the worse."""
    from analysis.run.monitor import changes_summary, flagged_campaigns, run_changes

    changes = run_changes(client_runs, meta)
    if changes is None:
        return _e(_("no earlier run"))
    lines = []
    for name, text, flag, worse in changes_summary(changes):
        mark = (" ▼" if worse else " ▲") if flag else ""
        lines.append(f"{_e(name)}: {_e(text)}{mark}")
    worst = flagged_campaigns(changes)
    if worst:
        lines.append(
            "<b>" + _e(_("worse beyond chance: {campaigns}", campaigns=", ".join(worst))) + "</b>"
        )
    return "<br>".join(lines)


def write_index(
    root: str | Path, latest: list[Outcome] | None = None, lang: str | None = None
) -> Path:
    """Write ``<root>/index.html``: the latest run of every client with its headline
    numbers side by side, then every run. Plain HTML and CSS, no script, nothing
    loaded from elsewhere; written atomically.

    The page is in ``lang`` ("en", "ru"), by default in the language most clients'
    latest runs were written in (`index_language`: English on a tie); the clients'
    messages stay in the language they were recorded in."""
    root = Path(root)
    runs = collect_runs(root)
    with use_language(lang or index_language(runs)) as used:
        page = _index_page(root, runs, latest, used)
    return write_atomic(root / "index.html", page)


def _first_page(folder: Path, meta: dict) -> Path:
    return folder / f"{(meta.get('pages') or [{'name': 'executive-summary'}])[0]['name']}.html"


def _index_page(root: Path, runs: list[dict], latest: list[Outcome] | None, lang: str) -> str:
    by_client: dict[str, list[dict]] = {}
    for meta in runs:
        by_client.setdefault(meta["client"], []).append(meta)
    from analysis.run.report import slug

    skipped = {slug(o.client) for o in latest or [] if o.status == "skipped"}
    columns = (
        _("client"),
        _("status"),
        _("run"),
        _("leads created"),
        _("leads"),
        _("sales"),
        _("conversion (95% CI)"),
        _("spend"),
        _("cost per lead"),
        _("cost per sale (95% CI)"),
        _("ROMI (95% CI)"),
        _("since the last run"),
        _("report"),
    )
    header = "<tr>" + "".join(f"<th>{_e(c)}</th>" for c in columns) + "</tr>"
    rows = []
    for client in sorted(by_client):
        meta = by_client[client][-1]  # the newest (collect_runs: oldest first)
        if client in skipped:
            status = "skipped"
        else:
            status = "ok" if meta.get("status") == "ok" else "failed"
        folder = meta["folder"]
        if meta.get("status") == "ok":
            links = [_link(root, _first_page(folder, meta), _("open the report"))]
            if (folder / "report.xlsx").exists():
                links.append(_link(root, folder / "report.xlsx", "Excel"))
            cells = _headline_cells(meta)
            report = " · ".join(links)
            since = _since_cell(by_client[client], meta)
        else:
            cells = ["–"] * 8
            since = "–"
            nb = meta.get("notebook")
            kept = folder / f"{nb}.ipynb" if nb else None
            kind = status_label(meta.get("kind", "failed"))
            report = f'<div class="msg">{_e(kind)}: {_e(meta["message"])}'
            if kept is not None and kept.exists():
                report += "<br>" + _link(root, kept, _("the partly executed notebook"))
            report += "</div>"
        num = ' class="num"'
        rows.append(
            f'<tr><td>{_e(client)}</td><td class="{status}">{_e(status_label(status))}</td>'
            f"<td>{_e(meta.get('run', folder.name))}</td><td>{cells[0]}</td>"
            + "".join(f"<td{num}>{c}</td>" for c in cells[1:])
            + f'<td class="since">{since}</td><td>{report}</td></tr>'
        )
    history = []
    for meta in sorted(runs, key=lambda m: m.get("finished_utc", ""), reverse=True):
        folder = meta["folder"]
        ok = meta.get("status") == "ok"
        if ok:
            link = _link(root, _first_page(folder, meta), _("open the report"))
        else:
            link = _link(root, folder / "error.json", _("what went wrong"))
        status = "ok" if ok else "failed"
        history.append(
            f"<tr><td>{_e(meta['client'])}</td><td>{_e(meta.get('run', folder.name))}</td>"
            f'<td class="{status}">{_e(status_label(status))}</td>'
            f"<td>{_e(_moment(meta.get('finished_utc', '')))}</td>"
            f"<td>{_e(meta.get('kit_version', ''))}</td><td>{link}</td></tr>"
        )
    history_header = "".join(
        f"<th>{_e(c)}</th>"
        for c in (_("client"), _("run"), _("status"), _("finished"), _("kit"), _("report"))
    )
    now = datetime.now(UTC)
    made = now.strftime("%Y-%m-%d %H:%M UTC") if lang == "en" else _moment(now.isoformat())
    title = _e(_("Lead-quality reports: all clients"))
    intro = _(
        "The latest run of each client, with its headline numbers. Conversion is sales over "
        "all\nleads; cost per lead, cost per sale and ROMI are over paid leads only (leads of "
        "campaigns\nwith spend). Intervals are 95%. Each client's own currency applies; the "
        "period is when\nits leads were created. Written {made}.",
        made=_e(made),
    )
    caption = n_(
        "Latest run per client ({n} client)",
        "Latest run per client ({n} clients)",
        len(by_client),
    )
    every = _("Every run ({n})", n=fmt_int(len(runs)))
    none = _("No runs yet.")
    note = _(
        "Made by {kit}. A failed run keeps what it produced in its\n{folder} folder; the "
        "reports of earlier runs are untouched.",
        kit="leadkit",
        folder="<code>.failed</code>",
    )
    return f"""<!DOCTYPE html>
<html lang="{_e(lang)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{_STYLE}</style></head>
<body>
<h1>{title}</h1>
<p>{intro}</p>
<table>
<caption>{_e(caption)}</caption>
<thead>{header}</thead>
<tbody>
{chr(10).join(rows) or f'<tr><td colspan="13">{_e(none)}</td></tr>'}
</tbody></table>
<table>
<caption>{_e(every)}</caption>
<thead><tr>{history_header}
</tr></thead>
<tbody>
{chr(10).join(history)}
</tbody></table>
<p class="note">{note}</p>
</body></html>
"""
