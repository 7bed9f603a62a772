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


__all__ = ["write_index", "collect_runs"]

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


def _money(value, currency) -> str:
    from analysis.insight.numbers import fmt_money

    if value is None:
        return "n/a"
    return fmt_money(value) + (f" {currency}" if currency else "")


def _interval(value, low, high, rate: bool, currency=None, digits: int = 1) -> str:
    from analysis.insight.numbers import fmt_range, fmt_rate

    if value is None:
        return "n/a"
    if rate:
        return fmt_rate(value, low, high, digits=digits)
    text = fmt_range(
        value, low if low is not None else float("nan"), high if high is not None else float("nan")
    )
    return text + (f" {currency}" if currency else "")


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
        f"{_e(h.get('first_lead', ''))} – {_e(h.get('last_lead', ''))}",
        _e(f"{int(h['leads']):,}".replace(",", "\u202f")),
        _e(f"{int(h['sales']):,}".replace(",", "\u202f")),
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
.ok { color: #1b7f3b; font-weight: bold; } .failed { color: #b00020; font-weight: bold; }
.skipped { color: #555; font-weight: bold; }
.msg { max-width: 420px; font-size: 12px; color: #b00020; white-space: pre-wrap; }
caption { caption-side: top; text-align: left; font-weight: bold; padding-bottom: 4px; }
p.note { color: #555; font-size: 12px; }
"""


def write_index(root: str | Path, latest: list[Outcome] | None = None) -> Path:
    """Write ``<root>/index.html``: the latest run of every client with its headline
    numbers side by side, then every run. Plain HTML and CSS, no script, nothing
    loaded from elsewhere; written atomically."""
    root = Path(root)
    runs = collect_runs(root)
    by_client: dict[str, list[dict]] = {}
    for meta in runs:
        by_client.setdefault(meta["client"], []).append(meta)
    from analysis.run.report import slug

    skipped = {slug(o.client) for o in latest or [] if o.status == "skipped"}
    header = (
        "<tr><th>client</th><th>status</th><th>run</th><th>leads created</th>"
        "<th>leads</th><th>sales</th><th>conversion (95% CI)</th><th>spend</th>"
        "<th>cost per lead</th><th>cost per sale (95% CI)</th><th>ROMI (95% CI)</th>"
        "<th>report</th></tr>"
    )
    rows = []
    for client in sorted(by_client):
        meta = by_client[client][-1]  # the newest (collect_runs: oldest first)
        if client in skipped:
            status = "skipped"
        else:
            status = "ok" if meta.get("status") == "ok" else "failed"
        folder = meta["folder"]
        if meta.get("status") == "ok":
            first = (meta.get("pages") or [{"name": "executive-summary"}])[0]["name"]
            links = [_link(root, folder / f"{first}.html", "open")]
            if (folder / "report.xlsx").exists():
                links.append(_link(root, folder / "report.xlsx", "Excel"))
            cells = _headline_cells(meta)
            report = " · ".join(links)
        else:
            cells = ["–"] * 8
            nb = meta.get("notebook")
            kept = folder / f"{nb}.ipynb" if nb else None
            report = f'<div class="msg">{_e(meta.get("kind", "failed"))}: {_e(meta["message"])}'
            if kept is not None and kept.exists():
                report += "<br>" + _link(root, kept, "the partly executed notebook")
            report += "</div>"
        num = ' class="num"'
        rows.append(
            f'<tr><td>{_e(client)}</td><td class="{status}">{status}</td>'
            f"<td>{_e(meta.get('run', folder.name))}</td><td>{cells[0]}</td>"
            + "".join(f"<td{num}>{c}</td>" for c in cells[1:])
            + f"<td>{report}</td></tr>"
        )
    history = []
    for meta in sorted(runs, key=lambda m: m.get("finished_utc", ""), reverse=True):
        folder = meta["folder"]
        ok = meta.get("status") == "ok"
        target = (
            folder / f"{(meta.get('pages') or [{'name': 'executive-summary'}])[0]['name']}.html"
            if ok
            else folder / "error.json"
        )
        history.append(
            f"<tr><td>{_e(meta['client'])}</td><td>{_e(meta.get('run', folder.name))}</td>"
            f'<td class="{"ok" if ok else "failed"}">{"ok" if ok else "failed"}</td>'
            f"<td>{_e(meta.get('finished_utc', ''))}</td><td>{_e(meta.get('kit_version', ''))}"
            f"</td><td>{_link(root, target, 'open')}</td></tr>"
        )
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lead-quality reports: all clients</title>
<style>{_STYLE}</style></head>
<body>
<h1>Lead-quality reports: all clients</h1>
<p>The latest run of each client, with its headline numbers. Conversion is sales over all
leads; cost per lead, cost per sale and ROMI are over paid leads only (leads of campaigns
with spend). Intervals are 95%. Each client's own currency applies; the period is when
its leads were created. Written {_e(made)}.</p>
<table>
<caption>Latest run per client ({len(by_client)} clients)</caption>
<thead>{header}</thead>
<tbody>
{chr(10).join(rows) or '<tr><td colspan="12">No runs yet.</td></tr>'}
</tbody></table>
<table>
<caption>Every run ({len(runs)})</caption>
<thead><tr><th>client</th><th>run</th><th>status</th><th>finished</th><th>kit</th>
<th>report</th></tr></thead>
<tbody>
{chr(10).join(history)}
</tbody></table>
<p class="note">Made by leadkit. A failed run keeps what it produced in its
<code>.failed</code> folder; the reports of earlier runs are untouched.</p>
</body></html>
"""
    return write_atomic(root / "index.html", page)
