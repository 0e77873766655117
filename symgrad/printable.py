"""The one way symgrad's objects print, as SymPy's own ``Printable`` does.

A class that inherits ``Printable`` prints in a terminal (``str``), as a
short summary (``repr``), in Jupyter (``_repr_latex_``) and inside
``sympy.latex`` (the ``_latex`` hook), each through the printers of
``symgrad.printing``, which have one method per class (``_print_Proof``,
``_print_Network``, ...).  The printers sit above the objects they print,
so they are imported when something is first printed.

>>> import symgrad as sg
>>> sg.Constant("a")
<Constant: every weight equal to a>
"""
from __future__ import annotations


class Printable:
    """str, repr and LaTeX for symgrad's objects, from ``symgrad.printing``."""

    __slots__ = ()

    def __str__(self) -> str:
        return _printing().TEXT.doprint(self)

    def __repr__(self) -> str:
        return _printing().SHORT.doprint(self)

    def _latex(self, printer=None) -> str:
        return _printing().LATEX.doprint(self)

    def _repr_latex_(self) -> str:
        return f"${self._latex()}$"


def _printing():
    from . import printing   # the layer above: imported when the first object is printed

    return printing
