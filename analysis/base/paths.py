"""Project paths: one place for every folder the kit reads or writes.

Nothing here touches the disk; importing the module has no side effects.
"""

from pathlib import Path

__all__ = [
    "PROJECT_ROOT",
    "DATA_DIR",
    "PROFILES_DIR",
    "SAMPLE_DIR",
    "EXAMPLES_DIR",
    "NOTEBOOKS_DIR",
    "REPORTS_DIR",
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]

DATA_DIR = PROJECT_ROOT / "data"

PROFILES_DIR = DATA_DIR / "profiles"

SAMPLE_DIR = DATA_DIR / "sample"

EXAMPLES_DIR = DATA_DIR / "examples"

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"

REPORTS_DIR = PROJECT_ROOT / "reports"
