"""SymPy functions that symgrad adds: the perceptron's decision and the
undefined activation with its derivative.

``phi`` is the perceptron's decision, ``phi(z) = 1 if z >= 0 else -1``.  SymPy
cannot see that ``phi(eta*z) == phi(z)`` for ``eta > 0``; ``phi`` knows it:
positive factors drop out of its argument.

>>> import sympy as sp
>>> eta = sp.Symbol("eta", positive=True)
>>> z = sp.Symbol("z")
>>> phi(3*eta*z), phi(0), phi(-2)
(phi(z), 1, -1)
"""
from __future__ import annotations

import sympy as sp


class phi(sp.Function):
    """The perceptron's decision: 1 where the argument is >= 0, else -1."""

    nargs = 1

    @classmethod
    def eval(cls, z):
        if z.is_extended_nonnegative:
            return sp.S.One
        if z.is_extended_negative:
            return sp.S.NegativeOne
        if z.is_Mul:
            kept = [f for f in z.args if not f.is_positive]
            if len(kept) < len(z.args):
                return cls(sp.Mul(*kept))
        return None

    def fdiff(self, argindex=1):
        """Zero almost everywhere: the perceptron rule treats phi as constant."""
        return sp.S.Zero

    def _latex(self, printer):
        return r"\varphi\left(%s\right)" % printer._print(self.args[0])


XI = sp.Dummy("xi")
SIGMA = sp.Function("sigma")
_SIGMA_SLOPE = sp.diff(SIGMA(XI), XI)


def sigma_slope(z: sp.Expr) -> sp.Expr:
    """sigma'(z) in SymPy's own notation, the form ``sympy.diff`` produces;
    kept as ``Subs`` even at a symbol, so that substituting into it is safe.

    >>> import sympy as sp
    >>> w, x = sp.symbols("w x")
    >>> sigma_slope(w*x) == sp.diff(SIGMA(w*x), w) / x
    True
    """
    return sp.Subs(_SIGMA_SLOPE, XI, z)
