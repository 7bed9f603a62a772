"""The report end to end: papermill runs of every notebook on the sample and on the
Olist example, self-contained HTML, no personal data anywhere, nothing half-written,
and nbval re-running the executed notebooks to check their key outputs reproduce."""

import json
import re
import subprocess
import sys

import nbformat
import pandas as pd
import pytest

from analysis.base.errors import DataError
from analysis.base.paths import PROJECT_ROOT, SAMPLE_DIR
from analysis.ingest.readers import file_sha256
from analysis.run import report
from analysis.run.report import REPORT_NOTEBOOKS, ReportError, run_report

CLIENTS = ("sample", "olist")


@pytest.mark.parametrize("client", CLIENTS)
def test_report_files(report_runs, client):
    result = report_runs[client]
    names = {p.name for p in result.folder.iterdir()}
    for nb in REPORT_NOTEBOOKS:
        assert {f"{nb}.ipynb", f"{nb}.html"} <= names
    assert "run.json" in names and not any(n.endswith(".partial") for n in names)
    assert len(result.tables) >= 10
    meta = json.loads((result.folder / "run.json").read_text())
    for item in meta["inputs"]:
        # the recorded hash is the input file's (and the input was not modified)
        assert any(
            file_sha256(p) == item["sha256"] for p in PROJECT_ROOT.glob(f"data/**/{item['file']}")
        )


@pytest.mark.parametrize("client", CLIENTS)
def test_executed_notebooks_have_no_errors_or_warnings(report_runs, client):
    for nb_name in REPORT_NOTEBOOKS:
        nb = nbformat.read(report_runs[client].folder / f"{nb_name}.ipynb", as_version=4)
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                assert out.output_type != "error", (nb_name, out)
                assert out.get("name") != "stderr", (nb_name, cell.source[:80], out.get("text"))
                # a stray repr like <Axes: ...> or <Figure size ...> means a plot cell
                # did not end with plt.show()
                if out.output_type != "execute_result":
                    continue
                text = out.get("data", {}).get("text/plain", "")
                assert not re.match(r"<(Axes|Figure|matplotlib)", text), (nb_name, text)


@pytest.mark.parametrize("client", CLIENTS)
def test_html_is_self_contained(report_runs, client):
    for page in report_runs[client].html:
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]+src=", html), "scripts loaded from elsewhere"
        assert not re.search(r"<link[^>]+href=[\"']https?:", html)
        imgs = re.findall(r"<img[^>]+src=\"([^\"]{0,30})", html)
        assert all(src.startswith("data:image/png;base64,") for src in imgs), page.name
        if client == "sample":  # every sample page has figures (Olist's have some)
            assert imgs, page.name
        # code cells render as highlighted ipython3 blocks with In [n] prompts
        assert "hl-ipython3" not in html and "In&nbsp;[" not in html, "code shown"


def _personal_values() -> set[str]:
    # the sample's amoCRM deals export (UTF-8, comma; its contact columns are the
    # personal data)
    crm = pd.read_csv(
        SAMPLE_DIR / "amocrm_deals.csv", encoding="utf-8", dtype=str, keep_default_na=False
    )
    phones = [*crm["Мобильный телефон"], *crm["Рабочий телефон"]]
    values = set(phones)
    for col in ("Полное имя контакта", "Компания контакта", "Рабочий email", "Личный email"):
        values |= set(crm[col])
    values |= {re.sub(r"\D", "", p) for p in phones}  # phones without formatting
    names = crm["Полное имя контакта"]
    values |= {name.split()[-1] for name in names if len(name.split()) > 1}
    # managers are employees, shown by design; a customer who shares a manager's name
    # (the sample draws both from common Russian names) is not a leak
    staff = set(crm["Ответственный"])
    return {v for v in values if len(v) >= 5 and not any(v in m for m in staff)}


