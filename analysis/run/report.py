"""Running the report notebooks: papermill executes them with a client's parameters,
nbconvert renders self-contained HTML without code, and the tidy tables are saved as
CSV beside them.

A run is built in a hidden ``.partial`` folder and moved into
``reports/<client>/<run>/`` only when every notebook succeeded, so a crash or a failed
run never leaves half a report where a report is expected (earlier runs stay as they
were). A notebook that fails leaves ``reports/<client>/<run>.failed/`` instead: the
partly executed notebooks, for debugging, and ``error.json``. The data are loaded once
up front, so bad input fails before any notebook starts (and leaves only ``error.json``
in the ``.failed`` folder).

Every finished run holds ``run.json``: the kit version, parameters, input file hashes,
a fingerprint of all of them (and of the kit's code and notebooks) that batch runs use
to skip unchanged clients, and the headline numbers the batch index shows.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.base.errors import DataError
from analysis.base.files import code_hash, write_atomic
from analysis.base.i18n import _, language, n_, set_language
from analysis.base.paths import NOTEBOOKS_DIR, RUN_FOLDER_ENV, reports_dir
from analysis.render.html import notebook_title, render_html
from analysis.run.kernels import PageKernel

if TYPE_CHECKING:
    from analysis.ingest.profiles import Profile
    from analysis.render.workbook import Workbook

__all__ = [
    "REPORT_NOTEBOOKS",
    "ReportError",
    "ReportResult",
    "run_report",
    "fingerprint",
    "own_process",
]

#: Notebook parameters the report context takes (as lower-case keywords).
CONTEXT_PARAMETERS = ("PERIOD", "MIN_LEADS", "MIN_SALES", "EQUAL_AGE_DAYS")

#: The notebooks of a report, in the order they run and are listed.
REPORT_NOTEBOOKS = (
    "executive-summary",
    "data-audit",
    "funnel-economics",
    "conversion-models",
    "period-change",
    "sales-processing",
)


class ReportError(RuntimeError):
    """A report notebook failed; the message names the notebook and the error.

    ``folder`` is the ``.failed`` folder holding the partly executed notebooks (None
    when nothing could be kept)."""

    def __init__(self, message: str, folder: Path | None = None):
        super().__init__(message)
        self.folder = folder


@dataclass(frozen=True)
class ReportResult:
    """Where a finished run is: its folder, HTML pages and tables."""

    folder: Path
    html: tuple[Path, ...]
    tables: tuple[Path, ...]


def own_process() -> None:
    """Prepare a process that is leadkit's own (the `leadkit` command, a batch run's
    worker, the benchmark's child) for a report: jsonschema, which nbformat imports to
    read the notebooks, imported without its check of the "iri" string format.

    jsonschema registers that check when the package rfc3987-syntax is installed
    (JupyterLab's dependencies bring it), and that package builds its grammar as it is
    imported: 1.1 s of CPU in the report's first seconds, while the kernels start on the
    same cores (about a second of the sample report's wall time). The notebooks' schemas
    check no string format, so nothing a report does uses it. A process whose jsonschema
    is imported already is left as it is, and rfc3987_syntax itself stays importable.
    Not done by `run_report`: a caller's own process (a notebook, a test) may validate
    IRIs with jsonschema."""
    import sys

    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        return
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # import fails
    try:
        import jsonschema  # type: ignore[import-untyped]  # noqa: F401
    finally:
        del sys.modules["rfc3987_syntax"]


def slug(text: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_" else "-" for c in text.strip().lower())
    return keep.strip("-") or "client"


def fingerprint(
    prof: Profile,
    hashes: dict[str, str],
    client: str,
    parameters: dict,
    notebooks: tuple[str, ...] = REPORT_NOTEBOOKS,
) -> str:
    """A hash of everything a run's numbers depend on: the kit's version, code and
    notebooks, the profile file, the input files' hashes (`load.input_hashes`, or those a
    load recorded), the client and the extra notebook parameters. Equal fingerprints
    mean a re-run would give the same report."""
    from analysis.ingest.readers import file_sha256

    payload = {
        "kit": _version(),
        "code": code_hash(*NOTEBOOKS_DIR.glob("*.ipynb")),
        "profile": file_sha256(prof.path),
        "inputs": hashes,
        "client": slug(client),
        "parameters": parameters,
        "notebooks": list(notebooks),
    }
    text = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _keeps_language(func):
    """The caller's language after the call: a report sets its own in this process
    (`report_context`), which must not leak into what the caller does next."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        before = language()
        try:
            return func(*args, **kwargs)
        finally:
            set_language(before)

    return wrapper


@_keeps_language
def run_report(
    profile: str | Path = "sample",
    inputs: Mapping[str, str | Path] | None = None,
    *,
    client: str | None = None,
    run: str | None = None,
    out_root: str | Path | None = None,
    notebooks: tuple[str, ...] = REPORT_NOTEBOOKS,
    parameters: dict | None = None,
    kernel_name: str = "python3",
    progress: Callable[[str, str], None] | None = None,
    page_jobs: int | None = None,
    reuse_kernels: bool = True,
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
        Extra notebook parameters (UPPER_CASE names), e.g. ``{"MIN_LEADS": 50}``;
        ``CURRENCY``, ``DATE_FROM`` and ``DATE_TO`` also apply to the headline numbers.
    progress : callable, optional
        Called as ``progress(step, detail)`` with step ``"load"``, ``"pages"`` (the
        load is done and the pages start), ``"notebook"`` (detail: its name, when that
        page has run), ``"workbook"`` and ``"done"``
        (from the page threads too: it must be thread-safe).
    page_jobs : int, optional
        Pages run at once, each worker in its own kernel; the machine's cores by
        default.
    reuse_kernels : bool
        A worker runs its pages one after the other in one kernel, reset between
        pages (`analysis.run.kernels`); False starts a kernel for every page.

    Returns
    -------
    ReportResult

    Raises
    ------
    DataError
        The inputs cannot be loaded (nothing is written).
    ReportError
        A notebook failed; ``exc.folder`` keeps the partly executed notebooks.
    """
    tell = progress or (lambda step, detail: None)
    resolved = {k: str(Path(v).resolve()) for k, v in (inputs or {}).items()}
    extra = dict(parameters or {})
    for name in notebooks:
        if not (NOTEBOOKS_DIR / f"{name}.ipynb").exists():
            path = NOTEBOOKS_DIR / (name + ".ipynb")
            raise ReportError(_("no notebook {path}", path=path))
    # resolved here: the kernels run in the notebooks' folder, not the caller's
    root = Path(out_root).resolve() if out_root else reports_dir()
    import nbformat

    # each page read once here: its title for the links, its imports for the kernels
    read = {n: nbformat.read(NOTEBOOKS_DIR / f"{n}.ipynb", as_version=4) for n in notebooks}
    pages = [(name, notebook_title(read[name])) for name in notebooks]
    ipc_dir = tempfile.mkdtemp(prefix="leadkit-kernel-")
    # this run's shared state (a warehouse table's load, the answers over it), private
    # like the kernels' sockets and removed with them
    run_folder = os.path.join(ipc_dir, "run")
    params: dict = {}
    declared: dict[str, set[str]] = {}
    partial = Path()  # the run's hidden folder, once the data are loaded
    language = "en"  # the pages' language, once the profile is read
    book: Workbook | None = None  # the run's workbook, made once the data are loaded

    def execute(name: str, kernel: PageKernel) -> str | None:
        """Run one page in the worker's kernel and render it; the error message if it
        failed."""
        try:
            pm.execute_notebook(
                str(NOTEBOOKS_DIR / f"{name}.ipynb"),
                str(partial / f"{name}.ipynb"),
                # each notebook gets the parameters it declares (papermill would
                # inject the others too, and print a line for each)
                parameters={k: v for k, v in params.items() if k in declared[name]},
                kernel_name=kernel_name,
                progress_bar=False,
                # written once at the end (or at the failed cell), not after every cell:
                # a page with figures is rewritten whole each time otherwise
                request_save_on_cell_execute=False,
                # the kernel starts in the notebooks' folder (papermill's cwd= would
                # change this process's folder, which threads share)
                resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
                km=kernel.manager(),
            )
        except pm.PapermillExecutionError as exc:
            error = f"{exc.ename}: {exc.evalue}"
            return _(
                "notebook {name} failed in cell {cell}: {error}",
                name=name,
                cell=exc.exec_count,
                error=error,
            )
        # rendered here, and its tables put in the workbook, while the other workers'
        # kernels run their pages
        render_html(partial / f"{name}.ipynb", partial / f"{name}.html", pages, language)
        assert book is not None  # (made before the pages may run)
        book.add()
        tell("notebook", name)
        return None

    queue = list(enumerate(notebooks))
    failures: list[str | None] = [None] * len(notebooks)
    lock = threading.Lock()
    loaded = threading.Event()  # set when the data are loaded, or failed to
    go = threading.Event()  # set with it if the pages may run
    imports = _page_imports(read.values()) if reuse_kernels else ""

    def worker(seat: int) -> None:
        """Start a kernel and import what the pages import while the data load, then
        take the next page until none is left, all in that kernel (`PageKernel`)."""
        kernel = PageKernel(
            os.path.join(ipc_dir, str(seat)),
            kernel_name,
            reuse=reuse_kernels,
            env={RUN_FOLDER_ENV: run_folder},
        )
        try:
            if imports:
                kernel.warm(imports, NOTEBOOKS_DIR)
            loaded.wait()
            while go.is_set():
                with lock:
                    if not queue:
                        return
                    i, name = queue.pop(0)
                failures[i] = execute(name, kernel)
        finally:
            kernel.close()

    # the pages do not depend on each other (the shared facts are in the context):
    # several kernels at once, up to the cores this run may use; they start first,
    # so kernel start and imports overlap this process's imports and the load
    workers = max(1, min(page_jobs or os.cpu_count() or 1, len(notebooks)))
    # what the page threads import, imported here first: two threads importing the
    # same packages at once can meet a half-made module ("cannot import name
    # 'AsyncKernelManager' from partially initialized module", seen in a test run)
    import jupyter_client.manager  # noqa: F401
    import jupyter_core.utils  # noqa: F401
    import papermill as pm

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="page")
    running = [pool.submit(worker, seat) for seat in range(workers)]
    context = None
    try:
        import nbconvert  # noqa: F401 - before a page thread renders (render_html)

        from analysis.ingest.profiles import load_profile
        from analysis.insight.context import report_context

        prof = load_profile(profile)
        declared.update(
            (name, set(pm.inspect_notebook(str(NOTEBOOKS_DIR / f"{name}.ipynb"))))
            for name in notebooks
        )
        unused = sorted(set(extra) - set().union(*declared.values()))
        if unused:
            raise DataError(
                _(
                    "no report notebook takes the parameter(s) {unused}; they take {known}",
                    unused=unused,
                    known=sorted(set().union(*declared.values()) - {"OUTPUT_DIR"}),
                )
            )
        client = slug(client or prof.name)
        run = run or datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        final = root / client / run
        if final.exists():
            raise ReportError(
                _("the run folder {folder} exists already; choose another run name", folder=final)
            )
        partial = root / client / f".{run}.partial"
        tell("load", prof.name)
        # fail on bad input before writing anything; the facts every page shares are
        # computed here once and kept, and the notebooks read them (the same parameters)
        context = report_context(
            prof,
            resolved,
            start=extra.get("DATE_FROM") or None,
            end=extra.get("DATE_TO") or None,
            currency=extra.get("CURRENCY") or None,
            engine=extra.get("ENGINE") or None,
            run_folder=run_folder,
            language=extra.get("LANGUAGE") or None,
            **{k.lower(): extra[k] for k in CONTEXT_PARAMETERS if k in extra},
        )
        language = context.language
        if partial.exists():
            shutil.rmtree(partial)
        partial.mkdir(parents=True)
        params.update(
            {
                "PROFILE": str(prof.path),
                "INPUTS": resolved,
                "CLIENT": client,
                "OUTPUT_DIR": str(partial),
                **extra,
                # the language the load chose (asked, $LEADKIT_LANGUAGE or the profile's)
                "LANGUAGE": language,
            }
        )
        from analysis.render.workbook import Workbook

        book = Workbook(partial / "tables", partial / "report.xlsx", context.currency)
        go.set()
    except BaseException:
        loaded.set()
        pool.shutdown(wait=True)  # the warmed kernels are shut down
        shutil.rmtree(ipc_dir, ignore_errors=True)
        if context is not None:
            context.engine.close()
        raise
    assert context is not None and book is not None  # (set, or the load raised)
    dataset = context.dataset
    tell(
        "pages",
        n_(
            "{n} page, {at_once} at once",
            "{n} pages, {at_once} at once",
            len(notebooks),
            at_once=workers,
        ),
    )
    loaded.set()
    try:
        try:
            for future in running:
                future.result()
        finally:
            pool.shutdown(wait=True)
        if any(failures):
            book.discard()
        for name, message in zip(notebooks, failures, strict=True):
            if message is not None:  # the first failed page in the report's order
                failed = _keep_failed(
                    partial, root / client / f"{run}.failed", message, name, language
                )
                raise ReportError(message, folder=failed)
        html = [partial / f"{name}.html" for name in notebooks]
        tell("workbook", "report.xlsx")
        meta = {
            "status": "ok",
            "kit_version": _version(),
            "profile": prof.name,
            "profile_path": str(prof.path),
            "client": client,
            "run": run,
            "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "parameters": {k: v for k, v in params.items() if k != "OUTPUT_DIR"},
            "inputs": dataset.inputs[["input", "file", "rows", "sha256"]].to_dict("records"),
            "notebooks": list(notebooks),
            "pages": [{"name": n, "title": t} for n, t in pages],
            # the hashes the load recorded: the input files are not read again
            "fingerprint": fingerprint(
                prof,
                dict(zip(dataset.inputs["input"], dataset.inputs["sha256"], strict=True)),
                client,
                extra,
                notebooks,
            ),
            "headline": context.headline(),
            "language": language,
        }
        book.finish(meta)
        write_atomic(partial / "run.json", json.dumps(meta, indent=2, ensure_ascii=False))
    except ReportError:
        raise
    except BaseException:
        book.discard()
        shutil.rmtree(partial, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(ipc_dir, ignore_errors=True)
        context.engine.close()  # a server's connection is not left to the collector
    os.replace(partial, final)
    tell("done", str(final))
    return ReportResult(
        folder=final,
        html=tuple(final / h.name for h in html),
        tables=tuple(sorted((final / "tables").glob("*.csv"))),
    )


def _page_imports(notebooks: Iterable[Any]) -> str:
    """The import statements of each page's first code cell (notebooks as nbformat
    reads them), once each, in order: what `PageKernel.warm` runs in a kernel before
    its first page."""
    import ast

    out: list[str] = []
    for nb in notebooks:
        first = next((c for c in nb.cells if c.cell_type == "code"), None)
        if first is None:
            continue
        try:
            tree = ast.parse(first.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                text = ast.get_source_segment(first.source, node)
                if text and text not in out:
                    out.append(text)
    return "\n".join(out)


def record_failure(
    root: Path,
    client: str,
    run: str,
    message: str,
    kind: str = "bad input",
    language: str | None = None,
) -> Path:
    """Write ``<root>/<client>/<run>.failed/error.json`` for a run that could not start
    (bad input): the batch index lists it beside the good runs. ``language`` is the one
    the run's report would have been in (the index's language counts it), if known."""
    folder = Path(root) / slug(client) / f"{run}.failed"
    folder.mkdir(parents=True, exist_ok=True)
    _write_error(folder, message, kind, slug(client), run, None, language)
    return folder


def _keep_failed(
    partial: Path, failed: Path, message: str, notebook: str, language: str | None = None
) -> Path | None:
    """Move a failed run's folder to ``<run>.failed`` with its error, keeping the partly
    executed notebooks; papermill has already saved the failing one with its error."""
    try:
        if failed.exists():
            shutil.rmtree(failed)
        os.replace(partial, failed)
        _write_error(
            failed,
            message,
            "notebook failed",
            failed.parent.name,
            failed.name.removesuffix(".failed"),
            notebook,
            language,
        )
        return failed
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        return None


def _write_error(
    folder: Path, message: str, kind: str, client: str, run: str, notebook, language=None
):
    error = {
        "status": "failed",
        "kind": kind,
        "client": client,
        "run": run,
        "notebook": notebook,
        "message": message,
        "kit_version": _version(),
        "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if language:
        error["language"] = language
    write_atomic(folder / "error.json", json.dumps(error, indent=2, ensure_ascii=False))


def _version() -> str:
    from analysis import __version__

    return __version__
