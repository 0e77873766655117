"""Deciding whether two expressions are equal, by canonical form only.

``decide(a, b)`` returns True when a canonical form proves ``a == b``: the
expressions are identical after SymPy's automatic simplification, or their
difference expands (deeply, inside function arguments too) to 0, or cancels
to 0 as a rational function of its atoms.  It returns None ("undecided")
otherwise: this module never proves a difference (``symgrad.witness`` does,
by an exact or rigorously enclosed value at a point) and never reports
equality by sampling.

>>> import sympy as sp
>>> a, x1, x2 = sp.symbols("a x1 x2")
>>> decide(a*(x1 + x2), a*x1 + a*x2), decide(a*x1, a*x2)
(True, None)
>>> decide(sp.tanh(a*(x1 + x2)), sp.tanh(a*x1 + a*x2))
True
"""
from __future__ import annotations

import sympy as sp


def is_zero(e: sp.Expr) -> bool | None:
    """True if a canonical form of ``e`` is 0; None if none decides."""
    if e == 0:
        return True
    if e.is_number and e.is_zero is False:
        return None
    expanded = sp.expand(e)
    if expanded == 0:
        return True
    try:
        if sp.cancel(sp.together(expanded)) == 0:
            return True
    except (sp.PolynomialError, TypeError, ValueError):
        pass
    return None


def decide(a: sp.Expr, b: sp.Expr) -> bool | None:
    """True if ``a == b`` is proven by canonical form, else None."""
    if a == b:
        return True
    return is_zero(a - b)
