"""`leadkit run` over a client file: the example's three clients (the sample, Olist and a
deliberately broken export) give two reports and one clear failure, the index lists all
three, an unchanged client is skipped, and the same inputs give the same numbers and
figures as a separate run."""

import hashlib
import json
import re
import subprocess
import sys

import pandas as pd
import pytest

# the browser check of the report pages, reused for the index page
from test_browser import ARTIFACTS, MISSING, STRICT, browser, check_page  # noqa: F401

from analysis.base.errors import DataError
from analysis.base.paths import DATA_DIR, PROJECT_ROOT
from analysis.run.batch import read_clients, run_batch
from analysis.run.index import write_index
from analysis.run.report import REPORT_NOTEBOOKS

CLIENTS_FILE = DATA_DIR / "clients.example.yaml"
BROKEN = DATA_DIR / "examples" / "broken" / "leads.csv"


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("batch")
    before = _sha(BROKEN)
    outcomes, index = run_batch(CLIENTS_FILE, out_root=out, jobs=2, run="b1", progress=False)
    return {
        "out": out,
        "outcomes": {o.client: o for o in outcomes},
        "index": index,
        "broken_sha": before,
    }


def test_two_reports_and_one_clear_failure(batch):
    got = batch["outcomes"]
    assert list(got) == ["sample-company", "olist", "broken-export"]  # the file's order
    assert got["sample-company"].status == "ok" and got["olist"].status == "ok"
    bad = got["broken-export"]
    assert bad.status == "bad input" and not bad.passed
    # the message names file, row and column
    assert re.search(r"leads\.csv, row 5, column 'created_at'.*2026-02-30", bad.message)
    assert _sha(BROKEN) == batch["broken_sha"], "the input file was modified"
    for name in ("sample-company", "olist"):
        folder = batch["out"] / name / "b1"
        assert {f"{nb}.html" for nb in REPORT_NOTEBOOKS} <= {p.name for p in folder.iterdir()}
        assert (folder / "report.xlsx").exists()
    # the failure is recorded beside the reports, with nothing that looks like a report
    failed = batch["out"] / "broken-export" / "b1.failed"
    assert json.loads((failed / "error.json").read_text())["kind"] == "bad input"
    assert not list(failed.glob("*.html"))


def test_clients_get_their_settings(batch):
    olist = json.loads((batch["out"] / "olist" / "b1" / "run.json").read_text())
    assert olist["parameters"]["PERIOD"] == "month"
    assert olist["parameters"]["MIN_LEADS"] == 50  # the client's threshold over the default
    assert olist["parameters"]["MIN_SALES"] == 10  # the default's
    assert olist["headline"]["currency"] == "BRL"
    by_month = pd.read_csv(batch["out"] / "olist" / "b1" / "tables" / "economics_by_period.csv")
    assert "month" in by_month.columns


def test_index_lists_every_client_with_headline_numbers_and_links(batch):
    page = batch["index"].read_text(encoding="utf-8")
    assert batch["index"] == batch["out"] / "index.html"
    for name in ("sample-company", "olist", "broken-export"):
        assert f"<td>{name}</td>" in page
    assert "<script" not in page and "http" not in page.replace("http-equiv", "")
    # every link points at a file that exists
    links = re.findall(r'href="([^"]+)"', page)
    assert links and all((batch["out"] / link).exists() for link in links), links
    # the sample's headline numbers are the run's, with interval and currency
    meta = json.loads((batch["out"] / "sample-company" / "b1" / "run.json").read_text())
    h = meta["headline"]
    assert f"{int(h['leads']):,}".replace(",", "\u202f") in page
    assert f"{100 * h['conversion']:.1f}% ({100 * h['conversion_low']:.1f}" in page
    assert "RUB" in page  # Olist has no spend: its money columns say n/a
    # the headline conversion is the plain count of the canonical leads (closed form)
    from analysis.ingest.load import load_dataset

    leads = load_dataset("sample").leads
    assert h["leads"] == len(leads) and h["sales"] == leads["converted"].sum()
    assert "2026-02-30" in page  # the broken client's message is shown


