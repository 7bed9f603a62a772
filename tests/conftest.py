"""Shared fixtures: small export files written on the fly, and the report runs (made
once per session, they take the longest)."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from analysis.base.paths import PROJECT_ROOT

_CACHE: str | None = None


def pytest_configure(config):
    """Every load writes its canonical leads to the cache folder: the suite's go to a
    folder of its own (inherited by the notebooks' kernels), not the user's
    ~/.cache/leadkit, and are removed at the end. The pages are English unless a test
    asks for another language (``$LEADKIT_LANGUAGE``, inherited by the kernels too)."""
    global _CACHE
    # the tests read the pages in English (the sample company's own language is
    # Russian): a test of another language asks for it, one of the defaults clears this
    os.environ["LEADKIT_LANGUAGE"] = "en"
    if "LEADKIT_CACHE" not in os.environ:
        _CACHE = tempfile.mkdtemp(prefix="leadkit-test-cache-")
        os.environ["LEADKIT_CACHE"] = _CACHE


def pytest_unconfigure(config):
    if _CACHE is not None:
        os.environ.pop("LEADKIT_CACHE", None)
        shutil.rmtree(_CACHE, ignore_errors=True)


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


GOOD_LEADS = """\
lead_id,created_at,utm_source,utm_medium,utm_campaign,segment,manager,qualification,\
converted,revenue,won_at
1,2026-01-05 10:00,yandex,cpc,brand,SMB,Anna,hot,yes,1000,2026-01-20
2,2026-01-06 11:00,yandex,cpc,brand,SMB,Anna,warm,no,,
3,2026-01-07 12:00,vk,paid_social,quiz,Mid,Igor,cold,no,,
4,2026-01-08 13:00,vk,paid_social,quiz,Mid,Igor,cold,yes,500,2026-02-01
5,2026-01-09 14:00,,,,,Igor,,no,,
"""

GOOD_SPEND = """date,source,campaign,spend,clicks,impressions
2026-01-05,yandex,brand,300,10,1000
2026-01-06,yandex,brand,100,5,500
2026-01-05,vk,quiz,50,20,3000
"""


@pytest.fixture
def generic_files(tmp_path):
    """A tiny valid one-row-per-lead export and spend file for the generic profile."""
    leads = write_csv(tmp_path / "leads.csv", GOOD_LEADS)
    spend = write_csv(tmp_path / "spend.csv", GOOD_SPEND)
    return {"leads": leads, "spend": spend}


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def report_runs(tmp_path_factory):
    """The full report on the sample and on the Olist example, run once (two pages at
    once: the batch in test_batch runs its two clients' pages one at a time, and
    `test_same_inputs_give_the_same_numbers_and_figures` compares both)."""
    from analysis.run.report import run_report

    out = tmp_path_factory.mktemp("reports")
    return {
        "sample": run_report("sample", out_root=out, run="test", page_jobs=2),
        "olist": run_report("olist", out_root=out, run="test", page_jobs=2),
    }
