"""SymPy expressions in symgrad's notation: ``SymgradStrPrinter`` and ``SymgradLatexPrinter``
(names such as ``y1_s2`` as ``y_1^{(2)}``, natural order of terms), and short or factored forms.

>>> import sympy as sp
>>> latex(sp.Symbol("w12")), text(sp.Symbol("x1") * 2)
('w_{12}', '2*x1')
"""
from __future__ import annotations

import re
from functools import lru_cache

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter


SAMPLE = re.compile(r"([A-Za-z]+)(\d*)_s(\d+)\Z")


OF_SAMPLE = re.compile(r"(.+)_s(\d+)\Z")


GRID = re.compile(r"([A-Za-z]+)(\d+)_(\d+)\Z")


NESTED = re.compile(r"([A-Za-z]+)_([A-Za-z][A-Za-z0-9_]*)\Z")


def natural_key(text: str) -> tuple:
    """Digits compare as numbers: ``w2`` before ``w10``.

    >>> sorted(["w10", "w9", "x1"], key=natural_key)
    ['w9', 'w10', 'x1']
    """
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part)


def ordered_terms(expr: sp.Add) -> list:
    """The terms of a sum as a reader expects them: positive terms first, then
    negative ones, each in numbering order of their symbols, numbers last
    (``w9*y3 + w10*y4``, ``y1 - t1``, ``x + 1``)."""
    def key(term):
        negative = term.could_extract_minus_sign()
        body = (-term if negative else term).as_coeff_Mul()[1]   # 2*w5*y1 sorts as w5*y1
        return (negative, body.is_number, natural_key(_plain(body)))

    return sorted(expr.args, key=key)


@lru_cache(maxsize=4096)
def _plain(expr) -> str:
    """SymPy's own text of ``expr`` (the sort key of a term; cached: nested sums ask for the same terms again)."""
    return sp.sstr(expr)


class SymgradStrPrinter(StrPrinter):
    """SymPy's text printer with sums in reading order (what ``sympify`` reads back is unchanged)."""

    def _as_ordered_terms(self, expr, order=None):
        return ordered_terms(expr)


class SymgradLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with symgrad's notation: ``x1_s2`` is
    ``x_1^{(2)}``, ``delta_y3`` is ``\\delta_{y_3}``, ``sigma'(z)`` for the
    derivative of the undefined activation, ``H_0(z)`` for a step slope."""

    printmethod = "_latex"
    MEMO_LIMIT = 100_000   # sub-expressions whose LaTeX one printer keeps (long-lived printers are bounded)

    def __init__(self, settings=None):
        super().__init__(settings)
        self._memo: dict = {}

    def _print(self, expr, **kwargs) -> str:
        """Each sub-expression printed once (a deep network's gradients share them)."""
        if kwargs or not isinstance(expr, sp.Basic):
            return super()._print(expr, **kwargs)
        if expr not in self._memo:
            if len(self._memo) > self.MEMO_LIMIT:
                self._memo.clear()
            self._memo[expr] = super()._print(expr)
        return self._memo[expr]

    def _as_ordered_terms(self, expr, order=None):
        return ordered_terms(expr)

    def _print_Symbol(self, expr, style="plain"):
        name = expr.name
        if m := SAMPLE.match(name):
            index = "_{%s}" % m.group(2) if m.group(2) else ""
            return "%s%s^{(%s)}" % (self._base(m.group(1)), index, m.group(3))
        if m := OF_SAMPLE.match(name):   # z_a1_s2: z_{a_1} of sample 2
            return "%s^{(%s)}" % (self._print(sp.Symbol(m.group(1))), m.group(2))
        if m := GRID.match(name):
            return "%s_{%s,%s}" % (self._base(m.group(1)), m.group(2), m.group(3))
        if m := NESTED.match(name):
            return "%s_{%s}" % (self._base(m.group(1)), self._print(sp.Symbol(m.group(2))))
        return super()._print_Symbol(expr, style)

    def _base(self, name: str) -> str:
        return super()._print_Symbol(sp.Symbol(name))

    def _print_Subs(self, expr):
        inner, (var,), (point,) = expr.args
        if isinstance(inner, sp.Derivative) and isinstance(inner.expr, sp.core.function.AppliedUndef):
            return r"%s'\left(%s\right)" % (self._print(sp.Symbol(inner.expr.func.__name__)), self._print(point))
        return super()._print_Subs(expr)

    def _print_Derivative(self, expr):
        inner = expr.expr
        if isinstance(inner, sp.core.function.AppliedUndef) and len(expr.variables) == 1:
            return r"%s'\left(%s\right)" % (self._print(sp.Symbol(inner.func.__name__)), self._print(expr.variables[0]))
        return super()._print_Derivative(expr)

    def _print_Heaviside(self, expr, exp=None):
        z, at_zero = expr.args if len(expr.args) == 2 else (expr.args[0], sp.S.Half)
        tex = r"H_{%s}\left(%s\right)" % (self._print(at_zero), self._print(z))
        return tex if exp is None else r"%s^{%s}" % (tex, exp)


def latex(expr, **settings) -> str:
    """LaTeX of a SymPy expression in symgrad's notation."""
    return SymgradLatexPrinter(settings).doprint(expr)


def text(expr) -> str:
    """Plain text that ``sympy.sympify`` reads back, sums in reading order.

    >>> w9, w10, y3, y4, y1, t1 = sp.symbols("w9 w10 y3 y4 y1 t1")
    >>> text(w10 * y4 + w9 * y3), text(y1 - t1)
    ('w9*y3 + w10*y4', 'y1 - t1')
    """
    return SymgradStrPrinter().doprint(expr)


TEXT_LIMIT = 400  # characters of an expression in a proof's text; --json has every one in full


FACTOR_OPS = 40   # operations of a gradient up to which its factored form is shown too (a longer one is long anyway)


def factored(expr) -> sp.Expr | None:
    """``expr``, a short polynomial, with the common factors of its sums
    pulled out, when that reads shorter (``a*(a*x1 + a*x2)`` is
    ``a**2*(x1 + x2)``), else None.  An exact rewriting (SymPy's
    ``factor_terms``), shown beside the form it came from; inside functions
    (``tanh(a*x1 + a*x2)``) it would only lengthen the page.

    >>> a, x1, x2 = sp.symbols("a x1 x2")
    >>> factored(a * (a * x1 + a * x2)), factored(a * x1), factored(x1 / 3 - 2 * x2 / 3)
    (a**2*(x1 + x2), None, None)
    """
    ops = sp.count_ops(expr)
    if ops > FACTOR_OPS or not expr.is_polynomial():
        return None
    tidy = sp.factor_terms(expr)
    pulled = [f for f in sp.Mul.make_args(tidy) if not f.is_Number and not f.is_Add]   # a**2, not just 1/3
    return tidy if tidy != expr and pulled and sp.count_ops(tidy) < ops else None


def with_factored(expr) -> list:
    """``[expr]``, and its factored form after it when that reads shorter."""
    tidy = factored(expr)
    return [expr] if tidy is None else [expr, tidy]


def short_text(expr, limit: int = TEXT_LIMIT) -> str:
    """``text(expr)``, or a note of its length when longer than ``limit``.

    >>> short_text(sp.Symbol("x") + 1), short_text(sp.Symbol("x") + 1, limit=3)
    ('x + 1', '(an expression of 5 characters: see --json or the report)')
    """
    shown = text(expr)
    return shown if len(shown) <= limit else f"(an expression of {len(shown):,} characters: see --json or the report)"


def latex_text(prose: str) -> str:
    """Prose safe inside ``\\text{...}``."""
    special = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
               "%": r"\%", "_": r"\_", "^": r"\^{}", "~": r"\~{}"}
    return "".join(special.get(c, c) for c in prose)
