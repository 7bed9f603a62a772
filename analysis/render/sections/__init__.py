"""Report sections: one module per page, each function taking the report context and
returning a `Section` (a title, text, tables and a figure) that a notebook displays with
`show_section`. The pages' logic lives here; the notebooks only show.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.figure
import pandas as pd

from analysis.base.i18n import _

__all__ = [
    "Section",
    "economics",
    "figure_alt",
    "no_sale_dates",
    "show_section",
    "save_table",
    "save_tables",
]


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
    alt : str
        The figure's text for readers who cannot see it (the page's ``alt``); ""
        takes it from the figure's titles and axis labels (`figure_alt`).
    """

    title: str = ""
    text: str = ""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    views: list = field(default_factory=list)
    figure: matplotlib.figure.Figure | None = None
    empty: bool = False
    alt: str = ""


def no_sale_dates(ctx) -> str:
    """Why the report has no sale dates, as the start of a sentence: the data have no
    sale, or their sales carry no date."""
    if ctx.facts["sales"] == 0:
        return _("No lead is a sale yet")
    return _("The data have no sale dates")


def figure_alt(figure: matplotlib.figure.Figure) -> str:
    """A figure's text alternative from what it says: its title(s), then each panel's
    title, axes and legend ("Cost per lead against cost per sale. Axes x: cost per lead;
    y: cost per sale. Legend: hot, warm, cold."), in the reader's language."""
    parts: list[str] = []
    sup = figure.get_suptitle()
    if sup:
        parts.append(_line(sup))
    for ax in figure.axes:
        scale = getattr(ax, "_colorbar", None)  # a colour bar names its scale, not axes
        if scale is not None:
            label = _flat(ax.get_ylabel() or ax.get_xlabel())
            if label:
                parts.append(_("Colour scale: {label}.", label=label))
            continue
        title = ax.get_title() or ax.get_title(loc="left")
        x, y = ax.get_xlabel(), ax.get_ylabel()
        named = []
        if x:
            named.append(_("x: {label}", label=_flat(x)))
        if y:
            named.append(_("y: {label}", label=_flat(y)))
        if title:
            parts.append(_line(title))
        if named:
            parts.append(_("Axes {axes}.", axes="; ".join(named)))
        legend = ax.get_legend()
        entries = [t.get_text() for t in legend.get_texts()] if legend is not None else []
        entries = [_flat(e) for e in entries if e.strip()]
        if entries and legend is not None:
            head = _flat(legend.get_title().get_text())
            parts.append(
                _("Legend ({title}): {entries}.", title=head, entries=", ".join(entries))
                if head
                else _("Legend: {entries}.", entries=", ".join(entries))
            )
    return " ".join(parts) or _("A figure of the section above.")


def _flat(text: str) -> str:
    """A figure's text on one line (a title may break over two)."""
    return " ".join(text.split())


def _line(text: str) -> str:
    """A title as a sentence of the alternative text, ending with one full stop."""
    return _flat(text).rstrip(".") + "."


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
        from IPython.core.pylabtools import print_figure
        from IPython.display import Image

        # the figure as the inline backend draws it, with its text alternative in
        # the output's metadata (the leadkit HTML template writes it as the img alt)
        png = print_figure(section.figure, "png", bbox_inches="tight")
        alt = section.alt or figure_alt(section.figure)
        display(Image(data=png, format="png", metadata={"alt": alt}))
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
    # complete once it has its name: the run's workbook reads the tables while other
    # pages write theirs (`analysis.render.workbook.Workbook`)
    tmp = folder / f".{name}.csv.{os.getpid()}.tmp"
    try:
        table.to_csv(tmp, index=False, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
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


def economics(ctx, by: list[str]) -> pd.DataFrame:
    """`unit_economics` of the report's leads and spend by ``by``, with the report's
    settings (interval level, MIN_LEADS, MIN_SALES), on its engine: the one place the
    pages' unit economics come from (the funnel page, the what-if)."""
    from analysis.engine.periods import NO_DATE, TIME_DIMENSIONS
    from analysis.stats.economics import unit_economics

    s = ctx.settings
    table = unit_economics(
        ctx.leads,
        ctx.spend,
        by=by,
        level=s.level,
        min_leads=s.min_leads,
        min_sales=s.min_sales,
        engine=ctx.engine,
    )
    timed = [k for k in by if k in TIME_DIMENSIONS]
    if timed and len(table):  # leads without a creation date: their row comes last
        undated = (table[timed] == NO_DATE).any(axis=1)
        table = pd.concat([table[~undated], table[undated]]).reset_index(drop=True)
    return table
