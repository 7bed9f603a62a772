"""Batch runs: every client of a client file through the report notebooks.

    leadkit run clients.yaml [--jobs N] [--force] [--only NAME] [--out DIR]

A client file lists clients (name, mapping profile, input files, period, currency,
thresholds, extra notebook parameters); paths in it are relative to the file. Clients
run in separate worker processes, several at once with ``--jobs``, each with its own
progress bar and one overall bar. A client that fails does not stop the others: a bad
input is recorded with its message (file, row, column), a failing notebook keeps its
partly executed notebooks in ``<client>/<run>.failed/``. A client whose inputs,
parameters and kit are unchanged since its last good run is skipped (by the run's
fingerprint) unless ``--force``. At the end ``index.html`` in the output folder lists
every client and run with its headline numbers and links to the reports.

The client file (``data/clients.example.yaml`` is a working one)::

    out: ../reports            # optional: where reports go (default: the project's reports/)
    jobs: 2                    # optional: default for --jobs
    defaults:                  # optional: every client gets these unless it says otherwise
      period: quarter
      thresholds: {min_leads: 30}
    clients:
      - name: acme
        profile: acme.yaml     # a shipped profile name or a path
        inputs: {crm: exports/crm.csv, ads: exports/ads.csv}
        period: {by: month, from: 2026-01-01, to: 2026-06-30}
        currency: EUR
        engine: spark          # optional: group the leads on Spark (docs/warehouse.md)
        language: ru           # optional: the report's language (default: the profile's)
        thresholds: {min_leads: 50, min_sales: 10, hot_share: 0.3}
        parameters: {EQUAL_AGE_DAYS: 45}
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

from analysis.base.errors import DataError
from analysis.base.i18n import (
    LANGUAGE_ENV,
    N_,
    _,
    check_language,
    chosen_language,
    n_,
    use_language,
)
from analysis.base.paths import reports_dir
from analysis.run.index import (
    Outcome,
    collect_runs,
    common_language,
    status_label,
    write_index,
)
from analysis.run.monitor import DigestSettings, run_changes, send_digest, write_digest

__all__ = [
    "ClientSpec",
    "BatchFile",
    "Outcome",
    "THRESHOLDS",
    "read_clients",
    "run_batch",
    "batch_language",
]

#: Threshold names a client file may set, and the notebook parameter each becomes.
THRESHOLDS = {
    "min_leads": "MIN_LEADS",
    "min_sales": "MIN_SALES",
    "hot_share": "HOT_SHARE",
    "warm_share": "WARM_SHARE",
    "cold_share": "COLD_SHARE",
    "equal_age_days": "EQUAL_AGE_DAYS",
    "stuck_days": "STUCK_DAYS",
}

PERIOD_UNITS = ("week", "month", "quarter")

_FILE_KEYS = {"out", "jobs", "defaults", "clients", "digest"}

_CLIENT_KEYS = {
    "name",
    "profile",
    "inputs",
    "period",
    "currency",
    "thresholds",
    "parameters",
    "engine",
    "language",
}


@dataclass(frozen=True)
class ClientSpec:
    """One client of a client file, resolved: absolute input paths and the notebook
    parameters its settings become."""

    name: str
    profile: str
    inputs: dict[str, str] = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)


@dataclass(frozen=True)
class BatchFile:
    path: Path
    clients: tuple[ClientSpec, ...]
    out: Path | None = None
    jobs: int = 1
    #: where the digest of changes is e-mailed (`analysis.run.monitor.DigestSettings`)
    digest: DigestSettings | None = None


def _fail(path: Path, where: str, message: str) -> DataError:
    return DataError(f"{where}: {message}", file=str(path))


def _resolve(base: Path, value: str) -> str:
    p = Path(value).expanduser()
    return str(p if p.is_absolute() else (base / p).resolve())


def _profile_ref(base: Path, value: str) -> str:
    # a shipped profile name stays a name; anything that looks like a file is a path
    if value.endswith((".yaml", ".yml")) or "/" in value or os.sep in value:
        return _resolve(base, value)
    return value


def _period(path: Path, where: str, value) -> dict:
    if value is None:
        return {}
    if isinstance(value, str):
        value = {"by": value}
    if not isinstance(value, dict):
        raise _fail(path, where, _("period is a unit (week, month, quarter) or {by, from, to}"))
    unknown = set(value) - {"by", "from", "to"}
    if unknown:
        raise _fail(
            path, where, _("unknown period key(s) {keys}; use by, from, to", keys=sorted(unknown))
        )
    out = {}
    if value.get("by") is not None:
        if value["by"] not in PERIOD_UNITS:
            raise _fail(
                path,
                where,
                _(
                    "period by {value}: use one of {units}",
                    value=repr(value["by"]),
                    units=PERIOD_UNITS,
                ),
            )
        out["PERIOD"] = value["by"]
    for key, param in (("from", "DATE_FROM"), ("to", "DATE_TO")):
        if value.get(key) is not None:
            out[param] = str(value[key])
    return out


def _client(path: Path, index: int, raw, defaults: dict) -> ClientSpec:
    where = f"clients[{index}]"
    if not isinstance(raw, dict):
        raise _fail(path, where, _("each client is a mapping with at least name and profile"))
    unknown = set(raw) - _CLIENT_KEYS
    if unknown:
        raise _fail(
            path,
            where,
            _(
                "unknown key(s) {keys}; allowed: {allowed}",
                keys=sorted(unknown),
                allowed=sorted(_CLIENT_KEYS),
            ),
        )
    merged = {**defaults, **raw}
    for key in ("thresholds", "parameters"):  # these merge key by key
        merged[key] = {**(defaults.get(key) or {}), **(raw.get(key) or {})}
    name = merged.get("name")
    if not name or not isinstance(name, str):
        raise _fail(path, where, _("a client needs a name"))
    where = _("client {name}", name=repr(name))
    if not merged.get("profile"):
        raise _fail(path, where, _("a client needs a profile (a shipped name or a .yaml path)"))
    base = path.parent
    inputs = merged.get("inputs") or {}
    if not isinstance(inputs, dict):
        raise _fail(path, where, _("inputs maps input names to files: {crm: crm.csv}"))
    params = _period(path, where, merged.get("period"))
    if merged.get("currency"):
        params["CURRENCY"] = str(merged["currency"])
    if merged.get("engine"):  # where the leads are grouped: spark, duckdb:///f.duckdb, ...
        params["ENGINE"] = str(merged["engine"])
    if merged.get("language"):  # else the profile's
        try:
            params["LANGUAGE"] = check_language(str(merged["language"]))
        except ValueError as exc:
            raise _fail(path, where, _("language: {error}", error=exc)) from None
    for key, value in merged["thresholds"].items():
        if key not in THRESHOLDS:
            raise _fail(
                path,
                where,
                _(
                    "unknown threshold {name}; known: {known}",
                    name=repr(key),
                    known=", ".join(THRESHOLDS),
                ),
            )
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise _fail(path, where, _("threshold {name} must be a non-negative number", name=key))
        params[THRESHOLDS[key]] = value
    for key, value in merged["parameters"].items():
        if not str(key).isupper():
            raise _fail(
                path, where, _("notebook parameters are UPPER_CASE, got {name}", name=repr(key))
            )
        params[str(key)] = value
    return ClientSpec(
        name=name,
        profile=_profile_ref(base, str(merged["profile"])),
        inputs={str(k): _resolve(base, str(v)) for k, v in inputs.items()},
        parameters=params,
    )


def read_clients(path: str | Path) -> BatchFile:
    """Read and check a client file (every key is checked; errors name the file and
    the client)."""
    path = Path(path).resolve()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(_("no such client file"), file=str(path)) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DataError(_("not a readable YAML file: {error}", error=exc), file=str(path)) from None
    if not isinstance(data, dict) or not isinstance(data.get("clients"), list):
        raise _fail(path, _("top level"), _("a client file has a `clients:` list"))
    unknown = set(data) - _FILE_KEYS
    if unknown:
        raise _fail(path, _("top level"), _("unknown key(s) {keys}", keys=sorted(unknown)))
    defaults = data.get("defaults") or {}
    if set(defaults) - (_CLIENT_KEYS - {"name"}):
        bad = sorted(set(defaults) - (_CLIENT_KEYS - {"name"}))
        raise _fail(path, "defaults", _("unknown key(s) {keys}", keys=bad))
    clients = tuple(_client(path, i, raw, defaults) for i, raw in enumerate(data["clients"]))
    if not clients:
        raise _fail(path, "clients", _("the list is empty"))
    from analysis.run.report import slug

    slugs = [slug(c.name) for c in clients]
    dupes = sorted({s for s in slugs if slugs.count(s) > 1})
    if dupes:
        raise _fail(
            path, "clients", _("client names must differ (folders {folders} repeat)", folders=dupes)
        )
    jobs = data.get("jobs", 1)
    if not isinstance(jobs, int) or jobs < 1:
        raise _fail(path, "jobs", _("jobs is a whole number of 1 or more"))
    out = Path(_resolve(path.parent, str(data["out"]))) if data.get("out") else None
    digest = None
    if data.get("digest") is not None:
        try:
            digest = DigestSettings.parse(data["digest"], "digest")
        except ValueError as exc:
            raise DataError(str(exc), file=str(path)) from None
    return BatchFile(path=path, clients=clients, out=out, jobs=jobs, digest=digest)


def _client_language(spec: ClientSpec, prof=None) -> str | None:
    """The language of a client's report: the client file's ``language``, else
    ``$LEADKIT_LANGUAGE``, else its profile's (None if the profile cannot be read)."""
    if spec.parameters.get("LANGUAGE"):
        return str(spec.parameters["LANGUAGE"])
    if os.environ.get(LANGUAGE_ENV):
        return chosen_language(None, None)
    if prof is None:
        from analysis.ingest.profiles import load_profile

        try:
            prof = load_profile(spec.profile)
        except (DataError, OSError):
            return None
    return prof.language


