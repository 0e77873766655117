"""The one way symgrad's objects print, as SymPy's own ``Printable`` does.

A class that inherits ``Printable`` prints in a terminal (``str``), as a
short summary (``repr``), in Jupyter (``_repr_latex_``) and inside
``sympy.latex`` (the ``_latex`` hook), each through the printers of
``symgrad.present``, which have one method per class (``_print_Proof``,
``_print_Network``, ...).  The printers sit in an outer layer that the
objects never import: they reach them through the lazy public face
``symgrad`` (which loads ``symgrad.present`` when something is first
printed, as it loads every public name).

>>> import symgrad as sg
>>> sg.Constant("a")
<Constant: every weight equal to a>
"""
from __future__ import annotations

import symgrad   # the lazy public face (importing it loads nothing): its printers load on first use


class Printable:
    """str, repr and LaTeX for symgrad's objects, from ``symgrad.present``."""

    __slots__ = ()

    def __str__(self) -> str:
        return symgrad.present.TEXT.doprint(self)

    def __repr__(self) -> str:
        return symgrad.present.SHORT.doprint(self)

    def _latex(self, printer=None) -> str:
        return symgrad.present.LATEX.doprint(self)

    def _repr_latex_(self) -> str:
        return f"${self._latex()}$"