def test_unchanged_clients_are_skipped_and_exit_code_says_a_client_failed(batch):
    out = batch["out"]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis",
            "run",
            str(CLIENTS_FILE),
            "--out",
            str(out),
            "--run",
            "b2",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = {line.split()[0]: line.split()[1] for line in proc.stdout.splitlines()[:3]}
    assert lines == {"sample-company": "skipped", "olist": "skipped", "broken-export": "bad"}
    assert "2 of 3 clients passed" in proc.stdout
    assert not (out / "sample-company" / "b2").exists()  # nothing re-run
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "skipped" in page and "b1" in page


def test_failed_notebook_is_linked_from_the_index(tmp_path):
    clients = tmp_path / "clients.yaml"
    clients.write_text(
        "clients:\n  - name: bad-threshold\n    profile: olist\n    parameters: {HOT_SHARE: 1.5}\n",
        encoding="utf-8",
    )
    outcomes, index = run_batch(clients, out_root=tmp_path / "out", progress=False, run="x")
    (outcome,) = outcomes
    assert outcome.status == "failed" and "failed in cell" in outcome.message
    page = index.read_text(encoding="utf-8")
    assert "the partly executed notebook" in page and "bad-threshold/x.failed/" in page


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("clients: []\n", "the list is empty"),
        ("clients:\n  - {name: a, profile: sample, colour: red}\n", r"unknown key.*colour"),
        (
            "clients:\n  - {name: a, profile: sample, thresholds: {min_lead: 5}}\n",
            "unknown threshold 'min_lead'",
        ),
        ("clients:\n  - {name: a, profile: sample, period: fortnight}\n", "period by 'fortnight'"),
        (
            "clients:\n  - {name: a, profile: sample}\n  - {name: A, profile: olist}\n",
            "must differ",
        ),
        ("clients:\n  - {profile: sample}\n", "needs a name"),
        ("clients:\n  - {name: a, profile: sample, parameters: {min_leads: 3}}\n", "UPPER_CASE"),
        ("jobs: 0\nclients:\n  - {name: a, profile: sample}\n", "jobs is a whole number"),
        ("clients: [\n", "not a readable YAML"),
    ],
)
def test_client_file_errors_name_file_and_client(tmp_path, text, message):
    path = tmp_path / "clients.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message) as e:
        read_clients(path)
    assert "clients.yaml" in str(e.value)


def test_client_file_paths_are_relative_to_it():
    batch = read_clients(CLIENTS_FILE)
    broken = next(c for c in batch.clients if c.name == "broken-export")
    assert broken.inputs == {"leads": str(BROKEN.resolve())}
    assert batch.jobs == 2


def test_same_inputs_give_the_same_numbers_and_figures(batch, report_runs):
    """Reproducible runs: the batch's sample client and the separate report run of the
    sample (other process, other folder, other client name, its pages run two at once
    where the batch's two clients share the cores) agree byte for byte in every table
    and every embedded figure."""
    mine = batch["out"] / "sample-company" / "b1"
    other = report_runs["sample"].folder
    tables = sorted(p.name for p in (other / "tables").glob("*.csv"))
    assert tables == sorted(p.name for p in (mine / "tables").glob("*.csv"))
    for name in tables:
        assert (mine / "tables" / name).read_bytes() == (other / "tables" / name).read_bytes(), name
    for nb in REPORT_NOTEBOOKS:
        figures = [
            re.findall(
                r'src="data:image/png;base64,([^"]+)"',
                (folder / f"{nb}.html").read_text(encoding="utf-8"),
            )
            for folder in (mine, other)
        ]
        assert figures[0] == figures[1], f"{nb}: figures differ between identical runs"
    a = json.loads((mine / "run.json").read_text())
    b = json.loads((other / "run.json").read_text())
    assert a["fingerprint"] != "" and a["inputs"] == b["inputs"] and a["headline"] == b["headline"]


def test_index_can_be_rebuilt_from_the_folders_alone(batch, tmp_path):
    page = write_index(batch["out"]).read_text(encoding="utf-8")
    for name in ("sample-company", "olist", "broken-export"):
        assert f"<td>{name}</td>" in page


def test_index_page_in_chromium(batch, request):
    """The index opens in headless Chromium with the network off: no errors, nothing
    asked for elsewhere, readable without JavaScript (the same check as the reports)."""
    if MISSING:
        pytest.fail(MISSING) if STRICT else pytest.skip(MISSING)
    shot = ARTIFACTS / "batch-index.png"
    seen = check_page(request.getfixturevalue("browser"), batch["index"], screenshot=shot)
    assert seen["problems"] == [], seen["problems"]
