"""The loaded dataset kept on disk, keyed by the SHA-256 of the profile, of every input
file and of the kit's code, so the pages of one report read and check the exports once.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.ingest.dataset import Dataset
from analysis.ingest.profiles import Profile
from analysis.ingest.readers import file_sha256
from analysis.ingest.schema import validate_spend

__all__ = ["cache_folder"]


def input_files(profile: Profile, inputs: dict | None = None) -> dict[str, Path]:
    """The file each of the profile's inputs reads (the given one, else the profile's
    default), for the inputs whose file exists: the files a load reads."""
    out = {}
    for name, spec in profile.inputs.items():
        path = (inputs or {}).get(name) or spec.path
        if path is not None and Path(path).is_file():
            out[name] = Path(path).resolve()
    return out


def input_hashes(profile: Profile, inputs: dict | None = None) -> dict[str, str]:
    """SHA-256 of each file of `input_files`."""
    return {name: file_sha256(path) for name, path in input_files(profile, inputs).items()}


def dataset_key(profile: Profile, overrides: dict, start, end, stream) -> str:
    from analysis.base.files import code_hash
    from analysis.base.i18n import language

    payload = {
        "profile": file_sha256(Path(profile.path)),
        "currency": profile.currency,
        # the paths too: the inputs table names each file
        "files": {k: str(p) for k, p in input_files(profile, overrides).items()},
        "hashes": input_hashes(profile, overrides),
        "period": [str(start or ""), str(end or "")],
        "stream": stream,
        # the notes are kept as written, in the language of the load
        "language": language(),
        "code": code_hash(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _plain(value):
    """numpy scalars and tuples to what JSON keeps as it was."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def to_cache(ds: Dataset, folder: Path) -> None:
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        if ds.source is None:  # else the canonical leads are that file, kept by its key
            ds.leads.assign(qualification=ds.leads["qualification"].astype(str)).to_parquet(
                tmp / "leads.parquet", index=False
            )
        ds.spend.to_parquet(tmp / "spend.parquet", index=False)
        meta = {
            "inputs": _plain(ds.inputs.to_dict("records")),
            "notes": _plain(ds.notes.to_dict("records")),
            "facts": _plain(ds.facts),
            "source": str(ds.source) if ds.source is not None else None,
        }
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    except OSError:  # a cache that cannot be written is no reason to fail the load
        shutil.rmtree(tmp, ignore_errors=True)


def from_cache(profile: Profile, folder: Path) -> Dataset | None:
    meta_path = folder / "meta.json"
    if not meta_path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        # the canonical leads file: the load's own (DuckDB or streamed), else the copy
        # kept here; a page reads its rows only if it asks (Dataset.leads), and the
        # engine groups it from disk
        source = Path(meta["source"]) if meta.get("source") else folder / "leads.parquet"
        if not source.exists():
            return None
        spend = pd.read_parquet(folder / "spend.parquet")
        if not spend.empty:
            spend = validate_spend(spend)
    except (OSError, ValueError, KeyError):
        return None
    inputs = pd.DataFrame(meta["inputs"])
    notes = pd.DataFrame(meta["notes"], columns=["severity", "input", "message"])
    return Dataset(profile, None, spend, inputs, notes, meta["facts"], source)


def cache_folder(cache_dir: str | Path | None = None) -> Path:
    """``cache_dir``, else ``$LEADKIT_CACHE``, else ``$XDG_CACHE_HOME/leadkit``
    (``~/.cache/leadkit``)."""
    if cache_dir:
        return Path(cache_dir)
    if os.environ.get("LEADKIT_CACHE"):
        return Path(os.environ["LEADKIT_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "leadkit"
