"""Write the sample company's three exports (``leadkit sample``, or
``python -m analysis.sample.write OUT_DIR [--seed N] [--scale X]``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from analysis.base.files import write_atomic
from analysis.sample.company import generate
from analysis.sample.exports import render
from analysis.sample.params import DEFAULT_SEED, FILE_NAMES, FORMATS

__all__ = ["write_sample", "main"]


def write_sample(out_dir: Path, seed: int = DEFAULT_SEED, scale: float = 1.0) -> dict[str, Path]:
    """Generate a sample and write its three files into ``out_dir``.

    Each file is rendered in memory, written to a temporary file in ``out_dir`` and
    renamed over the target, so a failure never leaves a half-written file. The bytes
    depend only on ``seed`` and ``scale``.

    Parameters
    ----------
    out_dir : Path
        Folder to write into; created if missing.
    seed, scale
        As for `generate`.

    Returns
    -------
    dict
        ``{"crm": path, "spend": path, "sessions": path}``.

    Raises
    ------
    ValueError
        On a bad ``seed`` or ``scale``, before anything is written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_sample(Path(tmp), seed=1, scale=0.05)
    ...     sorted(p.name for p in paths.values())
    ['ad_spend.csv', 'crm_leads.csv', 'web_sessions.tsv']
    """
    data = generate(seed=seed, scale=scale)
    rendered = {
        "crm": render(data.crm, *FORMATS["crm"]),
        "spend": render(data.spend, *FORMATS["spend"]),
        "sessions": render(data.sessions, *FORMATS["sessions"]),
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, payload in rendered.items():
        paths[name] = out_dir / FILE_NAMES[name]
        write_atomic(paths[name], payload)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m analysis.sample.write OUT_DIR [--seed N] [--scale X]``."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis.sample.write",
        description="Write the sample company's CRM, ad-spend and web-session exports.",
    )
    parser.add_argument("out_dir", type=Path, help="folder to write the three files into")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument("--scale", type=float, default=1.0, help="volume multiplier")
    args = parser.parse_args(argv)
    try:
        paths = write_sample(args.out_dir, seed=args.seed, scale=args.scale)
    except ValueError as exc:
        parser.error(str(exc))
    for path in paths.values():
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
