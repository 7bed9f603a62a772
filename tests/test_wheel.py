"""The kit as a user gets it: a wheel built from this tree, installed (not editable) in a
fresh venv, run from a folder that is not a checkout.

Nothing is downloaded. The wheel is built with ``--no-build-isolation`` by the
setuptools of this environment (the dev extra asks for one new enough), and installed
with ``--no-deps --no-index``; the fresh venv sees this environment's packages (pandas,
papermill, ...) through a ``.pth`` file, the way ``--system-site-packages`` would see a
base interpreter's (and JUPYTER_PATH points at this environment's nbconvert templates
and kernel spec). Only the leadkit in the fresh venv's own site-packages is imported:
the editable install of this environment lives behind a ``.pth`` hook that a ``.pth``
path line does not run, and the test checks where ``analysis`` came from.

About 85 s on 2 cores: build 3 s, venv and install 7 s, two CLI probes 10 s, the
sample report 65 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
from pathlib import Path

import pytest

from analysis.base.paths import PROJECT_ROOT
from analysis.run.report import REPORT_NOTEBOOKS

pytestmark = pytest.mark.skipif(PROJECT_ROOT is None, reason="needs the source tree")

ROOT = Path(PROJECT_ROOT or ".")
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
# what a clean checkout holds; the rest (venvs, caches, reports, build output) is left out
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "reports",
    "test-artifacts",
    "__pycache__",
    ".ipynb_checkpoints",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
)


def _offline_build() -> bool:
    """setuptools here is one pyproject.toml's build-system accepts (>=77)."""
    try:
        major, minor = (int(x) for x in dist_version("setuptools").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return False
    return (major, minor) >= (77, 0)


def _run(cmd: list[str | Path], **kw) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, timeout=600, **kw
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, cmd))} exited {result.returncode}\n"
        f"--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
    )
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src") / "leadkit"
    shutil.copytree(ROOT, src, ignore=NOT_SOURCE)
    out = tmp_path_factory.mktemp("wheelhouse")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, src]
    if _offline_build():
        cmd[4:4] = ["--no-build-isolation", "--no-index"]
    _run(cmd)
    (found,) = out.glob("leadkit-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> dict[str, object]:
    """A fresh venv holding only the wheel; its python, bin folder and environment."""
    home = tmp_path_factory.mktemp("venv") / "fresh"
    venv.create(home, with_pip=True)
    bindir = home / "bin"
    python = bindir / "python"
    site = _run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
    ).stdout.strip()
    # this environment's packages, after the fresh venv's own site-packages
    here = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (Path(site) / "_leadkit_test_deps.pth").write_text("\n".join(here) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env |= {
        "PATH": f"{bindir}{os.pathsep}{env.get('PATH', '')}",
        "VIRTUAL_ENV": str(home),
        # nbconvert's base templates and the kernel spec are data files of this
        # environment's prefix, not of the fresh one (a real install has its own)
        "JUPYTER_PATH": os.pathsep.join(
            [str(Path(sys.prefix) / "share" / "jupyter"), env.get("JUPYTER_PATH", "")]
        ).rstrip(os.pathsep),
        "LEADKIT_CACHE": str(tmp_path_factory.mktemp("cache")),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    _run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel], env=env)
    return {"python": python, "bin": bindir, "env": env, "home": home}


def test_wheel_holds_notebooks_profiles_templates_and_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"analysis/_notebooks/{nb}.ipynb" for nb in REPORT_NOTEBOOKS} | {
        "analysis/render/templates/leadkit/index.html.j2",
        "analysis/render/templates/leadkit/conf.json",
        "analysis/base/locale/ru/LC_MESSAGES/leadkit.po",  # the Russian catalogue
        "analysis/_data/clients.example.yaml",
        "analysis/_data/profiles/sample.yaml",
        "analysis/_data/profiles/olist.yaml",
        "analysis/_data/profiles/generic.yaml",
        "analysis/_data/sample/amocrm_deals.csv",
        "analysis/_data/sample/direct_report.tsv",
        "analysis/_data/sample/vk_ad_plans_day.json",
        "analysis/_data/sample/google_ads_campaign_report.csv",
        "analysis/_data/sample/telegram_spend.csv",
        "analysis/_data/sample/metrica_visits.tsv",
        "analysis/_data/sample/README.md",  # says they are synthetic
        # the Olist data's licence (CC BY-NC-SA) travels with it
        "analysis/_data/examples/olist/README.md",
        "analysis/_data/examples/olist/olist_marketing_qualified_leads_dataset.csv",
        "analysis/_data/examples/olist/olist_closed_deals_dataset.csv",
    }
    assert expected <= names, sorted(expected - names)
    assert not [n for n in names if ".ipynb_checkpoints" in n or n.endswith(".pyc")]


def test_version_and_layout(installed, tmp_path):
    out = _run([installed["bin"] / "leadkit", "--version"], env=installed["env"], cwd=tmp_path)
    assert out.stdout.strip() == f"leadkit {VERSION}"
    probe = (
        "import analysis, analysis.base.paths as p; "
        "print(analysis.__file__); print(p.IN_CHECKOUT); print(p.NOTEBOOKS_DIR); "
        "print(p.reports_dir())"
    )
    lines = _run(
        [installed["python"], "-c", probe], env=installed["env"], cwd=tmp_path
    ).stdout.splitlines()
    assert Path(lines[0]).is_relative_to(installed["home"]), lines[0]  # the wheel's copy
    assert lines[1] == "False"
    assert Path(lines[2]).name == "_notebooks" and Path(lines[2]).is_dir()
    assert Path(lines[3]) == tmp_path / "reports"


def test_check_reads_the_shipped_olist_example(installed, tmp_path):
    out = _run(
        [installed["bin"] / "leadkit", "check", "--profile", "olist"],
        env=installed["env"],
        cwd=tmp_path,
    )
    assert "leads: 8000" in out.stdout and "sales: 842" in out.stdout


def _package_files(installed, cwd: Path) -> set[Path]:
    where = "import analysis; print(analysis.__file__)"
    init = _run([installed["python"], "-c", where], env=installed["env"], cwd=cwd)
    package = Path(init.stdout.strip()).parent
    return {p for p in package.rglob("*") if "__pycache__" not in p.parts}


def test_report_from_another_folder(installed, tmp_path):
    before = _package_files(installed, tmp_path)
    out = _run(
        [installed["bin"] / "leadkit", "report", "--profile", "sample", "--run", "wheel"],
        env=installed["env"],
        cwd=tmp_path,
    )
    folder = tmp_path / "reports" / "sample" / "wheel"
    assert str(folder) in out.stdout
    pages = {p.name for p in folder.glob("*.html")}
    assert pages == {f"{nb}.html" for nb in REPORT_NOTEBOOKS}
    for page in pages:
        assert "leadkit-footer" in (folder / page).read_text(encoding="utf-8"), page
    tables = list((folder / "tables").glob("*.csv"))
    assert len(tables) >= 20 and all(t.stat().st_size > 0 for t in tables)
    assert (folder / "run.json").is_file() and (folder / "report.xlsx").is_file()
    # the run wrote nothing into the installed package (the kernel's cwd is in it)
    assert _package_files(installed, tmp_path) == before
