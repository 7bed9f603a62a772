"""The ``leadkit`` command (also ``python -m analysis``).

    leadkit report [--profile NAME|PATH] [--input NAME=PATH ...] [--client C] [--run R]
                   [--engine duckdb|spark|URL] [--param NAME=VALUE ...]
    leadkit run CLIENTS.yaml [--jobs N] [--force] [--only NAME ...] [--out DIR]
    leadkit check  [--profile NAME|PATH] [--input NAME=PATH ...]
    leadkit sample [--out DIR] [--seed N] [--scale X]
    leadkit profiles
    leadkit profile new FILE... [--out PROFILE.yaml] [--force]

Messages (errors, progress, what was written) are in the language of ``--lang``, else of
the profile's ``language:`` (for ``run``: the one most clients' reports are in, English
on a tie), else English; argparse's own usage messages stay English.

Exit codes: 0 success, 1 a report notebook failed (for ``run``: any client failed or
had bad input; the others still ran), 2 the input data, the client file or the command
line are wrong (the message names file, rows and column).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from analysis import __version__
from analysis.base.errors import DataError
from analysis.base.i18n import DEFAULT_LANGUAGE, LANGUAGES, _, language, n_, set_language

__all__ = ["main"]


def _said(message: str) -> str:
    """A message to the user, after the program's name as every tool writes it."""
    return f"leadkit: {message}"


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise SystemExit(
                _said(_("{flag} takes NAME=VALUE, got {item}", flag=flag, item=repr(item)))
            )
        out[key.strip()] = value.strip()
    return out


def _speak(lang: str | None, profile: str | None = None) -> str:
    """Write the command's messages in ``lang``, else in the profile's language (if the
    profile can be read: else its error comes later, from the command itself), else
    English."""
    if not lang and profile:
        from analysis.ingest.profiles import load_profile

        try:
            lang = load_profile(profile).language
        except Exception:  # noqa: BLE001 - the command reports it, in the default language
            lang = None
    try:
        return set_language(lang or DEFAULT_LANGUAGE)
    except ValueError:  # a bad --param LANGUAGE: the report says so
        return set_language(DEFAULT_LANGUAGE)


def _literal(text: str):
    import ast

    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadkit",
        description="Lead-quality analytics: which channels bring customers, not just cheap leads.",
    )
    parser.add_argument("--version", action="version", version=f"leadkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def data_args(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--profile",
            default="sample",
            help="mapping profile: a shipped name (see `leadkit profiles`) or a .yaml path "
            "(default: sample)",
        )
        p.add_argument(
            "--input",
            action="append",
            metavar="NAME=PATH",
            default=[],
            help="an input file for the profile's input NAME (repeatable)",
        )

    rep = sub.add_parser("report", help="load the data and render the report notebooks")
    data_args(rep)
    rep.add_argument("--client", help="client folder under reports/ (default: the profile name)")
    rep.add_argument("--run", help="run folder name (default: UTC time)")
    rep.add_argument("--out", type=Path, help="folder for client reports (default: reports/)")
    rep.add_argument(
        "--engine",
        help="where the leads are grouped: duckdb (default), spark, spark:local[4], "
        "duckdb:///file.duckdb or an Ibis URL (see docs/warehouse.md)",
    )
    rep.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        default=[],
        help="a notebook parameter, e.g. --param MIN_LEADS=50 (repeatable)",
    )
    rep.add_argument(
        "--jobs", "-j", type=int, default=None, help="pages run at once (default: the cores)"
    )
    rep.add_argument(
        "--lang",
        choices=sorted(LANGUAGES),
        help="the report's language, and its messages' (default: the profile's language:, else en)",
    )
    rep.add_argument("--no-progress", action="store_true", help="no progress bar")

    bat = sub.add_parser(
        "run",
        help="run the reports of every client in a client file (see data/clients.example.yaml)",
    )
    bat.add_argument("clients", type=Path, help="the client file (YAML)")
    bat.add_argument("--jobs", "-j", type=int, default=None, help="clients run at once")
    bat.add_argument(
        "--force", action="store_true", help="run clients whose inputs and settings are unchanged"
    )
    bat.add_argument("--only", action="append", default=[], metavar="NAME", help="run only NAME")
    bat.add_argument("--out", type=Path, help="folder for client reports and index.html")
    bat.add_argument("--run", help="run folder name (default: UTC time)")
    bat.add_argument("--no-progress", action="store_true", help="no progress bars")
    bat.add_argument(
        "--lang",
        choices=sorted(LANGUAGES),
        help="the language of the messages and of index.html (default: the one most clients' "
        "reports are in, en on a tie); each client's report keeps its own language",
    )

    chk = sub.add_parser("check", help="load and validate the data, print what was found")
    data_args(chk)
    chk.add_argument(
        "--lang",
        choices=sorted(LANGUAGES),
        help="the language of what is printed (default: the profile's language:, else en)",
    )

    smp = sub.add_parser("sample", help="write the sample company's export files")
    smp.add_argument("--out", type=Path, default=None, help="folder (default: data/sample)")
    smp.add_argument("--seed", type=int, default=None)
    smp.add_argument("--scale", type=float, default=1.0)

    sub.add_parser("profiles", help="list the shipped mapping profiles")

    prof = sub.add_parser("profile", help="make a mapping profile")
    prof_sub = prof.add_subparsers(dest="profile_command", required=True)
    new = prof_sub.add_parser(
        "new",
        help="write a draft profile from the headers of export files (amoCRM, Bitrix24, "
        "Yandex.Direct, Metrica, VK Ads, Google Ads, HubSpot, ...)",
    )
    new.add_argument("files", nargs="+", type=Path, metavar="FILE", help="export files")
    new.add_argument(
        "--out", type=Path, default=Path("profile.yaml"), help="(default: profile.yaml)"
    )
    new.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    new.add_argument(
        "--lang", choices=sorted(LANGUAGES), help="the language of what is printed (default: en)"
    )
    return parser