def test_no_personal_data_in_any_output_file(report_runs):
    secrets = _personal_values()
    assert len(secrets) > 100  # the sample does carry personal data to drop
    for path in report_runs["sample"].folder.rglob("*"):
        if path.is_file():
            if path.suffix == ".xlsx":  # a zip: read the cells
                import openpyxl

                book = openpyxl.load_workbook(path, read_only=True)
                text = "\n".join(
                    str(v) for ws in book for row in ws.iter_rows(values_only=True) for v in row
                )
            else:
                text = path.read_text(encoding="utf-8", errors="replace")
            hit = _first_secret(text, secrets)
            assert hit is None, f"{path.name} shows personal data: {hit!r}"


def _first_secret(text: str, secrets: set[str]) -> str | None:
    """The first of ``secrets`` (each at least 5 characters) found in ``text``, by
    looking up every 5-character window in an index of their first five (an
    alternation of 18,000 names and phones took 140 s on the sample's pages)."""
    by_start: dict[str, list[str]] = {}
    for s in secrets:
        by_start.setdefault(s[:5], []).append(s)
    for i in range(len(text) - 4):
        for s in by_start.get(text[i : i + 5], ()):
            if text.startswith(s, i):
                return s
    return None


def test_the_secret_search_finds_what_it_looks_for():
    secrets = {"Иванова Мария", "79161234567", "a.b@example.com"}
    assert _first_secret("x Иванова Марияx", secrets) == "Иванова Мария"
    assert _first_secret("tel:79161234567.", secrets) == "79161234567"
    assert _first_secret("Иванова Мари 7916123456 a.b@example.co", secrets) is None


def test_sample_report_shows_the_story(report_runs):
    t = pd.read_csv(report_runs["sample"].folder / "tables" / "economics_by_period.csv")
    q1, q2 = t.set_index("quarter").loc[["2026Q1", "2026Q2"]].to_dict("index").values()
    assert q2["cpl"] < q1["cpl"] / 2.4  # cost per lead fell about threefold...
    assert q2["leads"] > q1["leads"] and q2["sales"] < q1["sales"]  # ...more leads, fewer sales
    assert q2["cac"] > 1.3 * q1["cac"]  # and each sale cost more
    nb = nbformat.read(report_runs["sample"].folder / "funnel-economics.ipynb", as_version=4)
    text = " ".join(
        o.get("text", "") + o.get("data", {}).get("text/markdown", "")
        for c in nb.cells
        for o in c.get("outputs", [])
    )
    assert "cost per sale rose" in text and "the change is larger than chance" in text
    assert "Leads got cheaper while sales got dearer." in text


def test_bad_input_writes_nothing(tmp_path):
    broken = tmp_path / "deals.csv"
    text = (SAMPLE_DIR / "amocrm_deals.csv").read_text(encoding="utf-8")
    broken.write_text(text.replace("Горячий", "XYZячий"), encoding="utf-8")
    with pytest.raises(DataError, match=r"deals\.csv.*unknown qualification"):
        run_report("sample", {"amocrm": broken}, out_root=tmp_path / "out", run="r")
    assert not (tmp_path / "out").exists()


def test_failing_notebook_keeps_its_partial_run_apart(tmp_path):
    """A failing notebook leaves no run folder (where a report is expected), but a
    ``.failed`` folder with the partly executed notebook, showing the error, and
    error.json; an earlier good run is not touched."""
    earlier = tmp_path / "olist" / "earlier"
    earlier.mkdir(parents=True)
    (earlier / "run.json").write_text("{}")
    with pytest.raises(ReportError, match=r"notebook [\w-]+ failed in cell \d+: ValueError") as e:
        # a threshold only a notebook reads, out of range: that notebook's cell fails
        run_report("olist", out_root=tmp_path, run="r", parameters={"HOT_SHARE": 1.5})
    assert sorted(p.name for p in (tmp_path / "olist").iterdir()) == ["earlier", "r.failed"]
    assert (earlier / "run.json").read_text() == "{}"
    failed = e.value.folder
    assert failed == tmp_path / "olist" / "r.failed"
    error = json.loads((failed / "error.json").read_text())
    assert error["status"] == "failed" and error["notebook"] in REPORT_NOTEBOOKS
    assert error["message"] == str(e.value)
    nb = nbformat.read(failed / f"{error['notebook']}.ipynb", as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors and errors[0].ename == "ValueError"
    assert not (failed / "run.json").exists()
    # the workbook the finished pages' tables were going into is not left half made
    assert not [p.name for p in failed.iterdir() if "xlsx" in p.name]


def test_a_crash_while_rendering_leaves_nothing(tmp_path, monkeypatch):
    """Anything but a notebook error (here: rendering dies) removes the half-built run."""

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "render_html", boom)
    with pytest.raises(KeyboardInterrupt):
        run_report("sample", out_root=tmp_path, run="r", notebooks=("data-audit",))
    assert list((tmp_path / "sample").iterdir()) == []


