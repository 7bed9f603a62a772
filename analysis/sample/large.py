"""Large synthetic lead tables in the canonical shape, for benchmarks and scale tests.

Unlike `analysis.synth` (a small, realistic company with raw exports), this writes the
canonical `leads` table directly, at any size, chunk by chunk, so ten million leads are
generated in bounded memory. Conversion follows a known logistic model over source,
campaign, segment, manager and qualification, so fitted coefficients can be checked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import special

from analysis.ingest.schema import QUALIFICATIONS

__all__ = ["SOURCES", "synthetic_leads", "write_synthetic_parquet"]

#: source: (log-odds of a sale, shares of hot / warm / cold / unknown, campaigns)
SOURCES = {
    "yandex": (0.0, (0.35, 0.35, 0.25, 0.05), 14),
    "google": (-0.1, (0.30, 0.35, 0.30, 0.05), 12),
    "vk": (-0.6, (0.08, 0.20, 0.67, 0.05), 12),
    "telegram": (-0.8, (0.05, 0.15, 0.75, 0.05), 8),
    "email": (-0.3, (0.20, 0.40, 0.35, 0.05), 8),
    "organic": (0.2, (0.30, 0.40, 0.25, 0.05), 6),
}

SEGMENTS = {"small": -0.3, "medium": 0.0, "large": 0.4, "enterprise": 0.6}

SEGMENT_SHARES = (0.5, 0.3, 0.15, 0.05)

QUALIFICATION_LOGODDS = {"hot": -0.8, "warm": -2.2, "cold": -4.0, "unknown": -3.0}

MANAGERS = 25

WEEKS = 26

START = pd.Timestamp("2026-01-05")


def _campaigns() -> list[tuple[str, str, float]]:
    rng = np.random.default_rng(12345)
    out = []
    for source, (_, _, n) in SOURCES.items():
        for i in range(n):
            out.append((source, f"{source}_c{i:02d}", float(rng.normal(0, 0.3))))
    return out


def synthetic_leads(n: int, seed: int = 0, *, first_id: int = 0) -> pd.DataFrame:
    """``n`` canonical leads from the known model (see the module constants).

    Columns: lead_id, created_at, source, medium, campaign, segment, manager,
    qualification, converted, revenue.
    """
    rng = np.random.default_rng(seed)
    camps = _campaigns()
    weights = np.array([1.0 + (i % 5) for i in range(len(camps))])
    ci = rng.choice(len(camps), size=n, p=weights / weights.sum())
    camp_source = np.array([c[0] for c in camps])[ci]
    camp_name = np.array([c[1] for c in camps])[ci]
    camp_effect = np.array([c[2] for c in camps])[ci]
    src_effect = np.array([SOURCES[s][0] for s in camp_source])
    qual = np.empty(n, dtype=object)
    for s, (_, mix, _) in SOURCES.items():
        sel = camp_source == s
        qual[sel] = rng.choice(QUALIFICATIONS, size=int(sel.sum()), p=mix)
    seg_names = np.array(list(SEGMENTS))
    seg = seg_names[rng.choice(len(seg_names), size=n, p=SEGMENT_SHARES)]
    mgr_effect = np.random.default_rng(999).normal(0, 0.3, MANAGERS)
    mgr = rng.integers(0, MANAGERS, size=n)
    eta = (
        np.array([QUALIFICATION_LOGODDS[q] for q in QUALIFICATIONS])[
            pd.Categorical(qual, categories=QUALIFICATIONS).codes
        ]
        + src_effect
        + camp_effect
        + np.array([SEGMENTS[s] for s in seg_names])[
            pd.Categorical(seg, categories=seg_names).codes
        ]
        + mgr_effect[mgr]
    )
    converted = (rng.random(n) < special.expit(eta)).astype("int8")
    created = START + pd.to_timedelta(rng.integers(0, WEEKS * 7 * 86400, size=n), unit="s")
    revenue = np.where(converted == 1, np.round(rng.lognormal(11, 0.6, size=n), 2), 0.0)
    return pd.DataFrame(
        {
            "lead_id": pd.array(
                np.char.add("L", (np.arange(n) + first_id).astype(str)), dtype="str"
            ),
            "created_at": created.astype("datetime64[us]"),
            "source": pd.array(camp_source, dtype="str"),
            "medium": pd.array(np.where(camp_source == "organic", "organic", "cpc"), dtype="str"),
            "campaign": pd.array(camp_name, dtype="str"),
            "segment": pd.array(seg, dtype="str"),
            "manager": pd.array(np.char.add("manager_", mgr.astype(str)), dtype="str"),
            "qualification": pd.Categorical(qual, categories=QUALIFICATIONS, ordered=True),
            "converted": converted,
            "revenue": revenue,
        }
    )


def write_synthetic_parquet(
    path: str | Path, n: int, seed: int = 0, chunk: int = 1_000_000
) -> Path:
    """Write ``n`` synthetic canonical leads to one Parquet file, ``chunk`` rows at a
    time (memory stays bounded by the chunk, whatever ``n``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial")
    writer = None
    try:
        for i, start in enumerate(range(0, n, chunk)):
            frame = synthetic_leads(min(chunk, n - start), seed=seed + i, first_id=start)
            frame["qualification"] = frame["qualification"].astype("str")
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    tmp.replace(path)
    return path
