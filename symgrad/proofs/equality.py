"""Deciding whether two expressions are equal, by canonical form only.

``decide(a, b)`` returns True when a canonical form proves ``a == b``: the
expressions are identical after SymPy's automatic simplification, or their
difference expands (deeply, inside function arguments too) to 0, or, put
over one denominator, has a numerator that expands to 0.  It returns None ("undecided")
otherwise: this module never proves a difference (``symgrad.proofs.witness`` does,
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

import random

import sympy as sp

from ..maths.points import random_point


EXPAND_LIMIT = 3000  # tree size up to which a difference is expanded
DENOMINATOR_LIMIT = 300   # ... and up to which its expansion is put over one denominator


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
    """Whether ``e`` expands to 0, or its expansion over one denominator has a
    numerator that expands to 0 (no polynomial gcd: SymPy's ``cancel`` spent
    24 s on a 285-node difference of sigmoids).

    >>> x = sp.Symbol("x")
    >>> _expands_to_zero(1 / (x + 1) - x / (x**2 + x)), _expands_to_zero(1 / (x + 1) - 1 / x)
    (True, False)
    """
    expanded = sp.expand(_piecewise_as_symbols(e) if e.has(*PIECEWISE) else e)
    if expanded == 0:
        return True
    if size(expanded, DENOMINATOR_LIMIT) > DENOMINATOR_LIMIT:
        return False
    try:
        return sp.expand(sp.fraction(sp.together(expanded))[0]) == 0
    except (sp.PolynomialError, TypeError, ValueError):
        return False


PIECEWISE = (sp.Heaviside, sp.Max, sp.Min, sp.Abs, sp.sign, sp.Piecewise)
CASE_LIMIT = 81   # sign cases up to which an expression with piecewise functions is split (3 per function)


def _piecewise_as_symbols(e: sp.Expr) -> sp.Expr:
    """``e`` with each piecewise function replaced by a symbol, one per function
    whose arguments expand alike (inner functions first).  Expanding the
    result is expanding ``e`` without rebuilding ``Max`` and ``Heaviside`` at
    every step of every expansion hint (SymPy compares a ``Max``'s arguments
    each time it is built); a result 0 holds whatever values the symbols
    stand for, so ``e`` is 0 too.

    >>> z, w = sp.symbols("z w")
    >>> _piecewise_as_symbols(w * sp.Max(0, z * (w + 1)) - sp.Max(0, z * w + z) * w).expand()
    0
    """
    standing: dict = {}   # a function with expanded arguments -> the symbol it is replaced by
    done: dict = {}
    for f in sorted(e.atoms(*PIECEWISE), key=lambda f: size(f, EXPAND_LIMIT)):
        rebuilt = f.func(*(sp.expand(a.xreplace(done)) for a in f.args))
        done[f] = standing.setdefault(rebuilt, sp.Dummy("f")) if isinstance(rebuilt, PIECEWISE) else rebuilt
    return e.xreplace(done)


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
    by the sign of each argument, innermost first (``z*Heaviside(z) - Max(0, z)``
    is 0 for z > 0, z = 0 and z < 0).  A case is checked without using its
    own sign condition, so a split can only fail to prove, never prove wrongly.

    >>> z, x = sp.symbols("z x")
    >>> _zero_by_signs(z * sp.Heaviside(z, 0) - sp.Max(0, z)), _zero_by_signs(sp.Heaviside(-1 / (1 + sp.exp(-x)), 0) * x)
    (True, True)
    >>> _zero_by_signs(sp.Heaviside(x, 0) * x) is None
    True
    """
    if not e.has(*PIECEWISE) or size(e, DENOMINATOR_LIMIT) > DENOMINATOR_LIMIT:
        return None
    try:
        return True if _zero_in_every_case(e.xreplace(real_symbols(e)), [CASE_LIMIT]) else None
    except (TypeError, ValueError, AttributeError, ZeroDivisionError, sp.PolynomialError):
        return None


def _zero_in_every_case(e: sp.Expr, budget: list) -> bool:
    """Whether ``e`` is 0 in every sign case of its piecewise functions
    (``budget``: the cases still allowed; False once it runs out).  The
    functions whose arguments are proportional to the one split on take
    their branch of the same case."""
    if e == 0:
        return True
    innermost = sorted((f for f in e.atoms(*PIECEWISE) if not any(a.has(*PIECEWISE) for a in f.args)),
                       key=sp.default_sort_key)
    if not innermost:
        budget[0] -= 1
        return budget[0] >= 0 and _expands_to_zero(e)
    cases = [_cases(f) for f in innermost]
    if any(c is None for c in cases):
        return False
    u = cases[0][0]
    together = [(f, table, orientation) for f, (v, table) in zip(innermost, cases)
                for orientation in [_orientation(v, u)] if orientation]
    for sign in (1, 0, -1):
        if not _can_have_sign(u, sign):
            continue
        case = e.xreplace({f: table[sign * orientation] for f, table, orientation in together})
        if not _zero_in_every_case(_on_zero(case, u) if sign == 0 else case, budget):
            return False
    return True


def _on_zero(e: sp.Expr, u: sp.Expr) -> sp.Expr:
    """``e`` where ``u = 0``, when ``u`` is linear in one of its symbols with
    a number for coefficient (that symbol replaced by its value there); else
    ``e`` unchanged (the case is then checked without its condition)."""
    for s in sorted(u.free_symbols, key=sp.default_sort_key):
        slope = sp.diff(u, s)
        if slope.is_Number and slope != 0:
            return e.xreplace({s: sp.expand(s - u / slope)})
    return e


def _cases(f: sp.Expr) -> tuple | None:
    """``(u, {1: ..., 0: ..., -1: ...})``: the argument whose sign decides
    ``f`` and the value of ``f`` for each sign, or None for a function this
    reasoning does not cover."""
    if isinstance(f, sp.Heaviside):
        return f.args[0], {1: sp.S.One, 0: f.args[1] if len(f.args) > 1 else sp.Heaviside(0), -1: sp.S.Zero}
    if isinstance(f, (sp.Max, sp.Min)) and len(f.args) == 2:
        p, q = f.args
        return p - q, ({1: p, 0: p, -1: q} if isinstance(f, sp.Max) else {1: q, 0: p, -1: p})
    if isinstance(f, sp.Abs):
        return f.args[0], {1: f.args[0], 0: sp.S.Zero, -1: -f.args[0]}
    if isinstance(f, sp.sign):
        return f.args[0], {1: sp.S.One, 0: sp.S.Zero, -1: sp.S.NegativeOne}
    return None


def _orientation(v: sp.Expr, u: sp.Expr) -> int:
    """1 if ``v`` is a positive multiple of ``u``, -1 if a negative one, else 0."""
    if v == u:
        return 1
    if v == -u:
        return -1
    ratio = sp.cancel(v / u)
    return 0 if not ratio.is_Number or ratio == 0 else (1 if ratio > 0 else -1)


def _can_have_sign(u: sp.Expr, sign: int) -> bool:
    """Whether ``u`` can be positive (1), zero (0) or negative (-1) as far as
    SymPy's assumptions tell."""
    if sign > 0:
        return u.is_positive is not False and u.is_nonpositive is not True
    if sign < 0:
        return u.is_negative is not False and u.is_nonnegative is not True
    return u.is_zero is not False


def decide(a: sp.Expr, b: sp.Expr) -> bool | None:
    """True if ``a == b`` is proven by canonical form, else None."""
    if a == b:
        return True
    return is_zero(a - b)


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
