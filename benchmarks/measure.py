"""What the benchmarks share: fresh processes measured for wall time, peak memory (each
process's VmHWM, and the sum over a process and its descendants, such as the kernels of
a report) and the load other processes put on the cores meanwhile; the synthetic leads
files; the machine and package lines of a RESULTS file."""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"


def peak_mb() -> float:
    """This process's peak resident memory. /proc's VmHWM starts afresh at exec, unlike
    getrusage's ru_maxrss, which a child inherits from the parent it was forked from."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _status(pid: int) -> dict[str, int]:
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "PPid"):
                out[key] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return out


class TreeWatch(threading.Thread):
    """Samples the resident memory of a process and its descendants (every 0.5 s): each
    process's peak (its VmHWM at the last sample), the peak of their sum, and kills the
    tree when that sum passes ``cap_mb``."""

    def __init__(
        self,
        proc: subprocess.Popen,
        cap_mb: float | None = None,
        every: float = 0.5,
        timeout_s: float | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self.proc, self.cap_mb, self.every, self.timeout_s = proc, cap_mb, every, timeout_s
        self.why = ""
        self.peaks: dict[int, float] = {}
        self.names: dict[int, str] = {}
        self.total_peak = 0.0
        self.killed_at: float | None = None
        self.t0 = time.perf_counter()
        self.stop = threading.Event()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    ppid = int(entry.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                children.setdefault(ppid, []).append(int(entry.name))
        out, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(children.get(pid, []))
        return out

    def run(self) -> None:
        while not self.stop.is_set() and self.proc.poll() is None:
            total = 0.0
            for pid in self._tree():
                st = _status(pid)
                if not st:
                    continue
                total += st.get("VmRSS", 0) / 1024
                # (a process that has exited but is not reaped yet shows no VmHWM)
                self.peaks[pid] = max(self.peaks.get(pid, 0.0), st.get("VmHWM", 0) / 1024)
                if pid not in self.names or "ipykernel" not in self.names[pid]:
                    # (read again until the kernel's own: a child's command line is its
                    # parent's from fork until it execs)
                    try:
                        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                        self.names[pid] = cmd.decode(errors="replace")
                    except OSError:
                        self.names[pid] = "?"
            self.total_peak = max(self.total_peak, total)
            elapsed = time.perf_counter() - self.t0
            over = bool(self.cap_mb and total > self.cap_mb)
            late = bool(self.timeout_s and elapsed > self.timeout_s)
            if (over or late) and self.killed_at is None:
                self.killed_at = elapsed
                self.why = (
                    f"the {self.cap_mb / 1024:.1f} GB memory cap"
                    if over
                    else f"the {self.timeout_s:.0f} s time limit"
                )
                for pid in reversed(self._tree()):
                    try:
                        os.kill(pid, 9)
                    except OSError:
                        pass
            self.stop.wait(self.every)


def _cpu_seconds() -> float:
    """CPU time all processes of the machine have used (busy time of /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _our_cpu() -> float:
    """CPU time of this process and of its waited-for descendants."""
    out = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        ru = resource.getrusage(who)
        out += ru.ru_utime + ru.ru_stime
    return out


class OtherLoad:
    """How many cores other processes kept busy while ours ran: the machine's busy CPU
    time minus ours (this process and its waited-for descendants), over the wall time."""

    def __enter__(self) -> OtherLoad:
        self.t, self.busy, self.ours = time.perf_counter(), _cpu_seconds(), _our_cpu()
        return self

    def __exit__(self, *exc) -> None:
        wall = max(time.perf_counter() - self.t, 1e-9)
        busy = _cpu_seconds() - self.busy
        ours = _our_cpu() - self.ours
        self.cores = max(busy - ours, 0.0) / wall
        self.own_cpu = ours  # CPU seconds of our process and its waited-for descendants


QUIET_CORES = 0.3


def wait_quiet(max_wait: float) -> float:
    """Wait (at most ``max_wait`` s) until other processes use under 0.3 cores over a
    3-second window, so that measurements do not share the two cores; returns the
    seconds waited."""
    t0 = time.perf_counter()
    while True:
        with OtherLoad() as load:
            time.sleep(3)
        waited = time.perf_counter() - t0
        if load.cores < QUIET_CORES or waited >= max_wait:
            return waited


#: Seconds to wait for a quiet machine before each measurement (--quiet-wait).
QUIET_WAIT = {"s": 0.0}


def mem_available_mb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("inf")


def ensure_synthetic(n: int) -> tuple[Path, float | None]:
    from analysis.sample.large import write_synthetic_parquet

    path = DATA / f"leads_{n}.parquet"
    if path.exists():
        return path, None
    t = time.perf_counter()
    write_synthetic_parquet(path, n, seed=1)
    took = time.perf_counter() - t
    print(f"wrote {n:,} leads to {path} in {took:.1f} s", flush=True)
    return path, took


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}"
    )


