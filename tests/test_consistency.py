"""The same fact has the same value on every page, in every table, in run.json and in
the workbook: lead and sale counts (in total and per period), total spend and cost per
lead, the data's end, and how many leads are too young to judge.

The reference is the report context's facts (computed once per report on the engine,
analysis.insight.context); every other number is parsed from what the run wrote.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from analysis.insight.context import report_context
from analysis.insight.numbers import fmt_money

CLIENTS = ("sample", "olist")


class _Text(HTMLParser):
    """The visible text of a page (no style or script)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def page_text(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return re.sub(r"[ \t\n\r\f\v]+", " ", " ".join(parser.parts))  # keeps \u202f


def count(text: str) -> int:
    """``"4\u202f335"`` or ``"4,335"`` -> 4335."""
    return int(re.sub(r"[^\d]", "", text))


def facts_of(run) -> dict:
    meta = json.loads((run.folder / "run.json").read_text(encoding="utf-8"))
    profile = meta["profile_path"]
    return report_context(profile, meta["parameters"]["INPUTS"]).facts


def table(run, name: str) -> pd.DataFrame:
    return pd.read_csv(run.folder / "tables" / f"{name}.csv")


@pytest.fixture(scope="module", params=CLIENTS)
def case(request, report_runs):
    run = report_runs[request.param]
    return request.param, run, facts_of(run)


def test_lead_and_sale_totals_agree_everywhere(case):
    client, run, facts = case
    meta = json.loads((run.folder / "run.json").read_text(encoding="utf-8"))
    assert meta["headline"]["leads"] == facts["leads"] == facts["totals"]["leads"]
    assert meta["headline"]["sales"] == facts["sales"]
    # every table that partitions all leads once sums to the same leads and sales
    partitions = {
        "economics_by_period": "quarter",
        "economics_by_source": "source",
        "audit_weekly": "week",
        "maturity_conversion_at_age": "quarter",
    }
    if facts["can"]["qualification"]:
        partitions["audit_qualification_mix"] = "qualification"
    for name in partitions:
        t = table(run, name)
        assert t["leads"].sum() == facts["leads"], (client, name)
        assert t["sales"].sum() == facts["sales"], (client, name)
    rates = table(run, "models_rates_within")
    # per segment and source where the data have segments, else per source ("(all)")
    per_segment = rates[rates["segment"] != "(all)"]
    rows = per_segment if len(per_segment) else rates
    assert rows["leads"].sum() == facts["leads"] and rows["sales"].sum() == facts["sales"]


def test_each_periods_counts_agree_everywhere(case):
    client, run, facts = case
    want = {p["period"]: (p["leads"], p["sales"]) for p in facts["periods"]}
    for name in ("economics_by_period", "maturity_conversion_at_age"):
        t = table(run, name)
        got = {r.quarter: (r.leads, r.sales) for r in t.itertuples()}
        assert got == want, (client, name)
    # the decomposition's observed totals are those periods' sales, on both pages
    for name in ("change_sales", "summary_change"):
        path = run.folder / "tables" / f"{name}.csv"
        if not path.exists():
            continue  # fewer than two periods to compare
        totals = table(run, name)
        totals = totals[totals["part"].isin(["period_a", "period_b"])]
        for r in totals.itertuples():
            assert r.value == want[r.label][1], (client, name, r.label)


def test_spend_and_cost_per_lead_agree_everywhere(case):
    client, run, facts = case
    meta = json.loads((run.folder / "run.json").read_text(encoding="utf-8"))
    by_period = table(run, "economics_by_period")
    if not facts["can"]["spend"]:
        assert facts["totals"]["spend"] is None and meta["headline"]["spend"] is None
        assert by_period["spend"].isna().all()
        return
    total = facts["spend"]["total"]
    assert meta["headline"]["spend"] == pytest.approx(total)
    assert facts["totals"]["spend"] == pytest.approx(total)
    for name in ("economics_by_period", "economics_by_source", "audit_weekly"):
        assert table(run, name)["spend"].sum() == pytest.approx(total), (client, name)
    cpl = total / by_period["paid_leads"].sum()
    assert meta["headline"]["cpl"] == pytest.approx(cpl) == facts["totals"]["cpl"]
    # the cost per lead as the pages print it: the same figure on the audit, the
    # funnel page and the summary
    shown = fmt_money(cpl)
    for page in ("data-audit", "funnel-economics", "executive-summary"):
        assert shown in page_text(run.folder / f"{page}.html"), (client, page, shown)
    spend_shown = fmt_money(total)
    assert spend_shown in page_text(run.folder / "data-audit.html")


def test_lead_age_and_data_end_agree_everywhere(case):
    client, run, facts = case
    maturity = facts["maturity"]
    young = re.compile(
        r"([\d\u202f,]+) leads? \((\d+(?:\.\d+)?%)\) (?:are|is) younger than (\d+) days"
    )
    seen = {}
    for page in run.html:
        for match in young.finditer(page_text(page)):
            seen.setdefault(match.groups(), []).append(page.stem)
    if maturity is None:
        assert not seen
        return
    want_n, want_days = maturity["young_leads"], int(maturity["young_days"])
    assert seen, f"{client}: no page says how many leads are young"
    for (n, _share, days), pages in seen.items():
        assert (count(n), int(days)) == (want_n, want_days), (client, pages)
    age = dict(table(run, "audit_lead_age").itertuples(index=False))
    assert facts["data_end"] in " ".join(map(str, age.values()))
    assert any(str(want_n) in str(v).replace("\u202f", "") for v in age.values())
    # every "data end" date any page prints is the facts' one
    for page in run.html:
        for date in re.findall(r"data(?:'s)? end\D{0,30}?(\d{4}-\d{2}-\d{2})", page_text(page)):
            assert date == facts["data_end"], (client, page.stem, date)


def test_the_workbook_holds_the_tables_as_written(case):
    """The workbook's sheets carry the same counts as the tables (and the pages)."""
    client, run, facts = case
    with pd.ExcelFile(run.folder / "report.xlsx") as book:
        for name in ("economics_by_period", "maturity_conversion_at_age"):
            sheet = pd.read_excel(book, sheet_name=name[:31])
            written = table(run, name)
            assert sheet["leads"].tolist() == written["leads"].tolist(), (client, name)
            assert sheet["sales"].tolist() == written["sales"].tolist(), (client, name)
        assert int(sheet["leads"].sum()) == facts["leads"]
