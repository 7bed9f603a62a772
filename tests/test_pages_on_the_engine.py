"""Every page computes through the engine: run as a report runs them (the dataset read
from the kept copy), the six notebooks never bring the lead rows into pandas."""

from __future__ import annotations

import pytest

from analysis.base.paths import NOTEBOOKS_DIR
from analysis.run.report import REPORT_NOTEBOOKS


@pytest.mark.parametrize("profile", ["sample", "olist"])
def test_no_page_reads_the_lead_rows(profile, tmp_path, monkeypatch):
    from analysis.insight.context import report_context

    monkeypatch.setenv("LEADKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    first = report_context(profile, {})  # the report's own load, before the pages
    assert first.facts["leads"] > 0
    for name in REPORT_NOTEBOOKS:
        ctx = _run_page(NOTEBOOKS_DIR / f"{name}.py", PROFILE=profile)["ctx"]
        assert ctx.dataset.source is not None, (
            f"{name}: the dataset was not read from the kept copy"
        )
        assert not ctx.dataset.leads_loaded, f"{name}: a section read the lead rows into pandas"


def _run_page(script, **parameters) -> dict:
    """The page's script (the notebook's jupytext pair) run in this process, with
    ``parameters`` set after its parameters cell, as papermill injects them."""
    cells = script.read_text(encoding="utf-8").split("\n# %%")
    at = next(i for i, c in enumerate(cells) if c.startswith(' tags=["parameters"]'))
    injected = "".join(f"{k} = {v!r}\n" for k, v in parameters.items())
    cells.insert(at + 1, "\n" + injected)
    namespace: dict = {"__name__": "__leadkit_page__"}
    exec(compile("\n# %%".join(cells), str(script), "exec"), namespace)
    return namespace
