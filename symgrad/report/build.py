"""Render the reports of every built-in example: ``python -m symgrad.report.build [--pdf] DIR``.

Writes ``DIR/NAME.tex`` for each example (the committed sources) and, with
``--pdf``, ``DIR/NAME.pdf`` as well when a TeX engine is installed.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..base.errors import NoTeX, TeXError
from ..specs.examples import REGISTRY
from . import figures_by_file, render, write_tex
from .compile import compile_pdf, tex_engine
from .content import example_context


def build(directory: Path, pdf: bool, names=None) -> int:
    """Render (and compile) the examples' reports; returns an exit status."""
    if pdf and tex_engine() is None:
        print("symgrad: no TeX engine found: writing .tex files only "
              "(install one with `sh scripts/install-tex.sh`, then run `make reports`)", file=sys.stderr)
        pdf = False
    status = 0
    for name in names or REGISTRY:
        start = time.perf_counter()
        context = example_context(REGISTRY[name])
        write_tex(context, directory / f"{name}.tex")
        done = f"{name}.tex"
        if pdf:
            try:
                compile_pdf(render(context), directory / f"{name}.pdf", figures_by_file(context))
                done += f", {name}.pdf"
            except (TeXError, NoTeX) as error:
                print(f"symgrad: {name}: {error}", file=sys.stderr)
                status = 1
        print(f"{directory}/{done} ({time.perf_counter() - start:.1f} s)", flush=True)
    return status


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m symgrad.report.build", description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--pdf", action="store_true", help="also compile PDFs")
    parser.add_argument("names", nargs="*", help="only these examples")
    args = parser.parse_args(argv)
    return build(args.directory, args.pdf, args.names)


if __name__ == "__main__":
    sys.exit(main())
