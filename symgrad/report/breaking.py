"""Long expressions broken across lines for the page.

``pieces`` cuts an expression's LaTeX at the places a line may break:
between the terms of a sum, between the long factors of a product, and
inside the parentheses of a long sum or function argument (written with
``\\bigl( ... \\bigr)``, which need not balance on one line).  ``lines``
packs the pieces greedily into lines of a given width, measured by
``width``, an estimate of the printed width in characters.

>>> import sympy as sp
>>> x = sp.symbols("x1:9")
>>> lines(sum(x), limit=14)
['x_{1} + x_{2} + x_{3} + x_{4}', '+ x_{5} + x_{6} + x_{7} + x_{8}']
"""
from __future__ import annotations

import re

import sympy as sp

from ..printing import SymgradLatexPrinter

_PRINTER = SymgradLatexPrinter()
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[{}^_]|\s+|.")
ZERO_WIDTH = {r"\left", r"\right", r"\bigl", r"\bigr", r"\Bigl", r"\Bigr", r"\limits", r"\displaystyle", r"\mathrm",
              r"\operatorname", r"\text"}
NAMED = {r"\max": 3, r"\min": 3, r"\log": 3, r"\exp": 3, r"\tanh": 4, r"\sin": 3, r"\cos": 3, r"\quad": 2,
         r"\qquad": 4, r"\,": 0.3, r"\;": 0.5, r"\cdots": 2.5, r"\ldots": 2.5}
SPACED = {"+": 1.8, "-": 1.8, "=": 2.0, ",": 0.8}
MARK = sp.Symbol("QQMARKQQ")


def width(tex: str) -> float:
    """The printed width of ``tex`` in characters (an estimate: fractions take
    their wider part, scripts count 0.7)."""
    tokens = [t for t in _TOKEN.findall(tex) if not t.isspace()]
    return _width(tokens, 0, len(tokens))[0]


def _group(tokens, i):
    """The width of the group or token at ``i``, and the index after it."""
    if i >= len(tokens):
        return 0.0, i
    if tokens[i] == "{":
        depth, j = 1, i + 1
        while j < len(tokens) and depth:
            depth += {"{": 1, "}": -1}.get(tokens[j], 0)
            j += 1
        return _width(tokens, i + 1, j - 1)[0], j
    return _width(tokens, i, i + 1)[0], i + 1


def _width(tokens, i, end):
    total = 0.0
    while i < end:
        t = tokens[i]
        if t == r"\frac":
            top, i = _group(tokens, i + 1)
            bottom, i = _group(tokens, i)
            total += max(top, bottom) + 0.4
        elif t in ("^", "_"):
            inner, i = _group(tokens, i + 1)
            total += 0.7 * inner
        elif t == "{":
            inner, i = _group(tokens, i)
            total += inner
        elif t in ZERO_WIDTH or t == "}":
            i += 1
        else:
            total += NAMED.get(t, SPACED.get(t, 1.0))
            i += 1
    return total, i


def _tex(expr) -> str:
    return _PRINTER.doprint(expr)


def _wrap(inner: list[str], prefix: str, suffix: str) -> list[str]:
    if len(inner) == 1:
        return [prefix + inner[0] + suffix]
    return [prefix + inner[0], *inner[1:-1], inner[-1] + suffix]


def _sum_pieces(expr) -> list[str]:
    out: list[str] = []
    for k, term in enumerate(_PRINTER._as_ordered_terms(expr)):
        parts = pieces(term)
        if k and parts[0].startswith("-"):
            parts[0] = "- " + parts[0][1:].lstrip()
        elif k:
            parts[0] = "+ " + parts[0]
        out += parts
    return out


def _product_pieces(expr, short: float) -> list[str]:
    coeff, factors = expr.as_coeff_mul()
    small = [f for f in factors if width(_tex(f)) <= short]
    large = [f for f in factors if width(_tex(f)) > short]
    if not large:
        return [_tex(expr)]
    head = _tex(sp.Mul(coeff, *small)) if small else ("-" if coeff == -1 else "" if coeff == 1 else _tex(coeff))
    out: list[str] = []
    for k, factor in enumerate(large):
        inner = pieces(factor)
        if isinstance(factor, sp.Add):
            inner = _wrap(inner, r"\bigl(", r"\bigr)")
        out += _wrap(inner, (head + " " if head else "") if k == 0 else r"\cdot ", "")
    return out


def _argument_pieces(expr, short: float) -> list[str] | None:
    """``f(long argument)`` opened inside its parentheses, or None."""
    args = [a for a in expr.args if isinstance(a, sp.Expr) and width(_tex(a)) > short]
    if len(args) != 1:
        return None
    tex = _tex(expr.xreplace({args[0]: MARK}))
    mark = _tex(MARK)
    if tex.count(mark) != 1:
        return None
    before, after = tex.split(mark)
    if not (before.endswith(r"\left(") and after.startswith(r"\right)")):
        return None
    return _wrap(pieces(args[0]), before[: -len(r"\left(")] + r"\bigl(", r"\bigr)" + after[len(r"\right)"):])


def pieces(expr: sp.Expr, short: float = 22) -> list[str]:
    """LaTeX fragments of ``expr`` with a possible line break between each two."""
    tex = _tex(expr)
    if width(tex) <= short:
        return [tex]
    if isinstance(expr, sp.Add):
        return _sum_pieces(expr)
    if isinstance(expr, sp.Mul):
        return _product_pieces(expr, short)
    if isinstance(expr, (sp.Function, sp.Subs)) or type(expr).__name__ in ("Max", "Min", "Heaviside"):
        opened = _argument_pieces(expr, short)
        if opened:
            return opened
    return [tex]


def lines(expr: sp.Expr, limit: float = 60) -> list[str]:
    """``expr``'s LaTeX in lines at most ``limit`` wide (a single piece wider
    than that stays whole)."""
    out: list[str] = []
    current = ""
    for piece in pieces(expr):
        if current and width(current) + width(piece) > limit:
            out.append(current)
            current = piece
        else:
            current = f"{current} {piece}".strip()
    if current:
        out.append(current)
    return out


def widest_piece(expr: sp.Expr) -> float:
    """The width of the widest unbreakable piece of ``expr``."""
    return max(width(p) for p in pieces(expr))