def batch_language(clients: BatchFile | list[ClientSpec]) -> str:
    """The language of a batch's messages and index: the one most of its clients'
    reports are in (`analysis.run.index.common_language`: English on a tie)."""
    specs = clients.clients if isinstance(clients, BatchFile) else clients
    return common_language(_client_language(spec) for spec in specs)


def _run_client(
    spec: ClientSpec,
    out_root: str,
    run: str,
    force: bool,
    queue=None,
    page_jobs: int = 1,
    lang: str | None = None,
) -> Outcome:
    """Run one client (in a worker process): skip when unchanged, else the report, with
    ``page_jobs`` pages at once. The batch's own messages are in ``lang`` (the report
    and its errors in the report's language)."""
    from analysis.ingest.cache import input_hashes
    from analysis.ingest.profiles import load_profile
    from analysis.run.report import ReportError, fingerprint, record_failure, run_report, slug

    def tell(step: str, detail: str) -> None:
        if queue is not None:
            queue.put((spec.name, step, detail))

    started = time.perf_counter()
    client_slug = slug(spec.name)
    # a block: the report below sets its own language
    said = use_language(lang) if lang else contextlib.nullcontext()
    report_lang = spec.parameters.get("LANGUAGE")
    try:
        with said:
            prof = load_profile(spec.profile)
            report_lang = _client_language(spec, prof)
            if not force:
                hashes = input_hashes(prof, spec.inputs)
                want = fingerprint(prof, hashes, client_slug, spec.parameters)
                done = [m for m in collect_runs(out_root, client_slug) if m.get("status") == "ok"]
                for meta in reversed(done):  # the newest first
                    if meta.get("fingerprint") == want:
                        tell("skipped", str(meta["folder"]))
                        return Outcome(
                            spec.name,
                            "skipped",
                            str(meta["folder"]),
                            _(
                                "inputs, parameters and kit unchanged since this run "
                                "(use {flag} to run again)",
                                flag="--force",
                            ),
                            time.perf_counter() - started,
                        )
        result = run_report(
            spec.profile,
            spec.inputs,
            client=spec.name,
            run=run,
            out_root=out_root,
            parameters=spec.parameters,
            progress=tell,
            page_jobs=page_jobs,
        )
        return Outcome(spec.name, "ok", str(result.folder), "", time.perf_counter() - started)
    except DataError as exc:
        folder = record_failure(
            Path(out_root), spec.name, run, str(exc), kind="bad input", language=report_lang
        )
        tell("failed", str(exc))
        return Outcome(spec.name, "bad input", str(folder), str(exc), time.perf_counter() - started)
    except ReportError as exc:
        tell("failed", str(exc))
        folder = exc.folder or record_failure(
            Path(out_root), spec.name, run, str(exc), kind="notebook failed", language=report_lang
        )
        return Outcome(spec.name, "failed", str(folder), str(exc), time.perf_counter() - started)
    except Exception as exc:  # one client's crash must not end the batch
        message = f"{type(exc).__name__}: {exc}"
        tell("failed", message)
        folder = record_failure(
            Path(out_root),
            spec.name,
            run,
            message + "\n" + traceback.format_exc(limit=5),
            kind="crashed",
            language=report_lang,
        )
        return Outcome(spec.name, "failed", str(folder), message, time.perf_counter() - started)


