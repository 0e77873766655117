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

from pathlib import Path

from ..errors import NoTeX, SymgradError
from .compile import compile_pdf, write_atomic
from .environment import env


def render(context: dict) -> str:
    """The LaTeX source of a report."""
    return env().get_template("report.tex.jinja").render(**context).lstrip("\n")


def write_report(context: dict, output) -> Path:
    """Write the report to ``output`` (``.tex`` or ``.pdf``); returns the path
    written.  For a PDF without a TeX engine, writes the ``.tex`` beside it
    and raises ``NoTeX``; a failed compilation raises ``TeXError``."""
    output = Path(output)
    if output.suffix not in (".tex", ".pdf"):
        raise SymgradError(f"the report must be a .tex or .pdf file, not {output.name!r}")
    source = render(context)
    if output.suffix == ".tex":
        write_tex(output, source, context.get("assets", {}))
        return output
    try:
        compile_pdf(source, output, context.get("assets"))
    except NoTeX:
        write_tex(output.with_suffix(".tex"), source, context.get("assets", {}))
        raise
    return output


def write_tex(output: Path, source: str, assets: dict) -> None:
    """The LaTeX source and the files it includes, each written atomically."""
    for name, data in assets.items():
        write_atomic(output.parent / name, data)
    write_atomic(output, source)
