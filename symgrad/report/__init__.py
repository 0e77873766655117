"""Proof reports: LaTeX rendered through Jinja2 templates, and PDFs.

``render(context)`` fills the template with strings already printed by
``symgrad.report.content``; ``write_report`` writes the ``.tex`` and, when a
TeX engine is installed, the PDF, atomically.

>>> from symgrad import examples
>>> from symgrad.report.content import example_context
>>> tex = render(example_context(examples.example("toy")))
>>> tex.startswith("\\\\documentclass") and "w_{9}" in tex
True
"""
from __future__ import annotations

import re
from pathlib import Path

from ..base.errors import NoTeX, SymgradError
from ..base.progress import phase
from .compile import check_target, compile_pdf, write_atomic
from .environment import TeX, env


def figure_files(context: dict, stem: str = "report") -> dict[str, str]:
    """The file name of each figure (by its role, such as ``"trace"``) of the
    report ``stem``: named after the report, never after anything in its input.

    >>> figure_files({"analyses": [{"figure": "trace"}]}, "my report")
    {'trace': 'my_report-trace.pdf'}
    """
    plain = re.sub(r"[^A-Za-z0-9._-]", "_", stem).lstrip(".-") or "report"
    return {a["figure"]: f"{plain}-{a['figure']}.pdf" for a in context["analyses"] if "figure" in a}


def render(context: dict, stem: str = "report") -> str:
    """The LaTeX source of a report that will be saved as ``stem.tex`` (its
    figures are ``stem-ROLE.pdf`` beside it)."""
    phase("typesetting", "typesetting the report")
    figures = {role: TeX(name) for role, name in figure_files(context, stem).items()}
    template = context.get("template", "report.tex.jinja")   # a lint report has its own
    return env().get_template(template).render(**context, figures=figures).lstrip("\n")


def figures_by_file(context: dict, stem: str = "report") -> dict[str, bytes]:
    """The figures' contents, by the file names ``render(context, stem)`` includes."""
    names = figure_files(context, stem)
    return {names[role]: data for role, data in context["assets"].items()}


def write_report(context: dict, output) -> Path:
    """Write the report to ``output`` (``.tex`` or ``.pdf``); returns the path
    written.  For a PDF without a TeX engine, writes the ``.tex`` beside it
    and raises ``NoTeX``; a failed compilation raises ``TeXError``."""
    output = Path(output)
    if output.suffix not in (".tex", ".pdf"):
        raise SymgradError(f"the report must be a .tex or .pdf file, not {output.name!r}")
    check_target(output)
    if output.suffix == ".tex":
        write_tex(context, output)
        return output
    try:
        compile_pdf(render(context), output, figures_by_file(context))
    except NoTeX:
        write_tex(context, output.with_suffix(".tex"))
        raise
    return output


def write_tex(context: dict, output: Path) -> None:
    """The LaTeX source ``output`` and the figures it includes
    (``output``'s name + ``-ROLE.pdf``, beside it), each written atomically."""
    source = render(context, output.stem)
    for name, data in figures_by_file(context, output.stem).items():
        write_atomic(output.parent / name, data)
    write_atomic(output, source)
