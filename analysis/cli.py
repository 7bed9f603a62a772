"""The ``leadkit`` command (also ``python -m analysis``).

    leadkit report [--profile NAME|PATH] [--input NAME=PATH ...] [--client C] [--run R]
                   [--engine duckdb|spark|URL] [--param NAME=VALUE ...]
    leadkit run CLIENTS.yaml [--jobs N] [--force] [--only NAME ...] [--out DIR]
    leadkit check  [--profile NAME|PATH] [--input NAME=PATH ...]
    leadkit sample [--out DIR] [--seed N] [--scale X]
    leadkit profiles
    leadkit profile new FILE... [--out PROFILE.yaml] [--force]

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

__all__ = ["main"]


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise SystemExit(f"leadkit: {flag} takes NAME=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out


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
        choices=["en", "ru"],
        help="the report's language (default: the profile's language:, else en)",
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

    chk = sub.add_parser("check", help="load and validate the data, print what was found")
    data_args(chk)

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
    return parser


class _ReportBar:
    """A progress bar on standard error for one report: the load, each page as it
    finishes, and the workbook (tqdm; thread-safe, the pages report from threads)."""

    def __init__(self, enabled: bool, pages: int | None = None):
        from analysis.run.report import REPORT_NOTEBOOKS

        self.bar: Any = None  # a tqdm bar once the first step comes
        self.enabled = enabled
        self.total = (pages if pages is not None else len(REPORT_NOTEBOOKS)) + 2

    def step(self, step: str, detail: str) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm.auto import tqdm

            # the load, the pages, the workbook
            self.bar = tqdm(total=self.total, desc="report", unit="step")
        label = {"load": "loading and checking", "notebook": "page done:"}.get(step, step)
        if step != "done":
            self.bar.set_postfix_str(f"{label} {detail}"[:48])
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
    try:
        if args.command == "report":
            from analysis.run.report import ReportError, run_report

            params = {k.upper(): _literal(v) for k, v in _pairs(args.param, "--param").items()}
            if args.engine:
                params["ENGINE"] = args.engine
            if args.lang:
                params["LANGUAGE"] = args.lang
            if args.jobs is not None and args.jobs < 1:
                raise SystemExit("leadkit: --jobs takes a number of 1 or more")
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
                print(f"leadkit: report failed: {exc}", file=sys.stderr)
                return 1
            print(f"Report written to {result.folder}")
            for page in result.html:
                print(f"  {page}")
            print(f"  {len(result.tables)} tables in {result.folder / 'tables'}")
            return 0
        if args.command == "run":
            from analysis.run.batch import run_batch

            if args.jobs is not None and args.jobs < 1:
                raise SystemExit("leadkit: --jobs takes a number of 1 or more")
            outcomes, index = run_batch(
                args.clients,
                out_root=args.out,
                jobs=args.jobs,
                force=args.force,
                only=args.only or None,
                run=args.run,
                progress=not args.no_progress,
            )
            width = max(len(o.client) for o in outcomes)
            for o in outcomes:
                where = o.folder or ""
                print(f"{o.client:<{width}}  {o.status:<9}  {o.seconds:6.1f} s  {where}")
                if o.message and not o.passed:
                    print(f"{'':<{width}}  {o.message}")
            failed = [o for o in outcomes if not o.passed]
            print(
                f"{len(outcomes) - len(failed)} of {len(outcomes)} clients passed; index: {index}"
            )
            return 1 if failed else 0
        if args.command == "check":
            from analysis.ingest.load import load_dataset
            from analysis.insight.audit import counts_text

            ds = load_dataset(args.profile, _pairs(args.input, "--input"))
            print(counts_text(ds))
            for note in ds.notes.itertuples():
                print(f"{note.severity}: [{note.input}] {note.message}")
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

            try:
                draft = write_draft(args.files, args.out, force=args.force)
            except FileExistsError as exc:
                print(f"leadkit: {exc}", file=sys.stderr)
                return 2
            print(draft.summary())
            todo = f"; answer its {draft.todos} TODO(s)" if draft.todos else ""
            print(f"Draft profile written to {args.out}{todo}. Next:")
            print(f"  leadkit check --profile {args.out}")
            return 0
    except DataError as exc:
        print(f"leadkit: bad input: {exc}", file=sys.stderr)
        return 2
    return 2  # pragma: no cover - argparse requires a command


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