@pytest.mark.parametrize("client", CLIENTS)
def test_nbval_reproduces_checked_outputs(report_runs, client):
    """nbval re-executes the executed notebooks and compares the cells marked
    NBVAL_CHECK_OUTPUT (key counts, the headline) with what papermill produced."""
    paths = [str(report_runs[client].folder / f"{nb}.ipynb") for nb in REPORT_NOTEBOOKS]
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            "--nbval-current-env",
            "-q",
            "-p",
            "no:cacheprovider",
            *paths,
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert re.search(r"\d+ passed", run.stdout)


@pytest.mark.parametrize("client", CLIENTS)
def test_no_unflagged_estimate_from_a_cell_without_sales(report_runs, client):
    """Every tidy table of the report: a row with a rate but no sales behind it says so
    in a flag, data, note or verdict column."""
    rate_cols = {"conversion", "rate", "predicted", "shrunk", "odds_ratio", "cac"}
    say_cols = ["flag", "data", "note", "verdict", "rule"]
    checked = 0
    for path in report_runs[client].tables:
        t = pd.read_csv(path, keep_default_na=False, na_values=[""])
        if "sales" not in t or not rate_cols & set(t.columns):
            continue
        said = [c for c in say_cols if c in t]
        assert said, f"{path.name} has rates but no column that flags them"
        empty = t[t["sales"] == 0]
        unflagged = empty[(empty[said].fillna("") == "").all(axis=1)]
        assert unflagged.empty, f"{path.name}: {unflagged.head(3).to_dict('records')}"
        checked += 1
    assert checked >= 4


def test_executive_summary_names_marketing_mix_and_parts_add_up(report_runs):
    """The sample was generated with the fall coming from the lead mix (cheap channels
    bringing cold leads); the summary must say so, and its parts must sum exactly."""
    folder = report_runs["sample"].folder
    change = pd.read_csv(folder / "tables" / "summary_change.csv")
    parts = change[change["kind"] == "part"]
    total = change.loc[change["part"] == "change", "value"].item()
    assert parts["value"].sum() == pytest.approx(total, abs=1e-9)
    mix = parts[parts["part"].str.startswith("mix")]["value"].sum()
    conversion = parts.loc[parts["part"] == "conversion", "value"].item()
    assert total < 0 and mix < 0 and abs(mix) > abs(conversion)
    nb = nbformat.read(folder / "executive-summary.ipynb", as_version=4)
    text = " ".join(
        o.get("data", {}).get("text/markdown", "") for c in nb.cells for o in c.get("outputs", [])
    )
    assert "mainly through marketing's lead mix" in text
    actions = pd.read_csv(folder / "tables" / "summary_actions.csv").set_index("campaign")
    assert actions.loc["tg_channel_ads", "action"] == "cut"


def test_olist_summary_says_what_it_cannot_tell(report_runs):
    folder = report_runs["olist"].folder
    nb = nbformat.read(folder / "executive-summary.ipynb", as_version=4)
    text = " ".join(
        o.get("data", {}).get("text/markdown", "") for c in nb.cells for o in c.get("outputs", [])
    )
    assert "No spend data" in text and "do not say which manager" in text
    actions = pd.read_csv(folder / "tables" / "summary_actions.csv")
    assert set(actions["action"]) <= {"keep", "wait"}
