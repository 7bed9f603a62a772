"""The notebooks in a real JupyterLab server, driven through its REST API.

The tests start ``python -m jupyterlab`` on a free local port with a random token, its
root at ``notebooks/`` and every Jupyter folder (config, data, runtime, IPython) in a
temporary directory, so none of the user's Jupyter or IPython set-up is read or
changed. They list the notebooks, read them, and run every code cell of
``data-audit.ipynb`` in a kernel over the kernel's websocket, as the JupyterLab front
end does. At the end the server is shut
down and its kernels must be gone.

The server's own output (including ipykernel's "Kernel is running over TCP without
encryption" notice, which is noise) goes to a log file; its tail is shown on failure.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import websocket

from analysis.base.paths import NOTEBOOKS_DIR
from analysis.run.report import REPORT_NOTEBOOKS

START_TIMEOUT_S = 60
CELL_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15
RUN_NOTEBOOK = "data-audit.ipynb"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _log_tail(log: Path, lines: int = 40) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(no server log)"
    return f"--- last {min(lines, len(text))} lines of {log} ---\n" + "\n".join(text[-lines:])


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux /proc); kernels run in their own sessions,
    so a process-group kill of the server would miss them."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses
        fields = text.rsplit(")", 1)[1].split()
        parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie has exited; it only waits for its parent to reap it
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class LabServer:
    """A running JupyterLab server: its URL, token, log, and REST/websocket helpers."""

    def __init__(self, proc: subprocess.Popen, port: int, token: str, log: Path):
        self.proc = proc
        self.port = port
        self.token = token
        self.log = log
        self.url = f"http://127.0.0.1:{port}"
        self.kernel_pids: set[int] = set()

    def api(self, method: str, path: str, body: dict | None = None, timeout: float = 30):
        """Call the REST API; returns (status, parsed JSON or None)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            exc.close()
            pytest.fail(
                f"{method} {path} -> HTTP {exc.code}: {raw[:500]!r}\n{_log_tail(self.log)}",
                pytrace=False,
            )

    def fail(self, message: str):
        pytest.fail(f"{message}\n{_log_tail(self.log)}", pytrace=False)


