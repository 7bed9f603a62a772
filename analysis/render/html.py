"""Executed notebooks to self-contained HTML pages: no code, no script, figures embedded,
with links to the run's other pages and a table of contents.
"""

from __future__ import annotations

import html as html_lib
from pathlib import Path
from typing import Any

from analysis.base.files import write_atomic
from analysis.base.i18n import _, markdown, use_language
from analysis.base.paths import TEMPLATES_DIR

__all__ = ["render_html"]


#: Cells with this tag run (nbval checks their plain-text output) but stay out of the HTML.
HIDE_TAG = "report-hide"


def notebook_title(notebook: Any) -> str:
    """The first ``# Heading`` of a notebook (a path or a loaded notebook)."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4) if isinstance(notebook, str | Path) else notebook
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            return cell.source.splitlines()[0].lstrip("# ").strip()
    return Path(str(getattr(notebook, "name", "report"))).stem


#: The tag of the cell the links and contents go under (else the page's title).
CONTENTS_BELOW = "contents-below"


def _contents(nb, pages: list[tuple[str, str]] | None, current: str) -> None:
    """Give every ``##``/``###`` heading an anchor and put, under the page's title (or
    the cell tagged `CONTENTS_BELOW`), a line of links to the run's other pages and a
    table of contents of this one."""
    entries: list[tuple[int, str, str]] = []
    for cell in nb.cells:
        if cell.cell_type != "markdown" or "report-hide" in cell.metadata.get("tags", []):
            continue
        lines = cell.source.splitlines()
        for i, line in enumerate(lines):
            level = len(line) - len(line.lstrip("#"))
            if level in (2, 3) and line[level : level + 1] == " ":
                anchor = f"section-{len(entries) + 1}"
                text = line[level:].strip()
                entries.append((level, text, anchor))
                lines[i] = f'{"#" * level} <a id="{anchor}"></a>{text}'
        cell.source = "\n".join(lines)
    parts = []
    if pages:
        links = [
            f"**{html_lib.escape(title)}**"
            if name == current
            else f'<a href="{name}.html">{html_lib.escape(title)}</a>'
            for name, title in pages
        ]
        parts.append(_("Report pages: {links}", links=" · ".join(links)))
    if entries:
        contents = _("Contents")
        parts.append(
            f"**{contents}**\n\n"
            + "\n".join(
                f'{"    " if level == 3 else ""}- <a href="#{anchor}">{html_lib.escape(text)}</a>'
                for level, text, anchor in entries
            )
        )
    if not parts:
        return
    import nbformat

    cell = nbformat.v4.new_markdown_cell("\n\n".join(parts))
    cell.metadata["tags"] = ["leadkit-contents"]
    # under the page's title, or under the cell tagged contents-below (the executive
    # summary's conclusion, which a reader sees first)
    below = next(
        (i for i, c in enumerate(nb.cells) if CONTENTS_BELOW in c.metadata.get("tags", [])),
        None,
    )
    first = next(
        (i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source[:2] == "# "),
        -1,
    )
    nb.cells.insert((first if below is None else below) + 1, cell)


def render_html(
    notebook: Path,
    html: Path,
    pages: list[tuple[str, str]] | None = None,
    language: str = "en",
) -> Path:
    """Render an executed notebook to HTML without code cells, all figures embedded,
    as a page in ``language`` (its ``<html lang>``).

    ``pages`` — ``(name, title)`` of every page of the run, in order — adds a line of
    links between them; every page also gets a table of contents of its sections. The
    file is written under a temporary name and renamed, so it is never half-written.
    """
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(template_name="leadkit", extra_template_basedirs=[str(TEMPLATES_DIR)])
    exporter.language_code = language
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    # cells tagged report-hide (plain-text checks for nbval) run but are not shown
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={HIDE_TAG}, enabled=True), enabled=True
    )
    nb = nbformat.read(notebook, as_version=4)
    with use_language(language):
        # the notebook's own words (headings, introductions) in the page's language
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = markdown(cell.source)
        nb.metadata["title"] = notebook_title(nb)
        # a page's title is its notebook's heading, a piece of the catalogue as it is
        titles = [(name, _(title)) for name, title in pages or ()]
        _contents(nb, titles or None, Path(notebook).stem)
    body, _resources = exporter.from_notebook_node(nb)
    write_atomic(html, body)
    return html
