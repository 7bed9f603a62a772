"""Report sections: one module per page, each function taking the report context and
returning a `Section` (a title, text, tables and a figure) that a notebook displays with
`show_section`. The pages' logic lives here; the notebooks only show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.figure
import pandas as pd

__all__ = ["Section", "show_section", "save_table", "save_tables"]


@dataclass
class Section:
    """What a section shows.

    Attributes
    ----------
    title : str
        The heading ("" for none; the notebook's markdown cell may carry it).
    text : str
        Markdown shown above the tables and figure: the finding in plain words, or why
        there is nothing to show.
    tables : dict[str, DataFrame]
        Tidy tables written to ``tables/<name>.csv`` and the workbook, by name.
    views : list
        What is displayed: formatted tables (Styler or DataFrame), in order.
    figure : matplotlib Figure or None
    empty : bool
        True when the data cannot support the section; ``text`` says why.
    """

    title: str = ""
    text: str = ""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    views: list = field(default_factory=list)
    figure: matplotlib.figure.Figure | None = None
    empty: bool = False


def show_section(section: Section) -> Section:
    """Display a section in a notebook: its text, views and figure."""
    import matplotlib.pyplot as plt
    from IPython.display import Markdown, display

    if section.title:
        display(Markdown(f"## {section.title}"))
    if section.text:
        display(Markdown(section.text))
    for view in section.views:
        display(view)
    if section.figure is not None:
        display(section.figure)
        plt.close(section.figure)
    return section


def save_table(table: pd.DataFrame, name: str, output_dir: str | Path | None) -> Path | None:
    """Write a tidy table as ``<output_dir>/tables/<name>.csv`` (UTF-8, no index).

    Does nothing when ``output_dir`` is empty, so a notebook run by hand in JupyterLab
    writes no files unless asked to.
    """
    if not output_dir:
        return None
    folder = Path(output_dir) / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    table.to_csv(path, index=False, encoding="utf-8")
    return path


def save_tables(sections: list[Section], output_dir: str | Path | None) -> list[Path]:
    """Write every section's tidy tables to ``<output_dir>/tables/<name>.csv``."""
    written = []
    for section in sections:
        for name, table in section.tables.items():
            if table is not None:
                path = save_table(table, name, output_dir)
                if path is not None:
                    written.append(path)
    return written