_STEPS = ("load", "notebook", "workbook", "done")

#: A client's bar's words for the steps of its run (`run_report`'s progress steps and
#: the batch's own); a step not here is shown as it is.
_STEP_WORDS = {
    "load": N_("loading and checking"),
    "notebook": N_("page done:"),
    "workbook": N_("workbook"),
    "done": N_("done"),
    "skipped": N_("skipped"),
    "failed": N_("failed:"),  # its detail is the message
}


def run_batch(
    clients: str | Path | BatchFile,
    *,
    out_root: str | Path | None = None,
    jobs: int | None = None,
    force: bool = False,
    only: list[str] | None = None,
    run: str | None = None,
    progress: bool = True,
    lang: str | None = None,
) -> tuple[list[Outcome], Path]:
    """Run every client of a client file; return the outcomes and the index page.

    Parameters
    ----------
    clients : path or BatchFile
        The client file (see the module's docstring).
    out_root : path, optional
        Where client folders and ``index.html`` go: the file's ``out``, else
        ``reports/`` of the project.
    jobs : int, optional
        Clients run at once (each in its own process); the file's ``jobs`` by default.
    force : bool
        Run clients even when nothing changed since their last good run.
    only : list of str, optional
        Run only these clients (by name).
    run : str, optional
        The run folder name for every client (default: the UTC time).
    progress : bool
        Show progress bars (on standard error).
    lang : str, optional
        The language of the batch's messages, progress bars and ``index.html`` ("en",
        "ru"); by default the one most of the file's clients' reports are in
        (`batch_language`, English on a tie; every client counts, ``only`` or not).
        Each client's report keeps its own language (the client file's ``language``,
        else its profile's).
    """
    from analysis.run.report import REPORT_NOTEBOOKS, own_process

    batch = clients if isinstance(clients, BatchFile) else read_clients(clients)
    specs = list(batch.clients)
    if only:
        missing = sorted(set(only) - {c.name for c in specs})
        if missing:
            raise DataError(
                _("no client named {names} in the file", names=missing), file=str(batch.path)
            )
        specs = [c for c in specs if c.name in only]
    # every client of the file counts, not only those run now: the index keeps its language
    lang = check_language(lang) if lang else batch_language(batch)
    root = Path(out_root or batch.out or reports_dir()).resolve()
    root.mkdir(parents=True, exist_ok=True)
    run = run or datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    jobs = max(1, min(jobs or batch.jobs, len(specs)))
    # the cores shared out: each client's pages run at once on its share
    page_jobs = max(1, (os.cpu_count() or 1) // jobs)
    total_steps = len(REPORT_NOTEBOOKS) + 3
    bars = _Bars(specs, total_steps, enabled=progress, lang=lang)
    outcomes: dict[str, Outcome] = {}
    try:
        if jobs == 1:
            for spec in specs:
                outcome = _run_client(spec, str(root), run, force, bars.live(), page_jobs, lang)
                outcomes[spec.name] = outcome
                bars.finish(outcome)
        else:
            import multiprocessing as mp

            ctx = mp.get_context("spawn")
            with ctx.Manager() as manager:
                queue = manager.Queue()
                bars.use(queue)
                with ProcessPoolExecutor(
                    max_workers=jobs, mp_context=ctx, initializer=own_process
                ) as pool:
                    args = (str(root), run, force, queue, page_jobs, lang)
                    futures = {pool.submit(_run_client, spec, *args): spec for spec in specs}
                    pending = set(futures)
                    while pending:
                        bars.drain()
                        done = [f for f in pending if f.done()]
                        for fut in done:
                            pending.discard(fut)
                            spec = futures[fut]
                            try:
                                outcome = fut.result()
                            except Exception as exc:  # the worker process itself died
                                error = f"{type(exc).__name__}: {exc}"
                                with use_language(lang):
                                    died = _("worker died: {error}", error=error)
                                outcome = Outcome(spec.name, "failed", None, died)
                            bars.drain()
                            outcomes[spec.name] = outcome
                            bars.finish(outcome)
                        if pending:
                            time.sleep(0.2)
    finally:
        bars.close()
    ordered = [outcomes[s.name] for s in specs]
    index = write_index(root, latest=ordered, lang=lang)
    _digest(root, ordered, lang, batch.digest)
    return ordered, index


def _digest(root: Path, outcomes: list[Outcome], lang: str, settings) -> None:
    """``digest.md`` and ``digest.html``: each client run now against its last good
    run, the changes beyond chance; e-mailed where the client file says so (a mail
    that cannot be sent is said on standard error, the reports stay)."""
    import sys

    from analysis.run.report import slug

    runs = collect_runs(root)
    changes, without = [], []
    for o in outcomes:
        if o.status != "ok":
            continue
        mine = [m for m in runs if m["client"] == slug(o.client)]
        here = Path(o.folder).resolve() if o.folder else None
        ran = [m for m in mine if here is not None and Path(m["folder"]).resolve() == here]
        current = ran[0] if ran else (mine[-1] if mine else None)
        found = run_changes(mine, current) if current else None
        if found is None:
            without.append(o.client)
        else:
            changes.append(found)
    if not changes and not without:
        return
    _md, _html, text, page = write_digest(root, changes, without, lang)
    if settings is None:
        return
    with use_language(lang):
        n = sum(len(c.alerts) for c in changes)
        subject = n_(
            "leadkit: {n} change beyond chance since the last run",
            "leadkit: {n} changes beyond chance since the last run",
            n,
        )
        try:
            send_digest(settings, subject, text, page)
        except (OSError, smtplib.SMTPException) as exc:
            print(
                _("the digest was not sent to {server}: {error}", server=settings.smtp, error=exc),
                file=sys.stderr,
            )


class _Live:
    """`_Bars.live`: ``put`` shows the event (tqdm's own lock keeps the bars whole)."""

    def __init__(self, bars: _Bars):
        self.bars = bars

    def put(self, event: tuple[str, str, str]) -> None:
        self.bars.show(*event)


class _Bars:
    """One tqdm bar per client and one overall, fed by (client, step, detail) events;
    their words in ``lang``."""

    def __init__(self, specs: list[ClientSpec], steps: int, enabled: bool, lang: str = "en"):
        self.enabled = enabled
        self.lang = lang
        self._queue = None
        self.bars = {}
        self.overall = None
        if not enabled:
            return
        from tqdm.auto import tqdm

        with use_language(lang):
            desc, unit, step_unit = _("clients"), _("client"), _("step")
        self.overall = tqdm(total=len(specs), desc=desc, position=0, unit=unit, leave=True)
        for i, spec in enumerate(specs, start=1):
            self.bars[spec.name] = tqdm(
                total=steps, desc=spec.name[:24].ljust(24), position=i, unit=step_unit, leave=True
            )

    def use(self, queue) -> None:
        self._queue = queue

    def live(self):
        """A queue for a client run in this process: each event moves its bar at once
        (the pages report from their threads while the client runs)."""
        return _Live(self) if self.enabled else None

    def drain(self) -> None:
        if self._queue is None:
            return
        while True:
            try:
                event = self._queue.get_nowait()
            except Exception:  # empty (queue.Empty from either kind of queue)
                return
            self.show(*event)

    def show(self, name: str, step: str, detail: str) -> None:
        bar = self.bars.get(name)
        if bar is None:
            return
        if step in _STEPS:
            bar.update(1)
        if step == "pages":  # its detail says it: "6 pages, 2 at once"
            word = ""
        else:
            with use_language(self.lang):
                word = _(_STEP_WORDS[step]) if step in _STEP_WORDS else step
        shown = Path(detail).name if step in ("done", "skipped") else detail
        bar.set_postfix_str(f"{word} {shown}".strip()[:40])

    def finish(self, outcome: Outcome) -> None:
        bar = self.bars.get(outcome.client)
        if bar is not None:
            with use_language(self.lang):
                bar.set_postfix_str(status_label(outcome.status))
            if outcome.passed:
                bar.update(bar.total - bar.n)
            bar.refresh()
        if self.overall is not None:
            self.overall.update(1)

    def close(self) -> None:
        for bar in [*self.bars.values(), self.overall]:
            if bar is not None:
                bar.close()
