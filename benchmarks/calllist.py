"""How good the call list's scores are: calibration on the sample generator's truth and
on a time split of the sample and Olist, written to benchmarks/RESULTS-calllist.md.

- **Generator truth**: the generator knows whether every lead, also one still open at
  the export, ever becomes a sale (`SampleData.future`). Predicted probability against
  that, by decile, for a company ten times the sample's size and three seeds.
- **Time split**: the data as they stood on an earlier day (leads created by then, sales
  after it counted as not yet), every lead not sold by that day scored, and the scores
  compared with the sales that came after it. Exports keep no loss date, so which of
  those leads were already lost on the day cannot be told: the split checks
  P(sale later | not sold yet), the part of the score a split can check
  (`call_list(..., lost_known=False)`); the open-share correction is checked on the
  generator's truth above.

    .venv/bin/python benchmarks/calllist.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from analysis.ingest.load import load_dataset  # noqa: E402
from analysis.sample.company import generate  # noqa: E402
from analysis.stats.calllist import calibration, call_list  # noqa: E402


def _table(cal: pd.DataFrame) -> str:
    lines = [
        "| decile | leads | predicted | realised | 95% interval of realised |",
        "|---|---|---|---|---|",
    ]
    for r in cal.itertuples(index=False):
        inside = "" if r.low <= r.predicted <= r.high else " (outside)"
        lines.append(
            f"| {r.decile} | {r.leads} | {r.predicted:.3f} | {r.realised:.3f} | "
            f"{r.low:.3f}–{r.high:.3f}{inside} |"
        )
    return "\n".join(lines)


def generator_truth(seed: int, scale: float) -> str:
    data = generate(seed=seed, scale=scale)
    t0 = time.perf_counter()
    scored = call_list(data.truth, limit=None)
    took = time.perf_counter() - t0
    got = scored.leads.merge(data.future, on="lead_id")
    cal = calibration(got["p_sale"], got["will_sell"])
    inside = int(((cal["low"] <= cal["predicted"]) & (cal["predicted"] <= cal["high"])).sum())
    return (
        f"### Seed {seed}, scale {scale:g}: {len(data.truth):,} leads, "
        f"{scored.open_leads:,} open\n\n"
        f"Expected sales from the open leads {scored.expected_sales:.1f}, realised "
        f"{int(got['will_sell'].sum())}; {inside} of {len(cal)} deciles' predictions inside "
        f"the realised share's 95% interval; scored in {took:.2f} s.\n\n{_table(cal)}\n"
    )


def time_split(name: str, leads: pd.DataFrame, as_of: pd.Timestamp) -> str:
    end = max(leads["created_at"].max(), leads["won_at"].max())
    scored = call_list(leads, as_of=as_of, limit=None, lost_known=False)
    sold_by_end = leads.set_index("lead_id")["converted"].astype(int)
    got = scored.leads.merge(sold_by_end.rename("sold"), left_on="lead_id", right_index=True)
    cal = calibration(got["p_sale"], got["sold"])
    inside = int(((cal["low"] <= cal["predicted"]) & (cal["predicted"] <= cal["high"])).sum())
    top = got.nlargest(max(len(got) // 10, 1), "p_sale")
    base = got["sold"].mean() if len(got) else float("nan")
    return (
        f"### {name}: scored as of {as_of:%Y-%m-%d}, outcomes to {end:%Y-%m-%d}\n\n"
        f"{scored.open_leads:,} leads not sold by the day; expected sales "
        f"{scored.expected_sales:.1f}, sold by the end {int(got['sold'].sum())}. The top "
        f"tenth by score sold {top['sold'].mean():.1%} against {base:.1%} of all of them "
        f"(lift {top['sold'].mean() / base if base else float('nan'):.1f}x); {inside} of "
        f"{len(cal)} deciles inside the realised share's 95% interval.\n\n{_table(cal)}\n"
    )


def main() -> None:
    out = ["# The call list's scores: calibration and a time split", ""]
    out.append(__doc__.split("\n\n    .venv")[0].strip() + "\n")
    out.append("## Generator truth\n")
    for seed in (3, 11, 12):
        out.append(generator_truth(seed, 10.0))
    out.append("## Time splits\n")
    sample = load_dataset("sample").leads
    out.append(time_split("Sample company", sample, pd.Timestamp("2026-05-15")))
    olist = load_dataset("olist").leads
    end = olist["created_at"].max()
    # Olist's leads end in May 2018, its sales go on to November
    out.append(time_split("Olist", olist, end.normalize()))
    text = "\n".join(out)
    (HERE / "RESULTS-calllist.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