def _start(tmp: Path, attempt: int) -> LabServer:
    port = _free_port()
    token = secrets.token_hex(24)
    log = tmp / f"jupyterlab-{attempt}.log"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JUPYTER", "JPY_")) and k != "IPYTHONDIR"
    }
    env.update(
        JUPYTER_CONFIG_DIR=str(tmp / "config"),
        JUPYTER_DATA_DIR=str(tmp / "data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(tmp / "lab-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "lab-workspaces"),
        IPYTHONDIR=str(tmp / "ipython"),
        JUPYTER_PLATFORM_DIRS="1",
        PYTHONUNBUFFERED="1",
    )
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.open_browser=False",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",  # a taken port fails instead of moving elsewhere
        # jupyter_server 2 reads the token from the IdentityProvider (ServerApp.token
        # is deprecated)
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={NOTEBOOKS_DIR}",
        # no PyPI look-ups from the extension manager (the tests run offline)
        "--LabApp.extension_manager=readonly",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--ServerApp.allow_root=True")  # containers and CI often run as root
    with open(log, "wb") as out:
        # the server's output goes to the file, so a full pipe can never block it; the
        # working directory is elsewhere, so the kernel's must come from root_dir
        proc = subprocess.Popen(
            cmd, cwd=tmp, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return LabServer(proc, port, token, log)


def _wait_ready(server: LabServer) -> bool:
    """True once /api/status answers; False if the server exited first."""
    deadline = time.monotonic() + START_TIMEOUT_S
    request = urllib.request.Request(
        server.url + "/api/status", headers={"Authorization": f"token {server.token}"}
    )
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    json.loads(response.read())
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    server.fail(f"JupyterLab did not answer /api/status within {START_TIMEOUT_S} s")


def _stop(server: LabServer) -> list[str]:
    """Shut the server down (API, then SIGTERM, then SIGKILL) and make sure it and every
    process it started are gone. Returns what had to be killed by force."""
    below = _descendants(server.proc.pid) | server.kernel_pids
    forced: list[str] = []
    if server.proc.poll() is None:
        request = urllib.request.Request(
            server.url + "/api/shutdown",
            method="POST",
            headers={"Authorization": f"token {server.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=5):
                pass
        except OSError:  # URLError included; the server may close the connection first
            pass
        try:
            server.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            forced.append(f"server {server.proc.pid} ignored /api/shutdown")
            os.killpg(server.proc.pid, signal.SIGTERM)
            try:
                server.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                forced.append(f"server {server.proc.pid} ignored SIGTERM")
                os.killpg(server.proc.pid, signal.SIGKILL)
                server.proc.wait(timeout=STOP_TIMEOUT_S)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while any(_alive(p) for p in below) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in sorted(p for p in below if _alive(p)):
        forced.append(f"process {pid} (started by the server) outlived it")
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return forced


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on the notebooks folder, shut down after the module."""
    tmp = tmp_path_factory.mktemp("jupyterlab")
    for attempt in range(3):  # the free port can be taken between bind and server start
        server = _start(tmp, attempt)
        if _wait_ready(server):
            break
        if "already in use" not in server.log.read_text(errors="replace"):
            server.fail(f"JupyterLab exited with code {server.proc.returncode}")
    else:
        server.fail("JupyterLab could not get a free port in 3 attempts")
    try:
        yield server
    finally:
        forced = _stop(server)
    assert not forced, "JupyterLab did not stop cleanly: " + "; ".join(forced)


def test_lists_report_notebooks(lab):
    status, listing = lab.api("GET", "/api/contents")
    assert status == 200 and listing["type"] == "directory"
    notebooks = {item["name"] for item in listing["content"] if item["type"] == "notebook"}
    expected = {f"{name}.ipynb" for name in REPORT_NOTEBOOKS}
    assert expected <= notebooks, f"missing from /api/contents: {sorted(expected - notebooks)}"


@pytest.mark.parametrize("name", REPORT_NOTEBOOKS)
def test_notebook_opens_with_one_parameters_cell(lab, name):
    status, model = lab.api("GET", f"/api/contents/{name}.ipynb?content=1")
    assert status == 200 and model["type"] == "notebook" and model["format"] == "json"
    nb = model["content"]
    assert nb["metadata"]["kernelspec"]["name"] == "python3", nb["metadata"]
    tagged = [i for i, c in enumerate(nb["cells"]) if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1, f"{name}: cells tagged 'parameters': {tagged}"
    assert nb["cells"][tagged[0]]["cell_type"] == "code"


def test_kernels_api_start_and_stop(lab):
    status, kernel = lab.api("POST", "/api/kernels", {"name": "python3"})
    assert status == 201 and kernel["name"] == "python3"
    try:
        _, kernels = lab.api("GET", "/api/kernels")
        assert kernel["id"] in {k["id"] for k in kernels}
        # it answers over its websocket (and is fully up: stopping a half-started
        # kernel logs a KeyboardInterrupt traceback)
        channel = KernelChannel(lab, kernel["id"])
        try:
            messages = channel.execute("6 * 7", "6 * 7")
        finally:
            channel.close()
        results = [m["content"]["data"] for m in messages if m["msg_type"] == "execute_result"]
        assert results == [{"text/plain": "42"}], messages
    finally:
        status, _ = lab.api("DELETE", f"/api/kernels/{kernel['id']}")
    assert status == 204
    _, kernels = lab.api("GET", "/api/kernels")
    assert kernel["id"] not in {k["id"] for k in kernels}


class KernelChannel:
    """The kernel's websocket (/api/kernels/<id>/channels), JSON messages as in the
    Jupyter messaging protocol; enough to run cells and collect their output."""

    def __init__(self, lab: LabServer, kernel_id: str):
        self.lab = lab
        self.session = uuid.uuid4().hex
        url = (
            f"ws://127.0.0.1:{lab.port}/api/kernels/{kernel_id}/channels"
            f"?token={lab.token}&session_id={self.session}"
        )
        self.ws = websocket.create_connection(url, timeout=CELL_TIMEOUT_S)

    def close(self):
        self.ws.close()

    def send(self, msg_type: str, content: dict, channel: str = "shell") -> str:
        msg_id = uuid.uuid4().hex
        self.ws.send(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": msg_type,
                        "username": "leadkit-test",
                        "session": self.session,
                        "date": datetime.now(UTC).isoformat(),
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": content,
                    "channel": channel,
                    "buffers": [],
                }
            )
        )
        return msg_id

    def wait_reply(self, msg_id: str, reply_type: str, what: str) -> tuple[dict, list[dict]]:
        """The shell reply to ``msg_id`` and every iopub message it caused, once the
        kernel is idle again (so no output is still on its way)."""
        reply, iopub, idle = None, [], False
        deadline = time.monotonic() + CELL_TIMEOUT_S
        while reply is None or not idle:
            left = deadline - time.monotonic()
            if left <= 0:
                self.lab.fail(f"no {reply_type} for {what} within {CELL_TIMEOUT_S} s")
            self.ws.settimeout(left)
            try:
                opcode, data = self.ws.recv_data()
            except websocket.WebSocketTimeoutException:
                continue
            if opcode != websocket.ABNF.OPCODE_TEXT:
                continue  # binary frames carry buffers (widgets); none expected here
            msg = json.loads(data)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["channel"] == "shell" and msg["msg_type"] == reply_type:
                reply = msg
            elif msg["channel"] == "iopub":
                if msg["msg_type"] == "status":
                    idle = msg["content"]["execution_state"] == "idle"
                else:
                    iopub.append(msg)
        return reply, iopub

    def execute(self, code: str, what: str) -> list[dict]:
        msg_id = self.send(
            "execute_request",
            {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
        )
        reply, iopub = self.wait_reply(msg_id, "execute_reply", what)
        content = reply["content"]
        if content["status"] != "ok":
            trace = ANSI.sub("", "\n".join(content.get("traceback", [])))
            self.lab.fail(
                f"{what} failed: {content.get('ename')}: {content.get('evalue')}\n{trace}"
            )
        return iopub


def _expected_headline() -> str:
    """The audit headline for the sample, computed here, to compare with the kernel's."""
    from analysis.insight.context import report_context
    from analysis.render.sections import audit as audit_sections

    return audit_sections.headline(report_context("sample", {})).text


def test_notebook_runs_in_a_kernel(lab):
    status, nb_model = lab.api("GET", f"/api/contents/{RUN_NOTEBOOK}?content=1")
    cells = nb_model["content"]["cells"]
    # a session for the notebook starts its kernel in the notebook's folder, as
    # opening it in JupyterLab does
    status, session = lab.api(
        "POST",
        "/api/sessions",
        {
            "path": RUN_NOTEBOOK,
            "name": RUN_NOTEBOOK,
            "type": "notebook",
            "kernel": {"name": "python3"},
        },
    )
    assert status == 201, session
    kernel_id = session["kernel"]["id"]
    channel = None
    try:
        channel = KernelChannel(lab, kernel_id)
        msg_id = channel.send("kernel_info_request", {})
        info, _ = channel.wait_reply(msg_id, "kernel_info_reply", "kernel_info_request")
        assert info["content"]["status"] == "ok"
        assert info["content"]["language_info"]["name"] == "python"

        probe = channel.execute(
            "import os, sys; print(os.getpid()); print(os.getcwd()); print(sys.executable)",
            "the working-directory probe",
        )
        pid, cwd, executable = "".join(
            m["content"]["text"] for m in probe if m["msg_type"] == "stream"
        ).split("\n")[:3]
        lab.kernel_pids.add(int(pid))
        assert Path(cwd) == NOTEBOOKS_DIR, f"kernel runs in {cwd}, not {NOTEBOOKS_DIR}"
        assert Path(executable).parent == Path(sys.executable).parent, executable

        outputs = []
        for index, cell in enumerate(cells):
            if cell["cell_type"] != "code" or not "".join(cell["source"]).strip():
                continue
            source = "".join(cell["source"])
            first_line = source.strip().splitlines()[0]
            what = f"{RUN_NOTEBOOK} cell {index} ({first_line!r})"
            messages = channel.execute(source, what)
            stderr = [
                m["content"]["text"]
                for m in messages
                if m["msg_type"] == "stream" and m["content"]["name"] == "stderr"
            ]
            assert not stderr, f"{what} wrote to stderr: {''.join(stderr)[:1000]}"
            outputs.extend(messages)
    finally:
        if channel is not None:
            channel.close()
        status, _ = lab.api("DELETE", f"/api/sessions/{session['id']}")
    assert status == 204
    _, kernels = lab.api("GET", "/api/kernels")
    assert kernel_id not in {k["id"] for k in kernels}, "the kernel outlived its session"
    _, sessions = lab.api("GET", "/api/sessions")
    assert session["id"] not in {s["id"] for s in sessions}

    displays = [m["content"]["data"] for m in outputs if m["msg_type"] == "display_data"]
    figures = [d for d in displays if "image/png" in d]
    assert len(figures) >= 2, f"expected the attribution and weekly figures, got {len(figures)}"
    markdown = [d["text/markdown"] for d in displays if "text/markdown" in d]
    assert _expected_headline() in markdown, f"headline not among the outputs: {markdown[:3]}"
    tables = [d for d in displays if "<table" in d.get("text/html", "")]
    assert len(tables) >= 5, f"expected the audit tables, got {len(tables)}"
