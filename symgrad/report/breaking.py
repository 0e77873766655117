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
from functools import lru_cache

import sympy as sp
from sympy.printing.precedence import PRECEDENCE

from ..present.expressions import SymgradLatexPrinter

_PRINTER = SymgradLatexPrinter()
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[{}^_]|\s+|.")
ZERO_WIDTH = {r"\left", r"\right", r"\bigl", r"\bigr", r"\Bigl", r"\Bigr", r"\limits", r"\displaystyle", r"\mathrm",
              r"\operatorname", r"\text"}
NAMED = {r"\max": 3, r"\min": 3, r"\log": 3, r"\exp": 3, r"\tanh": 4, r"\sin": 3, r"\cos": 3, r"\quad": 2,
         r"\qquad": 4, r"\,": 0.3, r"\;": 0.5, r"\cdots": 2.5, r"\ldots": 2.5}
SPACED = {"+": 1.8, "-": 1.8, "=": 2.0, ",": 0.8}
MARK = sp.Symbol("QQMARKQQ")
FRACTION = 56   # a product with a denominator up to this wide is printed whole, as a fraction


@lru_cache(maxsize=65536)
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


@lru_cache(maxsize=65536)
def _tex(expr) -> str:
    """LaTeX of ``expr`` (cached: breaking asks for the same pieces again, at every depth)."""
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
    if any(f.is_Pow and f.exp.is_negative for f in factors) and width(_tex(expr)) <= FRACTION:
        return [_tex(expr)]   # a fraction that fits stays a fraction, not "e^a \frac{1}{...}"
    small = [f for f in factors if width(_tex(f)) <= short]
    large = [f for f in factors if width(_tex(f)) > short]
    head = _chunks(coeff, small, float("inf"))[0] if small else ("-" if coeff == -1 else "" if coeff == 1 else _tex(coeff))
    out: list[str] = []
    if width(head) > short and len(small) > 1:   # many short factors: a line may break between them too
        out, head = _chunks(coeff, small, short), ""
    if not large:
        return out or [_tex(expr)]
    for k, factor in enumerate(large):
        inner = pieces(factor)
        if isinstance(factor, sp.Add):
            inner = _wrap(inner, r"\bigl(", r"\bigr)")
        out += _wrap(inner, (head + " " if head else "") if k == 0 and not out else r"\cdot ", "")
    return out


def _chunks(coeff, factors: list, short: float) -> list[str]:
    """Short factors packed into pieces about ``short`` wide (a product may break between them)."""
    out: list[str] = []
    group: list[str] = []
    for factor in factors:
        shown = _PRINTER.parenthesize(factor, PRECEDENCE["Mul"], strict=False)   # (1 - h^2) keeps its parentheses
        if group and width(" ".join([*group, shown])) > short:
            out.append(" ".join(group))
            group = []
        group.append(shown)
    out.append(" ".join(group))
    lead = "-" if coeff == -1 else "" if coeff == 1 else _tex(coeff)
    out[0] = f"{lead} {out[0]}".strip() if lead != "-" else "-" + out[0]
    return [out[0]] + [r"\cdot " + piece for piece in out[1:]]


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
