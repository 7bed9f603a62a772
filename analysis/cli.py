"""The ``leadkit`` command (also ``python -m analysis``).

    leadkit report [--profile NAME|PATH] [--input NAME=PATH ...] [--client C] [--run R]
    leadkit check  [--profile NAME|PATH] [--input NAME=PATH ...]
    leadkit sample [--out DIR] [--seed N] [--scale X]
    leadkit profiles

Exit codes: 0 success, 1 a report notebook failed, 2 the input data or the command
line are wrong (the message names file, rows and column).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import DataError

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
        "--param",
        action="append",
        metavar="NAME=VALUE",
        default=[],
        help="a notebook parameter, e.g. --param MIN_LEADS=50 (repeatable)",
    )

    chk = sub.add_parser("check", help="load and validate the data, print what was found")
    data_args(chk)

    smp = sub.add_parser("sample", help="write the sample company's export files")
    smp.add_argument("--out", type=Path, default=None, help="folder (default: data/sample)")
    smp.add_argument("--seed", type=int, default=None)
    smp.add_argument("--scale", type=float, default=1.0)

    sub.add_parser("profiles", help="list the shipped mapping profiles")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "report":
            from .report import ReportError, run_report

            params = {k.upper(): _literal(v) for k, v in _pairs(args.param, "--param").items()}
            try:
                result = run_report(
                    args.profile,
                    _pairs(args.input, "--input"),
                    client=args.client,
                    run=args.run,
                    out_root=args.out,
                    parameters=params,
                )
            except ReportError as exc:
                print(f"leadkit: report failed: {exc}", file=sys.stderr)
                return 1
            print(f"Report written to {result.folder}")
            for page in result.html:
                print(f"  {page}")
            print(f"  {len(result.tables)} tables in {result.folder / 'tables'}")
            return 0
        if args.command == "check":
            from .audit import counts_text
            from .load import load_dataset

            ds = load_dataset(args.profile, _pairs(args.input, "--input"))
            print(counts_text(ds))
            for note in ds.notes.itertuples():
                print(f"{note.severity}: [{note.input}] {note.message}")
            return 0
        if args.command == "sample":
            from .paths import SAMPLE_DIR
            from .synth import DEFAULT_SEED, write_sample

            paths = write_sample(
                args.out or SAMPLE_DIR,
                seed=DEFAULT_SEED if args.seed is None else args.seed,
                scale=args.scale,
            )
            for path in paths.values():
                print(path)
            return 0
        if args.command == "profiles":
            from .profiles import list_profiles, load_profile

            for name in list_profiles():
                print(f"{name:10s} {load_profile(name).title}")
            return 0
    except DataError as exc:
        print(f"leadkit: bad input: {exc}", file=sys.stderr)
        return 2
    return 2  # pragma: no cover - argparse requires a command


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
