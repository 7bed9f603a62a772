"""Write the sample company's exports (``leadkit sample``, or
``python -m analysis.sample.write OUT_DIR [--seed N] [--scale X]``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from analysis.base.files import write_atomic
from analysis.sample.company import generate
from analysis.sample.params import DEFAULT_SEED, FILE_NAMES, README_NAME

__all__ = ["write_sample", "readme_text", "main"]


def write_sample(out_dir: Path, seed: int = DEFAULT_SEED, scale: float = 1.0) -> dict[str, Path]:
    """Generate a sample and write its exports, and a README saying they are synthetic,
    into ``out_dir``.

    Every file is rendered in memory first, then each is written to a temporary file
    in ``out_dir`` and renamed over its target, so a failure never leaves a
    half-written file. The bytes depend only on ``seed`` and ``scale``.

    Parameters
    ----------
    out_dir : Path
        Folder to write into; created if missing.
    seed, scale
        As for `analysis.sample.company.generate`.

    Returns
    -------
    dict
        ``{input name: path}`` of the exports, by the input names of
        ``data/profiles/sample.yaml`` (so ``load_dataset("sample", paths)`` reads them).

    Raises
    ------
    ValueError
        On a bad ``seed`` or ``scale``, before anything is written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_sample(Path(tmp), seed=1, scale=0.05)
    ...     for name, path in paths.items():
    ...         print(f"{name:10} {path.name}")
    ...     print(*sorted(p.name for p in Path(tmp).iterdir() if p not in paths.values()))
    amocrm     amocrm_deals.csv
    direct     direct_report.tsv
    vk         vk_ad_plans_day.json
    google_ads google_ads_campaign_report.csv
    telegram   telegram_spend.csv
    metrica    metrica_visits.tsv
    README.md
    """
    data = generate(seed=seed, scale=scale)
    readme = readme_text(seed, scale).encode("utf-8")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, payload in data.files.items():
        paths[name] = out_dir / FILE_NAMES[name]
        write_atomic(paths[name], payload)
    write_atomic(out_dir / README_NAME, readme)
    return paths


def readme_text(seed: int, scale: float) -> str:
    """The README written beside the files: what they are, that everything in them is
    invented, and how they were made."""
    n = FILE_NAMES
    return f"""# The sample company's exports (synthetic)

Every file here was made up by leadkit's generator (`analysis/sample/`, MIT licensed like
the kit) for the sample company «Промснаб», a made-up B2B metal-products trader. Its
deals, contacts, names, phones, e-mails, companies, campaigns, ids and Metrica ClientIDs
are invented: no real person, company or ad account is in them (mail and site domains
end in `.example`). The contact columns are filled because real exports have them and a
loader must drop them.

Written by `leadkit sample --seed {seed} --scale {scale:g}` (or `python -m
analysis.sample.write DIR --seed {seed} --scale {scale:g}`); the same seed and scale give
the same bytes. `data/profiles/sample.yaml` reads them as the shipped `amocrm.yaml`
reads such exports. Each file copies the layout of a real export, as the kit's
EXPORT_FORMATS.md describes it:

* `{n["amocrm"]}`: amoCRM «Сделки → Экспорт», CSV. UTF-8 without BOM, comma, newest
  deal first, `Бюджет ₽`, `не закрыта` for open deals, form-made `utm_*` fields beside
  the tracking group of the same names, the Metrica ClientID in `_ym_uid`.
* `{n["direct"]}`: Yandex.Direct Reports API, CUSTOM_REPORT (TSV). A quoted title
  line, money in micros, `--` for no data, `Total rows: N`.
* `{n["vk"]}`: VK Ads API v2 `statistics/ad_plans/day.json`. `items[].rows[]`, money
  as strings, every day of the period.
* `{n["google_ads"]}`: Google Ads UI, Reports → Download → CSV. Title and period
  rows, thousands separators, `Total:` rows, CRLF.
* `{n["telegram"]}`: a plain spend table with the kit's own column names (the
  Telegram channel ads have no export the kit knows).
* `{n["metrica"]}`: Yandex Metrica Logs API, source=visits (TSV). No lead id: a deal's
  visits are those of its ClientID.

The CRM's and Metrica's `utm_campaign` hold the Direct and VK campaign ids (the links'
`{{campaign_id}}` and `{{{{campaign_id}}}}` macros), as the ads reports do; the profile
gives each id its campaign's name.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m analysis.sample.write OUT_DIR [--seed N] [--scale X]``."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis.sample.write",
        description="Write the sample company's exports: amoCRM deals, Yandex.Direct, VK Ads, "
        "Google Ads and Telegram spend, Yandex Metrica visits.",
    )
    parser.add_argument("out_dir", type=Path, help="folder to write the files into")
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
