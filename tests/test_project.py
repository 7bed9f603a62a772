"""The project keeps its promises: README, Makefile, environment.yml, CI and notebooks
agree with each other and with the code."""

import ast
import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib

import nbformat
import papermill as pm
import pytest
import yaml

from analysis.base.paths import NOTEBOOKS_DIR, PROJECT_ROOT
from analysis.ingest.profiles import list_profiles, load_profile
from analysis.run.report import REPORT_NOTEBOOKS

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


def test_readme_opens_with_the_two_setup_commands():
    first_block = re.search(r"```bash\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make report", "make test"]


def test_every_make_target_in_the_readme_exists():
    targets = set(re.findall(r"^([a-zA-Z_-]+):", MAKEFILE, re.M))
    named = set(re.findall(r"`make (\w+)`", README)) | {"report", "test"}
    assert named <= targets, named - targets
    helped = set(re.findall(r"^([a-zA-Z_-]+):.*## ", MAKEFILE, re.M))
    assert {"help", "report", "test", "lab"} <= helped


def test_ci_runs_the_readme_test_command():
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_environment_yml_agrees_with_pyproject():
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    python = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python")]
    assert python == ["python=3.11"]
    assert project["requires-python"] == ">=3.11"
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    # conda installs the package itself with its dev extras: one list of dependencies
    assert pip == ["-e .[dev]"]
    assert "dev" in project["optional-dependencies"]
    for tool in ("pytest", "nbval", "jupyterlab", "ruff"):
        assert any(d.startswith(tool) for d in project["optional-dependencies"]["dev"])


def test_command_line_entry_points():
    out = subprocess.run(
        [sys.executable, "-m", "analysis", "profiles"],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    ).stdout
    assert {"generic", "olist", "sample"} <= {line.split()[0] for line in out.splitlines()}
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis",
            "check",
            "--profile",
            "olist",
            "--input",
            "mqls=/nonexistent.csv",
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert bad.returncode == 2 and "file not found" in bad.stderr
    version = subprocess.run(
        [sys.executable, "-m", "analysis", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert version.strip() == f"leadkit {importlib.metadata.version('leadkit')}"


@pytest.mark.parametrize("name", list_profiles())
def test_shipped_profiles_parse(name):
    assert load_profile(name).name == name


def test_report_notebooks_exist():
    assert {nb.stem for nb in NOTEBOOKS} >= set(REPORT_NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_are_clean_and_parameterised(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert all(
        not c.get("outputs") and not c.get("execution_count")
        for c in nb.cells
        if c.cell_type == "code"
    ), "commit notebooks without outputs"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged `parameters`"
    assert set(pm.inspect_notebook(str(path))) >= {"PROFILE", "INPUTS", "CLIENT", "OUTPUT_DIR"}
    # the parameters cell holds only UPPER_CASE = literal lines
    for node in ast.parse(tagged[0].source).body:
        assert isinstance(node, ast.Assign) and node.targets[0].id.isupper()
        ast.literal_eval(node.value)
    # thin notebooks: they show sections, they do not decide: no function or class
    # definitions, no loops, no branching, no comprehensions (logic belongs in
    # analysis.render.sections)
    logic = (
        ast.FunctionDef,
        ast.ClassDef,
        ast.Lambda,
        ast.For,
        ast.While,
        ast.If,
        ast.IfExp,
        ast.ListComp,
        ast.DictComp,
        ast.SetComp,
        ast.GeneratorExp,
        ast.Try,
    )
    for cell in nb.cells:
        if cell.cell_type == "code":
            found = [
                type(n).__name__ for n in ast.walk(ast.parse(cell.source)) if isinstance(n, logic)
            ]
            assert not found, (
                f"logic in a notebook cell ({found}): move it into a section\n{cell.source}"
            )
    json.dumps(nb)  # plain JSON, no binary


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_are_paired_with_their_scripts(path):
    """Each notebook and its jupytext percent-format script say the same thing, so a
    review of the script is a review of the notebook (`make format` re-syncs them)."""
    import jupytext

    script = path.with_suffix(".py")
    assert script.exists(), f"{script.name} missing: run `jupytext --sync {path}`"

    def cells(nb):
        return [(c.cell_type, c.source.strip(), c.metadata.get("tags", [])) for c in nb.cells]

    assert cells(jupytext.read(script)) == cells(nbformat.read(path, as_version=4)), (
        f"{path.name} and {script.name} differ: run `jupytext --sync notebooks/*.ipynb`"
    )


def test_pre_commit_config_strips_outputs_and_runs_ruff():
    config = yaml.safe_load((PROJECT_ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {h["id"]: h for repo in config["repos"] for h in repo["hooks"]}
    assert {"nbstripout", "jupytext-sync", "ruff-check", "ruff-format"} <= set(hooks)
    # hooks pin the versions of the dev tools in this venv, so both format alike
    from importlib.metadata import version

    for hook_id, package in (("ruff-check", "ruff"), ("nbstripout", "nbstripout")):
        assert f"{package}=={version(package)}" in hooks[hook_id]["additional_dependencies"]
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=PROJECT_ROOT,
        check=True,
    )


def test_every_package_folder_ships_in_the_wheel():
    """pyproject.toml lists packages by hand (the notebooks and data are mapped into the
    wheel): every folder of analysis/ must be there, or a wheel would lack it."""
    listed = set(
        tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
            "packages"
        ]
    )
    folders = {
        ".".join(p.parent.relative_to(PROJECT_ROOT).parts)
        for p in (PROJECT_ROOT / "analysis").rglob("__init__.py")
    }
    assert folders <= listed, sorted(folders - listed)
    assert {"analysis._notebooks", "analysis._data"} <= listed


def test_the_pages_import_no_validation_library():
    """A page reads the column names of the canonical tables, never validates them:
    importing every section module and the report context leaves pandera out (its
    import took 0.36 s of every kernel's start), and the schemas are made on demand
    with the columns the module lists."""
    code = (
        "import sys\n"
        "from analysis.render.sections import audit, funnel, models, period, sales, summary\n"
        "import analysis.insight.context\n"
        "assert not any(m.split('.')[0] == 'pandera' for m in sys.modules), 'pandera'\n"
        "from analysis.ingest import schema\n"
        "assert tuple(schema.leads_schema().columns) == schema.LEADS_COLUMNS\n"
        "assert tuple(schema.spend_schema().columns) == schema.SPEND_COLUMNS\n"
        "assert 'pandera' in sys.modules\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