class _ReportBar:
    """A progress bar on standard error for one report: the load, each page as it
    finishes, and the workbook (tqdm; thread-safe, the pages report from threads)."""

    def __init__(self, enabled: bool, pages: int | None = None):
        from analysis.run.report import REPORT_NOTEBOOKS

        self.bar: Any = None  # a tqdm bar once the first step comes
        self.enabled = enabled
        self.total = (pages if pages is not None else len(REPORT_NOTEBOOKS)) + 2
        # the command's language (the pages' threads may report while the report's
        # own is set in this process)
        self.lang = language()

    def step(self, step: str, detail: str) -> None:
        if not self.enabled:
            return
        from analysis.base.i18n import use_language

        with use_language(self.lang):
            if self.bar is None:
                from tqdm.auto import tqdm

                # the load, the pages, the workbook
                self.bar = tqdm(total=self.total, desc=_("report"), unit=_("step"))
            label = {
                "load": _("loading and checking"),
                "notebook": _("page done:"),
                "workbook": _("workbook"),
                "pages": "",  # its detail says it: "6 pages, 4 at once"
            }.get(step, step)
        if step != "done":
            self.bar.set_postfix_str(f"{label} {detail}".strip()[:48])
        if step in ("pages", "notebook", "workbook"):  # "pages": the load has finished
            self.bar.update(1)
        if step == "done":
            self.bar.update(self.bar.total - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in ("report", "run"):
        from analysis.run.report import own_process

        own_process()  # this process is the command's: see there
    before = language()
    try:
        return _main(args)
    finally:
        set_language(before)  # the caller's (a test, a notebook) stays as it was


def _main(args: argparse.Namespace) -> int:
    try:
        if args.command == "report":
            from analysis.run.report import ReportError, run_report

            set_language(args.lang or DEFAULT_LANGUAGE)  # until the profile's is known
            params = {k.upper(): _literal(v) for k, v in _pairs(args.param, "--param").items()}
            if args.engine:
                params["ENGINE"] = args.engine
            if args.lang:
                params["LANGUAGE"] = args.lang
            _speak(params.get("LANGUAGE"), args.profile)
            if args.jobs is not None and args.jobs < 1:
                raise SystemExit(_said(_("{flag} takes a number of 1 or more", flag="--jobs")))
            bar = _ReportBar(enabled=not args.no_progress)
            try:
                try:
                    result = run_report(
                        args.profile,
                        _pairs(args.input, "--input"),
                        client=args.client,
                        run=args.run,
                        out_root=args.out,
                        parameters=params,
                        progress=bar.step,
                        page_jobs=args.jobs,
                    )
                finally:
                    bar.close()  # before any message, so it starts on a line of its own
            except ReportError as exc:
                print(_said(_("report failed: {error}", error=exc)), file=sys.stderr)
                return 1
            print(_("Report written to {folder}", folder=result.folder))
            for page in result.html:
                print(f"  {page}")
            tables = n_(
                "{n} table in {folder}",
                "{n} tables in {folder}",
                len(result.tables),
                folder=result.folder / "tables",
            )
            print(f"  {tables}")
            return 0
        if args.command == "run":
            from analysis.run.batch import batch_language, read_clients, run_batch
            from analysis.run.index import status_label

            _speak(args.lang)  # until the clients' language is known
            if args.jobs is not None and args.jobs < 1:
                raise SystemExit(_said(_("{flag} takes a number of 1 or more", flag="--jobs")))
            batch = read_clients(args.clients)
            lang = _speak(args.lang or batch_language(batch))
            outcomes, index = run_batch(
                batch,
                out_root=args.out,
                jobs=args.jobs,
                force=args.force,
                only=args.only or None,
                run=args.run,
                progress=not args.no_progress,
                lang=lang,
            )
            width = max(len(o.client) for o in outcomes)
            statuses = {o.status: status_label(o.status) for o in outcomes}
            status_width = max(9, *(len(s) for s in statuses.values()))
            for o in outcomes:
                where = o.folder or ""
                seconds = f"{o.seconds:6.1f}"
                if lang != "en":  # a decimal comma
                    seconds = seconds.replace(".", ",")
                took = _("{seconds} s", seconds=seconds)
                print(f"{o.client:<{width}}  {statuses[o.status]:<{status_width}}  {took}  {where}")
                if o.message and not o.passed:
                    print(f"{'':<{width}}  {o.message}")
            failed = [o for o in outcomes if not o.passed]
            print(
                _(
                    "{passed} of {total} clients passed; index: {index}",
                    passed=len(outcomes) - len(failed),
                    total=len(outcomes),
                    index=index,
                )
            )
            return 1 if failed else 0
        if args.command == "check":
            from analysis.ingest.load import load_dataset
            from analysis.insight.audit import counts_text

            _speak(args.lang, args.profile)
            ds = load_dataset(args.profile, _pairs(args.input, "--input"))
            print(counts_text(ds))
            for note in ds.notes.itertuples():
                # "info", "warning": the kit's words (the audit page's too)
                print(f"{_(note.severity)}: [{note.input}] {note.message}")
            return 0
        if args.command == "sample":
            from analysis.base.paths import IN_CHECKOUT, SAMPLE_DIR
            from analysis.sample.params import DEFAULT_SEED
            from analysis.sample.write import write_sample

            paths = write_sample(
                args.out or (SAMPLE_DIR if IN_CHECKOUT else Path("sample")),
                seed=DEFAULT_SEED if args.seed is None else args.seed,
                scale=args.scale,
            )
            for path in paths.values():
                print(path)
            return 0
        if args.command == "profiles":
            from analysis.ingest.profiles import list_profiles, load_profile

            for name in list_profiles():
                print(f"{name:10s} {load_profile(name).title}")
            return 0
        if args.command == "profile":
            from analysis.ingest.draft import write_draft

            _speak(args.lang)
            try:
                draft = write_draft(args.files, args.out, force=args.force)
            except FileExistsError as exc:
                print(_said(str(exc)), file=sys.stderr)
                return 2
            print(draft.summary())
            if draft.todos:
                print(
                    n_(
                        "Draft profile written to {out}; answer its {n} TODO(s). Next:",
                        "Draft profile written to {out}; answer its {n} TODO(s). Next:",
                        draft.todos,
                        out=args.out,
                    )
                )
            else:
                print(_("Draft profile written to {out}. Next:", out=args.out))
            print(f"  leadkit check --profile {args.out}")
            return 0
    except DataError as exc:
        print(_said(_("bad input: {error}", error=exc)), file=sys.stderr)
        return 2
    return 2  # pragma: no cover - argparse requires a command


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
