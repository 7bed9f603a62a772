"""Two small file helpers the kit's writers share: an atomic write (a crash leaves the
old file or none, never half a new one) and a hash of the kit's own code (a result made
by other code is not reused)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

__all__ = ["write_atomic", "code_hash"]

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # analysis/


def write_atomic(path: str | Path, payload: bytes | str) -> Path:
    """Write ``payload`` (text is written as UTF-8) to a temporary file beside ``path``
    and rename it over ``path``."""
    path = Path(path)
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; these are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def code_hash(*extra: Path) -> str:
    """SHA-256 of the kit's code, templates and catalogues (``analysis/**/*.py``,
    ``*.j2``, ``*.json``, ``*.po``: a changed translation changes a page) and of
    ``extra`` files (the notebooks, say)."""
    kinds = ("*.py", "*.j2", "*.json", "*.po")
    files = sorted(p for kind in kinds for p in PACKAGE_DIR.rglob(kind)) + sorted(
        Path(p) for p in extra
    )
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
