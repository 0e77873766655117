r"""Typesetting for reports: expressions printed with symgrad's LaTeX printer
and broken into lines that fit the page, equation blocks with long values
named, and lists of parameters.  Pure functions of what they are given.

>>> partial(sp.Symbol("L"), sp.Symbol("w1"))
'\\partial L/\\partial w_{1}'
"""
from __future__ import annotations

import sympy as sp

from ..maths.backends import SYMBOLIC
from ..maths.backprop import run
from ..model.nodes import FUNCTION
from ..present.expressions import latex
from .breaking import lines, widest_piece, width
from .environment import TeX


PAGE = 70       # the width of a display line, in breaking.width's characters
TOO_LONG = 700  # an expression wider than this in all is not printed
MAX_ROWS = 60   # parameters beyond which per-parameter listings are cut


def tex(expr) -> TeX:
    return TeX(latex(expr))


def broken(expr, limit: float = PAGE - 12) -> list[TeX] | None:
    """``expr`` in lines at most ``limit`` wide, or None if it cannot fit."""
    if width(latex(expr)) > TOO_LONG or widest_piece(expr) > limit:
        return None
    return [TeX(line) for line in lines(expr, limit)]


def block(rows, names: dict | None = None) -> list[dict]:
    """Rows ``(lhs, expr)`` of one aligned display, broken to fit beside the
    widest lhs.  A row too long to print is written with named sub-expressions
    where ``names`` (value -> symbol, such as the network's ``y3`` and ``z3``)
    make it fit, and the names used are defined in rows after it ("where ...")."""
    limit = PAGE - max((width(lhs) for lhs, _ in rows), default=0) - 3
    out, used = [], {}
    for lhs, expr in rows:
        shown = broken(expr, limit)
        if shown is None and names:
            folded = expr.xreplace(names)
            shown = broken(folded, limit)
            if shown is None:   # a softmax output inside a longer product: named by algebraic substitution
                folded = folded.subs(_products(names))
                shown = broken(folded, limit)
            if shown is not None:
                used.update(_names_in(folded, names))
        out.append({"lhs": lhs, "lines": shown})
    order = {s: k for k, s in enumerate((names or {}).values())}   # the network's order: z1, y1, z2, ...
    for k, (symbol, value) in enumerate(sorted(used.items(), key=lambda kv: order[kv[0]])):
        label = TeX((r"\text{where } " if k == 0 else "") + latex(symbol))
        out.append({"lhs": label, "lines": broken(value.xreplace({v: s for v, s in names.items() if s != symbol}),
                                                  limit)})
    return out


def _products(names: dict) -> list:
    """The named values that are products (``exp(z1)/(exp(z1) + exp(z2))``),
    written with the other names, each with its symbol: ``subs`` finds them
    inside longer products, where ``xreplace`` cannot."""
    return [(folded, symbol) for value, symbol in names.items()
            for folded in [value.xreplace({v: s for v, s in names.items() if v != value})] if folded.is_Mul]


def _names_in(expr, names: dict) -> dict:
    """The named sub-expressions ``expr`` uses, and those their definitions use (symbol -> value)."""
    values = {s: v for v, s in names.items()}
    found: dict = {}
    todo = [s for s in expr.free_symbols if s in values]
    while todo:
        symbol = todo.pop()
        if symbol not in found:
            found[symbol] = values[symbol]
            inner = values[symbol].xreplace({v: s for v, s in names.items() if s != symbol})
            todo += [s for s in inner.free_symbols if s in values]
    return found


def node_names(net, params) -> dict:
    """Each neuron's value and pre-activation, and each function's value (a
    softmax output), at ``params`` -> its symbol (``y3``, ``z3``; with several
    samples, per sample: ``y3_s2`` is y3 of sample 2), for naming sub-expressions."""
    names = {}
    several = len(net.samples) > 1
    for k, sample in enumerate(net.samples, 1):
        passed = run(net, SYMBOLIC, params, sample)
        named = [(passed.pres[j], net.pre_symbol(j)) for j in net.neurons]
        named += [(passed.values[j], net.nodes[j].symbol) for j in net.neurons]
        named += [(passed.values[j], node.symbol) for j, node in enumerate(net.nodes)
                  if node.kind == FUNCTION and j != net.objective]
        for value, symbol in named:
            if isinstance(value, sp.Expr) and not value.is_Atom:
                names.setdefault(value, sp.Symbol(f"{symbol.name}_s{k}") if several else symbol)
    return names


def partial(objective, parameter) -> TeX:
    return TeX(r"\partial %s/\partial %s" % (latex(objective), latex(parameter)))


def partials(objective, params) -> TeX:
    """``dL/dw1 = dL/dw2``, or ``dL/dw5 = ... = dL/dw8`` for longer classes."""
    shown = [partial(objective, p) for p in params]
    return TeX(" = ".join(shown) if len(shown) <= 2 else rf"{shown[0]} = \dots = {shown[-1]}")


def members(params, limit: int = 4) -> TeX:
    """``w1 = w2 = w3``, or ``w5 = ... = w18`` for longer classes."""
    shown = [latex(p) for p in params]
    return TeX(" = ".join(shown) if len(shown) <= limit else rf"{shown[0]} = \dots = {shown[-1]}")


def listing(params) -> TeX:
    """``$w_1$, $w_2$, ...``: separate formulas, so the line may break between them."""
    return TeX(", ".join(f"${latex(p)}$" for p in params))


def chain(steps: list, limit: float) -> tuple[list[TeX], int]:
    """Equal expressions packed into lines, ``a = b = c`` while they fit; each
    line after the first starts with ``=`` (or continues a long step).  Returns
    the lines and how many steps they show (a step that cannot fit ends the chain)."""
    lines: list[str] = []
    shown = 0
    for step in steps:
        parts = broken(step, limit - 2)
        if parts is None:
            break
        shown += 1
        if len(parts) == 1 and lines and width(lines[-1]) + width(parts[0]) + 2 <= limit:
            lines[-1] += " = " + parts[0]
        else:
            lines += [("= " if lines else "") + parts[0]] + [r"\quad " + p for p in parts[1:]]
    return [TeX(line) for line in lines], shown
