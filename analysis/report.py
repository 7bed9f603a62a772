"""Running the report notebooks: papermill executes them with a client's parameters,
nbconvert renders self-contained HTML without code, and the tidy tables are saved as
CSV beside them.

A run is built in a hidden ``.partial`` folder and moved into
``reports/<client>/<run>/`` only when every notebook succeeded, so a failed run leaves
nothing half-written (and the data are loaded once up front, so bad input fails
before any notebook starts).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from .load import load_dataset
from .paths import NOTEBOOKS_DIR, REPORTS_DIR
from .profiles import load_profile

__all__ = [
    "REPORT_NOTEBOOKS",
    "ReportError",
    "ReportResult",
    "run_report",
    "save_table",
    "render_html",
]

#: The notebooks of a report, in the order they run and are listed.
REPORT_NOTEBOOKS = (
    "executive-summary",
    "data-audit",
    "funnel-economics",
    "conversion-models",
    "period-change",
    "sales-processing",
)
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
#: Cells with this tag run (nbval checks their plain-text output) but stay out of the HTML.
HIDE_TAG = "report-hide"


class ReportError(RuntimeError):
    """A report notebook failed; the message names the notebook and the error."""


@dataclass(frozen=True)
class ReportResult:
    """Where a finished run is: its folder, HTML pages and tables."""

    folder: Path
    html: tuple[Path, ...]
    tables: tuple[Path, ...]


def save_table(table: pd.DataFrame, name: str, output_dir: str | Path | None) -> Path | None:
    """Write a tidy table as ``<output_dir>/tables/<name>.csv`` (UTF-8, no index).

    Does nothing when ``output_dir`` is empty, so a notebook run by hand in JupyterLab
    writes no files unless asked to.
    """
    if not output_dir:
        return None
    folder = Path(output_dir) / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    table.to_csv(path, index=False, encoding="utf-8")
    return path


def render_html(notebook: Path, html: Path) -> Path:
    """Render an executed notebook to HTML without code cells, all figures embedded."""
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(template_name="leadkit", extra_template_basedirs=[str(TEMPLATE_DIR)])
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    # cells tagged report-hide (plain-text checks for nbval) run but are not shown
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={HIDE_TAG}, enabled=True), enabled=True
    )
    nb = nbformat.read(notebook, as_version=4)
    heading = next(
        (
            c.source.splitlines()[0].lstrip("# ").strip()
            for c in nb.cells
            if c.cell_type == "markdown" and c.source.startswith("# ")
        ),
        notebook.stem,
    )
    nb.metadata["title"] = heading
    body, _ = exporter.from_notebook_node(nb)
    html.write_text(body, encoding="utf-8")
    return html


def _ipc_kernel_manager(folder: str) -> type:
    """A kernel manager whose kernels talk over IPC sockets in a private folder: no
    network port opened, and no "running over TCP without encryption" warning on
    every run."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import Unicode

    return type(
        "LeadkitKernelManager",
        (AsyncKernelManager,),
        {"transport": Unicode("ipc"), "ip": Unicode(os.path.join(folder, "kernel"))},
    )


def _slug(text: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_" else "-" for c in text.strip().lower())
    return keep.strip("-") or "client"


def run_report(
    profile: str | Path = "sample",
    inputs: dict[str, str | Path] | None = None,
    *,
    client: str | None = None,
    run: str | None = None,
    out_root: str | Path | None = None,
    notebooks: tuple[str, ...] = REPORT_NOTEBOOKS,
    parameters: dict | None = None,
    kernel_name: str = "python3",
) -> ReportResult:
    """Execute the report notebooks for one client and render them.

    Parameters
    ----------
    profile : str or Path
        Mapping profile name or path.
    inputs : dict, optional
        Input files by name, overriding the profile's defaults.
    client : str, optional
        Folder name under ``reports/``; the profile's name by default.
    run : str, optional
        Run folder name; the UTC time (``20261127-142501``) by default.
    out_root : path, optional
        Where client folders go; ``reports/`` of the project by default.
    notebooks : tuple of str
        Notebook names (without ``.ipynb``) from ``notebooks/``.
    parameters : dict, optional
        Extra notebook parameters (UPPER_CASE names), e.g. ``{"MIN_LEADS": 50}``.

    Returns
    -------
    ReportResult

    Raises
    ------
    DataError
        The inputs cannot be loaded (nothing is written).
    ReportError
        A notebook failed (nothing is written).
    """
    import papermill as pm

    prof = load_profile(profile)
    resolved = {k: str(Path(v).resolve()) for k, v in (inputs or {}).items()}
    dataset = load_dataset(prof, resolved)  # fail on bad input before writing anything
    client = _slug(client or prof.name)
    run = run or datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    root = Path(out_root) if out_root else REPORTS_DIR
    final = root / client / run
    if final.exists():
        raise ReportError(f"the run folder {final} exists already; choose another run name")
    partial = root / client / f".{run}.partial"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    params = {
        "PROFILE": str(prof.path),
        "INPUTS": resolved,
        "CLIENT": client,
        "OUTPUT_DIR": str(partial),
        **(parameters or {}),
    }
    html = []
    ipc_dir = tempfile.mkdtemp(prefix="leadkit-kernel-")
    kernel_manager = _ipc_kernel_manager(ipc_dir)
    try:
        for name in notebooks:
            source = NOTEBOOKS_DIR / f"{name}.ipynb"
            if not source.exists():
                raise ReportError(f"no notebook {source}")
            executed = partial / f"{name}.ipynb"
            try:
                pm.execute_notebook(
                    str(source),
                    str(executed),
                    parameters=params,
                    kernel_name=kernel_name,
                    progress_bar=False,
                    cwd=str(NOTEBOOKS_DIR),
                    kernel_manager_class=kernel_manager,
                )
            except pm.PapermillExecutionError as exc:
                raise ReportError(
                    f"notebook {name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
                ) from None
            html.append(render_html(executed, partial / f"{name}.html"))
        meta = {
            "kit_version": _version(),
            "profile": prof.name,
            "profile_path": str(prof.path),
            "client": client,
            "run": run,
            "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "parameters": {k: v for k, v in params.items() if k != "OUTPUT_DIR"},
            "inputs": dataset.inputs[["input", "file", "rows", "sha256"]].to_dict("records"),
            "notebooks": list(notebooks),
        }
        (partial / "run.json").write_text(
            json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8"
        )
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(ipc_dir, ignore_errors=True)
    os.replace(partial, final)
    return ReportResult(
        folder=final,
        html=tuple(final / h.name for h in html),
        tables=tuple(sorted((final / "tables").glob("*.csv"))),
    )


def _version() -> str:
    from . import __version__

    return __version__