def libs(names) -> str:
    return ", ".join(f"{p} {version(p)}" for p in names)


def run_child(
    script: str | Path,
    mode: str,
    *args: str,
    cap_mb: float | None = None,
    env: dict | None = None,
    timeout_s: float | None = None,
    watch: bool = False,
    quiet: bool = True,
) -> dict:
    """Run ``script --child mode args...`` in a fresh process (from the project's folder)
    and return the JSON object its last line of output prints, with ``process_wall_s``,
    ``other_cores`` and ``cpu_s`` (the CPU time of the process and the descendants it
    waited for, e.g. a report's kernels). ``quiet``: first wait for other processes to
    leave the cores idle (`wait_quiet`). ``watch`` (implied by a memory cap or a time
    limit): sample the memory of the process and its descendants (``tree`` in the
    result: each process's peak and command, the peak of their sum), and stop the tree
    at the cap or the limit (then ``killed`` is in the result in place of the child's
    output). The memory is
    not sampled otherwise, so that timing a short step pays nothing for it."""
    cmd = [sys.executable, str(script), "--child", mode, *args]
    if quiet:
        wait_quiet(QUIET_WAIT["s"])
    watching = bool(watch or cap_mb or timeout_s)
    with (
        tempfile.TemporaryFile("w+") as out,
        tempfile.TemporaryFile("w+") as err,
        OtherLoad() as load,
    ):
        t = time.perf_counter()
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=err, text=True, cwd=ROOT, env={**os.environ, **(env or {})}
        )
        tw = TreeWatch(proc, cap_mb, every=0.25, timeout_s=timeout_s)
        if watching:
            tw.start()
        rc = proc.wait()
        wall = time.perf_counter() - t
        if watching:
            tw.stop.set()
            tw.join()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    tree = {
        "peaks_mb": {tw.names.get(pid, "?"): mb for pid, mb in tw.peaks.items()},
        "own_peak_mb": tw.peaks.get(proc.pid, float("nan")),
        "sum_peak_mb": tw.total_peak,
    }
    if tw.killed_at is not None:
        return {
            "killed": True,
            "after_s": tw.killed_at,
            "why": tw.why,
            "peak_mb": tw.peaks.get(proc.pid, float("nan")),
            "other_cores": load.cores,
            "tree": tree,
        }
    if rc != 0:
        raise RuntimeError(f"{mode} child failed ({rc}):\n{stderr[-3000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["process_wall_s"] = wall
    result["other_cores"] = load.cores
    result["cpu_s"] = load.own_cpu
    if watching:
        result["tree"] = tree
    return result


def add_common_arguments(parser: argparse.ArgumentParser, results: Path) -> None:
    """The options every benchmark script takes: --quiet-wait, --results, and the
    hidden --child that its fresh processes are started with (`run_child`)."""
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=60.0,
        help="before each measurement, wait up to this many seconds for other processes "
        "to leave the cores idle (0: do not wait)",
    )
    parser.add_argument("--child", nargs="+", metavar="ARG", help=argparse.SUPPRESS)
    parser.add_argument("--results", type=Path, default=results)


def run_as_child(child: list[str], modes: dict) -> int:
    """In a process `run_child` started: run the mode named first with the rest as
    arguments, and print its result as one line of JSON for the parent."""
    mode, *rest = child
    print(json.dumps(modes[mode](*rest)))
    return 0
