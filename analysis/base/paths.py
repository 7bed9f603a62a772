"""Where the kit's own files are: one place for every folder it reads or writes.

Two layouts, one set of names:

* a checkout (a clone, or ``pip install -e .``): the repo's own ``notebooks/``,
  ``data/`` and ``reports/`` beside ``analysis/``;
* an installed wheel (``pip install .``): the notebooks and data travel inside the
  package as ``analysis/_notebooks`` and ``analysis/_data`` (pyproject.toml's
  ``package-dir``) and are found with `importlib.resources`; reports go to
  ``reports/`` under the current folder.

Importing the module writes nothing; it only looks whether the checkout's folders exist.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = [
    "IN_CHECKOUT",
    "PROJECT_ROOT",
    "PACKAGE_DIR",
    "TEMPLATES_DIR",
    "DATA_DIR",
    "PROFILES_DIR",
    "SAMPLE_DIR",
    "EXAMPLES_DIR",
    "NOTEBOOKS_DIR",
    "reports_dir",
]


def _package_dir() -> Path:
    """The installed ``analysis`` package as a folder on disk (papermill, nbconvert
    and the kernel's working folder need real paths, not a zip member)."""
    root = resources.files("analysis")
    if not isinstance(root, Path) or not root.is_dir():
        raise RuntimeError(f"leadkit must be installed as files on disk, not in {root}")
    return root


_CHECKOUT = Path(__file__).resolve().parents[2]

#: True when running from a clone or an editable install: the repo's folders are used.
IN_CHECKOUT = all(
    (_CHECKOUT / part).exists() for part in ("pyproject.toml", "notebooks", "data/profiles")
)

PACKAGE_DIR = _package_dir()
TEMPLATES_DIR = PACKAGE_DIR / "render" / "templates"
#: The checkout's root; None in an installed wheel.
PROJECT_ROOT: Path | None
if IN_CHECKOUT:
    PROJECT_ROOT = _CHECKOUT
    DATA_DIR = _CHECKOUT / "data"
    NOTEBOOKS_DIR = _CHECKOUT / "notebooks"
else:
    PROJECT_ROOT = None
    DATA_DIR = PACKAGE_DIR / "_data"
    NOTEBOOKS_DIR = PACKAGE_DIR / "_notebooks"
PROFILES_DIR = DATA_DIR / "profiles"
SAMPLE_DIR = DATA_DIR / "sample"
EXAMPLES_DIR = DATA_DIR / "examples"


def reports_dir() -> Path:
    """Where reports go by default: the checkout's ``reports/``, or else ``reports/``
    under the current folder (read when a run starts, not at import)."""
    return _CHECKOUT / "reports" if IN_CHECKOUT else Path.cwd() / "reports"


#: The environment variable naming a report run's private folder in its kernels:
#: `analysis.insight.context.report_context` keeps a warehouse table's load there for
#: the run's other pages (`analysis.run.report.run_report` sets it).
RUN_FOLDER_ENV = "LEADKIT_RUN_FOLDER"
