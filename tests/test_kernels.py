"""A report worker's kernel, reused page after page (analysis.run.kernels): a page sees
nothing an earlier page left, and a kernel that died is replaced."""

import threading

import nbformat
import papermill as pm
import pytest

from analysis.run.kernels import PageKernel


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return str(path)


def _run(path, out, kernel):
    return pm.execute_notebook(path, str(out), km=kernel.manager(), progress_bar=False)


def _outputs(nb):
    return [o.get("text", "") for c in nb.cells for o in c.get("outputs", [])]


def _in_thread(job):
    """Run ``job`` in a thread of its own, as `run_report`'s workers do (each has its
    own event loop, closed with the kernel)."""
    box = {}

    def target():
        try:
            box["value"] = job()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            box["error"] = exc

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def test_a_reused_kernel_starts_each_page_as_new(tmp_path):
    first = _notebook(
        tmp_path / "first.ipynb",
        "import os, warnings\nsecret = 41\nos.environ.get('HOME') is not None",
        "warnings.warn('shown once per page', UserWarning)",
    )
    second = _notebook(
        tmp_path / "second.ipynb",
        "print('secret' in dir(), 'warnings' in dir())",
        "import warnings\nwarnings.warn('shown once per page', UserWarning)",
    )

    def job():
        kernel = PageKernel(tmp_path / "sockets", "python3")
        try:
            a = _run(first, tmp_path / "a.ipynb", kernel)
            pid = kernel.km.provisioner.process.pid
            b = _run(second, tmp_path / "b.ipynb", kernel)
            same = kernel.km.provisioner.process.pid == pid
        finally:
            kernel.close()
        return a, b, same, kernel.pages

    a, b, same, pages = _in_thread(job)
    assert same and pages == 2  # one kernel ran both pages
    shown = _outputs(b)
    assert shown[0] == "False False\n"  # nothing the first page defined or imported
    assert any("shown once per page" in s for s in _outputs(a))
    assert any("shown once per page" in s for s in shown)  # the warning is shown again
    # the cells are numbered from 1 again, as in a new kernel
    assert [c.execution_count for c in b.cells] == [c.execution_count for c in a.cells] == [1, 2]


def test_a_kernel_that_died_is_replaced_for_the_next_page(tmp_path):
    dies = _notebook(tmp_path / "dies.ipynb", "import os\nos._exit(3)")
    fine = _notebook(tmp_path / "fine.ipynb", "print(6 * 7)")

    def job():
        kernel = PageKernel(tmp_path / "sockets", "python3")
        try:
            with pytest.raises(Exception, match="(?i)dead|died"):
                _run(dies, tmp_path / "d.ipynb", kernel)
            return _outputs(_run(fine, tmp_path / "f.ipynb", kernel))
        finally:
            kernel.close()

    assert _in_thread(job) == ["42\n"]


def test_without_reuse_every_page_has_its_own_kernel(tmp_path):
    page = _notebook(tmp_path / "p.ipynb", "import os\nprint(os.getpid())")

    def job():
        kernel = PageKernel(tmp_path / "sockets", "python3", reuse=False)
        try:
            return [_outputs(_run(page, tmp_path / f"{i}.ipynb", kernel))[0] for i in range(2)]
        finally:
            kernel.close()

    first, second = _in_thread(job)
    assert first != second


def test_a_warmed_kernel_has_the_imports_and_a_new_page_namespace(tmp_path):
    """`PageKernel.warm` (what run_report does while the data load): the code ran in the
    kernel the first page gets, in the folder given, and the page still starts afresh."""
    page = _notebook(
        tmp_path / "p.ipynb",
        "import os, sys\nprint('warmed' in dir(), 'xml.dom.minidom' in sys.modules, os.getcwd())",
    )
    folder = tmp_path / "here"
    folder.mkdir()

    def job():
        kernel = PageKernel(tmp_path / "sockets", "python3")
        try:
            ok = kernel.warm("import xml.dom.minidom\nwarmed = 1", folder)
            pid = kernel.km.provisioner.process.pid
            out = _outputs(_run(page, tmp_path / "out.ipynb", kernel))
            return ok, out, kernel.km.provisioner.process.pid == pid
        finally:
            kernel.close()

    ok, out, same = _in_thread(job)
    assert ok and same
    assert out == [f"False True {folder}\n"]


def test_a_warm_up_that_fails_leaves_the_page_its_own_kernel(tmp_path):
    page = _notebook(tmp_path / "p.ipynb", "print(6 * 7)")

    def job():
        kernel = PageKernel(tmp_path / "sockets", "python3")
        try:
            ok = kernel.warm("import no_such_module_anywhere", tmp_path)
            kept = kernel.km
            return ok, kept, _outputs(_run(page, tmp_path / "out.ipynb", kernel))
        finally:
            kernel.close()

    ok, kept, out = _in_thread(job)
    assert not ok and kept is None
    assert out == ["42\n"]


@pytest.mark.parametrize("warm", [True, False])
def test_the_kernels_get_the_environment_given(tmp_path, warm):
    """`PageKernel(env=...)`: a warmed kernel and one papermill starts for a page both
    have the variables (how `run_report` names its run folder to the pages)."""
    page = _notebook(tmp_path / "p.ipynb", "import os\nprint(os.environ.get('LEADKIT_TEST_VAR'))")

    def job():
        kernel = PageKernel(tmp_path / "sockets", "python3", env={"LEADKIT_TEST_VAR": "here"})
        try:
            if warm:
                assert kernel.warm("pass", tmp_path)
            return _outputs(_run(page, tmp_path / "out.ipynb", kernel))
        finally:
            kernel.close()

    assert _in_thread(job) == ["here\n"]


def test_the_commands_process_reads_notebooks_without_the_iri_grammar(tmp_path):
    """`own_process` (the `leadkit` command's process): nbformat still reads and
    validates a notebook, without importing rfc3987_syntax (1.1 s of its grammar), which
    stays importable; a process that imported jsonschema before is left as it was."""
    import importlib.util
    import subprocess
    import sys

    if importlib.util.find_spec("rfc3987_syntax") is None:
        pytest.skip("rfc3987-syntax is not installed: there is no grammar to leave out")
    path = _notebook(tmp_path / "a.ipynb", "x = 1")
    code = f"""
import sys
{{prelude}}
from analysis.run.report import own_process
own_process()
import nbformat
nb = nbformat.read({path!r}, as_version=4)
nbformat.validate(nb)
bad = nbformat.v4.new_notebook()
bad.cells = [{{"cell_type": "code"}}]
try:
    nbformat.validate(bad)
except nbformat.ValidationError:
    pass
else:
    raise SystemExit("an invalid notebook validated")
print("imported" if "rfc3987_syntax" in sys.modules else "left out")
import rfc3987_syntax
"""

    def run(prelude):
        got = subprocess.run(
            [sys.executable, "-c", code.replace("{prelude}", prelude)],
            capture_output=True,
            text=True,
            check=True,
        )
        return got.stdout.strip()

    assert run("") == "left out"
    assert run("import jsonschema") == "imported"


def test_the_report_and_run_commands_prepare_their_process(monkeypatch, tmp_path):
    import analysis.run.report as report
    from analysis.cli import main

    calls = []
    monkeypatch.setattr(report, "own_process", lambda: calls.append(1))
    main(["check", "--profile", "sample"])
    assert calls == []
    monkeypatch.setattr(report, "run_report", lambda *a, **k: (_ for _ in ()).throw(OSError))
    with pytest.raises(OSError):
        main(["report", "--profile", "sample", "--out", str(tmp_path), "--no-progress"])
    assert calls == [1]
