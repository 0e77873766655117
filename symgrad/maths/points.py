"""Random points: the one generator of values for symbols, used by every
witness, every random test of an equality and the numeric cross-checks.

A value is a small rational that satisfies every assumption declared on its
symbol (integer, positive, nonzero, even, ...), checked by SymPy; with
``scale``, a multiple of ``1/scale`` in [-2, 2] (dyadic scales are exact in
float64, so another engine sees the very same point).

>>> import random
>>> import sympy as sp
>>> x, n = sp.Symbol("x"), sp.Symbol("n", integer=True, positive=True)
>>> point = random_point([x, n], random.Random(0))
>>> point[n].is_integer and point[n] > 0, all(v.is_Rational for v in point.values())
(True, True)
"""
from __future__ import annotations

import random
from fractions import Fraction

import sympy as sp

from ..base.errors import Inconclusive


def random_value(symbol: sp.Symbol, rng: random.Random, scale: int | None = None) -> Fraction:
    """A random small rational that satisfies every assumption declared on
    ``symbol`` (integer, positive, nonzero, even, ...), checked by SymPy:
    ``k/q`` with ``|k| < 20`` and ``q < 8``, or with ``scale`` a multiple of
    ``1/scale`` in [-2, 2].

    >>> rng = random.Random(0)
    >>> n = sp.Symbol("n", integer=True, positive=True)
    >>> all(q.denominator == 1 and q > 0 for q in (random_value(n, rng) for _ in range(50)))
    True
    """
    integer = bool(symbol.is_integer)
    for attempt in range(1000):
        if scale:
            q = Fraction(rng.randint(-2, 2)) if integer else Fraction(rng.randint(-2 * scale, 2 * scale), scale)
        else:
            q = Fraction(rng.randint(-19, 19), 1 if integer else rng.randint(1, 7))
        if symbol.is_positive and q <= 0 or symbol.is_negative and q >= 0 \
                or symbol.is_nonnegative and q < 0 or symbol.is_nonpositive and q > 0:
            q = -q
        if satisfies(symbol, q):
            return q
    raise Inconclusive(f"no small rational satisfies the assumptions of {symbol}")


def satisfies(symbol: sp.Symbol, q: Fraction) -> bool:
    """Whether the rational ``q`` has every property assumed of ``symbol``.

    >>> satisfies(sp.Symbol("k", integer=True), Fraction(5, 7)), satisfies(sp.Symbol("k", even=True), Fraction(4))
    (False, True)
    """
    value = sp.Rational(q.numerator, q.denominator)
    return all(getattr(value, f"is_{key}") is wanted for key, wanted in symbol.assumptions0.items()
               if wanted is not None and key not in ("commutative",))


def random_point(symbols, rng: random.Random, scale: int | None = None) -> dict:
    """A value (a SymPy rational) for each of ``symbols``, from ``random_value``."""
    return {s: sp.Rational(q.numerator, q.denominator) for s in symbols for q in [random_value(s, rng, scale)]}
