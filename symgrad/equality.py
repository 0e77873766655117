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


EXPAND_LIMIT = 3000  # tree size up to which a difference is expanded
CANCEL_LIMIT = 300   # ... and up to which its expansion is brought to lowest terms


def size(e: sp.Basic, limit: int) -> int:
    """The number of nodes of ``e``'s tree, counting no further than ``limit``."""
    count, stack = 0, [e]
    while stack and count <= limit:
        node = stack.pop()
        count += 1
        stack.extend(node.args)
    return count


def is_zero(e: sp.Expr) -> bool | None:
    """True if a canonical form of ``e`` is 0; None if none decides.

    Expansion and cancellation cost grows fast with the expression, so they
    are tried only up to a size: beyond it the answer is None ("undecided"),
    never a guess.
    """
    if e == 0:
        return True
    if e.is_number and e.is_zero is False or size(e, EXPAND_LIMIT) > EXPAND_LIMIT:
        return None
    if _expands_to_zero(e):
        return True
    return _zero_by_signs(e)


def _expands_to_zero(e: sp.Expr) -> bool:
    expanded = sp.expand(e)
    if expanded == 0:
        return True
    if size(expanded, CANCEL_LIMIT) > CANCEL_LIMIT:
        return False
    try:
        return sp.cancel(sp.together(expanded)) == 0
    except (sp.PolynomialError, TypeError, ValueError):
        return False


PIECEWISE = (sp.Heaviside, sp.Max, sp.Min, sp.Abs, sp.sign, sp.Piecewise)
CASE_LIMIT = 4   # piecewise functions in one expression up to which its cases are enumerated


def real_symbols(e: sp.Expr) -> dict:
    """A real stand-in for every free symbol of ``e`` not yet known to be real
    (weights, inputs, targets and constants of a network are real numbers),
    keeping the other assumptions (positive, integer, ...)."""
    return {s: sp.Dummy(s.name, real=True, **{k: v for k, v in s.assumptions0.items() if k != "commutative"})
            for s in e.free_symbols if isinstance(s, sp.Symbol) and s.is_real is None}


def _zero_by_signs(e: sp.Expr) -> bool | None:
    """Sign and case reasoning for piecewise functions, every symbol real:
    ``Heaviside(u)`` and ``Max(0, u)`` settle where the sign of ``u`` is
    known (a dead ReLU: ``u = -sigmoid(x) < 0``), and what remains is split
    into cases (``z*Heaviside(z) - Max(0, z)`` is 0 in each).

    >>> z, x = sp.symbols("z x")
    >>> _zero_by_signs(z * sp.Heaviside(z, 0) - sp.Max(0, z)), _zero_by_signs(sp.Heaviside(-1 / (1 + sp.exp(-x)), 0) * x)
    (True, True)
    >>> _zero_by_signs(sp.Heaviside(x, 0) * x) is None
    True
    """
    if not e.has(*PIECEWISE):
        return None
    try:
        real = e.xreplace(real_symbols(e))
        if real == 0 or _expands_to_zero(real):
            return True
        cases = len(real.atoms(*PIECEWISE))
        if cases > CASE_LIMIT or size(real, CANCEL_LIMIT) > CANCEL_LIMIT:   # up to 3 branches each: bounded work
            return None
        folded = sp.piecewise_fold(real.rewrite(sp.Piecewise))
    except (TypeError, ValueError, AttributeError, sp.PolynomialError):
        return None
    if folded == 0:
        return True
    cases = folded.args if isinstance(folded, sp.Piecewise) else ((folded, True),)
    if all(size(expr, EXPAND_LIMIT) <= EXPAND_LIMIT and _expands_to_zero(expr) for expr, _ in cases):
        return True
    return None


def decide(a: sp.Expr, b: sp.Expr) -> bool | None:
    """True if ``a == b`` is proven by canonical form, else None."""
    if a == b:
        return True
    return is_zero(a - b)


def random_point(symbols, rng) -> dict:
    """Random small rationals for ``symbols``, respecting their sign assumptions."""
    from .witness import random_value

    return {s: sp.Rational(q.numerator, q.denominator) for s in symbols for q in [random_value(s, rng)]}


def value_at(e: sp.Expr, point: dict, digits: int = 30):
    """``e`` at ``point``: exact when rational, else a 30-digit float (or None)."""
    v = e.xreplace(point)
    if v.is_Rational:
        return v
    try:
        v = sp.N(v, digits)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return v if v.is_Number else None


def differs_at(a: sp.Expr, b: sp.Expr, point: dict) -> bool:
    """Whether ``a`` and ``b`` provably differ at ``point`` (exactly, or by
    more than the 30-digit evaluation can err)."""
    va, vb = value_at(a, point), value_at(b, point)
    if va is None or vb is None:
        return False
    if va.is_Rational and vb.is_Rational:
        return va != vb
    return abs(va - vb) > sp.Float(10) ** -20 * (1 + abs(va) + abs(vb))


def difference_point(a: sp.Expr, b: sp.Expr, seed: int = 0, tries: int = 12) -> dict | None:
    """A point where ``a`` and ``b`` provably differ, or None if none was found.

    >>> import sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> difference_point(x*y, x + y) is not None, difference_point(x*(y + 1), x*y + x)
    (True, None)
    """
    import random

    rng = random.Random(seed)
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    for _ in range(tries):
        point = random_point(symbols, rng)
        if differs_at(a, b, point):
            return point
    return None


def group_equal(exprs, seed: int = 0) -> list[list[int]]:
    """Indices grouped by equal expression, each equality proven by canonical
    form; expressions that differ at a random point are never compared."""
    import random

    rng = random.Random(seed)
    symbols = sorted(set().union(*(e.free_symbols for e in exprs)), key=str) if exprs else []
    point = random_point(symbols, rng)
    classes: list[list[int]] = []
    reps: dict = {}
    for i, e in enumerate(exprs):
        if e in reps:
            classes[reps[e]].append(i)
            continue
        for k, c in enumerate(classes):
            if not differs_at(e, exprs[c[0]], point) and decide(e, exprs[c[0]]):
                c.append(i)
                reps[e] = k
                break
        else:
            reps[e] = len(classes)
            classes.append([i])
    return classes
